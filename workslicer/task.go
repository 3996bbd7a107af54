package workslicer

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"
	"time"
)

// Task is work for the game goroutine, written either as straight-line
// code with yield points (Body) or as a function called once per chunk
// (Step). Set exactly one of them.
type Task struct {
	// Name identifies the task in Running, Overrun and errors. Required.
	Name string
	// Kind groups tasks whose chunks cost about the same; the scheduler
	// predicts a chunk's cost from the moving average and deviation of its
	// kind's past chunks. A kind's first chunk is predicted to cost
	// nothing, so it runs wherever budget is left and is measured. Default
	// "": one group like any other.
	Kind string
	// Priority orders the task against others. Default Normal.
	Priority Priority

	// Body runs the task as one function that calls yield between chunks
	// with its progress so far, from 0 to 1. When yield returns false the
	// task was cancelled: Body must return promptly. Body runs on the game
	// goroutine as a coroutine (iter.Pull), created at its first chunk;
	// each chunk is the code between two yields. Its error, or the cause of
	// a cancellation, becomes the handle's error.
	Body func(ctx context.Context, yield func(progress float64) bool) error
	// Step runs one chunk per call on the game goroutine and returns the
	// task's progress, whether it is done, and an error, which also ends
	// the task. ctx is cancelled when the task is.
	Step func(ctx context.Context) (progress float64, done bool, err error)

	// Uses is the per-frame Resource that the task's chunks draw on, made
	// by the same Scheduler. Default nil: the chunks are limited by time
	// only.
	Uses *Resource
	// Cost returns how much of Uses the task's next chunk will take. Run
	// calls it on the game goroutine, between chunks, whenever it weighs
	// that chunk, so it must be quick and change nothing; the task updates
	// what it returns as it goes. A negative cost or a panic fails the
	// task. Required with Uses.
	Cost func() int64
}

func (t *Task) check(s *Scheduler) error {
	switch {
	case t.Name == "":
		return fmt.Errorf("%w: Task.Name is empty", ErrInvalid)
	case t.Body == nil && t.Step == nil:
		return fmt.Errorf("%w: task %q: Task.Body and Task.Step are both nil; set one", ErrInvalid, t.Name)
	case t.Body != nil && t.Step != nil:
		return fmt.Errorf("%w: task %q: Task.Body and Task.Step are both set; set one", ErrInvalid, t.Name)
	}
	if err := checkUse(s, fmt.Sprintf("task %q", t.Name), "Task", t.Uses, t.Cost != nil); err != nil {
		return err
	}
	return t.Priority.check("Task.Priority")
}

// Go queues t to run on the game goroutine and returns its handle.
// Releasing the handle, or ctx being done, cancels the task; ctx bounds
// only the handle, and the task's own context comes from the Scheduler.
// Safe from any goroutine.
func (s *Scheduler) Go(ctx context.Context, t Task) (*Handle[struct{}], error) {
	if err := checkCall(ctx, s, "Go"); err != nil {
		return nil, err
	}
	if err := t.check(s); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("workslicer: task %q: %w", t.Name, context.Cause(ctx))
	}
	e := newEntry[struct{}](s.ctx, t.Name, t.Kind, "", t.Priority)
	e.refs = 1
	w := &work{name: t.Name, kind: t.Kind, st: &e.state, body: t.Body, stepf: t.Step, uses: t.Uses, cost: t.Cost,
		done: func(err error) bool { return e.complete(struct{}{}, err) }}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("workslicer: task %q: %w", t.Name, ErrClosed)
	}
	s.push(w)
	s.watch(&e.state)
	s.mu.Unlock()
	return newHandle(ctx, s, e), nil
}

// checkCall rejects a nil Scheduler or context passed to fn.
func checkCall(ctx context.Context, s *Scheduler, fn string) error {
	if s == nil {
		return fmt.Errorf("%w: %s: Scheduler is nil", ErrInvalid, fn)
	}
	if ctx == nil {
		return fmt.Errorf("%w: %s: ctx is nil", ErrInvalid, fn)
	}
	return nil
}

// work is what the game goroutine runs: a task, or a load's Finish stage.
type work struct {
	name, kind string
	st         *state
	seq        uint64
	body       func(ctx context.Context, yield func(float64) bool) error
	stepf      func(ctx context.Context) (float64, bool, error)
	uses       *Resource
	cost       func() int64
	done       func(error) bool // settles the handle; reports whether it did

	step atomic.Int64 // steps, for Running on other goroutines

	// Game goroutine only.
	b            *bucket // nil when not queued
	qi, hi       int     // index in workQueue.all and in b's heap
	older, newer *work   // b's list by since
	next         func() (float64, bool)
	stop         func()
	err          error // what body returned, or its panic, or Cost's failure
	charge       int64 // what Cost said the next chunk takes
	steps        int
	since        time.Duration // last chunk or arrival, for ageing
	est          *estimate
}

// stage names what w runs, for Failure.
func (w *work) stage() string {
	if w.st.key == "" {
		return "Task"
	}
	return "Finish"
}

func (w *work) order() uint64 { return w.seq }
func (w *work) place(i int)   { w.hi = i }

// admitted reports whether w's next chunk fits in what this frame has
// left of w.uses. A Cost that panics or is negative fails the task at its
// next chunk, so it counts as admitted.
func (w *work) admitted(frame uint64) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			w.err, ok = panicError(w.name, r), true
		}
	}()
	w.charge = w.cost()
	if w.charge < 0 {
		w.err = fmt.Errorf("%w: task %q: Cost returned %d; it must not be negative", ErrInvalid, w.name, w.charge)
		return true
	}
	return w.uses.fits(w.charge, frame)
}

// resume runs the next chunk.
func (w *work) resume() (progress float64, done bool, err error) {
	if err := w.err; err != nil { // Cost failed
		if w.stop != nil {
			w.stop()
			w.next, w.stop = nil, nil
		}
		return 1, true, err
	}
	if w.stepf != nil {
		return w.callStep()
	}
	if w.next == nil {
		// Created here, lazily: a coroutine must be resumed from a
		// goroutine with the same OS-thread locking as its creator.
		w.next, w.stop = iter.Pull(w.run)
	}
	p, ok := w.next()
	if !ok {
		w.next, w.stop = nil, nil
		return 1, true, w.err
	}
	return p, false, nil
}

// run is the coroutine: Body with its panic turned into an error.
func (w *work) run(yield func(float64) bool) {
	defer func() {
		if r := recover(); r != nil {
			w.err = panicError(w.name, r)
		}
	}()
	w.err = w.body(w.st.ctx, yield)
}

func (w *work) callStep() (progress float64, done bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			progress, done, err = 1, true, panicError(w.name, r)
		}
	}()
	progress, done, err = w.stepf(w.st.ctx)
	return progress, done || err != nil, err
}
