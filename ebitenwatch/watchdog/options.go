package watchdog

import (
	"fmt"
	"log/slog"
	"time"
)

// Options configure a Watchdog. The zero value is the documented default
// for every field.
type Options struct {
	// Hitch is the frame time from which a frame counts as a hitch in
	// Stats. Hitches are never reported. Default 100 ms.
	Hitch time.Duration
	// Frozen is how long a phase must block before it is reported as a
	// frozen frame. Default 700 ms, Sentry's definition of a frozen frame.
	Frozen time.Duration
	// Hang is how long a phase must block before its report is raised to a
	// hang. Default 2 s.
	Hang time.Duration
	// SampleInterval is how often the stuck goroutine's stack is sampled
	// while it is stuck, from Hitch on. Default 100 ms. The watchdog
	// stretches it when a sample takes long (many goroutines), so that
	// sampling never takes more than a tenth of the watchdog's time.
	SampleInterval time.Duration
	// CheckInterval is how often the watchdog looks at the beat. It bounds
	// both detection latency and the resolution of measured frame times.
	// Default Hitch/10 (10 ms); it must not exceed Frozen/10.
	CheckInterval time.Duration

	// MaxStacks caps the distinct stacks kept per stall. Default 32.
	MaxStacks int
	// MaxSamples caps the samples taken per stall; after that only the
	// duration is tracked. Default 600 (a minute at 100 ms).
	MaxSamples int
	// MaxDumpGoroutines is the most goroutines a process may have for a
	// stall to carry an all-goroutine dump (Stall.Dump): the dump stops the
	// world for its whole length, about 6 ms per 1,000 goroutines here.
	// Default 20,000.
	MaxDumpGoroutines int
	// MaxDumpBytes caps a stall's dump; a longer one is cut and its last
	// goroutine left out. Default 16 MiB.
	MaxDumpBytes int

	// SampleTags, if set, is called right after each sample; what it
	// returns is kept with the stack that sample found (Stack.Tags, from
	// its first sample), so tags and stack come from the same moment. It
	// runs on the watchdog's two sampling goroutines, possibly at once, so
	// it must be safe for concurrent use; it must be quick and must not
	// block. A panic in it is recovered and logged.
	SampleTags func() map[string]string

	// InApp decides which frames are the game's own code. The zero rule
	// matches package main and the main module.
	InApp InAppRule

	// ReportFirstFrame watches the session's first phase too. By default
	// it is not watched: a plain loop's first Update is often start-up
	// work, such as loading behind a splash screen. Either way such a stall
	// carries no samples, because the watchdog learns which goroutine runs
	// the loop when a phase first ends. Under ebitenwatch the first phase
	// is Ebitengine's first Layout, so the first Update is watched anyway.
	ReportFirstFrame bool
	// ReportUnderDebugger reports stalls while a debugger is attached. By
	// default a traced process (Linux: TracerPid in /proc/self/status)
	// reports nothing, because a breakpoint is not a freeze.
	ReportUnderDebugger bool
	// FlightRecorder keeps a runtime/trace flight recording of the last few
	// seconds and attaches a snapshot to each stall. Off by default; see
	// BENCHMARKS.md for its cost. Only one flight recorder can run in a
	// process; if another is active, stalls carry no trace.
	FlightRecorder bool

	// Paused, if set, is called on the watchdog's goroutine at every check
	// with the phase the game is in; while it returns true no time counts
	// towards a stall. Adapters use it for engine states where frames
	// deliberately stop, such as an unfocused window. It must not block.
	Paused func(Phase) bool
	// Sink receives stalls. Without one, stalls are only counted in Stats.
	Sink Sink
	// Logger receives the watchdog's own problems, such as a panicking
	// sink. Default slog.Default().
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultHitch             = 100 * time.Millisecond
	DefaultFrozen            = 700 * time.Millisecond
	DefaultHang              = 2 * time.Second
	DefaultSampleInterval    = 100 * time.Millisecond
	DefaultMaxStacks         = 32
	DefaultMaxSamples        = 600
	DefaultMaxDumpGoroutines = 20000
	DefaultMaxDumpBytes      = 16 << 20
)

// minDuration is the shortest threshold or interval accepted: anything
// shorter is a unit mistake, such as Hitch: 9 meant as 9 ms.
const minDuration = time.Millisecond

// resolve fills defaults and validates, naming the offending field.
func (o Options) resolve() (Options, error) {
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"Hitch", &o.Hitch, DefaultHitch},
		{"Frozen", &o.Frozen, DefaultFrozen},
		{"Hang", &o.Hang, DefaultHang},
		{"SampleInterval", &o.SampleInterval, DefaultSampleInterval},
		{"CheckInterval", &o.CheckInterval, 0},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return o, fmt.Errorf("watchdog: Options.%s is %v; it must be positive, or zero for the default", d.name, *d.v)
		}
		if *d.v > 0 && *d.v < minDuration {
			return o, fmt.Errorf("watchdog: Options.%s is %v; it must be at least %v (a time.Duration counts nanoseconds: write %d * time.Millisecond for %d ms)", d.name, *d.v, minDuration, int64(*d.v), int64(*d.v))
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.CheckInterval == 0 {
		o.CheckInterval = min(o.Hitch, o.Frozen) / 10
	}
	switch {
	case o.Hitch >= o.Frozen:
		return o, fmt.Errorf("watchdog: Options.Hitch (%v) must be shorter than Options.Frozen (%v)", o.Hitch, o.Frozen)
	case o.Hang < o.Frozen:
		return o, fmt.Errorf("watchdog: Options.Hang (%v) must not be shorter than Options.Frozen (%v)", o.Hang, o.Frozen)
	case o.SampleInterval >= o.Frozen:
		return o, fmt.Errorf("watchdog: Options.SampleInterval (%v) must be shorter than Options.Frozen (%v)", o.SampleInterval, o.Frozen)
	case o.CheckInterval > o.Frozen/10:
		return o, fmt.Errorf("watchdog: Options.CheckInterval (%v) must be at most Options.Frozen/10 (%v)", o.CheckInterval, o.Frozen/10)
	}
	counts := []struct {
		name string
		v    *int
		def  int
	}{
		{"MaxStacks", &o.MaxStacks, DefaultMaxStacks},
		{"MaxSamples", &o.MaxSamples, DefaultMaxSamples},
		{"MaxDumpGoroutines", &o.MaxDumpGoroutines, DefaultMaxDumpGoroutines},
		{"MaxDumpBytes", &o.MaxDumpBytes, DefaultMaxDumpBytes},
	}
	for _, n := range counts {
		if *n.v < 0 {
			return o, fmt.Errorf("watchdog: Options.%s is %d; it must be positive, or zero for the default", n.name, *n.v)
		}
		if *n.v == 0 {
			*n.v = n.def
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.InApp = o.InApp.resolve()
	return o, nil
}
