package report

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Release health. With Options.Session and a DSN, a Reporter's run is one
// Sentry session (develop.sentry.dev/sdk/telemetry/sessions/). Its whole
// state is kept in <stem>.session.json in the spool, locked by its process
// while it lives, and the install's distinct ID in install-id.json. A
// session file that nobody holds belongs to a dead process: whichever
// Reporter claims it first closes it (abnormal, unless it already ended)
// and deletes it once the server took the update, so it is counted once.
const (
	sessionSuffix = ".session.json"
	installFile   = "install-id.json"
	// sessionMaxAge is how long Sentry accepts updates of a session: "Sessions
	// can only be updated for a period of 5 days" (Sentry developer docs,
	// SDK telemetry, Sessions, Basic Operation; Relay's
	// max_session_secs_in_past). Older unsent sessions are dropped.
	sessionMaxAge = 5 * 24 * time.Hour
)

// The statuses of the published session schema, and the mechanism Sentry's
// Android SDK gives a session killed while the app did not respond.
const (
	statusOK       = "ok"
	statusExited   = "exited"
	statusCrashed  = "crashed"
	statusAbnormal = "abnormal"
	mechanismANR   = "anr_foreground"
)

// sessionState is a session as persisted: the update it would send now,
// plus what the server already has.
type sessionState struct {
	SID         string    `json:"sid"`
	DID         string    `json:"did"`
	Started     time.Time `json:"started"`
	Updated     time.Time `json:"updated"` // the last change: the update's timestamp
	Status      string    `json:"status"`
	Errors      int       `json:"errors"`
	Mechanism   string    `json:"abnormal_mechanism,omitempty"`
	Release     string    `json:"release"`
	Environment string    `json:"environment,omitempty"`
	Seq         int64     `json:"seq"`      // bumped by every change
	SentSeq     int64     `json:"sent_seq"` // the last Seq the server took; 0: none (init still due)
	// Inflight is the Seq of an update being sent. A process killed while
	// it waited for the answer may or may not have delivered it; whoever
	// closes the session takes it as delivered, so that a session is never
	// counted twice (init twice).
	Inflight int64 `json:"inflight,omitempty"`
	Stalled  bool  `json:"stalled"` // a stall is in progress: a kill now is an ANR
}

// sessionItem is the "session" envelope item of Sentry's developer docs.
type sessionItem struct {
	SID       string       `json:"sid"`
	DID       string       `json:"did,omitempty"`
	Init      bool         `json:"init"`
	Started   string       `json:"started"`
	Timestamp string       `json:"timestamp"`
	Duration  *float64     `json:"duration,omitempty"`
	Status    string       `json:"status"`
	Errors    int          `json:"errors"`
	Seq       int64        `json:"seq"`
	Mechanism string       `json:"abnormal_mechanism,omitempty"`
	Attrs     sessionAttrs `json:"attrs"`
}

type sessionAttrs struct {
	Release     string `json:"release"`
	Environment string `json:"environment,omitempty"`
}

// item encodes the state as a session update.
func (s *sessionState) item() []byte {
	it := sessionItem{
		SID: s.SID, DID: s.DID, Init: s.SentSeq == 0,
		Started: s.Started.UTC().Format(time.RFC3339Nano), Timestamp: s.Updated.UTC().Format(time.RFC3339Nano),
		Status: s.Status, Errors: s.Errors, Seq: s.Seq, Mechanism: s.Mechanism,
		Attrs: sessionAttrs{s.Release, s.Environment},
	}
	if s.Status == statusExited {
		d := max(s.Updated.Sub(s.Started), 0).Seconds()
		it.Duration = &d
	}
	b, _ := json.Marshal(it)
	return b
}

func (s *sessionState) terminal() bool { return s.Status != statusOK }

// session is this process's own session. Its methods are safe for
// concurrent use; a nil *session (no Options.Session, or no DSN) does
// nothing.
type session struct {
	sp  *spool
	log func(string, error)

	mu    sync.Mutex
	st    sessionState
	name  string
	f     *os.File // the locked file; nil once released
	dirty bool     // st.Seq > st.SentSeq
}

// startSession opens this run's session and persists its init update.
func startSession(c *core) *session {
	if !c.o.Session || c.send == nil {
		return nil
	}
	if c.o.release == "" {
		c.o.Logger.Warn("no release is set: release health sessions are off (Sentry requires a release)")
		return nil
	}
	did, err := installID(c.spool)
	if err != nil {
		c.problem("reading the install ID", err)
		return nil
	}
	now := time.Now()
	s := &session{sp: c.spool, log: c.problem, name: ""}
	s.st = sessionState{
		SID: newUUID(), DID: did, Started: now, Updated: now, Status: statusOK,
		Release: c.o.release, Environment: c.o.environment, Seq: 1,
	}
	s.name = s.st.SID + sessionSuffix
	s.dirty = true
	s.persist()
	return s
}

// change applies f to the session, if it has not ended, and persists it.
// A change the server sees (visible) is a new update to send; Stalled is
// only for whoever closes the session after a kill.
func (s *session) change(visible bool, f func(*sessionState) bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil || s.st.terminal() || !f(&s.st) {
		return
	}
	if visible {
		s.st.Seq++
		s.st.Updated = time.Now()
		s.dirty = true
	}
	s.persist()
}

// persist writes the state and keeps the new file locked. Called with mu
// held (or before the session is shared).
func (s *session) persist() {
	data, _ := json.Marshal(&s.st)
	f, err := s.sp.write(s.name, data, true)
	if err != nil {
		s.log("persisting the session", err)
		return
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f = f
}

// crash reports whether rec is a crash of its process: the session it
// belongs to ends crashed.
func (rec *record) crash() bool { return rec.Panic != nil || rec.Crash != nil }

// noted counts a report just spooled: a stall is an error of the session,
// a panic crashes it.
func (s *session) noted(rec *record) {
	s.change(true, func(st *sessionState) bool {
		st.Errors++
		if rec.crash() {
			st.Status = statusCrashed
		}
		return true
	})
}

// stalling records whether a stall is in progress, so that the process's
// death during it is told as an ANR.
func (s *session) stalling(on bool) {
	s.change(false, func(st *sessionState) bool {
		changed := st.Stalled != on
		st.Stalled = on
		return changed
	})
}

// end closes the session with status (exited at Close).
func (s *session) end(status string) {
	s.change(true, func(st *sessionState) bool {
		st.Status, st.Stalled = status, false
		return true
	})
}

// id is the session's ID, "" without one.
func (s *session) id() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.SID
}

// pending returns the update to send, or nil when the server has it, and
// persists that it is in flight.
func (s *session) pending() (item []byte, seq int64) {
	if s == nil {
		return nil, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty || s.f == nil {
		return nil, 0
	}
	item = s.st.item()
	s.st.Inflight = s.st.Seq
	s.persist()
	return item, s.st.Seq
}

// sent records the answer to the update numbered seq.
func (s *session) sent(seq int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Inflight = 0
	if ok && seq > s.st.SentSeq {
		s.st.SentSeq = seq
		s.dirty = s.st.Seq > seq
	}
	if s.f != nil {
		s.persist()
	}
}

// release lets go of the session file at Close: deleted when the server
// has the final update, else left for a later run to send.
func (s *session) release() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return
	}
	if !s.dirty && s.st.terminal() {
		s.sp.remove(s.name)
		s.sp.syncDir()
	}
	s.f.Close()
	s.f = nil
}

// installID returns the install's random distinct ID, creating it once.
// The file is linked into place complete, so two processes racing both end
// up with the one that was written first.
func installID(sp *spool) (string, error) {
	for range 3 {
		data, err := sp.r().ReadFile(installFile)
		if err == nil {
			var v struct {
				DID string `json:"did"`
			}
			if json.Unmarshal(data, &v) == nil && len(v.DID) == 36 {
				return v.DID, nil
			}
			sp.remove(installFile) // unreadable: start over
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		data, _ = json.Marshal(map[string]string{"did": newUUID()})
		tmp := "." + installFile + "." + randomHex(4) + ".tmp"
		if _, err := sp.write(tmp, data, false); err != nil {
			return "", err
		}
		err = sp.r().Link(tmp, installFile)
		sp.remove(tmp)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", errors.New("the install ID file keeps changing")
}

// newUUID returns a random (version 4) UUID, the form Sentry wants for sid.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// sessionFiles lists the spool's session files, oldest first.
func (s *spool) sessionFiles() ([]string, error) {
	d, err := s.r().Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, sessionSuffix) && !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, err
}
