package watchdog

import (
	"testing"
	"time"
)

// TestWaitedOnDisk checks when a running goroutine's stall counts as
// paging: page faults at least every 50 ms, and the process's threads on
// a CPU or waiting for one under 95% of the time; that a thread ID used
// again counts from zero; and that classify turns it into ClassPaging.
func TestWaitedOnDisk(t *testing.T) {
	start := time.Unix(1000, 0)
	base := threadTimes{at: start, busy: map[string]time.Duration{"1": 5 * time.Second, "2": time.Second}}
	after := func(faults int64, busy1, busy2 time.Duration) threadTimes {
		return threadTimes{at: start.Add(time.Second), faults: faults,
			busy: map[string]time.Duration{"1": 5*time.Second + busy1, "2": time.Second + busy2}}
	}
	ms := time.Millisecond
	for _, c := range []struct {
		name string
		now  threadTimes
		want bool
	}{
		{"computing", after(5000, time.Second, 0), false},
		{"paging", after(5000, 600*ms, 50*ms), true},
		{"computing beside a loader that pages", after(5000, 990*ms, 600*ms), false},
		{"computing, kept off the CPU half the time", after(5000, 500*ms+490*ms, 0), false},
		{"blocked, few faults", after(19, 300*ms, 0), false},
		{"blocked, a fault per 50 ms", after(20, 300*ms, 0), true},
		{"no thread times now", threadTimes{at: start.Add(time.Second), faults: 5000}, false},
		{"a thread ID used again", threadTimes{at: start.Add(time.Second), faults: 5000,
			busy: map[string]time.Duration{"1": 950 * ms, "2": time.Second}}, false},
	} {
		if got := base.waitedOnDisk(c.now); got != c.want {
			t.Errorf("%s: waitedOnDisk = %v, want %v", c.name, got, c.want)
		}
	}
	running := Stack{State: "running"}
	if got := classify(running, Runtime{paging: true}); got != ClassPaging {
		t.Errorf("classify(running, paging) = %v, want paging", got)
	}
	if got := classify(Stack{State: "sleep"}, Runtime{paging: true}); got != ClassSleep {
		t.Errorf("classify(sleep, paging) = %v, want sleep", got)
	}
	if got := classify(running, Runtime{}); got != ClassCPU {
		t.Errorf("classify(running) = %v, want cpu", got)
	}
}

// TestReadThreadTimes reads this process's threads: a busy loop shows.
func TestReadThreadTimes(t *testing.T) {
	before := readThreadTimes()
	if before.busy == nil {
		t.Skip("no schedstat files: the kernel keeps no per-thread times")
	}
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
	}
	after := readThreadTimes()
	var gained time.Duration
	for tid, b := range after.busy {
		gained += b - before.busy[tid]
	}
	if gained < 50*time.Millisecond {
		t.Errorf("threads gained %v on a CPU or waiting over a 100 ms busy loop", gained)
	}
}
