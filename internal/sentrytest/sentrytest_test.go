package sentrytest_test

import (
	"errors"
	"net/http"
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
	ev.Attachments = []*sentry.Attachment{{Filename: "a.txt", Payload: []byte("hello")}}
	c.CaptureEvent(ev, nil, nil)
	got := srv.WaitEvents(t, 1, 5*time.Second)[0]
	if got.Title() != "App Hanging: main.load" || got.Tags["k"] != "v" || string(got.Attachments["a.txt"]) != "hello" {
		t.Errorf("got title %q tags %v attachments %v", got.Title(), got.Tags, got.Attachments)
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
