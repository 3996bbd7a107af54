package workslicer

import (
	"log/slog"
	"runtime/debug"
	"time"
)

// Stalled is a task or load whose progress has not moved for
// Options.StallAfter on the game's clock, as Options.OnStalled hears of it.
type Stalled struct {
	Task     string        // the task's name or the load's key
	Kind     string        // the Task's or Loader's Kind
	Stage    string        // "Task", "Fetch" (running it) or "Finish"
	Progress float64       // where it stopped, as Handle.Progress shows it
	For      time.Duration // on the game's clock, since it last moved
}

// maxGameStep caps what one frame adds to the game's clock.
const maxGameStep = 250 * time.Millisecond

// stallWatch follows the progress of unfinished work on the game's clock.
// Game goroutine only.
type stallWatch struct {
	clock, lastEnd time.Duration // lastEnd: real time of the last EndFrame
	next           time.Duration // the game time of the next look
	watched        []*watched
}

type watched struct {
	st      *state
	seen    float64
	movedAt time.Duration // game time
	stalled bool          // reported since it last moved
}

// watch has EndFrame follow st, if OnStalled is set. s.mu must be held.
func (s *Scheduler) watch(st *state) {
	if s.opts.OnStalled != nil {
		s.started = append(s.started, st)
	}
}

// watchStalls advances the game's clock and, every StallAfter/16 of it,
// tells OnStalled about work that has not moved for StallAfter.
func (s *Scheduler) watchStalls() {
	w := &s.stalls
	now := s.elapsed()
	if w.lastEnd != 0 {
		w.clock += min(now-w.lastEnd, maxGameStep)
	}
	w.lastEnd = now
	if w.clock < w.next {
		return
	}
	w.next = w.clock + s.opts.StallAfter/16
	s.mu.Lock()
	started := s.started
	s.started = nil
	s.mu.Unlock()
	for _, st := range started {
		w.watched = append(w.watched, &watched{st: st, seen: -1})
	}
	kept := w.watched[:0]
	for _, x := range w.watched {
		if x.st.ended.Load() {
			continue
		}
		kept = append(kept, x)
		// A load waiting for a worker is not stuck itself: the loads
		// ahead of it are, if any. Its clock starts when a worker takes it.
		if p := x.st.progressNow(); p > x.seen || x.st.fetch.Load() != nil {
			x.seen, x.movedAt, x.stalled = p, w.clock, false
		} else if !x.stalled && w.clock-x.movedAt >= s.opts.StallAfter {
			x.stalled = true
			s.onStalled(Stalled{Task: x.st.name, Kind: x.st.kind, Stage: x.st.stage(p), Progress: p, For: w.clock - x.movedAt})
		}
	}
	clear(w.watched[len(kept):])
	w.watched = kept
}

// stage names the stage of st at progress p.
func (st *state) stage(p float64) string {
	switch {
	case st.key == "":
		return "Task"
	case p < st.split:
		return "Fetch"
	}
	return "Finish"
}

func (s *Scheduler) onStalled(st Stalled) {
	defer func() {
		if r := recover(); r != nil {
			s.opts.Logger.Error("workslicer: OnStalled panicked", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
		}
	}()
	s.opts.OnStalled(st)
}
