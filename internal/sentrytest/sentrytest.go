// Package sentrytest is a Sentry server for tests: it accepts envelopes on
// the store path of project 0, decodes them strictly as Relay does, and
// keeps the events, attachments and session updates it received, so a test
// can read back exactly what a real Sentry would have been sent.
//
//	srv := sentrytest.New(t)
//	os.Setenv("SENTRY_DSN", srv.DSN())
//	...
//	ev := srv.WaitEvents(t, 1, 10*time.Second)[0]
//
// A test can make the server fail or answer late (SetRespond) to model an
// outage, a rate limit, a slow server or one that rejects a report, and can
// hold a sender to the documented event form (RequireValuesForm).
package sentrytest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Frame is one stack frame of an event, as sent.
type Frame struct {
	Function string `json:"function"`
	Module   string `json:"module"`
	Filename string `json:"filename"`
	AbsPath  string `json:"abs_path"`
	Lineno   int    `json:"lineno"`
	InApp    *bool  `json:"in_app"`
}

// Stack is a stack trace, frames oldest first as Sentry orders them.
type Stack struct {
	Frames []Frame `json:"frames"`
}

// Exception is one exception of an event.
type Exception struct {
	Type       string `json:"type"`
	Value      string `json:"value"`
	ThreadID   uint64 `json:"thread_id"`
	Stacktrace *Stack `json:"stacktrace"`
	Mechanism  *struct {
		Type    string         `json:"type"`
		Handled *bool          `json:"handled"`
		Data    map[string]any `json:"data"`
	} `json:"mechanism"`
}

// Thread is one thread (goroutine) of an event.
type Thread struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Crashed    bool   `json:"crashed"`
	Current    bool   `json:"current"`
	Stacktrace *Stack `json:"stacktrace"`
}

// Event is an event item as received. Exception and Threads are read in
// both forms Sentry accepts: a bare list and {"values": [...]}.
type Event struct {
	EventID     string                    `json:"event_id"`
	Level       string                    `json:"level"`
	Platform    string                    `json:"platform"`
	Release     string                    `json:"release"`
	Environment string                    `json:"environment"`
	Timestamp   time.Time                 `json:"timestamp"`
	Fingerprint []string                  `json:"fingerprint"`
	Tags        map[string]string         `json:"tags"`
	Contexts    map[string]map[string]any `json:"contexts"`
	Exception   []Exception               `json:"-"`
	Threads     []Thread                  `json:"-"`

	// Raw is the event's top-level JSON, for fields not decoded above.
	Raw map[string]json.RawMessage `json:"-"`
	// Attachments are the envelope's attachment items, by file name.
	Attachments map[string]Attachment `json:"-"`
	// Received is when the server received the envelope.
	Received time.Time `json:"-"`
}

// Attachment is an attachment item: its payload and its header's
// content_type ("" when the header has none).
type Attachment struct {
	ContentType string
	Data        []byte
}

// Title is what Sentry shows as the title: "<type>: <value>" of
// the first exception.
func (e *Event) Title() string {
	if len(e.Exception) == 0 {
		return ""
	}
	return e.Exception[0].Type + ": " + e.Exception[0].Value
}

// Session is a session update item ("session"), as received.
type Session struct {
	SID               string         `json:"sid"`
	DID               string         `json:"did"`
	Init              bool           `json:"init"`
	Started           time.Time      `json:"started"`
	Timestamp         time.Time      `json:"timestamp"`
	Duration          *float64       `json:"duration"`
	Status            string         `json:"status"`
	Errors            int            `json:"errors"`
	Seq               *int64         `json:"seq"`
	AbnormalMechanism string         `json:"abnormal_mechanism"`
	Attrs             map[string]any `json:"attrs"`

	// Raw is the item's payload as sent.
	Raw json.RawMessage `json:"-"`
	// EventID is the ID of the event that shared its envelope, if any.
	EventID string `json:"-"`
}

// Envelope is one request's decoded envelope.
type Envelope struct {
	Header   map[string]any
	Events   []*Event
	Sessions []*Session
}

// Server is a running test Sentry. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	times     []time.Time // arrival of each request
	envelopes []*Envelope
	errs      []error
	respond   Responder
	values    bool // RequireValuesForm
}

// A Responder sees every well-formed request first, numbered from 1, with
// its decoded envelope. When it returns true it has answered the request
// itself and the envelope is not kept. It runs on the request's goroutine,
// so one that sleeps and returns false delays only that answer.
type Responder func(w http.ResponseWriter, n int, env *Envelope) bool

// New starts a server on a free loopback port and closes it when the test
// ends.
func New(t testing.TB) *Server {
	s := &Server{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// NewOn starts a server on addr, such as the address of a server closed
// earlier in the test, retrying while the port is still being released.
func NewOn(t testing.TB, addr string) *Server {
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	var l net.Listener
	var err error
	for range 50 {
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("sentrytest: listen %s: %v", addr, err)
	}
	s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// DSN is the DSN that sends to this server.
func (s *Server) DSN() string {
	return "http://public@" + strings.TrimPrefix(s.srv.URL, "http://") + "/0"
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// Close stops the server; later requests fail to connect.
func (s *Server) Close() { s.srv.Close() }

// SetRespond installs respond; nil restores normal service.
func (s *Server) SetRespond(respond Responder) {
	s.mu.Lock()
	s.respond = respond
	s.mu.Unlock()
}

// RequireValuesForm makes later requests malformed when an event's
// "exception" or "threads" is a bare list. Sentry accepts both forms, but
// Spotlight only the documented {"values": [...]}, so a sender that
// rewrites events for it can be held to that form.
func (s *Server) RequireValuesForm() {
	s.mu.Lock()
	s.values = true
	s.mu.Unlock()
}

// Requests is how many requests arrived, answered or not.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.times)
}

// RequestTimes returns when each request arrived, before its body was
// read, in arrival order, answered or not.
func (s *Server) RequestTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times...)
}

// Errors returns and clears the malformed requests seen so far.
func (s *Server) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	errs := s.errs
	s.errs = nil
	return errs
}

// Envelopes returns the envelopes kept so far, in arrival order.
func (s *Server) Envelopes() []*Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Envelope(nil), s.envelopes...)
}

// Events returns the events kept so far, in arrival order.
func (s *Server) Events() []*Event {
	var out []*Event
	for _, e := range s.Envelopes() {
		out = append(out, e.Events...)
	}
	return out
}

// Sessions returns the session updates kept so far, in arrival order.
func (s *Server) Sessions() []*Session {
	var out []*Session
	for _, e := range s.Envelopes() {
		out = append(out, e.Sessions...)
	}
	return out
}

// WaitEvents waits until the server holds at least n events and returns
// them, failing the test after timeout or on a malformed request.
func (s *Server) WaitEvents(t testing.TB, n int, timeout time.Duration) []*Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if errs := s.Errors(); len(errs) > 0 {
			t.Fatalf("sentrytest: malformed requests: %v", errs)
		}
		evs := s.Events()
		if len(evs) >= n {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("sentrytest: got %d events within %v, want %d", len(evs), timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	n, respond, values := len(s.times), s.respond, s.values
	s.mu.Unlock()
	env, err := readRequest(r)
	if err == nil && values {
		err = env.valuesForm()
	}
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if respond != nil && respond(w, n, env) {
		return
	}
	s.mu.Lock()
	s.envelopes = append(s.envelopes, env)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"id":"ok"}`)
}

// readRequest checks a request as Sentry would and decodes its envelope.
func readRequest(r *http.Request) (*Envelope, error) {
	if r.URL.Path != "/api/0/envelope/" {
		return nil, fmt.Errorf("unexpected path %s", r.URL.Path)
	}
	if auth := r.Header.Get("X-Sentry-Auth"); !strings.Contains(auth, "sentry_key=public") {
		return nil, fmt.Errorf("bad X-Sentry-Auth %q", auth)
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	env, err := ParseEnvelope(data)
	if err != nil {
		return nil, err
	}
	for _, e := range env.Events {
		e.Received = time.Now()
	}
	return env, nil
}

// ParseEnvelope decodes an envelope strictly, as Relay does: a header line,
// then items of a header line and a payload of exactly "length" bytes (or
// one line without a length), each followed by a newline. Attachments
// belong to the event before them.
func ParseEnvelope(body []byte) (*Envelope, error) {
	rd := bufio.NewReader(bytes.NewReader(body))
	line, err := rd.ReadBytes('\n')
	if err != nil && err != io.EOF {
		return nil, err
	}
	env := &Envelope{}
	if err := json.Unmarshal(line, &env.Header); err != nil {
		return nil, fmt.Errorf("envelope header: %w", err)
	}
	eventID, _ := env.Header["event_id"].(string)
	for {
		h, payload, err := nextItem(rd)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := env.add(h, payload, eventID); err != nil {
			return nil, err
		}
	}
	return env, nil
}

// itemHeader is an item's header line. Its fields must have their
// documented types: a length that is not an integer is an error.
type itemHeader struct {
	Type        string `json:"type"`
	Length      *int   `json:"length"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
}

// nextItem reads one item: its header and its payload.
func nextItem(rd *bufio.Reader) (itemHeader, []byte, error) {
	var h itemHeader
	var line []byte
	for len(bytes.TrimSpace(line)) == 0 {
		var err error
		line, err = rd.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) == 0 && err != nil {
			return h, nil, err
		}
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, nil, fmt.Errorf("item header %q: %w", line, err)
	}
	if h.Length == nil {
		payload, _ := rd.ReadBytes('\n')
		return h, bytes.TrimSuffix(payload, []byte("\n")), nil
	}
	if *h.Length < 0 {
		return h, nil, fmt.Errorf("%s item: negative length %d", h.Type, *h.Length)
	}
	payload := make([]byte, *h.Length)
	if _, err := io.ReadFull(rd, payload); err != nil {
		return h, nil, fmt.Errorf("%s item shorter than its length %d: %w", h.Type, *h.Length, err)
	}
	if b, err := rd.ReadByte(); err == nil && b != '\n' {
		return h, nil, fmt.Errorf("%s item: length %d is wrong: next byte %q", h.Type, *h.Length, b)
	}
	return h, payload, nil
}

func (env *Envelope) add(h itemHeader, payload []byte, eventID string) error {
	switch h.Type {
	case "event":
		ev, err := decodeEvent(payload)
		if err != nil {
			return err
		}
		env.Events = append(env.Events, ev)
	case "attachment":
		if len(env.Events) == 0 {
			return fmt.Errorf("attachment %s before any event", h.Filename)
		}
		env.Events[len(env.Events)-1].Attachments[h.Filename] = Attachment{h.ContentType, payload}
	case "session":
		var s Session
		if err := json.Unmarshal(payload, &s); err != nil {
			return fmt.Errorf("session payload: %w", err)
		}
		s.Raw, s.EventID = append(json.RawMessage(nil), payload...), eventID
		env.Sessions = append(env.Sessions, &s)
	}
	return nil
}

// valuesForm fails on the first event whose "exception" or "threads" is
// a bare list.
func (env *Envelope) valuesForm() error {
	for _, ev := range env.Events {
		for _, k := range []string{"exception", "threads"} {
			if raw := bytes.TrimSpace(ev.Raw[k]); len(raw) > 0 && raw[0] == '[' {
				return fmt.Errorf("event %s: %s is a bare list, not {\"values\": [...]}", ev.EventID, k)
			}
		}
	}
	return nil
}

func decodeEvent(payload []byte) (*Event, error) {
	ev := &Event{Attachments: map[string]Attachment{}}
	if err := json.Unmarshal(payload, ev); err != nil {
		return nil, fmt.Errorf("event payload: %w", err)
	}
	if err := json.Unmarshal(payload, &ev.Raw); err != nil {
		return nil, err
	}
	if err := listOrValues(ev.Raw["exception"], &ev.Exception); err != nil {
		return nil, fmt.Errorf("event exception: %w", err)
	}
	if err := listOrValues(ev.Raw["threads"], &ev.Threads); err != nil {
		return nil, fmt.Errorf("event threads: %w", err)
	}
	return ev, nil
}

// listOrValues decodes a bare list or {"values": list} into out.
func listOrValues[T any](raw json.RawMessage, out *[]T) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '[' {
		return json.Unmarshal(raw, out)
	}
	var v struct {
		Values []T `json:"values"`
	}
	err := json.Unmarshal(raw, &v)
	*out = v.Values
	return err
}
