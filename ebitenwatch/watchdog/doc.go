// Package watchdog detects stalled frames in a game loop and samples the
// stuck goroutine's stack while it is still stuck.
//
// The game goroutine calls Enter and Exit around each phase of a frame.
// They cost one atomic store each, read no clock and never block. The
// first Exit, and one in 16,384 after it, also records its callers, which
// is how the watchdog tells the game goroutine from the others. The
// watchdog's own goroutine looks at the beat every CheckInterval; when one
// phase has lasted past Options.Frozen it finds the stuck goroutine in an
// all-goroutine dump, classifies what it waits on (cpu, lock, channel, io,
// sleep, gc), and passes the stall to a Sink at once, so a report exists
// even if the player then kills the game. It keeps sampling until the phase
// ends, folds identical stacks and names the culprit: the innermost frame
// of the game's own code in the stack it was found in most.
//
// The smallest real use, in a plain loop:
//
//	w, err := watchdog.New(watchdog.Options{Sink: mySink})
//	if err != nil {
//		return err
//	}
//	defer w.Close()
//	for tick := uint64(0); running; tick++ {
//		w.Enter(watchdog.PhaseUpdate, tick)
//		update()
//		w.Exit()
//		w.Enter(watchdog.PhaseDraw, tick)
//		draw()
//		w.Exit()
//	}
//
// It guards against false alarms: nothing is reported before the first
// phase ends (Options.ReportFirstFrame), while paused (Pause,
// Options.Paused), or while a debugger is attached; and each check adds at
// most Frozen/2 to a stall, so a suspended laptop or a SIGSTOPped process
// does not produce an hour-long hang.
//
// The package does not import Ebitengine; package ebitenwatch adapts it.
package watchdog
