package workslicer_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// A handle just short of its end keeps the bar below 1 and its ETA above
// 0, however the sum rounds: 1 + Nextafter(1, 0) rounds to 2.
func TestProgressIsBelowOneWhileAHandleIsUnfinished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{})
		h := start(t, s, workslicer.Task{Name: "last", Body: func(ctx context.Context, yield func(float64) bool) error {
			time.Sleep(10 * ms) // over the budget: the frame ends after this chunk
			yield(1)
			return nil
		}})
		var bar workslicer.Group
		finished := &fakeProgress{}
		finished.set(1)
		for _, p := range []workslicer.Progresser{finished, h} {
			if err := bar.Add(p, 1); err != nil {
				t.Fatal(err)
			}
		}
		frame(s, 1)
		if p := h.Progress(); p >= 1 {
			t.Fatalf("the handle shows %v before its body returned", p)
		}
		if p := bar.Progress(); p >= 1 {
			t.Fatalf("bar shows %v while a handle is unfinished", p)
		}
		if left, ok := bar.ETA(); ok && left <= 0 {
			t.Fatalf("ETA %v, %v while a handle is unfinished", left, ok)
		}
		frame(s, 1)
		if p, left, ok := bar.Progress(), 0*time.Second, true; p != 1 {
			t.Fatalf("bar shows %v after the handle ended", p)
		} else if left, ok = bar.ETA(); left != 0 || !ok {
			t.Fatalf("ETA %v, %v after the handle ended", left, ok)
		}
	})
}
