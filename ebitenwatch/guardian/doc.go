// Package guardian runs a small process beside the game that reports what
// the game cannot report itself: a crash no goroutine can recover (fatal
// runtime errors, unrecovered panics on any goroutine) and a stall the
// player ended by killing the game. ebitenwatch starts one by default.
//
// The guardian is the game's own executable, started again with
// FRAMEWATCH_GUARDIAN=monitor in its environment. This package's init
// sees that and runs the guardian instead of the game, before the game's
// main and before Ebitengine's package init (Go initializes packages in
// import-path order when their dependencies allow, and this package
// imports only the standard library and package watchdog), so the
// guardian never opens a window or connects to a display.
//
// The game holds the write ends of two pipes to the guardian: one for its
// life (end of file: the game has ended; a clean Close says so first) and
// one that runtime/debug.SetCrashOutput writes the runtime's crash output
// to. When the game ends without a clean Close, the guardian starts one
// courier: the executable again, in a mode package
// ebitenwatch/guardian/courier handles in its init, which opens a
// report.Reporter on the game's spool (turning the dead game's stall in
// progress into a Fatal App Hang), reports the crash output, and sends,
// all within Options.DeliverTimeout of the game's end. The guardian then
// exits. The courier runs after every package's init, Ebitengine's too,
// which connects to the display (no window): only at the game's death,
// and only when something is left to send.
//
// With Options.Beat, the guardian is also the second detector: the game
// writes its loop's beat and the time to a small file every 250 ms, from a
// goroutine of its own. When for Options.ProcessHang neither has changed
// (the loop is stuck and no goroutine of the game runs: a wedged runtime,
// a process the system stopped, a machine thrashing), and no debugger is
// attached, the guardian has a courier report a process hang with what
// /proc shows. Stops shorter than ProcessHang (a break in a debugger, job
// control) are not hangs; a stopped process is told apart by its state,
// "T", which is part of the event's fingerprint.
//
// A panic in a phase of a wrapped game is reported in-process by
// ebitenwatch, which knows the phase and sends it before the game dies;
// it then calls Reported, and the guardian drops the crash output of that
// panic. Every other crash is reported by the guardian only.
//
//	g, err := guardian.Start(guardian.Options{SpoolDir: rep.SpoolDir(), Config: courier.Config(rep)})
//	if err != nil {
//		log.Print(err) // the game runs on without it
//	}
//	defer g.Close()
//
// It works on Linux. Elsewhere Start returns an error saying why.
package guardian
