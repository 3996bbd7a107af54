package report

import (
	"fmt"
	"path"
	"reflect"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// Exception types of the reports that are not frames: the player could not
// go on although every frame was on time.
const (
	TypeLoadFailed     = "Load Failed"     // a load or task failed or panicked: level error
	TypeLoadingStalled = "Loading Stalled" // a load's progress stopped moving: level warning
	TypeGameUnusable   = "Game Unusable"   // the game said the player cannot go on (Reporter.ReportUnusable): level error
	MechanismLoad      = "load"
	MechanismUnusable  = "unusable"
)

// LoadFailure is a load or task that failed, for ReportLoadFailed.
type LoadFailure struct {
	Key   string // the load's key or the task's name, e.g. "backgrounds/night.png"
	Kind  string // the load's or task's Kind, if any
	Stage string // "Task", "Fetch" or "Finish"
	Step  int    // the chunk it failed in, counted from 1; 0 for none
	Err   error  // what failed; its chain is reported
	// Panic is set when the work panicked: the value, and the panicking
	// goroutine's stack from debug.Stack, reported as the exception's
	// stack.
	Panic      any
	PanicStack []byte
}

// LoadStall is a load whose progress stopped moving, for ReportLoadStalled.
type LoadStall struct {
	Key      string        // the load's key or the task's name
	Kind     string        // the load's or task's Kind, if any
	Stage    string        // "Task", "Fetch" or "Finish"
	Progress float64       // where it stopped, from 0 to 1
	For      time.Duration // on the game's clock, since it last moved
	// Workers are the goroutines running its Fetch, the first as the
	// exception's stack: where the load waits.
	Workers []watchdog.Goroutine
}

// problemRecord is a report of a load that failed or stalled, or of a game
// that became unusable.
type problemRecord struct {
	Type      string        `json:"type"`    // TypeLoadFailed, TypeLoadingStalled or TypeGameUnusable
	Subject   string        `json:"subject"` // the load's key or the unusable reason
	Message   string        `json:"message"`
	Group     []string      `json:"group"` // the fingerprint
	Chain     []chainLink   `json:"chain,omitempty"`
	LoadKind  string        `json:"load_kind,omitempty"`
	Stage     string        `json:"stage,omitempty"`
	Step      int           `json:"step,omitempty"`
	Progress  float64       `json:"progress,omitempty"`
	For       time.Duration `json:"for_ns,omitempty"`
	Panicked  bool          `json:"panicked,omitempty"`
	Goroutine int           `json:"goroutine,omitempty"`
	// Frames are the exception's stack, innermost first: the panic's, or
	// the first worker's.
	Frames  []watchdog.Frame     `json:"frames,omitempty"`
	Threads []watchdog.Goroutine `json:"threads,omitempty"`
}

// chainLink is one error of an error chain, outermost first.
type chainLink struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

const problemTag = "framewatch-problem"

// ReportLoadFailed reports a failed load as a Load Failed event: "Load
// Failed: <key>: <error>", the error chain in its "load" context, and the
// panic's own stack when it panicked. Events are grouped by the stage,
// the key's pattern (directory and extension: "backgrounds/*.png") and
// the error's type, and limited per group by Options.MaxPerFingerprint.
// It writes to the spool, so it may wait for the disk: call it where the
// game can wait. Safe from any goroutine.
func (r *Reporter) ReportLoadFailed(f LoadFailure) {
	chain := errorChain(f.Err)
	p := &problemRecord{
		Type: TypeLoadFailed, Subject: f.Key, Chain: chain,
		LoadKind: f.Kind, Stage: f.Stage, Step: f.Step,
	}
	errType := "nil"
	if len(chain) > 0 {
		p.Message, errType = chain[0].Message, rootType(chain)
	}
	if f.Panic != nil || f.PanicStack != nil {
		p.Panicked, errType = true, "panic "+panicType(f.Panic)
		p.Message = "panic: " + panicMessage(f.Panic)
		if gs, _ := watchdog.ParseDump(f.PanicStack, r.o.InApp); len(gs) > 0 {
			p.Goroutine, p.Frames = gs[0].ID, panicFrames(gs[0].Frames)
		}
	}
	p.Group = []string{problemTag, TypeLoadFailed, f.Stage, KeyPattern(f.Key), errType}
	r.putProblem(p, f.PanicStack)
}

// ReportLoadStalled reports a load whose progress stopped moving as a
// Loading Stalled event: "Loading Stalled: <key>: no progress for 5.0 s at
// 40% (Fetch)", with the stacks of its workers. Events are grouped by
// stage and key pattern and limited like ReportLoadFailed's. It may wait
// for the disk. Safe from any goroutine.
func (r *Reporter) ReportLoadStalled(s LoadStall) {
	p := &problemRecord{
		Type: TypeLoadingStalled, Subject: s.Key, LoadKind: s.Kind, Stage: s.Stage,
		Progress: s.Progress, For: s.For,
		Message: fmt.Sprintf("no progress for %s at %.0f%% (%s)", seconds(s.For), s.Progress*100, s.Stage),
		Group:   []string{problemTag, TypeLoadingStalled, s.Stage, KeyPattern(s.Key)},
	}
	if len(s.Workers) > 0 {
		p.Goroutine, p.Frames = s.Workers[0].ID, s.Workers[0].Frames
		p.Threads, _ = keepThreads(s.Workers, p.Goroutine)
	}
	r.putProblem(p, nil)
}

// ReportUnusable reports that the player cannot go on for a reason that is
// not a frame, such as "disconnected", as a Game Unusable event:
// "Game Unusable: <reason>: <error>". Events are grouped by reason and
// error type and limited like ReportLoadFailed's. It may wait for the
// disk. Safe from any goroutine.
func (r *Reporter) ReportUnusable(reason string, err error) {
	chain := errorChain(err)
	p := &problemRecord{Type: TypeGameUnusable, Subject: reason, Chain: chain}
	errType := "nil"
	if len(chain) > 0 {
		p.Message, errType = chain[0].Message, rootType(chain)
	}
	p.Group = []string{problemTag, TypeGameUnusable, reason, errType}
	r.putProblem(p, nil)
}

func (r *Reporter) putProblem(p *problemRecord, stack []byte) {
	r.w.put(func(w *writer) {
		rec := w.newRecord()
		rec.Problem = p
		if len(stack) > 0 {
			rec.Attachments = append(rec.Attachments, attachment{"stack.txt", "text/plain", stack})
		}
		w.spoolReport(rec, newStem()+reportSuffix, true, false)
	})
}

// KeyPattern is how load keys are grouped: the key with its file name
// replaced by "*" and its extension kept ("backgrounds/night.png" becomes
// "backgrounds/*.png"), so that one failure over many files is one issue.
func KeyPattern(key string) string {
	dir, file := path.Split(key)
	if file == "" {
		return key
	}
	return dir + "*" + path.Ext(file)
}

// errorChain lists err and the errors it wraps, depth first, at most 16.
func errorChain(err error) []chainLink {
	var out []chainLink
	var walk func(error)
	walk = func(e error) {
		if e == nil || len(out) == 16 {
			return
		}
		out = append(out, chainLink{Type: reflect.TypeOf(e).String(), Message: errorMessage(e)})
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// errorMessage is e's message, without a panic's stack and never
// panicking.
func errorMessage(e error) string {
	msg := panicMessage(e)
	if i := strings.Index(msg, "\n\ngoroutine "); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// rootType is the type that groups an error: the first of the chain that
// is not a plain wrapper made by fmt.Errorf or errors.Join.
func rootType(chain []chainLink) string {
	for _, l := range chain {
		switch l.Type {
		case "*fmt.wrapError", "*fmt.wrapErrors", "*errors.joinError":
			continue
		}
		return l.Type
	}
	return chain[len(chain)-1].Type
}

// problemException is the exception of a problem report.
func (p *problemRecord) exception() sentry.Exception {
	value := p.Subject
	if p.Message != "" {
		value += ": " + p.Message
	}
	mech := MechanismLoad
	if p.Type == TypeGameUnusable {
		mech = MechanismUnusable
	}
	return sentry.Exception{
		Type: p.Type, Value: value, ThreadID: uint64(max(p.Goroutine, 0)), Stacktrace: stacktrace(p.Frames),
		Mechanism: &sentry.Mechanism{Type: mech, Handled: sentry.Pointer(true)},
	}
}

// fill sets the parts of ev that a problem report has.
func (p *problemRecord) fill(ev *sentry.Event, created time.Time) {
	ev.Timestamp = created
	ev.Level = sentry.LevelError
	if p.Type == TypeLoadingStalled {
		ev.Level = sentry.LevelWarning
	}
	if len(p.Threads) > 0 {
		ev.Threads = threads(p.Threads, p.Goroutine)
	}
	c := sentry.Context{}
	for i, l := range p.Chain {
		c[fmt.Sprintf("error.%d", i)] = l.Type + ": " + l.Message
	}
	if p.Type == TypeGameUnusable {
		c["reason"] = p.Subject
		ev.Contexts["unusable"] = c
		return
	}
	c["key"], c["key_pattern"], c["stage"] = p.Subject, KeyPattern(p.Subject), p.Stage
	c["kind"], c["step"], c["panicked"] = p.LoadKind, p.Step, p.Panicked
	if p.Type == TypeLoadingStalled {
		c["progress"], c["stalled_ms"], c["workers"] = p.Progress, ms(p.For), len(p.Threads)
	}
	ev.Tags["load.stage"] = p.Stage
	ev.Tags["load.key_pattern"] = KeyPattern(p.Subject)
	ev.Contexts["load"] = c
}
