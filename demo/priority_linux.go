package main

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// lowerPriority moves the calling goroutine's thread to SCHED_IDLE for
// CPU work such as decoding, as games run their loading threads below
// normal (Unity's backgroundLoadingPriority): it then runs only on CPU
// time that the game loop, the renderer and the display server leave, and
// gives way to them the moment they wake. On 2 cores a decode at normal
// priority doubled the time the renderer's threads took to present a frame
// whenever the two overlapped. Nice 10 still let it hold a core for a
// while against a waking renderer: in runs with under 2% of the CPU stolen
// by the host, the fixed load's p99 frame gap was 22 to 29 ms at nice 10
// and 18 to 27 ms (18 in four of seven runs) at SCHED_IDLE, with the same
// load time.
//
// The risk is a lowered thread preempted while it holds a lock the game
// loop needs (workslicer's, or the Go heap's while it allocates a decoded
// image): the loop then waits until that thread runs again. The longest
// gaps in those runs were no worse, 19 to 34 ms against 25 to 34.
//
// The goroutine stays locked to the thread for good: unlocking would hand
// the lowered thread back to Go's scheduler, which could run the game loop
// on it later; a locked goroutine's thread ends with it instead. An error
// leaves the thread as it was; the demo runs on regardless.
func lowerPriority() error { return setPolicy(unix.SCHED_IDLE) }

// normalPriority moves the calling goroutine's thread back to normal
// priority for reads that wait for the disk. They barely use the CPU, but
// at SCHED_IDLE each page fault's wake-up waited until the renderer's
// threads went idle: the fixed load then took 1.24 to 1.27 times as long
// as the stalling one, against 0.96 to 1.01 times reading at normal
// priority, with the same frame gaps. It locks the goroutine to its thread
// as lowerPriority does.
func normalPriority() error { return setPolicy(unix.SCHED_NORMAL) }

func setPolicy(policy uint32) error {
	runtime.LockOSThread()
	return unix.SchedSetAttr(0, &unix.SchedAttr{Policy: policy}, 0)
}
