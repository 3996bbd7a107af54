package report

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
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
	maxThreads     = 200 // threads sent per event; the dump attachment has all
	maxFingerprint = 3   // in-app functions in a stall fingerprint
	fingerprintTag = "framewatch-stall"
	noInAppFrame   = "no in-app frame"
)

func tierName(t watchdog.Tier) string {
	if t == watchdog.TierHang {
		return "hang"
	}
	return "frozen"
}

func stallType(tier string) string {
	switch tier {
	case "hang":
		return TypeAppHanging
	case "fatal":
		return TypeFatalAppHang
	}
	return TypeFrozenFrame
}

func stallLevel(tier string) sentry.Level {
	switch tier {
	case "hang":
		return sentry.LevelError
	case "fatal":
		return sentry.LevelFatal
	}
	return sentry.LevelWarning
}

// stallValue is the exception value. It starts with the culprit function so
// that Sentry's and Spotlight's title, "<type>: <value>", reads
// "App Hanging: main.loadAllAssets: Update blocked for at least 2.4 s (lock)".
func stallValue(culprit, phase string, d time.Duration, class string) string {
	return fmt.Sprintf("%s: %s blocked for at least %s (%s)", culprit, phase, seconds(d), class)
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/1e3) / 1e3
}

func culpritName(s *watchdog.Stall) string {
	if s.Culprit.Function != "" {
		return s.Culprit.Function
	}
	return "unknown function"
}

// stallFingerprint groups stalls by tier, phase and the innermost in-app
// functions of the culprit stack, without line numbers so that an edit
// elsewhere in a file does not split an issue. Stalls with no in-app frame
// share one group per phase and class.
func stallFingerprint(tier string, s *watchdog.Stall) []string {
	fp := []string{fingerprintTag, tier, s.Phase.String()}
	n := 0
	if len(s.Stacks) > 0 {
		for _, f := range s.Stacks[0].Frames {
			if f.InApp {
				fp = append(fp, f.Function)
				if n++; n == maxFingerprint {
					break
				}
			}
		}
	}
	if n == 0 {
		fp = append(fp, noInAppFrame, s.Class.String())
	}
	return fp
}

func fingerprintKey(fp []string) string { return strings.Join(fp, "|") }

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

// threads lists the goroutines of a dump, the stuck or crashed one first.
func threads(gs []watchdog.Goroutine, crashed int) ([]sentry.Thread, int) {
	var out []sentry.Thread
	add := func(g watchdog.Goroutine) {
		out = append(out, sentry.Thread{
			ID:         strconv.Itoa(g.ID),
			Name:       fmt.Sprintf("goroutine %d [%s]", g.ID, g.State),
			Stacktrace: stacktrace(g.Frames),
			Crashed:    g.ID == crashed,
			Current:    g.ID == crashed,
		})
	}
	for _, g := range gs {
		if g.ID == crashed && crashed != 0 {
			add(g)
		}
	}
	omitted := 0
	for _, g := range gs {
		if g.ID == crashed && crashed != 0 {
			continue
		}
		if len(out) >= maxThreads {
			omitted++
			continue
		}
		add(g)
	}
	return out, omitted
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

// baseEvent fills what every report carries.
func (r *Reporter) baseEvent(id sentry.EventID, ts time.Time, level sentry.Level) *sentry.Event {
	ev := sentry.NewEvent()
	ev.EventID = id
	ev.Timestamp = ts
	ev.Level = level
	ev.Platform = "go"
	ev.Release = r.o.release
	ev.Environment = r.o.environment
	ev.Tags["goos"] = runtime.GOOS
	ev.Tags["goarch"] = runtime.GOARCH
	if r.o.EbitenVersion != "" {
		ev.Tags["ebiten"] = r.o.EbitenVersion
	}
	return ev
}

// buildStall turns a stall into an event and the spool record around it.
// id is the event ID, shared by a stall's in-progress file and its final
// report so that Sentry drops a duplicate should both ever be sent.
func (r *Reporter) buildStall(s *watchdog.Stall, id sentry.EventID) (*sentry.Event, *record) {
	tier := tierName(s.Tier)
	culprit := culpritName(s)
	ev := r.baseEvent(id, s.Start, stallLevel(tier))
	ev.Fingerprint = stallFingerprint(tier, s)

	var frames []watchdog.Frame
	state := ""
	if len(s.Stacks) > 0 {
		frames = s.Stacks[0].Frames
		state = s.Stacks[0].State
	}
	ev.Exception = []sentry.Exception{{
		Type:       stallType(tier),
		Value:      stallValue(culprit, s.Phase.String(), s.Duration, s.Class.String()),
		ThreadID:   uint64(max(s.Goroutine, 0)),
		Stacktrace: stacktrace(frames),
		Mechanism: &sentry.Mechanism{
			Type:    MechanismAppHang,
			Handled: sentry.Pointer(true),
			Data:    map[string]any{"phase": s.Phase.String(), "class": s.Class.String(), "tier": tier},
		},
	}}
	var omitted int
	ev.Threads, omitted = threads(s.Goroutines, s.Goroutine)

	ev.Tags["phase"] = s.Phase.String()
	ev.Tags["stall.class"] = s.Class.String()
	ev.Tags["stall.tier"] = tier
	for k, v := range s.Tags {
		ev.Tags[k] = v
	}

	recent := make([]float64, len(s.RecentFrames))
	for i, d := range s.RecentFrames {
		recent[i] = ms(d)
	}
	ev.Contexts["frame"] = sentry.Context{
		"phase":                 s.Phase.String(),
		"tick":                  s.Tick,
		"start":                 s.Start.UTC().Format(time.RFC3339Nano),
		"duration_ms":           ms(s.Duration),
		"recent_frame_times_ms": recent,
	}
	rt := s.Runtime
	stall := sentry.Context{
		"class":             s.Class.String(),
		"tier":              tier,
		"ended":             s.Ended,
		"goroutine":         s.Goroutine,
		"state":             state,
		"culprit":           fmt.Sprintf("%s (%s:%d)", culprit, s.Culprit.File, s.Culprit.Line),
		"samples":           s.Samples,
		"dropped_samples":   s.DroppedSamples,
		"distinct_stacks":   len(s.Stacks),
		"gc_cycles":         rt.GCCycles,
		"gc_pause_ms":       ms(rt.GCPause),
		"gc_cpu_ms":         ms(rt.GCCPU),
		"major_page_faults": rt.MajorFaults,
		"cpu_ms":            ms(rt.CPU),
		"wall_ms":           ms(rt.Wall),
	}
	if rt.Wall > 0 {
		stall["cpu_per_wall"] = math.Round(float64(rt.CPU)/float64(rt.Wall)*1000) / 1000
	}
	if omitted > 0 {
		stall["threads_omitted"] = omitted
	}
	ev.Contexts["stall"] = stall
	ev.Contexts["runtime"] = sentry.Context{
		"name":             "go",
		"version":          runtime.Version(),
		"go_numroutines":   rt.Goroutines,
		"go_maxprocs":      runtime.GOMAXPROCS(0),
		"heap_inuse_bytes": rt.HeapInUse,
	}

	rec := &record{
		Format:  recordFormat,
		Kind:    "stall",
		Title:   stallType(tier) + ": " + ev.Exception[0].Value,
		Key:     fingerprintKey(ev.Fingerprint),
		Created: time.Now(),
		PID:     os.Getpid(),
		Stall: &stallMeta{
			Phase: s.Phase.String(), Tier: tier, Class: s.Class.String(), Culprit: culprit,
			Start: s.Start, Duration: s.Duration, Ended: s.Ended,
		},
	}
	if len(s.Dump) > 0 {
		rec.Attachments = append(rec.Attachments, attachment{"goroutines.txt", "text/plain", s.Dump})
	}
	if f := folded(s.Stacks); len(f) > 0 {
		rec.Attachments = append(rec.Attachments, attachment{"samples.folded", "text/plain", f})
	}
	if len(s.Trace) > 0 {
		rec.Attachments = append(rec.Attachments, attachment{"trace.out", "application/octet-stream", s.Trace})
	}
	r.applyHub(ev, rec)
	return ev, rec
}

// makeFatal turns the event of a stall whose process died before the stall
// ended into a Fatal App Hang. lastAlive is when the process was last seen
// alive in the stall (the in-progress file's modification time).
func makeFatal(ev *sentry.Event, rec *record, lastAlive time.Time) {
	m := rec.Stall
	if m == nil || len(ev.Exception) == 0 {
		return
	}
	d := m.Duration
	if alive := lastAlive.Sub(m.Start); alive > d {
		d = alive
	}
	ex := &ev.Exception[0]
	ex.Type = TypeFatalAppHang
	ex.Value = stallValue(m.Culprit, m.Phase, d, m.Class)
	if ex.Mechanism == nil {
		ex.Mechanism = &sentry.Mechanism{Type: MechanismAppHang}
	}
	ex.Mechanism.Handled = sentry.Pointer(false)
	ev.Level = sentry.LevelFatal
	if len(ev.Fingerprint) > 1 && ev.Fingerprint[0] == fingerprintTag {
		ev.Fingerprint[1] = "fatal"
	}
	if ev.Tags == nil {
		ev.Tags = map[string]string{}
	}
	ev.Tags["stall.tier"] = "fatal"
	if ev.Contexts == nil {
		ev.Contexts = map[string]sentry.Context{}
	}
	if ev.Contexts["frame"] == nil {
		ev.Contexts["frame"] = sentry.Context{}
	}
	ev.Contexts["frame"]["duration_ms"] = ms(d)
	if ev.Contexts["stall"] == nil {
		ev.Contexts["stall"] = sentry.Context{}
	}
	ev.Contexts["stall"]["killed"] = true
	ev.Contexts["stall"]["tier"] = "fatal"
	ev.Contexts["stall"]["detected_tier"] = m.Tier
	rec.Title = TypeFatalAppHang + ": " + ex.Value
	rec.Key = fingerprintKey(ev.Fingerprint)
}

// buildPanic turns a panic into a crash event.
func (r *Reporter) buildPanic(value any, phase watchdog.Phase, stack []byte) (*sentry.Event, *record) {
	gs, _ := watchdog.ParseDump(stack, r.o.InApp)
	var frames []watchdog.Frame
	gid := 0
	if len(gs) > 0 {
		frames = panicFrames(gs[0].Frames)
		gid = gs[0].ID
	}
	typ, msg := panicType(value), panicMessage(value)
	ev := r.baseEvent(newEventID(), time.Now(), sentry.LevelFatal)
	ev.Exception = []sentry.Exception{{
		Type:       typ,
		Value:      msg,
		ThreadID:   uint64(max(gid, 0)),
		Stacktrace: stacktrace(frames),
		Mechanism: &sentry.Mechanism{
			Type:    MechanismPanic,
			Handled: sentry.Pointer(false),
			Data:    map[string]any{"phase": phase.String()},
		},
	}}
	if len(gs) > 1 {
		ev.Threads, _ = threads(gs, gid)
	}
	ev.Tags["phase"] = phase.String()
	key := []string{"panic", phase.String(), typ}
	n := 0
	for _, f := range frames {
		if f.InApp {
			key = append(key, f.Function)
			if n++; n == maxFingerprint {
				break
			}
		}
	}
	rec := &record{
		Format:  recordFormat,
		Kind:    "panic",
		Title:   typ + ": " + msg,
		Key:     fingerprintKey(key),
		Created: time.Now(),
		PID:     os.Getpid(),
	}
	if len(stack) > 0 {
		rec.Attachments = append(rec.Attachments, attachment{"stack.txt", "text/plain", stack})
	}
	r.applyHub(ev, rec)
	return ev, rec
}

// panicFrames drops the frames of the panic machinery and of the recovering
// code from a panicking goroutine's stack (innermost first), so that the
// stack starts at the function that panicked.
func panicFrames(frames []watchdog.Frame) []watchdog.Frame {
	for i, f := range frames {
		if f.Function == "panic" || f.Function == "runtime.gopanic" {
			rest := frames[i+1:]
			for len(rest) > 0 && isPanicHelper(rest[0].Function) {
				rest = rest[1:]
			}
			return rest
		}
	}
	for len(frames) > 0 && frames[0].Function == "runtime/debug.Stack" {
		frames = frames[1:]
	}
	return frames
}

func isPanicHelper(fn string) bool {
	return strings.HasPrefix(fn, "runtime.panic") || strings.HasPrefix(fn, "runtime.goPanic") ||
		fn == "runtime.sigpanic"
}

func panicType(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}

// panicMessage formats a panic value as the runtime would, without letting
// a broken Error or String method panic again.
func panicMessage(v any) (msg string) {
	defer func() {
		if recover() != nil {
			msg = fmt.Sprintf("%#v", v)
		}
	}()
	switch x := v.(type) {
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// applyHub applies the scope of Options.Hub, keeping the report's own
// level, fingerprint and tags.
func (r *Reporter) applyHub(ev *sentry.Event, rec *record) {
	if r.o.Hub == nil {
		return
	}
	level, tags := ev.Level, make(map[string]string, len(ev.Tags))
	for k, v := range ev.Tags {
		tags[k] = v
	}
	if out := r.o.Hub.Scope().ApplyToEvent(ev, nil, r.o.Hub.Client()); out != nil && out != ev {
		*ev = *out
	}
	ev.Level = level
	for k, v := range tags {
		ev.Tags[k] = v
	}
	for _, a := range ev.Attachments {
		if a != nil {
			rec.Attachments = append(rec.Attachments, attachment{a.Filename, a.ContentType, a.Payload})
		}
	}
	ev.Attachments = nil
}

// encode stores ev in rec as JSON.
func encode(ev *sentry.Event, rec *record) ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	rec.Event = b
	return json.Marshal(rec)
}

// event rebuilds the sentry.Event of a spooled record.
func (rec *record) event() (*sentry.Event, error) {
	ev := new(sentry.Event)
	if err := json.Unmarshal(rec.Event, ev); err != nil {
		return nil, err
	}
	if ev.Tags == nil {
		ev.Tags = map[string]string{}
	}
	if ev.Contexts == nil {
		ev.Contexts = map[string]sentry.Context{}
	}
	for _, a := range rec.Attachments {
		ev.Attachments = append(ev.Attachments, &sentry.Attachment{Filename: a.Filename, ContentType: a.ContentType, Payload: a.Data})
	}
	return ev, nil
}

// vcsRevision is the build's VCS revision, sentry-go's own fallback release.
func vcsRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}
