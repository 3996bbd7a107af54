package report_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
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

// ---- A Sentry server that decodes envelopes ----

type wireFrame struct {
	Function string `json:"function"`
	Module   string `json:"module"`
	Filename string `json:"filename"`
	AbsPath  string `json:"abs_path"`
	Lineno   int    `json:"lineno"`
	InApp    *bool  `json:"in_app"`
}

type wireStack struct {
	Frames []wireFrame `json:"frames"`
}

type wireException struct {
	Type       string     `json:"type"`
	Value      string     `json:"value"`
	ThreadID   uint64     `json:"thread_id"`
	Stacktrace *wireStack `json:"stacktrace"`
	Mechanism  *struct {
		Type    string         `json:"type"`
		Handled *bool          `json:"handled"`
		Data    map[string]any `json:"data"`
	} `json:"mechanism"`
}

type wireThread struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Crashed    bool       `json:"crashed"`
	Current    bool       `json:"current"`
	Stacktrace *wireStack `json:"stacktrace"`
}

type wireEvent struct {
	EventID     string                    `json:"event_id"`
	Level       string                    `json:"level"`
	Platform    string                    `json:"platform"`
	Release     string                    `json:"release"`
	Environment string                    `json:"environment"`
	Timestamp   time.Time                 `json:"timestamp"`
	Fingerprint []string                  `json:"fingerprint"`
	Tags        map[string]string         `json:"tags"`
	Contexts    map[string]map[string]any `json:"contexts"`
	Exception   struct {
		Values []wireException `json:"values"`
	} `json:"exception"`
	Threads struct {
		Values []wireThread `json:"values"`
	} `json:"threads"`

	raw         map[string]json.RawMessage
	attachments map[string]wireAttachment
	received    time.Time
}

type wireAttachment struct {
	ContentType string
	Data        []byte
}

func (e *wireEvent) title() string {
	if len(e.Exception.Values) == 0 {
		return ""
	}
	return e.Exception.Values[0].Type + ": " + e.Exception.Values[0].Value
}

// parseEnvelope decodes a Sentry envelope strictly, as Relay does: a header
// line, then items of a header line and a payload of exactly "length"
// bytes (or one line without a length), each followed by a newline.
func parseEnvelope(body []byte) (header map[string]any, events []*wireEvent, err error) {
	rd := bufio.NewReader(bytes.NewReader(body))
	line, err := rd.ReadBytes('\n')
	if err != nil && err != io.EOF {
		return nil, nil, err
	}
	if err := json.Unmarshal(line, &header); err != nil {
		return nil, nil, fmt.Errorf("envelope header: %w", err)
	}
	var cur *wireEvent
	var atts map[string]wireAttachment
	for {
		line, err := rd.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) == 0 {
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, err
			}
			continue
		}
		var ih struct {
			Type        string `json:"type"`
			Length      *int   `json:"length"`
			Filename    string `json:"filename"`
			ContentType string `json:"content_type"`
		}
		if err := json.Unmarshal(line, &ih); err != nil {
			return nil, nil, fmt.Errorf("item header %q: %w", line, err)
		}
		var payload []byte
		if ih.Length != nil {
			payload = make([]byte, *ih.Length)
			if _, err := io.ReadFull(rd, payload); err != nil {
				return nil, nil, fmt.Errorf("%s item shorter than its length %d: %w", ih.Type, *ih.Length, err)
			}
			if b, err := rd.ReadByte(); err == nil && b != '\n' {
				return nil, nil, fmt.Errorf("%s item: length %d is wrong: next byte %q", ih.Type, *ih.Length, b)
			}
		} else {
			payload, _ = rd.ReadBytes('\n')
			payload = bytes.TrimSuffix(payload, []byte("\n"))
		}
		switch ih.Type {
		case "event":
			cur = new(wireEvent)
			if err := json.Unmarshal(payload, cur); err != nil {
				return nil, nil, fmt.Errorf("event payload: %w", err)
			}
			if err := json.Unmarshal(payload, &cur.raw); err != nil {
				return nil, nil, err
			}
			atts = map[string]wireAttachment{}
			cur.attachments = atts
			events = append(events, cur)
		case "attachment":
			if atts == nil {
				return nil, nil, fmt.Errorf("attachment %s before any event", ih.Filename)
			}
			atts[ih.Filename] = wireAttachment{ih.ContentType, payload}
		}
	}
	return header, events, nil
}

type fakeSentry struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	requests int
	times    []time.Time
	events   []*wireEvent
	errs     []error
	// respond, when set, answers request n (from 1) itself when it returns true.
	respond func(w http.ResponseWriter, n int) bool
	// respondBody, when set, answers a request itself when it returns true,
	// seeing the envelope.
	respondBody func(w http.ResponseWriter, body []byte) bool
	delay       time.Duration
}

func newFakeSentry(t testing.TB) *fakeSentry {
	f := &fakeSentry{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// newFakeSentryOn starts the server on a given listener address.
func newFakeSentryOn(t testing.TB, addr string) *fakeSentry {
	f := &fakeSentry{t: t}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port was just released; it may take a moment
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	f.srv.Listener.Close()
	f.srv.Listener = l
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

// setRespond installs respond (see fakeSentry.respond).
func (f *fakeSentry) setRespond(respond func(w http.ResponseWriter, n int) bool) {
	f.mu.Lock()
	f.respond = respond
	f.mu.Unlock()
}

// setRespondBody installs respondBody (see fakeSentry.respondBody).
func (f *fakeSentry) setRespondBody(respond func(w http.ResponseWriter, body []byte) bool) {
	f.mu.Lock()
	f.respondBody = respond
	f.mu.Unlock()
}

func (f *fakeSentry) setDelay(d time.Duration) {
	f.mu.Lock()
	f.delay = d
	f.mu.Unlock()
}

func (f *fakeSentry) dsn() string {
	return "http://public@" + strings.TrimPrefix(f.srv.URL, "http://") + "/0"
}

func (f *fakeSentry) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	n := f.requests
	f.times = append(f.times, time.Now())
	respond, respondBody, delay := f.respond, f.respondBody, f.delay
	f.mu.Unlock()
	fail := func(err error) {
		f.mu.Lock()
		f.errs = append(f.errs, err)
		f.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
	if r.URL.Path != "/api/0/envelope/" {
		fail(fmt.Errorf("unexpected path %s", r.URL.Path))
		return
	}
	if auth := r.Header.Get("X-Sentry-Auth"); !strings.Contains(auth, "sentry_key=public") {
		fail(fmt.Errorf("bad X-Sentry-Auth %q", auth))
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			fail(err)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		fail(err)
		return
	}
	if respond != nil && respond(w, n) {
		return
	}
	if respondBody != nil && respondBody(w, data) {
		return
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	_, events, err := parseEnvelope(data)
	if err != nil {
		fail(err)
		return
	}
	now := time.Now()
	f.mu.Lock()
	for _, e := range events {
		e.received = now
	}
	f.events = append(f.events, events...)
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"id":"ok"}`)
}

func (f *fakeSentry) got() []*wireEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) > 0 {
		f.t.Errorf("server saw bad requests: %v", f.errs)
		f.errs = nil
	}
	return append([]*wireEvent(nil), f.events...)
}

func (f *fakeSentry) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// waitEvents waits until the server has n events, failing after timeout.
func (f *fakeSentry) waitEvents(n int, timeout time.Duration) []*wireEvent {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		evs := f.got()
		if len(evs) >= n {
			return evs
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("server got %d events, want %d", len(evs), n)
		}
		time.Sleep(5 * time.Millisecond)
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

func countByID(evs []*wireEvent) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		m[e.EventID]++
	}
	return m
}
