package watchdog

import (
	"math/bits"
	"runtime"
	"slices"
	"strings"
)

// profiler takes samples with runtime.GoroutineProfile, which stops the
// world only for a moment and collects the stacks while the game runs. A
// record has up to 32 program counters, innermost first, and no goroutine
// ID or wait state: the wait is read from the frames (waitState).
type profiler struct {
	records []runtime.StackRecord
	// pcs caches, for each program counter seen, which functions of the
	// callers chain it covers (bit i: chain[i]) and whether it is a
	// coroutine frame. It is reset when the chain changes or it grows
	// past maxCachedPCs.
	pcs   map[uintptr]pcInfo
	chain []string // the chain pcs was built for
}

type pcInfo struct {
	chain uint64 // the chain functions this pc's frames are
	kind  coroKind
}

// coroKind marks the frames that tell coroutines apart.
type coroKind uint8

const (
	coroNone     coroKind = iota
	coroSwitch            // runtime.coroswitch: parked handing over to or from a coroutine
	coroStart             // runtime.corostart: the bottom of a coroutine's goroutine
	coroResume            // iter.Pull's next or stop: resuming a coroutine
	coroYield             // iter.Pull's yield: a coroutine handing back
	runtimeFrame          // any other frame of package runtime
)

const maxCachedPCs = 1 << 16

// profile takes a goroutine profile into a buffer sized from the goroutine
// count, retrying once if goroutines were started meanwhile. The buffer is
// kept for the next sample: about 270 bytes a goroutine.
func (p *profiler) profile() []runtime.StackRecord {
	for range 2 {
		if want := runtime.NumGoroutine() + runtime.NumGoroutine()/8 + 64; len(p.records) < want {
			p.records = make([]runtime.StackRecord, want)
		}
		if n, ok := runtime.GoroutineProfile(p.records); ok {
			return p.records[:n]
		}
	}
	return nil
}

// stuck finds the stuck goroutine's record in rs: the one holding the most
// functions of chain (ties go to the first), or, when that goroutine is
// parked resuming a coroutine, the coroutine it runs (runningCoroutine).
// It returns nil if no record holds any function of chain.
func (p *profiler) stuck(rs []runtime.StackRecord, chain []string) *runtime.StackRecord {
	if len(chain) == 0 {
		return nil
	}
	if p.pcs == nil || len(p.pcs) > maxCachedPCs || !slices.Equal(p.chain, chain) {
		p.pcs, p.chain = make(map[uintptr]pcInfo), chain
	}
	var best *runtime.StackRecord
	bestScore := 0
	var covered uint64
	for i := range rs {
		// Goroutines parked in one place have equal records, often one
		// after another: a comparison is cheaper than the lookups.
		if i == 0 || rs[i].Stack0 != rs[i-1].Stack0 {
			covered = 0
			for _, pc := range rs[i].Stack() {
				covered |= p.info(pc).chain
			}
		}
		if score := bits.OnesCount64(covered); score > bestScore {
			best, bestScore = &rs[i], score
		}
	}
	if best == nil {
		return nil
	}
	if co := p.runningCoroutine(rs, best); co != nil {
		return co
	}
	return best
}

// runningCoroutine returns the coroutine that the goroutine of r runs, or
// nil if r is not parked resuming one.
//
// While a coroutine made by iter.Pull runs, the goroutine that resumed it
// is parked in runtime.coroswitch under iter.Pull's next (or stop). The
// coroutine runs on a goroutine of its own, whose bottom frame is
// runtime.corostart; one not running is parked in coroswitch under
// iter.Pull's yield, or has not started. So the running coroutines are
// those with corostart at the bottom that are parked in neither. When a
// coroutine resumes another one, the chain is followed. When several
// goroutines resume coroutines at once, the one whose coroutine it is
// cannot be told from a profile; the first running coroutine is taken, and
// the full dump taken at a stall's detection (which names each
// coroutine's creator) corrects it.
func (p *profiler) runningCoroutine(rs []runtime.StackRecord, r *runtime.StackRecord) *runtime.StackRecord {
	var found *runtime.StackRecord
	for hops := 0; hops < 8 && p.resuming(r); hops++ {
		next := (*runtime.StackRecord)(nil)
		for i := range rs {
			if &rs[i] != r && &rs[i] != found && p.runningCoro(&rs[i]) {
				next = &rs[i]
				break
			}
		}
		if next == nil {
			break
		}
		found, r = next, next
	}
	return found
}

// resuming reports whether r is parked handing over to a coroutine.
func (p *profiler) resuming(r *runtime.StackRecord) bool {
	s := r.Stack()
	return len(s) >= 2 && p.info(s[0]).kind == coroSwitch && p.info(s[1]).kind == coroResume
}

// runningCoro reports whether r is a coroutine that is running (or parked
// on something other than handing back).
func (p *profiler) runningCoro(r *runtime.StackRecord) bool {
	s := r.Stack()
	bottom := len(s) - 1
	if bottom >= 0 && p.info(s[bottom]).kind == runtimeFrame { // runtime.goexit
		bottom--
	}
	if bottom < 1 || p.info(s[bottom]).kind != coroStart {
		return false
	}
	if p.info(s[0]).kind == coroSwitch && len(s) > 1 && p.info(s[1]).kind == coroYield {
		return false
	}
	// An unstarted coroutine has only runtime frames.
	for _, pc := range s[:bottom] {
		if p.info(pc).kind != runtimeFrame && p.info(pc).kind != coroSwitch {
			return true
		}
	}
	return false
}

// info returns what pc's frames are, resolving it once.
func (p *profiler) info(pc uintptr) pcInfo {
	if in, ok := p.pcs[pc]; ok {
		return in
	}
	var in pcInfo
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		f, more := frames.Next()
		for i, fn := range p.chain {
			if i < 64 && fn == f.Function {
				in.chain |= 1 << i
			}
		}
		if k := kindOf(f.Function); k != coroNone && in.kind == coroNone {
			in.kind = k
		}
		if !more {
			break
		}
	}
	p.pcs[pc] = in
	return in
}

func kindOf(fn string) coroKind {
	switch {
	case fn == "runtime.coroswitch":
		return coroSwitch
	case fn == "runtime.corostart":
		return coroStart
	case isPull(fn) && (strings.HasSuffix(fn, ".func2") || strings.HasSuffix(fn, ".func3")):
		return coroResume
	case isPull(fn) && strings.HasSuffix(fn, ".func1.1"):
		return coroYield
	case strings.HasPrefix(fn, "runtime."):
		return runtimeFrame
	}
	return coroNone
}

func isPull(fn string) bool {
	return strings.HasPrefix(fn, "iter.Pull[") || strings.HasPrefix(fn, "iter.Pull2[")
}

// framesOf resolves a record into frames, inlined calls included, and
// reads its wait state from them. Like a goroutine dump, the frames leave
// out the runtime's unexported functions, through which the goroutine
// parked; the wait state is read from those first.
func framesOf(r *runtime.StackRecord, rule InAppRule, names *interner) ([]Frame, string) {
	out := make([]Frame, 0, len(r.Stack()))
	var raw []string
	frames := runtime.CallersFrames(r.Stack())
	for {
		f, more := frames.Next()
		raw = append(raw, f.Function)
		if shownInDump(f.Function) {
			out = append(out, Frame{Function: names.get(f.Function), File: names.get(f.File), Line: f.Line, InApp: rule.Match(f.Function)})
		}
		if !more {
			return out, waitState(raw)
		}
	}
}

// shownInDump reports whether a goroutine dump shows a frame of function:
// not the runtime's unexported functions (runtime.showfuncinfo).
func shownInDump(function string) bool {
	name, ok := strings.CutPrefix(function, "runtime.")
	if !ok {
		return function != ""
	}
	return name != "" && name[0] >= 'A' && name[0] <= 'Z'
}

// waitStates maps the function a goroutine parked from to the wait state a
// goroutine dump would show. The innermost frame of a stack found here
// names its state; a stack with none of them is running.
var waitStates = map[string]string{
	"time.Sleep":                            "sleep",
	"runtime.chanrecv":                      "chan receive",
	"runtime.chansend":                      "chan send",
	"runtime.selectgo":                      "select",
	"runtime.block":                         "select (no cases)",
	"runtime.netpollblock":                  "IO wait",
	"runtime.gcAssistAlloc":                 "GC assist wait",
	"runtime.gcParkAssist":                  "GC assist wait",
	"runtime.coroswitch":                    "coroutine",
	"runtime.cgocall":                       "syscall",
	"internal/sync.runtime_SemacquireMutex": "sync.Mutex.Lock",
	"sync.runtime_SemacquireMutex":          "sync.Mutex.Lock",
	"sync.runtime_SemacquireRWMutexR":       "sync.RWMutex.RLock",
	"sync.runtime_SemacquireRWMutex":        "sync.RWMutex.Lock",
	"sync.runtime_SemacquireWaitGroup":      "sync.WaitGroup.Wait",
	"sync.runtime_Semacquire":               "semacquire",
	"sync.runtime_notifyListWait":           "sync.Cond.Wait",
}

// syscallPrefixes are the entry points of system calls.
var syscallPrefixes = []string{"syscall.Syscall", "syscall.RawSyscall", "internal/runtime/syscall.Syscall"}

// waitState reads a goroutine's wait state from its frames: the innermost
// frame of waitStates, looking only through the runtime's and the
// standard library's blocking helpers, so that a function the game calls
// deeper in its stack is not mistaken for a wait.
func waitState(functions []string) string {
	parked := false
	for _, fn := range functions {
		if st, ok := waitStates[fn]; ok {
			return st
		}
		for _, p := range syscallPrefixes {
			if strings.HasPrefix(fn, p) {
				return "syscall"
			}
		}
		parked = parked || strings.HasPrefix(fn, "runtime.gopark")
		if !isWaitHelper(fn) {
			break
		}
	}
	if parked {
		return "waiting"
	}
	return "running"
}

// isWaitHelper reports whether function belongs to the packages that sit
// between a blocking call and the runtime's park.
func isWaitHelper(function string) bool {
	for _, p := range []string{"runtime.", "internal/", "sync.", "syscall."} {
		if strings.HasPrefix(function, p) {
			return true
		}
	}
	return false
}

// interner shares the strings of repeated function and file names, which
// make up most of a parsed dump's memory.
type interner map[string]string

func (n *interner) get(s string) string {
	if *n == nil {
		*n = make(interner)
	}
	if v, ok := (*n)[s]; ok {
		return v
	}
	(*n)[s] = s
	return s
}
