package report_test

import (
	"bytes"
	"errors"
	"runtime"
	"runtime/debug"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// flightTrace takes a real, small flight-recorder snapshot.
func flightTrace(t *testing.T) []byte {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 100 * time.Millisecond, MaxBytes: 1 << 20})
	if err := fr.Start(); err != nil {
		t.Logf("no flight recorder: %v", err)
		return []byte("not a trace")
	}
	defer fr.Stop()
	time.Sleep(5 * time.Millisecond)
	var b bytes.Buffer
	if _, err := fr.WriteTo(&b); err != nil {
		t.Logf("flight recorder snapshot: %v", err)
		return []byte("not a trace")
	}
	return b.Bytes()
}

func TestStallEventFields(t *testing.T) {
	srv := newSentry(t)
	tr := flightTrace(t)
	s := stuckStall(t, atAssets, stallSpec{tier: watchdog.TierHang, dur: 2400 * time.Millisecond, trace: tr})
	r := newReporter(t, report.Options{
		DSN: srv.DSN(), Release: "game@1.2.3", Environment: "qa", EbitenVersion: "v2.9.10",
	})
	r.StallStarted(started(s))
	r.StallEnded(s)
	if !r.Flush(5 * time.Second) {
		t.Fatal("Flush timed out")
	}
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	e := evs[0]
	if e.Level != "error" || e.Platform != "go" || e.Release != "game@1.2.3" || e.Environment != "qa" {
		t.Errorf("level/platform/release/env = %q %q %q %q", e.Level, e.Platform, e.Release, e.Environment)
	}
	if string(e.Raw["exception"])[0] != '{' || string(e.Raw["threads"])[0] != '{' {
		t.Errorf("exception and threads must use the {\"values\": [...]} form, got %.40s / %.40s", e.Raw["exception"], e.Raw["threads"])
	}
	if len(e.Exception) != 1 {
		t.Fatalf("exceptions: %d", len(e.Exception))
	}
	ex := e.Exception[0]
	culprit := testPkg + "decodeAtlas"
	if ex.Type != "App Hanging" {
		t.Errorf("type %q", ex.Type)
	}
	if want := culprit + ": Update blocked for at least 2.4 s (lock)"; ex.Value != want {
		t.Errorf("value %q, want %q", ex.Value, want)
	}
	if want := "App Hanging: " + culprit; !strings.HasPrefix(e.Title(), want) {
		t.Errorf("title %q does not start with %q", e.Title(), want)
	}
	if ex.Mechanism == nil || ex.Mechanism.Type != "AppHang" || ex.Mechanism.Handled == nil || !*ex.Mechanism.Handled {
		t.Errorf("mechanism %+v", ex.Mechanism)
	}
	if ex.ThreadID != uint64(s.Goroutine) {
		t.Errorf("thread_id %d, want %d", ex.ThreadID, s.Goroutine)
	}

	// Frames: oldest first, in_app set on each and true only for this package.
	frames := ex.Stacktrace.Frames
	if len(frames) != len(s.Stacks[0].Frames) {
		t.Fatalf("%d frames, want %d", len(frames), len(s.Stacks[0].Frames))
	}
	for i, f := range frames {
		w := s.Stacks[0].Frames[len(frames)-1-i]
		if f.Module+"."+f.Function != w.Function || f.Lineno != w.Line {
			t.Errorf("frame %d = %s.%s:%d, want %s:%d", i, f.Module, f.Function, f.Lineno, w.Function, w.Line)
		}
		if f.InApp == nil {
			t.Errorf("frame %d has no in_app", i)
		} else if *f.InApp != strings.HasPrefix(w.Function, testPkg) {
			t.Errorf("frame %s in_app=%v", w.Function, *f.InApp)
		}
	}
	last := frames[len(frames)-1]
	if last.Module == "" || strings.Contains(last.Function, "/") {
		t.Errorf("innermost frame not split into module and function: %+v", last)
	}
	var lockFrame bool
	for _, f := range frames {
		if f.Module == "sync" && f.Function == "(*Mutex).Lock" {
			lockFrame = true
		}
	}
	if !lockFrame {
		t.Errorf("no sync (*Mutex).Lock frame split as sentry-go does")
	}
	var app []string // in-app functions, oldest first
	for _, f := range frames {
		if *f.InApp {
			app = append(app, f.Function)
		}
	}
	if len(app) < 2 || app[len(app)-1] != "decodeAtlas" || app[len(app)-2] != "loadAllAssets" {
		t.Errorf("in-app frames %v, want ... loadAllAssets, decodeAtlas", app)
	}

	// Threads: every goroutine of the dump, the stuck one crashed and current.
	if len(e.Threads) != len(s.Goroutines) {
		t.Errorf("%d threads, want %d", len(e.Threads), len(s.Goroutines))
	}
	crashed := 0
	for _, th := range e.Threads {
		if th.Crashed {
			crashed++
			if th.ID != strconv.Itoa(s.Goroutine) || !th.Current {
				t.Errorf("crashed thread %+v, want goroutine %d, current", th, s.Goroutine)
			}
		}
	}
	if crashed != 1 {
		t.Errorf("%d crashed threads, want 1", crashed)
	}

	// Fingerprint: tier, phase, innermost three in-app functions, no lines.
	wantFP := []string{"framewatch-stall", "hang", "Update", culprit, testPkg + "loadAllAssets"}
	if !slices.Equal(e.Fingerprint[:len(wantFP)], wantFP) || len(e.Fingerprint) > 6 {
		t.Errorf("fingerprint %q, want prefix %q", e.Fingerprint, wantFP)
	}
	for _, p := range e.Fingerprint {
		if strings.ContainsAny(p, ":") && strings.Contains(p, ".go") {
			t.Errorf("fingerprint has a file position: %q", p)
		}
	}

	for k, v := range map[string]string{
		"phase": "Update", "stall.class": "lock", "stall.tier": "hang",
		"goos": runtime.GOOS, "goarch": runtime.GOARCH, "ebiten": "v2.9.10", "task": "load-atlas",
	} {
		if e.Tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, e.Tags[k], v)
		}
	}
	frame, stall, rt := e.Contexts["frame"], e.Contexts["stall"], e.Contexts["runtime"]
	if frame["tick"] != float64(812) || frame["duration_ms"] != float64(2400) || len(frame["recent_frame_times_ms"].([]any)) != 3 {
		t.Errorf("frame context %v", frame)
	}
	for k, v := range map[string]any{
		"class": "lock", "samples": float64(15), "dropped_samples": float64(1), "gc_cycles": float64(2),
		"gc_pause_ms": float64(3), "gc_cpu_ms": float64(5), "major_page_faults": float64(1),
		"cpu_ms": float64(120), "wall_ms": float64(2400), "cpu_per_wall": 0.05,
	} {
		if stall[k] != v {
			t.Errorf("stall context %s = %v, want %v", k, stall[k], v)
		}
	}
	if rt["version"] != runtime.Version() || rt["go_numroutines"] != float64(len(s.Goroutines)) || rt["heap_inuse_bytes"] != float64(8<<20) {
		t.Errorf("runtime context %v", rt)
	}
	if fw := e.Contexts["framewatch"]; fw["suppressed_before"] != float64(0) {
		t.Errorf("framewatch context %v", fw)
	}

	// Attachments: the dump, the folded samples, the trace.
	if a := e.Attachments["goroutines.txt"]; !bytes.Equal(a.Data, s.Dump) || a.ContentType != "text/plain" {
		t.Errorf("goroutines.txt attachment: %d bytes, %q", len(a.Data), a.ContentType)
	}
	if a := e.Attachments["trace.out"]; !bytes.Equal(a.Data, tr) {
		t.Errorf("trace.out attachment: %d bytes, want %d", len(a.Data), len(tr))
	}
	fold := string(e.Attachments["samples.folded"].Data)
	lines := strings.Split(strings.TrimSpace(fold), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], " 12") || !strings.HasSuffix(lines[1], " 3") {
		t.Fatalf("folded samples:\n%s", fold)
	}
	stack := strings.Split(strings.TrimSuffix(lines[0], " 12"), ";")
	if stack[len(stack)-1] != s.Stacks[0].Frames[0].Function || stack[0] != s.Stacks[0].Frames[len(s.Stacks[0].Frames)-1].Function {
		t.Errorf("folded stack not outermost first: %v", stack)
	}
	if len(spoolFiles(t, r.SpoolDir())) != 0 {
		t.Errorf("spool not empty after delivery: %v", spoolFiles(t, r.SpoolDir()))
	}
	st := r.Stats()
	if st.Sent != 1 || st.Spooled != 1 || st.Pending != 0 || !st.Online || !strings.HasPrefix(st.LastTitle, "App Hanging: "+culprit) {
		t.Errorf("stats %+v", st)
	}
}

func TestFrozenFrameWithoutInAppFrames(t *testing.T) {
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN()})
	s := stuckStall(t, atSave, stallSpec{tier: watchdog.TierFrozen, phase: watchdog.PhaseDraw, dur: 900 * time.Millisecond, noApp: true})
	r.StallEnded(s)
	r.Flush(5 * time.Second)
	evs := srv.WaitEvents(t, 1, 5*time.Second)
	e := evs[0]
	if e.Level != "warning" || e.Exception[0].Type != "Frozen Frame" {
		t.Errorf("level %q type %q", e.Level, e.Exception[0].Type)
	}
	if want := []string{"framewatch-stall", "frozen", "Draw", "no in-app frame", "lock"}; !slices.Equal(e.Fingerprint, want) {
		t.Errorf("fingerprint %q, want %q", e.Fingerprint, want)
	}
	for _, f := range e.Exception[0].Stacktrace.Frames {
		if f.InApp == nil || *f.InApp {
			t.Errorf("frame %s.%s in_app = %v, want false", f.Module, f.Function, f.InApp)
		}
	}
}

type assetError struct{ name string }

func (e *assetError) Error() string { return "asset " + e.name + " missing: <nil> & co" }

//go:noinline
func openAsset(names []string, i int) string { return names[i] }

// catchPanic runs f as the adapter would: recover, report, and (here)
// return instead of re-panicking.
func catchPanic(r *report.Reporter, f func()) {
	defer func() {
		if v := recover(); v != nil {
			r.ReportPanic(v, watchdog.PhaseUpdate, debug.Stack())
		}
	}()
	f()
}

func TestPanicEvent(t *testing.T) {
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN()})
	catchPanic(r, func() { openAsset([]string{"a", "b"}, 5) })
	catchPanic(r, func() { panic(&assetError{"atlas.png"}) })
	evs := srv.Events() // ReportPanic waited for delivery
	if len(evs) != 2 {
		t.Fatalf("got %d events, want 2", len(evs))
	}
	for _, e := range evs {
		ex := e.Exception[0]
		if e.Level != "fatal" || ex.Mechanism == nil || ex.Mechanism.Type != "panic" || ex.Mechanism.Handled == nil || *ex.Mechanism.Handled {
			t.Errorf("level %q mechanism %+v", e.Level, ex.Mechanism)
		}
		if e.Tags["phase"] != "Update" {
			t.Errorf("phase tag %q", e.Tags["phase"])
		}
		fr := ex.Stacktrace.Frames
		top := fr[len(fr)-1]
		if strings.HasPrefix(top.Module, "runtime") || top.Function == "panic" {
			t.Errorf("panic machinery left on top of the stack: %+v", top)
		}
		for _, f := range fr {
			if *f.InApp != (f.Module == strings.TrimSuffix(testPkg, ".")) {
				t.Errorf("frame %s.%s in_app=%v", f.Module, f.Function, *f.InApp)
			}
		}
		if len(e.Attachments["stack.txt"].Data) == 0 {
			t.Error("no stack.txt attachment")
		}
	}
	a, b := evs[0].Exception[0], evs[1].Exception[0]
	if a.Type != "runtime.boundsError" || a.Value != "runtime error: index out of range [5] with length 2" {
		t.Errorf("bounds panic: %q %q", a.Type, a.Value)
	}
	if top := a.Stacktrace.Frames[len(a.Stacktrace.Frames)-1]; top.Function != "openAsset" {
		t.Errorf("bounds panic top frame %s.%s, want openAsset", top.Module, top.Function)
	}
	if b.Type != "*report_test.assetError" || b.Value != "asset atlas.png missing: <nil> & co" {
		t.Errorf("error panic: %q %q", b.Type, b.Value)
	}
}

func TestPanicValueThatPanics(t *testing.T) {
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN()})
	var bad *assetError // Error() dereferences nil
	r.ReportPanic(bad, watchdog.PhaseDraw, debug.Stack())
	r.ReportPanic(errors.New("plain"), watchdog.PhaseLayout, nil)
	evs := srv.Events()
	if len(evs) != 2 {
		t.Fatalf("got %d events", len(evs))
	}
	if v := evs[0].Exception[0].Value; !strings.Contains(v, "assetError") {
		t.Errorf("value of a panicking Error method: %q", v)
	}
	if v := evs[1].Exception[0]; v.Type != "*errors.errorString" || v.Value != "plain" || v.Stacktrace != nil {
		t.Errorf("panic without stack: %+v", v)
	}
}

func TestConsoleWithoutDSN(t *testing.T) {
	var out bytes.Buffer
	r := newReporter(t, report.Options{Console: &out})
	s := stuckStall(t, atAssets, stallSpec{tier: watchdog.TierFrozen, dur: 1234 * time.Millisecond})
	r.StallStarted(started(s))
	r.StallEnded(s)
	if !r.Flush(time.Second) {
		t.Error("Flush without DSN must return true")
	}
	text := out.String()
	files := spoolFiles(t, r.SpoolDir())
	if len(files) != 1 || !strings.HasSuffix(files[0], ".report.json") {
		t.Fatalf("spool files %v", files)
	}
	for _, want := range []string{
		"framewatch: Frozen Frame: " + testPkg + "decodeAtlas: Update blocked for at least 1.2 s (lock)\n",
		"Update blocked 1.2 s, class lock, tick 812, 15 samples",
		"    * " + testPkg + "decodeAtlas\n",
		"    * " + testPkg + "loadAllAssets\n",
		"      sync.(*Mutex).Lock\n",
		"helpers_test.go:",
		"spooled: " + files[0] + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("console output lacks %q:\n%s", want, text)
		}
	}
	st := r.Stats()
	if st.Online || st.Spooled != 1 || st.Sent != 0 {
		t.Errorf("stats %+v", st)
	}
}
