//go:build !unix

package report

import "os"

var defaultSignals = []os.Signal{os.Interrupt}

// reraise cannot send a signal to this process here; it exits with the
// status Windows gives a process ended by Ctrl+C (STATUS_CONTROL_C_EXIT).
func reraise(os.Signal) {
	os.Exit(-1073741510) // 0xC000013A as an int32
}
