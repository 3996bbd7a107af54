// Command sendstall sends one real frozen-frame report to a Sentry DSN, such
// as a local Spotlight, to see how reports look there (screenshot.sh uses
// it). A goroutine standing in for the game's Update really blocks on a
// lock in main.loadAllAssets; its stack, an all-goroutine dump and the
// folded samples are taken from the running process.
//
//	go run ./tools/spotlight/sendstall -dsn http://public@127.0.0.1:8969/0
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// assetCache is locked by a slow refresh while the game's Update wants it.
type assetCache struct {
	mu     sync.Mutex
	images map[string][]byte
}

type game struct{ cache *assetCache }

//go:noinline
func (g *game) Update() error {
	loadAllAssets(g.cache)
	return nil
}

//go:noinline
func loadAllAssets(c *assetCache) {
	c.mu.Lock() // waits for the refresh: the frame freezes here
	defer c.mu.Unlock()
	c.images["atlas.png"] = nil
}

func main() {
	dsn := flag.String("dsn", os.Getenv("SENTRY_DSN"), "Sentry or Spotlight DSN")
	flag.Parse()
	if *dsn == "" {
		log.Fatal("sendstall: set -dsn or SENTRY_DSN, e.g. http://public@127.0.0.1:8969/0")
	}

	cache := &assetCache{images: map[string][]byte{}}
	cache.mu.Lock() // the refresh holds the lock
	go (&game{cache: cache}).Update()
	stall := observe()
	cache.mu.Unlock()

	spool, err := os.MkdirTemp("", "sendstall")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(spool)
	rep, err := report.New(report.Options{
		DSN: *dsn, SpoolDir: spool, Console: io.Discard,
		Release: "demo@0.1.0", Environment: "development", EbitenVersion: "v2.9.10",
	})
	if err != nil {
		log.Fatal(err)
	}
	first := *stall
	first.Ended, first.Duration, first.Samples = false, 600*time.Millisecond, 1
	rep.StallStarted(&first)
	rep.StallEnded(stall)
	ok := rep.Flush(5 * time.Second)
	rep.Close()
	if !ok {
		log.Fatalf("sendstall: not delivered: %s", rep.Stats().LastError)
	}
	fmt.Println(rep.Stats().LastTitle)
}

// observe does what the watchdog does once a frame is stuck: it dumps all
// goroutines, finds the stuck one and builds the Stall.
func observe() *watchdog.Stall {
	start := time.Now()
	for {
		time.Sleep(5 * time.Millisecond)
		buf := make([]byte, 1<<20)
		dump := buf[:runtime.Stack(buf, true)]
		gs, _ := watchdog.ParseDump(dump, watchdog.InAppRule{})
		for _, g := range gs {
			if !strings.Contains(g.State, "Mutex") || len(g.Frames) == 0 {
				continue
			}
			var culprit *watchdog.Frame
			for i := range g.Frames {
				if g.Frames[i].InApp {
					culprit = &g.Frames[i]
					break
				}
			}
			if culprit == nil {
				continue
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			d := 1240 * time.Millisecond
			return &watchdog.Stall{
				ID: 1, Phase: watchdog.PhaseUpdate, Tick: 4312, Start: start, Duration: d,
				Tier: watchdog.TierFrozen, Class: watchdog.ClassLock, Ended: true, Goroutine: g.ID,
				Stacks: []watchdog.Stack{
					{Frames: g.Frames, Count: 19, State: g.State},
					{Frames: g.Frames[1:], Count: 2, State: "runnable"},
				},
				Samples: 21, Culprit: *culprit, Dump: dump, Goroutines: gs,
				Runtime: watchdog.Runtime{
					Goroutines: len(gs), HeapInUse: ms.HeapInuse, GCCycles: 1, GCPause: 400 * time.Microsecond,
					GCCPU: 3 * time.Millisecond, CPU: 41 * time.Millisecond, Wall: d,
				},
				RecentFrames: []time.Duration{16600 * time.Microsecond, 16700 * time.Microsecond, 16500 * time.Microsecond, 17100 * time.Microsecond},
				Tags:         map[string]string{"scene": "title"},
			}
		}
	}
}
