package watchdog

import (
	"sync"
	"time"
)

// Stats are a session's frame statistics.
//
// Frames, P50, P99 and Max measure a frame's time as the gap between the
// starts of consecutive ticks, which is what a player sees. The watchdog
// measures it from its own checks, so it is accurate to
// Options.CheckInterval (10 ms by default); when several ticks pass within
// one check, each gets an equal share.
//
// Hitches, FrozenFrames and Hangs grade what stalls are graded by: how
// long the game loop stayed in one phase, or between phases, once the
// first frame has ended (Options.ReportFirstFrame). So FrozenFrames plus
// Hangs is the number of stalls the sink saw end, each counted at the tier
// its StallEnded carries.
type Stats struct {
	Frames       uint64        // frames measured
	Hitches      uint64        // phases blocked at least Options.Hitch, below Frozen
	FrozenFrames uint64        // stalls ended at TierFrozen
	Hangs        uint64        // stalls ended at TierHang
	Stalls       uint64        // stalls detected and passed to the sink
	P50, P99     time.Duration // frame time percentiles, to the histogram's resolution
	Max          time.Duration // longest frame
}

// The histogram has 1 ms buckets up to 1 s, then 100 ms buckets up to 60 s.
const (
	fineBuckets   = 1000
	coarseBuckets = 590
	recentFrames  = 240
)

// frameStats is written by the watchdog goroutine and read from anywhere.
type frameStats struct {
	mu     sync.Mutex
	st     Stats
	hist   [fineBuckets + coarseBuckets]uint64
	ring   [recentFrames]time.Duration
	next   int // ring index of the next frame
	filled bool
}

// add records k frames that together took d, where all but the first
// began within the last check, step long. After a long frame an engine
// runs catch-up ticks at once, so the first frame gets all but those.
func (f *frameStats) add(d, step time.Duration, k int) {
	if k <= 0 {
		return
	}
	rest := min(step, d) / time.Duration(k)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addOne(d-rest*time.Duration(k-1), 1)
	if k > 1 {
		f.addOne(rest, k-1)
	}
}

// addOne records n frames of d each. f.mu is held.
func (f *frameStats) addOne(d time.Duration, n int) {
	f.st.Frames += uint64(n)
	f.st.Max = max(f.st.Max, d)
	f.hist[bucket(d)] += uint64(n)
	for range min(n, recentFrames) {
		f.ring[f.next] = d
		f.next = (f.next + 1) % recentFrames
		f.filled = f.filled || f.next == 0
	}
}

// block counts a phase that blocked until it ended, at tier t.
func (f *frameStats) block(t Tier) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch t {
	case TierHitch:
		f.st.Hitches++
	case TierFrozen:
		f.st.FrozenFrames++
	case TierHang:
		f.st.Hangs++
	}
}

func (f *frameStats) stallStarted() {
	f.mu.Lock()
	f.st.Stalls++
	f.mu.Unlock()
}

func bucket(d time.Duration) int {
	if d < time.Second {
		return int(d / time.Millisecond)
	}
	return min(fineBuckets+int((d-time.Second)/(100*time.Millisecond)), len(frameStats{}.hist)-1)
}

// bucketTop is the upper edge of bucket i.
func bucketTop(i int) time.Duration {
	if i < fineBuckets {
		return time.Duration(i+1) * time.Millisecond
	}
	return time.Second + time.Duration(i-fineBuckets+1)*100*time.Millisecond
}

func (f *frameStats) stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.st
	st.P50 = min(f.percentile(0.50), st.Max)
	st.P99 = min(f.percentile(0.99), st.Max)
	return st
}

func (f *frameStats) percentile(q float64) time.Duration {
	if f.st.Frames == 0 {
		return 0
	}
	rank := uint64(q * float64(f.st.Frames))
	var seen uint64
	for i, n := range f.hist {
		seen += n
		if seen > rank {
			return bucketTop(i)
		}
	}
	return f.st.Max
}

func (f *frameStats) recent(dst []time.Duration) []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.filled {
		dst = append(dst, f.ring[f.next:]...)
	}
	return append(dst, f.ring[:f.next]...)
}

// SlowFrames returns how many frames so far took longer than budget, such
// as one tick at the game's TPS (16.7 ms at 60). Frames are counted to
// the histogram's resolution: those at least budget rounded up to the
// millisecond (17 ms for 16.7 ms), and above 1 s, to 100 ms. Safe from any
// goroutine.
func (w *Watchdog) SlowFrames(budget time.Duration) uint64 {
	return w.frames.slower(budget)
}

func (f *frameStats) slower(budget time.Duration) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n uint64
	for i := range f.hist {
		if bucketTop(i)-bucketWidth(i) >= budget {
			n += f.hist[i]
		}
	}
	return n
}

// bucketWidth is the width of bucket i.
func bucketWidth(i int) time.Duration {
	if i < fineBuckets {
		return time.Millisecond
	}
	return 100 * time.Millisecond
}
