//go:build unix

package report

import (
	"os"
	"syscall"
)

var defaultSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// reraise sends sig to this process again. With no os/signal channel left
// for it, Go's runtime applies the default action, which for SIGINT and
// SIGTERM is to die of the signal, as the parent process expects.
func reraise(sig os.Signal) {
	if s, ok := sig.(syscall.Signal); ok {
		syscall.Kill(os.Getpid(), s)
	}
}
