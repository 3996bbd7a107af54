package report

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// TestToEvent is the table of record → event: a stall's tier sets type,
// level, handled, the tier everywhere it appears, and the fingerprint; a
// fatal hang is the same record with its tier set; a panic is a crash.
func TestToEvent(t *testing.T) {
	o := &resolved{release: "game@1", environment: "qa"}
	stall := func(tier watchdog.Tier) *record {
		rec := o.base()
		s := fakeStall(1)
		s.Tier = tier
		s.Hitches = []watchdog.HitchCulprit{{Function: "main.save", Count: 3, Total: 450 * time.Millisecond}}
		rec.setStall(s)
		return rec
	}
	panicked := o.base()
	panicked.setPanic(&json.SyntaxError{}, watchdog.PhaseDraw, nil, watchdog.InAppRule{})
	for _, tc := range []struct {
		name    string
		rec     *record
		typ     string
		level   sentry.Level
		handled bool
		tier    string // "" for a panic
	}{
		{"frozen", stall(watchdog.TierFrozen), TypeFrozenFrame, sentry.LevelWarning, true, "frozen"},
		{"hang", stall(watchdog.TierHang), TypeAppHanging, sentry.LevelError, true, "hang"},
		{"fatal", stall(watchdog.TierHang).asFatal(), TypeFatalAppHang, sentry.LevelFatal, false, "fatal"},
		{"panic", panicked, "*json.SyntaxError", sentry.LevelFatal, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := json.Marshal(tc.rec)
			ev := toEvent(tc.rec)
			if after, _ := json.Marshal(tc.rec); string(after) != string(before) {
				t.Error("toEvent changed its record")
			}
			ex := ev.Exception[0]
			if ex.Type != tc.typ || ev.Level != tc.level || *ex.Mechanism.Handled != tc.handled {
				t.Errorf("type %q level %q handled %v", ex.Type, ev.Level, *ex.Mechanism.Handled)
			}
			if ev.EventID != tc.rec.ID || ev.Release != "game@1" || ev.Environment != "qa" || ev.Contexts["framewatch"] == nil {
				t.Errorf("id %q release %q env %q contexts %v", ev.EventID, ev.Release, ev.Environment, ev.Contexts)
			}
			if tc.tier == "" {
				if ex.Mechanism.Type != MechanismPanic || ev.Tags["phase"] != "Draw" || ev.Fingerprint != nil {
					t.Errorf("panic mechanism %+v tags %v fingerprint %v", ex.Mechanism, ev.Tags, ev.Fingerprint)
				}
				return
			}
			want := []string{fingerprintTag, tc.tier, "Update", "main.loadAllAssets", "main.(*Game).Update"}
			if !slices.Equal(ev.Fingerprint, want) {
				t.Errorf("fingerprint %q, want %q", ev.Fingerprint, want)
			}
			if ex.Mechanism.Type != MechanismAppHang || ex.Mechanism.Data["tier"] != tc.tier || ev.Tags["stall.tier"] != tc.tier || ev.Contexts["stall"]["tier"] != tc.tier {
				t.Errorf("tier: mechanism %+v tag %q context %v", ex.Mechanism, ev.Tags["stall.tier"], ev.Contexts["stall"]["tier"])
			}
			if want := "main.loadAllAssets: Update blocked for at least 2.0 s (lock)"; ex.Value != want {
				t.Errorf("value %q, want %q", ex.Value, want)
			}
			if ev.Contexts["frame"]["duration_ms"] != 2000.0 || (ev.Contexts["stall"]["killed"] == true) != (tc.tier == "fatal") {
				t.Errorf("frame %v stall %v", ev.Contexts["frame"], ev.Contexts["stall"])
			}
			top, _ := ev.Contexts["hitches"]["top"].([]map[string]any)
			if len(top) != 1 || top[0]["function"] != "main.save" || top[0]["count"] != 3 || top[0]["total_ms"] != 450.0 {
				t.Errorf("hitches context %v, want the session's top hitch culprit", ev.Contexts["hitches"])
			}
			if tc.rec.title() != ex.Type+": "+ex.Value {
				t.Errorf("title %q", tc.rec.title())
			}
		})
	}
}
