package watchdog_test

import (
	"testing"
	"time"
)

// With Options.FlightRecorder, a stall carries a trace snapshot, taken
// after StallStarted so that writing it never delays detection.
func TestFlightRecorderTrace(t *testing.T) {
	o := fast
	o.FlightRecorder = true
	w, r := newWatchdog(t, o)
	go func() {
		warmUp(w)
		update(w, 6, func() { nap(600 * time.Millisecond) })
		update(w, 7, func() {})
	}()
	s := <-r.endedCh
	r.mu.Lock()
	started := r.started[0]
	r.mu.Unlock()
	if started.Trace != nil {
		t.Errorf("StallStarted carries a %d-byte trace; it is taken afterwards", len(started.Trace))
	}
	if len(s.Trace) == 0 {
		t.Fatal("the ended stall carries no trace")
	}
	if string(s.Trace[:len("go 1.")]) != "go 1." {
		t.Errorf("trace starts %q, want a runtime/trace header", s.Trace[:16])
	}
}
