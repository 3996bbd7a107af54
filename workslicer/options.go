package workslicer

import (
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"time"
)

// Options configure a Scheduler. The zero value is the documented default
// for every field.
type Options struct {
	// Budget is the time per frame that chunks may take, shared by every
	// Run call between two EndFrame calls (Ebitengine runs Update 0 to 5
	// times per frame). Default 4 ms, Unity's default for background
	// loading; Unreal uses 5 ms and React 5 ms slices. At least one chunk
	// runs per frame even when it is predicted not to fit, so work always
	// progresses.
	Budget time.Duration
	// UrgentBudget is time added to Budget in frames where an Urgent task
	// waits on the game goroutine, like Unreal's extra time for priority
	// loads behind a loading screen. Default 0: no extra time.
	UrgentBudget time.Duration
	// Deviations is the margin of a chunk's predicted cost: the moving
	// average of its kind's chunks plus this many moving mean deviations.
	// More fits fewer chunks per frame and overruns less often when chunk
	// costs vary; BENCHMARKS.md has the trade-off measured. Default 1.5.
	Deviations float64
	// AgeStep is how long a task may wait without running before it gains
	// one priority level, and one more for every further AgeStep, so that
	// Background work runs under a stream of Urgent work. Waiting restarts
	// when the task runs a chunk. Default 250 ms.
	AgeStep time.Duration
	// Workers caps the goroutines running Loader.Fetch functions at once.
	// Default runtime.GOMAXPROCS(0) at New.
	Workers int

	// OnOverrun, if set, is called from Run on the game goroutine after a
	// chunk took more than 1.5×Budget (Unreal's warning threshold). Such a
	// chunk should be split. Overruns are also counted in Stats. A panic
	// in it is logged to Logger and goes no further.
	OnOverrun func(Overrun)
	// StallAfter is how long a task or load may show no progress, on the
	// game's clock, before OnStalled hears of it. The game's clock
	// advances in EndFrame by the time since the last EndFrame, at most
	// 250 ms per frame, so a game that stops calling EndFrame (paused,
	// suspended, stopped in a debugger) does not age its work. Default 5 s.
	StallAfter time.Duration
	// OnStalled, if set, is called on the game goroutine, from EndFrame,
	// when a task or load has shown no progress for StallAfter, such as a
	// download that stopped sending; once, and again only after it moved.
	// A load waiting for a worker is not stalled: its time counts from
	// when a worker takes it.
	// EndFrame then looks at every unfinished task and load each
	// StallAfter/16 of the game's clock. Fetch goroutines carry the pprof
	// label "workslicer.load" with the load's key, so a goroutine profile
	// finds the read a Fetch waits in. A panic in it is logged.
	OnStalled func(Stalled)
	// OnFailure, if set, is called once for each task, Fetch or Finish
	// that fails (returns an error, panics or calls runtime.Goexit), with
	// the error its handle gets, to report failed loads. Work cancelled by
	// Release, its context or Close has not failed, nor has work whose
	// error is marked with Expected. It is called where the work failed:
	// on the game goroutine for tasks and Finish, on a worker for Fetch,
	// so it must be quick and safe for concurrent use; right after the
	// handle gets the error, so a goroutine waiting on Done may see the
	// error first. A panic in it is logged to Logger and goes no further.
	OnFailure func(Failure)
	// Logger receives panics and runtime.Goexit calls in tasks, Fetch and
	// Finish, each of which also becomes the error on the handle, and
	// panics in OnOverrun. Default slog.Default().
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultBudget     = 4 * time.Millisecond
	DefaultDeviations = 1.5
	DefaultAgeStep    = 250 * time.Millisecond
	DefaultStallAfter = 5 * time.Second
)

// resolve fills defaults and validates, naming the offending field.
func (o Options) resolve() (Options, error) {
	durations := []struct {
		name string
		v    time.Duration
	}{
		{"Budget", o.Budget},
		{"UrgentBudget", o.UrgentBudget},
		{"AgeStep", o.AgeStep},
		{"StallAfter", o.StallAfter},
	}
	for _, d := range durations {
		if d.v < 0 {
			return o, fmt.Errorf("%w: Options.%s is %v; it must not be negative", ErrInvalid, d.name, d.v)
		}
	}
	if !(o.Deviations >= 0) || math.IsInf(o.Deviations, 1) {
		return o, fmt.Errorf("%w: Options.Deviations is %v; it must be finite and not negative", ErrInvalid, o.Deviations)
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("%w: Options.Workers is %d; it must not be negative", ErrInvalid, o.Workers)
	}
	if o.Budget == 0 {
		o.Budget = DefaultBudget
	}
	if o.Deviations == 0 {
		o.Deviations = DefaultDeviations
	}
	if o.AgeStep == 0 {
		o.AgeStep = DefaultAgeStep
	}
	if o.StallAfter == 0 {
		o.StallAfter = DefaultStallAfter
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Priority orders work. Higher runs first; a task that waits gains one
// level per Options.AgeStep, so no priority starves. The zero value is
// Normal.
type Priority int8

// Priorities.
const (
	Background Priority = -1
	Normal     Priority = 0
	Urgent     Priority = 1
)

// String returns the priority's name, such as "Urgent".
func (p Priority) String() string {
	switch p {
	case Background:
		return "Background"
	case Normal:
		return "Normal"
	case Urgent:
		return "Urgent"
	}
	return fmt.Sprintf("Priority(%d)", int8(p))
}

// check returns an error naming field when p is not one of the constants.
func (p Priority) check(field string) error {
	if p < Background || p > Urgent {
		return fmt.Errorf("%w: %s is %v; use Background, Normal or Urgent", ErrInvalid, field, p)
	}
	return nil
}
