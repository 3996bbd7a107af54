package ebitenwatch_test

import (
	"testing"

	"github.com/framewatch/framewatch/internal/ebitentest"
)

func TestMain(m *testing.M) {
	ebitentest.Main(m, children)
}

// children are the programs tests run in processes of their own, because a
// process can run only one game.
var children = map[string]func() int{
	"ten-ticks":          runTenTicks,
	"block-update":       func() int { return runWatched(&blockingGame{phase: "update"}) },
	"block-first-update": func() int { return runWatched(&blockingGame{phase: "first-update"}) },
	"block-draw":         func() int { return runWatched(&blockingGame{phase: "draw"}) },
	"panic-update":       func() int { return runWatched(&blockingGame{phase: "panic"}) },
	"custom-error":       func() int { return runWatched(&blockingGame{phase: "error"}) },
	"unfocused":          runUnfocused,
	"focus-thief":        runFocusThief,
	"minimize-no-wm":     runMinimizeWithoutWM,
	"pixels-bare":        func() int { return runPixels(false) },
	"pixels-wrapped":     func() int { return runPixels(true) },
	"overlay-allocs":     runOverlayAllocs,
}
