package watchdog

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// BenchmarkSample measures one sample of a stuck game goroutine with many
// goroutines alive, two ways in the same run: method=stack is how every
// sample was taken before (runtime.Stack of all goroutines, then parsing
// the dump and finding the stuck goroutine in it), method=profile is how
// samples are taken now (runtime.GoroutineProfile, finding the stuck
// goroutine's record and resolving its frames). stw-ns/op is the
// stop-the-world time the runtime itself records, cpu-ns/op the process's
// user and system CPU time.
func BenchmarkSample(b *testing.B) {
	for _, n := range []int{10, 1000, 10000, 100000} {
		for _, method := range []string{"stack", "profile"} {
			if n == 100000 && method == "stack" {
				continue // about a second per op; the figures are at 10,000
			}
			b.Run(fmt.Sprintf("goroutines=%d/method=%s", n, method), func(b *testing.B) {
				s, stop := stuckLoop(b, n)
				defer stop()
				var buf []byte
				sample := func() bool {
					rs := s.prof.profile()
					r := s.prof.stuck(rs, s.callerChain())
					if r != nil {
						framesOf(r, s.opts.InApp, &s.names)
					}
					return r != nil
				}
				if method == "stack" {
					buf = make([]byte, 64<<20)
					sample = func() bool {
						gs, _ := ParseDump(buf[:runtime.Stack(buf, true)], s.opts.InApp)
						return s.findStuck(gs) != nil
					}
				}
				if !sample() {
					b.Fatal("the stuck goroutine was not found")
				}
				stw, cpu := stopTheWorldTime(), processCPU()
				for b.Loop() {
					sample()
				}
				b.ReportMetric(float64(stopTheWorldTime()-stw)/float64(b.N), "stw-ns/op")
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// stuckLoop starts n parked goroutines and a game loop that beats once and
// then blocks in an Update, and returns a sampler for it.
func stuckLoop(b *testing.B, n int) (*sampler, func()) {
	opts, err := Options{}.resolve()
	if err != nil {
		b.Fatal(err)
	}
	w := &Watchdog{opts: opts}
	stop := make(chan struct{})
	for range n {
		go func() { <-stop }()
	}
	go func() {
		w.Enter(PhaseUpdate, 1)
		w.Exit()
		w.Enter(PhaseUpdate, 2)
		<-stop
		w.Exit()
	}()
	for w.callers.Load() == nil {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // let the loop park
	return newSampler(w, false), func() { close(stop) }
}

func processCPU() time.Duration {
	_, cpu := resourceUsage()
	return cpu
}

// stopTheWorldTime estimates the total time the world has been stopped,
// for any reason, from the runtime's pause histogram.
func stopTheWorldTime() time.Duration {
	s := []metrics.Sample{{Name: "/sched/pauses/total/other:seconds"}}
	metrics.Read(s)
	return histogramSum(s[0].Value)
}

// BenchmarkDetectionLatency measures, in real time, how long after a phase
// begins to block its StallStarted arrives, with many goroutines alive:
// latency-ms against the threshold (Options.Frozen, 700 ms).
func BenchmarkDetectionLatency(b *testing.B) {
	for _, n := range []int{10, 10000, 100000} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			stop := make(chan struct{})
			defer close(stop)
			for range n {
				go func() { <-stop }()
			}
			sink := &latencySink{started: make(chan time.Time, 1)}
			w, err := New(Options{Sink: sink})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			var total time.Duration
			tick := uint64(0)
			for b.Loop() {
				for range 5 {
					tick++
					w.Enter(PhaseUpdate, tick)
					time.Sleep(10 * time.Millisecond)
					w.Exit()
				}
				tick++
				w.Enter(PhaseUpdate, tick)
				began := time.Now()
				total += (<-sink.started).Sub(began)
				w.Exit()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "latency-ms")
		})
	}
}

type latencySink struct{ started chan time.Time }

func (s *latencySink) StallStarted(*Stall) { s.started <- time.Now() }
func (s *latencySink) StallUpdated(*Stall) {}
func (s *latencySink) StallEnded(*Stall)   {}
