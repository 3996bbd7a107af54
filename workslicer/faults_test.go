package workslicer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
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
		var bar workslicer.Progress
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

// A panicking OnOverrun is logged; Run returns and the scheduler goes on.
func TestPanickingOnOverrunIsContained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logged bytes.Buffer
		s := newScheduler(t, workslicer.Options{
			Logger:    slog.New(slog.NewTextHandler(&logged, nil)),
			OnOverrun: func(workslicer.Overrun) { panic("overlay broke") },
		})
		var ran []string
		h := start(t, s, costly("bake", "", workslicer.Normal, 3, 10*ms, &ran))
		for i := range 3 {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("frame %d: Run panicked: %v", i, r)
					}
				}()
				frame(s, 1)
			}()
		}
		if len(ran) != 3 || h.Progress() != 1 || h.Err() != nil {
			t.Fatalf("ran %d of 3 chunks; progress %v, err %v", len(ran), h.Progress(), h.Err())
		}
		if !strings.Contains(logged.String(), "overlay broke") {
			t.Fatalf("the panic was not logged: %q", logged.String())
		}
	})
}

// A task that calls runtime.Goexit fails with ErrGoexit; the Goexit goes
// on to end the goroutine that called Run, as iter.Pull passes it on, and
// the scheduler stays usable from another goroutine.
func TestGoexitInATaskSettlesItsHandle(t *testing.T) {
	tasks := map[string]workslicer.Task{
		"body": {Name: "quitter", Body: func(ctx context.Context, yield func(float64) bool) error {
			yield(0.5)
			runtime.Goexit()
			return nil
		}},
		"step": {Name: "quitter", Step: func(context.Context) (float64, bool, error) {
			runtime.Goexit()
			return 0, false, nil
		}},
	}
	for style, task := range tasks {
		t.Run(style, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testGoexit(t, task) })
		})
	}
}

func testGoexit(t *testing.T, task workslicer.Task) {
	var logged bytes.Buffer
	var failures []workslicer.Failure
	s := newScheduler(t, workslicer.Options{Budget: time.Second, Logger: slog.New(slog.NewTextHandler(&logged, nil)),
		OnFailure: func(f workslicer.Failure) { failures = append(failures, f) }})
	h := start(t, s, task)
	var ran []string
	other := start(t, s, costly("other", "", workslicer.Background, 3, ms, &ran))
	returned := make(chan bool, 1)
	go func() {
		ok := false
		defer func() { returned <- ok }()
		for range 3 {
			frame(s, 1)
		}
		ok = true
	}()
	if <-returned {
		t.Fatal("the goroutine calling Run returned normally; the Goexit was swallowed")
	}
	select {
	case <-h.Done():
	default:
		t.Fatal("the handle is still pending after its task called Goexit")
	}
	if err := h.Err(); !errors.Is(err, workslicer.ErrGoexit) || !strings.Contains(err.Error(), "quitter") {
		t.Fatalf("err %v; want ErrGoexit naming the task", err)
	}
	if _, _, ok := s.Running(); ok {
		t.Fatal("Running names a chunk after the goroutine ended")
	}
	for range 3 {
		frame(s, 1)
	}
	if other.Progress() != 1 || other.Err() != nil || len(ran) != 3 {
		t.Fatalf("the other task after the Goexit: progress %v, err %v, %d chunks", other.Progress(), other.Err(), len(ran))
	}
	if !strings.Contains(logged.String(), "Goexit") {
		t.Fatalf("the Goexit was not logged: %q", logged.String())
	}
	if len(failures) != 1 || failures[0].Task != "quitter" || !errors.Is(failures[0].Err, workslicer.ErrGoexit) {
		t.Fatalf("failures %+v; want the Goexit once", failures)
	}
}

// A Fetch that calls runtime.Goexit ends its worker and fails its load
// with ErrGoexit; the other loads still get a worker.
func TestGoexitInFetchSettlesItsLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Workers: 1, Logger: discard()})
		quitter := load(t, s, "quitter", func(context.Context) (int, error) {
			runtime.Goexit()
			return 0, nil
		})
		next := load(t, s, "next", func(context.Context) (int, error) { return 2, nil })
		synctest.Wait()
		if err := quitter.Err(); !errors.Is(err, workslicer.ErrGoexit) || !strings.Contains(err.Error(), "quitter") {
			t.Fatalf("err %v; want ErrGoexit naming the load", err)
		}
		if v, err := next.Value(); v != 2 || err != nil {
			t.Fatalf("the next load: %v, %v", v, err)
		}
		if st := s.Stats(); st.Fetching != 0 {
			t.Fatalf("%d loads still counted as loading", st.Fetching)
		}
	})
}
