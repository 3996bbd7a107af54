package workslicer

import "errors"

// Failure is a task, Fetch or Finish that failed, as Options.OnFailure
// hears of it.
type Failure struct {
	Task  string // the task's name or the load's key
	Kind  string // the Task's or Loader's Kind
	Stage string // "Task", "Fetch" or "Finish"
	Step  int    // the chunk it failed in, counted from 1; 0 in Fetch
	// Err is the error the handle gets. A panic is a *PanicError whose
	// Stack is the panicking goroutine's, taken where it was recovered.
	Err error
}

// Expected marks err as a failure the game expects, such as an optional
// file that is missing: the handle still fails with it, and errors.Is and
// errors.As see through the mark, but Options.OnFailure does not hear of
// it. Expected(nil) is nil.
func Expected(err error) error {
	if err == nil {
		return nil
	}
	return expectedError{err}
}

type expectedError struct{ err error }

func (e expectedError) Error() string { return e.err.Error() }
func (e expectedError) Unwrap() error { return e.err }

func isExpected(err error) bool {
	var e expectedError
	return errors.As(err, &e)
}
