//go:build linux

package guardian_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/framewatch/framewatch/internal/sentrytest"
)

// child is a running child game.
type child struct {
	cmd      *exec.Cmd
	guardian int // the guardian's process ID
	stderr   *os.File
}

// startChild starts the test binary as a game doing mode and waits until
// its guardian runs and it begins its act.
func startChild(t *testing.T, mode, spool, dsn string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, spoolEnv+"="+spool, dsnEnv+"="+dsn)
	// A file, not a pipe: the guardian shares the child's standard error,
	// and Wait must return when the child ends, not when the guardian does.
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: stderr}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(c.stderr.Name())
			t.Logf("child stderr:\n%s", b)
		}
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "guardian %d", &c.guardian); err == nil {
			continue
		}
		if sc.Text() == "go" {
			go func() {
				for sc.Scan() {
				}
			}()
			return c
		}
	}
	cmd.Wait()
	t.Fatal("child ended before its act")
	return nil
}

// waitGone waits until process pid has exited (or is a zombie) and returns
// how long that took, failing after limit.
func waitGone(t *testing.T, pid int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d still runs after %v", pid, limit)
	return 0
}

// Killed with kill -9 in a 10 s stall, the game's Fatal App Hang arrives
// within 5 s of the kill, once: a restart sends nothing more.
func TestKillDuringStallDeliversFatalHang(t *testing.T) {
	srv := sentrytest.New(t)
	spool := t.TempDir()
	c := startChild(t, "stall", spool, srv.DSN())
	time.Sleep(1500 * time.Millisecond) // well into the stall, before the 5 s Hang threshold
	c.cmd.Process.Signal(syscall.SIGKILL)
	killed := time.Now()
	c.cmd.Wait()
	evs := srv.WaitEvents(t, 1, 5*time.Second)
	t.Logf("Fatal App Hang received %v after the kill", evs[0].Received.Sub(killed).Round(time.Millisecond))
	if d := evs[0].Received.Sub(killed); d > 5*time.Second {
		t.Errorf("received %v after the kill, want within 5 s", d)
	}
	waitGone(t, c.guardian, 5*time.Second)
	ex := evs[0].Exception[0]
	if ex.Type != "Fatal App Hang" || evs[0].Level != "fatal" || !strings.Contains(ex.Value, "stuckInUpdate") {
		t.Errorf("got %q level %q", evs[0].Title(), evs[0].Level)
	}
	// A restart closes cleanly; it must not send the hang again.
	startChild(t, "exit", spool, srv.DSN()).cmd.Wait()
	time.Sleep(500 * time.Millisecond)
	if evs := srv.Events(); len(evs) != 1 {
		for _, e := range evs {
			t.Logf("event %s: %s", e.EventID, e.Title())
		}
		t.Errorf("%d events, want 1", len(evs))
	}
}

// A crash no goroutine can recover, and a panic on a goroutine nobody
// watches, each arrive as one crash event with the crashing goroutine's
// stack as the exception's, and every goroutine as a thread.
func TestCrashOutputIsReported(t *testing.T) {
	for _, tc := range []struct{ mode, typ, value, frame string }{
		{"mapcrash", "fatal error", "concurrent map writes, or a map read, iterated or cloned during a write", "concurrentMapWrites"},
		{"gopanic", "panic", "background work failed: 42", "backgroundWork"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			srv := sentrytest.New(t)
			c := startChild(t, tc.mode, t.TempDir(), srv.DSN())
			err := c.cmd.Wait()
			died := time.Now()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Errorf("child ended with %v, want exit status 2 from the runtime", err)
			}
			evs := srv.WaitEvents(t, 1, 5*time.Second)
			waitGone(t, c.guardian, 5*time.Second)
			time.Sleep(300 * time.Millisecond)
			if evs = srv.Events(); len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			e := evs[0]
			t.Logf("%s received %v after the death", e.Title(), e.Received.Sub(died).Round(time.Millisecond))
			ex := e.Exception[0]
			if ex.Type != tc.typ || ex.Value != tc.value || e.Level != "fatal" || ex.Mechanism == nil || ex.Mechanism.Type != "panic" || ex.Mechanism.Handled == nil || *ex.Mechanism.Handled {
				t.Errorf("got %q level %q mechanism %+v", e.Title(), e.Level, ex.Mechanism)
			}
			if ex.Stacktrace == nil || len(ex.Stacktrace.Frames) == 0 {
				t.Fatal("no stack")
			}
			top := ex.Stacktrace.Frames[len(ex.Stacktrace.Frames)-1]
			if !strings.HasSuffix(top.Function, tc.frame) && !strings.Contains(top.Function, tc.frame+".") {
				t.Errorf("innermost frame %s, want %s", top.Function, tc.frame)
			}
			if top.InApp == nil || !*top.InApp {
				t.Errorf("innermost frame %s not in-app", top.Function)
			}
			crashed := 0
			for _, th := range e.Threads {
				if th.Crashed {
					crashed++
					if fmt.Sprint(ex.ThreadID) != th.ID {
						t.Errorf("crashed thread %s, exception's thread %d", th.ID, ex.ThreadID)
					}
				}
			}
			if crashed != 1 || len(e.Threads) < 2 {
				t.Errorf("%d threads, %d crashed; want the others too and one crashed", len(e.Threads), crashed)
			}
			if len(e.Attachments["crash.txt"].Data) == 0 {
				t.Error("no crash.txt attachment")
			}
		})
	}
}

// After a clean exit the guardian is gone within a few seconds and the
// game's exit status is its own.
func TestGuardianEndsWithTheGame(t *testing.T) {
	srv := sentrytest.New(t)
	c := startChild(t, "exit", t.TempDir(), srv.DSN())
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("child ended with %v, want exit status 3", err)
	}
	t.Logf("guardian gone %v after the game", waitGone(t, c.guardian, 3*time.Second).Round(time.Millisecond))
	if n := srv.Requests(); n != 0 {
		t.Errorf("%d requests to Sentry after a clean exit", n)
	}
}

// SIGSTOP of the whole game stops its loop and every goroutine, the
// watchdog's too, as a wedged runtime or a thrashing machine would: the
// guardian, reading both beats from outside, reports a process hang with
// what /proc shows once neither moved for ProcessHang (2 s here). A
// shorter stop, as from a debugger's break or job control, is no hang.
func TestStoppedProcessIsReportedByTheGuardian(t *testing.T) {
	srv := sentrytest.New(t)
	c := startChild(t, "loop", t.TempDir(), srv.DSN())
	time.Sleep(500 * time.Millisecond)
	c.cmd.Process.Signal(syscall.SIGSTOP)
	time.Sleep(time.Second)
	c.cmd.Process.Signal(syscall.SIGCONT)
	time.Sleep(3 * time.Second)
	if n := srv.Requests(); n != 0 {
		for _, e := range srv.Events() {
			t.Logf("event: %s", e.Title())
		}
		t.Fatalf("%d requests after a 1 s stop, want none", n)
	}

	c.cmd.Process.Signal(syscall.SIGSTOP)
	stopped := time.Now()
	evs := srv.WaitEvents(t, 1, 10*time.Second)
	c.cmd.Process.Signal(syscall.SIGCONT)
	e := evs[0]
	t.Logf("%s: received %v after the stop", e.Title(), e.Received.Sub(stopped).Round(time.Millisecond))
	ex := e.Exception[0]
	p := e.Contexts["process"]
	if ex.Type != "App Hanging" || ex.Mechanism == nil || ex.Mechanism.Data["detector"] != "guardian" || p["state"] != "T" {
		t.Errorf("got %q mechanism %+v process %v", e.Title(), ex.Mechanism, p)
	}
	if rss, _ := p["rss_bytes"].(float64); rss <= 0 {
		t.Errorf("process context %v has no resident memory", p)
	}
	if ms, _ := p["runtime_stuck_ms"].(float64); ms < 2000 {
		t.Errorf("runtime stuck %v ms, want at least the 2 s threshold", ms)
	}
	time.Sleep(time.Second)
	if n := len(srv.Events()); n != 1 {
		t.Errorf("%d events for one stop, want 1", n)
	}
}
