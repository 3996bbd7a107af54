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

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

const (
	// maxAge is how long a spooled report is kept; Sentry refuses events
	// older than 30 days.
	maxAge = 30 * 24 * time.Hour
	// maxServerErrors is how many 5xx answers one report gets before it is
	// moved to failed/: a server that keeps failing on one event would
	// otherwise receive it forever.
	maxServerErrors = 3
	// liveHeartbeat is how often in-progress stall files are touched.
	liveHeartbeat = time.Second
	// busyRescan is when to look again at files another process held.
	busyRescan = 30 * time.Second
)

// Stats are a Reporter's counts, for an overlay or a log line.
type Stats struct {
	Spooled    int    // reports this Reporter wrote to the spool (stalls and panics)
	Sent       int    // reports the server accepted, including ones spooled by earlier runs
	Pending    int    // reports waiting in the spool, as of the last look (without a DSN: all of them)
	Dropped    int    // reports deleted or set aside unsent: spool full, refused by the server, unreadable, too old
	Suppressed int    // stalls not reported because their fingerprint reached Options.MaxPerFingerprint
	LastTitle  string // title of the last report spooled, e.g. "Frozen Frame: main.load: Update blocked for at least 1.2 s (lock)"
	LastError  string // the last delivery or spool problem; "" after a successful delivery
	Online     bool   // a DSN is set, so reports are sent
}

// Reporter turns stalls and panics into Sentry events. It implements
// watchdog.Sink. Every report is first written to the spool; a goroutine of
// the Reporter's own delivers it and deletes it once the server accepted it.
//
// All methods are safe for concurrent use. StallStarted and StallEnded do
// only in-memory work and one small atomic file write; they never wait for
// the network. A Reporter never panics into its caller: failures are logged
// to Options.Logger.
type Reporter struct {
	o     resolved
	spool *spool
	send  *sender // nil without a DSN

	ctx    context.Context // canceled by Close: stops a request in flight
	cancel context.CancelFunc
	wake   chan struct{}
	quit   chan struct{}
	done   chan struct{}
	force  atomic.Bool // next pass ignores the retry backoff (Flush)

	// mu serializes spool writes and guards the sink state.
	mu         sync.Mutex
	closed     bool
	live       map[uint64]*liveStall
	perKey     map[string]int
	unreported int // reports dropped whose count no event has carried yet

	statsMu sync.Mutex
	stats   Stats

	flushMu   sync.Mutex
	passes    uint64 // passes started
	waiters   map[*waiter]struct{}
	closeOnce sync.Once
	closeErr  error

	// Owned by the delivery goroutine.
	failures     int
	backoffUntil time.Time
	limitedUntil time.Time
	serverErrors map[string]int
}

type liveStall struct {
	name string
	f    *os.File
	id   sentry.EventID
	rec  *record
	ev   *sentry.Event
}

type waiter struct {
	after uint64 // resolved by a pass numbered above this
	ch    chan struct{}
}

// New returns a running Reporter. It creates the spool directory, and sends
// reports that earlier runs left in it (turning stalls whose process died
// into Fatal App Hang events) once a DSN is set. Errors name the Options
// field at fault.
func New(opts Options) (*Reporter, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	sp, err := openSpool(o.SpoolDir, o.MaxSpoolFiles, o.MaxSpoolBytes, o.Logger)
	if err != nil {
		return nil, err
	}
	r := &Reporter{
		o:            o,
		spool:        sp,
		wake:         make(chan struct{}, 1),
		quit:         make(chan struct{}),
		done:         make(chan struct{}),
		live:         map[uint64]*liveStall{},
		perKey:       map[string]int{},
		waiters:      map[*waiter]struct{}{},
		serverErrors: map[string]int{},
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	if o.dsn != "" {
		if r.send, err = newSender(o, r.ctx); err != nil {
			sp.close()
			return nil, err
		}
	}
	r.stats.Online = r.send != nil
	r.recoverOrphans() // stalls whose process died: Fatal App Hang reports, now
	go r.run()
	return r, nil
}

// SpoolDir returns the spool directory in use.
func (r *Reporter) SpoolDir() string { return r.o.SpoolDir }

// StallStarted implements watchdog.Sink. It spools the stall at once as in
// progress, so that a report exists even if the player kills the game
// before the frame returns; the next run then sends it as a Fatal App Hang.
// It runs on the watchdog's goroutine and returns after one file write.
func (r *Reporter) StallStarted(s *watchdog.Stall) {
	if s == nil {
		return
	}
	defer r.recoverLog("StallStarted")
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.live[s.ID] != nil {
		return
	}
	ls := &liveStall{name: newStem() + liveSuffix, id: newEventID()}
	ls.ev, ls.rec = r.buildStall(s, ls.id)
	data, err := encode(ls.ev, ls.rec)
	if err != nil {
		r.problem("encoding a stall", err)
		return
	}
	dropped := r.spool.makeRoom(int64(len(data)))
	r.unreported += dropped
	r.updateStats(func(s *Stats) { s.Dropped += dropped })
	if ls.f, err = r.spool.write(ls.name, data, true); err != nil {
		r.problem("spooling a stall in progress", err)
		return
	}
	r.live[s.ID] = ls
}

// StallUpdated implements watchdog.Sink. It rewrites the stall's
// in-progress file with everything sampled so far, so that a game killed
// now is reported where it is now, not where it was at detection.
func (r *Reporter) StallUpdated(s *watchdog.Stall) {
	if s == nil {
		return
	}
	defer r.recoverLog("StallUpdated")
	r.mu.Lock()
	defer r.mu.Unlock()
	ls := r.live[s.ID]
	if r.closed || ls == nil {
		return
	}
	ev, rec := r.buildStall(s, ls.id)
	data, err := encode(ev, rec)
	if err != nil {
		r.problem("encoding a stall", err)
		return
	}
	f, err := r.spool.write(ls.name, data, true)
	if err != nil {
		r.problem("updating a stall in progress", err)
		return
	}
	ls.f.Close()
	ls.f, ls.ev, ls.rec = f, ev, rec
}

// StallEnded implements watchdog.Sink. It replaces the stall's in-progress
// file with the final report, prints it to Console when there is no DSN,
// and wakes the delivery goroutine. Past Options.MaxPerFingerprint events
// for the stall's fingerprint in this run, the stall is only counted.
func (r *Reporter) StallEnded(s *watchdog.Stall) {
	if s == nil {
		return
	}
	defer r.recoverLog("StallEnded")
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	ls := r.live[s.ID]
	delete(r.live, s.ID)
	id := newEventID()
	if ls != nil {
		id = ls.id
	}
	ev, rec := r.buildStall(s, id)
	name := newStem() + reportSuffix
	if ls != nil {
		name = strings.TrimSuffix(ls.name, liveSuffix) + reportSuffix
	}
	path, ok := r.spoolReport(ev, rec, name, true)
	if ls != nil {
		if err := r.spool.remove(ls.name); err != nil {
			r.problem("removing a stall's in-progress file", err)
		}
		ls.f.Close()
	}
	if ok {
		r.print(ev, rec, s, path)
	}
}

// ReportPanic reports a panic from the game's phase as a crash: exception
// type is the panic value's type, level fatal, unhandled. stack is the
// panicking goroutine's debug.Stack() or an all-goroutine runtime.Stack
// dump with the panicking goroutine first; frames are marked in-app with
// Options.InApp. The report is spooled and, with a DSN, delivery is awaited
// for at most Options.FlushTimeout. Call it from the deferred function that
// recovered the panic, then re-panic.
func (r *Reporter) ReportPanic(value any, phase watchdog.Phase, stack []byte) {
	func() {
		defer r.recoverLog("ReportPanic")
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.closed {
			return
		}
		ev, rec := r.buildPanic(value, phase, stack)
		if path, ok := r.spoolReport(ev, rec, newStem()+reportSuffix, true); ok {
			r.print(ev, rec, nil, path)
		}
	}()
	if r.send != nil {
		r.Flush(r.o.FlushTimeout)
	}
}

// spoolReport applies the per-fingerprint limit, adds the counts the event
// carries, and writes the report. Called with r.mu held.
func (r *Reporter) spoolReport(ev *sentry.Event, rec *record, name string, limit bool) (string, bool) {
	r.perKey[rec.Key]++
	if limit && r.perKey[rec.Key] > r.o.MaxPerFingerprint {
		r.spool.addSuppressed(rec.Key, 1)
		r.updateStats(func(s *Stats) { s.Suppressed++ })
		return "", false
	}
	st := r.Stats()
	fw := sentry.Context{
		"suppressed_before":    r.spool.takeSuppressed(rec.Key),
		"session_reports":      st.Spooled + 1,
		"session_suppressed":   st.Suppressed,
		"session_dropped":      st.Dropped,
		"spool_dropped_before": 0,
	}
	ev.Contexts["framewatch"] = fw
	data, err := encode(ev, rec)
	if err != nil {
		r.problem("encoding a report", err)
		return "", false
	}
	dropped := r.spool.makeRoom(int64(len(data)) + 64)
	if dropped+r.unreported > 0 {
		fw["spool_dropped_before"] = dropped + r.unreported
		if data, err = encode(ev, rec); err != nil {
			r.problem("encoding a report", err)
			return "", false
		}
	}
	for int64(len(data)) > r.o.MaxSpoolBytes && len(rec.Attachments) > 0 {
		// Too big for the spool: shed the largest attachment (the trace or
		// the dump) rather than the report.
		big := 0
		for i, a := range rec.Attachments {
			if len(a.Data) > len(rec.Attachments[big].Data) {
				big = i
			}
		}
		r.o.Logger.Warn("report larger than Options.MaxSpoolBytes: attachment left out", "title", rec.Title, "attachment", rec.Attachments[big].Filename)
		fw["attachment_dropped"] = rec.Attachments[big].Filename
		rec.Attachments = append(rec.Attachments[:big], rec.Attachments[big+1:]...)
		if data, err = encode(ev, rec); err != nil {
			r.problem("encoding a report", err)
			return "", false
		}
	}
	if int64(len(data)) > r.o.MaxSpoolBytes {
		r.o.Logger.Warn("report larger than Options.MaxSpoolBytes: dropped", "title", rec.Title, "bytes", len(data))
		r.unreported += dropped + 1
		r.updateStats(func(s *Stats) { s.Dropped += dropped + 1 })
		return "", false
	}
	if _, err := r.spool.write(name, data, false); err != nil {
		r.problem("spooling a report", err)
		r.unreported += dropped
		return "", false
	}
	r.unreported = 0
	r.updateStats(func(s *Stats) {
		s.Spooled++
		s.Dropped += dropped
		s.LastTitle = rec.Title
	})
	r.kick()
	return r.spool.path(name), true
}

// Flush waits until every report in the spool has been delivered, for at
// most timeout. It skips the retry backoff but not a server's rate limit.
// It returns true when nothing is left to send: always, without a DSN.
// Safe from any goroutine.
func (r *Reporter) Flush(timeout time.Duration) bool {
	if r.send == nil {
		return true
	}
	select {
	case <-r.done:
		return false
	default:
	}
	w := &waiter{ch: make(chan struct{})}
	r.flushMu.Lock()
	w.after = r.passes
	r.waiters[w] = struct{}{}
	r.flushMu.Unlock()
	r.force.Store(true)
	r.kick()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-w.ch:
		return true
	case <-t.C:
	case <-r.done:
	}
	r.flushMu.Lock()
	delete(r.waiters, w)
	r.flushMu.Unlock()
	select {
	case <-w.ch:
		return true
	default:
		return false
	}
}

// Close ends the Reporter. Stalls still in progress are the game being
// stopped while frozen: they are spooled as Fatal App Hang reports. With a
// DSN, Close then flushes for at most Options.FlushTimeout; what is not
// delivered stays in the spool for the next run. Later calls do nothing.
func (r *Reporter) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.finishLive(time.Now())
		r.mu.Unlock()
		if r.send != nil {
			r.Flush(r.o.FlushTimeout)
		}
		close(r.quit)
		r.cancel()
		<-r.done
		if r.send != nil {
			r.send.close()
		}
		r.closeErr = r.spool.close()
	})
	return r.closeErr
}

// finishLive turns the stalls in progress into Fatal App Hang reports.
// Called with r.mu held.
func (r *Reporter) finishLive(now time.Time) {
	for id, ls := range r.live {
		delete(r.live, id)
		makeFatal(ls.ev, ls.rec, now)
		name := strings.TrimSuffix(ls.name, liveSuffix) + reportSuffix
		if path, ok := r.spoolReport(ls.ev, ls.rec, name, false); ok { // a fatal hang is always reported
			r.print(ls.ev, ls.rec, nil, path)
			r.spool.remove(ls.name)
		}
		ls.f.Close()
	}
}

// Stats returns the current counts. Safe from any goroutine; it never
// waits for file or network work.
func (r *Reporter) Stats() Stats {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	return r.stats
}

func (r *Reporter) updateStats(f func(*Stats)) {
	r.statsMu.Lock()
	f(&r.stats)
	r.statsMu.Unlock()
}

func (r *Reporter) problem(what string, err error) {
	r.o.Logger.Error(what, "err", err, "spool", r.o.SpoolDir)
	r.updateStats(func(s *Stats) { s.LastError = what + ": " + err.Error() })
}

func (r *Reporter) recoverLog(where string) {
	if v := recover(); v != nil {
		r.o.Logger.Error("recovered panic in framewatch reporter", "in", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}

func (r *Reporter) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run is the delivery goroutine.
func (r *Reporter) run() {
	defer close(r.done)
	timer := time.NewTimer(0) // first pass at once: reports from earlier runs
	defer timer.Stop()
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-beat.C:
			r.touchLive()
			continue
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

func (r *Reporter) touchLive() {
	defer r.recoverLog("heartbeat")
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for _, ls := range r.live {
		r.spool.touch(ls.name, now)
	}
}

func (r *Reporter) safePass() (next time.Duration) {
	r.flushMu.Lock()
	r.passes++
	n := r.passes
	r.flushMu.Unlock()
	var drained bool
	defer func() {
		if v := recover(); v != nil {
			r.o.Logger.Error("recovered panic in framewatch delivery", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			next, drained = r.o.MaxRetryBackoff, false
		}
		r.flushMu.Lock()
		for w := range r.waiters {
			if drained && w.after < n {
				close(w.ch)
				delete(r.waiters, w)
			}
		}
		r.flushMu.Unlock()
	}()
	next, drained = r.pass()
	return next
}
