package ebitenwatch_test

import (
	"context"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/internal/sentrytest"
	"github.com/framewatch/framewatch/workslicer"
)

// newReportingWatcher returns a Watcher that sends to a new test server.
func newReportingWatcher(t *testing.T) (*ebitenwatch.Watcher, *sentrytest.Server) {
	t.Helper()
	srv := sentrytest.New(t)
	w, err := ebitenwatch.New(ebitenwatch.Options{
		Report: report.Options{DSN: srv.DSN(), SpoolDir: t.TempDir(), Console: io.Discard},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, srv
}

// frames runs the scheduler's frames, 60 a second, until done returns true
// or timeout passes.
func frames(s *workslicer.Scheduler, timeout time.Duration, done func() bool) bool {
	tick := time.NewTicker(time.Second / 60)
	defer tick.Stop()
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		s.Run()
		s.EndFrame()
		if done() {
			return true
		}
		<-tick.C
	}
	return false
}

//go:noinline
func finishPanics() { panic("atlas full") }

// A failing Fetch and a panicking Finish each reach Sentry once, as Load
// Failed with the error chain or the panic's own stack; an Expected error
// does not, and the game's own OnFailure still hears of all three.
func TestLoadFailuresAreReported(t *testing.T) {
	w, srv := newReportingWatcher(t)
	var gameHook atomic.Int32
	s, err := w.NewScheduler(workslicer.Options{OnFailure: func(workslicer.Failure) { gameHook.Add(1) }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.NewScheduler(workslicer.Options{}); err == nil {
		t.Error("a second NewScheduler succeeded, want an error")
	}
	ctx := context.Background()
	loads := []workslicer.Loader[int, int]{
		{Key: "backgrounds/night.png", Fetch: func(context.Context) (int, error) {
			return 0, fmt.Errorf("decoding backgrounds/night.png: %w", png.FormatError("not a PNG file"))
		}},
		{Key: "sprites/atlas.png", Fetch: func(context.Context) (int, error) { return 1, nil },
			Finish: func(_ context.Context, v int, _ func(float64) bool) (int, error) {
				finishPanics()
				return v, nil
			}},
		{Key: "mods/optional.png", Fetch: func(context.Context) (int, error) {
			return 0, workslicer.Expected(fs.ErrNotExist)
		}},
	}
	var hs []*workslicer.Handle[int]
	for _, l := range loads {
		h, err := workslicer.Load(ctx, s, l)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	settled := func() bool {
		for _, h := range hs {
			if h.Err() == nil {
				return false
			}
		}
		return true
	}
	if !frames(s, 10*time.Second, settled) {
		t.Fatal("the loads did not settle")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	evs := srv.WaitEvents(t, 2, 5*time.Second)
	if len(evs) != 2 {
		t.Fatalf("got %d events, want 2: %v", len(evs), eventTitles(evs))
	}
	if n := gameHook.Load(); n != 2 {
		t.Errorf("the game's OnFailure ran %d times, want 2 (Expected errors skip it)", n)
	}
	byKey := map[string]*sentrytest.Event{}
	for _, ev := range evs {
		if ev.Exception[0].Type != report.TypeLoadFailed || ev.Level != "error" {
			t.Errorf("event %q level %q, want type %q level error", ev.Title(), ev.Level, report.TypeLoadFailed)
		}
		byKey[fmt.Sprint(ev.Contexts["load"]["key"])] = ev
	}
	night := byKey["backgrounds/night.png"]
	if night == nil {
		t.Fatalf("no event for backgrounds/night.png: %v", eventTitles(evs))
	}
	if want := "Load Failed: backgrounds/night.png: decoding backgrounds/night.png: png: invalid format: not a PNG file"; night.Title() != want {
		t.Errorf("title %q, want %q", night.Title(), want)
	}
	if got := strings.Join(night.Fingerprint, "|"); !strings.Contains(got, "backgrounds/*.png|png.FormatError") {
		t.Errorf("fingerprint %q, want the key pattern and the error type", got)
	}
	if c := fmt.Sprint(night.Contexts["load"]["error.1"]); c != "png.FormatError: png: invalid format: not a PNG file" {
		t.Errorf("second error of the chain %q", c)
	}
	atlas := byKey["sprites/atlas.png"]
	if atlas == nil {
		t.Fatalf("no event for sprites/atlas.png: %v", eventTitles(evs))
	}
	if !strings.HasPrefix(atlas.Title(), "Load Failed: sprites/atlas.png: panic: atlas full") {
		t.Errorf("title %q", atlas.Title())
	}
	if st := atlas.Exception[0].Stacktrace; st == nil || st.Frames[len(st.Frames)-1].Function != "finishPanics" {
		t.Errorf("exception stack does not end in the panicking function: %+v", st)
	}
	if atlas.Contexts["load"]["stage"] != "Finish" || atlas.Contexts["load"]["step"] != 1.0 {
		t.Errorf("load context %v, want stage Finish, step 1", atlas.Contexts["load"])
	}
	if st := w.Stats(); st.LoadsFailed != 2 {
		t.Errorf("Stats.LoadsFailed %d, want 2", st.LoadsFailed)
	}
}

func eventTitles(evs []*sentrytest.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Title()
	}
	return out
}

// dripServer serves /stop: 4 KiB of 64 KiB and then nothing until the test
// ends, /drip: 64 KiB, 1 KiB every 40 ms, and /quick: 64 KiB at once.
func dripServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Length", strconv.Itoa(64<<10))
		chunk := make([]byte, 1<<10)
		for i := range 64 {
			if r.URL.Path == "/stop" && i == 4 {
				select {
				case <-release:
				case <-r.Context().Done():
				}
				return
			}
			rw.Write(chunk)
			rw.(http.Flusher).Flush()
			if r.URL.Path == "/drip" {
				time.Sleep(40 * time.Millisecond)
			}
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// download reads url inside a Fetch, moving its progress with each byte.
func download(url string) func(ctx context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(workslicer.ProgressReader(ctx, resp.Body, resp.ContentLength))
	}
}

// A download whose server stops sending is reported as Loading Stalled
// within StallAfter plus 10% of the game's clock, with the worker's stack
// in the network read; a slow download that keeps moving is not, nor one
// that waits for a worker behind them.
func TestStalledDownloadIsReported(t *testing.T) {
	w, srv := newReportingWatcher(t)
	const after = time.Second
	s, err := w.NewScheduler(workslicer.Options{StallAfter: after, Workers: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	web := dripServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hs []*workslicer.Handle[[]byte]
	for _, path := range []string{"/stop", "/drip", "/quick"} {
		h, err := workslicer.Load(ctx, s, workslicer.Loader[[]byte, []byte]{Key: "net" + path + ".bin", Fetch: download(web.URL + path)})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	// The drip takes 64 × 40 ms = 2.6 s, more than twice StallAfter.
	frames(s, 20*time.Second, func() bool { return hs[2].Err() != nil || hs[2].Progress() == 1 })
	for _, h := range hs[1:] {
		if _, err := h.Value(); err != nil {
			t.Fatalf("download %s failed: %v", h.Name(), err)
		}
	}
	evs := srv.WaitEvents(t, 1, 5*time.Second)
	cancel()
	w.Close()
	if evs = srv.Events(); len(evs) != 1 {
		t.Fatalf("got %d events, want 1 (the stopped download): %v", len(evs), eventTitles(evs))
	}
	ev := evs[0]
	if !strings.HasPrefix(ev.Title(), "Loading Stalled: net/stop.bin: no progress for") || ev.Level != "warning" {
		t.Errorf("title %q level %q", ev.Title(), ev.Level)
	}
	load := ev.Contexts["load"]
	if ms, _ := load["stalled_ms"].(float64); ms < 1000 || ms > 1100 {
		t.Errorf("reported after %v ms of the game's clock, want 1000 to 1100", load["stalled_ms"])
	}
	if p, _ := load["progress"].(float64); p <= 0 || p >= 0.5 {
		t.Errorf("progress %v, want the bytes read so far (4 of 64 KiB of the Fetch share)", load["progress"])
	}
	st := ev.Exception[0].Stacktrace
	if st == nil || !hasFrame(st.Frames, "Read") {
		t.Fatalf("exception stack does not show the read: %+v", st)
	}
	if len(ev.Threads) == 0 || !strings.Contains(ev.Threads[0].Name, "[IO wait") {
		t.Errorf("worker thread %+v, want one in IO wait", ev.Threads)
	}
}

func hasFrame(fs []sentrytest.Frame, fn string) bool {
	for _, f := range fs {
		if strings.Contains(f.Function, fn) && strings.Contains(f.Module, "net") {
			return true
		}
	}
	return false
}

// Unusable reports once until Usable, which clears it with how long it
// lasted; Stats counts it.
func TestUnusableReportsAndClears(t *testing.T) {
	w, srv := newReportingWatcher(t)
	lost := fmt.Errorf("reading from game server: %w", io.ErrUnexpectedEOF)
	w.Unusable("disconnected", lost)
	w.Unusable("disconnected", lost)
	if st := w.Stats(); st.Unusable != 1 || !st.UnusableNow {
		t.Errorf("while unusable: Stats.Unusable %d, UnusableNow %v; want 1, true", st.Unusable, st.UnusableNow)
	}
	time.Sleep(20 * time.Millisecond)
	w.Usable()
	st := w.Stats()
	if st.UnusableNow || st.UnusableFor < 20*time.Millisecond {
		t.Errorf("after Usable: UnusableNow %v, UnusableFor %v; want false, at least 20ms", st.UnusableNow, st.UnusableFor)
	}
	w.Usable()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	evs := srv.WaitEvents(t, 1, 5*time.Second)
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1: %v", len(evs), eventTitles(evs))
	}
	if want := "Game Unusable: disconnected: reading from game server: unexpected EOF"; evs[0].Title() != want || evs[0].Level != "error" {
		t.Errorf("event %q level %q, want %q level error", evs[0].Title(), evs[0].Level, want)
	}
	if w.Stats().Unusable != 1 {
		t.Error("Stats.Unusable changed after Usable")
	}
}
