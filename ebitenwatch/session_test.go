package ebitenwatch_test

import (
	"bytes"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/internal/sentrytest"
	"github.com/hajimehoshi/ebiten/v2"
)

func init() {
	children["session-frozen"] = runSessionFrozen
}

// runSessionFrozen runs a game that freezes once in Update, reporting to
// the DSN in FRAMEWATCH_TEST_DSN, and prints the session summary log.
func runSessionFrozen() int {
	var log bytes.Buffer
	o := childOptions()
	o.Report.DSN, o.Report.Release = os.Getenv("FRAMEWATCH_TEST_DSN"), "game@2.0.0"
	o.Logger = slog.New(slog.NewTextHandler(&log, nil))
	w, err := ebitenwatch.New(o)
	if err != nil {
		return 1
	}
	ebiten.SetWindowSize(320, 240)
	ebiten.RunGame(w.Wrap(&blockingGame{phase: "update"}))
	w.Close()
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "session summary") {
			os.Stdout.WriteString(line + "\n")
		}
	}
	return 0
}

// A game's run is one session: its Frozen Frame carries the session's
// update and frame vitals, it exits with the count, and the summary at
// Close counts slow frames.
func TestGameRunIsOneSessionWithVitals(t *testing.T) {
	t.Parallel()
	srv := sentrytest.New(t)
	out, _, err := child(t, "session-frozen", "FRAMEWATCH_TEST_DSN="+srv.DSN())
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	// A loaded machine may add stalls of its own; the game's is in Update.
	evs := srv.Events()
	i := slices.IndexFunc(evs, func(e *sentrytest.Event) bool {
		return e.Tags["phase"] == "Update" && e.Exception[0].Type == "Frozen Frame"
	})
	if i < 0 {
		t.Fatalf("no Frozen Frame in Update among %d events\n%s", len(evs), out)
	}
	v := evs[i].Contexts["session_vitals"]
	if v["frames"].(float64) < 10 || v["slow_frame_budget_ms"] != 16.666 || v["frame_time_p50_ms"].(float64) <= 0 {
		t.Errorf("session_vitals %v", v)
	}
	ss := srv.Sessions()
	if len(ss) < 2 || !ss[0].Init || ss[len(ss)-1].Status != "exited" || ss[len(ss)-1].Errors < 1 {
		t.Fatalf("%d session updates\n%s", len(ss), out)
	}
	for _, s := range ss {
		if s.SID != ss[0].SID || s.Attrs["release"] != "game@2.0.0" {
			t.Errorf("update of another session or release: %s", s.Raw)
		}
	}
	if !strings.Contains(out, " slow=") || !strings.Contains(out, "slow_budget=16.666") {
		t.Errorf("session summary has no slow frames:\n%s", out)
	}
}
