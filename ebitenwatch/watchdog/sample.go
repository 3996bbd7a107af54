package watchdog

import (
	"runtime"
	"slices"
	"strings"
	"time"
)

// sample takes an all-goroutine dump, finds the stuck goroutine in it and
// folds its stack into the stall. The first sample also keeps the whole
// dump, so whoever holds what the game waits on is visible.
//
// Go has no way to read one other goroutine's stack, so every sample is a
// full runtime.Stack, which stops the world while it runs. After each
// sample the next one is put off by ten times what this one cost, so
// sampling stops the world for at most a tenth of the stall.
func (s *activeStall) sample(c *checker, now time.Time, first bool) {
	began := time.Now()
	dump := c.dump()
	cost := time.Since(began)
	s.nextSample = now.Add(max(c.opts.SampleInterval, 10*cost))

	gs, errs := ParseDump(dump, c.opts.InApp)
	if len(errs) > 0 {
		c.opts.Logger.Debug("watchdog: parts of a goroutine dump were unreadable", "errors", len(errs), "first", errs[0])
	}
	if first {
		s.Dump = slices.Clone(dump)
		s.Goroutines = gs
	}
	s.Samples++
	g := c.findStuck(gs)
	if g == nil {
		if first {
			c.opts.Logger.Warn("watchdog: could not find the stuck goroutine in the dump", "phase", s.Phase)
		}
		return
	}
	s.Goroutine = g.ID
	s.fold(g, c.opts.MaxStacks)
}

func (s *activeStall) fold(g *Goroutine, maxStacks int) {
	key := stackKey(g.Frames)
	if i, ok := s.stacks[key]; ok {
		// Keep the state of the first sample: a later one may catch the
		// goroutine just woken ("runnable") on its way out of the wait.
		s.Stacks[i].Count++
		return
	}
	if len(s.Stacks) >= maxStacks {
		s.DroppedSamples++
		return
	}
	s.stacks[key] = len(s.Stacks)
	s.Stacks = append(s.Stacks, Stack{Frames: g.Frames, Count: 1, State: g.State})
}

// dump returns all goroutines' stacks in a buffer reused across samples.
func (c *checker) dump() []byte {
	if c.sampleDump == nil {
		c.sampleDump = make([]byte, 64<<10)
	}
	for {
		n := runtime.Stack(c.sampleDump, true)
		if n < len(c.sampleDump) {
			return c.sampleDump[:n]
		}
		c.sampleDump = make([]byte, 2*len(c.sampleDump))
	}
}

// findStuck picks the goroutine running the game loop from a dump.
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
	if best != nil {
		c.lastStuck = best.ID
	}
	return best
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
