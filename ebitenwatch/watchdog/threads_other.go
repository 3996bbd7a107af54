//go:build !linux

package watchdog

import "time"

// threadTimes needs Linux's schedstat files; elsewhere a running stall is
// never classed paging.
type threadTimes struct{}

func readThreadTimes() threadTimes { return threadTimes{} }

func (threadTimes) since(threadTimes) (busy, wall time.Duration) { return 0, 0 }
