package workslicer_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// A Fetch that reads through ProgressReader moves its load's progress
// with the bytes read, within the share Fetch covers: all of a load
// without Finish (just under 1 until it ends), half of the first load of a
// Kind with one.
func TestProgressReaderMovesTheFetch(t *testing.T) {
	for _, c := range []struct {
		name   string
		finish bool
		share  float64
	}{{"without Finish", false, 1}, {"with Finish", true, 0.5}} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testProgressReader(t, c.finish, c.share) })
		})
	}
}

func testProgressReader(t *testing.T, finish bool, share float64) {
	s := newScheduler(t, workslicer.Options{})
	pr, pw := io.Pipe()
	l := workslicer.Loader[string, string]{Key: "level.json", Fetch: func(ctx context.Context) (string, error) {
		b, err := io.ReadAll(workslicer.ProgressReader(ctx, pr, 400))
		return string(b), err
	}}
	if finish {
		l.Finish = func(ctx context.Context, b string, yield func(float64) bool) (string, error) { return b, nil }
	}
	h, err := workslicer.Load(context.Background(), s, l)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		pw.Write([]byte(strings.Repeat("x", 100)))
		synctest.Wait()
		if got, want := h.Progress(), share*float64(i)/4; got != want {
			t.Fatalf("after %d of 400 bytes: progress %v, want %v", 100*i, got, want)
		}
	}
	pw.Write([]byte(strings.Repeat("x", 100)))
	pw.Close()
	synctest.Wait()
	frame(s, 1)
	if v, err := h.Value(); len(v) != 400 || err != nil || h.Progress() != 1 {
		t.Fatalf("read %d bytes, %v; progress %v", len(v), err, h.Progress())
	}
}

// The share of progress that Fetch covers is the share of the time it
// took in past loads of the same Kind, so a bar moves evenly.
func TestFetchShareFollowsPastLoads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{})
		load := func(key string) *workslicer.Handle[int] {
			h, err := workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{Key: key, Kind: "texture",
				Fetch:  func(context.Context) (int, error) { time.Sleep(3 * time.Second); return 1, nil },
				Finish: func(ctx context.Context, v int, yield func(float64) bool) (int, error) { return v, nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		first := load("a")
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if p := first.Progress(); p != 0.5 {
			t.Fatalf("the first load after its Fetch: %v, want 0.5", p)
		}
		time.Sleep(time.Second)
		frame(s, 1) // Finish ends 1 s after Fetch, which took 3 s
		second := load("b")
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if p := second.Progress(); p != 0.75 {
			t.Fatalf("the second load after its Fetch: %v, want 0.75", p)
		}
		frame(s, 1)
		if first.Progress() != 1 || second.Progress() != 1 {
			t.Fatalf("progress %v and %v after both ended", first.Progress(), second.Progress())
		}
	})
}
