package workslicer_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// fakeProgress is a Progresser whose progress the test sets.
type fakeProgress struct{ p atomic.Value }

func (f *fakeProgress) set(p float64) { f.p.Store(p) }

func (f *fakeProgress) Progress() float64 {
	p, _ := f.p.Load().(float64)
	return p
}

// The group weighs progress and projects the observed rate forward.
func TestProgressAndETA(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g workslicer.Progress
		if g.Progress() != 1 {
			t.Fatalf("an empty group's progress is %v, want 1", g.Progress())
		}
		small, big := &fakeProgress{}, &fakeProgress{}
		if err := g.Add(small, 1); err != nil {
			t.Fatal(err)
		}
		if err := g.Add(big, 3); err != nil {
			t.Fatal(err)
		}
		if _, ok := g.ETA(); ok {
			t.Fatal("ETA is known before any progress")
		}
		time.Sleep(time.Second)
		small.set(0.5)
		big.set(0.25)
		// 1.25 of 4 done in 1 s: 2.75 left at the same rate is 2.2 s.
		if p := g.Progress(); p != 1.25/4 {
			t.Fatalf("progress %v, want %v", p, 1.25/4)
		}
		if eta, ok := g.ETA(); !ok || eta != 2200*time.Millisecond {
			t.Fatalf("ETA %v, %v; want 2.2s", eta, ok)
		}
		time.Sleep(time.Second)
		small.set(1)
		big.set(1)
		if eta, ok := g.ETA(); !ok || eta != 0 || g.Progress() != 1 {
			t.Fatalf("done: ETA %v, %v, progress %v", eta, ok, g.Progress())
		}
	})
}

// With real handles, the bar reaches 1 exactly when every load has ended.
func TestProgressOfHandles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{})
		var g workslicer.Progress
		release := make(chan struct{})
		fast := load(t, s, "fast", func(context.Context) (int, error) { return 1, nil })
		slow := load(t, s, "slow", func(context.Context) (int, error) { <-release; return 2, nil })
		g.Add(fast, 1)
		g.Add(slow, 1)
		synctest.Wait()
		if p := g.Progress(); p != 0.5 {
			t.Fatalf("one of two loads done: progress %v, want 0.5", p)
		}
		close(release)
		synctest.Wait()
		if _, err := slow.Value(); g.Progress() != 1 || err != nil {
			t.Fatalf("both done: progress %v, %v", g.Progress(), err)
		}
	})
}
