package watchdog_test

import (
	"iter"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// A chunk of work run as an iter.Pull coroutine, as workslicer runs a
// Task.Body or a Loader.Finish, blocks: the game goroutine is parked
// resuming it, and the stall is blamed on the chunk, not on the loop.
// Another iter.Pull user's coroutine, parked handing back, is not blamed.
func TestCaptureCoroutineChunk(t *testing.T) {
	idle := parkedCoroutine(t)
	defer idle()
	s := runLoop(t, func(w *watchdog.Watchdog) {
		warmUp(w)
		next, stop := iter.Pull(func(yield func(int) bool) {
			for {
				sleepyChunk(900 * time.Millisecond)
				if !yield(0) {
					return
				}
			}
		})
		defer stop()
		update(w, 6, func() { next() })
		update(w, 7, func() {})
	}, func() {})
	if len(s.Stacks) == 0 || s.Class != watchdog.ClassSleep || !strings.HasSuffix(s.Culprit.Function, ".sleepyChunk") {
		t.Fatalf("%d stacks, class %v, culprit %q; want sleep in sleepyChunk", len(s.Stacks), s.Class, s.Culprit.Function)
	}
	if framesHave(s.Stacks[0].Frames, "idleChunk") {
		t.Errorf("the parked coroutine's stack was sampled: %+v", s.Stacks[0].Frames)
	}
	if g := goroutine(s, s.Goroutine); g == nil || !framesHave(g.Frames, "sleepyChunk") {
		t.Errorf("Stall.Goroutine %d is not the goroutine running the chunk", s.Goroutine)
	}
}

// warmUp runs five frames of 10 ms, as runGame does.
func warmUp(w *watchdog.Watchdog) {
	for tick := uint64(1); tick <= 5; tick++ {
		update(w, tick, func() { time.Sleep(10 * time.Millisecond) })
	}
}

func sleepyChunk(d time.Duration) { time.Sleep(d) }

// parkedCoroutine starts a goroutine that has a coroutine of its own parked
// in yield, with an in-app function on its stack, and returns its stop.
func parkedCoroutine(t *testing.T) func() {
	done := make(chan struct{})
	resumed := make(chan struct{})
	go func() {
		next, stop := iter.Pull(func(yield func(int) bool) {
			for i := 0; ; i++ {
				if !idleChunk(yield, i) {
					return
				}
			}
		})
		next()
		close(resumed)
		<-done
		stop()
	}()
	<-resumed
	return func() { close(done) }
}

//go:noinline
func idleChunk(yield func(int) bool, i int) bool { return yield(i) }

// Two goroutines resume coroutines that run at the same moment: the dump
// names each coroutine's creator, so the stall's goroutine is the one the
// game loop created.
func TestCoroutineOfTheGameLoopAmongRunningOnes(t *testing.T) {
	release := make(chan struct{})
	other := make(chan struct{})
	go func() {
		next, stop := iter.Pull(func(yield func(int) bool) {
			otherChunk(other)
			yield(0)
		})
		next()
		stop()
	}()
	defer close(other)
	s := runLoop(t, func(w *watchdog.Watchdog) {
		warmUp(w)
		next, stop := iter.Pull(func(yield func(int) bool) {
			receive2(release)
			yield(0)
		})
		defer stop()
		update(w, 6, func() { next() })
		update(w, 7, func() {})
	}, func() { close(release) })
	g := goroutine(s, s.Goroutine)
	if g == nil || !framesHave(g.Frames, "receive2") {
		t.Fatalf("Stall.Goroutine %d is not the game loop's coroutine", s.Goroutine)
	}
	if g.CreatedIn == 0 || g.CreatedBy == nil || !strings.HasPrefix(g.CreatedBy.Function, "iter.Pull") {
		t.Errorf("coroutine created by %+v in goroutine %d, want iter.Pull in the loop's", g.CreatedBy, g.CreatedIn)
	}
}

func otherChunk(c <-chan struct{}) { <-c }
func receive2(c <-chan struct{})   { <-c }

func goroutine(s *watchdog.Stall, id int) *watchdog.Goroutine {
	for i := range s.Goroutines {
		if s.Goroutines[i].ID == id {
			return &s.Goroutines[i]
		}
	}
	return nil
}

func framesHave(fs []watchdog.Frame, function string) bool {
	for _, f := range fs {
		if strings.HasSuffix(f.Function, "."+function) {
			return true
		}
	}
	return false
}

// The tags Options.SampleTags gives right after a sample stay with the
// stack that sample found, so a stall's tags name what ran at the moment
// its culprit stack was sampled, not at detection or at the end.
func TestSampleTagsComeFromTheSample(t *testing.T) {
	var step atomic.Int64
	o := fast
	o.SampleTags = func() map[string]string {
		return map[string]string{"step": string(rune('0' + step.Load()))}
	}
	w, r := newWatchdog(t, o)
	release := make(chan struct{})
	go func() {
		warmUp(w)
		update(w, 6, func() {
			step.Store(1)
			receive3(release)
		})
		update(w, 7, func() {})
	}()
	waitStarted(t, r)
	// What runs changes after detection, while the game stays stuck in
	// the same stack.
	step.Store(2)
	time.Sleep(300 * time.Millisecond)
	close(release)
	s := <-r.endedCh
	if len(s.Stacks) == 0 || s.Stacks[0].Tags["step"] != "1" || s.Tags["step"] != "1" {
		t.Errorf("stack tags %v, stall tags %v; want step 1, from the first sample of the culprit stack", s.Stacks[0].Tags, s.Tags)
	}
}

func receive3(c <-chan struct{}) { <-c }

// A panicking Options.SampleTags leaves the stall without tags.
func TestSampleTagsPanic(t *testing.T) {
	o := fast
	o.SampleTags = func() map[string]string { panic("tags bug") }
	o.Logger = discardLogger()
	ch := make(chan int)
	s := runLoop(t, func(w *watchdog.Watchdog) {
		warmUp(w)
		update(w, 6, func() { receive(ch) })
	}, func() { ch <- 1 })
	if len(s.Stacks) == 0 || s.Tags != nil {
		t.Errorf("stacks %d, tags %v; want samples and no tags", len(s.Stacks), s.Tags)
	}
}

func waitStarted(t *testing.T, r *recorder) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n, _ := r.counts(); n == 0; n, _ = r.counts() {
		if time.Now().After(deadline) {
			t.Fatal("no stall detected within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
