package watchdog

import (
	"sync"
	"time"
)

// maxHitchCulprits bounds the distinct functions the session's hitch table
// keeps; when it is full, a new function replaces the least blamed one.
const maxHitchCulprits = 64

// MaxStallHitches is how many hitch culprits a Stall carries.
const MaxStallHitches = 5

// hitchTable counts hitch culprits. Written by the watchdog goroutine,
// read from anywhere.
type hitchTable struct {
	mu      sync.Mutex
	entries []HitchCulprit
}

// add blames one hitch of duration d on function.
func (h *hitchTable) add(function string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	least := -1
	for i := range h.entries {
		e := &h.entries[i]
		if e.Function == function {
			e.Count++
			e.Total += d
			return
		}
		if least < 0 || e.Count < h.entries[least].Count {
			least = i
		}
	}
	e := HitchCulprit{Function: function, Count: 1, Total: d}
	if len(h.entries) < maxHitchCulprits {
		h.entries = append(h.entries, e)
		return
	}
	h.entries[least] = e
}

// top appends the n most blamed culprits to dst, the most hitches first,
// then the longest total; it allocates only if dst lacks capacity.
func (h *hitchTable) top(dst []HitchCulprit, n int) []HitchCulprit {
	h.mu.Lock()
	defer h.mu.Unlock()
	start := len(dst)
	for range min(n, len(h.entries)) {
		best := -1
		for i, e := range h.entries {
			if !taken(dst[start:], e.Function) && (best < 0 || ranksAbove(e, h.entries[best])) {
				best = i
			}
		}
		dst = append(dst, h.entries[best])
	}
	return dst
}

func ranksAbove(a, b HitchCulprit) bool {
	return a.Count > b.Count || (a.Count == b.Count && a.Total > b.Total)
}

func taken(cs []HitchCulprit, function string) bool {
	for _, c := range cs {
		if c.Function == function {
			return true
		}
	}
	return false
}
