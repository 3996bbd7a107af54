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

// BenchmarkFinishQueue queues n loads at once whose Fetch does nothing and
// whose Finish is one empty chunk, so that up to n Finish stages wait for
// the game goroutine, which runs frames of about 1 ms with the default
// 4 ms budget. ns/op is the time until every load ended, ns/load that
// divided by n, frames the frames it took, and max-run-ms the longest Run.
func BenchmarkFinishQueue(b *testing.B) {
	for _, n := range []int{1000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("loads=%d", n), func(b *testing.B) {
			var frames int
			var longest time.Duration
			for b.Loop() {
				f, l := drainFinishes(b, n)
				frames, longest = frames+f, max(longest, l)
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(n), "ns/load")
			b.ReportMetric(float64(frames)/float64(b.N), "frames")
			b.ReportMetric(float64(longest)/1e6, "max-run-ms")
		})
	}
}

// drainFinishes runs one round of BenchmarkFinishQueue and returns the
// frames it took and the longest Run.
func drainFinishes(b *testing.B, n int) (frames int, longest time.Duration) {
	s, err := workslicer.New(workslicer.Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var finished atomic.Int64
	l := workslicer.Loader[int, int]{
		Fetch: func(context.Context) (int, error) { return 0, nil },
		Finish: func(context.Context, int, func(float64) bool) (int, error) {
			finished.Add(1)
			return 0, nil
		},
	}
	for i := range n {
		l.Key = fmt.Sprint("load", i)
		if _, err := workslicer.Load(context.Background(), s, l); err != nil {
			b.Fatal(err)
		}
	}
	for ; finished.Load() < int64(n); frames++ {
		t0 := time.Now()
		s.Run()
		longest = max(longest, time.Since(t0))
		s.EndFrame()
		time.Sleep(time.Millisecond)
	}
	return frames, longest
}
