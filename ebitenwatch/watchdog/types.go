package watchdog

import (
	"fmt"
	"time"
)

// Phase is the part of a frame the game goroutine is in.
type Phase uint8

// The phases of a frame. PhaseIdle means between phases: the game loop is
// outside Update, Draw and Layout, for example while the engine presents a
// frame or uploads textures.
const (
	PhaseIdle Phase = iota
	PhaseUpdate
	PhaseDraw
	PhaseLayout
)

// String returns the phase's name, such as "Update".
func (p Phase) String() string {
	switch p {
	case PhaseIdle:
		return "Idle"
	case PhaseUpdate:
		return "Update"
	case PhaseDraw:
		return "Draw"
	case PhaseLayout:
		return "Layout"
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// Tier grades how long a frame took.
type Tier uint8

// The tiers, from Options.Hitch, Options.Frozen and Options.Hang.
const (
	TierNone   Tier = iota // shorter than a hitch
	TierHitch              // counted in Stats, never reported
	TierFrozen             // a frozen frame: reported
	TierHang               // a hang: reported at a higher level
)

// String returns the tier's name, such as "frozen".
func (t Tier) String() string {
	switch t {
	case TierNone:
		return "none"
	case TierHitch:
		return "hitch"
	case TierFrozen:
		return "frozen"
	case TierHang:
		return "hang"
	}
	return fmt.Sprintf("Tier(%d)", uint8(t))
}

// Class says what the stuck goroutine was doing.
type Class uint8

// The classes of stall.
const (
	ClassUnknown Class = iota
	ClassCPU           // running or runnable: computing
	ClassLock          // waiting on sync.Mutex, RWMutex, WaitGroup or Cond
	ClassChannel       // blocked on a channel operation or select
	ClassIO            // network poll, system call or file access
	ClassSleep         // in time.Sleep
	ClassGC            // stopped or assisting the garbage collector
	// ClassPaging is running code that waited for the disk in page
	// faults: memory paged out, or a memory-mapped file read. Go sees such
	// a goroutine running. On Linux, a running stall is paging when, from
	// Options.Hitch on, the process took a major fault at least every 50
	// ms and its threads together were on a CPU or waiting for one under
	// 95% of the time the hypervisor left: no thread can have been
	// computing throughout. A paging stall beside a busy thread of the
	// game's own, which could be the stuck one, stays cpu.
	ClassPaging
)

var classNames = [...]string{"unknown", "cpu", "lock", "channel", "io", "sleep", "gc", "paging"}

// String returns the class's name as reports show it, such as "lock".
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// Frame is one function call in a goroutine's stack.
type Frame struct {
	Function string // fully qualified, as in a goroutine dump: "main.loadAll"
	File     string // the source file's path where the program was built
	Line     int    // the line in File
	InApp    bool   // part of the game's own code (see Options.InApp)
}

// Stack is a folded stack: one distinct call stack and how many samples
// found the stuck goroutine in it. Frames are innermost first, as in a
// goroutine dump.
type Stack struct {
	Frames []Frame // innermost first
	Count  int     // how many samples found the goroutine in this stack
	// State is the goroutine's wait state when first seen here, as a
	// goroutine dump names it ("sync.Mutex.Lock", "chan receive",
	// "running"), read from the frames (see the package doc).
	State string
	// Tags are what Options.SampleTags returned right after the sample
	// that first found this stack.
	Tags map[string]string
}

// Goroutine is one goroutine of an all-goroutine dump.
type Goroutine struct {
	ID        int           // the goroutine ID the dump shows
	State     string        // its wait reason or status, e.g. "chan receive" or "running"
	Wait      time.Duration // how long it had been blocked, in whole minutes
	Frames    []Frame       // innermost first
	CreatedBy *Frame        // the go statement that started it; nil for the main goroutine
	CreatedIn int           // the ID of the goroutine that started it; 0 if the dump does not say
}

// Runtime holds process data measured over a stall. Counters are deltas from
// just before the stall to its detection (StallStarted) or end (StallEnded).
type Runtime struct {
	Goroutines  int           // goroutines alive at the first sample
	HeapInUse   uint64        // bytes of live heap objects
	GCCycles    uint64        // GC cycles completed during the stall
	GCPause     time.Duration // approximate total stop-the-world GC time
	GCCPU       time.Duration // CPU spent by the garbage collector
	MajorFaults int64         // page faults that had to read from disk
	CPU         time.Duration // process user+system CPU time
	Wall        time.Duration // wall time over which the deltas were taken

	paging bool // see threadTimes.waitedOnDisk
}

// Stall is one frame that blocked past Options.Frozen.
//
// A Sink receives a Stall at detection, while it lasts, and when the frame
// ends, with everything folded. Each call gets its own copy, which the
// sink may keep.
type Stall struct {
	ID       uint64        // unique within this Watchdog
	Phase    Phase         // the phase that blocked
	Tick     uint64        // the tick passed to Enter
	Start    time.Time     // when the watchdog first saw the phase; the real start is at most one check earlier
	Duration time.Duration // how long it has blocked so far: a lower bound
	Tier     Tier          // TierFrozen or TierHang
	Class    Class         // what the goroutine was doing, from its stacks' states and functions
	Ended    bool          // false in StallStarted, true in StallEnded

	// Goroutine is the ID of the stuck goroutine, from the dump; 0 when it
	// could not be identified or no dump was taken (see Dump).
	Goroutine int
	// Stacks are the stuck goroutine's sampled stacks, folded, the most
	// sampled first. Stacks[0] is the culprit. When the game goroutine is
	// parked resuming an iter.Pull coroutine, the stuck goroutine is the
	// coroutine's, which runs the code the game waits for.
	Stacks []Stack
	// Samples counts every sample taken, from Options.Hitch on;
	// DroppedSamples those whose stack was new after Options.MaxStacks
	// distinct stacks were already kept.
	Samples, DroppedSamples int
	// Culprit is the innermost in-app frame of Stacks[0], or its innermost
	// frame when no frame is in-app.
	Culprit Frame

	// Dump is an all-goroutine dump in runtime.Stack format, taken right
	// after StallStarted, so StallStarted itself carries none; Goroutines
	// is the same dump parsed. Both are nil when more than
	// Options.MaxDumpGoroutines goroutines were alive (DumpSkipped says how
	// many), and the dump is cut at Options.MaxDumpBytes.
	Dump        []byte
	Goroutines  []Goroutine
	DumpSkipped int

	Runtime      Runtime         // process counters measured over the stall
	RecentFrames []time.Duration // frame times before the stall, oldest first
	// Trace is a runtime/trace flight-recorder snapshot taken right after
	// StallStarted, with the dump, when Options.FlightRecorder is set and
	// it could be taken.
	Trace []byte

	// Hitches are the session's most frequent hitch culprits so far, at
	// most MaxStallHitches, the most frequent first.
	Hitches []HitchCulprit

	// Tags are the tags of Stacks[0] (Stack.Tags, from
	// Options.SampleTags), plus what a layer above the watchdog adds
	// before passing the stall on.
	Tags map[string]string
}

// HitchCulprit is a function that hitches were blamed on: frames that
// blocked for at least Options.Hitch but less than Options.Frozen, whose
// most sampled stack had it as its culprit.
type HitchCulprit struct {
	Function string        // fully qualified, as Stall.Culprit.Function
	Count    int           // hitches blamed on it
	Total    time.Duration // their summed durations, each a lower bound
}

// Sink receives stalls. Its methods are called one at a time on the
// watchdog's own goroutine, never the game's; a slow sink delays the
// watchdog's next check but never the game. A panic in a sink is recovered
// and logged.
//
// One stall gets exactly one StallStarted, then any number of
// StallUpdated, then at most one StallEnded (none when the watchdog is
// closed while the stall lasts). A stall's StallEnded waits, for up to 5
// seconds, for a sample or dump taken for it that has not come yet when its
// phase returns, so the next stall's StallStarted may come first.
type Sink interface {
	// StallStarted is called as soon as a stall is detected, with the
	// samples taken since Options.Hitch (none if none could be taken yet),
	// so that a report exists even if the player kills the game. The dump
	// follows in a StallUpdated.
	StallStarted(s *Stall)
	// StallUpdated is called while the stall lasts, with everything sampled
	// so far: at the first check after its Tier rises, and otherwise at
	// least every UpdateInterval (1 s), so that a sink can keep a record
	// of where the game is now, not where it was at detection.
	StallUpdated(s *Stall)
	// StallEnded is called when the stalled phase returns, with the final
	// duration and folded samples.
	StallEnded(s *Stall)
}
