//go:build unix

package report_test

import (
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
)

func TestKilledDuringStallSendsOneFatalAppHang(t *testing.T) {
	dir := t.TempDir()
	cmd, line, _ := startChild(t, "kill", dir, "")
	if line != "ready" {
		t.Fatalf("child said %q", line)
	}
	files := spoolFiles(t, dir)
	if len(files) != 1 || !strings.HasSuffix(files[0], ".live.json") {
		t.Fatalf("spool while the child stalls: %v", files)
	}

	// While the child lives, its stall is not anyone else's to send.
	srv := newSentry(t)
	other := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	other.Flush(time.Second)
	other.Close()
	if n := srv.Requests(); n != 0 {
		t.Fatalf("%d requests while the stalled process was alive", n)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// A run without a DSN shows the fatal hang on the console and keeps it.
	var console strings.Builder
	offline := newReporter(t, report.Options{SpoolDir: dir, Console: &console})
	offline.Flush(time.Second)
	offline.Close()
	if !strings.Contains(console.String(), "framewatch: Fatal App Hang: "+testPkg+"decodeAtlas: Update blocked for at least ") {
		t.Errorf("console after the kill:\n%s", console.String())
	}
	if files := spoolFiles(t, dir); len(files) != 1 || !strings.HasSuffix(files[0], ".report.json") {
		t.Fatalf("spool after an offline run: %v", files)
	}

	// A run with a DSN sends it, once.
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	if !r.Flush(5 * time.Second) {
		t.Fatal("Flush timed out")
	}
	time.Sleep(100 * time.Millisecond)
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events after the kill, want exactly 1", len(evs))
	}
	assertFatal(t, evs[0])
	if len(evs[0].Attachments["goroutines.txt"].Data) == 0 {
		t.Error("the fatal hang lost its goroutine dump")
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}
}

func TestSIGTERMDuringStallFlushesThenDiesOfTheSignal(t *testing.T) {
	dir := t.TempDir()
	srv := newSentry(t)
	cmd, line, _ := startChild(t, "signal", dir, srv.DSN())
	if line != "ready" {
		t.Fatalf("child said %q", line)
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	elapsed := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child exited with %v, want death by SIGTERM", err)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("child status %v, want killed by SIGTERM", ws)
	}
	if elapsed > 3*time.Second {
		t.Errorf("exit took %v, want under the 2 s flush bound", elapsed)
	}
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	assertFatal(t, evs[0])
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}
}

func TestTwoProcessesShareASpool(t *testing.T) {
	dir := t.TempDir()
	spoolOffline(t, dir, 16)
	srv := newSentry(t)
	srv.SetRespond(delay(3 * time.Millisecond))
	a, _, goA := startChild(t, "deliver", dir, srv.DSN())
	b, _, goB := startChild(t, "deliver", dir, srv.DSN())
	io.WriteString(goA, "go\n")
	io.WriteString(goB, "go\n")
	a.Wait()
	b.Wait()
	evs := srv.Events()
	for id, n := range countByID(evs) {
		if n != 1 {
			t.Errorf("event %s sent %d times", id, n)
		}
	}
	if len(evs) != 16 {
		t.Errorf("%d events, want 16", len(evs))
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}
}
