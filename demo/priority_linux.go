package main

import (
	"runtime"
	"syscall"
)

// backgroundNice is the niceness of loader threads: a tenth of the CPU
// share of a normal thread when both want it.
const backgroundNice = 10

// lowerPriority lowers the OS priority of the calling goroutine's thread,
// as games run their loading threads below normal (Unity's
// backgroundLoadingPriority). On 2 cores, a decode running at normal
// priority doubled the time the renderer's threads took to present a frame
// whenever the two overlapped. The goroutine stays locked to the thread
// for good: unlocking would hand the lowered thread back to Go's
// scheduler, which could run the game loop on it later; a locked
// goroutine's thread ends with it instead.
func lowerPriority() {
	runtime.LockOSThread()
	// A failure leaves the thread at normal priority, as before.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), backgroundNice)
}
