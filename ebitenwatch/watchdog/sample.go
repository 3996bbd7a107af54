package watchdog

import (
	"bytes"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sample takes one sample with the goroutine profile, finds the stuck
// goroutine in it and folds its stack into the stall, with the tags
// Options.SampleTags gives at that moment.
//
// After each sample the next one is put off by ten times what this one
// cost, so that sampling never takes more than a tenth of the watchdog's
// time, however many goroutines there are.
func (s *activeStall) sample(c *checker, now time.Time) {
	began := time.Now()
	rs := c.prof.profile()
	r := c.prof.stuck(rs, c.callerChain())
	var frames []Frame
	var state string
	if r != nil {
		frames, state = framesOf(r, c.opts.InApp, &c.names)
	}
	c.sampleCost = time.Since(began)
	s.nextSample = now.Add(max(c.opts.SampleInterval, 10*c.sampleCost))
	s.Samples++
	if r == nil {
		if s.Samples == 1 {
			c.opts.Logger.Debug("watchdog: could not find the stuck goroutine in the goroutine profile", "phase", s.Phase)
		}
		return
	}
	s.fold(frames, state, c.sampleTags(), c.opts.MaxStacks)
}

// sampleTags calls Options.SampleTags, recovering from a panic in it.
func (c *checker) sampleTags() (tags map[string]string) {
	if c.opts.SampleTags == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			c.opts.Logger.Error("watchdog: Options.SampleTags panicked", "panic", r)
			tags = nil
		}
	}()
	return c.opts.SampleTags()
}

func (s *activeStall) fold(frames []Frame, state string, tags map[string]string, maxStacks int) {
	key := stackKey(frames)
	if i, ok := s.stacks[key]; ok {
		// Keep the state and tags of the first sample: a later one may
		// catch the goroutine just woken on its way out of the wait.
		s.Stacks[i].Count++
		return
	}
	if len(s.Stacks) >= maxStacks {
		s.DroppedSamples++
		return
	}
	s.stacks[key] = len(s.Stacks)
	s.Stacks = append(s.Stacks, Stack{Frames: frames, Count: 1, State: state, Tags: tags})
}

// takeDump keeps one all-goroutine dump in the stall, with goroutine IDs
// and wait states, and the ID of the stuck goroutine: taken once per
// stall, after StallStarted, and only when the process has at most
// Options.MaxDumpGoroutines goroutines, because runtime.Stack stops the
// world for the whole traceback (see the package doc).
func (s *activeStall) takeDump(c *checker) bool {
	n := runtime.NumGoroutine()
	if n > c.opts.MaxDumpGoroutines {
		s.DumpSkipped = n
		return false
	}
	dump := c.dump(n)
	gs, errs := ParseDump(dump, c.opts.InApp)
	if len(errs) > 0 {
		c.opts.Logger.Debug("watchdog: parts of a goroutine dump were unreadable", "errors", len(errs), "first", errs[0])
	}
	s.Dump, s.Goroutines = dump, gs
	if g := c.findStuck(gs); g != nil {
		s.Goroutine = g.ID
	}
	return true
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
func (c *checker) dump(goroutines int) []byte {
	per := c.dumpBytesPerGoroutine
	if per == 0 {
		per = firstDumpBytesPerGoroutine
	}
	size := min(max(minDumpBytes, goroutines*per*5/4), c.opts.MaxDumpBytes)
	var buf []byte
	for pass := 0; pass < 2; pass++ {
		buf = make([]byte, size)
		n := runtime.Stack(buf, true)
		c.dumpPasses++
		buf = buf[:n]
		if n < size || size == c.opts.MaxDumpBytes {
			break
		}
		size = min(4*size, c.opts.MaxDumpBytes)
	}
	if goroutines > 0 && len(buf) < c.opts.MaxDumpBytes {
		c.dumpBytesPerGoroutine = len(buf)/goroutines + 1
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
func (c *checker) findStuck(gs []Goroutine) *Goroutine {
	chain := c.callerChain()
	var best *Goroutine
	bestScore := 0
	for i := range gs {
		g := &gs[i]
		score := chainScore(g.Frames, chain)
		if score > bestScore || (score == bestScore && score > 0 && g.ID == c.lastStuck) {
			best, bestScore = g, score
		}
	}
	if best == nil {
		return nil
	}
	c.lastStuck = best.ID
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
func (c *checker) callerChain() []string {
	pcs := c.w.callers.Load()
	if pcs != c.chainPCs {
		c.chainPCs, c.chain = pcs, nil
		if pcs != nil {
			c.chain = functionNames(*pcs)
		}
	}
	return c.chain
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
