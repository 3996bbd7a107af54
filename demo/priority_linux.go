package main

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// lowerPriority moves the calling goroutine's thread to SCHED_IDLE, as
// games run their loading threads below normal (Unity's
// backgroundLoadingPriority): it then runs only on CPU time that the game
// loop, the renderer and the display server leave, and gives way to them
// the moment they wake. On 2 cores a decode at normal priority doubled the
// time the renderer's threads took to present a frame whenever the two
// overlapped. Nice 10 still let it hold a core for a while against a
// waking renderer: in runs with under 2% of the CPU stolen by the host, the
// fixed load's p99 frame gap was 22 to 29 ms at nice 10 and 18 to 27 ms
// (18 in four of seven runs) at SCHED_IDLE, with the same load time.
//
// The goroutine stays locked to the thread for good: unlocking would hand
// the lowered thread back to Go's scheduler, which could run the game loop
// on it later; a locked goroutine's thread ends with it instead.
func lowerPriority() {
	runtime.LockOSThread()
	// A failure leaves the thread at normal priority, as before.
	_ = unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0)
}
