package report_test

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

// spoolOffline writes n stall reports into dir with no DSN, as a game run
// without network would, and returns their titles.
func spoolOffline(t *testing.T, dir string, n int) {
	t.Helper()
	r := newReporter(t, report.Options{SpoolDir: dir, MaxPerFingerprint: 1000})
	s := stuckStall(t, atAssets, stallSpec{})
	for i := 0; i < n; i++ {
		c := *s
		c.ID = stallIDs.Add(1)
		r.StallEnded(&c)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(spoolFiles(t, dir)); got != n {
		t.Fatalf("spooled %d reports, want %d", got, n)
	}
}

func TestOfflineReportsAreSentByALaterRun(t *testing.T) {
	dir := t.TempDir()
	spoolOffline(t, dir, 3)
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	if !r.Flush(5 * time.Second) {
		t.Fatal("Flush timed out")
	}
	evs := srv.Events()
	if len(evs) != 3 || len(countByID(evs)) != 3 {
		t.Fatalf("got %d events (%d distinct), want 3", len(evs), len(countByID(evs)))
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}
	if st := r.Stats(); st.Sent != 3 || st.Spooled != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestServerDownThenUp(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: connection refused
	r := newReporter(t, report.Options{DSN: "http://public@" + addr + "/0", RetryBackoff: 50 * time.Millisecond, MaxRetryBackoff: 100 * time.Millisecond})
	r.StallEnded(stuckStall(t, atAssets, stallSpec{}))
	if r.Flush(200 * time.Millisecond) {
		t.Fatal("Flush succeeded with the server down")
	}
	if st := r.Stats(); st.Pending != 1 || st.LastError == "" || st.Sent != 0 {
		t.Errorf("stats while down %+v", st)
	}
	if n := len(spoolFiles(t, r.SpoolDir())); n != 1 {
		t.Fatalf("%d files spooled while the server is down, want 1", n)
	}
	srv := wellFormed(t, sentrytest.NewOn(t, addr))
	evs := srv.WaitEvents(t, 1, 5*time.Second)
	time.Sleep(150 * time.Millisecond) // a duplicate would arrive by now
	if evs = srv.Events(); len(evs) != 1 {
		t.Fatalf("got %d events, want exactly 1", len(evs))
	}
	if !r.Flush(time.Second) || len(spoolFiles(t, r.SpoolDir())) != 0 {
		t.Error("spool not drained after the server came back")
	}
}

// Server errors are retried, also for longer than three attempts (the
// previous version then set the report aside for good), until the server
// takes the report, exactly once; nothing is set aside.
func TestServerErrorsAreRetried(t *testing.T) {
	for _, tc := range []struct{ failures, status int }{{2, http.StatusServiceUnavailable}, {6, http.StatusInternalServerError}} {
		srv := newSentry(t)
		srv.SetRespond(func(w http.ResponseWriter, n int, _ *sentrytest.Envelope) bool {
			if n <= tc.failures {
				http.Error(w, "overloaded", tc.status)
				return true
			}
			return false
		})
		r := newReporter(t, report.Options{DSN: srv.DSN(), MaxRetryBackoff: 80 * time.Millisecond})
		r.StallEnded(stuckStall(t, atAssets, stallSpec{}))
		evs := srv.WaitEvents(t, 1, 10*time.Second)
		r.Flush(time.Second)
		time.Sleep(100 * time.Millisecond) // a duplicate would arrive by now
		if evs = srv.Events(); len(evs) != 1 || srv.Requests() != tc.failures+1 {
			t.Errorf("%d × %d: events %d, requests %d; want 1 and %d", tc.failures, tc.status, len(evs), srv.Requests(), tc.failures+1)
		}
		if len(spoolFiles(t, r.SpoolDir())) != 0 || len(dirFiles(t, filepath.Join(r.SpoolDir(), "failed"))) != 0 {
			t.Error("spool not empty, or the report set aside")
		}
		if st := r.Stats(); st.Dropped != 0 || st.Sent != 1 {
			t.Errorf("stats %+v", st)
		}
	}
}

func TestRefusedReportIsSetAside(t *testing.T) {
	srv := newSentry(t)
	srv.SetRespond(func(w http.ResponseWriter, n int, _ *sentrytest.Envelope) bool {
		if n == 1 {
			http.Error(w, "bad envelope", http.StatusBadRequest)
			return true
		}
		return false
	})
	r := newReporter(t, report.Options{DSN: srv.DSN()})
	r.StallEnded(stuckStall(t, atAssets, stallSpec{}))
	r.Flush(2 * time.Second)
	if n := len(dirFiles(t, filepath.Join(r.SpoolDir(), "failed"))); n != 1 {
		t.Errorf("%d files in failed/, want 1", n)
	}
	// The next report, in the next run, goes through, and carries the
	// count of the lost one.
	r.Close()
	r = newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: r.SpoolDir()})
	r.StallEnded(stuckStall(t, atSave, stallSpec{}))
	r.Flush(2 * time.Second)
	evs := srv.Events()
	if len(evs) != 1 || srv.Requests() != 2 {
		t.Fatalf("events %d, requests %d", len(evs), srv.Requests())
	}
	if got := evs[0].Contexts["framewatch"]["spool_dropped_before"]; got != float64(1) {
		t.Errorf("spool_dropped_before = %v, want 1", got)
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	srv := newSentry(t)
	srv.SetRespond(func(w http.ResponseWriter, n int, _ *sentrytest.Envelope) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	r := newReporter(t, report.Options{DSN: srv.DSN()})
	r.StallEnded(stuckStall(t, atAssets, stallSpec{}))
	if r.Flush(300 * time.Millisecond) {
		t.Fatal("Flush succeeded while rate limited")
	}
	// A second report during the limit is not sent either.
	r.StallEnded(stuckStall(t, atSave, stallSpec{}))
	time.Sleep(200 * time.Millisecond)
	if n := srv.Requests(); n != 1 {
		t.Fatalf("%d requests during the rate limit, want 1", n)
	}
	if st := r.Stats(); !strings.Contains(st.LastError, "rate limited") || st.Pending == 0 {
		t.Errorf("stats %+v", st)
	}
	evs := srv.WaitEvents(t, 2, 5*time.Second)
	times := srv.RequestTimes()
	first, second := times[0], times[1]
	if gap := second.Sub(first); gap < time.Second {
		t.Errorf("retried %v after the 429, before Retry-After (1 s)", gap)
	}
	time.Sleep(100 * time.Millisecond)
	if evs = srv.Events(); len(evs) != 2 || len(countByID(evs)) != 2 || srv.Requests() != 3 {
		t.Errorf("events %d (distinct %d), requests %d; want 2, 2, 3", len(evs), len(countByID(evs)), srv.Requests())
	}
}

func TestSpoolBoundDropsOldest(t *testing.T) {
	dir := t.TempDir()
	r := newReporter(t, report.Options{SpoolDir: dir, MaxSpoolFiles: 3, MaxPerFingerprint: 100})
	s := stuckStall(t, atAssets, stallSpec{})
	for i := 0; i < 5; i++ {
		c := *s
		c.ID = stallIDs.Add(1)
		c.Tick = uint64(i)
		r.StallEnded(&c)
	}
	files := spoolFiles(t, dir)
	if len(files) != 3 {
		t.Fatalf("%d files, want 3", len(files))
	}
	if st := r.Stats(); st.Dropped != 2 || st.Spooled != 5 {
		t.Errorf("stats %+v", st)
	}
	r.Close()

	srv := newSentry(t)
	r2 := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	r2.Flush(5 * time.Second)
	evs := srv.Events()
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
	var ticks []float64
	var dropped float64
	for _, e := range evs {
		ticks = append(ticks, e.Contexts["frame"]["tick"].(float64))
		dropped += e.Contexts["framewatch"]["spool_dropped_before"].(float64)
	}
	if ticks[0] != 2 || ticks[1] != 3 || ticks[2] != 4 {
		t.Errorf("kept ticks %v, want the newest 2, 3, 4", ticks)
	}
	if dropped != 2 {
		t.Errorf("events carry %v dropped reports, want 2", dropped)
	}
}

func TestSpoolByteBound(t *testing.T) {
	dir := t.TempDir()
	s := stuckStall(t, atAssets, stallSpec{})
	r := newReporter(t, report.Options{SpoolDir: dir, MaxPerFingerprint: 100, MaxSpoolBytes: 3 * int64(len(s.Dump)*2)})
	for i := 0; i < 6; i++ {
		c := *s
		c.ID = stallIDs.Add(1)
		r.StallEnded(&c)
	}
	var total int64
	for _, f := range spoolFiles(t, dir) {
		fi, _ := os.Stat(f)
		total += fi.Size()
	}
	if total > 3*int64(len(s.Dump)*2) {
		t.Errorf("spool holds %d bytes, over the bound", total)
	}
	if r.Stats().Dropped == 0 {
		t.Error("nothing dropped")
	}
}

func TestCorruptFilesAreMovedAside(t *testing.T) {
	dir := t.TempDir()
	spoolOffline(t, dir, 1)
	for name, data := range map[string]string{
		"00000000000000000001-1-1aa.report.json": "not json at all",
		"00000000000000000002-1-2bb.report.json": `{"format":1,"kind":"stall","event":`,
		"00000000000000000003-1-3cc.live.json":   `{"format":99}`,
		"00000000000000000005-1-5ee.report.json": `{"format":1,"kind":"stall","event":{}}`,
		"00000000000000000004-1-4dd.report.json": `{"format":1,"kind":"stall","created":"2030-01-01T00:00:00Z","event":{"exception":"nope"}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	r.Flush(5 * time.Second)
	if evs := srv.Events(); len(evs) != 1 {
		t.Errorf("%d events, want the 1 good report", len(evs))
	}
	if n := len(dirFiles(t, filepath.Join(dir, "corrupt"))); n != 5 {
		t.Errorf("%d files in corrupt/, want 5", n)
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}
	if st := r.Stats(); st.Dropped != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestTwoReportersShareASpool(t *testing.T) {
	dir := t.TempDir()
	spoolOffline(t, dir, 24)
	srv := newSentry(t)
	srv.SetRespond(delay(3 * time.Millisecond))
	var wg sync.WaitGroup
	var rs []*report.Reporter
	for i := 0; i < 2; i++ {
		r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
		rs = append(rs, r)
		wg.Go(func() { r.Flush(10 * time.Second) })
	}
	wg.Wait()
	a, b := rs[0].Stats().Sent, rs[1].Stats().Sent
	t.Logf("reporter A sent %d, B sent %d", a, b)
	if a+b != 24 {
		t.Errorf("the reporters count %d+%d sent, want 24", a, b)
	}
	evs := srv.Events()
	for id, n := range countByID(evs) {
		if n != 1 {
			t.Errorf("event %s sent %d times", id, n)
		}
	}
	if len(evs) != 24 {
		t.Errorf("%d events, want 24", len(evs))
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}
}

func TestPerFingerprintLimit(t *testing.T) {
	dir := t.TempDir()
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir, MaxPerFingerprint: 2})
	s := stuckStall(t, atAssets, stallSpec{})
	other := stuckStall(t, atSave, stallSpec{})
	for i := 0; i < 5; i++ {
		c := *s
		c.ID = stallIDs.Add(1)
		r.StallEnded(&c)
	}
	r.StallEnded(other)
	r.Flush(5 * time.Second)
	if evs := srv.Events(); len(evs) != 3 {
		t.Fatalf("%d events, want 2 of the repeated stall and 1 other", len(evs))
	}
	if st := r.Stats(); st.Suppressed != 3 || st.Sent != 3 {
		t.Errorf("stats %+v", st)
	}
	r.Close()

	// The next run's first event of that fingerprint carries the count.
	r2 := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	c := *s
	c.ID = stallIDs.Add(1)
	r2.StallEnded(&c)
	r2.Flush(5 * time.Second)
	evs := srv.Events()
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4", len(evs))
	}
	if got := evs[3].Contexts["framewatch"]["suppressed_before"]; got != float64(3) {
		t.Errorf("suppressed_before = %v, want 3", got)
	}
	if got := evs[2].Contexts["framewatch"]["suppressed_before"]; got != float64(0) {
		t.Errorf("other fingerprint's suppressed_before = %v, want 0", got)
	}
}

func TestLiveStallOfARunningReporterIsNotStolen(t *testing.T) {
	dir := t.TempDir()
	srv := newSentry(t)
	a := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	s := stuckStall(t, atAssets, stallSpec{})
	a.StallStarted(started(s))
	b := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	if !b.Flush(time.Second) {
		t.Error("Flush of the other reporter timed out")
	}
	if n := srv.Requests(); n != 0 {
		t.Fatalf("%d requests: another reporter sent a stall still in progress", n)
	}
	a.StallEnded(s)
	a.Flush(5 * time.Second)
	b.Flush(time.Second)
	evs := srv.Events()
	if len(evs) != 1 || evs[0].Exception[0].Type != "App Hanging" {
		t.Fatalf("events %d, want 1 App Hanging", len(evs))
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}
}

func TestCloseDuringStallReportsFatalHang(t *testing.T) {
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN()})
	s := stuckStall(t, atAssets, stallSpec{})
	r.StallStarted(started(s))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	assertFatal(t, evs[0])
	r.StallEnded(s) // after Close: ignored, no panic
	if len(spoolFiles(t, r.SpoolDir())) != 0 {
		t.Error("spool not empty")
	}
}

func assertFatal(t *testing.T, e *sentrytest.Event) {
	t.Helper()
	ex := e.Exception[0]
	if ex.Type != "Fatal App Hang" || e.Level != "fatal" || ex.Mechanism == nil || ex.Mechanism.Type != "AppHang" ||
		ex.Mechanism.Handled == nil || *ex.Mechanism.Handled {
		t.Errorf("not a fatal app hang: type %q level %q mechanism %+v", ex.Type, e.Level, ex.Mechanism)
	}
	if want := testPkg + "decodeAtlas: Update blocked for at least "; !strings.HasPrefix(ex.Value, want) {
		t.Errorf("value %q", ex.Value)
	}
	if len(e.Fingerprint) < 4 || e.Fingerprint[1] != "fatal" || e.Fingerprint[3] != testPkg+"decodeAtlas" {
		t.Errorf("fingerprint %q", e.Fingerprint)
	}
	if e.Contexts["stall"]["killed"] != true || e.Tags["stall.tier"] != "fatal" {
		t.Errorf("stall context %v tags %v", e.Contexts["stall"], e.Tags)
	}
	if ex.Mechanism != nil && ex.Mechanism.Data["tier"] != "fatal" || e.Contexts["framewatch"] == nil {
		t.Errorf("mechanism %+v, framewatch context %v: want tier fatal and the context", ex.Mechanism, e.Contexts["framewatch"])
	}
}

func TestOptionErrorsNameTheField(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	for _, tc := range []struct {
		opts report.Options
		want string
	}{
		{report.Options{MaxSpoolFiles: -1}, "Options.MaxSpoolFiles"},
		{report.Options{MaxSpoolBytes: -1}, "Options.MaxSpoolBytes"},
		{report.Options{MaxPerFingerprint: -1}, "Options.MaxPerFingerprint"},
		{report.Options{RetryBackoff: -1}, "Options.RetryBackoff"},
		{report.Options{FlushTimeout: -1}, "Options.FlushTimeout"},
		{report.Options{DSN: "not a dsn"}, "Options.DSN"},
		{report.Options{DSN: "http://127.0.0.1:1/0"}, "Options.DSN"}, // no public key
		{report.Options{SpoolDir: filepath.Join(file, "sub")}, "Options.SpoolDir"},
		{report.Options{App: "../elsewhere"}, "Options.App"},
		{report.Options{App: ".."}, "Options.App"},
	} {
		if tc.opts.SpoolDir == "" {
			tc.opts.SpoolDir = t.TempDir()
		}
		_, err := report.New(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) error %v, want one naming %s", tc.opts, err, tc.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	t.Setenv("SENTRY_RELEASE", "env-release")
	t.Setenv("SENTRY_ENVIRONMENT", "env-environment")
	r, err := report.New(report.Options{Console: &strings.Builder{}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := r.SpoolDir()
	if !strings.HasPrefix(dir, cache) || filepath.Base(filepath.Dir(dir)) != "framewatch" || filepath.Base(dir) != strings.TrimSuffix(filepath.Base(os.Args[0]), filepath.Ext(os.Args[0])) {
		t.Errorf("default spool dir %s", dir)
	}
	r.StallEnded(stuckStall(t, atAssets, stallSpec{}))
	files := spoolFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	data, _ := os.ReadFile(files[0])
	if !strings.Contains(string(data), `"release":"env-release"`) || !strings.Contains(string(data), `"environment":"env-environment"`) {
		t.Errorf("SENTRY_RELEASE / SENTRY_ENVIRONMENT not used:\n%.300s", data)
	}
	_ = watchdog.PhaseUpdate
}

func TestCallersClientAndHub(t *testing.T) {
	srv := newSentry(t)
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:         srv.DSN(),
		Release:     "from-client",
		Environment: "staging",
		BeforeSend: func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event {
			if e.Tags["phase"] == "Draw" {
				return nil // the caller's filter drops Draw stalls
			}
			e.Tags["before_send"] = "yes"
			return e
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	hub := sentry.NewHub(client, sentry.NewScope())
	hub.Scope().SetTag("player", "p42")
	hub.Scope().SetLevel(sentry.LevelInfo) // must not change a stall's level
	hub.Scope().SetUser(sentry.User{ID: "u1"})

	r := newReporter(t, report.Options{Hub: hub})
	r.StallEnded(stuckStall(t, atAssets, stallSpec{}))
	r.StallEnded(stuckStall(t, atSave, stallSpec{phase: watchdog.PhaseDraw}))
	r.Flush(5 * time.Second)
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1 (the Draw stall dropped by BeforeSend)", len(evs))
	}
	e := evs[0]
	if e.Release != "from-client" || e.Environment != "staging" || e.Level != "error" {
		t.Errorf("release %q env %q level %q", e.Release, e.Environment, e.Level)
	}
	if e.Tags["player"] != "p42" || e.Tags["before_send"] != "yes" || e.Tags["phase"] != "Update" {
		t.Errorf("tags %v", e.Tags)
	}
	if !strings.Contains(string(e.Raw["user"]), `"u1"`) {
		t.Errorf("user %s", e.Raw["user"])
	}
	if files := spoolFiles(t, r.SpoolDir()); len(files) != 0 {
		t.Errorf("the discarded report stayed in the spool: %v", files)
	}
	if _, err := report.New(report.Options{Hub: hub, Client: client, SpoolDir: t.TempDir()}); err == nil {
		t.Error("Client and Hub together must be an error")
	}
}

func TestOversizedReportShedsAttachments(t *testing.T) {
	srv := newSentry(t)
	s := stuckStall(t, atAssets, stallSpec{trace: bytes.Repeat([]byte("t"), 200<<10)})
	r := newReporter(t, report.Options{DSN: srv.DSN(), MaxSpoolBytes: 150 << 10})
	r.StallEnded(s)
	r.Flush(5 * time.Second)
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	if _, ok := evs[0].Attachments["trace.out"]; ok {
		t.Error("the oversized trace was kept")
	}
	if _, ok := evs[0].Attachments["goroutines.txt"]; !ok {
		t.Error("the dump was dropped too")
	}
	if got := evs[0].Contexts["framewatch"]["attachment_dropped"]; got != "trace.out" {
		t.Errorf("attachment_dropped = %v", got)
	}
}

func TestDSNFromEnvironment(t *testing.T) {
	srv := newSentry(t)
	t.Setenv("SENTRY_DSN", srv.DSN())
	r := newReporter(t, report.Options{})
	r.StallEnded(stuckStall(t, atAssets, stallSpec{}))
	if !r.Flush(5*time.Second) || len(srv.Events()) != 1 || !r.Stats().Online {
		t.Errorf("SENTRY_DSN not used: %d events, stats %+v", len(srv.Events()), r.Stats())
	}
}

// A game that called sentry.Init reports through that hub by default: its
// DSN and release.
func TestSentryInitHubIsTheDefault(t *testing.T) {
	srv := newSentry(t)
	cmd, _, _ := startChild(t, "sentry-init", t.TempDir(), srv.DSN())
	cmd.Wait()
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1 through the sentry.Init hub", len(evs))
	}
	if evs[0].Release != "from-init" {
		t.Errorf("release %q, want the sentry.Init client's", evs[0].Release)
	}
}
