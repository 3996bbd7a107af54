package faults_test

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framewatch/framewatch/internal/sentrytest"
)

// TestKillStorm kills a stalling game with SIGKILL at random moments, over
// and over; the next start sends what the dead one left.
func TestKillStorm(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	kills := scale(6, 25)
	for range kills {
		p := s.start("loop")
		time.Sleep(time.Duration(300+rand.IntN(2200)) * time.Millisecond)
		p.kill()
	}
	s.loop(2)
	s.audit("kill-storm/"+strconv.Itoa(kills), 30*time.Second)
}

// TestServerErrors has Sentry answer 500 for longer than three retries:
// nothing is given up, and each report arrives once.
func TestServerErrors(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	outage := time.Duration(scale(4, 15)) * time.Second
	until := time.Now().Add(outage)
	s.srv.SetRespond(func(w http.ResponseWriter, n int, _ *sentrytest.Envelope) bool {
		if time.Now().Before(until) {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
	s.loop(3)
	time.Sleep(time.Until(until))
	s.deliver()
	s.audit("server-500/"+outage.String(), 30*time.Second)
}

// TestRateLimited has Sentry answer 429 with Retry-After to the first
// requests: reports wait as asked, then arrive once.
func TestRateLimited(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	var limited atomic.Int32
	s.srv.SetRespond(func(w http.ResponseWriter, n int, _ *sentrytest.Envelope) bool {
		if n <= 3 {
			limited.Add(1)
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	s.loop(3)
	s.deliver()
	s.audit("rate-limited", 30*time.Second)
	if limited.Load() == 0 {
		t.Error("the server never limited anything")
	}
}

// TestBlackHole has Sentry accept connections and never answer for a
// while: the game's Close is not held up beyond its flush timeout, and the
// reports arrive once the server answers again.
func TestBlackHole(t *testing.T) {
	t.Parallel()
	s := newScene(t)
	hole := time.Duration(scale(3, 10)) * time.Second
	until := time.Now().Add(hole)
	s.srv.SetRespond(func(w http.ResponseWriter, n int, _ *sentrytest.Envelope) bool {
		d := time.Until(until)
		if d <= 0 {
			return false
		}
		// Hold the connection without an answer until the hole closes.
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return false
		}
		time.AfterFunc(d, func() { conn.Close() })
		return true
	})
	s.loop(2)
	time.Sleep(time.Until(until))
	s.deliver()
	s.audit("black-hole/"+hole.String(), 30*time.Second)
}
