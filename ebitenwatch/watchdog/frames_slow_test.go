package watchdog

import (
	"testing"
	"time"
)

func TestSlowFramesCountsFramesOverTheBudget(t *testing.T) {
	var f frameStats
	for _, d := range []time.Duration{10 * time.Millisecond, 16 * time.Millisecond, 16900 * time.Microsecond, 17 * time.Millisecond, 40 * time.Millisecond, 1500 * time.Millisecond} {
		f.add(d, d, 1)
	}
	// 16.9 ms shares the 16 ms bucket, which is not wholly over 16.7 ms.
	if got := f.slower(16700 * time.Microsecond); got != 3 {
		t.Errorf("slow at 60 TPS: %d, want 3 (17 ms, 40 ms, 1.5 s)", got)
	}
	if got := f.slower(33300 * time.Microsecond); got != 2 {
		t.Errorf("slow at 30 TPS: %d, want 2", got)
	}
	if got := f.slower(0); got != 6 {
		t.Errorf("slow at no budget: %d, want every frame", got)
	}
}
