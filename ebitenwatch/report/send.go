package report

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getsentry/sentry-go"
)

const (
	httpTimeout = 30 * time.Second
	// defaultRetryAfter is sentry-go's wait for a 429 without a usable
	// Retry-After header.
	defaultRetryAfter = 60 * time.Second
)

// outcome is what became of one delivery attempt.
type outcome int

const (
	accepted    outcome = iota // the server answered 2xx
	discarded                  // the client dropped it on purpose (BeforeSend, sampling)
	rateLimited                // 429, or sentry-go held it back for an earlier 429
	netError                   // no answer
	serverError                // 5xx
	refused                    // another 4xx: the server will never take it
)

func (o outcome) String() string {
	return [...]string{"accepted", "discarded", "rate limited", "network error", "server error", "refused"}[o]
}

// sender delivers events through a sentry-go Client whose transport is
// sentry-go's HTTPSyncTransport, so that each CaptureEvent call returns
// after the HTTP exchange. An http.RoundTripper underneath observes the
// answer; sentry-go itself parses 429, Retry-After and X-Sentry-Rate-Limits
// and refuses to send while a limit lasts.
type sender struct {
	client *sentry.Client
	obs    *observer
	http   *http.Client // obs over the base transport, for session-only envelopes
}

func newSender(o resolved, ctx context.Context) (*sender, error) {
	var opts sentry.ClientOptions
	if c := o.client(); c != nil {
		opts = c.Options()
	}
	var base http.RoundTripper
	switch {
	case opts.HTTPClient != nil && opts.HTTPClient.Transport != nil:
		base = opts.HTTPClient.Transport
	case opts.HTTPTransport != nil:
		base = opts.HTTPTransport
	default:
		t := http.DefaultTransport.(*http.Transport).Clone()
		switch {
		case opts.HTTPSProxy != "":
			u, err := url.Parse(opts.HTTPSProxy)
			if err == nil {
				t.Proxy = http.ProxyURL(u)
			}
		case opts.HTTPProxy != "":
			u, err := url.Parse(opts.HTTPProxy)
			if err == nil {
				t.Proxy = http.ProxyURL(u)
			}
		}
		if opts.CaCerts != nil {
			t.TLSClientConfig = &tls.Config{RootCAs: opts.CaCerts}
		}
		base = t
	}
	obs := &observer{base: base, ctx: ctx, normalize: loopback(o.dsn)}
	opts.Dsn = o.dsn
	hc := &http.Client{Transport: obs, Timeout: httpTimeout}
	opts.HTTPClient = hc
	opts.HTTPTransport = nil
	tr := sentry.NewHTTPSyncTransport()
	tr.Timeout = httpTimeout
	opts.Transport = tr
	opts.DisableTelemetryBuffer = true
	client, err := sentry.NewClient(opts)
	if err != nil {
		return nil, fmt.Errorf("report: Options.DSN: %w", err)
	}
	return &sender{client: client, obs: obs, http: hc}, nil
}

// result of one send.
type result struct {
	outcome outcome
	status  int
	err     error
	retryAt time.Time // for rateLimited
}

// send delivers ev, with the session update items appended to its
// envelope, and reports whether the server accepted it. It must be called
// from one goroutine at a time.
func (s *sender) send(ev *sentry.Event, sessions [][]byte) result {
	s.obs.begin(sessions)
	id := s.client.CaptureEvent(ev, nil, nil)
	return s.classify(id != nil, s.obs.end())
}

// classify reads what became of one request.
func (s *sender) classify(captured bool, a attempt) result {
	switch {
	case !captured:
		return result{outcome: discarded}
	case !a.called:
		// sentry-go did not send: a rate limit from an earlier answer.
		return result{outcome: rateLimited, retryAt: s.obs.limit(time.Second)}
	case a.err != nil:
		return result{outcome: netError, err: a.err}
	case a.status >= 200 && a.status < 300:
		return result{outcome: accepted, status: a.status}
	case a.status == http.StatusTooManyRequests:
		return result{outcome: rateLimited, status: a.status, retryAt: s.obs.limit(defaultRetryAfter)}
	case a.status >= 500:
		return result{outcome: serverError, status: a.status, err: fmt.Errorf("server answered %d", a.status)}
	}
	return result{outcome: refused, status: a.status, err: fmt.Errorf("server answered %d", a.status)}
}

func (s *sender) close() { s.client.Close() }

type attempt struct {
	called bool
	status int
	err    error
}

// observer is the http.RoundTripper under sentry-go's transport. It records
// the answer to each request, keeps the one rate-limit deadline the
// Reporter waits for (sentry-go keeps its own but does not tell it), lets
// Close cancel a request in flight, and normalizes the envelope for
// Spotlight (see normalizeEnvelope).
type observer struct {
	base      http.RoundTripper
	ctx       context.Context
	normalize bool // rewrite envelopes for Spotlight (see normalizeEnvelope)

	mu      sync.Mutex
	cur     attempt
	extra   [][]byte // session items to append to the next envelope
	limited time.Time
}

func (o *observer) begin(extra [][]byte) {
	o.mu.Lock()
	o.cur, o.extra = attempt{}, extra
	o.mu.Unlock()
}

func (o *observer) end() attempt {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cur
}

// limit returns when the rate limit the last answer set ends, making it
// at least fallback from now if that answer set none that lasts.
func (o *observer) limit(fallback time.Duration) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	if now := time.Now(); !o.limited.After(now) {
		o.limited = now.Add(fallback)
	}
	return o.limited
}

// limitedUntil is when delivery may resume after a rate limit: a little
// after it ends, so that sentry-go's own clock for it has run out too.
func (s *sender) limitedUntil() time.Time {
	s.obs.mu.Lock()
	defer s.obs.mu.Unlock()
	if s.obs.limited.IsZero() {
		return time.Time{}
	}
	return s.obs.limited.Add(50 * time.Millisecond)
}

func (o *observer) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	body = appendItems(body, o.extra)
	o.mu.Unlock()
	if o.normalize {
		body = normalizeEnvelope(body)
	}
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(o.ctx, cancel)
	out := req.Clone(ctx)
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))

	resp, err := o.base.RoundTrip(out)
	o.mu.Lock()
	o.cur.called = true
	o.cur.err = err
	if resp != nil {
		o.cur.status = resp.StatusCode
		if until := rateLimitDeadline(resp, time.Now()); until.After(o.limited) {
			o.limited = until
		}
	}
	o.mu.Unlock()
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, done: func() { stop(); cancel() }}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// loopback reports whether dsn points at this machine, where Spotlight
// runs; only there are envelopes normalized.
func loopback(dsn string) bool {
	u, err := url.Parse(dsn)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// rateLimitDeadline reads when a rate limit that applies to error events
// ends, the way sentry-go does: X-Sentry-Rate-Limits first, else
// Retry-After on a 429. The zero time means no limit.
func rateLimitDeadline(resp *http.Response, now time.Time) time.Time {
	var until time.Time
	if h := resp.Header.Get("X-Sentry-Rate-Limits"); h != "" {
		for _, limit := range strings.Split(h, ",") {
			parts := strings.Split(strings.TrimSpace(limit), ":")
			if len(parts) < 2 {
				continue
			}
			secs, err := strconv.ParseFloat(parts[0], 64)
			if err != nil || secs < 0 {
				continue
			}
			applies := parts[1] == ""
			for _, c := range strings.Split(parts[1], ";") {
				if c == "error" || c == "default" {
					applies = true
				}
			}
			if t := now.Add(time.Duration(secs * float64(time.Second))); applies && t.After(until) {
				until = t
			}
		}
		return until
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return until
	}
	ra := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if secs, err := strconv.ParseFloat(ra, 64); err == nil && secs >= 0 {
		return now.Add(time.Duration(secs * float64(time.Second)))
	}
	if t, err := http.ParseTime(ra); err == nil {
		return t
	}
	return now.Add(defaultRetryAfter)
}

// normalizeEnvelope rewrites the event item of an envelope as sentry-go
// v0.50.0 builds it into the form the Sentry protocol documents: an event's
// "exception" and "threads" are bare lists, and the documented form is
// {"values": [...]}. Sentry accepts both, but Spotlight 4.11.8 answers 500
// to an exception list (after storing the event, and its UI cannot title
// it), which would make the reporter resend an event Spotlight had already
// stored. The item's length is recomputed; attachments pass unchanged. It
// is applied only to a loopback DSN, where Spotlight runs.
// Anything it cannot parse is sent as it is.
func normalizeEnvelope(env []byte) []byte {
	out, err := rewriteEnvelope(env)
	if err != nil {
		return env
	}
	return out
}

func rewriteEnvelope(env []byte) ([]byte, error) {
	line := func(b []byte) (first, rest []byte) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[:i], b[i+1:]
		}
		return b, nil
	}
	header, rest := line(env)
	var out bytes.Buffer
	out.Write(header)
	out.WriteByte('\n')
	for len(rest) > 0 {
		var ih []byte
		ih, rest = line(rest)
		if len(bytes.TrimSpace(ih)) == 0 {
			continue
		}
		var h map[string]any
		if err := json.Unmarshal(ih, &h); err != nil {
			return nil, err
		}
		typ, _ := h["type"].(string)
		n, hasLen := h["length"].(float64)
		var payload []byte
		switch {
		case !hasLen:
			payload, rest = line(rest)
		default:
			if int(n) > len(rest) || n < 0 {
				return nil, errors.New("item longer than the envelope")
			}
			payload, rest = rest[:int(n)], rest[int(n):]
			if len(rest) > 0 && rest[0] == '\n' {
				rest = rest[1:]
			}
		}
		if typ == "event" {
			p, err := wrapException(payload)
			if err != nil {
				return nil, err
			}
			payload = p
		}
		if hasLen {
			h["length"] = len(payload)
			b, err := json.Marshal(h)
			if err != nil {
				return nil, err
			}
			ih = b
		}
		out.Write(ih)
		out.WriteByte('\n')
		out.Write(payload)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

func wrapException(payload []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, err
	}
	changed := false
	for _, k := range []string{"exception", "threads"} {
		v := bytes.TrimSpace(m[k])
		if len(v) == 0 || v[0] != '[' {
			continue
		}
		m[k] = append(append([]byte(`{"values":`), v...), '}')
		changed = true
	}
	if !changed {
		return payload, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
