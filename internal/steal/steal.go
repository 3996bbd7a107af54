// Package steal measures how much CPU time the hypervisor took from this
// virtual machine, from the steal column of Linux's /proc/stat. Frame
// times on a VM whose CPUs are taken away for milliseconds at a time say
// more about the host than about the game, so the demo's script and the
// benchmark generator print it next to what they measure. The same times
// tell how much of the machine's CPU time was idle.
package steal

import (
	"os"
	"strconv"
	"strings"
)

// A Mark is the machine's CPU times at one moment, in clock ticks. The
// zero Mark means they could not be read.
type Mark struct{ steal, idle, total uint64 }

// Now reads the CPU times. It returns the zero Mark where /proc/stat is
// missing, as on every system but Linux.
func Now() Mark {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Mark{}
	}
	return parse(string(b))
}

// parse reads the "cpu" line: user nice system idle iowait irq softirq
// steal, then guest times, which user and nice already include.
func parse(stat string) Mark {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return Mark{}
	}
	var m Mark
	for i, v := range f[1:9] {
		n, _ := strconv.ParseUint(v, 10, 64)
		m.total += n
		switch i {
		case 3, 4: // idle, and idle waiting for I/O
			m.idle += n
		case 7:
			m.steal = n
		}
	}
	return m
}

// Since returns the percentage of all CPU time that was stolen between m
// and now, and false if that is unknown: m or now could not be read, or
// no clock tick passed in between.
func (m Mark) Since() (float64, bool) {
	return m.Until(Now())
}

// IdleUntil returns the percentage of all CPU time that was idle between
// m and now, and false if that is unknown.
func (m Mark) IdleUntil(now Mark) (float64, bool) {
	if m.total == 0 || now.total <= m.total || now.idle < m.idle {
		return 0, false
	}
	return 100 * float64(now.idle-m.idle) / float64(now.total-m.total), true
}

// Until is Since with now read already.
func (m Mark) Until(now Mark) (float64, bool) {
	if m.total == 0 || now.total <= m.total || now.steal < m.steal {
		return 0, false
	}
	return 100 * float64(now.steal-m.steal) / float64(now.total-m.total), true
}
