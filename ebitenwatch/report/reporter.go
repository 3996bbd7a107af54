package report

import (
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
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
	// LongestStall is the longest stall of this run, measured to its end
	// or to Close, including hangs whose report was sent while they lasted.
	LongestStall time.Duration
}

// Reporter turns stalls and panics into Sentry events. It implements
// watchdog.Sink. Every report is first written to the spool by the
// Reporter's writer goroutine; its delivery goroutine sends it and deletes
// it once the server accepted it.
//
// All methods are safe for concurrent use. StallStarted and StallUpdated
// only queue the stall for the writer goroutine; StallEnded waits for its
// final report to be written. A Reporter never panics into its caller:
// failures are logged to Options.Logger.
type Reporter struct {
	*core
	w         *writer  // the stalls in progress and every spool write
	c         *courier // delivery
	closeOnce sync.Once
	closeErr  error
}

// core is what the Reporter's parts share: options, spool, sender, counts.
type core struct {
	o     resolved
	spool *spool
	send  *sender  // nil without a DSN
	sess  *session // this run's session; nil without Options.Session or a DSN

	statsMu sync.Mutex
	stats   Stats
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
	c := &core{o: o, spool: sp}
	r := &Reporter{core: c, c: &courier{core: c}}
	r.c.init()
	r.w = &writer{
		core: c, kick: r.c.kick,
		queue:     stallQueue{wake: make(chan struct{}, 1)},
		stopWrite: make(chan struct{}),
		written:   make(chan struct{}),
		live:      map[uint64]*liveStall{},
		perKey:    map[string]int{},
	}
	if o.dsn != "" {
		if c.send, err = newSender(o, r.c.ctx); err != nil {
			sp.close()
			return nil, err
		}
	}
	c.stats.Online = c.send != nil
	c.sess = startSession(c)
	r.c.recoverOrphans() // stalls whose process died: Fatal App Hang reports, now
	go r.w.writeLoop()
	go r.c.deliverLoop()
	return r, nil
}

// SpoolDir returns the spool directory in use.
func (r *Reporter) SpoolDir() string { return r.o.SpoolDir }

// StallStarted implements watchdog.Sink. It queues the stall for the
// writer goroutine, which spools it as in progress within milliseconds, so
// that a report exists even if the player kills the game before the frame
// returns; the next run then sends it as a Fatal App Hang. It does not
// wait for the disk.
func (r *Reporter) StallStarted(s *watchdog.Stall) { r.StallUpdated(s) }

// StallUpdated implements watchdog.Sink. It queues the stall, whose live
// record is then rewritten with everything sampled so far, so that a game
// killed now is reported where it is now. The first time the stall is a
// hang, its App Hanging report is spooled and sent at once, while the game
// is still stuck. It does not wait for the disk.
func (r *Reporter) StallUpdated(s *watchdog.Stall) {
	if s != nil {
		r.w.queue.push(stallJob{s: s})
	}
}

// StallEnded implements watchdog.Sink. It replaces the stall's in-progress
// file with the final report (none if its App Hanging was already sent),
// prints it to Console when there is no DSN, and wakes the delivery
// goroutine. Past Options.MaxPerFingerprint events for the stall's
// fingerprint in this run, the stall is only counted. It returns once the
// report is written.
func (r *Reporter) StallEnded(s *watchdog.Stall) {
	if s == nil {
		return
	}
	done := make(chan struct{})
	r.w.queue.push(stallJob{s: s, done: done})
	select {
	case <-done:
	case <-r.w.written: // closed meanwhile
	}
}

// ReportPanic reports a panic from the game's phase as a crash: exception
// type is the panic value's type, level fatal, unhandled. stack is the
// panicking goroutine's debug.Stack() or an all-goroutine runtime.Stack
// dump with the panicking goroutine first; frames are marked in-app with
// Options.InApp. The report is spooled and, with a DSN, delivery is awaited
// until it is sent or cannot be sent within Options.FlushTimeout. Call it
// from the deferred function that recovered the panic, then re-panic.
func (r *Reporter) ReportPanic(value any, phase watchdog.Phase, stack []byte) {
	r.w.put(func(w *writer) {
		rec := w.newRecord()
		rec.setPanic(value, phase, stack, r.o.InApp)
		w.spoolReport(rec, newStem()+reportSuffix, true, false)
	})
	if r.send != nil {
		r.Flush(r.o.FlushTimeout)
	}
}

// Flush waits until every report in the spool has been delivered, for at
// most timeout, and returns as soon as what is left cannot be delivered
// before then (the server is unreachable, failing or rate limiting). It
// skips each report's retry backoff but not a server's rate limit. It
// returns true when nothing is left to send: always, without a DSN. Safe
// from any goroutine.
func (r *Reporter) Flush(timeout time.Duration) bool {
	if r.send == nil {
		return true
	}
	return r.c.flush(timeout)
}

// newRecord starts a record with this run's release, tags and scope.
func (r *writer) newRecord() *record {
	rec := r.o.base()
	rec.Session, rec.Vitals = r.sess.id(), r.o.vitals()
	if h := r.o.Hub; h != nil {
		scope := h.Scope().ApplyToEvent(sentry.NewEvent(), nil, h.Client())
		if scope != nil {
			for _, a := range scope.Attachments {
				if a != nil {
					rec.Attachments = append(rec.Attachments, attachment{a.Filename, a.ContentType, a.Payload})
				}
			}
			scope.Attachments, scope.Level, scope.Fingerprint = nil, "", nil
			rec.Scope = scope
		}
	}
	return rec
}

// Close ends the Reporter. Stalls still in progress are the game being
// stopped while frozen: they are spooled as Fatal App Hang reports, unless
// their App Hanging was already sent. With a DSN, Close then flushes for at
// most Options.FlushTimeout; what is not delivered stays in the spool for
// the next run. Later calls do nothing.
func (r *Reporter) Close() error {
	r.closeOnce.Do(func() {
		r.w.close()
		r.sess.end(statusExited)
		if r.send != nil {
			r.Flush(r.o.FlushTimeout)
		}
		r.c.stop()
		r.sess.release()
		if r.send != nil {
			r.send.close()
		}
		r.closeErr = r.spool.close()
	})
	return r.closeErr
}

// Stats returns the current counts. Safe from any goroutine; it never
// waits for file or network work.
func (r *Reporter) Stats() Stats { return r.snapshot() }

func (r *core) snapshot() Stats {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	return r.stats
}

func (r *core) updateStats(f func(*Stats)) {
	r.statsMu.Lock()
	f(&r.stats)
	r.statsMu.Unlock()
}

// dropped counts n reports deleted or set aside unsent, in Stats and in
// the spool, where the next event sent finds the count.
func (r *core) dropped(n int) {
	if n > 0 {
		r.spool.addCount(droppedFile, droppedFile, n)
		r.updateStats(func(s *Stats) { s.Dropped += n })
	}
}

func (r *core) problem(what string, err error) {
	r.o.Logger.Error(what, "err", err, "spool", r.o.SpoolDir)
	r.updateStats(func(s *Stats) { s.LastError = what + ": " + err.Error() })
}

func (r *core) recoverLog(where string) {
	if v := recover(); v != nil {
		r.o.Logger.Error("recovered panic in framewatch reporter", "in", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}
