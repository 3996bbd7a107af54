package workslicer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// Each failed Fetch, Finish and task reaches OnFailure once, with its
// stage and step and the panic's own stack; expected errors and cancelled
// work do not.
func TestOnFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []workslicer.Failure
		s := newScheduler(t, workslicer.Options{Logger: discard(), OnFailure: func(f workslicer.Failure) {
			mu.Lock()
			got = append(got, f)
			mu.Unlock()
		}})
		ctx := context.Background()
		broken := errors.New("truncated file")
		loads := []workslicer.Loader[int, int]{
			{Key: "broken.png", Kind: "png", Fetch: func(context.Context) (int, error) { return 0, broken }},
			{Key: "optional.png", Kind: "png", Fetch: func(context.Context) (int, error) { return 0, workslicer.Expected(fs.ErrNotExist) }},
			{Key: "bad-finish", Kind: "png", Fetch: func(context.Context) (int, error) { return 1, nil },
				Finish: func(ctx context.Context, v int, yield func(float64) bool) (int, error) {
					finishBroke()
					return v, nil
				}},
		}
		var handles []*workslicer.Handle[int]
		for _, l := range loads {
			h, err := workslicer.Load(ctx, s, l)
			if err != nil {
				t.Fatal(err)
			}
			handles = append(handles, h)
		}
		n := 0
		start(t, s, workslicer.Task{Name: "sum", Kind: "math", Step: func(context.Context) (float64, bool, error) {
			time.Sleep(ms)
			if n++; n == 2 {
				return 0, false, errors.New("overflow")
			}
			return 0.5, false, nil
		}})
		released := start(t, s, costly("released", "", workslicer.Normal, 1000, ms, nil))
		synctest.Wait()
		frame(s, 1)
		released.Release()
		frame(s, 1)
		frame(s, 1)
		if err := handles[1].Err(); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the expected failure's handle: %v, want fs.ErrNotExist", err)
		}
		slices.SortFunc(got, func(a, b workslicer.Failure) int { return strings.Compare(a.Task, b.Task) })
		if len(got) != 3 {
			t.Fatalf("got %d failures, want 3: %+v", len(got), got)
		}
		if f := got[0]; f.Task != "bad-finish" || f.Kind != "png" || f.Stage != "Finish" || f.Step != 1 ||
			!strings.Contains(string(panicStack(f.Err)), "finishBroke") {
			t.Errorf("the panicking Finish: %+v; want step 1 and a stack through finishBroke", f)
		}
		if f := got[1]; f.Task != "broken.png" || f.Stage != "Fetch" || f.Step != 0 || !errors.Is(f.Err, broken) {
			t.Errorf("the failed Fetch: %+v", f)
		}
		if f := got[2]; f.Task != "sum" || f.Kind != "math" || f.Stage != "Task" || f.Step != 2 || f.Err.Error() != "overflow" {
			t.Errorf("the failed task: %+v", f)
		}
	})
}

func finishBroke() { panic("finish broke") }

func panicStack(err error) []byte {
	var pe *workslicer.PanicError
	if !errors.As(err, &pe) {
		return nil
	}
	return pe.Stack
}

// A panicking OnFailure is logged; the scheduler goes on.
func TestPanickingOnFailureIsContained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logged bytes.Buffer
		s := newScheduler(t, workslicer.Options{
			Logger:    slog.New(slog.NewTextHandler(&logged, nil)),
			OnFailure: func(workslicer.Failure) { panic("reporter broke") },
		})
		failing := start(t, s, workslicer.Task{Name: "failing", Step: func(context.Context) (float64, bool, error) {
			time.Sleep(ms)
			return 0, false, errors.New("no")
		}})
		var ran []string
		fine := start(t, s, costly("fine", "", workslicer.Background, 2, ms, &ran))
		frame(s, 1)
		frame(s, 1)
		if failing.Err() == nil || fine.Err() != nil || fine.Progress() != 1 {
			t.Fatalf("failing: %v; fine: %v, progress %v", failing.Err(), fine.Err(), fine.Progress())
		}
		if !strings.Contains(logged.String(), "reporter broke") {
			t.Fatalf("the panic was not logged: %q", logged.String())
		}
	})
}

// A game that releases a handle as soon as it is done, as the demo did,
// cancels its load then; the failure that ended the load is still heard.
// OnFailure runs right after the handle settles, so the last calls may
// come after the handles are done: the test waits for them.
func TestFailureHeardWhenReleasedAtOnce(t *testing.T) {
	const loads = 300
	var heard atomic.Int32
	s := newScheduler(t, workslicer.Options{Logger: discard(), OnFailure: func(workslicer.Failure) { heard.Add(1) }})
	var wg sync.WaitGroup
	for i := range loads {
		h, err := workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{
			Key:   fmt.Sprintf("broken-%d.png", i),
			Fetch: func(context.Context) (int, error) { return 0, errors.New("truncated file") },
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			<-h.Done()
			h.Release()
		})
	}
	wg.Wait()
	for deadline := time.Now().Add(5 * time.Second); heard.Load() < loads && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := heard.Load(); n != loads {
		t.Errorf("OnFailure heard %d of %d failed loads released as soon as they were done", n, loads)
	}
}
