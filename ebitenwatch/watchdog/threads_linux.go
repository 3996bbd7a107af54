package watchdog

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// threadTimes is, at one moment, how long each of the process's threads
// has been on a CPU or waiting for one, by thread ID, from Linux's
// schedstat files.
type threadTimes struct {
	at   time.Time
	busy map[string]time.Duration
}

// readThreadTimes reads /proc/self/task/*/schedstat. It only runs when a
// phase reaches Options.Hitch and when a stall is refreshed: a few
// microseconds per thread. Where the files cannot be read, busy is nil.
func readThreadTimes() threadTimes {
	t := threadTimes{at: time.Now()}
	d, err := os.Open("/proc/self/task")
	if err != nil {
		return t
	}
	tids, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return t
	}
	t.busy = make(map[string]time.Duration, len(tids))
	for _, tid := range tids {
		b, err := os.ReadFile("/proc/self/task/" + tid + "/schedstat")
		if err != nil {
			continue // the thread ended, or the kernel keeps no schedstat
		}
		// "on-CPU ns, waiting-for-a-CPU ns, timeslices"
		f := bytes.Fields(b)
		if len(f) < 2 {
			continue
		}
		on, err1 := strconv.ParseInt(string(f[0]), 10, 64)
		wait, err2 := strconv.ParseInt(string(f[1]), 10, 64)
		if err1 == nil && err2 == nil {
			t.busy[tid] = time.Duration(on + wait)
		}
	}
	if len(t.busy) == 0 {
		t.busy = nil
	}
	return t
}

// since returns how long the threads were busy from t to now, summed, and
// the wall time between the two; zeros where either is unknown. A thread
// that started in between counts from its start; one that ended is lost.
func (t threadTimes) since(now threadTimes) (busy, wall time.Duration) {
	if t.busy == nil || now.busy == nil || !now.at.After(t.at) {
		return 0, 0
	}
	for tid, d := range now.busy {
		busy += d - t.busy[tid]
	}
	return busy, now.at.Sub(t.at)
}
