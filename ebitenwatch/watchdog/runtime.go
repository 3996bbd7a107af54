package watchdog

import (
	"bytes"
	"log/slog"
	"os"
	"runtime/metrics"
	"runtime/trace"
	"time"
)

// runtimeSnapshot is a point-in-time reading of process counters.
type runtimeSnapshot struct {
	gcCycles    uint64
	gcPause     time.Duration
	gcCPU       time.Duration
	heap        uint64
	goroutines  int
	majorFaults int64
	cpu         time.Duration
}

var metricNames = []string{
	"/gc/cycles/total:gc-cycles",
	"/sched/pauses/total/gc:seconds",
	"/cpu/classes/gc/total:cpu-seconds",
	"/memory/classes/heap/objects:bytes",
	"/sched/goroutines:goroutines",
}

// takeSnapshot reads runtime/metrics, which unlike runtime.ReadMemStats
// does not stop the world, and the process's resource usage.
func takeSnapshot() runtimeSnapshot {
	samples := make([]metrics.Sample, len(metricNames))
	for i, n := range metricNames {
		samples[i].Name = n
	}
	metrics.Read(samples)
	var s runtimeSnapshot
	s.gcCycles = uint64Value(samples[0].Value)
	s.gcPause = histogramSum(samples[1].Value)
	s.gcCPU = time.Duration(float64Value(samples[2].Value) * float64(time.Second))
	s.heap = uint64Value(samples[3].Value)
	s.goroutines = int(uint64Value(samples[4].Value))
	s.majorFaults, s.cpu = resourceUsage()
	return s
}

func uint64Value(v metrics.Value) uint64 {
	if v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return 0
}

func float64Value(v metrics.Value) float64 {
	if v.Kind() == metrics.KindFloat64 {
		return v.Float64()
	}
	return 0
}

// histogramSum estimates the total of a histogram of seconds from bucket
// midpoints.
func histogramSum(v metrics.Value) time.Duration {
	if v.Kind() != metrics.KindFloat64Histogram {
		return 0
	}
	h := v.Float64Histogram()
	var sum float64
	for i, n := range h.Counts {
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		switch {
		case n == 0:
		case lo < 0 || hi > 1e9:
			// Open-ended buckets: count the finite edge.
			sum += float64(n) * max(lo, 0)
		default:
			sum += float64(n) * (lo + hi) / 2
		}
	}
	return time.Duration(sum * float64(time.Second))
}

// delta returns the change from s to now over wall time.
func (s runtimeSnapshot) delta(now runtimeSnapshot, wall time.Duration) Runtime {
	return Runtime{
		Goroutines:  now.goroutines,
		HeapInUse:   now.heap,
		GCCycles:    now.gcCycles - s.gcCycles,
		GCPause:     now.gcPause - s.gcPause,
		GCCPU:       now.gcCPU - s.gcCPU,
		MajorFaults: now.majorFaults - s.majorFaults,
		CPU:         now.cpu - s.cpu,
		Wall:        wall,
	}
}

// debuggerAttached reports whether a tracer such as a debugger is attached
// (Linux only; elsewhere it reports false).
func debuggerAttached() bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	_, after, ok := bytes.Cut(status, []byte("TracerPid:"))
	if !ok {
		return false
	}
	line, _, _ := bytes.Cut(after, []byte("\n"))
	pid := bytes.TrimSpace(line)
	return len(pid) > 0 && !bytes.Equal(pid, []byte("0"))
}

// flightRecorder keeps the last seconds of an execution trace.
type flightRecorder struct {
	fr *trace.FlightRecorder
}

const (
	flightRecorderAge   = 5 * time.Second
	flightRecorderBytes = 8 << 20
)

func startFlightRecorder(log *slog.Logger) *flightRecorder {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: flightRecorderAge, MaxBytes: flightRecorderBytes})
	if err := fr.Start(); err != nil {
		log.Warn("watchdog: flight recorder not started; stalls will carry no trace", "err", err)
		return nil
	}
	return &flightRecorder{fr: fr}
}

// snapshot returns the recorded trace, or nil if it could not be written.
func (r *flightRecorder) snapshot(log *slog.Logger) []byte {
	var buf bytes.Buffer
	if _, err := r.fr.WriteTo(&buf); err != nil {
		log.Warn("watchdog: flight recorder snapshot failed", "err", err)
		return nil
	}
	return buf.Bytes()
}

func (r *flightRecorder) stop() { r.fr.Stop() }
