package report

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// Exception types of a crash read from a dead process's crash output.
const (
	TypePanic      = "panic"         // an unrecovered panic
	TypeFatalError = "fatal error"   // a fatal runtime error: concurrent map writes, out of memory, deadlock
	TypeRuntimeErr = "runtime.Error" // a panic with a runtime error: nil dereference, index out of range
)

// crashRecord is a crash of another process, read from the crash output
// the runtime wrote when it died (runtime/debug.SetCrashOutput).
type crashRecord struct {
	Type           string               `json:"type"`
	Message        string               `json:"message"`
	Goroutine      int                  `json:"goroutine"`
	Frames         []watchdog.Frame     `json:"frames,omitempty"` // the crashing goroutine's, innermost first
	Threads        []watchdog.Goroutine `json:"threads,omitempty"`
	ThreadsOmitted int                  `json:"threads_omitted,omitempty"`
}

// ReportCrash reports the crash of the process pid from the crash output
// the Go runtime wrote when it died: an unrecovered panic on any goroutine
// or a fatal runtime error. The event has the panic's or error's text as
// exception type and value, mechanism panic, unhandled, level fatal; the
// goroutine that crashed (the first in the output) is the exception's
// thread and every goroutine is a thread, frames in-app by Options.InApp.
// The output is attached as crash.txt. The report is spooled and sent like
// any other; ReportCrash does not wait for delivery. It returns an error
// when output holds no crash. Safe from any goroutine.
func (r *Reporter) ReportCrash(output []byte, pid int) error {
	c, err := parseCrash(output, r.o.InApp)
	if err != nil {
		return err
	}
	var spoolErr error
	r.w.put(func(w *writer) {
		rec := w.newRecord()
		rec.PID = pid
		rec.Crash = c
		rec.Attachments = append(rec.Attachments, attachment{"crash.txt", "text/plain", output})
		_, spoolErr = w.spoolReport(rec, newStem()+reportSuffix, false, false)
	})
	return spoolErr
}

// parseCrash reads the header line ("panic: ..." or "fatal error: ...")
// and the goroutines of a crash output.
func parseCrash(output []byte, rule watchdog.InAppRule) (*crashRecord, error) {
	c := &crashRecord{}
	for line := range bytes.Lines(output) {
		s := strings.TrimSpace(string(line))
		if v, ok := strings.CutPrefix(s, "fatal error: "); ok && c.Type == "" {
			c.Type, c.Message = TypeFatalError, v
		} else if v, ok := strings.CutPrefix(s, "panic: "); ok {
			// A re-panicked value prints as "panic: v [recovered, repanicked]";
			// nested panics print one line each, the last is the one that killed.
			v = strings.TrimSuffix(strings.TrimSuffix(v, " [recovered, repanicked]"), " [recovered]")
			c.Type, c.Message = TypePanic, v
			if rest, ok := strings.CutPrefix(v, "runtime error: "); ok {
				c.Type, c.Message = TypeRuntimeErr, "runtime error: "+rest
			}
		} else if strings.HasPrefix(s, "goroutine ") {
			break
		}
	}
	gs, _ := watchdog.ParseDump(output, rule)
	if len(gs) == 0 {
		return nil, errors.New("report: no goroutine in the crash output")
	}
	c.Goroutine = gs[0].ID
	c.Frames = panicFrames(gs[0].Frames)
	c.Threads, c.ThreadsOmitted = keepThreads(gs, c.Goroutine)
	if c.Type == "" {
		// The runtime prints a fatal error's own line before it copies its
		// output to the crash output, so the message is read from where
		// it was thrown.
		c.Type, c.Message = TypeFatalError, thrownMessage(gs[0].Frames)
		for len(c.Frames) > 0 && throwers[c.Frames[0].Function] != "" {
			c.Frames = c.Frames[1:]
		}
	}
	return c, nil
}

// throwers are the runtime functions a fatal error is thrown from, with
// what each means; "" marks no more than a thrower.
var throwers = map[string]string{
	"runtime.throw":               "",
	"runtime.fatal":               "",
	"runtime.fatalthrow":          "",
	"internal/runtime/maps.fatal": "concurrent map writes, or a map read, iterated or cloned during a write",
	"runtime.newstack":            "stack overflow",
	"runtime.morestack":           "stack overflow",
	"runtime.(*mheap).sysAlloc":   "out of memory",
	"runtime.(*mheap).grow":       "out of memory",
	"runtime.(*mcache).refill":    "out of memory",
}

// thrownMessage names a fatal error by the runtime function it was thrown
// from, or by the first function that is not the runtime's.
func thrownMessage(frames []watchdog.Frame) string {
	for _, f := range frames {
		if m := throwers[f.Function]; m != "" {
			return m
		}
		if _, ok := throwers[f.Function]; !ok {
			return "thrown in " + f.Function + " (the runtime's message is on the game's standard error)"
		}
	}
	return "the runtime's message is on the game's standard error"
}

// crashEvent fills the parts of ev that a crash sets.
func crashEvent(ev *sentry.Event, rec *record) {
	c := rec.Crash
	ev.Timestamp = rec.Created
	ev.Level = sentry.LevelFatal
	ev.Threads = threads(c.Threads, c.Goroutine)
	ev.Tags["crash.pid"] = strconv.Itoa(rec.PID)
}

func (c *crashRecord) exception() sentry.Exception {
	return sentry.Exception{
		Type: c.Type, Value: c.Message, ThreadID: uint64(max(c.Goroutine, 0)), Stacktrace: stacktrace(c.Frames),
		Mechanism: &sentry.Mechanism{Type: MechanismPanic, Handled: sentry.Pointer(false), Data: map[string]any{"source": "crash output"}},
	}
}

// key is what Options.MaxPerFingerprint counts for a crash.
func (c *crashRecord) key() []string {
	return appFunctions([]string{"crash", c.Type, fmt.Sprint(len(c.Frames) > 0)}, c.Frames)
}
