package report_test

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

const testPkg = "github.com/framewatch/framewatch/ebitenwatch/report_test."

// inApp marks this test package as the game's own code.
var inApp = watchdog.NewInAppRule(testPkg)

// The places the test game freezes: each blocks on a mutex two in-app
// calls deep, like a loader waiting on a cache lock.
type place struct {
	inner string // innermost in-app function
	run   func(mu *sync.Mutex, started chan<- struct{})
}

var (
	atAssets = place{"decodeAtlas", loadAllAssets}
	atSave   = place{"writeSlot", saveGame}
)

//go:noinline
func loadAllAssets(mu *sync.Mutex, started chan<- struct{}) { decodeAtlas(mu, started) }

//go:noinline
func decodeAtlas(mu *sync.Mutex, started chan<- struct{}) {
	started <- struct{}{}
	mu.Lock()
	mu.Unlock()
}

//go:noinline
func saveGame(mu *sync.Mutex, started chan<- struct{}) { writeSlot(mu, started) }

//go:noinline
func writeSlot(mu *sync.Mutex, started chan<- struct{}) {
	started <- struct{}{}
	mu.Lock()
	mu.Unlock()
}

type stallSpec struct {
	phase watchdog.Phase
	tier  watchdog.Tier
	dur   time.Duration
	trace []byte
	noApp bool // clear every InApp flag, as for a stall in library code only
}

var stallIDs atomic.Uint64

func allStacks() []byte {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// tb is the part of testing.TB stuckStall needs, so that a child process
// (which has no *testing.T) can build stalls too.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// stuckStall blocks a goroutine at p for real, takes an all-goroutine dump
// while it waits on the lock, and builds the Stall the watchdog would: the
// stuck goroutine's stack as the culprit, the dump parsed with inApp. The
// goroutine is released when the test ends.
func stuckStall(t tb, p place, spec stallSpec) *watchdog.Stall {
	t.Helper()
	var mu sync.Mutex
	mu.Lock()
	started := make(chan struct{})
	go p.run(&mu, started)
	<-started
	t.Cleanup(mu.Unlock)

	var dump []byte
	var gs []watchdog.Goroutine
	var stuck *watchdog.Goroutine
	deadline := time.Now().Add(5 * time.Second)
	for stuck == nil {
		if time.Now().After(deadline) {
			t.Fatalf("goroutine at %s never blocked on its lock", p.inner)
		}
		time.Sleep(time.Millisecond)
		dump = allStacks()
		gs, _ = watchdog.ParseDump(dump, inApp)
		for i := range gs {
			g := &gs[i]
			if !strings.Contains(g.State, "Mutex") {
				continue
			}
			for _, f := range g.Frames {
				if f.Function == testPkg+p.inner {
					stuck = g
				}
			}
		}
	}
	if spec.noApp {
		for i := range gs {
			for j := range gs[i].Frames {
				gs[i].Frames[j].InApp = false
			}
		}
	}
	if spec.phase == 0 {
		spec.phase = watchdog.PhaseUpdate
	}
	if spec.tier == 0 {
		spec.tier = watchdog.TierHang
	}
	if spec.dur == 0 {
		spec.dur = 2400 * time.Millisecond
	}
	culprit := stuck.Frames[0]
	for _, f := range stuck.Frames {
		if f.InApp {
			culprit = f
			break
		}
	}
	return &watchdog.Stall{
		ID:        stallIDs.Add(1),
		Phase:     spec.phase,
		Tick:      812,
		Start:     time.Now().Add(-spec.dur),
		Duration:  spec.dur,
		Tier:      spec.tier,
		Class:     watchdog.ClassLock,
		Ended:     true,
		Goroutine: stuck.ID,
		Stacks: []watchdog.Stack{
			{Frames: stuck.Frames, Count: 12, State: stuck.State},
			{Frames: stuck.Frames[1:], Count: 3, State: "runnable"},
		},
		Samples:        15,
		DroppedSamples: 1,
		Culprit:        culprit,
		Dump:           dump,
		Goroutines:     gs,
		Runtime: watchdog.Runtime{
			Goroutines: len(gs), HeapInUse: 8 << 20, GCCycles: 2, GCPause: 3 * time.Millisecond,
			GCCPU: 5 * time.Millisecond, MajorFaults: 1, CPU: 120 * time.Millisecond, Wall: spec.dur,
		},
		RecentFrames: []time.Duration{16 * time.Millisecond, 17 * time.Millisecond, 16 * time.Millisecond},
		Trace:        spec.trace,
		Tags:         map[string]string{"task": "load-atlas"},
	}
}

// started returns a copy of s as the watchdog passes it to StallStarted.
func started(s *watchdog.Stall) *watchdog.Stall {
	c := *s
	c.Ended = false
	c.Duration = 1200 * time.Millisecond
	c.Tier = watchdog.TierFrozen
	c.Stacks = []watchdog.Stack{c.Stacks[0]}
	c.Stacks[0].Count = 1
	c.Samples = 1
	return &c
}

// ---- A Sentry server ----

// newSentry starts a test Sentry for a reporter; see wellFormed.
func newSentry(t testing.TB) *sentrytest.Server { return wellFormed(t, sentrytest.New(t)) }

// wellFormed holds srv to what a reporter sends to a loopback DSN: events
// in the documented {"values": [...]} form (see normalizeEnvelope), and no
// malformed request, which fails the test at its end.
func wellFormed(t testing.TB, srv *sentrytest.Server) *sentrytest.Server {
	srv.RequireValuesForm()
	t.Cleanup(func() {
		if errs := srv.Errors(); len(errs) > 0 {
			t.Errorf("server saw bad requests: %v", errs)
		}
	})
	return srv
}

// delay answers each request d late, so that senders overlap.
func delay(d time.Duration) sentrytest.Responder {
	return func(http.ResponseWriter, int, *sentrytest.Envelope) bool {
		time.Sleep(d)
		return false
	}
}

// ---- Reporter helpers ----

// testLogger logs the reporter's messages into the test's log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(&slogWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type slogWriter struct{ t testing.TB }

func (w *slogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func newReporter(t testing.TB, o report.Options) *report.Reporter {
	t.Helper()
	if o.SpoolDir == "" {
		o.SpoolDir = t.TempDir()
	}
	if o.Console == nil {
		o.Console = io.Discard
	}
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	if o.RetryBackoff == 0 {
		o.RetryBackoff = 20 * time.Millisecond
	}
	o.InApp = inApp
	r, err := report.New(o)
	if err != nil {
		t.Fatalf("report.New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// spoolFiles lists the report and in-progress files left in dir.
func spoolFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.report.json", "*.live.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

func dirFiles(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range des {
		out = append(out, d.Name())
	}
	return out
}

func countByID(evs []*sentrytest.Event) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		m[e.EventID]++
	}
	return m
}
