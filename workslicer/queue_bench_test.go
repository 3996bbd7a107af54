package workslicer_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// BenchmarkFetchQueue queues n loads at once, of every priority, whose
// Fetch does nothing, on two workers, while the game goroutine runs frames
// of about 1 ms. Each frame it joins a held load with Load and releases
// it, which takes the scheduler's mutex like any Load call from Update.
// ns/op is the time from the first Load to the last load's end;
// ns/load that divided by n; max-wait-ms the longest of those Load calls.
func BenchmarkFetchQueue(b *testing.B) {
	for _, n := range []int{1000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("loads=%d", n), func(b *testing.B) {
			var wait time.Duration
			for b.Loop() {
				wait = max(wait, drainFetches(b, n))
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(n), "ns/load")
			b.ReportMetric(float64(wait)/1e6, "max-wait-ms")
		})
	}
}

// drainFetches runs one round of BenchmarkFetchQueue and returns the
// longest Load call on the game goroutine.
func drainFetches(b *testing.B, n int) time.Duration {
	s, err := workslicer.New(workslicer.Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var fetched atomic.Int64
	fetch := func(context.Context) (int, error) { fetched.Add(1); return 0, nil }
	held, err := workslicer.Load(ctx, s, workslicer.Loader[int, int]{Key: "held", Fetch: fetch})
	if err != nil {
		b.Fatal(err)
	}
	defer held.Release()
	prios := []workslicer.Priority{workslicer.Background, workslicer.Normal, workslicer.Urgent}
	for i := range n {
		l := workslicer.Loader[int, int]{Key: fmt.Sprint("load", i), Priority: prios[i%3], Fetch: fetch}
		if _, err := workslicer.Load(ctx, s, l); err != nil {
			b.Fatal(err)
		}
	}
	var longest time.Duration
	for fetched.Load() < int64(n)+1 {
		t0 := time.Now()
		h, err := workslicer.Load(ctx, s, workslicer.Loader[int, int]{Key: "held", Fetch: fetch})
		longest = max(longest, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		h.Release()
		s.Run()
		s.EndFrame()
		time.Sleep(time.Millisecond)
	}
	return longest
}
