package watchdog

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A beat packs what the game goroutine is doing into one word, so Enter and
// Exit are a single atomic store each and read no clock: bits 0-1 hold the
// phase, bits 2-31 a sequence number that changes at every Enter, bits
// 32-63 the low half of the tick. The watchdog timestamps the beats it sees.
const (
	phaseMask = 3
	seqShift  = 2
	seqMask   = 1<<30 - 1
	seqBits   = seqMask << seqShift
	tickShift = 32
)

func beatPhase(b uint64) Phase { return Phase(b & phaseMask) }
func beatSeq(b uint64) uint64  { return b >> seqShift & seqMask }
func beatTick(b uint64) uint64 { return b >> tickShift }

// Watchdog notices frames that block too long. Create one with New, call
// Enter and Exit around each phase of every frame on the game goroutine, and
// Close it when the game ends.
type Watchdog struct {
	beat atomic.Uint64
	// last is the beat Enter stored. Only the goroutine calling Enter and
	// Exit touches it.
	last uint64
	// callers is the call chain above Exit, recorded at the first Exit and
	// refreshed every recordEvery phases. It is how the watchdog finds the
	// game loop's goroutine in a dump without Enter paying for it.
	callers atomic.Pointer[[]uintptr]
	// scratch holds the latest recording, so that an unchanged chain is
	// not copied again. Only the goroutine calling Exit touches it.
	scratch []uintptr
	paused  atomic.Int32

	opts    Options
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once

	frames  frameStats
	hitches hitchTable
	rec     *flightRecorder
}

// New starts a watchdog with its own goroutine. It returns an error naming
// the field if opts is invalid.
func New(opts Options) (*Watchdog, error) {
	opts, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	w := &Watchdog{
		opts:    opts,
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if opts.FlightRecorder {
		w.rec = startFlightRecorder(opts.Logger)
	}
	go w.run()
	return w, nil
}

// Enter marks the start of phase p of the frame numbered tick. Call it on
// the game goroutine, paired with Exit; phases do not nest. Enter is one
// atomic store, small enough to be inlined: no lock, allocation, clock read
// or system call.
func (w *Watchdog) Enter(p Phase, tick uint64) {
	// Add one to the sequence number, dropping its carry into the tick.
	w.last = tick<<tickShift | (w.last+1<<seqShift)&seqBits | uint64(p&phaseMask)
	w.beat.Store(w.last)
}

// recordEvery is how many phases pass between two recordings of the
// callers, about 90 s at 60 frames a second. Recording takes microseconds,
// so this keeps its share of Exit's cost under a nanosecond.
const recordEvery = 1 << 14

// Exit marks the end of the phase begun by the last Enter. Call it on the
// game goroutine. It is one atomic store, except at the first Exit and one
// in 16,384 after it, which record the caller's stack (a few microseconds,
// allocating only when the stack differs from the last).
//
// Until the first Exit the watchdog does not know which goroutine runs the
// loop, so a stall in the very first phase is reported without samples.
func (w *Watchdog) Exit() {
	w.beat.Store(w.last &^ phaseMask)
	if w.last&((recordEvery-1)<<seqShift) == 1<<seqShift {
		w.recordCallers()
	}
}

//go:noinline
func (w *Watchdog) recordCallers() {
	if w.scratch == nil {
		w.scratch = make([]uintptr, 32)
	}
	// Skip runtime.Callers, recordCallers and Exit.
	pcs := w.scratch[:runtime.Callers(3, w.scratch)]
	if old := w.callers.Load(); old == nil || !slices.Equal(*old, pcs) {
		pcs = slices.Clone(pcs)
		w.callers.Store(&pcs)
	}
}

// Beat returns the game loop's beat: a word that changes at every Enter
// and Exit, so a reader in another process can tell the loop moves. Safe
// from any goroutine.
func (w *Watchdog) Beat() uint64 { return w.beat.Load() }

// Pause stops time from counting towards a stall until the matching Resume.
// Use it around deliberate blocking, such as a native file dialog. Pauses
// nest. Safe from any goroutine.
func (w *Watchdog) Pause() { w.paused.Add(1) }

// Resume ends a Pause. Safe from any goroutine.
func (w *Watchdog) Resume() {
	if w.paused.Add(-1) < 0 {
		w.paused.Add(1)
		w.opts.Logger.Warn("watchdog: Resume without Pause ignored")
	}
}

// Close stops the watchdog's goroutine and waits for it. A stall whose
// phase has ended by then gets its StallEnded before Close returns. A stall
// still in progress is not ended: its sink has had StallStarted and may
// treat it as a freeze the game was closed in. Close is safe to call more
// than once and from any goroutine.
func (w *Watchdog) Close() error {
	w.once.Do(func() { close(w.done) })
	<-w.stopped
	if w.rec != nil {
		w.rec.stop()
	}
	return nil
}

// Options returns the options in effect: those given to New, with every
// zero field replaced by its default. Safe from any goroutine.
func (w *Watchdog) Options() Options { return w.opts }

// Stats returns the session's frame statistics. Safe from any goroutine.
func (w *Watchdog) Stats() Stats { return w.frames.stats() }

// RecentFrames appends the most recent frame times, oldest first, to dst
// and returns it; with enough capacity in dst it does not allocate. Safe
// from any goroutine.
func (w *Watchdog) RecentFrames(dst []time.Duration) []time.Duration {
	return w.frames.recent(dst)
}

// HitchCulprits appends to dst the n functions the session's hitches were
// most often blamed on, the most hitches first, and returns it; with
// enough capacity in dst it does not allocate. A hitch is blamed on the
// culprit of its most sampled stack; one too short to be sampled is
// counted in Stats only. Safe from any goroutine.
func (w *Watchdog) HitchCulprits(dst []HitchCulprit, n int) []HitchCulprit {
	return w.hitches.top(dst, n)
}

func (w *Watchdog) run() {
	defer close(w.stopped)
	t := time.NewTicker(w.opts.CheckInterval)
	defer t.Stop()
	c := newChecker(w)
	for _, l := range []*lane{&c.samples, &c.details} {
		l.s = newSampler(w, true)
		done := make(chan struct{})
		go l.s.run(done)
		defer func() {
			close(l.s.reqs)
			if l.inFlight != nil {
				<-l.s.results
			}
			<-done
		}()
	}
	for {
		select {
		case <-w.done:
			c.safely(c.closing)
			return
		case <-t.C:
			began := time.Now()
			c.safely(func() { c.check(began) })
			c.ownWork = time.Since(began)
		}
	}
}
