package report_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// With no DSN, a Reporter keeps each report in its spool and prints a short
// block to the console. The watchdog calls StallStarted and StallEnded; this
// example makes the stall by hand.
func Example() {
	dir, err := os.MkdirTemp("", "spool")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var console bytes.Buffer

	rep, err := report.New(report.Options{SpoolDir: dir, Console: &console})
	if err != nil {
		log.Fatal(err)
	}
	defer rep.Close()

	frames := []watchdog.Frame{ // innermost first, as in a goroutine dump
		{Function: "sync.(*Mutex).Lock", File: "/usr/lib/go/src/sync/mutex.go", Line: 46},
		{Function: "main.loadAllAssets", File: "/home/dev/game/assets.go", Line: 88, InApp: true},
		{Function: "main.(*Game).Update", File: "/home/dev/game/game.go", Line: 40, InApp: true},
	}
	rep.StallEnded(&watchdog.Stall{
		ID: 1, Phase: watchdog.PhaseUpdate, Tick: 812, Start: time.Now(),
		Duration: 2400 * time.Millisecond, Tier: watchdog.TierHang, Class: watchdog.ClassLock, Ended: true,
		Goroutine: 7, Stacks: []watchdog.Stack{{Frames: frames, Count: 24, State: "sync.Mutex.Lock"}},
		Samples: 24, Culprit: frames[1],
	})

	// The spool file's name is unique per report; hide it.
	name := regexp.MustCompile(`[0-9a-f-]+\.report\.json`)
	out := strings.ReplaceAll(filepath.ToSlash(console.String()), filepath.ToSlash(dir), "$SPOOL")
	fmt.Print(name.ReplaceAllString(out, "<id>.report.json"))
	fmt.Printf("spooled %d, sent %d\n", rep.Stats().Spooled, rep.Stats().Sent)
	// Output:
	// framewatch: App Hanging: main.loadAllAssets: Update blocked for at least 2.4 s (lock)
	//   Update blocked 2.4 s, class lock, tick 812, 24 samples, goroutine 7 [sync.Mutex.Lock]
	//   stack, innermost first (* = your code):
	//       sync.(*Mutex).Lock
	//         /usr/lib/go/src/sync/mutex.go:46
	//     * main.loadAllAssets
	//         /home/dev/game/assets.go:88
	//     * main.(*Game).Update
	//         /home/dev/game/game.go:40
	//   spooled: $SPOOL/<id>.report.json
	//   not sent: no SENTRY_DSN; a run with one set sends it
	// spooled 1, sent 0
}
