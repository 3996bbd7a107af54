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
// The risk is a lowered thread preempted while it holds a lock the game
// loop needs (workslicer's, or the Go heap's while it allocates a decoded
// image): the loop then waits until that thread runs again. The longest
// gaps in those runs were no worse, 19 to 34 ms against 25 to 34.
//
// The goroutine stays locked to the thread for good: unlocking would hand
// the lowered thread back to Go's scheduler, which could run the game loop
// on it later; a locked goroutine's thread ends with it instead. An error
// leaves the thread at normal priority; the demo runs on regardless.
func lowerPriority() error {
	runtime.LockOSThread()
	return unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0)
}
