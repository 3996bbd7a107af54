package watchdog_test

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// recorder is a Sink that keeps what it receives, stamped with the
// (possibly fake) time it arrived.
type recorder struct {
	mu      sync.Mutex
	started []*watchdog.Stall
	updated []*watchdog.Stall
	ended   []*watchdog.Stall
	at      []time.Time // arrival of each StallStarted
	endedCh chan *watchdog.Stall
}

func newRecorder() *recorder { return &recorder{endedCh: make(chan *watchdog.Stall, 16)} }

func (r *recorder) StallStarted(s *watchdog.Stall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, s)
	r.at = append(r.at, time.Now())
}

func (r *recorder) StallUpdated(s *watchdog.Stall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updated = append(r.updated, s)
}

func (r *recorder) StallEnded(s *watchdog.Stall) {
	r.mu.Lock()
	r.ended = append(r.ended, s)
	r.mu.Unlock()
	r.endedCh <- s
}

// sampled reports whether a stall in progress was passed on with stacks.
func (r *recorder) sampled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range append(r.started, r.updated...) {
		if len(s.Stacks) > 0 {
			return true
		}
	}
	return false
}

func (r *recorder) counts() (started, ended int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.started), len(r.ended)
}

// loop drives a watchdog the way a game loop does.
type loop struct {
	w    *watchdog.Watchdog
	tick uint64
}

// frame runs one Update phase that takes d.
func (l *loop) frame(d time.Duration) {
	l.tick++
	l.w.Enter(watchdog.PhaseUpdate, l.tick)
	time.Sleep(d)
	l.w.Exit()
}

// frames runs n frames of d each.
func (l *loop) frames(n int, d time.Duration) {
	for range n {
		l.frame(d)
	}
}

func newWatchdog(t *testing.T, o watchdog.Options) (*watchdog.Watchdog, *recorder) {
	t.Helper()
	r := newRecorder()
	if o.Sink == nil {
		o.Sink = r
	}
	w, err := watchdog.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, r
}

// The time before the first beat, such as creating the window, is not
// the first frame's.
func TestStartUpIsNotAFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, r := newWatchdog(t, watchdog.Options{})
		time.Sleep(3 * time.Second)
		l := &loop{w: w}
		l.frames(30, 16*time.Millisecond)
		synctest.Wait()
		w.Close()
		st := w.Stats()
		if st.Hangs != 0 || st.FrozenFrames != 0 || st.Hitches != 0 || st.Max > 50*time.Millisecond {
			t.Errorf("stats %+v: start-up was counted as a frame", st)
		}
		if st.Frames < 28 {
			t.Errorf("frames = %d, want the 29 between 30 ticks (28 if the first tick came before the watchdog's first look)", st.Frames)
		}
		if n, _ := r.counts(); n != 0 {
			t.Errorf("%d stalls reported, want none", n)
		}
	})
}

func TestTiersAndThresholds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, r := newWatchdog(t, watchdog.Options{})
		l := &loop{w: w}
		l.frames(10, 16*time.Millisecond)
		l.frame(300 * time.Millisecond) // hitch: counted, not reported
		l.frame(1200 * time.Millisecond)
		l.frame(3 * time.Second)
		l.frames(5, 16*time.Millisecond)
		synctest.Wait()
		w.Close()

		if len(r.ended) != 2 {
			t.Fatalf("got %d ended stalls, want 2 (the 1.2 s and 3 s frames)", len(r.ended))
		}
		frozen, hang := r.ended[0], r.ended[1]
		if frozen.Tier != watchdog.TierFrozen || hang.Tier != watchdog.TierHang {
			t.Errorf("tiers = %v, %v; want frozen, hang", frozen.Tier, hang.Tier)
		}
		for _, c := range []struct {
			s    *watchdog.Stall
			real time.Duration
		}{{frozen, 1200 * time.Millisecond}, {hang, 3 * time.Second}} {
			// Duration is a lower bound accurate to one check interval.
			if c.s.Duration > c.real || c.s.Duration < c.real-2*watchdog.DefaultHitch/10 {
				t.Errorf("stall of %v measured as %v", c.real, c.s.Duration)
			}
			if c.s.Phase != watchdog.PhaseUpdate || !c.s.Ended {
				t.Errorf("stall %+v: want an ended Update stall", c.s.Phase)
			}
		}
		st := w.Stats()
		if st.Hitches != 1 || st.FrozenFrames != 1 || st.Hangs != 1 || st.Stalls != 2 {
			t.Errorf("stats = %+v; want 1 hitch, 1 frozen, 1 hang, 2 stalls", st)
		}
		if st.Max < 2900*time.Millisecond || st.Max > 3100*time.Millisecond {
			t.Errorf("max frame = %v, want about 3 s", st.Max)
		}
		if st.P50 < 10*time.Millisecond || st.P50 > 30*time.Millisecond {
			t.Errorf("p50 = %v, want about 16 ms", st.P50)
		}
	})
}

// TestCloseEndsAFinishedStall closes the watchdog right after a frozen
// frame ends, before its next check: the stall is ended, not left in
// progress as if the game had been closed while stuck.
func TestCloseEndsAFinishedStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, r := newWatchdog(t, watchdog.Options{})
		l := &loop{w: w}
		l.frames(3, 16*time.Millisecond)
		l.frame(1200 * time.Millisecond)
		w.Close()
		if started, ended := r.counts(); started != 1 || ended != 1 {
			t.Errorf("after Close: %d stalls started, %d ended; want 1 and 1", started, ended)
		}
	})
}

// TestCloseLeavesAStuckStall closes the watchdog while a phase is still
// blocked: the stall stays in progress for the sink to treat as fatal.
func TestCloseLeavesAStuckStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, r := newWatchdog(t, watchdog.Options{})
		l := &loop{w: w}
		l.frames(3, 16*time.Millisecond)
		w.Enter(watchdog.PhaseUpdate, 4)
		time.Sleep(1200 * time.Millisecond)
		w.Close()
		w.Exit()
		if started, ended := r.counts(); started != 1 || ended != 0 {
			t.Errorf("after Close: %d stalls started, %d ended; want 1 and 0", started, ended)
		}
	})
}

func TestDetectionLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, r := newWatchdog(t, watchdog.Options{})
		l := &loop{w: w}
		l.frames(3, 16*time.Millisecond)
		start := time.Now()
		l.frame(5 * time.Second)
		synctest.Wait()
		if len(r.at) != 1 {
			t.Fatalf("got %d StallStarted, want 1", len(r.at))
		}
		latency := r.at[0].Sub(start)
		if limit := watchdog.DefaultFrozen * 11 / 10; latency > limit {
			t.Errorf("stall seen after %v, want within %v", latency, limit)
		}
		if latency < watchdog.DefaultFrozen {
			t.Errorf("stall seen after %v, before the threshold", latency)
		}
	})
}

func TestPauseStopsTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, r := newWatchdog(t, watchdog.Options{})
		l := &loop{w: w}
		l.frames(3, 16*time.Millisecond)

		// A native dialog blocks the frame for 10 s, wrapped in Pause.
		l.tick++
		w.Enter(watchdog.PhaseUpdate, l.tick)
		w.Pause()
		time.Sleep(10 * time.Second)
		w.Resume()
		time.Sleep(100 * time.Millisecond)
		w.Exit()

		synctest.Wait()
		if n, _ := r.counts(); n != 0 {
			t.Errorf("Pause/Resume: %d stalls reported, want 0", n)
		}

		// Paused time does not count, but time after Resume does.
		l.tick++
		w.Enter(watchdog.PhaseUpdate, l.tick)
		w.Pause()
		time.Sleep(5 * time.Second)
		w.Resume()
		time.Sleep(time.Second)
		w.Exit()
		l.frames(3, 16*time.Millisecond)
		synctest.Wait()
		if _, n := r.counts(); n != 1 {
			t.Fatalf("%d stalls after a 1 s unpaused block, want 1", n)
		}
		if d := r.ended[0].Duration; d > 1100*time.Millisecond {
			t.Errorf("duration %v includes paused time", d)
		}
	})
}

func TestPausedOption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var paused sync.Mutex
		external := false
		w2, r2 := newWatchdog(t, watchdog.Options{Paused: func(watchdog.Phase) bool {
			paused.Lock()
			defer paused.Unlock()
			return external
		}})
		l2 := &loop{w: w2}
		l2.frames(3, 16*time.Millisecond)
		paused.Lock()
		external = true
		paused.Unlock()
		l2.frame(5 * time.Second)
		paused.Lock()
		external = false
		paused.Unlock()
		l2.frames(3, 16*time.Millisecond)
		synctest.Wait()
		if n, _ := r2.counts(); n != 0 {
			t.Errorf("Options.Paused: %d stalls reported, want 0", n)
		}
	})
}

func TestStartupGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, r := newWatchdog(t, watchdog.Options{})
		l := &loop{w: w}
		l.frame(3 * time.Second) // loading in the first frame
		l.frames(3, 16*time.Millisecond)
		synctest.Wait()
		if n, _ := r.counts(); n != 0 {
			t.Errorf("first frame reported %d times; start-up is not a stall", n)
		}

		w2, r2 := newWatchdog(t, watchdog.Options{ReportFirstFrame: true})
		l2 := &loop{w: w2}
		l2.frame(3 * time.Second)
		synctest.Wait()
		if n, _ := r2.counts(); n != 1 {
			t.Errorf("with ReportFirstFrame: %d reports, want 1", n)
		}
	})
}

func TestIdleStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, r := newWatchdog(t, watchdog.Options{})
		l := &loop{w: w}
		l.frames(3, 16*time.Millisecond)
		// The loop blocks outside any phase, as an engine does while it
		// uploads textures after Draw.
		time.Sleep(time.Second)
		l.frames(3, 16*time.Millisecond)
		synctest.Wait()
		if len(r.ended) != 1 || r.ended[0].Phase != watchdog.PhaseIdle {
			t.Fatalf("ended = %v, want one Idle stall", r.ended)
		}
	})
}

func TestOptionsValidation(t *testing.T) {
	cases := []struct {
		o     watchdog.Options
		field string
	}{
		{watchdog.Options{Hitch: -1}, "Hitch"},
		{watchdog.Options{Frozen: -time.Second}, "Frozen"},
		{watchdog.Options{Hang: -1}, "Hang"},
		{watchdog.Options{SampleInterval: -1}, "SampleInterval"},
		{watchdog.Options{CheckInterval: -1}, "CheckInterval"},
		{watchdog.Options{Hang: 500 * time.Millisecond}, "Hang"},
		{watchdog.Options{Hitch: time.Second}, "Hitch"},
		{watchdog.Options{SampleInterval: time.Second}, "SampleInterval"},
		{watchdog.Options{CheckInterval: 100 * time.Millisecond}, "CheckInterval"},
		{watchdog.Options{MaxStacks: -2}, "MaxStacks"},
		{watchdog.Options{MaxSamples: -2}, "MaxSamples"},
		{watchdog.Options{MaxDumpGoroutines: -1}, "MaxDumpGoroutines"},
		{watchdog.Options{MaxDumpBytes: -1}, "MaxDumpBytes"},
		// Durations written as if they counted milliseconds.
		{watchdog.Options{Hitch: 9}, "Hitch"},
		{watchdog.Options{Frozen: 700}, "Frozen"},
		{watchdog.Options{Hang: 2000}, "Hang"},
		{watchdog.Options{SampleInterval: 100}, "SampleInterval"},
		{watchdog.Options{CheckInterval: 500 * time.Microsecond}, "CheckInterval"},
	}
	for _, c := range cases {
		w, err := watchdog.New(c.o)
		if err == nil {
			w.Close()
			t.Errorf("New(%+v) succeeded, want an error naming %s", c.o, c.field)
			continue
		}
		if !strings.Contains(err.Error(), "Options."+c.field) || (c.o.Hitch == 9 && !strings.Contains(err.Error(), "9ns")) {
			t.Errorf("New(%+v) error %q does not name Options.%s", c.o, err, c.field)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Stats grade frames as stalls are graded, so its counts agree with the
// stalls a sink saw end, whatever the phases of a freeze: a tick whose
// Update and Draw both freeze, a hang in Draw, one between phases, and a
// hitch next to a frozen frame.
func TestStatsAgreeWithStalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, r := newWatchdog(t, watchdog.Options{})
		l := &loop{w: w}
		l.frames(3, 16*time.Millisecond)
		phase := func(p watchdog.Phase, d time.Duration) {
			w.Enter(p, l.tick)
			time.Sleep(d)
			w.Exit()
		}
		l.tick++
		phase(watchdog.PhaseUpdate, 800*time.Millisecond)
		phase(watchdog.PhaseDraw, 2500*time.Millisecond)
		l.tick++
		phase(watchdog.PhaseUpdate, 300*time.Millisecond)
		phase(watchdog.PhaseDraw, 900*time.Millisecond)
		time.Sleep(2200 * time.Millisecond) // between phases
		l.frames(3, 16*time.Millisecond)
		synctest.Wait()
		w.Close()

		var frozen, hangs uint64
		for _, s := range r.ended {
			switch s.Tier {
			case watchdog.TierFrozen:
				frozen++
			case watchdog.TierHang:
				hangs++
			}
		}
		if frozen != 2 || hangs != 2 {
			t.Errorf("stalls ended: %d frozen, %d hangs; want 2 and 2", frozen, hangs)
		}
		st := w.Stats()
		if st.FrozenFrames != frozen || st.Hangs != hangs || st.Hitches != 1 {
			t.Errorf("Stats count %d frozen, %d hangs, %d hitches; the stalls were %d frozen, %d hangs, and one hitch", st.FrozenFrames, st.Hangs, st.Hitches, frozen, hangs)
		}
	})
}
