package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// roundTripFunc is an in-memory network: it answers requests without
// sockets, so delivery can run inside a synctest bubble on a fake clock.
// Everything above it (sentry-go's client, transport, rate limits, and the
// reporter's observer) is the real code.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(status int, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader("{}"))}
}

// sentryEnvelope captures an envelope exactly as sentry-go v0.50.0 sends it.
func sentryEnvelope(t *testing.T, ev *sentry.Event) []byte {
	var body []byte
	tr := sentry.NewHTTPSyncTransport()
	c, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:       "http://public@example.invalid/0",
		Transport: tr,
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			body, _ = io.ReadAll(r.Body)
			return answer(200, nil), nil
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.CaptureEvent(ev, nil, nil)
	return body
}

func TestNormalizeEnvelope(t *testing.T) {
	ev := sentry.NewEvent()
	ev.Level = sentry.LevelFatal
	ev.Exception = []sentry.Exception{{Type: "*main.err", Value: "<nil> & <more>"}}
	ev.Threads = []sentry.Thread{{ID: "1", Crashed: true}}
	bin := []byte("line1\nline2\n\x00\xff{}")
	ev.Attachments = []*sentry.Attachment{{Filename: "trace.out", ContentType: "application/octet-stream", Payload: bin}}
	raw := sentryEnvelope(t, ev)

	// sentry-go's own envelope: exception is a bare list.
	lines := bytes.SplitN(raw, []byte("\n"), 4)
	var ih struct{ Length int }
	if !bytes.Contains(lines[2], []byte(`"exception":[`)) {
		t.Errorf("sentry-go no longer sends a bare exception list: %.200s", lines[2])
	}

	out := normalizeEnvelope(raw)
	parts := bytes.SplitN(out, []byte("\n"), 4)
	if !bytes.Equal(parts[0], lines[0]) {
		t.Errorf("envelope header changed")
	}
	json.Unmarshal(parts[1], &ih)
	if ih.Length != len(parts[2]) {
		t.Errorf("event length %d, payload %d bytes", ih.Length, len(parts[2]))
	}
	var payload struct {
		Exception struct{ Values []sentry.Exception }
		Threads   struct{ Values []sentry.Thread }
	}
	if err := json.Unmarshal(parts[2], &payload); err != nil {
		t.Fatal(err)
	}
	if len(payload.Exception.Values) != 1 || payload.Exception.Values[0].Value != "<nil> & <more>" || len(payload.Threads.Values) != 1 {
		t.Errorf("payload %+v", payload)
	}
	rest := parts[3]
	i := bytes.IndexByte(rest, '\n')
	var ah struct {
		Type     string
		Length   int
		Filename string
	}
	json.Unmarshal(rest[:i], &ah)
	if ah.Type != "attachment" || ah.Length != len(bin) || !bytes.Equal(rest[i+1:i+1+ah.Length], bin) {
		t.Errorf("attachment changed: %+v %q", ah, rest[i+1:])
	}

	if got := normalizeEnvelope([]byte("garbage\n{not json\n")); string(got) != "garbage\n{not json\n" {
		t.Errorf("unparsable envelope was changed: %q", got)
	}
}

func TestRateLimitDeadline(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		status int
		header map[string]string
		want   time.Duration // from now; -1 for none
	}{
		{429, map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{429, map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{429, nil, 60 * time.Second},
		{429, map[string]string{"X-Sentry-Rate-Limits": "30:error:organization, 120:transaction:key"}, 30 * time.Second},
		{200, map[string]string{"X-Sentry-Rate-Limits": "45::organization"}, 45 * time.Second},
		{200, map[string]string{"X-Sentry-Rate-Limits": "45:transaction;span:key"}, -1},
		{200, map[string]string{"Retry-After": "5"}, -1},
	} {
		h := http.Header{}
		for k, v := range tc.header {
			h.Set(k, v)
		}
		got := rateLimitDeadline(&http.Response{StatusCode: tc.status, Header: h}, now)
		if tc.want < 0 {
			if !got.IsZero() {
				t.Errorf("%d %v: deadline %v, want none", tc.status, tc.header, got)
			}
		} else if d := got.Sub(now); d != tc.want {
			t.Errorf("%d %v: deadline in %v, want %v", tc.status, tc.header, d, tc.want)
		}
	}
}

// fakeStall is a minimal stall for tests that do not look at its stacks.
func fakeStall(id uint64) *watchdog.Stall {
	fr := []watchdog.Frame{
		{Function: "sync.(*Mutex).Lock", File: "/go/src/sync/mutex.go", Line: 46},
		{Function: "main.loadAllAssets", File: "/game/assets.go", Line: 88, InApp: true},
		{Function: "main.(*Game).Update", File: "/game/game.go", Line: 40, InApp: true},
	}
	return &watchdog.Stall{
		ID: id, Phase: watchdog.PhaseUpdate, Tier: watchdog.TierHang, Class: watchdog.ClassLock, Ended: true,
		Start: time.Now(), Duration: 2 * time.Second, Goroutine: 7,
		Stacks:  []watchdog.Stack{{Frames: fr, Count: 10, State: "sync.Mutex.Lock"}},
		Culprit: fr[1], Samples: 10,
	}
}

// TestBackoffTiming checks the retry schedule on a fake clock: network
// errors back off 5 s, 10 s, 20 s, 40 s (RetryBackoff doubling, capped at
// MaxRetryBackoff), and a 429 waits exactly as long as Retry-After says.
func TestBackoffTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		var at []time.Duration
		n := 0
		net := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			io.Copy(io.Discard, r.Body)
			mu.Lock()
			defer mu.Unlock()
			n++
			at = append(at, time.Since(start))
			switch {
			case n <= 4:
				return nil, errors.New("connection refused")
			case n == 5:
				return answer(http.StatusTooManyRequests, http.Header{"Retry-After": {"120"}}), nil
			}
			return answer(200, nil), nil
		})
		client, err := sentry.NewClient(sentry.ClientOptions{
			Dsn: "http://public@sentry.invalid/0", HTTPTransport: net, Transport: sentry.NewHTTPSyncTransport(),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		r, err := New(Options{
			Client: client, SpoolDir: t.TempDir(), Console: io.Discard,
			Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
			RetryBackoff: 5 * time.Second, MaxRetryBackoff: 40 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		r.StallEnded(fakeStall(1))
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if st := r.Stats(); st.Sent != 1 || st.Pending != 0 {
			t.Errorf("stats %+v", st)
		}
		r.Close()

		want := []time.Duration{0, 5, 15, 35, 75, 195}
		mu.Lock()
		defer mu.Unlock()
		if len(at) != len(want) {
			t.Fatalf("attempts at %v, want %v seconds", at, want)
		}
		for i := range want {
			w := want[i] * time.Second
			if i == 5 {
				w += 50 * time.Millisecond // the reporter's margin after Retry-After
			}
			if at[i] != w {
				t.Errorf("attempt %d at %v, want %v (all: %v)", i+1, at[i], w, at)
			}
		}
	})
}

// BenchmarkLiveRefresh measures one refresh of a live record, as the
// writer goroutine does it at least every second of a stall, with a dump
// of 10,000 goroutines: encoding and an atomic, synced write.
func BenchmarkLiveRefresh(b *testing.B) {
	ch := make(chan struct{})
	defer close(ch)
	for range 10000 {
		go func() { <-ch }()
	}
	s := fakeStall(1)
	s.Dump = make([]byte, 1<<20)
	for {
		n := runtime.Stack(s.Dump, true)
		if n < len(s.Dump) {
			s.Dump = s.Dump[:n]
			break
		}
		s.Dump = make([]byte, 2*len(s.Dump))
	}
	s.Goroutines, _ = watchdog.ParseDump(s.Dump, watchdog.InAppRule{})
	r, err := New(Options{SpoolDir: b.TempDir(), Console: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	for b.Loop() {
		r.w.refresh(s)
	}
	b.ReportMetric(float64(len(s.Dump)), "dump-bytes")
}
