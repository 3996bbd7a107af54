package watchdog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// Hitches are sampled too: ten 150 ms hitches in one function are blamed
// on it at least nine times (a check may come too late to sample one),
// and a later stall carries the session's hitch culprits.
func TestHitchCulprits(t *testing.T) {
	w, r := newWatchdog(t, watchdog.Options{})
	release := make(chan struct{})
	go func() {
		tick := uint64(0)
		frame := func(body func()) {
			tick++
			update(w, tick, body)
		}
		for range 5 {
			frame(func() { time.Sleep(10 * time.Millisecond) })
		}
		for range 10 {
			frame(func() { hitchyWork(150 * time.Millisecond) })
			for range 3 {
				frame(func() { time.Sleep(10 * time.Millisecond) })
			}
		}
		frame(func() { <-release })
		frame(func() {})
	}()
	waitStarted(t, r)
	close(release)
	s := <-r.endedCh

	top := w.HitchCulprits(nil, 3)
	if len(top) == 0 || !strings.HasSuffix(top[0].Function, ".hitchyWork") {
		t.Fatalf("hitch culprits %+v, want hitchyWork first", top)
	}
	if top[0].Count < 9 || top[0].Count > 10 {
		t.Errorf("hitchyWork blamed for %d of 10 hitches, want at least 9", top[0].Count)
	}
	if top[0].Total < time.Duration(top[0].Count)*100*time.Millisecond {
		t.Errorf("total %v for %d hitches, want at least Hitch each", top[0].Total, top[0].Count)
	}
	// A hitch's measured time is a lower bound: a late check may see one
	// end before it saw 100 ms of it.
	if st := w.Stats(); st.Hitches < 9 || st.Hitches > 10 {
		t.Errorf("Stats.Hitches = %d, want at least 9 of the 10 hitches", st.Hitches)
	}
	if len(s.Hitches) == 0 || s.Hitches[0] != top[0] {
		t.Errorf("the stall carries hitches %+v, want %+v first", s.Hitches, top[0])
	}
	// With capacity, HitchCulprits does not allocate.
	buf := make([]watchdog.HitchCulprit, 0, 3)
	if n := testing.AllocsPerRun(10, func() { buf = w.HitchCulprits(buf[:0], 3) }); n != 0 {
		t.Errorf("HitchCulprits allocated %v times with capacity in dst", n)
	}
}

func hitchyWork(d time.Duration) { time.Sleep(d) }
