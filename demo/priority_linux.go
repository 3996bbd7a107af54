package main

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// runLowered runs f on a thread of its own at SCHED_IDLE, for CPU work
// such as decoding, as games run their loading threads below normal
// (Unity's backgroundLoadingPriority): it then runs only on CPU time that
// the game loop, the renderer and the display server leave, and gives way
// to them the moment they wake. On 2 cores a decode at normal priority
// doubled the time the renderer's threads took to present a frame whenever
// the two overlapped. Nice 10 still let it hold a core for a while against
// a waking renderer: in runs with under 2% of the CPU stolen by the host,
// the fixed load's p99 frame gap was 22 to 29 ms at nice 10 and 18 to 27
// ms at SCHED_IDLE, with the same load time.
//
// Reads stay on the caller's thread, at normal priority: they barely use
// the CPU, but at SCHED_IDLE each page fault's wake-up waited until the
// renderer's threads went idle, and the fixed load took 1.24 to 1.27 times
// as long as the stalling one, against 0.96 to 1.01 times. Linux lets a
// thread lower its priority but not raise it back without privileges, so
// the lowered thread is thrown away: its goroutine exits locked to it.
//
// The risk is a lowered thread preempted while it holds a lock the game
// loop needs (the Go heap's while it allocates a decoded image): the loop
// then waits until that thread runs again. The longest gaps in those runs
// were no worse. An error leaves f at normal priority; the demo runs on
// regardless. A panic in f is passed on to the caller.
func runLowered(f func()) {
	var panicked any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		_ = unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0)
		f()
	}()
	<-done
	if panicked != nil {
		panic(panicked)
	}
}
