package ebitenwatch

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/workslicer"
)

// NewScheduler returns a workslicer Scheduler made with o whose failed and
// stalled loads the Watcher reports: its OnFailure and OnStalled call o's
// own hooks, if set, and then report a Load Failed (unless the game marked
// the error workslicer.Expected) or a Loading Stalled event, with the
// stacks of the goroutines running a stalled load's Fetch. A load whose
// Fetch still waits for a worker is not reported: the loads ahead of it
// are. The reports are
// made on a goroutine of the Watcher's, so the hooks do not wait for the
// disk. The Watcher runs the Scheduler after every Update and ends its
// frame after each Draw, as it does Options.Scheduler, which must then be
// nil. Call it before Wrap or RunGame's game runs, from one goroutine.
func (w *Watcher) NewScheduler(o workslicer.Options) (*workslicer.Scheduler, error) {
	if w.sched.Load() != nil {
		return nil, errors.New("ebitenwatch: NewScheduler: the Watcher already has a Scheduler (Options.Scheduler or an earlier NewScheduler)")
	}
	gameFailure, gameStalled := o.OnFailure, o.OnStalled
	o.OnFailure = func(f workslicer.Failure) {
		if gameFailure != nil {
			gameFailure(f)
		}
		w.loadFailed(f)
	}
	o.OnStalled = func(s workslicer.Stalled) {
		if gameStalled != nil {
			gameStalled(s)
		}
		w.loadStalled(s)
	}
	s, err := workslicer.New(o)
	if err != nil {
		return nil, err
	}
	w.sched.Store(s)
	return s, nil
}

// loadFailed reports a failure that OnFailure heard of: on a worker for
// Fetch, on the game goroutine otherwise.
func (w *Watcher) loadFailed(f workslicer.Failure) {
	lf := report.LoadFailure{Key: f.Task, Kind: f.Kind, Stage: f.Stage, Step: f.Step, Err: f.Err}
	var pe *workslicer.PanicError
	if errors.As(f.Err, &pe) {
		lf.Panic, lf.PanicStack = pe.Value, pe.Stack
	}
	w.loads.count(func(c *loadCounts) { c.failed++ })
	w.bg.do(func() { w.rep.ReportLoadFailed(lf) })
}

// loadStalled reports a stall that OnStalled heard of, on the game
// goroutine; the worker stacks are taken on the background goroutine. A
// Fetch that no goroutine runs by then has ended since: it is not
// reported.
func (w *Watcher) loadStalled(s workslicer.Stalled) {
	w.bg.do(func() {
		ls := report.LoadStall{Key: s.Task, Kind: s.Kind, Stage: s.Stage, Progress: s.Progress, For: s.For}
		if s.Stage == "Fetch" {
			if ls.Workers = loadWorkers(s.Task, w.opts.Report.InApp); len(ls.Workers) == 0 {
				w.opts.Logger.Debug("framewatch: a stalled load's Fetch ended before its report", "key", s.Task, "for", s.For)
				return
			}
		}
		w.loads.count(func(c *loadCounts) { c.stalled++ })
		w.rep.ReportLoadStalled(ls)
	})
}

// Unusable tells the Watcher that the player cannot go on for a reason
// that is not a frame, such as "disconnected" from the game's server,
// with the error that caused it. The first call reports a Game Unusable
// event ("Game Unusable: disconnected: <err>"); later calls before Usable
// are only logged. Stats.Unusable counts the times the game became
// unusable, so a session with any counts as errored. The report is made
// on a goroutine of the Watcher's: Unusable does not wait. Safe from any
// goroutine.
func (w *Watcher) Unusable(reason string, err error) {
	w.loads.mu.Lock()
	defer w.loads.mu.Unlock()
	if w.loads.unusableSince != (time.Time{}) {
		w.opts.Logger.Info("framewatch: still unusable", "reason", reason, "err", err, "since", w.loads.unusableReason)
		return
	}
	w.loads.unusableSince, w.loads.unusableReason = time.Now(), reason
	w.loads.unusable++
	w.opts.Logger.Warn("framewatch: game unusable", "reason", reason, "err", err)
	w.bg.do(func() { w.rep.ReportUnusable(reason, err) })
}

// Usable ends what Unusable began: the game recovered. It logs how long
// the game was unusable and adds it to Stats.UnusableFor. Without an
// Unusable before it, it does nothing. Safe from any goroutine.
func (w *Watcher) Usable() {
	w.loads.mu.Lock()
	defer w.loads.mu.Unlock()
	if w.loads.unusableSince == (time.Time{}) {
		return
	}
	d := time.Since(w.loads.unusableSince)
	w.loads.unusableFor += d
	w.opts.Logger.Info("framewatch: game usable again", "reason", w.loads.unusableReason, "lasted", d)
	w.loads.unusableSince, w.loads.unusableReason = time.Time{}, ""
}

// loadCounts are the counts behind Stats' load and unusable fields.
type loadCounts struct {
	mu             sync.Mutex
	failed         int
	stalled        int
	unusable       int
	unusableFor    time.Duration // ended spans only
	unusableSince  time.Time     // zero while usable
	unusableReason string
}

func (c *loadCounts) count(f func(*loadCounts)) {
	c.mu.Lock()
	f(c)
	c.mu.Unlock()
}

// fill copies the counts into st.
func (c *loadCounts) fill(st *Stats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st.LoadsFailed, st.LoadsStalled, st.Unusable = c.failed, c.stalled, c.unusable
	st.UnusableFor = c.unusableFor
	if !c.unusableSince.IsZero() {
		st.UnusableNow = true
		st.UnusableFor += time.Since(c.unusableSince)
	}
}

// background runs reports off the caller's goroutine, one at a time, in
// order. Close runs what is queued and stops it.
type background struct {
	log    *slog.Logger
	mu     sync.Mutex
	closed bool
	jobs   chan func()
	done   chan struct{}
}

const backgroundQueue = 64 // reports waiting; more are dropped and logged

func newBackground(log *slog.Logger) *background {
	b := &background{log: log, jobs: make(chan func(), backgroundQueue), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		for f := range b.jobs {
			f()
		}
	}()
	return b
}

// do queues f; when the queue is full or closed, f is dropped and logged.
func (b *background) do(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		select {
		case b.jobs <- f:
			return
		default:
		}
	}
	b.log.Warn("framewatch: report dropped: too many waiting, or the Watcher is closed")
}

func (b *background) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.jobs)
	}
	b.mu.Unlock()
	<-b.done
}
