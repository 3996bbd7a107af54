package workslicer

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/pprof"
)

// Loader describes a load in two stages: Fetch reads and decodes on a
// worker goroutine, then Finish, if set, turns the result into the value
// on the game goroutine in chunks (creating GPU images, say).
type Loader[B, T any] struct {
	// Key identifies the asset. Loads of one key share one load until its
	// last handle is released. Required.
	Key string
	// Kind groups Finish stages whose chunks cost about the same, for
	// prediction. Default "".
	Kind string
	// Priority orders Fetch among waiting fetches and Finish among tasks.
	// A later Load of the same key with a higher priority raises it.
	// Default Normal.
	Priority Priority

	// Fetch produces the intermediate result on a worker goroutine, at
	// most Options.Workers at once. ctx is cancelled when the load is.
	// Required.
	Fetch func(ctx context.Context) (B, error)
	// Finish runs like Task.Body on the game goroutine after Fetch
	// succeeded, calling yield with its own progress from 0 to 1 between
	// chunks. It may be nil only if B and T are the same type; the value is
	// then Fetch's result.
	Finish func(ctx context.Context, b B, yield func(progress float64) bool) (T, error)
	// Uses is Task.Uses for the Finish stage. Default nil.
	Uses *Resource
	// Cost is Task.Cost for the Finish stage, given Fetch's result, which
	// Finish may update as it goes (a pointer, say). Required with Uses.
	Cost func(b B) int64
}

func (l *Loader[B, T]) check(s *Scheduler) error {
	switch {
	case l.Key == "":
		return fmt.Errorf("%w: Loader.Key is empty", ErrInvalid)
	case l.Fetch == nil:
		return fmt.Errorf("%w: load %q: Loader.Fetch is nil", ErrInvalid, l.Key)
	case l.Finish == nil && !sameType[B, T]():
		var b B
		var t T
		return fmt.Errorf("%w: load %q: Loader.Finish is nil but Fetch's result (%T) is not the value type (%T)",
			ErrInvalid, l.Key, any(&b), any(&t))
	}
	if err := checkUse(s, fmt.Sprintf("load %q", l.Key), "Loader", l.Uses, l.Cost != nil); err != nil {
		return err
	}
	return l.Priority.check("Loader.Priority")
}

func sameType[B, T any]() bool {
	_, ok := any((*B)(nil)).(*T)
	return ok
}

// Load starts l, or joins the load of the same key already in flight or
// held, and returns a new handle to it. The load is cancelled when its
// last handle is released; ctx being done releases this handle. A Load of
// a key held with another value type fails. Safe from any goroutine.
func Load[B, T any](ctx context.Context, s *Scheduler, l Loader[B, T]) (*Handle[T], error) {
	if err := checkCall(ctx, s, "Load"); err != nil {
		return nil, err
	}
	if err := l.check(s); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("workslicer: load %q: %w", l.Key, context.Cause(ctx))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("workslicer: load %q: %w", l.Key, ErrClosed)
	}
	var e *entry[T]
	if ref, ok := s.loads[l.Key]; ok {
		if e, ok = ref.typed.(*entry[T]); !ok {
			return nil, fmt.Errorf("%w: load %q: the key is held as %T, not *Handle[%T]",
				ErrInvalid, l.Key, ref.typed, *new(T))
		}
		if e.raise(l.Priority) {
			if f := e.fetch.Load(); f != nil {
				s.fetches.relevel(f)
			}
			s.raises.Add(1) // its Finish may be queued
		}
	} else {
		e = startLoad(s, l)
	}
	e.refs++
	return newHandle(ctx, s, e), nil
}

// startLoad queues l's Fetch. s.mu must be held.
func startLoad[B, T any](s *Scheduler, l Loader[B, T]) *entry[T] {
	e := newEntry[T](s.ctx, l.Key, l.Kind, l.Key, l.Priority)
	s.loads[l.Key] = loadRef{st: &e.state, typed: e}
	e.split = 1
	if l.Finish != nil {
		e.split = s.shares[l.Kind].split()
	}
	s.seq++
	f := &fetch{st: &e.state, seq: s.seq, since: s.elapsed(), run: func() { fetchStage(s, e, l) }}
	e.fetch.Store(f)
	s.fetches.push(f)
	s.watch(&e.state)
	s.fetching.Add(1)
	s.pump()
	return e
}

// pump starts workers while fetches wait and slots are free. s.mu must be
// held. A worker gives its slot back under s.mu when it finds no fetch
// waiting, so no fetch is left without a worker.
func (s *Scheduler) pump() {
	for s.fetches.len() > 0 && s.sem.TryAcquire(1) {
		go s.worker(s.popFetch())
	}
}

func (s *Scheduler) worker(f *fetch) {
	defer s.exitWorker(&f)
	for f != nil {
		f.run()
		s.mu.Lock()
		f = s.popFetch()
		if f == nil {
			s.sem.Release(1)
		}
		s.mu.Unlock()
	}
}

// exitWorker settles *f if its Fetch called runtime.Goexit, which ends the
// worker, and hands the worker's slot on.
func (s *Scheduler) exitWorker(f **fetch) {
	if *f == nil {
		return
	}
	st := (*f).st
	s.opts.Logger.Error("workslicer: Fetch called runtime.Goexit", slog.String("task", st.name))
	s.fetching.Add(-1)
	err := fmt.Errorf("workslicer: load %q: %w", st.name, ErrGoexit)
	s.settled(st, st.fail, "Fetch", 0, err)
	s.mu.Lock()
	s.sem.Release(1)
	s.pump()
	s.mu.Unlock()
}

// popFetch takes the most urgent waiting fetch, oldest first, with the
// same ageing as tasks. s.mu must be held.
func (s *Scheduler) popFetch() *fetch {
	f := s.fetches.pop(s.elapsed(), s.age)
	if f != nil {
		f.st.fetch.Store(nil)
	}
	return f
}

// unqueueFetch removes a fetch that no worker has taken. s.mu must be held.
func (s *Scheduler) unqueueFetch(f *fetch) {
	s.fetches.remove(f)
	f.st.fetch.Store(nil)
}

// fetchStage runs on a worker: Fetch, then the hand-over to the game
// goroutine, or the value at once when there is no Finish.
func fetchStage[B, T any](s *Scheduler, e *entry[T], l Loader[B, T]) {
	e.fetchStart = s.elapsed()
	b, err := safeFetch(e, l.Fetch)
	e.fetchEnd = s.elapsed()
	if e.ctx.Err() != nil {
		err = context.Cause(e.ctx) // whatever Fetch made of it
	}
	switch {
	case err != nil:
		s.fetching.Add(-1)
		s.logPanic(err, "stage", "Fetch")
		s.settled(&e.state, e.fail, "Fetch", 0, err)
	case l.Finish == nil:
		v, _ := any(b).(T)
		s.fetching.Add(-1)
		e.complete(v, nil)
	default:
		e.setProgress(e.split)
		finishStage(s, e, l, b)
	}
}

func safeFetch[B, T any](e *entry[T], fetch func(context.Context) (B, error)) (b B, err error) {
	if err := e.ctx.Err(); err != nil {
		return b, context.Cause(e.ctx)
	}
	defer func() {
		if r := recover(); r != nil {
			err = panicError(e.name, r)
		}
	}()
	ctx := context.WithValue(e.ctx, fetchKey{}, &e.state)
	pprof.Do(ctx, pprof.Labels("workslicer.load", e.key), func(ctx context.Context) { b, err = fetch(ctx) })
	return b, err
}

// finishStage queues Finish on the game goroutine, unless the load was
// cancelled meanwhile.
func finishStage[B, T any](s *Scheduler, e *entry[T], l Loader[B, T], b B) {
	var v T
	w := &work{name: l.Key, kind: l.Kind, st: &e.state, uses: l.Uses,
		body: func(ctx context.Context, yield func(float64) bool) error {
			var err error
			v, err = l.Finish(ctx, b, func(p float64) bool { return yield(e.split + p*(1-e.split)) })
			return err
		},
		done: func(err error) bool { return e.complete(v, err) },
	}
	if l.Cost != nil {
		w.cost = func() int64 { return l.Cost(b) }
	}
	s.mu.Lock()
	cause := e.ctx.Err()
	if cause == nil {
		s.push(w)
	}
	s.mu.Unlock()
	s.fetching.Add(-1)
	if cause != nil {
		s.ended(&e.state, e.fail(context.Cause(e.ctx)))
	}
}
