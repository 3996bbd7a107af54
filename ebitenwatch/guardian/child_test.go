//go:build linux

package guardian_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/guardian"
	"github.com/framewatch/framewatch/ebitenwatch/guardian/courier"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// A child's settings, from its environment.
const (
	childEnv = "GUARDIAN_TEST_CHILD" // what the child does: see runChild
	spoolEnv = "GUARDIAN_TEST_SPOOL"
	dsnEnv   = "GUARDIAN_TEST_DSN"
)

// runChild is a plain game loop watched by a watchdog, a reporter and a
// guardian, which then does what mode says:
//
//	stall    stalls in Update for 10 s, then exits cleanly
//	mapcrash dies of "fatal error: concurrent map writes"
//	gopanic  a background goroutine panics
//	exit     closes cleanly and exits with status 3
//	loop     runs frames until killed
//
// It prints "guardian <pid>" once the guardian runs and "go" when it
// begins its act.
func runChild(mode string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := report.New(report.Options{DSN: os.Getenv(dsnEnv), SpoolDir: os.Getenv(spoolEnv), Console: io.Discard, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	wd, err := watchdog.New(watchdog.Options{Sink: rep, Frozen: 200 * time.Millisecond, Hang: 5 * time.Second, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	g, err := guardian.Start(guardian.Options{
		SpoolDir: rep.SpoolDir(), Config: courier.Config(rep.Options()), Logger: log,
		Beat: wd.Beat, ProcessHang: 2 * time.Second,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("guardian", g.PID())
	for tick := uint64(1); tick < 10; tick++ {
		wd.Enter(watchdog.PhaseUpdate, tick)
		time.Sleep(10 * time.Millisecond)
		wd.Exit()
	}
	fmt.Println("go")
	switch mode {
	case "stall":
		wd.Enter(watchdog.PhaseUpdate, 10)
		stuckInUpdate(10 * time.Second)
		wd.Exit()
	case "mapcrash":
		concurrentMapWrites()
	case "gopanic":
		go backgroundWork()
		select {}
	case "loop":
		for tick := uint64(10); ; tick++ {
			wd.Enter(watchdog.PhaseUpdate, tick)
			time.Sleep(10 * time.Millisecond)
			wd.Exit()
		}
	}
	wd.Close()
	rep.Close()
	g.Close()
	if mode == "exit" {
		return 3
	}
	return 0
}

//go:noinline
func stuckInUpdate(d time.Duration) { time.Sleep(d) }

//go:noinline
func concurrentMapWrites() {
	m := map[int]int{}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := 0; ; j++ {
				m[i*1e6+j%1000] = j
			}
		})
	}
	wg.Wait()
}

//go:noinline
func backgroundWork() {
	time.Sleep(50 * time.Millisecond)
	panic("background work failed: " + strconv.Itoa(42))
}
