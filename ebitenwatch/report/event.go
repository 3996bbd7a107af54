package report

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// Exception types and the mechanism that make Sentry show a stall as a hang.
// They match what Sentry's mobile SDKs send.
const (
	TypeFrozenFrame  = "Frozen Frame"   // a frame past watchdog Options.Frozen: level warning
	TypeAppHanging   = "App Hanging"    // a frame past watchdog Options.Hang: level error
	TypeFatalAppHang = "Fatal App Hang" // the process died during the stall: level fatal, unhandled
	MechanismAppHang = "AppHang"
	MechanismPanic   = "panic"
)

const (
	maxThreads     = 200 // threads kept per report; the dump attachment has all
	maxFingerprint = 3   // in-app functions in a fingerprint
	fingerprintTag = "framewatch-stall"
	noInAppFrame   = "no in-app frame"
)

// tiers maps a stall tier to its exception type and level.
var tiers = map[string]struct {
	typ   string
	level sentry.Level
}{
	tierFrozen: {TypeFrozenFrame, sentry.LevelWarning},
	tierHang:   {TypeAppHanging, sentry.LevelError},
	tierFatal:  {TypeFatalAppHang, sentry.LevelFatal},
}

// toEvent maps a record to the Sentry event that reports it. It is the one
// place where a report becomes an event; it does not change rec.
func toEvent(rec *record) *sentry.Event {
	if rec.legacy != nil {
		return legacyEvent(rec)
	}
	ev := sentry.NewEvent()
	ev.EventID = rec.ID
	ev.Platform = "go"
	ev.Release = rec.Release
	ev.Environment = rec.Environment
	maps.Copy(ev.Tags, rec.Tags)
	ev.Exception = []sentry.Exception{rec.exception()}
	ev.Fingerprint = rec.fingerprint()
	if st := rec.Stall; st != nil {
		ev.Timestamp = st.Start
		ev.Level = tiers[st.Tier].level
		ev.Threads = threads(st.Threads, st.Goroutine)
		ev.Tags["phase"] = st.Phase
		ev.Tags["stall.class"] = st.Class
		ev.Tags["stall.tier"] = st.Tier
		ev.Contexts["frame"] = frameContext(st)
		ev.Contexts["stall"] = stallContext(st)
		if len(st.Hitches) > 0 {
			ev.Contexts["hitches"] = hitchesContext(st.Hitches)
		}
		ev.Contexts["runtime"] = runtimeContext(st.Runtime.Goroutines, st.Runtime.HeapInUse)
	} else if rec.Problem != nil {
		rec.Problem.fill(ev, rec.Created)
	} else if rec.Crash != nil {
		crashEvent(ev, rec)
	} else if rec.Process != nil {
		processEvent(ev, rec)
	} else {
		p := rec.Panic
		ev.Timestamp = rec.Created
		ev.Level = sentry.LevelFatal
		if len(p.Threads) > 1 {
			ev.Threads = threads(p.Threads, p.Goroutine)
		}
		ev.Tags["phase"] = p.Phase
	}
	ev.Contexts["framewatch"] = countsContext(rec.Counts)
	if rec.Vitals != nil {
		ev.Contexts["session_vitals"] = rec.Vitals.context()
	}
	for _, a := range rec.Attachments {
		ev.Attachments = append(ev.Attachments, &sentry.Attachment{Filename: a.Filename, ContentType: a.ContentType, Payload: a.Data})
	}
	underScope(ev, rec.Scope)
	return ev
}

// exception is the report's exception: the stall's culprit stack or the
// panic's.
func (rec *record) exception() sentry.Exception {
	if rec.Problem != nil {
		return rec.Problem.exception()
	}
	if rec.Crash != nil {
		return rec.Crash.exception()
	}
	if rec.Process != nil {
		return processException(rec.Process)
	}
	if p := rec.Panic; p != nil {
		return sentry.Exception{
			Type: p.Type, Value: p.Message, ThreadID: uint64(max(p.Goroutine, 0)), Stacktrace: stacktrace(p.Frames),
			Mechanism: &sentry.Mechanism{Type: MechanismPanic, Handled: sentry.Pointer(false), Data: map[string]any{"phase": p.Phase}},
		}
	}
	st := rec.Stall
	var frames []watchdog.Frame
	if len(st.Stacks) > 0 {
		frames = st.Stacks[0].Frames
	}
	return sentry.Exception{
		Type:       tiers[st.Tier].typ,
		Value:      fmt.Sprintf("%s: %s blocked for at least %s (%s)", st.culprit(), st.Phase, seconds(st.Duration), st.Class),
		ThreadID:   uint64(max(st.Goroutine, 0)),
		Stacktrace: stacktrace(frames),
		Mechanism: &sentry.Mechanism{
			Type: MechanismAppHang, Handled: sentry.Pointer(st.Tier != tierFatal),
			Data: map[string]any{"phase": st.Phase, "class": st.Class, "tier": st.Tier},
		},
	}
}

// fingerprint groups stalls by tier, phase and the innermost in-app
// functions of the culprit stack, without line numbers so that an edit
// elsewhere in a file does not split an issue. Stalls with no in-app frame
// share one group per phase and class. Panics keep Sentry's own grouping
// (nil); their rate-limit key is built the same way.
func (rec *record) fingerprint() []string {
	if rec.Process != nil {
		return processKey(rec.Process)
	}
	if rec.Panic != nil || rec.Crash != nil {
		return nil
	}
	if p := rec.Problem; p != nil {
		return p.Group
	}
	st := rec.Stall
	var frames []watchdog.Frame
	if len(st.Stacks) > 0 {
		frames = st.Stacks[0].Frames
	}
	fp := appFunctions([]string{fingerprintTag, st.Tier, st.Phase}, frames)
	if len(fp) == 3 {
		fp = append(fp, noInAppFrame, st.Class)
	}
	return fp
}

func (rec *record) panicKey() []string {
	p := rec.Panic
	return appFunctions([]string{"panic", p.Phase, p.Type}, p.Frames)
}

// appFunctions appends the innermost maxFingerprint in-app functions.
func appFunctions(fp []string, frames []watchdog.Frame) []string {
	n := 0
	for _, f := range frames {
		if f.InApp && n < maxFingerprint {
			fp = append(fp, f.Function)
			n++
		}
	}
	return fp
}

func fingerprintKey(fp []string) string { return strings.Join(fp, "|") }

func (st *stallRecord) culprit() string {
	if st.Culprit.Function != "" {
		return st.Culprit.Function
	}
	return "unknown function"
}

func (st *stallRecord) state() string {
	if len(st.Stacks) > 0 {
		return st.Stacks[0].State
	}
	return ""
}

func frameContext(st *stallRecord) sentry.Context {
	recent := make([]float64, len(st.RecentFrames))
	for i, d := range st.RecentFrames {
		recent[i] = ms(d)
	}
	return sentry.Context{
		"phase":                 st.Phase,
		"tick":                  st.Tick,
		"start":                 st.Start.UTC().Format(time.RFC3339Nano),
		"duration_ms":           ms(st.Duration),
		"recent_frame_times_ms": recent,
	}
}

func stallContext(st *stallRecord) sentry.Context {
	rt := st.Runtime
	c := sentry.Context{
		"class":             st.Class,
		"tier":              st.Tier,
		"ended":             st.Ended,
		"goroutine":         st.Goroutine,
		"state":             st.state(),
		"culprit":           fmt.Sprintf("%s (%s:%d)", st.culprit(), st.Culprit.File, st.Culprit.Line),
		"samples":           st.Samples,
		"dropped_samples":   st.DroppedSamples,
		"distinct_stacks":   len(st.Stacks),
		"gc_cycles":         rt.GCCycles,
		"gc_pause_ms":       ms(rt.GCPause),
		"gc_cpu_ms":         ms(rt.GCCPU),
		"major_page_faults": rt.MajorFaults,
		"cpu_ms":            ms(rt.CPU),
		"wall_ms":           ms(rt.Wall),
	}
	if rt.Wall > 0 {
		c["cpu_per_wall"] = math.Round(float64(rt.CPU)/float64(rt.Wall)*1000) / 1000
	}
	if st.ThreadsOmitted > 0 {
		c["threads_omitted"] = st.ThreadsOmitted
	}
	if st.Tier == tierFatal {
		c["killed"] = true
		c["detected_tier"] = st.Detected
	}
	if st.HangEventID != "" {
		c["hang_event_id"] = string(st.HangEventID)
	}
	return c
}

func runtimeContext(goroutines int, heap uint64) sentry.Context {
	return sentry.Context{
		"name":             "go",
		"version":          runtime.Version(),
		"go_numroutines":   goroutines,
		"go_maxprocs":      runtime.GOMAXPROCS(0),
		"heap_inuse_bytes": heap,
	}
}

func countsContext(c counts) sentry.Context {
	fw := sentry.Context{
		"suppressed_before":    c.SuppressedBefore,
		"session_reports":      c.SessionReports,
		"session_suppressed":   c.SessionSuppressed,
		"session_dropped":      c.SessionDropped,
		"spool_dropped_before": c.SpoolDroppedBefore,
	}
	if c.AttachmentDropped != "" {
		fw["attachment_dropped"] = c.AttachmentDropped
	}
	return fw
}

// underScope adds what the caller's scope held, under the report's own
// level, fingerprint, tags and contexts.
func underScope(ev *sentry.Event, scope *sentry.Event) {
	if scope == nil {
		return
	}
	for k, v := range scope.Tags {
		if _, ok := ev.Tags[k]; !ok {
			ev.Tags[k] = v
		}
	}
	for k, v := range scope.Contexts {
		if _, ok := ev.Contexts[k]; !ok {
			ev.Contexts[k] = v
		}
	}
	ev.User = scope.User
	ev.Breadcrumbs = scope.Breadcrumbs
	ev.Request = scope.Request
	ev.Transaction = scope.Transaction
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/1e3) / 1e3
}

// sentryFrames converts innermost-first watchdog frames to the oldest-first
// frames Sentry expects, splitting module and function as sentry-go does
// and setting InApp from the watchdog's rule on every frame.
func sentryFrames(frames []watchdog.Frame) []sentry.Frame {
	out := make([]sentry.Frame, 0, len(frames))
	for i := len(frames) - 1; i >= 0; i-- {
		f := frames[i]
		sf := sentry.NewFrame(runtime.Frame{Function: f.Function, File: f.File, Line: f.Line})
		sf.InApp = f.InApp
		out = append(out, sf)
	}
	return out
}

func stacktrace(frames []watchdog.Frame) *sentry.Stacktrace {
	if len(frames) == 0 {
		return nil
	}
	return &sentry.Stacktrace{Frames: sentryFrames(frames)}
}

// threads lists goroutines as Sentry threads; crashed is the stuck or
// panicking one.
func threads(gs []watchdog.Goroutine, crashed int) []sentry.Thread {
	out := make([]sentry.Thread, 0, len(gs))
	for _, g := range gs {
		out = append(out, sentry.Thread{
			ID:         strconv.Itoa(g.ID),
			Name:       fmt.Sprintf("goroutine %d [%s]", g.ID, g.State),
			Stacktrace: stacktrace(g.Frames),
			Crashed:    g.ID == crashed && crashed != 0,
			Current:    g.ID == crashed && crashed != 0,
		})
	}
	return out
}

// folded renders stacks in the collapsed-stack format flame graph tools
// read: one line per stack, functions outermost first joined by ';', then
// the sample count.
func folded(stacks []watchdog.Stack) []byte {
	var b bytes.Buffer
	for _, st := range stacks {
		if len(st.Frames) == 0 {
			continue
		}
		for i := len(st.Frames) - 1; i >= 0; i-- {
			b.WriteString(strings.ReplaceAll(st.Frames[i].Function, " ", "_"))
			if i > 0 {
				b.WriteByte(';')
			}
		}
		fmt.Fprintf(&b, " %d\n", st.Count)
	}
	return b.Bytes()
}

func newEventID() sentry.EventID {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant
	return sentry.EventID(hex.EncodeToString(b[:]))
}

// hitchesContext lists the session's top hitch culprits, so a stall's
// issue shows which shorter freezes the same players felt.
func hitchesContext(hs []watchdog.HitchCulprit) sentry.Context {
	top := make([]map[string]any, len(hs))
	for i, h := range hs {
		top[i] = map[string]any{"function": h.Function, "count": h.Count, "total_ms": ms(h.Total)}
	}
	return sentry.Context{"top": top}
}
