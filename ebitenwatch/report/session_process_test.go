//go:build unix

package report_test

import (
	"io"
	"os/exec"
	"syscall"
	"testing"

	"github.com/framewatch/framewatch/internal/sentrytest"
)

// killChildSession runs a child in mode with a session, waits until the
// server has its init update, and kills it with SIGKILL.
func killChildSession(t *testing.T, mode, dir string, srv *sentrytest.Server) *sentrytest.Session {
	t.Helper()
	cmd, line, _ := startChildWith(t, mode, dir, srv.DSN(), []string{sessionEnv + "=" + testRelease}, false)
	if line != "ready" {
		t.Fatalf("child said %q", line)
	}
	init := waitSessions(t, srv, 1)[0]
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	return init
}

func TestKilledDuringStallIsAbnormalANROnce(t *testing.T) {
	srv := sentrytest.New(t)
	dir := t.TempDir()
	init := killChildSession(t, "kill", dir, srv)

	// The next start (or the guardian, which opens a Reporter on the
	// spool the same way) sends the Fatal App Hang with the session's end.
	if _, drained := deliverSpool(t, srv, dir); !drained {
		t.Fatal("Flush timed out")
	}
	ss, _ := deliverSpool(t, srv, dir) // and nothing more from a run after
	if len(ss) != 2 {
		t.Fatalf("%d session updates, want init and abnormal", len(ss))
	}
	end := ss[1]
	if end.SID != init.SID || end.Status != "abnormal" || end.AbnormalMechanism != "anr_foreground" || end.Errors != 1 {
		t.Errorf("closing update: %s", end.Raw)
	}
	evs := srv.Events()
	if len(evs) != 1 || evs[0].Exception[0].Type != "Fatal App Hang" || end.EventID != evs[0].EventID {
		t.Errorf("the abnormal update did not travel with the one Fatal App Hang (%d events, update's event %q)", len(evs), end.EventID)
	}
}

func TestKilledOtherwiseIsAbnormalOnceWhenTwoProcessesRace(t *testing.T) {
	srv := sentrytest.New(t)
	dir := t.TempDir()
	init := killChildSession(t, "idle", dir, srv)

	// Two processes open the spool at once; one of them closes the session.
	var stdins []io.WriteCloser
	var cmds []*exec.Cmd
	for range 2 {
		cmd, line, stdin := startChild(t, "deliver", dir, srv.DSN())
		if line != "ready" {
			t.Fatalf("deliverer said %q", line)
		}
		cmds, stdins = append(cmds, cmd), append(stdins, stdin)
	}
	for _, in := range stdins {
		io.WriteString(in, "go\n")
	}
	for _, cmd := range cmds {
		cmd.Wait()
	}
	ss := srv.Sessions()
	checkSessionSchema(t, ss)
	if len(ss) != 2 {
		t.Fatalf("%d session updates, want init and abnormal once", len(ss))
	}
	if end := ss[1]; end.SID != init.SID || end.Status != "abnormal" || end.AbnormalMechanism != "" || end.EventID != "" {
		t.Errorf("closing update: %s", end.Raw)
	}
}
