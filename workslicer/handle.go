package workslicer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Errors.
var (
	// ErrInvalid is wrapped by every error about a bad argument or option;
	// the message names the field.
	ErrInvalid = errors.New("workslicer: invalid argument")
	// ErrPending is returned by Handle.Value while the work is unfinished.
	ErrPending = errors.New("workslicer: not finished")
	// ErrReleased is the cause of the context of work whose last handle
	// was released before it finished.
	ErrReleased = errors.New("workslicer: released")
	// ErrClosed is returned for work started on, or cut short by, a closed
	// Scheduler.
	ErrClosed = errors.New("workslicer: scheduler closed")
	// ErrGoexit is wrapped by the error of a task, Finish or Fetch that
	// called runtime.Goexit (t.FailNow in a test, say). The Goexit goes
	// on, as iter.Pull passes it on: it ends the goroutine that called
	// Run, or the Fetch worker, whose slot goes to a new one. The
	// scheduler stays usable from another goroutine.
	ErrGoexit = errors.New("workslicer: called runtime.Goexit")
)

// PanicError is the error on the handle of a task, Fetch or Finish that
// panicked. The scheduler and the other tasks go on.
type PanicError struct {
	Task  string // the task's name or the load's key
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack, from debug.Stack
}

// Error names the task and the panic value, followed by the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("workslicer: %q panicked: %v\n\n%s", e.Task, e.Value, e.Stack)
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// panicError must be called from the deferred function that recovered r,
// so that the stack still holds the panicking frames.
func panicError(task string, r any) *PanicError {
	return &PanicError{Task: task, Value: r, Stack: debug.Stack()}
}

// state is the part of a piece of work that its handles share, whatever
// its result type.
type state struct {
	name     string
	kind     string
	key      string // dedupe key; empty for tasks started with Go
	ctx      context.Context
	cancel   context.CancelCauseFunc
	done     chan struct{}
	err      error // written once, before done is closed
	ended    atomic.Bool
	progress atomic.Uint64 // float64 bits
	prio     atomic.Int32  // base priority; dedupe may raise it

	// A load's stages: written before Fetch runs and when it ends, and
	// read after the hand-over to the game goroutine.
	split      float64 // the share of progress that Fetch covers
	fetchStart time.Duration
	fetchEnd   time.Duration

	// Written under Scheduler.mu; fetch is also read without it, to tell
	// a load waiting for a worker from one stalled.
	refs  int
	fetch atomic.Pointer[fetch] // non-nil while waiting for a worker
}

func (st *state) priority() int { return int(st.prio.Load()) }

func (st *state) progressNow() float64 { return math.Float64frombits(st.progress.Load()) }

// raise lifts the base priority to p if p is higher, and reports whether
// it did.
func (st *state) raise(p Priority) bool {
	for {
		old := st.prio.Load()
		if int32(p) <= old {
			return false
		}
		if st.prio.CompareAndSwap(old, int32(p)) {
			return true
		}
	}
}

// partial is the most progress unfinished work shows, so that Progress is
// 1 exactly when the work has ended.
var partial = math.Nextafter(1, 0)

// setProgress stores p clamped to [0, partial]; progress never goes back.
func (st *state) setProgress(p float64) {
	if math.IsNaN(p) {
		return
	}
	p = min(max(p, 0), partial)
	for {
		old := st.progress.Load()
		if p <= math.Float64frombits(old) || st.progress.CompareAndSwap(old, math.Float64bits(p)) {
			return
		}
	}
}

// claim reports whether the caller is the one to settle the work.
func (st *state) claim() bool { return st.ended.CompareAndSwap(false, true) }

// settle publishes err; the caller has won claim. Progress becomes 1 after
// done is closed, so a reader that sees 1 sees the result.
func (st *state) settle(err error) {
	st.err = err
	close(st.done)
	st.progress.Store(math.Float64bits(1))
}

// fail settles the work with err unless it is settled already.
func (st *state) fail(err error) bool {
	if !st.claim() {
		return false
	}
	st.settle(err)
	return true
}

// entry is the shared result of one task or one deduplicated load.
type entry[T any] struct {
	state
	val T // written once, before done is closed, only on success
}

func newEntry[T any](parent context.Context, name, kind, key string, p Priority) *entry[T] {
	e := &entry[T]{}
	e.name, e.kind, e.key = name, kind, key
	e.ctx, e.cancel = context.WithCancelCause(parent)
	e.done = make(chan struct{})
	e.prio.Store(int32(p))
	return e
}

// complete settles the entry with v or err unless it is settled already.
func (e *entry[T]) complete(v T, err error) bool {
	if !e.claim() {
		return false
	}
	if err == nil {
		e.val = v
	}
	e.settle(err)
	return true
}

// Handle is one holder's reference to a task or a load. Every method is
// safe to call from any goroutine.
//
// A load stays alive, and a finished load's value stays shared with later
// Load calls for the same key, while any handle to it is unreleased. When
// the last handle is released, unfinished work is cancelled.
type Handle[T any] struct {
	e        *entry[T]
	s        *Scheduler
	released atomic.Bool
	stop     func() bool // stops watching the request context
}

func newHandle[T any](ctx context.Context, s *Scheduler, e *entry[T]) *Handle[T] {
	h := &Handle[T]{e: e, s: s}
	if ctx.Done() != nil {
		h.stop = context.AfterFunc(ctx, h.drop)
	}
	return h
}

// Name returns the task's name or the load's key.
func (h *Handle[T]) Name() string { return h.e.name }

// Done returns a channel closed when the work has finished, failed or been
// cancelled. Do not block on it on the game goroutine: finishing stages
// run there.
func (h *Handle[T]) Done() <-chan struct{} { return h.e.done }

// Err returns nil while the work is unfinished or if it succeeded, and
// otherwise why it failed: its own error, a *PanicError, or the cause of
// its cancellation (ErrReleased, ErrClosed).
func (h *Handle[T]) Err() error {
	select {
	case <-h.e.done:
		return h.e.err
	default:
		return nil
	}
}

// Value returns the result once the work has finished. Until then it
// returns ErrPending; after a failure, the error Err returns.
func (h *Handle[T]) Value() (T, error) {
	var zero T
	select {
	case <-h.e.done:
	default:
		return zero, ErrPending
	}
	if h.e.err != nil {
		return zero, h.e.err
	}
	return h.e.val, nil
}

// Progress returns how much of the work is behind it, from 0 to 1. It
// never decreases, and it is 1 exactly when the work has ended, whether it
// succeeded or not (see Err). For a load with a Finish stage, Fetch covers
// the share of the time that Fetch took in past loads of the same Kind
// (half until one has finished), moving within it as Fetch reports with
// FetchProgress or ProgressReader, and Finish the rest.
func (h *Handle[T]) Progress() float64 { return h.e.progressNow() }

// Release gives up this handle; later calls do nothing. Releasing the last
// handle to unfinished work cancels it: its context is cancelled with
// cause ErrReleased, a waiting Fetch never starts, and a task stops at its
// next yield point, on the game goroutine's next Run. Releasing the handle
// that Load or Go was given a context for also happens when that context
// is done.
func (h *Handle[T]) Release() {
	if h.stop != nil {
		h.stop()
	}
	h.drop()
}

func (h *Handle[T]) drop() {
	if h.released.Swap(true) {
		return
	}
	h.s.release(&h.e.state)
}
