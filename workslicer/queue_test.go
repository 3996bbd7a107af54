package workslicer_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// Work that arrives by the thousand is queued a batch at a time within the
// frame's budget, keeps its arrival order among equals, and is counted as
// pending meanwhile; an Urgent task that arrived last runs once queued.
func TestManyArrivalsKeepTheirOrder(t *testing.T) {
	s := newScheduler(t, workslicer.Options{})
	var clock time.Duration
	workslicer.SetClock(s, func() time.Duration { clock += ms; return clock }) // every look costs 1 ms
	var ran []string
	task := func(name string, p workslicer.Priority) workslicer.Task {
		return workslicer.Task{Name: name, Priority: p, Step: func(context.Context) (float64, bool, error) {
			ran = append(ran, name)
			return 1, true, nil
		}}
	}
	const n = 1000
	for i := range n {
		start(t, s, task(fmt.Sprint(i), workslicer.Normal))
	}
	start(t, s, task("urgent", workslicer.Urgent))
	frame(s, 1)
	if st := s.Stats(); st.Pending != n+1-len(ran) || len(ran) > 10 {
		t.Fatalf("after one frame: ran %d, %d pending; want a few run and the rest pending", len(ran), st.Pending)
	}
	for frames := 0; s.Stats().Pending > 0; frames++ {
		if frames > 2*n {
			t.Fatalf("%d still pending after %d frames", s.Stats().Pending, frames)
		}
		frame(s, 1)
	}
	at := slices.Index(ran, "urgent")
	if at < 0 || at > n/2 {
		t.Fatalf("urgent ran at %d of %d", at, len(ran))
	}
	normal := slices.Delete(slices.Clone(ran), at, at+1)
	for i, name := range normal {
		if name != fmt.Sprint(i) {
			t.Fatalf("chunk %d ran %s; want the tasks in arrival order", i, name)
		}
	}
}
