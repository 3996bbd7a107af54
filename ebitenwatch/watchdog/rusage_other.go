//go:build !unix

package watchdog

import "time"

// resourceUsage is not measured on this system.
func resourceUsage() (majorFaults int64, cpu time.Duration) { return 0, 0 }
