// Package courier is the part of the guardian that delivers (see package
// guardian): a process that opens a report.Reporter on the dead game's
// spool, reports the game's crash output, sends what is there, and exits.
// Import it (ebitenwatch does) and pass Config to guardian.Start; its init
// runs the courier when a guardian starts the executable as one.
package courier

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/guardian"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

func init() {
	if t, ok := guardian.CourierTask(); ok {
		os.Exit(run(t))
	}
}

// config is the part of a Reporter's options a courier can be given: a
// caller's *sentry.Client or Hub (and its BeforeSend) cannot travel.
type config struct {
	DSN, Release, Environment, App, SpoolDir, EbitenVersion string
	MaxSpoolFiles                                           int
	MaxSpoolBytes                                           int64
	InApp                                                   []string
}

// Config returns the guardian.Options.Config that makes a courier report
// as o, the options rep runs with (report.Reporter.Options), would.
func Config(o report.Options) []byte {
	b, _ := json.Marshal(config{
		DSN: o.DSN, Release: o.Release, Environment: o.Environment, App: o.App, SpoolDir: o.SpoolDir,
		EbitenVersion: o.EbitenVersion, MaxSpoolFiles: o.MaxSpoolFiles, MaxSpoolBytes: o.MaxSpoolBytes,
		InApp: o.InApp.Prefixes(),
	})
	return b
}

func run(t *guardian.Task) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var c config
	if err := json.Unmarshal(t.Config, &c); err != nil {
		fmt.Fprintln(os.Stderr, "framewatch courier: bad config:", err)
		return 2
	}
	rep, err := report.New(report.Options{
		DSN: c.DSN, Release: c.Release, Environment: c.Environment, App: c.App, SpoolDir: c.SpoolDir,
		EbitenVersion: c.EbitenVersion, MaxSpoolFiles: c.MaxSpoolFiles, MaxSpoolBytes: c.MaxSpoolBytes,
		InApp: watchdog.NewInAppRule(c.InApp...), Logger: log,
		FlushTimeout: max(time.Until(t.Deadline)-100*time.Millisecond, time.Millisecond),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "framewatch courier:", err)
		return 2
	}
	if len(t.Crash) > 0 {
		if err := rep.ReportCrash(t.Crash, t.PID); err != nil {
			log.Error("framewatch courier: the game's crash output", "err", err)
		}
	}
	if t.Hang != nil {
		if err := rep.ReportProcessHang(*t.Hang); err != nil {
			log.Error("framewatch courier: the game's process hang", "err", err)
		}
	}
	rep.Close() // flushes until the deadline
	return 0
}
