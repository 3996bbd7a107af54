package faults_test

import (
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
)

// TestPanicWhileOffline has a game panic while Sentry cannot be reached:
// the panic is sent by the next start, once, and no Fatal App Hang comes
// with it (the wait for delivery is not a stall).
func TestPanicWhileOffline(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := s.start("panic", dsnEnv+"=http://public@"+addr+"/0")
	if err := p.wait(60 * time.Second); err == nil || !strings.Contains(p.out.String(), "boom while offline") {
		t.Fatalf("the game did not die of its panic: %v\n%s", err, p.out)
	}
	s.deliver()
	time.Sleep(200 * time.Millisecond)
	var panics, fatal int
	for _, ev := range s.srv.Events() {
		switch {
		case len(ev.Exception) > 0 && ev.Exception[0].Value == "boom while offline":
			panics++
		case len(ev.Exception) > 0 && ev.Exception[0].Type == report.TypeFatalAppHang:
			fatal++
		}
	}
	t.Logf("faults: %-22s panics=%d false=%d", "panic-offline", panics, fatal)
	if panics != 1 || fatal != 0 || len(s.srv.Events()) != 1 {
		t.Errorf("the server got %d events: %d panics (want 1) and %d Fatal App Hangs (want 0)", len(s.srv.Events()), panics, fatal)
	}
}

// TestIgnoredInterrupt starts the game with SIGINT ignored, as nohup-like
// launchers do, and sends SIGINT during a stall: the game goes on as it
// would have, and no stall is reported as fatal.
func TestIgnoredInterrupt(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	p := s.startIgnoringInterrupt("loop", stallsEnv+"=4", signalEnv+"=1")
	started, _ := s.ledgerKeys()
	for len(started) < 2 { // SIGINT while the second stall lasts
		time.Sleep(10 * time.Millisecond)
		started, _ = s.ledgerKeys()
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	if err := p.wait(60 * time.Second); err != nil {
		t.Fatalf("the game did not go on to its clean exit: %v\n%s", err, p.out)
	}
	s.audit("ignored-sigint", 20*time.Second)
}

// startIgnoringInterrupt is start for a child whose SIGINT is ignored from
// its start, as a shell's trap "" INT leaves it.
func (s *scene) startIgnoringInterrupt(name string, env ...string) *proc {
	s.t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		s.t.Skip("no sh to start a child with SIGINT ignored")
	}
	return s.startWith(func(cmd *exec.Cmd) {
		cmd.Args = append([]string{sh, "-c", `trap "" INT; exec "$0" "$@"`, cmd.Path}, cmd.Args[1:]...)
		cmd.Path = sh
	}, name, env...)
}
