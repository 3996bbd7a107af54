package report_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

// Reports spooled by the previous version (record format 1, in
// testdata/format1, written by it) are still sent after an upgrade: a
// finished report as it was, and the in-progress stall of a process that
// died as a Fatal App Hang.
func TestFormat1SpoolIsSent(t *testing.T) {
	dir := t.TempDir()
	files, _ := filepath.Glob("testdata/format1/*.json")
	if len(files) != 2 {
		t.Fatalf("testdata: %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		m["created"], _ = json.Marshal(time.Now()) // within Sentry's 30 days
		data, _ = json.Marshal(m)
		os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600)
	}
	srv := newSentry(t)
	r := newReporter(t, report.Options{DSN: srv.DSN(), SpoolDir: dir})
	if !r.Flush(5 * time.Second) {
		t.Fatal("Flush failed")
	}
	evs := srv.Events()
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	byType := map[string]*sentrytest.Event{}
	for _, e := range evs {
		byType[e.Exception[0].Type] = e
	}
	if e := byType["App Hanging"]; e == nil || e.Fingerprint[3] != testPkg+"writeSlot" || len(e.Attachments["goroutines.txt"].Data) == 0 {
		t.Errorf("the finished report: %+v", e)
	}
	fatal := byType["Fatal App Hang"]
	if fatal == nil {
		t.Fatalf("no Fatal App Hang among %v", byType)
	}
	assertFatal(t, fatal)
	if fatal.Exception[0].Mechanism.Data["tier"] != "fatal" || fatal.Contexts["stall"]["detected_tier"] != "frozen" {
		t.Errorf("fatal hang mechanism %+v, stall context %v", fatal.Exception[0].Mechanism, fatal.Contexts["stall"])
	}
	if len(spoolFiles(t, dir)) != 0 {
		t.Error("spool not empty")
	}
}
