//go:build unix

package guardian

import "syscall"

// detached puts the guardian in a process group of its own, so that a
// Ctrl+C meant for the game does not kill it before it reports.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
