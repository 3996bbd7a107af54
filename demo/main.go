// Command demo is a small Ebitengine scene that reproduces the stalls from
// the article that inspired framewatch: a thrashing asset load, a network
// call, a lock wait and too much work in one tick. Each has a stalling
// variant, which the watchdog reports, and a fixed one, which uses
// workslicer or a background goroutine and keeps the scene moving. Three
// more are the player's other "crashes", each reported once while every
// frame is on time: a corrupt asset (Load Failed), a download whose server
// stops sending (Loading Stalled) and a dropped server connection (Game
// Unusable).
//
// Run it with `make demo`. Keys: 1-7 pick a scenario, V switches between
// stalling and fixed, Space runs it, F12 toggles the frame-time overlay.
// With -script it runs every scenario, stalling then fixed (the last three
// once), prints a table
// (or JSON with -json) and exits; that is what `make demo` does without a
// display.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/workslicer"
	"github.com/hajimehoshi/ebiten/v2"
)

// screenW and screenH are the game's screen and its window. Every pixel
// costs on each frame, and under a software renderer it costs a lot: with
// Mesa llvmpipe on 2 cores an empty 960×540 frame took about 12 ms to
// present and the scene about 20 ms, more than a tick, against 6 and
// 10 ms at 640×360.
const screenW, screenH = 640, 360

type flags struct {
	script     bool
	jsonOut    bool
	screenshot string
	scenario   string
	fixed      bool
	thrash     bool
	stallFor   time.Duration
	pace       bool
}

func main() {
	var f flags
	flag.BoolVar(&f.script, "script", false, "run every scenario, stalling then fixed, print a table and exit")
	flag.BoolVar(&f.jsonOut, "json", false, "with -script, print JSON instead of a table")
	flag.StringVar(&f.screenshot, "screenshot", "", "save a PNG of the screen to this file (with -script: during the fixed load)")
	flag.StringVar(&f.scenario, "scenario", "load", "scenario to show first: load, network, lock, cpu, corrupt, stuck or disconnect")
	flag.BoolVar(&f.fixed, "fixed", false, "start with the fixed variant")
	flag.BoolVar(&f.thrash, "thrash", true, "make asset reads slow and memory hungry, as on a thrashing machine")
	flag.DurationVar(&f.stallFor, "stall", 2500*time.Millisecond, "how long the network and lock scenarios block")
	flag.BoolVar(&f.pace, "pace", true, "start frames no faster than ticks, for displays whose vsync does not wait (Xvfb)")
	flag.Parse()
	if err := run(f); err != nil {
		log.Fatal(err)
	}
}

func run(f flags) error {
	if scenarioNamed(f.scenario) == nil {
		return fmt.Errorf("-scenario %q: want load, network, lock, cpu, corrupt, stuck or disconnect", f.scenario)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, err := ebitenwatch.New(ebitenwatch.Options{Overlay: true, Logger: logger})
	if err != nil {
		return err
	}
	defer w.Close()
	// Two loader workers: one decodes an asset while the other reads the
	// next (the pack's reads take turns, see pack.reading). With one, the
	// fixed load took 1.14 to 1.28 times as long as the stalling one, and
	// 1.05 to 1.17 times with two, each to the frame that shows the
	// level. Loads that stop moving for 5 s of the game's clock (the
	// default StallAfter) are reported.
	sched, err := w.NewScheduler(workslicer.Options{Workers: 2, Logger: logger})
	if err != nil {
		return err
	}
	server, err := startSlowServer(f.stallFor)
	if err != nil {
		return err
	}
	var pk *pack
	if f.thrash {
		if pk, err = openPack(packDir()); err != nil {
			return err
		}
		defer pk.close()
	}
	g := newGame(f, w, sched, server, pk)
	if f.script {
		g.script.measureHost()
	}
	ebiten.SetWindowSize(screenW, screenH)
	// Every frame covers the whole screen, so clearing it first is a
	// full-screen pass for nothing; under llvmpipe on 2 cores it cost about
	// 2 ms of the 8 to 10 ms a frame takes to present.
	ebiten.SetScreenClearedEveryFrame(false)
	ebiten.SetWindowTitle("framewatch demo")
	game := w.Wrap(g)
	if f.script {
		// Only the script reads the timings; they grow with every frame.
		game = newTimedGame(game, &g.timing)
	}
	if err := ebiten.RunGame(game); err != nil {
		return err
	}
	if f.script {
		return g.script.print(os.Stdout, f.jsonOut)
	}
	return nil
}

func savePNG(path string, img image.Image) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(out, img); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
