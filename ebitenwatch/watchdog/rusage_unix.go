//go:build unix

package watchdog

import (
	"syscall"
	"time"
)

// resourceUsage returns major page faults and user+system CPU time.
func resourceUsage() (majorFaults int64, cpu time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return int64(ru.Majflt), time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
