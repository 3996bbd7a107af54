package report

import "time"

// Vitals are how a session's frames went, as Options.Vitals reports them.
// Each event carries the vitals of its session when it was built (its
// "session_vitals" context), so an issue shows how the rest of that session
// went.
type Vitals struct {
	Frames       uint64        // frames measured
	SlowFrames   uint64        // frames longer than SlowBudget
	SlowBudget   time.Duration // one tick at the game's TPS: 16.7 ms at 60
	FrozenFrames uint64        // stalls that ended as Frozen Frames
	Hangs        uint64        // stalls that ended as hangs
	Hitches      uint64        // phases blocked past the hitch threshold, below Frozen
	P50, P99     time.Duration // frame time percentiles
}

// context is the event context the vitals fill.
func (v *Vitals) context() map[string]any {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return map[string]any{
		"frames": v.Frames, "slow_frames": v.SlowFrames, "slow_frame_budget_ms": ms(v.SlowBudget),
		"frozen_frames": v.FrozenFrames, "hangs": v.Hangs, "hitches": v.Hitches,
		"frame_time_p50_ms": ms(v.P50), "frame_time_p99_ms": ms(v.P99),
	}
}

// vitals asks Options.Vitals, never letting it panic into the reporter.
func (o *resolved) vitals() (v *Vitals) {
	if o.Vitals == nil {
		return nil
	}
	defer func() {
		if recover() != nil {
			v = nil
		}
	}()
	got := o.Vitals()
	return &got
}
