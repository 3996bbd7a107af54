// Package watchdog detects stalled frames in a game loop and samples the
// stuck goroutine's stack while it is still stuck.
//
// The game goroutine calls Enter and Exit around each phase of a frame.
// They cost one atomic store each, read no clock and never block. The
// first Exit, and one in 16,384 after it, also records its callers, which
// is how the watchdog tells the game goroutine from the others. The
// watchdog's own goroutine looks at the beat every CheckInterval. Once one
// phase has lasted Options.Hitch, it samples the stuck goroutine every
// SampleInterval; if the phase ends before Options.Frozen, it was a hitch,
// whose culprit is counted (HitchCulprits) but never reported. Past Frozen
// the stall is passed to a Sink at once, so a report exists even if the
// player then kills the game, and sampling goes on until the phase ends.
// Identical stacks are folded; the culprit is the innermost frame of the
// game's own code in the stack sampled most, and the class (cpu, lock,
// channel, io, sleep, gc, paging) is read from that stack's wait, and for
// a running goroutine from the process's page faults and its threads'
// time on a CPU or waiting for one.
//
// # How samples are taken
//
// Go cannot read one other goroutine's stack. runtime.Stack of all
// goroutines stops the world for the whole traceback: measured here at
// 10,000 goroutines, 25 to 60 ms per dump, and 650 ms at 100,000, during
// which the game's audio and loaders stop too. runtime.GoroutineProfile
// collects the same stacks while the program runs, after a stop of about
// 0.3 ms, and costs about a fifth of the CPU. So:
//
//   - Every sample is a goroutine profile, taken on a goroutine of the
//     watchdog's own so that the checks timing the frame never wait for it.
//     A sample puts the next one off by ten times its cost. A profile has
//     no goroutine IDs and no wait states: the stuck goroutine is the one
//     holding the most of Exit's recorded callers, and its wait is read
//     from its innermost frames (time.Sleep is sleep, runtime.chanrecv a
//     channel, runtime.netpollblock or a system call I/O, sync's semaphores
//     a lock, runtime.gcAssistAlloc the GC; none of them: running). It
//     keeps the innermost 32 frames of each stack.
//   - A stall takes one runtime.Stack dump, right after StallStarted and
//     on a second goroutine, for the report's goroutine list, the stuck
//     goroutine's ID and its wait state as the runtime names it (the dump
//     counts as a sample too); and only while at most
//     Options.MaxDumpGoroutines (20,000) goroutines are alive, because
//     above that it would stop the world for over 100 ms. Its buffer is
//     sized from the last dump and capped at Options.MaxDumpBytes.
//
// # Coroutines
//
// A chunk of work run as an iter.Pull coroutine, as workslicer runs a
// Task.Body, runs on a goroutine of its own while the game goroutine is
// parked in runtime.coroswitch under iter.Pull's next. The stall is then
// blamed on the coroutine: a goroutine whose stack starts in
// runtime.corostart and that is not parked handing back in iter.Pull's
// yield (nor unstarted), so the idle coroutines of other iter.Pull users
// are never blamed. If several goroutines run coroutines at that moment, a
// profile cannot tell whose is whose and the first is taken; the dump can,
// and prefers the coroutine created in the game goroutine.
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
