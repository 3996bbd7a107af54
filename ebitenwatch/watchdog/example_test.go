package watchdog_test

import (
	"fmt"
	"path"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// printSink prints each stall when it ends.
type printSink struct{ done chan struct{} }

func (printSink) StallStarted(*watchdog.Stall) {}
func (printSink) StallUpdated(*watchdog.Stall) {}

func (p printSink) StallEnded(s *watchdog.Stall) {
	fmt.Printf("%s stalled (%s, %s) in %s\n", s.Phase, s.Tier, s.Class, path.Base(s.Culprit.Function))
	close(p.done)
}

// loadLevel is the kind of work that freezes a game: here, slow I/O
// pretended with a sleep.
func loadLevel() { time.Sleep(400 * time.Millisecond) }

// A plain game loop beats the watchdog around each phase. One frame loads a
// level synchronously and is reported, with the function that blocked.
func Example() {
	sink := printSink{done: make(chan struct{})}
	w, err := watchdog.New(watchdog.Options{
		Frozen: 200 * time.Millisecond, // short thresholds keep the example fast
		Hitch:  50 * time.Millisecond,
		Sink:   sink,
	})
	if err != nil {
		panic(err)
	}
	defer w.Close()

	for tick := uint64(1); tick <= 10; tick++ {
		w.Enter(watchdog.PhaseUpdate, tick)
		if tick == 5 {
			loadLevel()
		}
		w.Exit()

		w.Enter(watchdog.PhaseDraw, tick)
		time.Sleep(16 * time.Millisecond) // drawing and waiting for vsync
		w.Exit()
	}
	<-sink.done
	// Output: Update stalled (frozen, sleep) in watchdog_test.loadLevel
}
