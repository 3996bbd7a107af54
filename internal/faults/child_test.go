package faults_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/hajimehoshi/ebiten/v2"
)

// A child's settings, from its environment.
const (
	spoolEnv  = "FAULTS_SPOOL"  // spool directory
	dsnEnv    = "FAULTS_DSN"    // Sentry DSN; empty: none
	ledgerEnv = "FAULTS_LEDGER" // file the child appends its stalls to
	stallsEnv = "FAULTS_STALLS" // stalls to make before exiting cleanly; 0: until killed
	signalEnv = "FAULTS_SIGNAL" // set: the reporter flushes on SIGINT and SIGTERM
)

// Thresholds of the children's watchdog: short, so that scenarios run many
// stalls quickly.
const (
	frozen = 200 * time.Millisecond
	hang   = 600 * time.Millisecond
)

// ledger passes stalls on to the reporter and writes down, durably, which
// stalls the child saw start and end. It names each stall uniquely across
// runs in the "fault.stall" tag, so the parent can match the server's
// events to the ledger.
type ledger struct {
	next watchdog.Sink
	mu   sync.Mutex
	f    *os.File
}

func stallKey(s *watchdog.Stall) string { return fmt.Sprintf("%d-%d", os.Getpid(), s.ID) }

func (l *ledger) tag(s *watchdog.Stall) {
	if s.Tags == nil {
		s.Tags = map[string]string{}
	}
	s.Tags["fault.stall"] = stallKey(s)
}

// write appends a line and syncs it: a kill -9 right after must not lose
// it. It is written after the reporter had the stall, so a line in the
// ledger means the reporter was told.
func (l *ledger) write(what string, s *watchdog.Stall) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.f, "%s %s\n", what, stallKey(s))
	l.f.Sync()
}

func (l *ledger) StallStarted(s *watchdog.Stall) {
	l.tag(s)
	l.next.StallStarted(s)
	l.write("started", s)
}

func (l *ledger) StallUpdated(s *watchdog.Stall) {
	l.tag(s)
	l.next.StallUpdated(s)
}

func (l *ledger) StallEnded(s *watchdog.Stall) {
	l.tag(s)
	l.next.StallEnded(s)
	l.write("ended", s)
}

// loopChild runs a plain game loop at about 60 frames a second, watched by
// a watchdog and a reporter, and stalls in one frame of every 20 for 0.3 to
// 1.2 s (frozen or hang). With FAULTS_STALLS set it exits cleanly after
// that many stalls; otherwise it runs until killed.
func loopChild() int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := report.New(report.Options{
		DSN:               os.Getenv(dsnEnv),
		SpoolDir:          os.Getenv(spoolEnv),
		Console:           io.Discard,
		Logger:            logger,
		MaxPerFingerprint: 1 << 20,
		RetryBackoff:      50 * time.Millisecond,
		MaxRetryBackoff:   time.Second,
		FlushTimeout:      10 * time.Second,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	f, err := os.OpenFile(os.Getenv(ledgerEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	wd, err := watchdog.New(watchdog.Options{
		Sink: &ledger{next: rep, f: f}, Frozen: frozen, Hang: hang, Logger: logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if os.Getenv(signalEnv) != "" {
		defer rep.FlushOnSignal()()
	}
	limit, _ := strconv.Atoi(os.Getenv(stallsEnv))
	fmt.Println("ready")
	for tick, stalls := uint64(1), 0; limit == 0 || stalls < limit; tick++ {
		wd.Enter(watchdog.PhaseUpdate, tick)
		if tick%20 == 10 {
			stallFor(time.Duration(300+int(tick*37)%900) * time.Millisecond)
			stalls++
		}
		wd.Exit()
		wd.Enter(watchdog.PhaseDraw, tick)
		time.Sleep(16 * time.Millisecond)
		wd.Exit()
	}
	wd.Close()
	if err := rep.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return 0
}

//go:noinline
func stallFor(d time.Duration) { time.Sleep(d) }

// deliverChild only opens a reporter, which sends what the spool holds,
// and exits once it has sent everything or its flush timed out.
func deliverChild() int {
	rep, err := report.New(report.Options{
		DSN:          os.Getenv(dsnEnv),
		SpoolDir:     os.Getenv(spoolEnv),
		Console:      io.Discard,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		RetryBackoff: 50 * time.Millisecond,
		FlushTimeout: 20 * time.Second,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ready")
	ok := rep.Flush(20 * time.Second)
	rep.Close()
	fmt.Println("flushed", ok)
	return 0
}

// panicGame panics in its 20th Update.
type panicGame struct{ ticks int }

func (g *panicGame) Update() error {
	if g.ticks++; g.ticks == 20 {
		panic("boom while offline")
	}
	return nil
}

func (g *panicGame) Draw(*ebiten.Image)         {}
func (g *panicGame) Layout(int, int) (int, int) { return 320, 240 }

// panicChild runs a watched game that panics, reporting to FAULTS_DSN.
func panicChild() int {
	fmt.Println("ready")
	err := ebitenwatch.RunGame(&panicGame{}, ebitenwatch.Options{
		Report: report.Options{DSN: os.Getenv(dsnEnv), SpoolDir: os.Getenv(spoolEnv), Console: io.Discard},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	fmt.Fprintln(os.Stderr, "the game ended without its panic:", err)
	return 1
}
