package faults_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

// tally is what became of a scenario's stalls.
type tally struct {
	Produced   int // stalls the children's ledgers say the reporter was told of
	Delivered  int // of those, stalls the server received
	Duplicated int // stalls the server received as two or more events of one type
	Lost       int // stalls in a ledger the server never received
	False      int // Fatal App Hangs for stalls that ended, and events for no stall
	Resent     int // extra copies of an event ID (Sentry drops them)
	Unlogged   int // stalls received that no ledger lists: killed before the ledger line
}

func (c tally) String() string {
	return fmt.Sprintf("produced=%d delivered=%d duplicated=%d lost=%d false=%d resent=%d unlogged=%d",
		c.Produced, c.Delivered, c.Duplicated, c.Lost, c.False, c.Resent, c.Unlogged)
}

// audit waits until the server holds every stall the ledger lists (or
// timeout passes), counts, prints the scenario's line, and fails the test
// on any loss, duplicate or false report. expectMissing are stalls that
// are meant not to arrive.
func (s *scene) audit(name string, timeout time.Duration, expectMissing ...string) tally {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var c tally
	for {
		c = s.count(expectMissing)
		if c.Lost == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let late duplicates arrive
	c = s.count(expectMissing)
	fmt.Printf("faults: %-22s %s\n", name, c)
	if errs := s.srv.Errors(); len(errs) > 0 {
		s.t.Errorf("malformed requests: %v", errs)
	}
	if c.Lost+c.Duplicated+c.False > 0 {
		s.t.Errorf("%s: %s", name, c)
	}
	if c.Produced == 0 {
		s.t.Errorf("%s: no stall was produced, so nothing was tested", name)
	}
	return c
}

func (s *scene) count(expectMissing []string) tally {
	started, ended := s.ledgerKeys()
	byKey := map[string][]*sentrytest.Event{}
	var c tally
	for _, ev := range s.srv.Events() {
		key := ev.Tags["fault.stall"]
		if key == "" {
			c.False++
			continue
		}
		byKey[key] = append(byKey[key], ev)
	}
	for key := range started {
		if slices.Contains(expectMissing, key) {
			continue
		}
		c.Produced++
		if len(byKey[key]) == 0 {
			c.Lost++
		}
	}
	for key, evs := range byKey {
		switch {
		case !started[key]:
			c.Unlogged++
		case !slices.Contains(expectMissing, key):
			c.Delivered++
		}
		// A stall may be sent as an App Hanging while it lasts and then as
		// a Fatal App Hang when the game is killed in it: one event of
		// each type at most.
		ids := map[string]bool{}
		idsOfType := map[string]map[string]bool{}
		for _, ev := range evs {
			typ := ev.Title()
			if len(ev.Exception) > 0 {
				typ = ev.Exception[0].Type
			}
			if idsOfType[typ] == nil {
				idsOfType[typ] = map[string]bool{}
			}
			ids[ev.EventID], idsOfType[typ][ev.EventID] = true, true
			if ended[key] && typ == report.TypeFatalAppHang {
				c.False++
			}
		}
		for _, of := range idsOfType {
			if len(of) > 1 {
				c.Duplicated++
				break
			}
		}
		c.Resent += len(evs) - len(ids)
	}
	return c
}
