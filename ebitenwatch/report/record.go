package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/guardian"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// recordFormat is the spool format this version writes. Format 1 stored
// the Sentry event itself; it is still read (see legacy.go).
const recordFormat = 2

// The tiers a stall record has: the watchdog's two, and fatal for a stall
// its process did not survive.
const (
	tierFrozen = "frozen"
	tierHang   = "hang"
	tierFatal  = "fatal"
)

// record is one report: what the spool stores and the console prints. The
// Sentry event is made from it by toEvent when it is sent.
type record struct {
	Format      int               `json:"format"`
	ID          sentry.EventID    `json:"id"`
	Created     time.Time         `json:"created"`
	PID         int               `json:"pid"`
	Release     string            `json:"release,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`    // goos, goarch, ebiten and the stall's own tags
	Session     string            `json:"session,omitempty"` // the sid of the process's release-health session
	Stall       *stallRecord      `json:"stall,omitempty"`
	Panic       *panicRecord      `json:"panic,omitempty"`
	Problem     *problemRecord    `json:"problem,omitempty"` // a load that failed or stalled, an unusable game
	Crash       *crashRecord      `json:"crash,omitempty"`   // see crash.go
	// Process is a hang a guardian saw from outside; see processhang.go.
	Process     *guardian.ProcessHang `json:"process,omitempty"`
	Counts      counts                `json:"counts"`
	Vitals      *Vitals               `json:"vitals,omitempty"` // the session's frames when the record was made
	Attachments []attachment          `json:"attachments,omitempty"`
	// Scope is what Options.Hub's scope added to an empty event when the
	// record was made: user, tags, contexts, breadcrumbs.
	Scope *sentry.Event `json:"scope,omitempty"`

	legacy *sentry.Event // the event of a format-1 record
}

// stallRecord is a stall as sampled so far.
type stallRecord struct {
	Tier           string               `json:"tier"`               // frozen, hang or fatal
	Detected       string               `json:"detected,omitempty"` // for fatal: the tier when last seen alive
	Phase          string               `json:"phase"`
	Class          string               `json:"class"`
	Tick           uint64               `json:"tick"`
	Start          time.Time            `json:"start"`
	Duration       time.Duration        `json:"duration_ns"`
	Ended          bool                 `json:"ended"`
	Goroutine      int                  `json:"goroutine"`
	Stacks         []watchdog.Stack     `json:"stacks,omitempty"`
	Samples        int                  `json:"samples"`
	DroppedSamples int                  `json:"dropped_samples"`
	Culprit        watchdog.Frame       `json:"culprit"`
	Threads        []watchdog.Goroutine `json:"threads,omitempty"` // at most maxThreads, the stuck one first
	ThreadsOmitted int                  `json:"threads_omitted,omitempty"`
	Runtime        watchdog.Runtime     `json:"runtime"`
	RecentFrames   []time.Duration      `json:"recent_frames_ns,omitempty"`
	// Hitches are the session's top hitch culprits when the stall was
	// last seen.
	Hitches []watchdog.HitchCulprit `json:"hitches,omitempty"`
	// HangSpooled is set on an in-progress record once its App Hanging has
	// been spooled: the stall is then reported, whatever becomes of it.
	HangSpooled bool `json:"hang_spooled,omitempty"`
	// HangEventID is, on a Fatal App Hang of a stall killed after its App
	// Hanging was sent, that App Hanging's event ID.
	HangEventID sentry.EventID `json:"hang_event_id,omitempty"`
}

// panicRecord is a panic that left a phase.
type panicRecord struct {
	Type           string               `json:"type"`
	Message        string               `json:"message"`
	Phase          string               `json:"phase"`
	Goroutine      int                  `json:"goroutine"`
	Frames         []watchdog.Frame     `json:"frames,omitempty"` // innermost first, from the panicking call
	Threads        []watchdog.Goroutine `json:"threads,omitempty"`
	ThreadsOmitted int                  `json:"threads_omitted,omitempty"`
}

// counts are the report counts an event carries (its "framewatch" context).
type counts struct {
	SuppressedBefore   int    `json:"suppressed_before"`
	SessionReports     int    `json:"session_reports"`
	SessionSuppressed  int    `json:"session_suppressed"`
	SessionDropped     int    `json:"session_dropped"`
	SpoolDroppedBefore int    `json:"spool_dropped_before"`
	AttachmentDropped  string `json:"attachment_dropped,omitempty"`
}

type attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// base is what every record of this process carries.
func (o *resolved) base() *record {
	rec := &record{
		Format: recordFormat, ID: newEventID(), Created: time.Now(), PID: os.Getpid(),
		Release: o.release, Environment: o.environment,
		Tags: map[string]string{"goos": runtime.GOOS, "goarch": runtime.GOARCH},
	}
	if o.EbitenVersion != "" {
		rec.Tags["ebiten"] = o.EbitenVersion
	}
	return rec
}

// setStall fills rec from s, everything sampled so far.
func (rec *record) setStall(s *watchdog.Stall) {
	st := &stallRecord{
		Tier: tierName(s.Tier), Phase: s.Phase.String(), Class: s.Class.String(), Tick: s.Tick,
		Start: s.Start, Duration: s.Duration, Ended: s.Ended, Goroutine: s.Goroutine,
		Stacks: s.Stacks, Samples: s.Samples, DroppedSamples: s.DroppedSamples, Culprit: s.Culprit,
		Runtime: s.Runtime, RecentFrames: s.RecentFrames, Hitches: s.Hitches,
	}
	if rec.Stall != nil {
		st.HangSpooled = rec.Stall.HangSpooled
	}
	st.Threads, st.ThreadsOmitted = keepThreads(s.Goroutines, s.Goroutine)
	for k, v := range s.Tags {
		rec.Tags[k] = v
	}
	rec.Stall = st
	rec.Attachments = nil // a fatal copy may share the old slice
	if len(s.Dump) > 0 {
		rec.Attachments = append(rec.Attachments, attachment{"goroutines.txt", "text/plain", s.Dump})
	}
	if f := folded(s.Stacks); len(f) > 0 {
		rec.Attachments = append(rec.Attachments, attachment{"samples.folded", "text/plain", f})
	}
	if len(s.Trace) > 0 {
		rec.Attachments = append(rec.Attachments, attachment{"trace.out", "application/octet-stream", s.Trace})
	}
}

// asFatal returns a copy of a stall record whose process did not survive
// the stall: the same facts, tier fatal.
func (rec *record) asFatal() *record {
	c := *rec
	st := *rec.Stall
	st.Detected, st.Tier = st.Tier, tierFatal
	c.Stall = &st
	return &c
}

// killedHang returns the Fatal App Hang of a stall whose App Hanging was
// sent while it lasted and whose process then did not survive it: a new
// event, naming the App Hanging's, with the stall as last recorded.
func (rec *record) killedHang() *record {
	c := rec.asFatal()
	c.ID = newEventID()
	c.Stall.HangEventID = rec.ID
	return c
}

// keepThreads returns at most maxThreads goroutines, the stuck one first,
// and how many were left out.
func keepThreads(gs []watchdog.Goroutine, stuck int) ([]watchdog.Goroutine, int) {
	out := make([]watchdog.Goroutine, 0, min(len(gs), maxThreads))
	for _, g := range gs {
		if g.ID == stuck && stuck != 0 {
			out = append(out, g)
		}
	}
	for _, g := range gs {
		if len(out) == maxThreads {
			break
		}
		if g.ID != stuck || stuck == 0 {
			out = append(out, g)
		}
	}
	return out, len(gs) - len(out)
}

func tierName(t watchdog.Tier) string {
	if t == watchdog.TierHang {
		return tierHang
	}
	return tierFrozen
}

// title is the report's one-line summary, as Sentry shows it.
func (rec *record) title() string {
	ex := []sentry.Exception{}
	if rec.legacy != nil {
		ex = legacyEvent(rec).Exception
	} else {
		ex = append(ex, rec.exception())
	}
	if len(ex) == 0 {
		return ""
	}
	return ex[0].Type + ": " + ex[0].Value
}

// key is what Options.MaxPerFingerprint counts: the fingerprint, or for a
// panic its phase, type and innermost in-app functions.
func (rec *record) key() string {
	switch {
	case rec.legacy != nil:
		return fingerprintKey(rec.legacy.Fingerprint)
	case rec.Panic != nil:
		return fingerprintKey(rec.panicKey())
	case rec.Problem != nil:
		return fingerprintKey(rec.Problem.Group)
	case rec.Crash != nil:
		return fingerprintKey(rec.Crash.key())
	case rec.Process != nil:
		return fingerprintKey(processKey(rec.Process))
	}
	return fingerprintKey(rec.fingerprint())
}

// setPanic fills rec from a panic value and the panicking goroutine's
// stack (see Reporter.ReportPanic).
func (rec *record) setPanic(value any, phase watchdog.Phase, stack []byte, inApp watchdog.InAppRule) {
	gs, _ := watchdog.ParseDump(stack, inApp)
	p := &panicRecord{Type: panicType(value), Message: panicMessage(value), Phase: phase.String()}
	if len(gs) > 0 {
		p.Frames = panicFrames(gs[0].Frames)
		p.Goroutine = gs[0].ID
		p.Threads, p.ThreadsOmitted = keepThreads(gs, p.Goroutine)
	}
	rec.Panic = p
	if len(stack) > 0 {
		rec.Attachments = append(rec.Attachments, attachment{"stack.txt", "text/plain", stack})
	}
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

func encodeRecord(rec *record) ([]byte, error) {
	if rec.legacy != nil {
		return encodeLegacy(rec)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encoding a report: %w", err)
	}
	return b, nil
}

// decodeRecord reads a spool file of this format or the previous one.
func decodeRecord(data []byte) (*record, error) {
	var head struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, err
	}
	switch head.Format {
	case 1:
		return decodeLegacy(data)
	case recordFormat:
	default:
		return nil, fmt.Errorf("unknown spool format %d", head.Format)
	}
	rec := new(record)
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, err
	}
	switch {
	case rec.Created.IsZero():
		return nil, errors.New("no creation time")
	case kinds(rec.Stall != nil, rec.Panic != nil, rec.Problem != nil, rec.Crash != nil, rec.Process != nil) != 1:
		return nil, errors.New("not exactly one of a stall, a panic, a problem, a crash or a process hang")
	case rec.ID == "":
		return nil, errors.New("no event ID")
	}
	if rec.Tags == nil {
		rec.Tags = map[string]string{}
	}
	return rec, nil
}

// kinds counts the kinds a record holds; a valid one holds exactly one.
func kinds(has ...bool) int {
	n := 0
	for _, h := range has {
		if h {
			n++
		}
	}
	return n
}
