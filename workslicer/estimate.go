package workslicer

import "time"

// estimate predicts a chunk's cost from past chunks of its kind: an
// exponentially weighted moving average and mean deviation, with TCP's
// round-trip-time gains (RFC 6298), so one slow chunk widens the margin at
// once and a run of steady ones narrows it again.
type estimate struct {
	mean, dev float64 // nanoseconds
	n         uint64
}

const (
	meanGain = 1.0 / 8
	devGain  = 1.0 / 4
)

func (e *estimate) observe(d time.Duration) {
	x := float64(d)
	if e.n == 0 {
		e.mean, e.dev = x, x/2
	} else {
		diff := x - e.mean
		if diff < 0 {
			e.dev += devGain * (-diff - e.dev)
		} else {
			e.dev += devGain * (diff - e.dev)
		}
		e.mean += meanGain * diff
	}
	e.n++
}

// predict returns the expected cost plus devs deviations. With no history
// it is 0: a kind's first chunk runs wherever any budget is left and is
// measured, which costs at most one overrun per kind.
func (e *estimate) predict(devs float64) time.Duration {
	return time.Duration(e.mean + devs*e.dev)
}
