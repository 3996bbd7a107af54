package report

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/getsentry/sentry-go"
)

// legacyRecord is spool format 1, written by the previous version: the
// Sentry event itself, with what a fatal hang needed beside it. Such files
// are still sent; a format-1 in-progress stall becomes a Fatal App Hang by
// patching its event, as that version did.
type legacyRecord struct {
	Format      int             `json:"format"`
	Created     time.Time       `json:"created"`
	PID         int             `json:"pid"`
	Event       json.RawMessage `json:"event"`
	Attachments []attachment    `json:"attachments,omitempty"`
	Stall       *legacyStall    `json:"stall,omitempty"`
}

type legacyStall struct {
	Phase    string        `json:"phase"`
	Tier     string        `json:"tier"`
	Class    string        `json:"class"`
	Culprit  string        `json:"culprit"`
	Duration time.Duration `json:"duration_ns"`
	Detected string        `json:"detected,omitempty"`
}

// encodeLegacy writes a format-1 record back in format 1, as a fatal hang
// when its tier was set to fatal.
func encodeLegacy(rec *record) ([]byte, error) {
	ev := legacyEvent(rec)
	ev.Attachments = nil
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	old := legacyRecord{Format: 1, Created: rec.Created, PID: rec.PID, Event: b, Attachments: rec.Attachments}
	if st := rec.Stall; st != nil {
		old.Stall = &legacyStall{Phase: st.Phase, Tier: st.Tier, Class: st.Class, Culprit: st.Culprit.Function, Duration: st.Duration, Detected: st.Detected}
	}
	return json.Marshal(old)
}

func decodeLegacy(data []byte) (*record, error) {
	var old legacyRecord
	if err := json.Unmarshal(data, &old); err != nil {
		return nil, err
	}
	if len(old.Event) == 0 {
		return nil, errors.New("no event")
	}
	if old.Created.IsZero() {
		return nil, errors.New("no creation time")
	}
	ev := new(sentry.Event)
	if err := json.Unmarshal(old.Event, ev); err != nil {
		return nil, err
	}
	if ev.Tags == nil {
		ev.Tags = map[string]string{}
	}
	if ev.Contexts == nil {
		ev.Contexts = map[string]sentry.Context{}
	}
	rec := &record{Format: 1, ID: ev.EventID, Created: old.Created, PID: old.PID, Attachments: old.Attachments, legacy: ev}
	if m := old.Stall; m != nil {
		rec.Stall = &stallRecord{Tier: m.Tier, Detected: m.Detected, Phase: m.Phase, Class: m.Class, Duration: m.Duration}
		rec.Stall.Culprit.Function = m.Culprit
	}
	return rec, nil
}

// legacyEvent is the event of a format-1 record; for a stall whose process
// died (tier fatal) it is patched into a Fatal App Hang.
func legacyEvent(rec *record) *sentry.Event {
	ev := *rec.legacy
	ev.Tags, ev.Contexts = cloneMap(ev.Tags), cloneMap(ev.Contexts)
	for _, a := range rec.Attachments {
		ev.Attachments = append(ev.Attachments, &sentry.Attachment{Filename: a.Filename, ContentType: a.ContentType, Payload: a.Data})
	}
	fw := cloneMap(ev.Contexts["framewatch"])
	before, _ := fw["spool_dropped_before"].(float64)
	fw["spool_dropped_before"] = int(before) + rec.Counts.SpoolDroppedBefore
	ev.Contexts["framewatch"] = fw
	st := rec.Stall
	if st == nil || st.Tier != tierFatal || len(ev.Exception) == 0 {
		return &ev
	}
	ev.Exception = append([]sentry.Exception(nil), ev.Exception...)
	ev.Exception[0].Type = TypeFatalAppHang
	ev.Exception[0].Value = (&record{Stall: st}).exception().Value
	ev.Exception[0].Mechanism = &sentry.Mechanism{Type: MechanismAppHang, Handled: sentry.Pointer(false),
		Data: map[string]any{"phase": st.Phase, "class": st.Class, "tier": tierFatal}}
	ev.Level = sentry.LevelFatal
	if len(ev.Fingerprint) > 1 && ev.Fingerprint[0] == fingerprintTag {
		ev.Fingerprint = append([]string{fingerprintTag, tierFatal}, ev.Fingerprint[2:]...)
	}
	ev.Tags["stall.tier"] = tierFatal
	stall := cloneMap(ev.Contexts["stall"])
	stall["killed"], stall["tier"], stall["detected_tier"] = true, tierFatal, st.Detected
	ev.Contexts["stall"] = stall
	return &ev
}

func cloneMap[M ~map[K]V, K comparable, V any](m M) M {
	out := make(M, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
