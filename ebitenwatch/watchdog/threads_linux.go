package watchdog

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"github.com/framewatch/framewatch/internal/steal"
)

// threadTimes is, at one moment, how long each of the process's threads
// has been on a CPU or waiting for one (Linux's schedstat files), the
// process's major page faults, and the machine's stolen CPU time.
type threadTimes struct {
	at     time.Time
	busy   map[string]time.Duration // by thread ID; nil if unreadable
	faults int64
	steal  steal.Mark
}

// readThreadTimes reads /proc/self/task/*/schedstat. It runs when a
// phase reaches Options.Hitch and when a stall is refreshed, on the
// watchdog's goroutine: about 25 µs per thread on the development VM.
func readThreadTimes() threadTimes {
	t := threadTimes{at: time.Now(), steal: steal.Now()}
	t.faults, _ = resourceUsage()
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
	var sum time.Duration
	for _, tid := range tids {
		if b, ok := schedstat(tid); ok {
			t.busy[tid], sum = b, sum+b
		}
	}
	if sum == 0 { // no thread's times could be read, or the kernel keeps none
		t.busy = nil
	}
	return t
}

// schedstat returns a thread's time on a CPU plus its time waiting for
// one, from "on-CPU ns, waiting ns, timeslices".
func schedstat(tid string) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/task/" + tid + "/schedstat")
	if err != nil {
		return 0, false // the thread ended
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, false
	}
	on, err1 := strconv.ParseInt(string(f[0]), 10, 64)
	wait, err2 := strconv.ParseInt(string(f[1]), 10, 64)
	return time.Duration(on + wait), err1 == nil && err2 == nil
}

// waitedOnDisk tells whether a stall whose goroutine was running, from t
// to now, is better explained by page faults than by computing: the
// process took at least one major page fault per 50 ms, and its threads
// together were on a CPU or waiting for one under 95% of the time the
// hypervisor left the machine, so the running goroutine cannot have been
// computing throughout: it was blocked in the kernel. Where the times
// cannot be read, it is false. A thread that ended in between is lost,
// and a thread ID used again counts from zero.
func (t threadTimes) waitedOnDisk(now threadTimes) bool {
	wall := now.at.Sub(t.at)
	if t.busy == nil || now.busy == nil || wall <= 0 {
		return false
	}
	if pct, ok := t.steal.Until(now.steal); ok {
		wall = time.Duration(float64(wall) * (1 - pct/100))
	}
	var busy time.Duration
	for tid, b := range now.busy {
		if before := t.busy[tid]; b >= before {
			busy += b - before
		} else {
			busy += b
		}
	}
	faults := now.faults - t.faults
	return faults > 0 && faults >= int64(wall/(50*time.Millisecond)) && busy*20 < wall*19
}
