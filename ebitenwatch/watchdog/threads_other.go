//go:build !linux

package watchdog

// threadTimes needs Linux's schedstat files; elsewhere a running stall is
// never classed paging.
type threadTimes struct{}

func readThreadTimes() threadTimes { return threadTimes{} }

func (threadTimes) waitedOnDisk(threadTimes) bool { return false }
