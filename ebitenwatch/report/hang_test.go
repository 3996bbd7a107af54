//go:build unix

package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

// waitLiveCulprit waits until the spool's live record blames fn: the
// record was refreshed after the stall moved there. It reads both spool
// formats' culprit field.
func waitLiveCulprit(t *testing.T, dir, fn string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		m, _ := filepath.Glob(filepath.Join(dir, "*.live.json"))
		for _, f := range m {
			var rec struct {
				Stall struct{ Culprit json.RawMessage }
			}
			data, _ := os.ReadFile(f)
			if json.Unmarshal(data, &rec) == nil && bytes.Contains(rec.Stall.Culprit, []byte(testPkg+fn+`"`)) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no live record in %s blames %s", dir, fn)
}

// assertConsistentFatal checks that a Fatal App Hang names fn and that its
// fields agree: tier, duration and contexts.
func assertConsistentFatal(t *testing.T, e *sentrytest.Event, fn string) {
	t.Helper()
	ex := e.Exception[0]
	if ex.Type != "Fatal App Hang" || e.Level != "fatal" {
		t.Errorf("type %q level %q, want a Fatal App Hang", ex.Type, e.Level)
	}
	if !strings.HasPrefix(ex.Value, testPkg+fn+": Update blocked for at least ") {
		t.Errorf("value %q does not name %s", ex.Value, fn)
	}
	if len(e.Fingerprint) < 4 || e.Fingerprint[1] != "fatal" || e.Fingerprint[3] != testPkg+fn {
		t.Errorf("fingerprint %q", e.Fingerprint)
	}
	if ex.Mechanism == nil || ex.Mechanism.Data["tier"] != "fatal" || e.Tags["stall.tier"] != "fatal" || e.Contexts["stall"]["tier"] != "fatal" {
		t.Errorf("tier: mechanism %+v, tag %q, context %v", ex.Mechanism, e.Tags["stall.tier"], e.Contexts["stall"]["tier"])
	}
	dur, _ := e.Contexts["frame"]["duration_ms"].(float64)
	if wall := e.Contexts["stall"]["wall_ms"]; wall != dur || dur < 800 {
		t.Errorf("contexts.stall.wall_ms %v, contexts.frame.duration_ms %v: want equal, past the move", wall, dur)
	}
	if want := fmt.Sprintf("at least %s s", strconv.FormatFloat(dur/1000, 'f', 1, 64)); !strings.Contains(ex.Value, want) {
		t.Errorf("value %q disagrees with duration_ms %v", ex.Value, dur)
	}
	if _, ok := e.Contexts["framewatch"]; !ok {
		t.Error("no framewatch context")
	}
}

// A real watchdog sees a game freeze computing in crunchPhysics, then wait
// in waitForServer, where it is killed (kill -9), or stopped by SIGTERM
// with FlushOnSignal: the Fatal App Hang names waitForServer, and its
// fields agree.
func TestStallIsReportedWhereItDied(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			srv := newSentry(t)
			mode, dsn := "watch-signal", srv.DSN()
			if sig == syscall.SIGKILL {
				mode, dsn = "watch", ""
			}
			cmd, _, _ := startChild(t, mode, dir, dsn)
			waitLiveCulprit(t, dir, "crunchPhysics")
			waitLiveCulprit(t, dir, "waitForServer")
			cmd.Process.Signal(sig)
			cmd.Wait()
			if sig == syscall.SIGKILL {
				checkFatalConsole(t, dir)
				r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
				r.Flush(5 * time.Second)
			}
			evs := srv.Events()
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			assertConsistentFatal(t, evs[0], "waitForServer")
		})
	}
}

// checkFatalConsole checks that an offline run prints the fatal hang in
// dir with the same duration in its block as in its title.
func checkFatalConsole(t *testing.T, dir string) {
	t.Helper()
	var console strings.Builder
	offline := newReporter(t, report.Options{SpoolDir: dir, Console: &console})
	offline.Close()
	text := console.String()
	title := strings.SplitN(strings.TrimPrefix(text, "framewatch: "), "\n", 2)[0]
	i := strings.Index(title, "at least ")
	if i < 0 || !strings.Contains(title, "waitForServer") {
		t.Fatalf("console:\n%s", text)
	}
	dur := strings.TrimSuffix(title[i+len("at least "):], " (channel)")
	if !strings.Contains(text, "Update blocked at least "+dur+",") {
		t.Errorf("console block's duration is not the title's %q:\n%s", dur, text)
	}
}

// A hang is sent while the game is still stuck, and a later kill sends
// one more event: a Fatal App Hang with its own event ID naming the App
// Hanging's, sent once.
func TestHangIsSentWhileStuck(t *testing.T) {
	dir := t.TempDir()
	srv := newSentry(t)
	cmd, _, _ := startChildWith(t, "watch", dir, srv.DSN(), []string{hangEnv + "=800ms"}, false)
	start := time.Now()
	evs := srv.WaitEvents(t, 1, 20*time.Second)
	t.Logf("App Hanging received %v after the stall began (threshold 0.8 s)", time.Since(start).Round(time.Millisecond))
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the child is gone: %v", err)
	}
	e := evs[0]
	ex := e.Exception[0]
	if ex.Type != "App Hanging" || e.Level != "error" || ex.Mechanism == nil || ex.Mechanism.Data["tier"] != "hang" || e.Contexts["stall"]["ended"] != false {
		t.Errorf("type %q level %q mechanism %+v stall %v", ex.Type, e.Level, ex.Mechanism, e.Contexts["stall"])
	}
	if !strings.Contains(ex.Value, "crunchPhysics") && !strings.Contains(ex.Value, "waitForServer") {
		t.Errorf("value %q, want the stall's place", ex.Value)
	}
	time.Sleep(1500 * time.Millisecond) // the live record grows past the App Hanging's duration
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for range 2 { // the second run sends nothing more
		r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
		r.Flush(5 * time.Second)
		r.Close()
	}
	// A kill between the server's answer and the file's removal sends the
	// report again, with its event ID, which Sentry drops as a duplicate.
	hangID := evs[0].EventID
	fatal := map[string]bool{}
	for _, e := range srv.Events() {
		switch ex := e.Exception[0]; {
		case e.EventID == hangID && ex.Type == "App Hanging":
		case ex.Type == "Fatal App Hang" && e.Level == "fatal" && e.Contexts["stall"]["hang_event_id"] == hangID:
			fatal[e.EventID] = true
			if d, first := e.Contexts["frame"]["duration_ms"].(float64), evs[0].Contexts["frame"]["duration_ms"].(float64); d <= first {
				t.Errorf("fatal hang lasted %v ms, no longer than the App Hanging's %v ms", d, first)
			}
		default:
			t.Errorf("after the kill: event %s: %s, stall %v", e.EventID, e.Title(), e.Contexts["stall"])
		}
	}
	if len(fatal) != 1 {
		t.Errorf("%d Fatal App Hang events naming the App Hanging, want 1", len(fatal))
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}
}

// A phase panics while Sentry is unreachable: the panic is reported on the
// next run, and nothing else (no fatal hang made of the wait for Sentry).
func TestPanicWhileOfflineAddsNoFatalHang(t *testing.T) {
	dir := t.TempDir()
	cmd, _, _ := startChildWith(t, "panic", dir, "http://public@127.0.0.1:1/0", nil, false)
	start := time.Now()
	err := cmd.Wait()
	t.Logf("the child crashed %v after its panic: %v", time.Since(start).Round(time.Millisecond), err)
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	r.Flush(5 * time.Second)
	evs := srv.Events()
	for _, e := range evs {
		t.Logf("event: %s", e.Title())
	}
	if len(evs) != 1 || evs[0].Exception[0].Type != "runtime.boundsError" {
		t.Errorf("%d events, want only the panic", len(evs))
	}
}

// SIGINT ignored by the launcher stays ignored; a second signal during the
// flush exits at once.
func TestFlushOnSignalIgnoredAndRepeated(t *testing.T) {
	srv := newSentry(t)
	dir := t.TempDir()
	cmd, _, _ := startChildWith(t, "signal", dir, srv.DSN(), nil, true)
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("an ignored SIGINT ended the child: %v", err)
	}
	if evs := srv.Events(); len(evs) != 0 {
		t.Errorf("an ignored SIGINT sent %d events", len(evs))
	}

	hole := newSentry(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server's Close
	hole.SetRespond(func(http.ResponseWriter, int, *sentrytest.Envelope) bool { <-release; return true })
	cmd, _, _ = startChildWith(t, "signal", t.TempDir(), hole.DSN(), []string{flushEnv + "=30s"}, false)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Errorf("child exited with %v, want death by SIGINT", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("two Ctrl+C took %v to exit, with a 30 s FlushTimeout", d)
	}
}
