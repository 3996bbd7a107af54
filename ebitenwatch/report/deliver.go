package report

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// maxAge is how long a spooled report is kept; Sentry refuses events
	// older than 30 days.
	maxAge = 30 * 24 * time.Hour
	// busyRescan is when to look again at files another process held.
	busyRescan = 30 * time.Second
	// maxFailsInRow ends a pass: after this many reports in a row failed
	// at the network or server, the next ones would too.
	maxFailsInRow = 2
)

// courier delivers the spool: the delivery goroutine, and the Flush calls
// waiting on it.
type courier struct {
	*core

	ctx    context.Context // canceled by stop: ends a request in flight
	cancel context.CancelFunc
	wake   chan struct{}
	quit   chan struct{}
	done   chan struct{}
	force  atomic.Bool // the next pass ignores each report's backoff (Flush)

	mu      sync.Mutex // guards passes and waiters
	passes  uint64     // passes started
	waiters map[*waiter]struct{}

	// retries is owned by the delivery goroutine. One report's failures
	// delay only that report; a rate limit (sender.limitedUntil) delays
	// all.
	retries map[string]*retry
	// sessRetry and sessFails delay session updates without an event
	// after a failure (session_send.go).
	sessRetry time.Time
	sessFails int
}

type retry struct {
	failures int
	next     time.Time
}

type waiter struct {
	after    uint64    // resolved by a pass numbered above this
	deadline time.Time // the Flush gives up then
	ch       chan bool // true: nothing is left to send
}

func (d *courier) init() {
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.wake = make(chan struct{}, 1)
	d.quit = make(chan struct{})
	d.done = make(chan struct{})
	d.waiters = map[*waiter]struct{}{}
	d.retries = map[string]*retry{}
}

func (d *courier) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// stop ends the delivery goroutine and a request in flight.
func (d *courier) stop() {
	close(d.quit)
	d.cancel()
	<-d.done
}

// flush is Reporter.Flush with a DSN.
func (r *courier) flush(timeout time.Duration) bool {
	if r.send == nil {
		return true
	}
	select {
	case <-r.done:
		return false
	default:
	}
	w := &waiter{deadline: time.Now().Add(timeout), ch: make(chan bool, 1)}
	r.mu.Lock()
	w.after = r.passes
	r.waiters[w] = struct{}{}
	r.mu.Unlock()
	r.force.Store(true)
	r.kick()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case ok := <-w.ch:
		return ok
	case <-t.C:
	case <-r.done:
	}
	r.mu.Lock()
	delete(r.waiters, w)
	r.mu.Unlock()
	select {
	case ok := <-w.ch:
		return ok
	default:
		return false
	}
}

// deliverLoop is the delivery goroutine.
func (r *courier) deliverLoop() {
	defer close(r.done)
	timer := time.NewTimer(0) // first pass at once: reports from earlier runs
	defer timer.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-r.wake:
		case <-timer.C:
		}
		next := r.safePass()
		timer.Stop()
		if next > 0 {
			timer.Reset(next)
		}
	}
}

// safePass runs one pass, recovering a panic, and answers the Flush calls
// that this pass settles: with true when nothing is left, with false when
// the next attempt comes after their deadline.
func (r *courier) safePass() (next time.Duration) {
	r.mu.Lock()
	r.passes++
	n := r.passes
	r.mu.Unlock()
	var drained bool
	defer func() {
		if v := recover(); v != nil {
			r.o.Logger.Error("recovered panic in framewatch delivery", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			next, drained = r.o.MaxRetryBackoff, false
		}
		again := time.Now().Add(next)
		r.mu.Lock()
		defer r.mu.Unlock()
		for w := range r.waiters {
			if w.after < n && (drained || next <= 0 || !again.Before(w.deadline)) {
				w.ch <- drained
				delete(r.waiters, w)
			}
		}
	}()
	next, drained = r.pass(r.force.Swap(false))
	return next
}

// pass tries every report in the spool that is due, oldest first. It
// returns when to look again (0: only when woken) and whether nothing is
// left to send. It runs on the delivery goroutine only.
func (r *courier) pass(force bool) (time.Duration, bool) {
	if r.send == nil {
		r.recoverOrphans()
		return 0, true
	}
	now := time.Now()
	if until := r.send.limitedUntil(); now.Before(until) {
		return until.Sub(now), false
	}
	entries, err := r.spool.list()
	if err != nil {
		r.problem("listing the spool", err)
		return r.o.RetryBackoff, false
	}
	r.forgetRetries(entries)
	pending, skipped, failsInRow := 0, 0, 0
	var again time.Time
	for i, e := range entries {
		if rt := r.retries[e.name]; rt != nil && !force && now.Before(rt.next) {
			pending++
			again = earliest(again, rt.next)
			continue
		}
		switch r.deliver(e) {
		case fileSkipped:
			skipped++
		case fileDone:
			failsInRow = 0
		case fileFailed:
			pending++
			again = earliest(again, r.retries[e.name].next)
			failsInRow++
		case fileLimited:
			pending++
			failsInRow = maxFailsInRow
			again = r.send.limitedUntil()
		}
		if failsInRow >= maxFailsInRow || closing(r.quit) {
			pending += len(entries) - i - 1
			break
		}
	}
	r.updateStats(func(s *Stats) { s.Pending = pending })
	if n, at := r.passSessions(force); n > 0 {
		pending += n
		again = earliest(again, at)
	}
	switch {
	case pending == 0 && skipped > 0:
		return busyRescan, true
	case pending == 0:
		return 0, true
	}
	return max(time.Until(again), time.Millisecond), false
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func closing(quit chan struct{}) bool {
	select {
	case <-quit:
		return true
	default:
		return false
	}
}

// forgetRetries drops the retry state of reports no longer in the spool.
func (r *courier) forgetRetries(entries []entry) {
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.name] = true
	}
	for name := range r.retries {
		if !names[name] {
			delete(r.retries, name)
		}
	}
}

// fileState is what delivering one spool file came to.
type fileState int

const (
	fileDone    fileState = iota // sent, or removed for good
	fileSkipped                  // someone else holds it: another sender, or a live stall
	fileFailed                   // kept, with its own backoff: the network or the server failed
	fileLimited                  // kept: the server is rate limiting
)

// deliver sends one spool file.
func (r *courier) deliver(e entry) fileState {
	f, err := r.spool.claim(e.name)
	if err != nil {
		r.o.Logger.Warn("cannot open a spooled report; skipping it", "file", r.spool.path(e.name), "err", err)
		return fileSkipped
	}
	if f == nil {
		return fileSkipped // gone, or held by a live process
	}
	defer f.Close()
	rec := r.readClaimed(e, f)
	switch {
	case rec == nil:
		return fileDone
	case e.live:
		twin := r.orphan(e, rec)
		f.Close()
		if twin == "" {
			return fileDone
		}
		return r.deliver(entry{name: twin})
	case time.Since(rec.Created) > maxAge:
		r.setAside(e, "", "report older than 30 days dropped", nil)
		return fileDone
	}
	return r.sendRecord(e, rec)
}

// sendRecord sends a claimed report with the count of reports lost before
// it, and settles its file by the answer.
func (r *courier) sendRecord(e entry, rec *record) fileState {
	lost := r.spool.getCount(droppedFile, droppedFile)
	rec.Counts.SpoolDroppedBefore += lost
	item, settle := r.sessionFor(rec)
	var items [][]byte
	if item != nil {
		items = [][]byte{item}
	}
	res := r.send.send(toEvent(rec), items)
	if settle != nil {
		settle(res.outcome == accepted)
	}
	switch res.outcome {
	case accepted, discarded:
		if err := r.spool.remove(e.name); err != nil {
			r.problem("removing a delivered report", err)
		}
		r.spool.syncDir()
		delete(r.retries, e.name)
		if res.outcome == discarded {
			r.o.Logger.Info("report discarded by the Sentry client options (BeforeSend, SampleRate, IgnoreErrors)", "title", rec.title())
			return fileDone
		}
		r.spool.addCount(droppedFile, droppedFile, -lost)
		r.updateStats(func(s *Stats) { s.Sent++; s.LastError = "" })
		return fileDone
	case rateLimited:
		r.o.Logger.Info("Sentry rate limit: delivery paused", "until", res.retryAt)
		r.updateStats(func(s *Stats) { s.LastError = "rate limited until " + res.retryAt.Format(time.TimeOnly) })
		return fileLimited
	case refused:
		r.setAside(e, failedDir, "server refused a report as invalid; moved aside", res.err)
		return fileDone
	}
	rt := r.retries[e.name]
	if rt == nil {
		rt = &retry{}
		r.retries[e.name] = rt
	}
	rt.next = time.Now().Add(r.backoff(rt.failures))
	rt.failures++
	r.o.Logger.Warn("report delivery failed; will retry", "err", res.err, "status", res.status, "attempts", rt.failures, "retry_in", time.Until(rt.next).Round(time.Millisecond))
	r.updateStats(func(s *Stats) { s.LastError = "delivery: " + res.err.Error() })
	return fileFailed
}

// backoff is the wait after a report's failures+1-th failed attempt:
// RetryBackoff doubled per earlier failure, up to MaxRetryBackoff.
func (r *courier) backoff(failures int) time.Duration {
	d := r.o.RetryBackoff
	for i := 0; i < failures && d < r.o.MaxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, r.o.MaxRetryBackoff)
}

// setAside moves a report out of the delivery queue into sub (or deletes
// it when sub is ""), logs why, and counts it as dropped.
func (r *courier) setAside(e entry, sub, why string, err error) {
	var mvErr error
	if sub == "" {
		mvErr = r.spool.remove(e.name)
	} else {
		mvErr = r.spool.moveAside(e.name, sub, e.size)
	}
	if mvErr != nil {
		r.o.Logger.Error("cannot move a spool file aside; deleting it", "file", r.spool.path(e.name), "err", mvErr)
		r.spool.remove(e.name)
	}
	r.o.Logger.Warn(why, "file", r.spool.path(e.name), "to", sub, "err", err)
	delete(r.retries, e.name)
	r.dropped(1)
}

// recoverOrphans turns the in-progress files of dead processes into Fatal
// App Hang reports. New calls it; without a DSN every pass does, and with
// one, deliver handles orphans it meets on the way.
func (r *courier) recoverOrphans() {
	entries, err := r.spool.list()
	if err != nil {
		r.problem("listing the spool", err)
		return
	}
	pending := 0
	for _, e := range entries {
		if !e.live {
			pending++
			continue
		}
		f, err := r.spool.claim(e.name)
		if err != nil || f == nil {
			continue
		}
		if rec := r.readClaimed(e, f); rec != nil && r.orphan(e, rec) != "" {
			pending++
		}
		f.Close()
	}
	r.updateStats(func(s *Stats) { s.Pending = pending })
}

// readClaimed reads and decodes a claimed spool file. It moves an
// unreadable one aside and returns nil.
func (r *courier) readClaimed(e entry, f *os.File) *record {
	data, err := r.spool.read(f)
	var rec *record
	if err == nil {
		rec, err = decodeRecord(data)
	}
	if err != nil {
		r.setAside(e, corruptDir, "unreadable spool file moved aside", err)
		return nil
	}
	return rec
}

// orphan replaces the claimed in-progress file e, whose process died, by
// its report and returns the report's name, or "" when there is nothing to
// send. A stall killed before its App Hanging is a Fatal App Hang with the
// live record's stem and event ID; one killed after its App Hanging was
// spooled is a Fatal App Hang of its own (see killedHang); one that had
// ended, or whose report was written before the process died, sends
// nothing more.
func (r *courier) orphan(e entry, rec *record) string {
	twin := strings.TrimSuffix(e.name, liveSuffix) + reportSuffix
	switch st := rec.Stall; {
	case st != nil && st.HangSpooled && !st.Ended:
		rec, twin = rec.killedHang(), newStem()+reportSuffix
		r.o.Logger.Info("a hang reported while it lasted outlived its process: reporting it as a fatal hang", "title", rec.title(), "hang_event_id", rec.Stall.HangEventID)
	case r.spool.exists(twin) || st != nil && st.HangSpooled:
		r.spool.remove(e.name) // its report was written before the process died
		return ""
	case st != nil && !st.Ended:
		rec = rec.asFatal()
		r.o.Logger.Info("a stall outlived its process: reporting it as a fatal hang", "title", rec.title())
	}
	data, err := encodeRecord(rec)
	if err == nil {
		_, err = r.spool.write(twin, data, false)
	}
	if err != nil {
		r.problem("spooling a fatal hang", err)
		return ""
	}
	r.spool.remove(e.name)
	r.print(rec, r.spool.path(twin))
	return twin
}
