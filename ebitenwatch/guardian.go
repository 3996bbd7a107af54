package ebitenwatch

import (
	"github.com/framewatch/framewatch/ebitenwatch/guardian"
	"github.com/framewatch/framewatch/ebitenwatch/guardian/courier"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// startGuardian starts the guardian process unless opts turn it off. A
// guardian that cannot start is logged: the game runs on without it.
//
// A panic in a phase is reported in-process (it knows the phase and is
// sent before the game dies) and the guardian is told, so the crash output
// of the same panic is not reported again; a panic anywhere else reaches
// Sentry through the guardian only.
func startGuardian(opts Options, rep *report.Reporter, wd *watchdog.Watchdog) *guardian.Guardian {
	if opts.NoGuardian {
		return nil
	}
	g, err := guardian.Start(guardian.Options{
		SpoolDir: rep.SpoolDir(),
		Config:   courier.Config(rep.Options()),
		Beat:     wd.Beat,
		Logger:   opts.Logger,
	})
	if err != nil {
		opts.Logger.Info("framewatch: running without a guardian process", "err", err)
		return nil
	}
	return g
}
