package report

import (
	"io"
	"os"
	"strings"
	"time"
)

// fileState is what delivering one spool file came to.
type fileState int

const (
	fileDone    fileState = iota // sent, or removed for good
	fileSkipped                  // someone else holds it: another sender, or a live stall
	fileRetry                    // keep it and stop this pass: the server is unreachable or limiting
)

// pass sends every report in the spool, oldest first, until one fails. It
// returns when to try again (0: only when woken) and whether nothing is
// left to send. It runs on the delivery goroutine only.
func (r *Reporter) pass() (time.Duration, bool) {
	force := r.force.Swap(false)
	if r.send == nil {
		r.recoverOrphans()
		return 0, true
	}
	now := time.Now()
	if now.Before(r.limitedUntil) {
		return r.limitedUntil.Sub(now), false
	}
	if !force && now.Before(r.backoffUntil) {
		return r.backoffUntil.Sub(now), false
	}
	entries, err := r.spool.list()
	if err != nil {
		r.problem("listing the spool", err)
		return r.o.RetryBackoff, false
	}
	pending, skipped := 0, 0
	for i, e := range entries {
		select {
		case <-r.quit:
			return 0, false
		default:
		}
		switch r.deliver(e) {
		case fileSkipped:
			skipped++
		case fileRetry:
			pending = len(entries) - i
		}
		if pending > 0 {
			break
		}
	}
	r.updateStats(func(s *Stats) { s.Pending = pending })
	switch {
	case pending == 0 && skipped > 0:
		return busyRescan, true
	case pending == 0:
		return 0, true
	case time.Now().Before(r.limitedUntil):
		return time.Until(r.limitedUntil), false
	}
	return time.Until(r.backoffUntil), false
}

// deliver sends one spool file.
func (r *Reporter) deliver(e entry) fileState {
	f, err := r.spool.claim(e.name)
	if err != nil {
		r.o.Logger.Warn("cannot open a spooled report; skipping it", "file", r.spool.path(e.name), "err", err)
		return fileSkipped
	}
	if f == nil {
		return fileSkipped // gone, or held by a live process
	}
	defer f.Close()
	rec := r.readClaimed(e.name, f)
	if rec == nil {
		return fileDone
	}
	if e.live {
		// Its lock was free: the process that wrote it died during the
		// stall. Turn it into a Fatal App Hang report and send that.
		twin := r.orphan(e, f, rec)
		f.Close()
		if twin == "" {
			return fileDone
		}
		return r.deliver(entry{name: twin})
	}
	if time.Since(rec.Created) > maxAge {
		r.setAside(e.name, "", "report older than 30 days dropped", nil)
		return fileDone
	}
	ev, err := rec.event()
	if err != nil {
		r.setAside(e.name, corruptDir, "spooled event unreadable; moved aside", err)
		return fileDone
	}
	res := r.send.send(ev)
	switch res.outcome {
	case accepted, discarded:
		if err := r.spool.remove(e.name); err != nil {
			r.problem("removing a delivered report", err)
		}
		r.spool.syncDir()
		r.failures = 0
		delete(r.serverErrors, e.name)
		if res.outcome == accepted {
			r.updateStats(func(s *Stats) { s.Sent++; s.LastError = "" })
		} else {
			r.o.Logger.Info("report discarded by the Sentry client options (BeforeSend, SampleRate, IgnoreErrors)", "title", rec.Title)
		}
		return fileDone
	case rateLimited:
		r.limitedUntil = res.retryAt.Add(50 * time.Millisecond)
		r.o.Logger.Info("Sentry rate limit: delivery paused", "until", res.retryAt)
		r.updateStats(func(s *Stats) { s.LastError = "rate limited until " + res.retryAt.Format(time.TimeOnly) })
		return fileRetry
	case refused:
		r.setAside(e.name, failedDir, "server refused a report; moved aside", res.err)
		return fileDone
	case serverError:
		r.serverErrors[e.name]++
		if r.serverErrors[e.name] >= maxServerErrors {
			delete(r.serverErrors, e.name)
			r.setAside(e.name, failedDir, "server failed on a report repeatedly; moved aside", res.err)
			r.backoff()
			return fileDone
		}
	}
	r.backoff()
	r.o.Logger.Warn("report delivery failed; will retry", "err", res.err, "status", res.status, "retry_in", time.Until(r.backoffUntil).Round(time.Millisecond))
	r.updateStats(func(s *Stats) { s.LastError = "delivery: " + res.err.Error() })
	return fileRetry
}

// backoff schedules the next attempt after a failure: RetryBackoff, doubled
// per consecutive failure, up to MaxRetryBackoff.
func (r *Reporter) backoff() {
	d := r.o.RetryBackoff
	for i := 0; i < r.failures && d < r.o.MaxRetryBackoff; i++ {
		d *= 2
	}
	d = min(d, r.o.MaxRetryBackoff)
	r.failures++
	r.backoffUntil = time.Now().Add(d)
}

// setAside moves a report out of the delivery queue into sub (or deletes
// it when sub is ""), logs why, and counts it as dropped.
func (r *Reporter) setAside(name, sub, why string, err error) {
	var mvErr error
	if sub == "" {
		mvErr = r.spool.remove(name)
	} else {
		mvErr = r.spool.moveAside(name, sub)
	}
	if mvErr != nil {
		r.o.Logger.Error("cannot move a spool file aside; deleting it", "file", r.spool.path(name), "err", mvErr)
		r.spool.remove(name)
	}
	r.o.Logger.Warn(why, "file", r.spool.path(name), "to", sub, "err", err)
	r.mu.Lock()
	r.unreported++
	r.mu.Unlock()
	r.updateStats(func(s *Stats) { s.Dropped++ })
}

// recoverOrphans turns the in-progress files of dead processes into Fatal
// App Hang reports. New calls it; without a DSN every pass does, and with
// one, deliver handles orphans it meets on the way.
func (r *Reporter) recoverOrphans() {
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
		if rec := r.readClaimed(e.name, f); rec != nil && r.orphan(e, f, rec) != "" {
			pending++
		}
		f.Close()
	}
	r.updateStats(func(s *Stats) { s.Pending = pending })
}

// readClaimed reads and decodes a claimed spool file. It moves an
// unreadable one aside and returns nil.
func (r *Reporter) readClaimed(name string, f *os.File) *record {
	data, err := io.ReadAll(f)
	var rec *record
	if err == nil {
		rec, err = decodeRecord(data)
	}
	if err != nil {
		r.setAside(name, corruptDir, "unreadable spool file moved aside", err)
		return nil
	}
	return rec
}

// orphan replaces the claimed in-progress file e of a dead process by its
// Fatal App Hang report (same stem, same event ID) and returns the report's
// name, or "" when there is nothing to send.
func (r *Reporter) orphan(e entry, f *os.File, rec *record) string {
	twin := strings.TrimSuffix(e.name, liveSuffix) + reportSuffix
	if r.spool.exists(twin) {
		r.spool.remove(e.name) // it did write the final report before dying
		return ""
	}
	ev, err := rec.event()
	if err != nil {
		r.setAside(e.name, corruptDir, "spooled event unreadable; moved aside", err)
		return ""
	}
	makeFatal(ev, rec, e.mod)
	data, err := encode(ev, rec)
	if err == nil {
		_, err = r.spool.write(twin, data, false)
	}
	if err != nil {
		r.problem("spooling a fatal hang", err)
		return ""
	}
	r.spool.remove(e.name)
	r.o.Logger.Info("a stall outlived its process: reporting it as a fatal hang", "title", rec.Title)
	r.print(ev, rec, nil, r.spool.path(twin))
	return twin
}
