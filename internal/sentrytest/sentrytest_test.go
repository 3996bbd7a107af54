package sentrytest_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/internal/sentrytest"
)

func client(t *testing.T, dsn string) *sentry.Client {
	t.Helper()
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: dsn, Transport: sentry.NewHTTPSyncTransport()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An event sent by sentry-go is read back with its exception, tags and
// attachment.
func TestReadsBackWhatSentryGoSends(t *testing.T) {
	srv := sentrytest.New(t)
	c := client(t, srv.DSN())
	ev := sentry.NewEvent()
	ev.Level = sentry.LevelError
	ev.Tags["k"] = "v"
	ev.Exception = []sentry.Exception{{Type: "App Hanging", Value: "main.load"}}
	ev.Attachments = []*sentry.Attachment{{Filename: "a.txt", ContentType: "text/plain", Payload: []byte("hello")}}
	c.CaptureEvent(ev, nil, nil)
	got := srv.WaitEvents(t, 1, 5*time.Second)[0]
	a := got.Attachments["a.txt"]
	if got.Title() != "App Hanging: main.load" || got.Tags["k"] != "v" || string(a.Data) != "hello" || a.ContentType != "text/plain" {
		t.Errorf("got title %q tags %v attachments %v", got.Title(), got.Tags, got.Attachments)
	}
	if len(got.Raw["exception"]) == 0 || got.Received.IsZero() {
		t.Errorf("raw exception %s, received %v", got.Raw["exception"], got.Received)
	}
}

// A Responder answers in the server's place; its envelopes are not kept.
func TestResponderAnswers(t *testing.T) {
	srv := sentrytest.New(t)
	srv.SetRespond(func(w http.ResponseWriter, n int, env *sentrytest.Envelope) bool {
		if len(env.Events) != 1 {
			t.Errorf("request %d: %d events", n, len(env.Events))
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return n == 1
	})
	c := client(t, srv.DSN())
	c.CaptureException(errors.New("first"), nil, nil)
	c.CaptureException(errors.New("second"), nil, nil)
	evs := srv.WaitEvents(t, 1, 5*time.Second)
	if srv.Requests() != 2 || len(evs) != 1 || evs[0].Exception[0].Value != "second" {
		t.Errorf("requests %d, kept %d events", srv.Requests(), len(evs))
	}
}

// A malformed envelope is an error, not an event.
func TestParseEnvelopeIsStrict(t *testing.T) {
	for _, body := range []string{
		"{}\n{\"type\":\"event\",\"length\":50}\n{}\n",
		"not json\n",
		"{}\n{\"type\":\"attachment\",\"length\":1}\nx\n",
		"{}\n{\"type\":\"event\",\"length\":\"2\"}\n{}\n",
		"{}\n{\"type\":\"event\",\"length\":1.5}\n{}\n",
		"{}\n{\"type\":\"event\",\"length\":-1}\n{}\n",
		"{}\n{\"type\":7,\"length\":2}\n{}\n",
		"{}\n{\"type\":\"event\",\"length\":2}\n{}\n{\"type\":\"attachment\",\"length\":1,\"filename\":1}\nx\n",
		"{}\n{\"type\":\"event\",\"length\":11}\n{\"level\":5}\n",
	} {
		if _, err := sentrytest.ParseEnvelope([]byte(body)); err == nil {
			t.Errorf("ParseEnvelope(%q) accepted it", body)
		}
	}
	env, err := sentrytest.ParseEnvelope([]byte("{\"event_id\":\"e1\"}\n{\"type\":\"session\"}\n{\"sid\":\"s\",\"status\":\"ok\",\"errors\":1}\n"))
	if err != nil || len(env.Sessions) != 1 || env.Sessions[0].Status != "ok" || env.Sessions[0].EventID != "e1" {
		t.Errorf("session envelope: %v %+v", err, env)
	}
}

// RequestTimes holds every request's arrival, also of one a Responder
// answered, and a Responder that sleeps delays the answer.
func TestRequestTimes(t *testing.T) {
	srv := sentrytest.New(t)
	srv.SetRespond(func(w http.ResponseWriter, n int, _ *sentrytest.Envelope) bool {
		time.Sleep(50 * time.Millisecond)
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	c := client(t, srv.DSN())
	start := time.Now()
	c.CaptureException(errors.New("first"), nil, nil)
	c.CaptureException(errors.New("second"), nil, nil)
	evs := srv.WaitEvents(t, 1, 5*time.Second)
	times := srv.RequestTimes()
	if len(times) != 2 || srv.Requests() != 2 {
		t.Fatalf("%d request times, %d requests; want 2", len(times), srv.Requests())
	}
	if times[0].Before(start) || times[1].Sub(times[0]) < 50*time.Millisecond || evs[0].Received.Before(times[1]) {
		t.Errorf("times %v after a start at %v, received %v: want ordered, 50 ms apart", times, start, evs[0].Received)
	}
}

// Under RequireValuesForm an exception list, as sentry-go sends it, is a
// malformed request, and the documented form is kept.
func TestRequireValuesForm(t *testing.T) {
	srv := sentrytest.New(t)
	srv.RequireValuesForm()
	envelope := func(payload string) string {
		return "{}\n{\"type\":\"event\",\"length\":" + strconv.Itoa(len(payload)) + "}\n" + payload + "\n"
	}
	list := envelope(`{"event_id":"e0","exception":[{"type":"T","value":"v"}]}`)
	if status := post(t, srv, "/api/0/envelope/", "sentry_key=public", "", list); status != http.StatusBadRequest {
		t.Errorf("a bare exception list: status %d, want 400", status)
	}
	if errs := srv.Errors(); len(errs) != 1 || len(srv.Events()) != 0 {
		t.Fatalf("errors %v, events %d: want the list refused", errs, len(srv.Events()))
	}
	values := envelope(`{"event_id":"e1","exception":{"values":[{"type":"T","value":"v"}]},"threads":{"values":[]}}`)
	status := post(t, srv, "/api/0/envelope/", "sentry_key=public", "", values)
	if evs := srv.Events(); status != http.StatusOK || len(evs) != 1 || evs[0].Title() != "T: v" {
		t.Errorf("status %d, events %d", status, len(evs))
	}
}

// post sends body to srv's path as a raw request and returns the status.
func post(t *testing.T, srv *sentrytest.Server, path, auth, encoding, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+srv.Addr()+path, strings.NewReader(body))
	req.Header.Set("X-Sentry-Auth", "Sentry sentry_version=7, "+auth)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A request to another path, without the DSN's key, or with a body that
// is not the gzip it claims is malformed: answered 400, and not kept.
func TestMalformedRequests(t *testing.T) {
	srv := sentrytest.New(t)
	body := "{}\n{\"type\":\"event\",\"length\":2}\n{}\n"
	for _, tc := range []struct{ path, auth, encoding string }{
		{"/api/1/envelope/", "sentry_key=public", ""},
		{"/api/0/store/", "sentry_key=public", ""},
		{"/api/0/envelope/", "sentry_key=other", ""},
		{"/api/0/envelope/", "sentry_key=public", "gzip"},
	} {
		if status := post(t, srv, tc.path, tc.auth, tc.encoding, body); status != http.StatusBadRequest {
			t.Errorf("%+v: status %d, want 400", tc, status)
		}
	}
	if errs := srv.Errors(); len(errs) != 4 || len(srv.Events()) != 0 || srv.Requests() != 4 {
		t.Errorf("errors %v, events %d", errs, len(srv.Events()))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	if status := post(t, srv, "/api/0/envelope/", "sentry_key=public", "gzip", gz.String()); status != http.StatusOK || len(srv.Events()) != 1 {
		t.Errorf("gzip envelope: status %d, events %d", status, len(srv.Events()))
	}
}
