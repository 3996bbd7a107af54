package watchdog

import (
	"bytes"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"
)

// These tests drive the watchdog's checks with explicit times, to model a
// watchdog that wakes late: something synctest's clock cannot do, since it
// never lets a ready goroutine fall behind.

type countingSink struct{ started, updated, ended []*Stall }

func (s *countingSink) StallStarted(st *Stall) { s.started = append(s.started, st) }
func (s *countingSink) StallUpdated(st *Stall) { s.updated = append(s.updated, st) }
func (s *countingSink) StallEnded(st *Stall)   { s.ended = append(s.ended, st) }

func newTestChecker(t *testing.T) (*Watchdog, *checker, *countingSink) {
	sink := &countingSink{}
	opts, err := Options{Sink: sink}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	w := &Watchdog{opts: opts}
	c := newChecker(w)
	return w, c, sink
}

// completeFrames has the checker see a few finished frames, then the game
// enter an Update that does not return.
func completeFrames(w *Watchdog, c *checker, now time.Time) time.Time {
	for tick := uint64(1); tick <= 3; tick++ {
		w.Enter(PhaseUpdate, tick)
		c.check(now)
		w.Exit()
		now = now.Add(16 * time.Millisecond)
	}
	w.Enter(PhaseUpdate, 4)
	c.check(now)
	return now
}

// startStall has the checker see a few finished frames, then the game
// stuck in an Update for 900 ms, long enough to start a stall.
func startStall(t *testing.T, w *Watchdog, c *checker) time.Time {
	t.Helper()
	now := completeFrames(w, c, time.Now())
	for range 3 {
		now = now.Add(300 * time.Millisecond)
		c.check(now)
	}
	if c.stall == nil {
		t.Fatal("no stall started")
	}
	return now
}

func TestSuspendIsClamped(t *testing.T) {
	w, c, sink := newTestChecker(t)
	now := completeFrames(w, c, time.Now())
	// The machine sleeps for an hour mid-frame; the watchdog's next check
	// comes an hour late, then the frame ends promptly.
	now = now.Add(10 * time.Millisecond)
	c.check(now)
	now = now.Add(time.Hour)
	c.check(now)
	w.Exit()
	c.check(now.Add(10 * time.Millisecond))
	if len(sink.started) != 0 {
		t.Errorf("an hour's suspend produced %d stalls, want 0", len(sink.started))
	}
}

func TestThrashingStallStillReported(t *testing.T) {
	w, c, sink := newTestChecker(t)
	now := completeFrames(w, c, time.Now())
	// A real 5 s stall on a thrashing machine where each of the watchdog's
	// wake-ups is 300 ms late.
	end := now.Add(5 * time.Second)
	for now.Before(end) {
		now = now.Add(310 * time.Millisecond)
		c.check(now)
	}
	w.Exit()
	c.check(now.Add(10 * time.Millisecond))
	if len(sink.ended) != 1 {
		t.Fatalf("got %d stalls, want 1", len(sink.ended))
	}
	if s := sink.ended[0]; s.Tier != TierHang {
		t.Errorf("tier %v after a 5 s stall, want hang (measured %v)", s.Tier, s.Duration)
	}
}

func TestStallMemoryIsBounded(t *testing.T) {
	w, c, _ := newTestChecker(t)
	now := startStall(t, w, c)
	// Feed far more distinct stacks than MaxStacks, as a ten-minute stall
	// moving through many call paths would.
	for i := range 10 * DefaultMaxSamples {
		c.stall.fold([]Frame{{Function: "main.f", Line: i}}, "running", nil, c.opts.MaxStacks)
	}
	if n := len(c.stall.Stacks); n != DefaultMaxStacks {
		t.Errorf("kept %d distinct stacks, want the cap %d", n, DefaultMaxStacks)
	}
	// Sampling stops at MaxSamples however long the stall lasts.
	for range 2 * DefaultMaxSamples {
		now = now.Add(c.opts.SampleInterval)
		c.stall.Samples = max(c.stall.Samples, c.opts.MaxSamples)
		c.check(now)
	}
	if c.stall.Samples > c.opts.MaxSamples {
		t.Errorf("took %d samples, want at most %d", c.stall.Samples, c.opts.MaxSamples)
	}
}

// Exit records the callers at the first Exit and then once every
// recordEvery phases, no more often.
func TestCallersRecordedEveryRecordEvery(t *testing.T) {
	w, _, _ := newTestChecker(t)
	w.Enter(PhaseUpdate, 1)
	w.Exit()
	if w.callers.Load() == nil {
		t.Fatal("the first Exit did not record the callers")
	}
	w.callers.Store(nil)
	for i := 1; i <= recordEvery; i++ {
		w.Enter(PhaseUpdate, uint64(i))
		w.Exit()
		if recorded := w.callers.Load() != nil; recorded != (i == recordEvery) {
			t.Fatalf("after %d more phases, recorded = %v; want a recording at %d only", i, recorded, recordEvery)
		}
	}
}

// A bug in the watchdog's own checks is logged and never crashes the game.
func TestCheckPanicIsLogged(t *testing.T) {
	w, c, _ := newTestChecker(t)
	var logs bytes.Buffer
	c.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	now := startStall(t, w, c)
	c.stall.stacks = nil // as a bug might leave it: the next sample panics
	c.safely(func() { c.check(now.Add(time.Second)) })
	if !strings.Contains(logs.String(), "check panicked") || !strings.Contains(logs.String(), "assignment to entry in nil map") {
		t.Errorf("the panic was not logged:\n%s", logs.String())
	}
}

// A stall in progress is passed on again at least every UpdateInterval,
// and at once when it becomes a hang, with the duration so far.
func TestStallUpdatedWhileItLasts(t *testing.T) {
	w, c, sink := newTestChecker(t)
	now := startStall(t, w, c)
	start := now
	for now.Sub(start) < 5*time.Second {
		now = now.Add(50 * time.Millisecond)
		c.check(now)
	}
	if len(sink.updated) < 4 {
		t.Fatalf("%d updates over 5 s of a stall, want at least 4", len(sink.updated))
	}
	var hangAt = -1
	for i, u := range sink.updated {
		if u.ID != sink.started[0].ID || u.Ended {
			t.Fatalf("update %d: stall %d ended=%v, want stall %d in progress", i, u.ID, u.Ended, sink.started[0].ID)
		}
		if i > 0 && u.Duration <= sink.updated[i-1].Duration {
			t.Errorf("update %d: duration %v did not grow from %v", i, u.Duration, sink.updated[i-1].Duration)
		}
		if hangAt < 0 && u.Tier == TierHang {
			hangAt = i
		}
	}
	if hangAt < 0 {
		t.Fatal("no update reported the hang")
	}
	// The update that first says hang comes at the first check past Hang.
	if d := sink.updated[hangAt].Duration; d >= c.opts.Hang+50*time.Millisecond {
		t.Errorf("the hang was passed on at %v, more than one check after Hang (%v)", d, c.opts.Hang)
	}
	if len(sink.ended) != 0 {
		t.Errorf("%d StallEnded while the stall lasts", len(sink.ended))
	}
}

// A dump's buffer is sized from the last dump, so that with many
// goroutines one stop of the world is enough instead of one per doubling
// of a small buffer.
func TestDumpBufferSizedFromLastDump(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	for range 10000 {
		go deepPark(6, stop)
	}
	_, c, _ := newTestChecker(t)
	s := c.samples.s
	first := s.dump(runtime.NumGoroutine())
	if s.dumpPasses > 2 {
		t.Errorf("the first dump of %d bytes took %d passes, want at most 2", len(first), s.dumpPasses)
	}
	for range 3 {
		s.dumpPasses = 0
		d := s.dump(runtime.NumGoroutine())
		if s.dumpPasses != 1 || len(d) < len(first)*9/10 {
			t.Errorf("a later dump of %d bytes took %d passes, want 1", len(d), s.dumpPasses)
		}
		if cap(d) > 2*len(d) {
			t.Errorf("a dump of %d bytes keeps a buffer of %d", len(d), cap(d))
		}
	}
}

func deepPark(depth int, stop <-chan struct{}) {
	if depth == 0 {
		<-stop
		return
	}
	deepPark(depth-1, stop)
}
