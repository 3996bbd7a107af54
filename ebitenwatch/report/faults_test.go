package report_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

// One report that always fails at the network level does not hold back
// newer ones.
func TestOneBadReportDoesNotBlockTheQueue(t *testing.T) {
	dir := t.TempDir()
	srv := newSentry(t)
	srv.SetRespond(func(w http.ResponseWriter, _ int, env *sentrytest.Envelope) bool {
		if len(env.Events) == 0 || !strings.Contains(env.Events[0].Title(), "decodeAtlas: Update blocked") {
			return false
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // no answer at all
		}
		return true
	})
	offline := newReporter(t, report.Options{SpoolDir: dir, MaxPerFingerprint: 100})
	offline.StallEnded(stuckStall(t, atAssets, stallSpec{}))
	save := stuckStall(t, atSave, stallSpec{})
	for range 5 {
		c := *save
		c.ID = stallIDs.Add(1)
		offline.StallEnded(&c)
	}
	offline.Close()
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	srv.WaitEvents(t, 5, 10*time.Second)
	for deadline := time.Now().Add(5 * time.Second); r.Stats().Sent != 5 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if st := r.Stats(); st.Sent != 5 {
		t.Errorf("stats %+v", st)
	}
	if files := spoolFiles(t, dir); len(files) != 1 {
		t.Errorf("spool %v, want the bad report only", files)
	}
}

// A spool file larger than MaxSpoolBytes is not read whole, and is not
// kept aside.
func TestHugeSpoolFileIsNotReadWhole(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "00000000000000000001-1-1aa.report.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"format":2,"junk":"`)
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for range 64 {
		f.Write(chunk)
	}
	f.WriteString(`"}`)
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir, MaxSpoolBytes: 1 << 20})
	r.Flush(5 * time.Second)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("reading a 64 MiB spool file allocated %d MiB", grew>>20)
	}
	if _, err := os.Stat(huge); err == nil {
		t.Error("the huge file is still queued")
	}
	if n := len(dirFiles(t, filepath.Join(dir, "corrupt"))); n != 0 {
		t.Errorf("%d files kept in corrupt/, over its bound", n)
	}
}

// corrupt/ keeps within a quarter of MaxSpoolBytes.
func TestCorruptFilesStayWithinBounds(t *testing.T) {
	dir := t.TempDir()
	junk := strings.Repeat("j", 60<<10)
	for i := range 20 {
		name := filepath.Join(dir, "0000000000000000000"+string(rune('a'+i))+"-1-1aa.report.json")
		os.WriteFile(name, []byte(junk), 0o600)
	}
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir, MaxSpoolBytes: 1 << 20})
	r.Flush(5 * time.Second)
	var total int64
	for _, name := range dirFiles(t, filepath.Join(dir, "corrupt")) {
		fi, _ := os.Stat(filepath.Join(dir, "corrupt", name))
		total += fi.Size()
	}
	if total == 0 || total > (1<<20)/4 {
		t.Errorf("corrupt/ holds %d bytes; want some, at most %d", total, (1<<20)/4)
	}
	if st := r.Stats(); st.Dropped != 20 {
		t.Errorf("stats %+v", st)
	}
}

// Deleting the spool directory during a run does not lose later reports.
func TestDeletedSpoolIsRecreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	r.StallEnded(stuckStall(t, atAssets, stallSpec{}))
	if !r.Flush(5 * time.Second) {
		t.Error("Flush failed")
	}
	if evs := srv.Events(); len(evs) != 1 {
		t.Errorf("%d events, want 1", len(evs))
	}
	if st := r.Stats(); st.Spooled != 1 || st.Sent != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A flush ends as soon as nothing more can be delivered in its time.
func TestFlushEndsWhenDeliveryFailed(t *testing.T) {
	r := newReporter(t, report.Options{DSN: "http://public@127.0.0.1:1/0", RetryBackoff: 30 * time.Second, FlushTimeout: 20 * time.Second})
	start := time.Now()
	r.ReportPanic("boom", 1, nil)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("ReportPanic waited %v with Sentry unreachable", d)
	}
}

// A Console that panics during Close is logged; the Reporter stays usable.
func TestPanickingConsoleDuringClose(t *testing.T) {
	r := newReporter(t, report.Options{Console: panicWriter{}})
	r.StallStarted(started(stuckStall(t, atAssets, stallSpec{})))
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Close()
		r.Stats()
		r.Close()
		r.StallEnded(stuckStall(t, atSave, stallSpec{}))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the Reporter deadlocked after a panicking Console")
	}
}

type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("console broke") }

// Options the previous version accepted silently are errors naming them,
// and no error shows the DSN's secret key or leaves a directory behind.
func TestMoreOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opts report.Options
		want []string
	}{
		{report.Options{RetryBackoff: time.Minute, MaxRetryBackoff: time.Second}, []string{"Options.MaxRetryBackoff", "Options.RetryBackoff"}},
		{report.Options{App: "   "}, []string{"Options.App"}},
		{report.Options{App: "game\x7f"}, []string{"Options.App"}},
		{report.Options{App: "ga\xffme"}, []string{"Options.App"}},
		{report.Options{DSN: "http://public@127.0.0.1:99999/0"}, []string{"Options.DSN", "99999"}},
	} {
		tc.opts.SpoolDir = t.TempDir()
		_, err := report.New(tc.opts)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("New(%+v) error %v, want one naming %s", tc.opts, err, w)
			}
		}
	}
	for _, dsn := range []string{"http://public:s3cr3t@127.0.0.1:99999/0", "http://public:s3cr3t@127.0.0.1:9/"} {
		_, err := report.New(report.Options{DSN: dsn, SpoolDir: t.TempDir()})
		if err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("New with DSN %s: error %v, want one without the secret", dsn, err)
		}
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	_, err := report.New(report.Options{App: strings.Repeat("a", 300)})
	if err == nil || !strings.Contains(err.Error(), "Options.App") {
		t.Errorf("300-character App: error %v", err)
	}
	if left := dirFiles(t, cache); len(left) != 0 {
		t.Errorf("a refused App left %v in the cache directory", left)
	}
}
