package watchdog

import (
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"time"
)

// checker is the watchdog goroutine's state. Only that goroutine uses it.
type checker struct {
	w    *Watchdog
	opts Options

	lastCheck time.Time
	beat      uint64        // the beat seen at the last check
	busy      time.Duration // unpaused time the beat has stayed unchanged
	sinceTick time.Duration // unpaused time since the tick last changed
	started   bool          // a first frame has completed

	baseline    runtimeSnapshot
	baselineAge time.Duration

	stall   *activeStall
	ending  *activeStall // ended, and waiting for what was asked for it
	endedAt time.Time    // when ending's phase returned
	nextID  uint64

	// samples takes the samples; details the dump and trace a stall
	// asks for once, which may take long, so that neither waits for the
	// other.
	samples, details lane
	sampleCost       time.Duration // what the last sample took
	// ownWork is how long the last check itself took, mostly in the sink.
	// It is not a suspension, so maxStep does not cut it.
	ownWork time.Duration
}

// newChecker returns a checker whose sampler runs inline; run starts it on
// a goroutine of its own.
func newChecker(w *Watchdog) *checker {
	inline := newSampler(w, false)
	return &checker{w: w, opts: w.opts, lastCheck: time.Now(), baseline: takeSnapshot(), samples: lane{s: inline}, details: lane{s: inline}}
}

// maxStep is the most one check may add to a stall. A process stopped by
// SIGSTOP or a suspended machine wakes the watchdog late by minutes; the
// clamp keeps that from looking like a minutes-long frame. It stays larger
// than the few hundred milliseconds a thrashing machine delays wake-ups.
func (c *checker) maxStep() time.Duration { return c.opts.Frozen / 2 }

func (c *checker) check(now time.Time) {
	step := min(now.Sub(c.lastCheck), c.maxStep()+c.ownWork)
	c.lastCheck = now
	c.collect(false)
	if c.ending != nil && now.Sub(c.endedAt) > maxEndingWait {
		// Its phase has returned: a report must not stay in progress for
		// long, whatever an overloaded machine does to the sampler.
		c.finish(c.ending)
		c.ending = nil
	}
	b := c.w.beat.Load()
	paused := c.w.paused.Load() > 0 || c.externallyPaused(beatPhase(b))
	// Frames count from the first beat: start-up is not a frame.
	if !paused && c.beat != 0 {
		c.sinceTick += step
	}
	if b != c.beat {
		c.moved(b, step)
		return
	}
	if paused || b == 0 {
		return
	}
	c.busy += step
	c.baselineAge += step
	switch {
	case c.stall != nil:
		c.stall.advance(c, now)
	case c.busy >= c.opts.Hitch && (c.started || c.opts.ReportFirstFrame):
		c.beginStall(now)
	case c.busy < c.opts.Hitch && c.baselineAge >= c.opts.Hitch:
		// Refresh the baseline while frames are short, so a stall's
		// counters start close to where the stall did.
		c.baseline, c.baselineAge = takeSnapshot(), 0
	}
}

// safely runs f, the watchdog goroutine's work, logging a panic in it
// rather than crashing the game it watches.
func (c *checker) safely(f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.opts.Logger.Error("watchdog: check panicked; watching goes on", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	f()
}

// closing ends a stall whose phase has ended since the last check: it was
// not the game's last freeze, so only a game closed while stuck leaves a
// stall in progress.
func (c *checker) closing() {
	if b := c.w.beat.Load(); c.stall != nil && b != c.beat {
		c.moved(b, 0)
	}
	c.collect(true)
}

// externallyPaused asks Options.Paused, recovering from a panic in it.
func (c *checker) externallyPaused(p Phase) bool {
	if c.opts.Paused == nil {
		return false
	}
	return callOption(c.opts.Logger, "Paused", func() bool { return c.opts.Paused(p) })
}

// callOption calls the function of Options field name, logging a panic in
// it and returning the zero value instead.
func callOption[T any](log *slog.Logger, name string, f func() T) (v T) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("watchdog: Options."+name+" panicked", "panic", r)
			var zero T
			v = zero
		}
	}()
	return f()
}

// moved handles a beat that changed since the last check, step ago: the
// phase it was in ended.
func (c *checker) moved(b uint64, step time.Duration) {
	old := c.beat
	if c.stall != nil {
		c.endStall()
	}
	if old != 0 && beatTick(b) != beatTick(old) {
		c.w.frames.add(c.sinceTick, step, int(uint32(beatTick(b)-beatTick(old))))
		c.sinceTick = 0
	}
	if beatSeq(b) > 1 || (beatSeq(b) == 1 && beatPhase(b) == PhaseIdle) {
		c.started = true
	}
	c.beat, c.busy = b, 0
}

// beginStall starts sampling a phase that has blocked for Options.Hitch.
// It becomes a reported stall if it lasts until Options.Frozen, and
// otherwise a hitch whose culprit is counted.
func (c *checker) beginStall(now time.Time) {
	s := &activeStall{
		Stall:    Stall{Phase: beatPhase(c.beat), Tick: beatTick(c.beat)},
		stacks:   make(map[string]int),
		baseline: c.baseline,
		threads:  readThreadTimes(),
	}
	c.stall = s
	s.advance(c, now)
}

// report passes a stall on once it has blocked for Options.Frozen: at
// once with the samples taken so far, then again with the dump and trace.
func (c *checker) report(s *activeStall, now time.Time) {
	if !c.opts.ReportUnderDebugger && debuggerAttached() {
		s.quiet = true
		return
	}
	c.nextID++
	s.ID, s.reported = c.nextID, true
	s.Start, s.Tier = now.Add(-c.busy), TierFrozen
	s.RecentFrames = c.w.frames.recent(nil)
	s.Hitches = c.w.hitches.top(nil, MaxStallHitches)
	s.nextUpdate = now.Add(UpdateInterval)
	c.w.frames.stallStarted()
	s.refreshRuntime()
	// The dump and the flight recorder's snapshot are taken after
	// StallStarted, by the sampler, because each can take longer than
	// detection may (tens of milliseconds, up to a second under load).
	// runtime.Stack stops the world for the whole traceback (see the
	// package doc), so a stall carries a dump only up to
	// Options.MaxDumpGoroutines.
	s.detail = sampleRequest{dump: true, trace: c.w.rec != nil}
	if n := runtime.NumGoroutine(); n > c.opts.MaxDumpGoroutines {
		s.DumpSkipped, s.detail.dump = n, false
	}
	c.deliver(Sink.StallStarted, s.snapshot())
	c.request(s, now, s.detail)
}

// lane is a sampler and the stall whose request it is serving, if it runs
// on a goroutine of its own; one request is in flight at a time.
type lane struct {
	s        *sampler
	inFlight *activeStall
}

// busy reports whether an async sampler is serving a request.
func (l *lane) busy() bool { return l.s.reqs != nil && l.inFlight != nil }

// request asks for a sample, dump or trace for stall s. An async sampler
// answers at a later check (collect); a request to a busy one is not made,
// and is made again at a later check.
func (c *checker) request(s *activeStall, now time.Time, req sampleRequest) {
	if req.sample && !c.samples.busy() {
		s.requested = now
		s.nextSample = now.Add(max(c.opts.SampleInterval, 10*c.sampleCost))
		c.send(&c.samples, s, sampleRequest{sample: true})
	}
	if (req.dump || req.trace) && !c.details.busy() {
		s.detail = sampleRequest{}
		c.send(&c.details, s, sampleRequest{dump: req.dump, trace: req.trace})
	}
}

func (c *checker) send(l *lane, s *activeStall, req sampleRequest) {
	if l.s.reqs == nil {
		s.apply(c, l.s.take(req))
		return
	}
	l.inFlight = s
	l.s.reqs <- req
}

// collect applies the async samplers' answers that have come to the
// stalls they were for, if those are still being sampled or have ended
// waiting for them (ending). With wait set, it waits for the answers an
// ending stall waits for.
func (c *checker) collect(wait bool) {
	c.collectLane(&c.samples, wait)
	c.collectLane(&c.details, wait)
}

func (c *checker) collectLane(l *lane, wait bool) {
	if l.inFlight == nil {
		return
	}
	var res sampleResult
	if wait && l.inFlight == c.ending {
		res = <-l.s.results
	} else {
		select {
		case res = <-l.s.results:
		default:
			return
		}
	}
	s := l.inFlight
	l.inFlight = nil
	switch s {
	case c.stall:
		s.apply(c, res)
	case c.ending:
		s.apply(c, res)
		if !c.waitsFor(s) {
			c.ending = nil
			c.finish(s)
		}
	}
}

// waitsFor reports whether an answer for s is still to come.
func (c *checker) waitsFor(s *activeStall) bool {
	return c.samples.inFlight == s || c.details.inFlight == s
}

// endStall ends the stall or hitch being sampled: its phase has returned.
// Its tier counts at once. If a sample, dump or trace asked for while it
// lasted has not come yet, it is passed on (or its hitch culprit counted)
// when that comes, without holding up the checks meanwhile.
func (c *checker) endStall() {
	s := c.stall
	c.stall = nil
	switch {
	case s.reported:
		c.w.frames.block(s.Tier)
		s.Ended = true
		s.refreshRuntime()
		s.Hitches = c.w.hitches.top(nil, MaxStallHitches)
	case s.quiet || s.Duration < c.opts.Hitch:
		return
	default:
		c.w.frames.block(TierHitch)
	}
	if c.waitsFor(s) {
		if e := c.ending; e != nil {
			// One stall waits at a time: the older one ends now, and
			// what it waited for is dropped when it comes.
			c.finish(e)
		}
		c.ending, c.endedAt = s, c.lastCheck
		return
	}
	c.finish(s)
}

// maxEndingWait is the longest an ended stall waits for a sample or dump
// asked for it; one that comes later is dropped.
const maxEndingWait = 5 * time.Second

// finish passes an ended stall on, or counts an ended hitch's culprit.
func (c *checker) finish(s *activeStall) {
	switch {
	case s.reported:
		c.deliver(Sink.StallEnded, s.snapshot())
	case len(s.Stacks) > 0:
		c.w.hitches.add(s.snapshot().Culprit.Function, s.Duration)
	}
}

// deliver calls a sink method, recovering and logging a panic in it.
func (c *checker) deliver(method func(Sink, *Stall), s *Stall) {
	if c.opts.Sink == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.opts.Logger.Error("watchdog: sink panicked", "panic", r, "stall", s.ID, "stack", string(debug.Stack()))
		}
	}()
	method(c.opts.Sink, s)
}

// activeStall is a phase being sampled: a hitch until it reaches
// Options.Frozen, then a reported Stall.
type activeStall struct {
	Stall
	stacks     map[string]int // folded stack key -> index in Stacks
	baseline   runtimeSnapshot
	threads    threadTimes   // from beginStall, for ClassPaging
	reported   bool          // StallStarted was delivered
	quiet      bool          // not reported: a debugger is attached
	detail     sampleRequest // the dump and trace still to ask for
	requested  time.Time     // when the last sample was asked for
	nextSample time.Time
	nextUpdate time.Time
}

// refreshRuntime measures the process counters from before the stall,
// and the threads' times from its hitch (for ClassPaging), until now.
func (s *activeStall) refreshRuntime() {
	s.Runtime = s.baseline.delta(takeSnapshot(), s.Duration)
	s.Runtime.paging = s.threads.waitedOnDisk(readThreadTimes())
}

// UpdateInterval is the longest time between two StallUpdated calls of
// one stall.
const UpdateInterval = time.Second

func (s *activeStall) advance(c *checker, now time.Time) {
	s.Duration = c.busy
	if !s.reported {
		if s.quiet {
			return
		}
		if s.Duration >= c.opts.Frozen {
			c.report(s, now)
			return
		}
		if s.dueSample(c, now) {
			c.request(s, now, sampleRequest{sample: true})
		}
		return
	}
	rose := false
	if s.Duration >= c.opts.Hang && s.Tier != TierHang {
		s.Tier, rose = TierHang, true
	}
	if req := (sampleRequest{sample: s.dueSample(c, now), dump: s.detail.dump, trace: s.detail.trace}); req.sample || req.dump || req.trace {
		c.request(s, now, req)
	}
	if rose || !now.Before(s.nextUpdate) {
		s.nextUpdate = now.Add(UpdateInterval)
		s.refreshRuntime()
		c.deliver(Sink.StallUpdated, s.snapshot())
	}
}

func (s *activeStall) dueSample(c *checker, now time.Time) bool {
	return s.Samples < c.opts.MaxSamples && !now.Before(s.nextSample)
}

// snapshot returns a deep enough copy for a sink to keep.
func (s *activeStall) snapshot() *Stall {
	cp := s.Stall
	cp.Stacks = slices.Clone(s.Stacks)
	slices.SortStableFunc(cp.Stacks, func(a, b Stack) int { return b.Count - a.Count })
	if len(cp.Stacks) > 0 {
		cp.Culprit = culprit(cp.Stacks[0].Frames)
		cp.Class = classify(cp.Stacks[0], cp.Runtime)
		cp.Tags = maps.Clone(cp.Stacks[0].Tags)
	}
	return &cp
}

// culprit is the innermost in-app frame, or the innermost frame when none
// is in-app.
func culprit(frames []Frame) Frame {
	for _, f := range frames {
		if f.InApp {
			return f
		}
	}
	if len(frames) > 0 {
		return frames[0]
	}
	return Frame{}
}

// stackKey identifies a stack for folding: functions and lines.
func stackKey(frames []Frame) string {
	var b []byte
	for _, f := range frames {
		b = fmt.Appendf(b, "%s:%d;", f.Function, f.Line)
	}
	return string(b)
}
