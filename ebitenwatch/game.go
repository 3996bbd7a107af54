package ebitenwatch

import (
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/hajimehoshi/ebiten/v2"
)

// game wraps an ebiten.Game. Ebitengine type-asserts a game for the
// optional interfaces LayoutFer and FinalScreenDrawer, so Wrap returns one
// of four types that implement exactly the ones the wrapped game has.
//
// Every method runs on the game goroutine and is on the hot path: the
// common case is an atomic store before and after the game's own method,
// and nil checks for the optional overlay and scheduler. Each method writes
// this frame out rather than share helpers: recover works only in the
// deferred function itself, and a helper holding Enter and the overlay's
// begin is over the compiler's inlining budget, so it would add a call to
// every phase. A phase that panics never reaches Exit; panicked ends it.
type game struct {
	w *Watcher
	g ebiten.Game
}

func (g *game) Update() error {
	w := g.w
	// The tick only changes with Update; reading it once per Update keeps
	// Draw and Layout cheaper.
	w.tick = uint64(ebiten.Tick())
	w.wd.Enter(watchdog.PhaseUpdate, w.tick)
	if w.ov != nil {
		w.ov.begin()
	}
	ok := false
	defer func() {
		if !ok {
			w.panicked(watchdog.PhaseUpdate, recover())
		}
	}()
	err := g.g.Update()
	if s := w.sched.Load(); s != nil {
		s.Run()
	}
	if w.ov != nil {
		w.ov.endUpdate()
	}
	ok = true
	w.wd.Exit()
	return err
}

func (g *game) Draw(screen *ebiten.Image) {
	w := g.w
	w.wd.Enter(watchdog.PhaseDraw, w.tick)
	if w.ov != nil {
		w.ov.begin()
	}
	ok := false
	defer func() {
		if !ok {
			w.panicked(watchdog.PhaseDraw, recover())
		}
	}()
	g.g.Draw(screen)
	if s := w.sched.Load(); s != nil {
		s.EndFrame()
	}
	if w.ov != nil {
		w.ov.endDraw(screen)
	}
	ok = true
	w.wd.Exit()
}

func (g *game) Layout(outsideWidth, outsideHeight int) (int, int) {
	w := g.w
	w.wd.Enter(watchdog.PhaseLayout, w.tick)
	ok := false
	defer func() {
		if !ok {
			w.panicked(watchdog.PhaseLayout, recover())
		}
	}()
	sw, sh := g.g.Layout(outsideWidth, outsideHeight)
	ok = true
	w.wd.Exit() // the overlay graphs Update and Draw only
	return sw, sh
}

type gameF struct {
	game
	f ebiten.LayoutFer
}

func (g *gameF) LayoutF(outsideWidth, outsideHeight float64) (float64, float64) {
	w := g.w
	w.wd.Enter(watchdog.PhaseLayout, w.tick)
	ok := false
	defer func() {
		if !ok {
			w.panicked(watchdog.PhaseLayout, recover())
		}
	}()
	sw, sh := g.f.LayoutF(outsideWidth, outsideHeight)
	ok = true
	w.wd.Exit() // the overlay graphs Update and Draw only
	return sw, sh
}

type gameFinal struct {
	game
	d ebiten.FinalScreenDrawer
}

func (g *gameFinal) DrawFinalScreen(screen ebiten.FinalScreen, offscreen *ebiten.Image, geoM ebiten.GeoM) {
	drawFinal(g.w, g.d, screen, offscreen, geoM)
}

type gameFFinal struct {
	gameF
	d ebiten.FinalScreenDrawer
}

func (g *gameFFinal) DrawFinalScreen(screen ebiten.FinalScreen, offscreen *ebiten.Image, geoM ebiten.GeoM) {
	drawFinal(g.w, g.d, screen, offscreen, geoM)
}

// drawFinal forwards DrawFinalScreen as part of the Draw phase. It leaves
// the overlay alone, which draws one column per frame, for Draw.
func drawFinal(w *Watcher, d ebiten.FinalScreenDrawer, screen ebiten.FinalScreen, offscreen *ebiten.Image, geoM ebiten.GeoM) {
	w.wd.Enter(watchdog.PhaseDraw, w.tick)
	ok := false
	defer func() {
		if !ok {
			w.panicked(watchdog.PhaseDraw, recover())
		}
	}()
	d.DrawFinalScreen(screen, offscreen, geoM)
	ok = true
	w.wd.Exit()
}

// wrap returns g wrapped in the type that matches its optional interfaces.
func wrap(w *Watcher, g ebiten.Game) ebiten.Game {
	base := game{w: w, g: g}
	f, isF := g.(ebiten.LayoutFer)
	d, isFinal := g.(ebiten.FinalScreenDrawer)
	switch {
	case isF && isFinal:
		return &gameFFinal{gameF: gameF{game: base, f: f}, d: d}
	case isF:
		return &gameF{game: base, f: f}
	case isFinal:
		return &gameFinal{game: base, d: d}
	}
	return &base
}
