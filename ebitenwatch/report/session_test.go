package report_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

const testRelease = "game@1.0.0"

// checkSessionSchema checks session updates against the session update
// payload of Sentry's developer documentation ("Sessions", SDK telemetry,
// develop.sentry.dev/sdk/telemetry/sessions/, written from the docs; no
// machine-readable schema is vendored): its fields only; started required
// and ISO 8601, as timestamp is; sid a UUID; status one of ok, exited,
// crashed, abnormal; errors at least 1 once crashed; abnormal_mechanism
// only on abnormal; duration non-negative seconds; attrs required with a
// release. Per session: the first update has init true and no later one
// does; started, did and attrs never change (Attribute Immutability); seq
// grows; nothing follows a terminal status (Terminal Session States).
func checkSessionSchema(t *testing.T, updates []*sentrytest.Session) {
	t.Helper()
	known := []string{"sid", "did", "seq", "timestamp", "started", "init", "duration", "status", "errors", "abnormal_mechanism", "attrs"}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	first := map[string]*sentrytest.Session{}
	last := map[string]*sentrytest.Session{}
	for i, s := range updates {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(s.Raw, &raw); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		for k := range raw {
			if !slices.Contains(known, k) {
				t.Errorf("update %d: field %q is not in the session payload", i, k)
			}
		}
		for _, k := range []string{"started", "timestamp"} {
			var v string
			if json.Unmarshal(raw[k], &v) != nil {
				t.Errorf("update %d: %s is not a string: %s", i, k, raw[k])
			} else if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				t.Errorf("update %d: %s %q is not an ISO 8601 date-time", i, k, v)
			}
		}
		switch {
		case !uuid.MatchString(s.SID):
			t.Errorf("update %d: sid %q is not a UUID", i, s.SID)
		case !slices.Contains([]string{"ok", "exited", "crashed", "abnormal"}, s.Status):
			t.Errorf("update %d: status %q", i, s.Status)
		case s.Status == "crashed" && s.Errors < 1:
			t.Errorf("update %d: crashed with errors %d", i, s.Errors)
		case s.AbnormalMechanism != "" && s.Status != "abnormal":
			t.Errorf("update %d: abnormal_mechanism %q on status %q", i, s.AbnormalMechanism, s.Status)
		case s.Duration != nil && *s.Duration < 0:
			t.Errorf("update %d: duration %v", i, *s.Duration)
		case s.Timestamp.Before(s.Started):
			t.Errorf("update %d: timestamp %v before started %v", i, s.Timestamp, s.Started)
		case s.Attrs == nil || s.Attrs["release"] != testRelease:
			t.Errorf("update %d: attrs %v", i, s.Attrs)
		case s.Errors < 0 || s.Seq == nil:
			t.Errorf("update %d: errors %d seq %v", i, s.Errors, s.Seq)
		}
		f, p := first[s.SID], last[s.SID]
		if f == nil {
			first[s.SID] = s
			if !s.Init {
				t.Errorf("update %d: the first update of session %s has init false", i, s.SID)
			}
		} else {
			if s.Init {
				t.Errorf("update %d: init again for session %s", i, s.SID)
			}
			if !s.Started.Equal(f.Started) || s.DID != f.DID || s.Attrs["release"] != f.Attrs["release"] || s.Attrs["environment"] != f.Attrs["environment"] {
				t.Errorf("update %d: attributes changed in session %s", i, s.SID)
			}
			if *s.Seq <= *p.Seq {
				t.Errorf("update %d: seq %d after %d", i, *s.Seq, *p.Seq)
			}
			if p.Status != "ok" {
				t.Errorf("update %d: session %s updated after its terminal status %q", i, s.SID, p.Status)
			}
		}
		last[s.SID] = s
	}
}

// waitSessions waits until srv holds at least n session updates.
func waitSessions(t *testing.T, srv *sentrytest.Server, n int) []*sentrytest.Session {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if errs := srv.Errors(); len(errs) > 0 {
			t.Fatalf("malformed requests: %v", errs)
		}
		if ss := srv.Sessions(); len(ss) >= n || time.Now().After(deadline) {
			if len(ss) < n {
				t.Fatalf("%d session updates, want %d", len(ss), n)
			}
			return ss
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// deliverSpool runs a process that only delivers dir, as the next start
// or the guardian does, and returns the session updates the server has,
// checked against the schema, and whether the spool was left empty.
func deliverSpool(t *testing.T, srv *sentrytest.Server, dir string) ([]*sentrytest.Session, bool) {
	t.Helper()
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	drained := r.Flush(5 * time.Second)
	r.Close()
	ss := srv.Sessions()
	checkSessionSchema(t, ss)
	if m, _ := filepath.Glob(filepath.Join(dir, "*.session.json")); len(m) != 0 {
		t.Errorf("session files left: %v", m)
	}
	return ss, drained
}

// offlineSession runs a session against a server that fails every
// request, with stalls ended during it; the session is left in dir unsent.
// That server keeps failing: a request Close gave up on may reach it late.
func offlineSession(t *testing.T, dir string, stalls ...*watchdog.Stall) {
	t.Helper()
	srv := sentrytest.New(t)
	srv.SetRespond(func(w http.ResponseWriter, _ int, _ *sentrytest.Envelope) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir, Session: true, Release: testRelease, FlushTimeout: 300 * time.Millisecond})
	for _, s := range stalls {
		r.StallEnded(s)
	}
	r.Close()
	if srv.Requests() == 0 {
		t.Fatal("no request reached the failing server")
	}
}

func sessionReporter(t *testing.T, srv *sentrytest.Server, dir string) *report.Reporter {
	return newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir, Session: true, Release: testRelease, Environment: "test"})
}

func TestSessionStartsWithInitAndExitsWithItsDuration(t *testing.T) {
	srv := sentrytest.New(t)
	dir := t.TempDir()
	r := sessionReporter(t, srv, dir)
	init := waitSessions(t, srv, 1)[0]
	if !init.Init || init.Status != "ok" || init.Errors != 0 || init.EventID != "" {
		t.Errorf("first update: %s", init.Raw)
	}
	time.Sleep(50 * time.Millisecond)
	r.Close()
	ss := waitSessions(t, srv, 2)
	checkSessionSchema(t, ss)
	end := ss[len(ss)-1]
	if len(ss) != 2 || end.Status != "exited" || end.Init || end.SID != init.SID {
		t.Fatalf("updates: %d, last %s", len(ss), end.Raw)
	}
	if end.Duration == nil || *end.Duration < 0.05 || *end.Duration > 60 {
		t.Errorf("exited duration %v, want the run's length", end.Duration)
	}
	did, err := os.ReadFile(filepath.Join(dir, "install-id.json"))
	if err != nil || !regexp.MustCompile(`"did":"`+init.DID+`"`).Match(did) {
		t.Errorf("did %q is not the install ID kept beside the spool (%s, %v)", init.DID, did, err)
	}
	host, _ := os.Hostname()
	if init.DID == host || init.DID == os.Getenv("USER") {
		t.Errorf("did %q names the machine or the user", init.DID)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.session.json")); len(m) != 0 {
		t.Errorf("session files left after a delivered exit: %v", m)
	}

	// The next run is a new session of the same install. Closed at once,
	// its init may be its exit too.
	r2 := sessionReporter(t, srv, dir)
	r2.Close()
	ss = waitSessions(t, srv, 3)
	checkSessionSchema(t, ss)
	if s := ss[len(ss)-1]; s.SID == init.SID || s.DID != init.DID || s.Status != "exited" || len(ss) > 4 {
		t.Errorf("second run: %d updates, the last %s", len(ss), s.Raw)
	}
}

func TestSessionErroredByAFrozenFrameTravelsWithIt(t *testing.T) {
	srv := sentrytest.New(t)
	vitals := report.Vitals{Frames: 3600, SlowFrames: 41, SlowBudget: 16666667, FrozenFrames: 1, Hitches: 3, P50: 16 * time.Millisecond, P99: 48 * time.Millisecond}
	r := newReporter(t, report.Options{DSN: srv.DSN(), Session: true, Release: testRelease, Vitals: func() report.Vitals { return vitals }})
	waitSessions(t, srv, 1)
	r.StallEnded(stuckStall(t, atAssets, stallSpec{tier: watchdog.TierFrozen, dur: 900 * time.Millisecond}))
	evs := srv.WaitEvents(t, 1, 10*time.Second)
	if evs[0].Title() == "" || evs[0].Exception[0].Type != "Frozen Frame" {
		t.Fatalf("event %q", evs[0].Title())
	}
	var with *sentrytest.Session
	for _, env := range srv.Envelopes() {
		if len(env.Events) == 1 {
			if len(env.Sessions) != 1 {
				t.Fatalf("the Frozen Frame's envelope has %d session updates", len(env.Sessions))
			}
			with = env.Sessions[0]
		}
	}
	if with.Status != "ok" || with.Errors != 1 || with.EventID != evs[0].EventID {
		t.Errorf("update with the Frozen Frame: %s (event %s)", with.Raw, with.EventID)
	}
	want := map[string]any{
		"frames": 3600.0, "slow_frames": 41.0, "slow_frame_budget_ms": 16.666, "frozen_frames": 1.0, "hangs": 0.0,
		"hitches": 3.0, "frame_time_p50_ms": 16.0, "frame_time_p99_ms": 48.0,
	}
	if got := evs[0].Contexts["session_vitals"]; !maps.Equal(got, want) {
		t.Errorf("session_vitals context: %v, want %v", got, want)
	}
	r.Close()
	ss := waitSessions(t, srv, 3)
	checkSessionSchema(t, ss)
	if end := ss[len(ss)-1]; len(ss) != 3 || end.Status != "exited" || end.Errors != 1 {
		t.Errorf("%d updates; the last: %s", len(ss), end.Raw)
	}
}

func TestSessionCrashedByAPanicTravelsWithIt(t *testing.T) {
	srv := sentrytest.New(t)
	dir := t.TempDir()
	r := sessionReporter(t, srv, dir)
	waitSessions(t, srv, 1)
	r.ReportPanic("atlas missing", watchdog.PhaseUpdate, allStacks())
	envs := srv.Envelopes()
	last := envs[len(envs)-1]
	if len(last.Events) != 1 || len(last.Sessions) != 1 {
		t.Fatalf("the panic's envelope: %d events, %d sessions", len(last.Events), len(last.Sessions))
	}
	if s := last.Sessions[0]; s.Status != "crashed" || s.Errors != 1 {
		t.Errorf("update with the panic: %s", s.Raw)
	}
	r.Close() // a crashed session is not updated again
	if ss, _ := deliverSpool(t, srv, dir); len(ss) != 2 {
		t.Errorf("%d session updates, want init and crashed", len(ss))
	}
}

func TestOfflineSessionIsSentByALaterRun(t *testing.T) {
	srv := sentrytest.New(t)
	dir := t.TempDir()
	offlineSession(t, dir, stuckStall(t, atAssets, stallSpec{tier: watchdog.TierFrozen, dur: 900 * time.Millisecond}))
	ss, drained := deliverSpool(t, srv, dir)
	if len(ss) != 1 || !drained {
		t.Fatalf("%d session updates from the later run, want 1 (drained %v)", len(ss), drained)
	}
	if s := ss[0]; !s.Init || s.Status != "exited" || s.Errors != 1 || s.Duration == nil {
		t.Errorf("offline session as sent later: %s", s.Raw)
	}
}

func TestSessionOlderThanSentryAcceptsIsDropped(t *testing.T) {
	srv := sentrytest.New(t)
	dir := t.TempDir()
	offlineSession(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*.session.json"))
	if len(files) != 1 {
		t.Fatalf("session files after an offline run: %v", files)
	}
	// Six days later: past the 5 days Sentry accepts updates of a session.
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	json.Unmarshal(data, &st)
	old := time.Now().Add(-6 * 24 * time.Hour).UTC().Format(time.RFC3339Nano)
	st["started"], st["updated"] = old, old
	data, _ = json.Marshal(st)
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}

	if ss, _ := deliverSpool(t, srv, dir); len(ss) != 0 {
		t.Errorf("a 6-day-old session was sent: %s", ss[0].Raw)
	}
}
