package ebitenwatch

import (
	"runtime"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/hajimehoshi/ebiten/v2"
)

// paused tells the watchdog when no frames run on purpose. Ebitengine
// stops calling the game, so the loop sits between phases, while TPS is 0
// or while the window is unfocused and the game does not run unfocused. A
// phase that blocks is never paused: that is the game's own stall.
func (w *Watcher) paused(p watchdog.Phase) bool {
	return p == watchdog.PhaseIdle && (ebiten.TPS() == 0 || w.suspended.Load())
}

// focusPoll is how often window focus is polled, and how long a poll may
// take before the main thread counts as busy.
const focusPoll = 100 * time.Millisecond

// pollFocus keeps w.suspended: whether Ebitengine has suspended the game
// because its window lost focus. While suspended, Ebitengine's main thread
// waits for focus inside its per-frame event handling, and ebiten.IsFocused
// blocks until that returns. So when a poll does not answer in time, the
// stacks decide: the main thread inside that event handling counts as
// suspended; busy anywhere else, it is a stall like any other.
func (w *Watcher) pollFocus() {
	defer close(w.polled)
	t := time.NewTicker(focusPoll)
	defer t.Stop()
	timeout := time.NewTimer(focusPoll)
	defer timeout.Stop()
	answer := make(chan bool, 1)
	asking := false
	for {
		select {
		case <-w.stopPoll:
			return
		case <-t.C:
		}
		if ebiten.IsRunnableOnUnfocused() {
			w.suspended.Store(false)
			continue
		}
		if !asking {
			asking = true
			go func() { answer <- ebiten.IsFocused() }()
		}
		timeout.Reset(focusPoll)
		select {
		case focused := <-answer:
			asking = false
			w.suspended.Store(!focused)
		case <-timeout.C:
			w.suspended.Store(inEventHandling())
		}
	}
}

// uiUpdate is Ebitengine's per-frame event handling on the main thread,
// where it waits while a game that does not run unfocused has lost the
// focus.
const uiUpdate = "github.com/hajimehoshi/ebiten/v2/internal/ui.(*UserInterface).update"

// inEventHandling reports whether a goroutine is inside uiUpdate. It reads
// the goroutine profile, which stops the world only briefly, and only when
// a focus poll went unanswered.
func inEventHandling() bool {
	var recs []runtime.StackRecord
	for {
		n, _ := runtime.GoroutineProfile(nil)
		recs = make([]runtime.StackRecord, n+16)
		if n, ok := runtime.GoroutineProfile(recs); ok {
			recs = recs[:n]
			break
		}
	}
	for _, r := range recs {
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			if f.Function == uiUpdate {
				return true
			}
			if !more {
				break
			}
		}
	}
	return false
}
