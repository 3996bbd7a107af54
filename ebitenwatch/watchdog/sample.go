package watchdog

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sampler takes samples, dumps and traces for the checker. It runs on a
// goroutine of its own, so that however long a sample takes with many
// goroutines, the checker keeps timing the frame: detection and measured
// durations do not wait for sampling. Tests that drive a checker by hand
// use it inline.
type sampler struct {
	w    *Watchdog
	opts Options

	prof      profiler
	names     interner   // function and file names of sampled frames
	lastStuck int        // goroutine ID found in the last dump
	chainPCs  *[]uintptr // the callers chain was resolved from
	chain     []string   // function names of the callers Exit recorded

	dumpBytesPerGoroutine int // measured by the last dump
	dumpPasses            int // runtime.Stack calls made, for tests

	reqs    chan sampleRequest // nil when used inline
	results chan sampleResult
}

// sampleRequest asks for a sample, a dump, a flight recorder snapshot, or
// any of them together.
type sampleRequest struct{ sample, dump, trace bool }

// sampleResult is what a request produced. found says the stuck goroutine
// was in the sample; dumped that a dump was taken.
type sampleResult struct {
	sampled, found bool
	frames         []Frame
	state          string
	tags           map[string]string
	cost           time.Duration // the sample's, without the dump

	dumped     bool
	dump       []byte
	goroutines []Goroutine
	stuck      *Goroutine // the stuck goroutine in the dump, a sample too
	dumpTags   map[string]string

	traced bool
	trace  []byte
}

func newSampler(w *Watchdog, async bool) *sampler {
	s := &sampler{w: w, opts: w.opts}
	if async {
		s.reqs = make(chan sampleRequest, 1)
		s.results = make(chan sampleResult, 1)
	}
	return s
}

// run serves requests until reqs is closed, recovering from a panic in a
// request so that sampling goes on.
func (s *sampler) run(done chan<- struct{}) {
	defer close(done)
	for req := range s.reqs {
		s.results <- s.safely(req)
	}
}

func (s *sampler) safely(req sampleRequest) (res sampleResult) {
	defer func() {
		if r := recover(); r != nil {
			s.opts.Logger.Error("watchdog: sampling panicked; watching goes on", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	return s.take(req)
}

// take serves one request: a sample with the goroutine profile, with the
// tags Options.SampleTags gives right after it, then the dump.
func (s *sampler) take(req sampleRequest) sampleResult {
	var res sampleResult
	if req.sample {
		began := time.Now()
		rs := s.prof.profile()
		if r := s.prof.stuck(rs, s.callerChain()); r != nil {
			res.frames, res.state = framesOf(r, s.opts.InApp, &s.names)
			res.found = true
		}
		res.sampled, res.cost = true, time.Since(began)
		res.tags = s.sampleTags()
	}
	if req.dump {
		s.takeDump(&res)
	}
	if req.trace && s.w.rec != nil {
		res.traced, res.trace = true, s.w.rec.snapshot(s.opts.Logger)
	}
	return res
}

// sampleTags calls Options.SampleTags, recovering from a panic in it.
func (s *sampler) sampleTags() map[string]string {
	if s.opts.SampleTags == nil {
		return nil
	}
	return callOption(s.opts.Logger, "SampleTags", s.opts.SampleTags)
}

// apply folds a result into the stall. Each sample puts the next one off
// by ten times what it cost, so that sampling never takes more than a
// tenth of the time, however many goroutines there are.
func (st *activeStall) apply(c *checker, res sampleResult) {
	if res.sampled {
		c.sampleCost = res.cost
		st.nextSample = st.requested.Add(max(c.opts.SampleInterval, 10*res.cost))
		st.Samples++
		if res.found {
			st.fold(res.frames, res.state, res.tags, c.opts.MaxStacks)
		} else if st.Samples == 1 {
			c.opts.Logger.Debug("watchdog: could not find the stuck goroutine in the goroutine profile", "phase", st.Phase)
		}
	}
	if res.dumped {
		st.Dump, st.Goroutines = res.dump, res.goroutines
		if g := res.stuck; g != nil {
			// The dump is a sample too, with the true wait state.
			st.Goroutine = g.ID
			st.Samples++
			st.fold(g.Frames, g.State, res.dumpTags, c.opts.MaxStacks)
		}
	}
	if res.traced {
		st.Trace = res.trace
	}
	if (res.dumped || res.traced) && !st.Ended {
		c.deliver(Sink.StallUpdated, st.snapshot())
	}
}

func (st *activeStall) fold(frames []Frame, state string, tags map[string]string, maxStacks int) {
	key := stackKey(frames)
	if i, ok := st.stacks[key]; ok {
		// Keep the state and tags of the first sample: a later one may
		// catch the goroutine just woken on its way out of the wait.
		st.Stacks[i].Count++
		return
	}
	if len(st.Stacks) >= maxStacks {
		st.DroppedSamples++
		return
	}
	st.stacks[key] = len(st.Stacks)
	st.Stacks = append(st.Stacks, Stack{Frames: frames, Count: 1, State: state, Tags: tags})
}

// takeDump takes one all-goroutine dump, with goroutine IDs and wait
// states, and finds the stuck goroutine in it.
func (s *sampler) takeDump(res *sampleResult) {
	res.dumped = true
	n := runtime.NumGoroutine()
	res.dump = s.dump(n)
	gs, errs := ParseDump(res.dump, s.opts.InApp)
	if len(errs) > 0 {
		s.opts.Logger.Debug("watchdog: parts of a goroutine dump were unreadable", "errors", len(errs), "first", errs[0])
	}
	res.goroutines = gs
	res.stuck = s.findStuck(gs)
	res.dumpTags = s.sampleTags()
}

// Dump buffer sizing: the first dump guesses firstDumpBytesPerGoroutine;
// later ones use the bytes per goroutine of the last dump, with a quarter
// to spare.
const (
	minDumpBytes               = 64 << 10
	firstDumpBytesPerGoroutine = 2 << 10
)

// dump returns all goroutines' stacks, at most Options.MaxDumpBytes of
// them, in a buffer sized from the last dump so that one stop of the world
// is almost always enough: at most two are made. The buffer is not kept
// across stalls.
func (s *sampler) dump(goroutines int) []byte {
	per := s.dumpBytesPerGoroutine
	if per == 0 {
		per = firstDumpBytesPerGoroutine
	}
	size := min(max(minDumpBytes, goroutines*per*5/4), s.opts.MaxDumpBytes)
	var buf []byte
	for pass := 0; pass < 2; pass++ {
		buf = make([]byte, size)
		n := runtime.Stack(buf, true)
		s.dumpPasses++
		buf = buf[:n]
		if n < size || size == s.opts.MaxDumpBytes {
			break
		}
		size = min(4*size, s.opts.MaxDumpBytes)
	}
	if goroutines > 0 && len(buf) < s.opts.MaxDumpBytes {
		s.dumpBytesPerGoroutine = len(buf)/goroutines + 1
	}
	if cap(buf) > 2*len(buf) {
		buf = slices.Clone(buf)
	}
	return buf
}

// findStuck picks the stuck goroutine from a dump: the goroutine running
// the game loop, or the coroutine it runs (coroutineIn).
//
// Exit records the chain of functions that called it. The function that
// called Exit may have returned since (an adapter's helper does), but the
// frames below it are the loop itself and are still on the stuck
// goroutine's stack: the goroutine holding the most recorded callers wins,
// and ties go to the goroutine found last time. This needs no fixed
// goroutine ID, so it keeps working if the engine moves the loop to another
// goroutine, and Exit refreshes the chain if the loop's callers change.
func (s *sampler) findStuck(gs []Goroutine) *Goroutine {
	chain := s.callerChain()
	var best *Goroutine
	bestScore := 0
	for i := range gs {
		g := &gs[i]
		score := chainScore(g.Frames, chain)
		if score > bestScore || (score == bestScore && score > 0 && g.ID == s.lastStuck) {
			best, bestScore = g, score
		}
	}
	if best == nil {
		return nil
	}
	s.lastStuck = best.ID
	if co := coroutineIn(gs, best); co != nil {
		return co
	}
	return best
}

// coroutineIn returns the coroutine g runs, or nil if g is not parked
// resuming one. A dump shows such a g in state "coroutine" under iter.Pull's
// next or stop; the coroutine is a goroutine created by iter.Pull and not
// parked handing back in yield, preferably one created in g. A coroutine
// that resumes another is followed.
func coroutineIn(gs []Goroutine, g *Goroutine) *Goroutine {
	var found *Goroutine
	for hops := 0; hops < 8 && parkedIn(g, coroResume); hops++ {
		var next *Goroutine
		for i := range gs {
			co := &gs[i]
			if co == g || co.CreatedBy == nil || !isPull(co.CreatedBy.Function) || len(co.Frames) == 0 || parkedIn(co, coroYield) {
				continue
			}
			if next == nil || co.CreatedIn == g.ID {
				next = co
			}
		}
		if next == nil {
			break
		}
		found, g = next, next
	}
	return found
}

// parkedIn reports whether g is parked switching coroutines in a frame of
// iter.Pull of kind k.
func parkedIn(g *Goroutine, k coroKind) bool {
	return g.State == "coroutine" && len(g.Frames) > 0 && kindOf(g.Frames[0].Function) == k
}

// callerChain returns the function names of the callers Exit recorded last,
// resolving them only when they changed.
func (s *sampler) callerChain() []string {
	pcs := s.w.callers.Load()
	if pcs != s.chainPCs {
		s.chainPCs, s.chain = pcs, nil
		if pcs != nil {
			s.chain = functionNames(*pcs)
		}
	}
	return s.chain
}

// chainScore counts the functions of chain found in frames.
func chainScore(frames []Frame, chain []string) int {
	score := 0
	for _, fn := range chain {
		if slices.ContainsFunc(frames, func(f Frame) bool { return f.Function == fn }) {
			score++
		}
	}
	return score
}

// functionNames resolves program counters from runtime.Callers, inlined
// calls included, stopping at runtime.goexit.
func functionNames(pcs []uintptr) []string {
	var names []string
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if f.Function != "" && f.Function != "runtime.goexit" {
			names = append(names, f.Function)
		}
		if !more {
			return names
		}
	}
}

// creators maps each goroutine of a dump to the goroutine that started it,
// from "created by f in goroutine N" lines, which the parser drops.
func creators(dump []byte) map[int]int {
	m := make(map[int]int)
	id := 0
	for line := range bytes.Lines(dump) {
		switch {
		case bytes.HasPrefix(line, []byte("goroutine ")):
			f := bytes.Fields(line)
			if len(f) > 1 {
				id, _ = strconv.Atoi(string(f[1]))
			}
		case bytes.HasPrefix(line, []byte("created by ")):
			if _, n, ok := bytes.Cut(line, []byte(" in goroutine ")); ok && id != 0 {
				m[id], _ = strconv.Atoi(string(bytes.TrimSpace(n)))
			}
		}
	}
	return m
}

// classify names what a goroutine was doing from its wait state and stack.
func classify(s Stack, rt Runtime) Class {
	if rt.Wall > 0 && rt.GCPause*2 > rt.Wall {
		return ClassGC
	}
	if hasFramePrefix(s.Frames, "runtime.gcAssist", "runtime.stopTheWorld", "runtime.GC") {
		return ClassGC
	}
	state := s.State
	switch {
	case strings.HasPrefix(state, "GC ") || state == "garbage collection":
		return ClassGC
	case state == "IO wait" || state == "syscall":
		return ClassIO
	case state == "running" || state == "runnable":
		if rt.paging {
			return ClassPaging
		}
		return ClassCPU
	case state == "sleep":
		return ClassSleep
	}
	// A blocking network call waits on channels inside net/http, and a
	// file read may wait on a lock inside os: what matters to the player
	// is that it waits for I/O.
	if hasFramePrefix(s.Frames, "net.", "net/", "crypto/tls.", "internal/poll.", "os.(*File)", "syscall.") {
		return ClassIO
	}
	switch {
	case strings.HasPrefix(state, "sync.") || state == "semacquire":
		return ClassLock
	case strings.HasPrefix(state, "chan ") || strings.HasPrefix(state, "select"):
		return ClassChannel
	}
	return ClassUnknown
}

func hasFramePrefix(frames []Frame, prefixes ...string) bool {
	for _, f := range frames {
		for _, p := range prefixes {
			if strings.HasPrefix(f.Function, p) {
				return true
			}
		}
	}
	return false
}
