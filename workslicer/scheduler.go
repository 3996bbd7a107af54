package workslicer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// Scheduler runs sliced work within a time budget per frame.
//
// Threading: Run, EndFrame, Stats and Close are called from the game
// goroutine (any one goroutine, never two at once); task bodies, Cost
// functions and Finish stages run there, inside Run. Go, Load, NewResource
// and Running, and every Handle and Progress method, are safe from any
// goroutine. Fetch functions run on worker goroutines.
type Scheduler struct {
	opts  Options
	epoch time.Time
	clock func() time.Duration // nil: time since epoch; a simulation sets it

	ctx    context.Context // parent of every task's context
	cancel context.CancelCauseFunc
	sem    *semaphore.Weighted // worker slots

	mu       sync.Mutex
	closed   bool
	loads    map[string]loadRef
	shares   map[string]*stageTimes // by Kind
	fetches  fetchQueue             // waiting for a worker
	incoming []*work                // ready for the game goroutine
	seq      uint64
	started  []*state // unfinished work not yet watched, if OnStalled is set

	incomingN atomic.Int64
	cancels   atomic.Uint64 // bumped after a task context is cancelled
	raises    atomic.Uint64 // bumped after Load raised a load's priority
	fetching  atomic.Int64  // loads waiting for or running Fetch
	running   atomic.Pointer[work]

	// Game goroutine only.
	inRun       bool
	inside      *work // whose code runs now, for exitRun
	queue       workQueue
	arrived     []*work // taken from incoming; queued from nextArrived on
	nextArrived int
	seenCancels uint64
	seenRaises  uint64
	frameNo     uint64 // frames ended, for Resource
	stalls      stallWatch
	kinds       map[string]*estimate
	frame       frameState
	stats       Stats
}

type frameState struct {
	spent, budget time.Duration
	chunks        int
}

// loadRef is a deduplicated load: its shared state and its *entry[T].
type loadRef struct {
	st    *state
	typed any
}

// New returns a Scheduler. It starts no goroutines until work needs them.
// It is safe to call from any goroutine.
func New(opts Options) (*Scheduler, error) {
	opts, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	s := &Scheduler{
		opts:   opts,
		epoch:  time.Now(),
		sem:    semaphore.NewWeighted(int64(opts.Workers)),
		loads:  make(map[string]loadRef),
		shares: make(map[string]*stageTimes),
		kinds:  make(map[string]*estimate),
	}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	return s, nil
}

// Run spends what is left of the current frame's budget on chunks of
// waiting tasks. Call it on the game goroutine after each Update. The
// first chunk of a frame always runs; later ones run only if their
// predicted cost fits what is left, and when the most urgent task's next
// chunk does not fit, smaller chunks of other tasks fill the gap. With
// nothing to do, Run returns at once; called from inside a task, it does
// nothing.
func (s *Scheduler) Run() {
	if s.inRun || s.queue.len() == 0 && s.arrivals() == 0 && s.incomingN.Load() == 0 {
		return
	}
	s.inRun = true
	start := s.elapsed()
	defer s.exitRun(start)
	until := start + s.opts.Budget - s.frame.spent // for drain
	s.drain(start, until)
	t := start
	if s.reap() {
		t = s.elapsed()
	}
	s.frame.budget = max(s.frame.budget, s.frameBudget())
	for {
		w := s.pick(t, s.frame.budget-s.frame.spent-(t-start))
		if w == nil {
			break
		}
		t = s.runChunk(w, t)
		s.drain(t, until)
		if s.reap() {
			t = s.elapsed()
		}
	}
	if s.reap() { // Close or Release from the last chunk or a Cost
		t = s.elapsed()
	}
	s.running.Store(nil)
	s.inRun = false
	s.frame.spent += t - start
}

// exitRun leaves the scheduler ready for the next Run when Run did not
// return: a task called runtime.Goexit, which settles its handle with
// ErrGoexit and goes on to end the goroutine, as iter.Pull passes it on.
func (s *Scheduler) exitRun(start time.Duration) {
	if !s.inRun {
		return
	}
	s.running.Store(nil)
	s.inRun = false
	s.frame.spent += s.elapsed() - start
	w := s.inside
	if w == nil {
		return
	}
	s.inside = nil
	if w.b != nil {
		s.queue.remove(w)
	}
	w.next, w.stop = nil, nil
	s.opts.Logger.Error("workslicer: task called runtime.Goexit, which ends the goroutine that called Run",
		slog.String("task", w.name), slog.Int("step", w.steps))
	err := fmt.Errorf("workslicer: task %q: %w", w.name, ErrGoexit)
	s.settled(w.st, w.done, w.stage(), w.steps, err)
}

// elapsed is the scheduler's clock: time since New, read with time.Since,
// which needs one clock read where time.Now needs two, and which follows
// testing/synctest's fake clock.
func (s *Scheduler) elapsed() time.Duration {
	if s.clock != nil {
		return s.clock()
	}
	return time.Since(s.epoch)
}

// EndFrame closes the current frame: it records the frame in Stats, and
// the next Run starts a fresh budget. Call it on the game goroutine once
// per frame, from Draw.
func (s *Scheduler) EndFrame() {
	f := s.frame
	if f.chunks > 0 {
		s.stats.Frames++
		if f.spent > f.budget {
			s.stats.OverBudget++
		}
		s.stats.Last = FrameStats{Spent: f.spent, Budget: f.budget, Chunks: f.chunks}
	}
	s.frame = frameState{}
	s.frameNo++
	if s.opts.OnStalled != nil {
		s.watchStalls()
	}
}

// Running names the chunk the game goroutine is running: its task's name
// (a load's key) and its step, counted from 1. ok is false outside Run.
// Between two chunks of one Run, which takes the scheduler nanoseconds
// plus any Cost calls, it still names the earlier chunk; that saves an
// atomic store per chunk. A watchdog calls it from its own goroutine to
// name the chunk a frame is stuck in.
func (s *Scheduler) Running() (task string, step int, ok bool) {
	w := s.running.Load()
	if w == nil {
		return "", 0, false
	}
	return w.name, int(w.step.Load()), true
}

// FrameStats describes one frame.
type FrameStats struct {
	Spent  time.Duration // time Run spent in the frame
	Budget time.Duration // Budget, plus UrgentBudget if urgent work waited
	Chunks int           // chunks run
}

// Overrun is one chunk that took more than 1.5×Options.Budget: split it.
type Overrun struct {
	Task     string        // task name or load key
	Kind     string        // the task's Kind, which its cost predictions are kept by
	Step     int           // counted from 1
	Duration time.Duration // how long the chunk ran
}

// Stats describe the scheduler for an overlay. Reading them allocates
// nothing.
type Stats struct {
	Last        FrameStats // the last frame that ran a chunk
	Frames      uint64     // frames that ran at least one chunk
	OverBudget  uint64     // of those, frames that spent more than their budget
	Chunks      uint64     // chunks run
	Overruns    uint64     // chunks longer than 1.5×Options.Budget
	LastOverrun Overrun    // the latest of those
	Pending     int        // tasks and finishing stages waiting for the game goroutine
	Fetching    int        // loads waiting for or running Fetch
}

// Stats returns the scheduler's counters. Call it on the game goroutine.
func (s *Scheduler) Stats() Stats {
	st := s.stats
	st.Pending = s.queue.len() + s.arrivals() + int(s.incomingN.Load())
	st.Fetching = int(s.fetching.Load())
	return st
}

// Close cancels all work with cause ErrClosed: waiting loads and tasks
// fail at once, tasks are stopped at their yield point, and running Fetch
// functions see their context cancelled. Later Go and Load calls fail with
// ErrClosed. Call it on the game goroutine; from inside a task, the tasks
// stop when the chunk returns. It does not wait for Fetch functions to
// return.
func (s *Scheduler) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	fetches := s.fetches.all()
	for _, f := range fetches {
		f.st.fetch.Store(nil)
	}
	s.mu.Unlock()
	s.cancel(ErrClosed) // every task's context derives from s.ctx
	s.cancels.Add(1)
	for _, f := range fetches {
		s.fetching.Add(-1)
		s.ended(f.st, f.st.fail(ErrClosed))
	}
	if !s.inRun {
		s.reap()
	}
}

// frameBudget is Budget, plus UrgentBudget while urgent work waits.
func (s *Scheduler) frameBudget() time.Duration {
	if s.opts.UrgentBudget > 0 && s.queue.urgent() {
		return s.opts.Budget + s.opts.UrgentBudget
	}
	return s.opts.Budget
}

// push hands work to the game goroutine. s.mu must be held.
func (s *Scheduler) push(w *work) {
	s.seq++
	w.seq = s.seq
	s.incoming = append(s.incoming, w)
	s.incomingN.Add(1)
}

// drainBatch is how much work drain adds between looks at the clock.
const drainBatch = 64

// drain moves work pushed from other goroutines into the queue, in the
// order it arrived, and queued work whose priority Load raised to its new
// bucket. Adding takes a few hundred ns per work when thousands arrive at
// once, so drain stops between batches once the clock passes until; the
// rest waits, behind older arrivals only, for the next call.
func (s *Scheduler) drain(now, until time.Duration) {
	if r := s.raises.Load(); r != s.seenRaises {
		s.seenRaises = r
		s.queue.rebucket()
	}
	for {
		if s.arrivals() == 0 {
			if s.incomingN.Load() == 0 {
				return
			}
			s.take()
		}
		end := min(s.nextArrived+drainBatch, len(s.arrived))
		for _, w := range s.arrived[s.nextArrived:end] {
			w.since = now
			w.est = s.estimate(w.kind)
			s.queue.add(w)
		}
		s.nextArrived = end
		if s.arrivals() == 0 && s.incomingN.Load() == 0 {
			return
		}
		if now = s.elapsed(); now > until {
			return
		}
	}
}

// arrivals counts the work taken from incoming but not yet queued.
func (s *Scheduler) arrivals() int { return len(s.arrived) - s.nextArrived }

// take swaps the drained arrivals for the work pushed since.
func (s *Scheduler) take() {
	clear(s.arrived)
	s.mu.Lock()
	s.arrived, s.incoming = s.incoming, s.arrived[:0]
	s.incomingN.Store(0)
	s.mu.Unlock()
	s.nextArrived = 0
}

func (s *Scheduler) estimate(kind string) *estimate {
	e := s.kinds[kind]
	if e == nil {
		e = new(estimate)
		s.kinds[kind] = e
	}
	return e
}

// reap stops cancelled work. It reports whether it stopped any, since
// stopping runs the rest of a task body.
func (s *Scheduler) reap() bool {
	c := s.cancels.Load()
	if c == s.seenCancels {
		return false
	}
	s.seenCancels = c
	s.drain(s.elapsed(), math.MaxInt64) // all of it, to stop what was cancelled
	stopped := false
	for i := 0; i < s.queue.len(); {
		w := s.queue.all[i]
		if w.st.ctx.Err() == nil {
			i++
			continue
		}
		s.queue.remove(w) // moves the last work to i
		s.stopWork(w, context.Cause(w.st.ctx))
		stopped = true
	}
	return stopped
}

// pick returns the next work to run, or nil: the most urgent of its
// queue's bucket candidates whose next chunk is predicted to fit in left
// and whose Resource has room; the frame's first chunk need not fit in
// left.
func (s *Scheduler) pick(now, left time.Duration) *work {
	first := s.frame.chunks == 0
	if !first && left <= 0 {
		return nil
	}
	var best *work
	bestPrio := 0
	for _, b := range s.queue.buckets {
		w, p := b.candidate(now, s.age)
		if w == nil || best != nil && (p < bestPrio || p == bestPrio && w.seq > best.seq) {
			continue // cannot beat best: spares the prediction and Cost
		}
		if !first && b.key.est.predict(s.opts.Deviations) > left {
			continue
		}
		if w.uses != nil {
			s.inside = w
			ok := w.admitted(s.frameNo)
			s.inside = nil
			if !ok {
				continue
			}
		}
		best, bestPrio = w, p
	}
	return best
}

// age is the priority gained by waiting for waited.
func (s *Scheduler) age(waited time.Duration) int {
	if waited < s.opts.AgeStep { // skips a division for most tasks
		return 0
	}
	return int(waited / s.opts.AgeStep)
}

// runChunk runs w's next chunk, which starts at start, and returns when it
// ended.
func (s *Scheduler) runChunk(w *work, start time.Duration) time.Duration {
	w.steps++
	w.step.Store(int64(w.steps))
	if s.running.Load() != w { // a task often runs several chunks in a row
		s.running.Store(w)
	}
	s.inside = w
	progress, done, err := w.resume()
	s.inside = nil
	end := s.elapsed()
	if w.uses != nil && w.charge > 0 {
		w.uses.use(w.charge)
	}
	d := end - start
	w.est.observe(d)
	w.since = end
	s.frame.chunks++
	s.stats.Chunks++
	if d > s.opts.Budget*3/2 {
		s.overrun(w, d)
	}
	if !done {
		w.st.setProgress(progress)
		s.queue.ran(w)
		return end
	}
	s.queue.remove(w)
	s.finish(w, err)
	return end
}

func (s *Scheduler) overrun(w *work, d time.Duration) {
	o := Overrun{Task: w.name, Kind: w.kind, Step: w.steps, Duration: d}
	s.stats.Overruns++
	s.stats.LastOverrun = o
	if s.opts.OnOverrun != nil {
		s.onOverrun(o)
	}
}

// onOverrun calls Options.OnOverrun, logging a panic instead of letting it
// out of Run in the middle of a frame.
func (s *Scheduler) onOverrun(o Overrun) {
	defer func() {
		if r := recover(); r != nil {
			s.opts.Logger.Error("workslicer: OnOverrun panicked", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
		}
	}()
	s.opts.OnOverrun(o)
}

// finish settles work that ran to its end.
func (s *Scheduler) finish(w *work, err error) {
	if w.st.ctx.Err() != nil {
		err = context.Cause(w.st.ctx) // cancellation wins, as in fetchStage
	}
	s.logPanic(err, "step", w.steps)
	if err == nil && w.st.key != "" {
		s.timeStages(w.st)
	}
	s.settled(w.st, w.done, w.stage(), w.steps, err)
}

// settled settles st's handle with err through settle, forgets a failed
// load, like ended, and tells OnFailure about the failure, unless the work
// was cancelled or err is Expected. Cancellation is judged before the
// handle settles: a game that releases a handle as soon as it is done
// cancels it then, and must not hide the failure that ended it.
func (s *Scheduler) settled(st *state, settle func(error) bool, stage string, step int, err error) {
	report := err != nil && s.opts.OnFailure != nil && st.ctx.Err() == nil && !isExpected(err)
	settled := settle(err)
	s.ended(st, settled)
	if !settled || !report {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.opts.Logger.Error("workslicer: OnFailure panicked", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
		}
	}()
	s.opts.OnFailure(Failure{Task: st.name, Kind: st.kind, Stage: stage, Step: step, Err: err})
}

// logPanic logs err if it is a panic; the error also reaches the handle,
// but nobody may be looking at it.
func (s *Scheduler) logPanic(err error, attrs ...any) {
	var pe *PanicError
	if errors.As(err, &pe) {
		attrs = append(attrs, slog.String("task", pe.Task), slog.Any("panic", pe.Value), slog.String("stack", string(pe.Stack)))
		s.opts.Logger.Error("workslicer: task panicked", attrs...)
	}
}

// stopWork ends cancelled work at its yield point with cause.
func (s *Scheduler) stopWork(w *work, cause error) {
	if w.stop != nil {
		s.running.Store(w) // the rest of Body runs now
		s.inside = w
		w.stop()
		s.inside = nil
		s.running.Store(nil)
		w.next, w.stop = nil, nil
	}
	s.ended(w.st, w.st.fail(cause))
}

// ended forgets a load that failed, so that the next Load of its key
// starts afresh. settled reports whether this call settled st.
func (s *Scheduler) ended(st *state, settled bool) {
	if !settled || st.key == "" || st.err == nil {
		return
	}
	s.mu.Lock()
	if ref, ok := s.loads[st.key]; ok && ref.st == st {
		delete(s.loads, st.key)
	}
	s.mu.Unlock()
}

// release drops one handle's reference to st, cancelling unfinished work
// when it was the last.
func (s *Scheduler) release(st *state) {
	s.mu.Lock()
	st.refs--
	if st.refs > 0 {
		s.mu.Unlock()
		return
	}
	if ref, ok := s.loads[st.key]; ok && ref.st == st {
		delete(s.loads, st.key)
	}
	f := st.fetch.Load()
	waiting := f != nil
	if waiting {
		s.unqueueFetch(f)
	}
	// Cancelled under s.mu so that a finished Fetch either sees the
	// cancellation or is queued before reap looks.
	st.cancel(ErrReleased)
	if !st.ended.Load() { // ended work is queued no more: nothing to reap
		s.cancels.Add(1)
	}
	s.mu.Unlock()
	if waiting {
		s.fetching.Add(-1)
		st.fail(ErrReleased)
	}
}
