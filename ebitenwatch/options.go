package ebitenwatch

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/framewatch/framewatch/workslicer"
	"github.com/hajimehoshi/ebiten/v2"
)

// Options configure a Watcher. The zero value is the documented default for
// every field: frozen frames past 700 ms and hangs past 2 s go to the
// console and an on-disk spool, or to Sentry when $SENTRY_DSN is set.
type Options struct {
	// Watchdog sets thresholds (Hitch, Frozen, Hang), the sample interval,
	// in-app rules and the flight recorder. Its Sink and Paused are set by
	// the Watcher; setting them is an error.
	Watchdog watchdog.Options
	// Report sets where reports go: Sentry DSN, or a caller's own
	// *sentry.Client or *sentry.Hub, the spool directory and app name.
	// The Watcher sets its Session (one release-health session per run,
	// unless NoSession) and its Vitals (the watchdog's frame statistics).
	Report report.Options
	// NoSession turns release-health sessions off, for a game that sends
	// its own session updates: each run must be one session, counted by
	// one sender.
	NoSession bool

	// Scheduler, if set, runs after every Update with what remains of the
	// frame's budget, and its frame ends after each Draw. A stall inside
	// one of its chunks is reported with the task and step.
	Scheduler *workslicer.Scheduler

	// Overlay draws a frame-time graph and the session's stall counts over
	// the game, after its Draw. Off by default. It costs a few clock reads
	// per frame while enabled.
	Overlay bool
	// OverlayKey shows and hides the overlay when Overlay is set. The zero
	// value means F12 (so ebiten.KeyA cannot be chosen).
	OverlayKey ebiten.Key

	// NoGuardian turns off the guardian process (package guardian), which
	// New otherwise starts on Linux: it sends a Fatal App Hang within
	// seconds when the game is killed during a stall, and reports crashes
	// no goroutine can recover (fatal runtime errors, panics on goroutines
	// the Watcher does not own) from the runtime's crash output.
	NoGuardian bool

	// Logger receives the Watcher's own messages and the session summary,
	// and is the default for Watchdog.Logger and Report.Logger. Default
	// slog.Default().
	Logger *slog.Logger
}

func (o Options) resolve() (Options, error) {
	if o.Watchdog.Sink != nil {
		return o, errors.New("ebitenwatch: Options.Watchdog.Sink must be nil: the Watcher sends stalls to its reporter")
	}
	if o.Watchdog.Paused != nil {
		return o, errors.New("ebitenwatch: Options.Watchdog.Paused must be nil: the Watcher pauses while the window is unfocused; use Watcher.Pause")
	}
	if o.OverlayKey < 0 || o.OverlayKey > ebiten.KeyMax {
		return o, fmt.Errorf("ebitenwatch: Options.OverlayKey %d is not a key", o.OverlayKey)
	}
	if o.OverlayKey == 0 {
		o.OverlayKey = ebiten.KeyF12
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Watchdog.Logger == nil {
		o.Watchdog.Logger = o.Logger
	}
	if o.Report.Logger == nil {
		o.Report.Logger = o.Logger
	}
	return o, nil
}
