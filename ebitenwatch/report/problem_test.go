package report_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

// Failed loads of many files in one folder with one error type are one
// group, limited by MaxPerFingerprint; another error type is another.
func TestLoadFailedGroupsByPatternAndType(t *testing.T) {
	srv := sentrytest.New(t)
	r := newReporter(t, report.Options{DSN: srv.DSN(), MaxPerFingerprint: 2})
	for i := range 4 {
		key := fmt.Sprintf("backgrounds/level%d.png", i)
		r.ReportLoadFailed(report.LoadFailure{Key: key, Stage: "Fetch", Err: fmt.Errorf("decoding %s: %w", key, png.FormatError("bad header"))})
	}
	r.ReportLoadFailed(report.LoadFailure{Key: "backgrounds/level9.png", Stage: "Fetch", Err: fmt.Errorf("reading: %w", png.UnsupportedError("interlace"))})
	r.Close()
	evs := srv.WaitEvents(t, 3, 5*time.Second)
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3 (2 of the first group, 1 of the second)", len(evs))
	}
	groups := map[string]int{}
	for _, ev := range evs {
		groups[strings.Join(ev.Fingerprint, "|")]++
	}
	want := map[string]int{
		"framewatch-problem|Load Failed|Fetch|backgrounds/*.png|png.FormatError":      2,
		"framewatch-problem|Load Failed|Fetch|backgrounds/*.png|png.UnsupportedError": 1,
	}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Errorf("fingerprints %v, want %v", groups, want)
	}
	if s := r.Stats(); s.Suppressed != 2 {
		t.Errorf("Stats.Suppressed %d, want 2", s.Suppressed)
	}
}

// Without a DSN, each report is printed with its title and kept in the
// spool; a later Reporter with a DSN sends it as it was.
func TestProblemReportsSpooledWithoutDSN(t *testing.T) {
	dir := t.TempDir()
	var console bytes.Buffer
	r := newReporter(t, report.Options{SpoolDir: dir, Console: &console})
	r.ReportLoadStalled(report.LoadStall{Key: "music/theme.ogg", Stage: "Fetch", Progress: 0.25, For: 5 * time.Second})
	r.ReportUnusable("disconnected", fmt.Errorf("dial: connection refused"))
	r.Close()
	for _, title := range []string{
		"framewatch: Loading Stalled: music/theme.ogg: no progress for 5.0 s at 25% (Fetch)",
		"framewatch: Game Unusable: disconnected: dial: connection refused",
	} {
		if !strings.Contains(console.String(), title) {
			t.Errorf("console lacks %q:\n%s", title, console.String())
		}
	}
	srv := sentrytest.New(t)
	r2 := newReporter(t, report.Options{SpoolDir: dir, DSN: srv.DSN()})
	evs := srv.WaitEvents(t, 2, 5*time.Second)
	r2.Close()
	got := map[string]string{}
	for _, ev := range evs {
		got[ev.Exception[0].Type] = ev.Level
	}
	if got[report.TypeLoadingStalled] != "warning" || got[report.TypeGameUnusable] != "error" {
		t.Errorf("types and levels %v", got)
	}
}
