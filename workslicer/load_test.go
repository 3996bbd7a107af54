package workslicer_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// Two requests for one key share one Fetch and one value; the value stays
// shared while a handle holds it, and a new load starts after the last
// release.
func TestLoadsOfOneKeyShareOneLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{})
		var fetches atomic.Int32
		fetch := func(context.Context) (*int, error) {
			fetches.Add(1)
			time.Sleep(10 * ms)
			v := new(int)
			return v, nil
		}
		a := load(t, s, "tree.png", fetch)
		b := load(t, s, "tree.png", fetch)
		synctest.Wait()
		time.Sleep(10 * ms)
		synctest.Wait()
		va, errA := a.Value()
		vb, errB := b.Value()
		if errA != nil || errB != nil || va != vb || fetches.Load() != 1 {
			t.Fatalf("values %p, %p (%v, %v) after %d fetches; want one shared value from one fetch", va, vb, errA, errB, fetches.Load())
		}
		a.Release()
		c := load(t, s, "tree.png", fetch)
		if vc, err := c.Value(); err != nil || vc != va || fetches.Load() != 1 {
			t.Fatalf("a load of a held key: %p, %v after %d fetches; want the held value", vc, err, fetches.Load())
		}
		b.Release()
		c.Release()
		d := load(t, s, "tree.png", fetch)
		synctest.Wait()
		time.Sleep(10 * ms)
		synctest.Wait()
		if vd, err := d.Value(); err != nil || vd == va || fetches.Load() != 2 {
			t.Fatalf("a load after the last release: %p, %v after %d fetches; want a new load", vd, err, fetches.Load())
		}
	})
}

// The last release cancels a load at whatever stage it is in; releases
// before the last do not.
func TestLastReleaseCancelsTheLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Workers: 1})
		unblock := make(chan struct{})
		blocker := load(t, s, "blocker", func(context.Context) (int, error) { <-unblock; return 1, nil })
		synctest.Wait()

		// Waiting for a worker: the Fetch never runs.
		called := false
		queued := load(t, s, "queued", func(context.Context) (int, error) { called = true; return 1, nil })
		if st := s.Stats(); st.Fetching != 2 {
			t.Fatalf("Fetching = %d, want 2", st.Fetching)
		}
		queued.Release()
		if !errors.Is(queued.Err(), workslicer.ErrReleased) || s.Stats().Fetching != 1 {
			t.Fatalf("released while queued: err %v, fetching %d", queued.Err(), s.Stats().Fetching)
		}
		close(unblock)
		synctest.Wait()
		if called || blocker.Err() != nil {
			t.Fatalf("fetch of a released load ran: %v; blocker: %v", called, blocker.Err())
		}

		// Fetching: its context is cancelled with ErrReleased, but only
		// once both handles are gone.
		var cause error
		fetch := func(ctx context.Context) (int, error) {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return 0, cause
		}
		first := load(t, s, "fetching", fetch)
		second := load(t, s, "fetching", fetch)
		synctest.Wait()
		first.Release()
		synctest.Wait()
		if cause != nil || second.Err() != nil {
			t.Fatalf("one of two handles released: cause %v, err %v; want the load going on", cause, second.Err())
		}
		second.Release()
		synctest.Wait()
		if cause != workslicer.ErrReleased || !errors.Is(second.Err(), workslicer.ErrReleased) {
			t.Fatalf("last handle released while fetching: cause %v, err %v", cause, second.Err())
		}

		// Finishing on the game goroutine: Finish sees yield return false.
		stopped := false
		finishing, err := workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{
			Key:   "finishing",
			Fetch: func(context.Context) (int, error) { return 1, nil },
			Finish: func(ctx context.Context, v int, yield func(float64) bool) (int, error) {
				for yield(0.5) {
					time.Sleep(ms)
				}
				stopped = true
				return 0, context.Cause(ctx)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		frame(s, 1)
		finishing.Release()
		frame(s, 1)
		if !stopped || !errors.Is(finishing.Err(), workslicer.ErrReleased) || s.Stats().Pending != 0 {
			t.Fatalf("released while finishing: stopped %v, err %v, pending %d", stopped, finishing.Err(), s.Stats().Pending)
		}
	})
}

// A context passed to Load releases its handle when done.
func TestContextReleasesALoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		h, err := workslicer.Load(ctx, s, workslicer.Loader[int, int]{Key: "k", Fetch: func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		}})
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		synctest.Wait()
		if !errors.Is(h.Err(), workslicer.ErrReleased) || s.Stats().Fetching != 0 {
			t.Fatalf("err %v, fetching %d", h.Err(), s.Stats().Fetching)
		}
		if _, err := workslicer.Load(ctx, s, workslicer.Loader[int, int]{Key: "k", Fetch: func(context.Context) (int, error) { return 1, nil }}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Load with a done context: %v", err)
		}
	})
}

// A failed load is forgotten, so that asking again retries it.
func TestFailedLoadIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{})
		attempts := 0
		fetch := func(context.Context) (int, error) {
			attempts++
			if attempts == 1 {
				return 0, errors.New("disk hiccup")
			}
			return 42, nil
		}
		failed := load(t, s, "save.dat", fetch)
		synctest.Wait()
		if failed.Err() == nil || failed.Progress() != 1 {
			t.Fatalf("first attempt: err %v, progress %v", failed.Err(), failed.Progress())
		}
		retry := load(t, s, "save.dat", fetch)
		synctest.Wait()
		if v, err := retry.Value(); v != 42 || err != nil || attempts != 2 {
			t.Fatalf("retry: %v, %v after %d attempts", v, err, attempts)
		}
	})
}

// Panics in Fetch or Finish fail that load only.
func TestLoadPanicsAreIsolated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Logger: discard()})
		fetchPanics := load(t, s, "fetch", func(context.Context) (int, error) { panic("no file") })
		finishPanics, err := workslicer.Load(context.Background(), s, workslicer.Loader[int, string]{
			Key:    "finish",
			Fetch:  func(context.Context) (int, error) { return 1, nil },
			Finish: func(context.Context, int, func(float64) bool) (string, error) { panic("no GPU") },
		})
		if err != nil {
			t.Fatal(err)
		}
		fine := load(t, s, "fine", func(context.Context) (int, error) { return 7, nil })
		synctest.Wait()
		frame(s, 1)
		var pe *workslicer.PanicError
		if err := fetchPanics.Err(); !errors.As(err, &pe) || pe.Task != "fetch" || pe.Value != "no file" {
			t.Fatalf("fetch: %v", err)
		}
		if err := finishPanics.Err(); !errors.As(err, &pe) || pe.Task != "finish" || pe.Value != "no GPU" {
			t.Fatalf("finish: %v", err)
		}
		if v, err := fine.Value(); v != 7 || err != nil {
			t.Fatalf("healthy load: %v, %v", v, err)
		}
	})
}

// Fetch covers the first half of a load's progress and Finish the second.
func TestLoadProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: ms})
		h, err := workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{
			Key: "k",
			Fetch: func(context.Context) (int, error) {
				time.Sleep(5 * ms)
				return 2, nil
			},
			Finish: func(ctx context.Context, v int, yield func(float64) bool) (int, error) {
				time.Sleep(ms)
				yield(0.5)
				time.Sleep(ms)
				return v * 2, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		var seen []float64
		for range 4 {
			frame(s, 1)
			seen = append(seen, h.Progress())
			time.Sleep(5 * ms)
			synctest.Wait()
		}
		if want := []float64{0, 0.75, 1, 1}; !slices.Equal(seen, want) {
			t.Fatalf("progress by frame %v, want %v", seen, want)
		}
		if v, err := h.Value(); v != 4 || err != nil {
			t.Fatalf("value %v, %v", v, err)
		}
	})
}

// Waiting fetches go to workers by priority, and a later request for the
// same key with a higher priority raises the load's.
func TestFetchPriorityAndRaise(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		queue, order, unblock := blockedFetches(t)
		queue("late-music", workslicer.Background)
		queue("props", workslicer.Normal)
		queue("level", workslicer.Urgent)
		queue("late-music", workslicer.Urgent)
		close(unblock)
		synctest.Wait()
		if want := []string{"late-music", "level", "props"}; !slices.Equal(*order, want) {
			t.Fatalf("fetched %v, want %v", *order, want)
		}
	})
}

// blockedFetches returns a function that queues loads behind a blocker on
// one worker, the keys in the order they were fetched, and the channel
// whose closing unblocks the worker.
func blockedFetches(t *testing.T) (queue func(key string, p workslicer.Priority), order *[]string, unblock chan struct{}) {
	s := newScheduler(t, workslicer.Options{Workers: 1})
	unblock = make(chan struct{})
	load(t, s, "blocker", func(context.Context) (int, error) { <-unblock; return 0, nil })
	synctest.Wait()
	order = new([]string)
	queue = func(key string, p workslicer.Priority) {
		_, err := workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{Key: key, Priority: p,
			Fetch: func(context.Context) (int, error) { *order = append(*order, key); return 0, nil }})
		if err != nil {
			t.Fatal(err)
		}
	}
	return queue, order, unblock
}

// No more than Options.Workers fetches run at once.
func TestWorkersAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Workers: 2})
		var mu sync.Mutex
		running, most := 0, 0
		var handles []*workslicer.Handle[int]
		for i := range 7 {
			handles = append(handles, load(t, s, string(rune('a'+i)), func(context.Context) (int, error) {
				mu.Lock()
				running++
				most = max(most, running)
				mu.Unlock()
				time.Sleep(10 * ms)
				mu.Lock()
				running--
				mu.Unlock()
				return i, nil
			}))
		}
		time.Sleep(time.Second)
		for i, h := range handles {
			if v, err := h.Value(); v != i || err != nil {
				t.Fatalf("load %d: %v, %v", i, v, err)
			}
		}
		if most != 2 {
			t.Fatalf("%d fetches ran at once; want 2", most)
		}
	})
}

// A waiting fetch gains a level per AgeStep: a Background fetch that
// waited two steps goes before an Urgent one that came later.
func TestFetchAgeing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		queue, order, unblock := blockedFetches(t)
		queue("old-music", workslicer.Background)
		queue("props", workslicer.Normal)
		time.Sleep(2 * workslicer.DefaultAgeStep)
		queue("level", workslicer.Urgent)
		close(unblock)
		synctest.Wait()
		if want := []string{"props", "old-music", "level"}; !slices.Equal(*order, want) {
			t.Fatalf("fetched %v, want %v", *order, want)
		}
	})
}

// A later Load with a higher priority raises a load whose Finish already
// waits for the game goroutine.
func TestRaiseReordersWaitingFinishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: ms})
		var ran []string
		start(t, s, costly("gate", "gate", workslicer.Urgent, 1, 5*ms, &ran))
		loader := func(key string, p workslicer.Priority) workslicer.Loader[int, int] {
			return workslicer.Loader[int, int]{Key: key, Priority: p,
				Fetch: func(context.Context) (int, error) { return 0, nil },
				Finish: func(ctx context.Context, v int, yield func(float64) bool) (int, error) {
					ran = append(ran, key)
					yield(0.5)
					ran = append(ran, key)
					return v, nil
				}}
		}
		for _, key := range []string{"props", "music", "level"} {
			if _, err := workslicer.Load(context.Background(), s, loader(key, workslicer.Normal)); err != nil {
				t.Fatal(err)
			}
			synctest.Wait() // queued in this order
		}
		frame(s, 1) // queues the finishes; runs only gate's chunk, over the budget
		if _, err := workslicer.Load(context.Background(), s, loader("level", workslicer.Urgent)); err != nil {
			t.Fatal(err)
		}
		frame(s, 1)
		if want := []string{"gate", "level", "level", "props", "props", "music", "music"}; !slices.Equal(ran, want) {
			t.Fatalf("ran %v, want %v", ran, want)
		}
	})
}
