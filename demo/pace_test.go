package main

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// frameStarts runs frames that each take the given time after the pacer
// lets them start, and returns when each started.
func frameStarts(p *pacer, period time.Duration, work ...time.Duration) []time.Duration {
	t0 := time.Now()
	var starts []time.Duration
	for _, w := range work {
		p.wait(period)
		starts = append(starts, time.Since(t0))
		time.Sleep(w)
	}
	return starts
}

func TestPacerStartsFramesOnePeriodApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ms = time.Millisecond
		got := frameStarts(&pacer{}, 10*ms, 3*ms, 3*ms, 9*ms, 0, 3*ms)
		want := []time.Duration{0, 10 * ms, 20 * ms, 30 * ms, 40 * ms}
		if !slices.Equal(got, want) {
			t.Errorf("frame starts %v, want %v", got, want)
		}
	})
}

// A late frame restarts the schedule: the frames after it do not run
// early to make up for it.
func TestPacerDoesNotCatchUpAfterALateFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ms = time.Millisecond
		got := frameStarts(&pacer{}, 10*ms, 3*ms, 25*ms, 3*ms, 3*ms)
		want := []time.Duration{0, 10 * ms, 35 * ms, 45 * ms}
		if !slices.Equal(got, want) {
			t.Errorf("frame starts %v, want %v", got, want)
		}
	})
}

func TestPacerOffForNoPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := frameStarts(&pacer{}, 0, time.Millisecond, time.Millisecond)
		if want := []time.Duration{0, time.Millisecond}; !slices.Equal(got, want) {
			t.Errorf("frame starts %v, want %v", got, want)
		}
	})
}
