package guardian

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ProcessHang is what the guardian sees from outside of a game whose loop
// and runtime have both stopped: how long, and the process's state.
type ProcessHang struct {
	// PID is the game's process ID.
	PID int `json:"pid"`
	// Loop is how long the game loop's beat has not changed.
	Loop time.Duration `json:"loop_ns"`
	// Runtime is how long no goroutine of the game ran to write its beat.
	Runtime time.Duration `json:"runtime_ns"`
	// State is the process's state letter, e.g. "R", "S", "D", "T".
	State string `json:"state"`
	// Threads counts the process's threads by state letter.
	Threads map[string]int `json:"threads"`
	// RSS and Swap are the resident and swapped-out memory, in bytes.
	RSS  int64 `json:"rss_bytes"`
	Swap int64 `json:"swap_bytes"`
	// MajorFaults counts the page faults that read from disk, since start.
	MajorFaults uint64 `json:"major_faults"`
}

// readProc fills h from /proc/<pid>. It returns whether a debugger is
// attached (a tracer, or a thread in tracing stop): then the pause is the
// developer's, not a hang.
func readProc(h *ProcessHang) (debugger bool, err error) {
	dir := fmt.Sprintf("/proc/%d", h.PID)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return false, err
	}
	f := statFields(stat)
	if len(f) > 10 {
		h.State = f[0]
		h.MajorFaults, _ = strconv.ParseUint(f[9], 10, 64)
	}
	status, _ := os.ReadFile(dir + "/status")
	for line := range strings.Lines(string(status)) {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "TracerPid":
			debugger = debugger || v != "0"
		case "VmRSS":
			h.RSS = kB(v)
		case "VmSwap":
			h.Swap = kB(v)
		}
	}
	h.Threads = map[string]int{}
	tasks, _ := filepath.Glob(dir + "/task/*/stat")
	for _, t := range tasks {
		if b, err := os.ReadFile(t); err == nil {
			if f := statFields(b); len(f) > 0 {
				h.Threads[f[0]]++
				debugger = debugger || f[0] == "t"
			}
		}
	}
	return debugger, nil
}

// statFields returns the fields of a /proc stat file after the command
// name, which may hold spaces: state first.
func statFields(b []byte) []string {
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	return strings.Fields(s)
}

func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	return n << 10
}
