package workslicer

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Progresser is anything with a progress from 0 to 1, such as a *Handle.
type Progresser interface {
	// Progress returns how much is done, from 0 to 1.
	Progress() float64
}

// Progress weighs the progress of several handles into one value for a
// loading bar, and estimates the time left. It is a Progresser itself, so
// bars nest. The zero value is empty and ready to use. Its methods are
// safe from any goroutine.
type Progress struct {
	mu    sync.Mutex
	items []weighted
	total float64
	start time.Time
}

type weighted struct {
	p Progresser
	w float64
}

// Add adds p with the given weight, such as its size in bytes. weight
// must be positive and finite.
func (g *Progress) Add(p Progresser, weight float64) error {
	if p == nil {
		return fmt.Errorf("%w: Progress.Add: p is nil", ErrInvalid)
	}
	if !(weight > 0) || math.IsInf(weight, 1) {
		return fmt.Errorf("%w: Progress.Add: weight is %v; it must be positive and finite", ErrInvalid, weight)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.items) == 0 {
		g.start = time.Now()
	}
	g.items = append(g.items, weighted{p, weight})
	g.total += weight
	return nil
}

// Progress returns the weighted progress, from 0 to 1. It is 1 exactly
// when every item shows 1 (every handle has ended); an empty Progress
// is complete.
func (g *Progress) Progress() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	done, total, ended := g.sum()
	if ended {
		return 1
	}
	// The sum can round up to the total: 1 + Nextafter(1, 0) is 2.
	return min(done/total, partial)
}

// ETA estimates the time left from the average rate of progress since the
// first Add: 0 once every item shows 1, and at least 1 ns before. ok is
// false until some progress has been made.
func (g *Progress) ETA() (left time.Duration, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	done, total, ended := g.sum()
	if ended {
		return 0, true
	}
	elapsed := time.Since(g.start)
	if done <= 0 || elapsed <= 0 {
		return 0, false
	}
	return max(time.Duration(float64(elapsed)*(total-done)/done), 1), true
}

// sum returns the weight done, the total, and whether every item shows 1.
// g.mu must be held.
func (g *Progress) sum() (done, total float64, ended bool) {
	ended = true
	for _, it := range g.items {
		p := min(it.p.Progress(), 1)
		if !(p > 0) { // NaN counts as nothing done
			p = 0
		}
		done += it.w * p
		ended = ended && p == 1
	}
	return done, g.total, ended
}
