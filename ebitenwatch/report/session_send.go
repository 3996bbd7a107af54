package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/getsentry/sentry-go"
)

// How session updates travel. sentry-go v0.50 has no sessions, and builds
// its envelopes in unexported code. An update that goes with an event is
// appended to the envelope sentry-go built, by the observer under its
// HTTPSyncTransport (appendItems), so it shares the event's request, proxy,
// TLS and rate limits. An update with no event to go with it (start,
// Close, a dead process's session) is an envelope of its own, posted
// through the same observer and base http.RoundTripper.

// appendItems adds envelope items to an envelope.
func appendItems(env []byte, items [][]byte) []byte {
	if len(items) == 0 {
		return env
	}
	out := env[:len(env):len(env)]
	if !bytes.HasSuffix(out, []byte("\n")) { // each item ends with a newline
		out = append(out, '\n')
	}
	for _, it := range items {
		out = fmt.Appendf(out, "{\"type\":\"session\",\"length\":%d}\n", len(it))
		out = append(append(out, it...), '\n')
	}
	return out
}

// sendSessionOnly posts an envelope holding only session updates.
func (s *sender) sendSessionOnly(ctx context.Context, items [][]byte) result {
	dsn, err := sentry.NewDsn(s.client.Options().Dsn)
	if err != nil {
		return result{outcome: refused, err: err}
	}
	head, _ := json.Marshal(map[string]any{
		"sent_at": time.Now().UTC().Format(time.RFC3339Nano), "dsn": dsn.String(),
		"sdk": map[string]string{"name": "sentry.go", "version": sentry.SDKVersion},
	})
	env := appendItems(append(head, '\n'), items)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dsn.GetAPIURL().String(), bytes.NewReader(env))
	if err != nil {
		return result{outcome: refused, err: err}
	}
	auth := "Sentry sentry_version=7, sentry_client=sentry.go/" + sentry.SDKVersion + ", sentry_key=" + dsn.GetPublicKey()
	if sk := dsn.GetSecretKey(); sk != "" {
		auth += ", sentry_secret=" + sk
	}
	req.Header.Set("User-Agent", "sentry.go/"+sentry.SDKVersion)
	req.Header.Set("Content-Type", "application/x-sentry-envelope")
	req.Header.Set("X-Sentry-Auth", auth)
	s.obs.begin(nil)
	resp, err := s.http.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return s.classify(true, s.obs.end())
}

// sessionFor returns the session update to send with rec's event, and what
// to do once the server answered (nil when there is none): the update of
// this run's session, or the closing update of a dead process's session,
// which it claims until then.
func (r *courier) sessionFor(rec *record) ([]byte, func(bool)) {
	switch {
	case rec.Session == "":
		return nil, nil
	case rec.Session == r.sess.id():
		item, seq := r.sess.pending()
		if item == nil {
			return nil, nil
		}
		return item, func(ok bool) { r.sess.sent(seq, ok) }
	}
	name := rec.Session + sessionSuffix
	f, st := r.claimDeadSession(name, rec)
	if st == nil {
		return nil, nil
	}
	return st.item(), func(ok bool) { r.settleDead(name, f, st, ok) }
}

// claimDeadSession claims a session file whose process died and returns it
// with its closing update; nil when it is gone, held, or sent already.
// When the update goes with the event of rec, that event is one more error
// of the session, and a crash ends it crashed rather than abnormal.
func (r *courier) claimDeadSession(name string, rec *record) (*os.File, *sessionState) {
	f, err := r.spool.claim(name)
	if err != nil || f == nil {
		return nil, nil
	}
	data, err := r.spool.read(f)
	st := new(sessionState)
	if err == nil {
		err = json.Unmarshal(data, st)
	}
	st.SentSeq, st.Inflight = max(st.SentSeq, st.Inflight), 0
	switch {
	case err != nil || st.SID == "" || st.Started.IsZero():
		r.o.Logger.Warn("unreadable session file deleted", "file", r.spool.path(name), "err", err)
	case time.Since(st.Started) > sessionMaxAge:
		r.o.Logger.Warn("session older than Sentry accepts (5 days) dropped", "file", r.spool.path(name), "status", st.Status)
	case st.terminal() && st.SentSeq >= st.Seq:
		// the server has its last update
	default:
		if !st.terminal() {
			st.Status, st.Seq = statusAbnormal, st.Seq+1
			if st.Stalled {
				st.Mechanism = mechanismANR
			}
			if rec != nil {
				st.Errors++
			}
			if rec != nil && rec.crash() {
				st.Status, st.Mechanism = statusCrashed, ""
			}
		}
		inflight := *st
		inflight.Inflight = st.Seq
		if err := r.rewriteSession(name, &inflight); err != nil {
			r.o.Logger.Warn("cannot mark a dead process's session as being sent; leaving it", "file", r.spool.path(name), "err", err)
			f.Close()
			return nil, nil
		}
		return f, st
	}
	r.spool.remove(name)
	f.Close()
	return nil, nil
}

// rewriteSession rewrites a claimed session file in place, so that it
// stays locked by the claim.
func (r *courier) rewriteSession(name string, st *sessionState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	w, err := r.spool.r().OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer w.Close()
	return rewrite(w, data)
}

// settleDead deletes a dead process's session file once the server took
// its closing update, and lets go of it.
func (r *courier) settleDead(name string, f *os.File, st *sessionState, ok bool) {
	if ok {
		r.spool.remove(name)
		r.spool.syncDir()
		r.o.Logger.Info("closed the session of a process that died", "sid", st.SID, "status", st.Status, "abnormal_mechanism", st.Mechanism)
	} else if err := r.rewriteSession(name, st); err != nil { // no longer in flight
		r.problem("rewriting a dead process's session", err)
	}
	f.Close()
}

// passSessions sends what session updates are due without an event: this
// run's, and those of dead processes. It returns how many are left and
// when to try again. It runs on the delivery goroutine only.
func (r *courier) passSessions(force bool) (pending int, again time.Time) {
	if r.send == nil {
		return 0, again
	}
	now := time.Now()
	if !force && now.Before(r.sessRetry) {
		return 1, r.sessRetry
	}
	if item, seq := r.sess.pending(); item != nil {
		if !r.sendSessions(item, func(ok bool) { r.sess.sent(seq, ok) }) {
			return 1, r.sessRetry
		}
	}
	names, err := r.spool.sessionFiles()
	if err != nil {
		r.problem("listing the spool's sessions", err)
	}
	own := r.sess.id() + sessionSuffix
	for _, name := range names {
		if name == own || closing(r.quit) {
			continue
		}
		f, st := r.claimDeadSession(name, nil)
		if st != nil && !r.sendSessions(st.item(), func(ok bool) { r.settleDead(name, f, st, ok) }) {
			return 1, r.sessRetry
		}
	}
	return 0, again
}

// sendSessions sends one update on its own and settles it; false when it
// must be tried again (from r.sessRetry on).
func (r *courier) sendSessions(item []byte, settle func(bool)) bool {
	res := r.send.sendSessionOnly(r.ctx, [][]byte{item})
	settle(res.outcome == accepted || res.outcome == refused)
	switch res.outcome {
	case accepted:
		r.sessFails = 0
		return true
	case refused:
		r.o.Logger.Warn("server refused a session update", "status", res.status, "err", res.err)
		return true
	case rateLimited:
		r.sessRetry = res.retryAt
	default:
		r.sessRetry = time.Now().Add(r.backoff(r.sessFails))
		r.sessFails++
	}
	return false
}
