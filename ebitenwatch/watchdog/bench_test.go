package watchdog_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"runtime/metrics"
	"runtime/trace"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// BenchmarkEnterExit is the cost the watchdog adds to each phase of a frame.
func BenchmarkEnterExit(b *testing.B) {
	w, err := watchdog.New(watchdog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	var tick uint64
	b.ReportAllocs()
	for b.Loop() {
		tick++
		w.Enter(watchdog.PhaseUpdate, tick)
		w.Exit()
	}
}

var sinceSink time.Duration

// BenchmarkTimeSince is one monotonic clock read, the yardstick for
// BenchmarkEnterExit.
func BenchmarkTimeSince(b *testing.B) {
	start := time.Now()
	for b.Loop() {
		sinceSink += time.Since(start)
	}
}

// stopTheWorldTime estimates the total time the world has been stopped,
// for any reason, from the runtime's pause histogram.
func stopTheWorldTime() time.Duration {
	s := []metrics.Sample{{Name: "/sched/pauses/total/other:seconds"}}
	metrics.Read(s)
	h := s[0].Value.Float64Histogram()
	var sum float64
	for i, c := range h.Counts {
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		if c == 0 || lo < 0 || hi > 1e9 {
			continue
		}
		sum += float64(c) * (lo + hi) / 2
	}
	return time.Duration(sum * 1e9)
}

// BenchmarkFlightRecorder measures what a running flight recorder costs a
// busy program: goroutines handing work over channels and allocating.
// Compare the on and off sub-benchmarks.
func BenchmarkFlightRecorder(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("recording=%t", on), func(b *testing.B) {
			if on {
				fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 5 * time.Second, MaxBytes: 8 << 20})
				if err := fr.Start(); err != nil {
					b.Skip("a flight recorder is already running:", err)
				}
				defer fr.Stop()
			}
			work := make(chan []byte)
			done := make(chan int)
			go func() {
				n := 0
				for buf := range work {
					n += len(buf)
				}
				done <- n
			}()
			for b.Loop() {
				work <- make([]byte, 256)
			}
			close(work)
			<-done
		})
	}
}

// Enter and Exit are documented as inlined into their callers, which is
// about 10 ns of the wrapper's cost per frame; this catches a change that
// grows them past the compiler's inlining budget.
func TestEnterAndExitAreInlinable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with the compiler's inlining report")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, m := range []string{"Enter", "Exit"} {
		re := regexp.MustCompile(`(?m)can inline \(\*Watchdog\)\.` + m + `\b`)
		if !re.Match(out) {
			t.Errorf("(*Watchdog).%s is no longer inlinable:\n%s", m, out)
		}
	}
}

// BenchmarkFlightRecorderSnapshot measures one snapshot of a running
// flight recorder whose ring is full of a busy program's events: what
// taking the snapshot at detection, or only at a stall's end, costs the
// watchdog's goroutine.
func BenchmarkFlightRecorderSnapshot(b *testing.B) {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 5 * time.Second, MaxBytes: 8 << 20})
	if err := fr.Start(); err != nil {
		b.Skip("a flight recorder is already running:", err)
	}
	defer fr.Stop()
	work := make(chan []byte)
	done := make(chan struct{})
	go func() {
		for range work {
		}
		close(done)
	}()
	for range 2_000_000 {
		work <- make([]byte, 256)
	}
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if _, err := fr.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	close(work)
	<-done
	b.ReportMetric(float64(size), "bytes")
}
