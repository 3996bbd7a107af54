package main

import "time"

// pacer starts frames no faster than ticks. Ebitengine relies on vsync to
// hold frames to the display's rate, but where presenting does not wait
// (Xvfb, some drivers) it draws as fast as it can. Under a software
// renderer that keeps both cores busy drawing frames nobody sees, the
// loader's workers starve, and each tick lands on whichever frame happens
// to be running when it falls due, so the gap between ticks wobbles by a
// whole frame. Measured here (llvmpipe, 2 cores, 640×360), unpaced frames
// made tick gaps of p99 25 to 35 ms; paced ones 18 to 21 ms, with the
// CPU 45% idle instead of 20%.
type pacer struct {
	next time.Time // when the next frame may start
}

// wait sleeps until the next frame may start, one period after the last
// one. A frame that is already late starts a new schedule rather than
// running the following ones early to catch up, and a period of 0 or less
// turns pacing off.
func (p *pacer) wait(period time.Duration) {
	if period <= 0 {
		return
	}
	now := time.Now()
	if p.next.Before(now) || p.next.Sub(now) > period {
		p.next = now
	}
	time.Sleep(p.next.Sub(now))
	p.next = p.next.Add(period)
}
