package report

import (
	"os"
	"sync"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// writer makes every spool write of a Reporter: the live records of the
// stalls in progress, on its own goroutine, and the final reports.
type writer struct {
	*core
	kick      func() // wakes the delivery goroutine once the spool is consistent
	queue     stallQueue
	stopWrite chan struct{}
	written   chan struct{} // closed when the writer goroutine ends

	// mu serializes spool writes and guards the fields below.
	mu     sync.Mutex
	closed bool
	live   map[uint64]*liveStall
	perKey map[string]int
}

// put runs f with the writer's lock, unless the Reporter is closed, and
// then wakes the delivery goroutine.
func (r *writer) put(f func(*writer)) {
	defer r.kick()
	defer r.recoverLog("writing a report")
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		f(r)
	}
}

// close stops the writer goroutine, writes what it left, and reports the
// stalls still in progress (closeLive).
func (r *writer) close() {
	close(r.stopWrite)
	<-r.written
	func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.closed = true
	}()
	r.writeJobs()
	defer r.kick()
	defer r.recoverLog("Close")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeLive()
}

// liveStall is a stall in progress: its record as last written and its
// live file, locked while this process lives.
type liveStall struct {
	stem  string
	f     *os.File // the locked live file; nil until one is written
	rec   *record
	ended bool // ended, but its final report is not written yet
	tried bool // a write of its final report failed: counted already
}

// stallQueue hands stalls from the watchdog goroutine to the writer
// goroutine without waiting for the disk. An update replaces a queued
// update of the same stall, so a slow disk skips refreshes instead of
// piling them up.
type stallQueue struct {
	mu   sync.Mutex
	jobs []stallJob
	wake chan struct{}
}

type stallJob struct {
	s    *watchdog.Stall
	done chan struct{} // closed when an ended stall is written; nil for updates
}

func (q *stallQueue) push(j stallJob) {
	q.mu.Lock()
	replaced := false
	if j.done == nil {
		for i := range q.jobs {
			if q.jobs[i].done == nil && q.jobs[i].s.ID == j.s.ID {
				q.jobs[i].s, replaced = j.s, true
			}
		}
	}
	if !replaced {
		q.jobs = append(q.jobs, j)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *stallQueue) take() []stallJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	jobs := q.jobs
	q.jobs = nil
	return jobs
}

// writeLoop is the writer goroutine: it writes live records and final
// reports, and retries final reports the disk refused.
func (r *writer) writeLoop() {
	defer close(r.written)
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	for {
		select {
		case <-r.stopWrite:
			return
		case <-r.queue.wake:
		case <-retry.C:
		}
		r.writeJobs()
	}
}

// writeJobs handles the queued stalls in order. It also runs from Close,
// after the writer goroutine stopped.
func (r *writer) writeJobs() {
	defer r.kick()
	for _, j := range r.queue.take() {
		r.writeJob(j)
	}
	defer r.recoverLog("writing stalls")
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, ls := range r.live {
		if ls.ended {
			r.finalize(id, ls)
		}
	}
}

func (r *writer) writeJob(j stallJob) {
	if j.done != nil {
		defer close(j.done)
	}
	defer r.recoverLog("writing a stall")
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case j.done != nil:
		r.endStall(j.s)
		r.sess.stalling(len(r.live) > 0)
	case !r.closed:
		r.sess.stalling(true) // before the live file: a kill from then on is an ANR
		r.refresh(j.s)
	}
}

// refresh writes the live record of a stall in progress and, the first
// time the stall is a hang, spools its App Hanging. Called with r.mu held.
func (r *writer) refresh(s *watchdog.Stall) {
	ls := r.live[s.ID]
	if ls == nil {
		ls = &liveStall{stem: newStem(), rec: r.newRecord()}
		r.live[s.ID] = ls
	}
	if ls.ended {
		return
	}
	ls.rec.setStall(s)
	if ls.rec.Stall.Tier == tierHang && !ls.rec.Stall.HangSpooled {
		// The hang is reported now, while the game is stuck; the live
		// record then says so, and neither the stall's end nor the
		// process's death reports it again. The report stays locked until
		// the live record says so, lest it be sent and deleted before:
		// then a kill would make it a fatal hang as well.
		rep := *ls.rec
		held, err := r.spoolReport(&rep, ls.stem+reportSuffix, true, true)
		if err == nil {
			ls.rec.Stall.HangSpooled = true
		}
		if held != nil {
			defer held.Close()
		}
	}
	data, err := r.fit(ls.rec)
	if err != nil {
		r.problem("encoding a stall in progress", err)
		return
	}
	if ls.f == nil {
		r.dropped(r.spool.makeRoom(int64(len(data))))
	}
	f, err := r.spool.write(ls.stem+liveSuffix, data, true)
	if err != nil {
		r.problem("spooling a stall in progress", err)
		return
	}
	if ls.f != nil {
		ls.f.Close()
	}
	ls.f = f
}

// endStall turns a stall that ended into its final report. Called with
// r.mu held.
func (r *writer) endStall(s *watchdog.Stall) {
	if r.closed {
		return
	}
	ls := r.live[s.ID]
	if ls == nil {
		ls = &liveStall{stem: newStem(), rec: r.newRecord()}
		r.live[s.ID] = ls
	}
	ls.rec.setStall(s)
	ls.ended = true
	r.updateStats(func(st *Stats) { st.LongestStall = max(st.LongestStall, s.Duration) })
	r.finalize(s.ID, ls)
}

// finalize writes an ended stall's report, unless its App Hanging was
// already spooled, and removes its live file. When the disk refuses the
// report, the live file is rewritten in place as ended (any later reader
// then sends it as it is), or failing that stays locked for a retry: a
// live file is never left for this process to take for a dead one.
func (r *writer) finalize(id uint64, ls *liveStall) {
	rec := ls.rec
	if rec.Stall.HangSpooled {
		r.o.Logger.Info("a hang reported while it lasted has ended", "title", rec.title(), "duration", rec.Stall.Duration)
	} else if _, err := r.spoolReport(rec, ls.stem+reportSuffix, !ls.tried, false); err != nil {
		ls.tried = true
		data, encErr := encodeRecord(rec)
		if ls.f == nil || encErr != nil || rewrite(ls.f, data) != nil {
			if r.closed {
				r.o.Logger.Error("a stall's final report could not be written; the next run will take it for a fatal hang", "file", r.spool.path(ls.stem+liveSuffix))
				ls.f.Close()
				delete(r.live, id)
			}
			return // retried by the writer goroutine
		}
		ls.f.Close()
		delete(r.live, id)
		return
	}
	if ls.f != nil {
		if err := r.spool.remove(ls.stem + liveSuffix); err != nil {
			r.problem("removing a stall's in-progress file", err)
		}
		ls.f.Close()
	}
	delete(r.live, id)
}

// closeLive reports the stalls still in progress when the Reporter closes:
// the game is being stopped while frozen, a Fatal App Hang (a new event
// naming the App Hanging when that was already spooled, see killedHang).
// Called with r.mu held.
func (r *writer) closeLive() {
	for id, ls := range r.live {
		if ls.ended {
			r.finalize(id, ls)
			continue
		}
		r.updateStats(func(st *Stats) { st.LongestStall = max(st.LongestStall, ls.rec.Stall.Duration) })
		fatal, name := ls.rec.asFatal(), ls.stem+reportSuffix
		if ls.rec.Stall.HangSpooled {
			fatal, name = ls.rec.killedHang(), newStem()+reportSuffix
		}
		if _, err := r.spoolReport(fatal, name, false, false); err == nil && ls.f != nil {
			r.spool.remove(ls.stem + liveSuffix)
		}
		if ls.f != nil {
			ls.f.Close()
		}
		delete(r.live, id)
	}
}
