//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package report

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive advisory lock on f without waiting. It returns
// false when another open file (in this process or another) holds it. The
// kernel releases the lock when f is closed or its process dies, which is how
// the spool tells an in-progress stall of a live process from one whose
// process was killed.
func tryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		}
		return false, err
	}
}
