package report

import (
	"testing"

	"github.com/framewatch/framewatch/internal/sentrytest"
)

// A session item appended to an envelope as sentry-go builds it leaves
// the items before it whole, an attachment whose data ends in a newline
// too.
func TestAppendItemsKeepsTheLastItemWhole(t *testing.T) {
	env := "{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n" +
		"{\"type\":\"event\",\"length\":2}\n{}\n" +
		"{\"type\":\"attachment\",\"length\":5,\"filename\":\"a.txt\"}\nline\n\n"
	st := sessionState{SID: newUUID(), Status: statusOK, Release: "r", Seq: 1}
	got, err := sentrytest.ParseEnvelope(appendItems([]byte(env), [][]byte{st.item()}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 || len(got.Sessions) != 1 || got.Sessions[0].SID != st.SID {
		t.Fatalf("%d events, %d sessions", len(got.Events), len(got.Sessions))
	}
	if a := got.Events[0].Attachments["a.txt"].Data; string(a) != "line\n" {
		t.Errorf("attachment %q, want %q", a, "line\n")
	}
}
