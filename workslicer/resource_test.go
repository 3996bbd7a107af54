package workslicer_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// metered is a task of chunks that take the given amounts of r; it
// appends each chunk's amount to *used.
func metered(name string, p workslicer.Priority, r *workslicer.Resource, amounts []int64, used *[]int64) workslicer.Task {
	i := 0
	return workslicer.Task{Name: name, Priority: p, Uses: r,
		Cost: func() int64 { return amounts[i] },
		Step: func(context.Context) (float64, bool, error) {
			*used = append(*used, amounts[i])
			i++
			return float64(i) / float64(len(amounts)), i == len(amounts), nil
		}}
}

// Chunks that use a Resource share its per-frame limit; a task held back
// by it does not hold back tasks that do not use it; a chunk larger than
// the limit runs alone in its frame.
func TestResourceLimitsEachFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: time.Second})
		bytes, err := s.NewResource("bytes", 100)
		if err != nil {
			t.Fatal(err)
		}
		var a, b []int64
		start(t, s, metered("a", workslicer.Urgent, bytes, []int64{60, 60, 150, 30}, &a))
		start(t, s, metered("b", workslicer.Normal, bytes, []int64{30, 30}, &b))
		var free []string
		start(t, s, costly("free", "", workslicer.Background, 3, ms, &free))
		var perFrame [][2]int
		for range 5 {
			na, nb := len(a), len(b)
			frame(s, 2)
			perFrame = append(perFrame, [2]int{len(a) - na, len(b) - nb})
		}
		// Frame 1: a's 60, then b's 30 fills the rest. Frame 2: a's 60,
		// b's 30. Frame 3: a's 150 alone. Frame 4: a's 30.
		want := [][2]int{{1, 1}, {1, 1}, {1, 0}, {1, 0}, {0, 0}}
		if !slices.Equal(perFrame, want) {
			t.Fatalf("chunks of a and b per frame %v, want %v", perFrame, want)
		}
		if len(free) != 3 {
			t.Fatalf("the task without a resource ran %d of 3 chunks in the first frames", len(free))
		}
	})
}

// A Loader's Cost gets Fetch's result, which its Finish updates.
func TestLoaderResource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: time.Second})
		r, err := s.NewResource("vertices", 10)
		if err != nil {
			t.Fatal(err)
		}
		type mesh struct{ left, next int64 }
		h, err := workslicer.Load(context.Background(), s, workslicer.Loader[*mesh, int64]{
			Key:   "mesh",
			Fetch: func(context.Context) (*mesh, error) { return &mesh{left: 25, next: 10}, nil },
			Uses:  r,
			Cost:  func(m *mesh) int64 { return m.next },
			Finish: func(ctx context.Context, m *mesh, yield func(float64) bool) (int64, error) {
				built := int64(0)
				for m.left > 0 {
					built += m.next
					m.left -= m.next
					m.next = min(10, m.left)
					if m.left > 0 && !yield(float64(built)/25) {
						return 0, context.Cause(ctx)
					}
				}
				return built, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		frames := 0
		for h.Progress() < 1 && frames < 10 {
			frame(s, 3)
			frames++
		}
		if v, err := h.Value(); v != 25 || err != nil || frames != 3 {
			t.Fatalf("built %v, %v in %d frames; want 25 in 3 at 10 per frame", v, err, frames)
		}
	})
}

// A Cost that panics or returns a negative amount fails its own task.
func TestBadCostFailsTheTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: time.Second, Logger: discard()})
		r, err := s.NewResource("bytes", 100)
		if err != nil {
			t.Fatal(err)
		}
		step := func(context.Context) (float64, bool, error) { return 1, true, nil }
		panicky := start(t, s, workslicer.Task{Name: "panicky", Uses: r, Cost: func() int64 { panic("cost broke") }, Step: step})
		negative := start(t, s, workslicer.Task{Name: "negative", Uses: r, Cost: func() int64 { return -5 }, Step: step})
		var used []int64
		fine := start(t, s, metered("fine", workslicer.Background, r, []int64{40}, &used))
		frame(s, 1)
		var pe *workslicer.PanicError
		if !errors.As(panicky.Err(), &pe) || pe.Value != "cost broke" {
			t.Fatalf("a panicking Cost: %v", panicky.Err())
		}
		if err := negative.Err(); !errors.Is(err, workslicer.ErrInvalid) || !strings.Contains(err.Error(), "Cost returned -5") {
			t.Fatalf("a negative Cost: %v", err)
		}
		if fine.Err() != nil || fine.Progress() != 1 {
			t.Fatalf("the healthy task: %v, progress %v", fine.Err(), fine.Progress())
		}
	})
}

func TestResourceBadArguments(t *testing.T) {
	s := newScheduler(t, workslicer.Options{})
	other := newScheduler(t, workslicer.Options{})
	theirs, err := other.NewResource("bytes", 1)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := s.NewResource("bytes", 1)
	if err != nil {
		t.Fatal(err)
	}
	body := func(context.Context, func(float64) bool) error { return nil }
	cost := func() int64 { return 1 }
	fetch := func(context.Context) (int, error) { return 1, nil }
	calls := []struct {
		field string
		err   error
	}{
		{"NewResource: Scheduler is nil", errOf((*workslicer.Scheduler)(nil).NewResource("x", 1))},
		{"name is empty", errOf(s.NewResource("", 1))},
		{"perFrame is 0", errOf(s.NewResource("x", 0))},
		{"perFrame is -1", errOf(s.NewResource("x", -1))},
		{"Task.Cost is set but Task.Uses is nil", errOf(s.Go(context.Background(), workslicer.Task{Name: "x", Body: body, Cost: cost}))},
		{"Task.Uses is set but Task.Cost is nil", errOf(s.Go(context.Background(), workslicer.Task{Name: "x", Body: body, Uses: ours}))},
		{"Task.Uses (resource \"bytes\") belongs to another Scheduler", errOf(s.Go(context.Background(), workslicer.Task{Name: "x", Body: body, Uses: theirs, Cost: cost}))},
		{"Loader.Uses is set but Loader.Cost is nil", errOf(workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{Key: "k", Fetch: fetch, Uses: ours}))},
	}
	for _, c := range calls {
		if !errors.Is(c.err, workslicer.ErrInvalid) || !strings.Contains(c.err.Error(), c.field) {
			t.Errorf("%s: got %v; want ErrInvalid naming %s", c.field, c.err, c.field)
		}
	}
	if ours.Name() != "bytes" || ours.Limit() != 1 {
		t.Fatalf("Name %q, Limit %d", ours.Name(), ours.Limit())
	}
}
