//go:build !unix

package guardian

import "syscall"

func detached() *syscall.SysProcAttr { return nil }
