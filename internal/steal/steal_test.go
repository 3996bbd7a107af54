package steal

import (
	"os"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	got := parse("cpu  100 5 20 800 10 0 5 60 7 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
	if got != (Mark{steal: 60, idle: 810, total: 1000}) {
		t.Errorf("parse = %+v, want steal 60 and idle 810 of 1000 ticks", got)
	}
	for _, stat := range []string{"intr 1 2 3\n", "cpu 1 2 3\n", ""} {
		if got := parse(stat); got != (Mark{}) {
			t.Errorf("parse(%q) = %+v, want the zero Mark", stat, got)
		}
	}
}

func TestUntil(t *testing.T) {
	before := Mark{steal: 60, total: 1000}
	if pct, ok := before.Until(Mark{steal: 70, total: 1200}); !ok || pct != 5 {
		t.Errorf("10 of 200 ticks stolen: got %v, %v; want 5, true", pct, ok)
	}
	for _, now := range []Mark{{}, before, {steal: 50, total: 1200}} {
		if _, ok := before.Until(now); ok {
			t.Errorf("until(%+v) is known, want unknown", now)
		}
	}
	if _, ok := (Mark{}).Until(before); ok {
		t.Error("since the zero Mark is known, want unknown")
	}
}

// TestSinceOnThisMachine reads the real /proc/stat where there is one.
func TestSinceOnThisMachine(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc/stat here")
	}
	m := Now()
	if m == (Mark{}) {
		t.Fatal("Now read nothing from /proc/stat")
	}
	time.Sleep(50 * time.Millisecond) // a few clock ticks
	pct, ok := m.Since()
	if !ok || pct < 0 || pct > 100 {
		t.Errorf("Since = %v, %v; want a percentage", pct, ok)
	}
}

func TestIdleUntil(t *testing.T) {
	before := parse("cpu  100 0 50 800 50 0 0 0 0 0\n")
	now := parse("cpu  150 0 50 830 60 0 0 10 0 0\n")
	if pct, ok := before.IdleUntil(now); !ok || pct != 40 {
		t.Errorf("40 of 100 ticks idle or waiting for I/O: got %v, %v; want 40, true", pct, ok)
	}
	if _, ok := now.IdleUntil(before); ok {
		t.Error("idle going back is known, want unknown")
	}
}
