//go:build unix

package ebitenwatch_test

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/internal/ebitentest"
	"github.com/hajimehoshi/ebiten/v2"
)

func init() {
	children["flush-on-signal"] = runFlushOnSignal
	children["panic-unsent"] = runPanicUnsent
}

// runPanicUnsent panics in Update while Sentry does not answer, so that
// reporting the panic waits the whole Report.FlushTimeout.
func runPanicUnsent() int {
	o := childOptions()
	o.Report.DSN = os.Getenv("FRAMEWATCH_TEST_DSN")
	w, err := ebitenwatch.New(o)
	if err != nil {
		return 1
	}
	ebiten.SetWindowSize(320, 240)
	ebiten.RunGame(w.Wrap(&blockingGame{phase: "panic"}))
	return 0
}

// While a panic is reported, the watchdog does not take the wait for
// Sentry for a stall: the crashed game leaves only its panic report, no
// stall in progress that the next run would send as a Fatal App Hang.
func TestPanicReportIsNotAStall(t *testing.T) {
	hole, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	spool := t.TempDir()
	cmd := ebitentest.Command(t, "panic-unsent", "FRAMEWATCH_TEST_SPOOL="+spool,
		"FRAMEWATCH_TEST_DSN=http://public@"+hole.Addr().String()+"/0")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "boom in Update") {
		t.Fatalf("the child did not panic:\n%s", out)
	}
	live, _ := filepath.Glob(filepath.Join(spool, "*.live.json"))
	reports, _ := filepath.Glob(filepath.Join(spool, "*.report.json"))
	if len(live) != 0 || len(reports) != 1 {
		t.Errorf("spool: live %v, reports %v; want only the panic's report\n%s", live, reports, out)
	}
}

// frozenGame freezes for good in its tenth Update.
type frozenGame struct{ ticks int }

func (g *frozenGame) Update() error {
	if g.ticks++; g.ticks == 10 {
		freezeForGood()
	}
	return nil
}

func (g *frozenGame) Draw(*ebiten.Image)         {}
func (g *frozenGame) Layout(int, int) (int, int) { return 320, 240 }

func freezeForGood() { select {} }

// runFlushOnSignal runs a game with New and Wrap, not RunGame, and
// Watcher.FlushOnSignal.
func runFlushOnSignal() int {
	w, err := ebitenwatch.New(childOptions())
	if err != nil {
		return 1
	}
	defer w.FlushOnSignal()()
	ebiten.SetWindowSize(320, 240)
	ebiten.RunGame(w.Wrap(&frozenGame{}))
	return 0
}

// A game run with New and Wrap gets the SIGTERM flush from
// Watcher.FlushOnSignal: the stall in progress is spooled as a Fatal App
// Hang, and the process dies of the signal.
func TestWatcherFlushOnSignal(t *testing.T) {
	spool := t.TempDir()
	cmd := ebitentest.Command(t, "flush-on-signal", "FRAMEWATCH_TEST_SPOOL="+spool)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m, _ := filepath.Glob(filepath.Join(spool, "*.live.json")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no stall in progress was spooled:\n%s", out.String())
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Errorf("child ended with %v, want death by SIGTERM", err)
	}
	m, _ := filepath.Glob(filepath.Join(spool, "*.report.json"))
	if len(m) != 1 {
		t.Fatalf("spool reports %v, want 1\n%s", m, out.String())
	}
	data, _ := os.ReadFile(m[0])
	if !strings.Contains(string(data), `"tier":"fatal"`) || !strings.Contains(out.String(), "Fatal App Hang: github.com/framewatch/framewatch/ebitenwatch_test.freezeForGood") {
		t.Errorf("not a Fatal App Hang in freezeForGood:\n%s", out.String())
	}
}
