package watchdog_test

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// parkGoroutines starts n goroutines blocked on a channel, each a few
// frames deep, and stops them when the test ends.
func parkGoroutines(t testing.TB, n int) {
	stop := make(chan struct{})
	before := runtime.NumGoroutine()
	for range n {
		go parkDeep(4, stop)
	}
	t.Cleanup(func() {
		close(stop)
		for runtime.NumGoroutine() > before+n/100 {
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func parkDeep(depth int, stop <-chan struct{}) {
	if depth == 0 {
		<-stop
		return
	}
	parkDeep(depth-1, stop)
}

// At 100,000 goroutines a stall is detected on time, measured in full,
// and the next one is not missed; it carries no dump, whose stop of the
// world would take most of a second, and keeps only its samples.
func TestManyGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 100,000 goroutines")
	}
	parkGoroutines(t, 100000)
	w, r := newWatchdog(t, watchdog.Options{})
	entered := make(chan time.Time, 2)
	go func() {
		tick := uint64(0)
		frames := func(n int) {
			for range n {
				tick++
				update(w, tick, func() { time.Sleep(10 * time.Millisecond) })
			}
		}
		frames(5)
		for _, d := range []time.Duration{3 * time.Second, 1500 * time.Millisecond} {
			tick++
			w.Enter(watchdog.PhaseUpdate, tick)
			entered <- time.Now()
			nap(d)
			w.Exit()
			frames(5)
		}
	}()
	var ended []*watchdog.Stall
	for range 2 {
		select {
		case s := <-r.endedCh:
			ended = append(ended, s)
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of 2 stalls ended within 30 s", len(ended))
		}
	}
	// A stall waiting for its sample may end after the next one.
	slices.SortFunc(ended, func(a, b *watchdog.Stall) int { return int(a.ID) - int(b.ID) })
	r.mu.Lock()
	at := r.at
	r.mu.Unlock()
	// The target is Frozen + 10%; the test allows for a loaded machine.
	for i, real := range []time.Duration{3 * time.Second, 1500 * time.Millisecond} {
		start := <-entered
		latency := at[i].Sub(start)
		s := ended[i]
		t.Logf("stall of %v: detected after %v, measured %v, %d samples", real, latency, s.Duration, s.Samples)
		if latency > 2*watchdog.DefaultFrozen {
			t.Errorf("stall %d detected after %v, want about %v", i, latency, watchdog.DefaultFrozen)
		}
		if s.Duration < real-500*time.Millisecond || s.Duration > real+500*time.Millisecond {
			t.Errorf("stall of %v measured as %v", real, s.Duration)
		}
		if s.Dump != nil || s.Goroutines != nil || s.DumpSkipped < 100000 {
			t.Errorf("dump of %d bytes, %d goroutines, skipped at %d: want none kept at 100,000 goroutines", len(s.Dump), len(s.Goroutines), s.DumpSkipped)
		}
		// A sample takes about a second here under the race detector, and
		// several on an overloaded machine: a stall may end before one is
		// taken. Whatever was sampled must be right.
		if s.Samples > 0 && (len(s.Stacks) == 0 || !strings.HasSuffix(s.Culprit.Function, ".nap") || s.Class != watchdog.ClassSleep) {
			t.Errorf("culprit %q class %v after %d samples, want sleep in nap", s.Culprit.Function, s.Class, s.Samples)
		}
	}
}

// A dump is cut at Options.MaxDumpBytes and skipped above
// Options.MaxDumpGoroutines, and the stall is sampled either way.
func TestDumpLimits(t *testing.T) {
	parkGoroutines(t, 5000)
	for _, c := range []struct {
		name string
		o    watchdog.Options
	}{
		{"bytes", watchdog.Options{MaxDumpBytes: 256 << 10}},
		{"goroutines", watchdog.Options{MaxDumpGoroutines: 1000}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := fast
			o.MaxDumpBytes, o.MaxDumpGoroutines = c.o.MaxDumpBytes, c.o.MaxDumpGoroutines
			w, r := newWatchdog(t, o)
			ch := make(chan int)
			go func() {
				warmUp(w)
				update(w, 6, func() { receive(ch) })
			}()
			waitSampled(t, r)
			ch <- 1
			s := <-r.endedCh
			if len(s.Stacks) == 0 || s.Class != watchdog.ClassChannel || !strings.HasSuffix(s.Culprit.Function, ".receive") {
				t.Errorf("class %v culprit %q, want channel in receive", s.Class, s.Culprit.Function)
			}
			switch c.name {
			case "bytes":
				if len(s.Dump) == 0 || len(s.Dump) > 256<<10 || len(s.Goroutines) >= 5000 || len(s.Goroutines) == 0 {
					t.Errorf("dump of %d bytes, %d goroutines parsed; want it cut at 256 KiB", len(s.Dump), len(s.Goroutines))
				}
			case "goroutines":
				if s.Dump != nil || s.Goroutines != nil || s.DumpSkipped < 5000 {
					t.Errorf("dump of %d bytes, %d goroutines, skipped at %d; want none above 1,000 goroutines", len(s.Dump), len(s.Goroutines), s.DumpSkipped)
				}
			}
		})
	}
}

// waitSampled waits until a stall in progress has been passed on with a
// sample.
func waitSampled(t *testing.T, r *recorder) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !r.sampled() {
		if time.Now().After(deadline) {
			t.Fatal("no stall passed on with a sample within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
