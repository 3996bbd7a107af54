package report

import (
	"fmt"
	"strconv"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/guardian"
)

// processFingerprint groups process hangs by the process state the
// guardian saw.
const processFingerprint = "process hang"

// ReportProcessHang reports a hang a guardian saw from outside the game:
// the game loop and every goroutine of the game stopped (see
// guardian.Options.Beat). The event is an App Hanging, level error,
// mechanism AppHang with detector "guardian", whose "process" context
// holds what /proc showed: how long, thread states, resident and swapped
// memory, major page faults. It carries no stack: no goroutine ran to take
// one. The report is spooled and sent like any other; ReportProcessHang
// does not wait for delivery. Safe from any goroutine.
func (r *Reporter) ReportProcessHang(h guardian.ProcessHang) error {
	var spoolErr error
	r.w.put(func(w *writer) {
		rec := w.newRecord()
		rec.PID = h.PID
		rec.Process = &h
		_, spoolErr = w.spoolReport(rec, newStem()+reportSuffix, true, false)
	})
	return spoolErr
}

// processEvent fills the parts of ev that a process hang sets.
func processEvent(ev *sentry.Event, rec *record) {
	h := rec.Process
	ev.Timestamp = rec.Created
	ev.Level = sentry.LevelError
	ev.Tags["stall.tier"] = tierHang
	ev.Tags["stall.class"] = "process"
	ev.Tags["process.state"] = h.State
	ev.Contexts["process"] = sentry.Context{
		"pid":               h.PID,
		"state":             h.State,
		"loop_stuck_ms":     ms(h.Loop),
		"runtime_stuck_ms":  ms(h.Runtime),
		"threads":           h.Threads,
		"rss_bytes":         h.RSS,
		"swap_bytes":        h.Swap,
		"major_page_faults": h.MajorFaults,
	}
}

func processException(h *guardian.ProcessHang) sentry.Exception {
	return sentry.Exception{
		Type: TypeAppHanging,
		Value: fmt.Sprintf("the game process stopped running: its loop has not moved for %s and none of its goroutines ran for %s (process state %s)",
			seconds(h.Loop), seconds(h.Runtime), h.State),
		Mechanism: &sentry.Mechanism{
			Type: MechanismAppHang, Handled: sentry.Pointer(true),
			Data: map[string]any{"detector": "guardian", "tier": tierHang},
		},
	}
}

func processKey(h *guardian.ProcessHang) []string {
	return []string{fingerprintTag, tierHang, processFingerprint, strconv.Quote(h.State)}
}
