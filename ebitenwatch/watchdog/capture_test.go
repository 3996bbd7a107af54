package watchdog_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// These tests block a real game goroutine in real ways and check what the
// watchdog captures. They use real time with short thresholds.

var fast = watchdog.Options{
	Hitch:          30 * time.Millisecond,
	Frozen:         150 * time.Millisecond,
	Hang:           time.Second,
	SampleInterval: 20 * time.Millisecond,
}

// runGame runs a few quick frames, then one whose Update calls block, on a
// goroutine of its own. Once the stall has been detected and sampled for a
// while, it calls release, which must unblock block. It returns the ended
// stall.
func runGame(t *testing.T, block, release func()) *watchdog.Stall {
	t.Helper()
	return runLoop(t, func(w *watchdog.Watchdog) {
		for tick := uint64(1); tick <= 5; tick++ {
			update(w, tick, func() { time.Sleep(10 * time.Millisecond) })
		}
		update(w, 6, block)
		update(w, 7, func() {})
	}, release)
}

// runLoop starts loop on a goroutine of its own and returns the stall it
// causes, calling release once the stall has been sampled for a while.
func runLoop(t *testing.T, loop func(*watchdog.Watchdog), release func()) *watchdog.Stall {
	t.Helper()
	w, r := newWatchdog(t, fast)
	go loop(w)
	deadline := time.Now().Add(10 * time.Second)
	for n, _ := r.counts(); n == 0; n, _ = r.counts() {
		if time.Now().After(deadline) {
			t.Fatal("no stall detected within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	release()
	select {
	case s := <-r.endedCh:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the stall did not end within 10 s of its release")
		return nil
	}
}

// update is the game loop's Update phase.
func update(w *watchdog.Watchdog, tick uint64, body func()) {
	w.Enter(watchdog.PhaseUpdate, tick)
	body()
	w.Exit()
}

func checkStall(t *testing.T, s *watchdog.Stall, class watchdog.Class, culprit string) {
	t.Helper()
	if len(s.Stacks) == 0 {
		t.Fatalf("no stacks sampled: %+v", s)
	}
	if s.Class != class {
		t.Errorf("class = %v, want %v (state %q)", s.Class, class, s.Stacks[0].State)
	}
	if !strings.HasSuffix(s.Culprit.Function, "."+culprit) {
		t.Errorf("culprit = %q, want watchdog_test.%s", s.Culprit.Function, culprit)
	}
	if !s.Culprit.InApp || s.Culprit.Line == 0 || !strings.HasSuffix(s.Culprit.File, "capture_test.go") {
		t.Errorf("culprit frame %+v: want an in-app frame with file and line", s.Culprit)
	}
	if s.Phase != watchdog.PhaseUpdate || s.Tick != 6 {
		t.Errorf("phase %v tick %d, want Update tick 6", s.Phase, s.Tick)
	}
	if s.Samples < 2 || s.Stacks[0].Count < 2 {
		t.Errorf("samples %d, culprit stack seen %d times; want several", s.Samples, s.Stacks[0].Count)
	}
	if s.Goroutine == 0 || len(s.Dump) == 0 || len(s.Goroutines) < 2 {
		t.Errorf("goroutine %d, dump %d bytes, %d goroutines: want all set", s.Goroutine, len(s.Dump), len(s.Goroutines))
	}
	if len(s.RecentFrames) < 3 {
		t.Errorf("recent frames = %v, want the frames before the stall", s.RecentFrames)
	}
}

func TestCaptureMutex(t *testing.T) {
	var mu sync.Mutex
	held, release := make(chan struct{}), make(chan struct{})
	go holdLock(&mu, held, release)
	<-held
	s := runGame(t, func() { waitForLock(&mu) }, func() { close(release) })
	checkStall(t, s, watchdog.ClassLock, "waitForLock")
	// The holder is visible in the dump.
	if !dumpHas(s, "holdLock") {
		t.Errorf("the goroutine holding the lock is not in the dump")
	}
}

func holdLock(mu *sync.Mutex, held chan<- struct{}, release <-chan struct{}) {
	mu.Lock()
	close(held)
	<-release
	mu.Unlock()
}

func waitForLock(mu *sync.Mutex) {
	mu.Lock()
	mu.Unlock()
}

func TestCaptureChannel(t *testing.T) {
	ch := make(chan int)
	s := runGame(t, func() { receive(ch) }, func() { ch <- 1 })
	checkStall(t, s, watchdog.ClassChannel, "receive")
}

func receive(ch <-chan int) int { return <-ch }

func TestCaptureCPU(t *testing.T) {
	var stop atomic.Bool
	s := runGame(t, func() { spin(&stop) }, func() { stop.Store(true) })
	checkStall(t, s, watchdog.ClassCPU, "spin")
}

var spinSink uint64

//go:noinline
func spin(stop *atomic.Bool) {
	x := uint64(1)
	for !stop.Load() {
		for i := range 1000 {
			x = x*6364136223846793005 + uint64(i)
		}
	}
	spinSink = x
}

func TestCaptureSleep(t *testing.T) {
	s := runGame(t, func() { nap(800 * time.Millisecond) }, func() {})
	checkStall(t, s, watchdog.ClassSleep, "nap")
}

func nap(d time.Duration) { time.Sleep(d) }

func TestCaptureSlowServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	release := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		<-release
		c.Write([]byte("hello"))
	}()
	s := runGame(t, func() { readSlowServer(t, ln.Addr().String()) }, func() { close(release) })
	checkStall(t, s, watchdog.ClassIO, "readSlowServer")
}

func readSlowServer(t *testing.T, addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	if _, err := io.ReadFull(c, make([]byte, 5)); err != nil {
		t.Error(err)
	}
}

func TestCaptureAmongManyGoroutines(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	for range 10000 {
		go func() { <-stop }()
	}
	var mu sync.Mutex
	held, release := make(chan struct{}), make(chan struct{})
	go holdLock(&mu, held, release)
	<-held
	s := runGame(t, func() { waitForLock(&mu) }, func() { close(release) })
	if len(s.Stacks) == 0 || s.Class != watchdog.ClassLock || !strings.HasSuffix(s.Culprit.Function, ".waitForLock") {
		t.Errorf("class %v culprit %q, want lock in waitForLock", s.Class, s.Culprit.Function)
	}
	if len(s.Goroutines) < 10000 {
		t.Errorf("dump has %d goroutines, want all 10,000+", len(s.Goroutines))
	}
}

// An engine may move its loop to another goroutine and call the watchdog
// from other functions. The callers Exit records every 16,384 phases
// follow it, so the stuck goroutine is still found.
func TestCaptureAfterTheLoopMoves(t *testing.T) {
	release := make(chan struct{})
	s := runLoop(t, func(w *watchdog.Watchdog) {
		done := make(chan struct{})
		go firstLoop(w, done)
		<-done
		go secondLoop(w, release)
	}, func() { close(release) })
	if s.Goroutine == 0 || len(s.Stacks) == 0 {
		t.Fatalf("goroutine %d, %d stacks: the stuck goroutine was not found", s.Goroutine, len(s.Stacks))
	}
	if !strings.HasSuffix(s.Culprit.Function, ".waitInSecondLoop") {
		t.Errorf("culprit = %q, want watchdog_test.waitInSecondLoop", s.Culprit.Function)
	}
}

func firstLoop(w *watchdog.Watchdog, done chan<- struct{}) {
	for tick := uint64(1); tick <= 10; tick++ {
		w.Enter(watchdog.PhaseUpdate, tick)
		w.Exit()
	}
	close(done)
}

func secondLoop(w *watchdog.Watchdog, release <-chan struct{}) {
	tick := uint64(11)
	for ; tick <= 20000; tick++ {
		w.Enter(watchdog.PhaseUpdate, tick)
		w.Exit()
	}
	w.Enter(watchdog.PhaseUpdate, tick)
	waitInSecondLoop(release)
	w.Exit()
}

func waitInSecondLoop(release <-chan struct{}) { <-release }

func dumpHas(s *watchdog.Stall, function string) bool {
	for _, g := range s.Goroutines {
		for _, f := range g.Frames {
			if strings.HasSuffix(f.Function, "."+function) {
				return true
			}
		}
	}
	return false
}

// A sink that panics or blocks never crashes or blocks the game.
func TestBadSinkNeverHurtsTheGame(t *testing.T) {
	w, err := watchdog.New(watchdog.Options{
		Hitch: fast.Hitch, Frozen: fast.Frozen, Hang: fast.Hang, SampleInterval: fast.SampleInterval,
		Sink:   panickingSink{},
		Logger: discardLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for tick := uint64(1); tick <= 3; tick++ {
		update(w, tick, func() {})
	}
	update(w, 4, func() { time.Sleep(300 * time.Millisecond) })
	start := time.Now()
	for tick := uint64(5); tick <= 100; tick++ {
		update(w, tick, func() {})
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("96 empty frames took %v after a sink panicked", d)
	}
	if w.Stats().Stalls != 1 {
		t.Errorf("stalls = %d, want 1", w.Stats().Stalls)
	}
}

type panickingSink struct{}

func (panickingSink) StallStarted(*watchdog.Stall) { panic("sink bug") }
func (panickingSink) StallUpdated(*watchdog.Stall) { panic("sink bug") }
func (panickingSink) StallEnded(*watchdog.Stall)   { panic("sink bug") }
