package ebitenwatch

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/guardian"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/framewatch/framewatch/workslicer"
	"github.com/hajimehoshi/ebiten/v2"
)

// Watcher watches the games it wraps for frames that block too long and
// reports them. Create it with New, wrap the game with Wrap, and Close it
// when the game ends. RunGame does all three.
type Watcher struct {
	opts  Options
	wd    *watchdog.Watchdog
	rep   *report.Reporter
	sched atomic.Pointer[workslicer.Scheduler] // set before the game runs
	loads loadCounts
	bg    *background        // makes the reports of loads and Unusable
	guard *guardian.Guardian // nil when off or not started
	ov    *overlay           // nil unless Options.Overlay
	tick  uint64             // ebiten.Tick() at the last Update; game goroutine only

	// suspended is kept by a poller goroutine, because ebiten.IsFocused
	// waits for the main thread, which may be busy for a long time.
	suspended atomic.Bool
	stopPoll  chan struct{}
	polled    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New starts a Watcher: its watchdog goroutine, its reporter (which sends
// spooled reports from earlier runs), and a goroutine that polls window
// focus. It returns an error naming the field if opts is invalid.
func New(opts Options) (*Watcher, error) {
	opts, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	if opts.Report.InApp.IsZero() {
		opts.Report.InApp = opts.Watchdog.InApp
	}
	if opts.Report.EbitenVersion == "" {
		opts.Report.EbitenVersion = ebitenVersion()
	}
	opts.Report.Session = !opts.NoSession
	w := &Watcher{
		opts:     opts,
		stopPoll: make(chan struct{}),
		polled:   make(chan struct{}),
	}
	// The watchdog first: it checks its options before the reporter touches
	// the spool. It sees no beat, so calls no sink, before Wrap.
	wo := opts.Watchdog
	wo.Sink = (*sink)(w)
	wo.SampleTags = (*sink)(w).sampleTags
	wo.Paused = w.paused
	if w.wd, err = watchdog.New(wo); err != nil {
		return nil, fmt.Errorf("ebitenwatch: Options.Watchdog: %w", err)
	}
	w.opts.Report.Vitals = w.vitals
	if w.rep, err = report.New(w.opts.Report); err != nil {
		w.wd.Close()
		return nil, fmt.Errorf("ebitenwatch: Options.Report: %w", err)
	}
	if opts.Overlay {
		w.ov = newOverlay(w)
	}
	if opts.Scheduler != nil {
		w.sched.Store(opts.Scheduler)
	}
	w.bg = newBackground(opts.Logger)
	w.guard = startGuardian(opts, w.rep, w.wd)
	go w.pollFocus()
	return w, nil
}

// Wrap returns a game that behaves exactly like g, beating the watchdog
// around its Update, Draw and Layout. It implements ebiten.LayoutFer and
// ebiten.FinalScreenDrawer exactly when g does. Errors from g's Update,
// ebiten.Termination included, pass through unchanged; a panic is reported,
// flushed and re-raised with the same value.
//
// Wrap one game per Watcher: two games would beat one watchdog.
func (w *Watcher) Wrap(g ebiten.Game) ebiten.Game {
	return wrap(w, g)
}

// RunGame wraps g in a new Watcher, runs it with ebiten.RunGame, and closes
// the Watcher, flushing reports, when the game ends. While it runs, SIGINT
// and SIGTERM flush an in-progress stall report before the process exits
// as it would have (see Watcher.FlushOnSignal). Call it from the main goroutine, like ebiten.RunGame.
func RunGame(g ebiten.Game, opts Options) error {
	w, err := New(opts)
	if err != nil {
		return err
	}
	stop := w.FlushOnSignal()
	defer stop()
	runErr := ebiten.RunGame(w.Wrap(g))
	return errors.Join(runErr, w.Close())
}

// FlushOnSignal makes SIGINT and SIGTERM (on Windows, Ctrl+C) report a
// stall in progress as a Fatal App Hang and flush reports, for at most
// Report.FlushTimeout, before the process exits as the signal would have
// made it; a second signal exits at once. Signals ignored when the program
// started stay ignored. RunGame does this for you; call it after New when
// you run the game yourself, and call stop to undo it. Safe from any
// goroutine. See report.Reporter.FlushOnSignal.
func (w *Watcher) FlushOnSignal() (stop func()) { return w.rep.FlushOnSignal() }

// Pause stops frames from counting as stalls until Resume, for deliberate
// blocking such as a native dialog. Pauses nest. Safe from any goroutine.
func (w *Watcher) Pause() { w.wd.Pause() }

// Resume ends a Pause. Safe from any goroutine.
func (w *Watcher) Resume() { w.wd.Resume() }

// Blocking runs f with the watchdog paused: for calls that block the game
// on purpose, such as a native file dialog.
func (w *Watcher) Blocking(f func()) {
	w.Pause()
	defer w.Resume()
	f()
}

// Stats are the session's frame statistics and report counters.
type Stats struct {
	watchdog.Stats
	Reports report.Stats // what the reporter has spooled, sent and dropped

	LoadsFailed  int           // failures of a NewScheduler's loads and tasks, Expected ones not counted
	LoadsStalled int           // stalls of a NewScheduler's loads and tasks that were reported
	Unusable     int           // times the game became unusable (Watcher.Unusable): an errored session
	UnusableNow  bool          // Unusable without Usable since
	UnusableFor  time.Duration // how long the game was unusable, in all
}

// Stats returns the session's statistics so far. Safe from any goroutine.
func (w *Watcher) Stats() Stats {
	st := Stats{Stats: w.wd.Stats(), Reports: w.rep.Stats()}
	w.loads.fill(&st)
	return st
}

// Close stops watching, logs a session summary, and closes the reporter: a
// stall still in progress is reported as a fatal hang, and with a DSN,
// reports are flushed for at most Report.FlushTimeout (2 s by default);
// what is not delivered stays in the spool for the next run. Safe to call
// more than once and from any goroutine.
func (w *Watcher) Close() error {
	w.closeOnce.Do(func() {
		close(w.stopPoll)
		<-w.polled
		w.closeErr = w.wd.Close()
		w.bg.close()
		st, v := w.Stats(), w.vitals()
		w.opts.Logger.Info("framewatch: session summary",
			"frames", st.Frames, "slow", v.SlowFrames, "slow_budget", v.SlowBudget,
			"hitches", st.Hitches, "frozen", st.FrozenFrames, "hangs", st.Hangs,
			"p50", st.P50, "p99", st.P99, "max", st.Max, "longest_stall", st.Reports.LongestStall,
			"reports", st.Reports.Sent+st.Reports.Spooled,
			"loads_failed", st.LoadsFailed, "loads_stalled", st.LoadsStalled,
			"unusable", st.Unusable, "unusable_for", st.UnusableFor,
			"hitch_culprits", hitchSummary(w.wd.HitchCulprits(nil, watchdog.MaxStallHitches)))
		w.closeErr = errors.Join(w.closeErr, w.rep.Close())
		if w.guard != nil {
			w.guard.Close()
		}
	})
	return w.closeErr
}

// panicked reports a panic that a phase's deferred function recovered, and
// raises it again. A phase defers
//
//	ok := false
//	defer func() {
//		if !ok {
//			w.panicked(phase, recover())
//		}
//	}()
//
// and sets ok just before its exit, so that the common path does not pay
// for recover. Recover returns nil only when the phase called
// runtime.Goexit (a panic(nil) recovers as *runtime.PanicNilError): that
// is no crash, so the goroutine exits as it would without the wrapper.
func (w *Watcher) panicked(p watchdog.Phase, r any) {
	w.wd.Exit()
	if r == nil {
		return
	}
	// Reporting waits for delivery: not a stall of the game's.
	w.wd.Pause()
	w.rep.ReportPanic(r, p, debug.Stack())
	if w.guard != nil {
		w.guard.Reported() // reported: the crash output it brings is not
	}
	w.wd.Resume()
	panic(r)
}

// vitals are the session's frame vitals for the reporter. A frame is slow
// past one tick at the game's TPS, or at 60 when it syncs ticks with FPS.
// Safe from any goroutine.
func (w *Watcher) vitals() report.Vitals {
	tps := ebiten.TPS()
	if tps <= 0 {
		tps = ebiten.DefaultTPS
	}
	budget := time.Second / time.Duration(tps)
	st := w.wd.Stats()
	return report.Vitals{
		Frames: st.Frames, SlowFrames: w.wd.SlowFrames(budget), SlowBudget: budget,
		FrozenFrames: st.FrozenFrames, Hangs: st.Hangs, Hitches: st.Hitches, P50: st.P50, P99: st.P99,
	}
}

// ebitenVersion is the linked Ebitengine module version, if known.
func ebitenVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/hajimehoshi/ebiten/v2" {
				return d.Version
			}
		}
	}
	return ""
}

// hitchSummary lists hitch culprits for the session summary:
// "main.loadLevel x3 (450ms), main.save x1 (120ms)", or "none".
func hitchSummary(hs []watchdog.HitchCulprit) string {
	if len(hs) == 0 {
		return "none"
	}
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = fmt.Sprintf("%s x%d (%v)", h.Function, h.Count, h.Total.Round(time.Millisecond))
	}
	return strings.Join(parts, ", ")
}

// sink passes stalls to the reporter. Its methods run on the watchdog
// goroutine.
type sink Watcher

func (s *sink) StallStarted(st *watchdog.Stall) { s.rep.StallStarted(st) }
func (s *sink) StallUpdated(st *watchdog.Stall) { s.rep.StallUpdated(st) }
func (s *sink) StallEnded(st *watchdog.Stall)   { s.rep.StallEnded(st) }

// sampleTags names the scheduled chunk running right after each sample, so
// that a stall's workslicer tags come from the moment of its culprit
// stack (watchdog.Options.SampleTags).
func (s *sink) sampleTags() map[string]string {
	sched := s.sched.Load()
	if sched == nil {
		return nil
	}
	task, step, ok := sched.Running()
	if !ok {
		return nil
	}
	return map[string]string{"workslicer.task": task, "workslicer.step": strconv.Itoa(step)}
}
