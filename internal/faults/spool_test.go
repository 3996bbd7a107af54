package faults_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/framewatch/framewatch/internal/sentrytest"
)

// waitLedger waits until the ledger lists n ended stalls.
func (s *scene) waitLedger(n int, timeout time.Duration) map[string]bool {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, ended := s.ledgerKeys()
		if len(ended) >= n {
			return ended
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d stalls ended within %v, want %d", len(ended), timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOneBadReport has one report fail at the network level every time it
// is sent: the reports after it still arrive.
func TestOneBadReport(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	var mu sync.Mutex
	bad := ""
	s.srv.SetRespond(func(w http.ResponseWriter, n int, env *sentrytest.Envelope) bool {
		if len(env.Events) == 0 {
			return false
		}
		key := env.Events[0].Tags["fault.stall"]
		mu.Lock()
		if bad == "" {
			bad = key
		}
		poisoned := key == bad
		mu.Unlock()
		if !poisoned {
			return false
		}
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return true
	})
	s.loop(5)
	mu.Lock()
	defer mu.Unlock()
	s.audit("one-bad-report", 20*time.Second, bad)
}

// TestSpoolDeleted deletes the spool directory while the game runs, as a
// player clearing caches would: later reports still arrive.
func TestSpoolDeleted(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	p := s.start("loop", stallsEnv+"=5")
	s.waitLedger(2, 30*time.Second)
	// What the spool held at this moment is gone with it.
	started, _ := s.ledgerKeys()
	gone := []string{}
	got := map[string]bool{}
	for _, ev := range s.srv.Events() {
		got[ev.Tags["fault.stall"]] = true
	}
	for key := range started {
		if !got[key] {
			gone = append(gone, key)
		}
	}
	if err := os.RemoveAll(s.spool); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(60 * time.Second); err != nil {
		t.Fatalf("loop child: %v\n%s", err, p.out)
	}
	c := s.audit("spool-deleted", 20*time.Second, gone...)
	if c.Produced < 3 {
		t.Errorf("only %d stalls after the spool was deleted were checked", c.Produced)
	}
}

// TestHugeSpoolFile plants a 1 GiB file among the reports: the reporter
// does not read it whole, and the real report beside it is sent.
func TestHugeSpoolFile(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	s.loop(1, dsnEnv+"=") // no DSN: the report stays in the spool
	huge := filepath.Join(s.spool, "00000000000000000001-1-1aaaaaa.report.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"format":1,"event":"`)
	f.Truncate(1 << 30) // sparse: no disk used
	f.Close()
	p := s.start("deliver")
	if err := p.wait(120 * time.Second); err != nil {
		t.Fatalf("deliver child: %v\n%s", err, p.out)
	}
	s.audit("huge-spool-file", 10*time.Second)
	rss := p.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	t.Logf("the delivering process peaked at %d MiB resident", rss>>20)
	if rss > 256<<20 {
		t.Errorf("the delivering process peaked at %d MiB resident with a 1 GiB file in the spool, want under 256 MiB", rss>>20)
	}
	if _, err := os.Stat(huge); err == nil {
		t.Errorf("the 1 GiB file is still in the delivery queue")
	}
}

// tmpfs mounts a small tmpfs on dir for the test, or skips when that is
// not allowed (not root).
func tmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

func remount(t *testing.T, dir, mode string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v %s", dir, mode, err, out)
	}
}

// disturbedLoop runs the loop child for six stalls, calling disturb after
// the first has ended and restore after the fourth, then delivers what the
// spool holds.
func (s *scene) disturbedLoop(disturb, restore func()) {
	s.t.Helper()
	p := s.start("loop", stallsEnv+"=6")
	s.waitLedger(1, 30*time.Second)
	disturb()
	s.waitLedger(4, 30*time.Second)
	restore()
	if err := p.wait(60 * time.Second); err != nil {
		s.t.Fatalf("loop child: %v\n%s", err, p.out)
	}
	s.deliver()
}

// TestReadOnlySpool makes the spool read-only while the game stalls: no
// report is lost, none is false, and the game goes on.
func TestReadOnlySpool(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	tmpfs(t, s.spool, "16m")
	s.disturbedLoop(func() { remount(t, s.spool, "ro") }, func() { remount(t, s.spool, "rw") })
	s.audit("read-only-spool", 20*time.Second)
}

// TestFullDisk fills the spool's file system while the game stalls: no
// report is lost, none is false, and the game goes on.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	tmpfs(t, s.spool, "1m")
	filler := filepath.Join(s.spool, ".filler")
	s.disturbedLoop(func() {
		err := os.WriteFile(filler, make([]byte, 1<<20), 0o600)
		if err != nil && !strings.Contains(err.Error(), "no space") {
			t.Fatal(err)
		}
	}, func() { os.Remove(filler) })
	s.audit("full-disk", 20*time.Second)
}
