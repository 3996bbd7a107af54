package ebitenwatch

import (
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/hajimehoshi/ebiten/v2"
)

// game wraps an ebiten.Game. Ebitengine type-asserts a game for the
// optional interfaces LayoutFer and FinalScreenDrawer, so Wrap returns one
// of four types that implement exactly the ones the wrapped game has.
type game struct {
	w *Watcher
	g ebiten.Game
}

func (g *game) Update() error {
	g.w.enter(watchdog.PhaseUpdate)
	defer g.w.exit(watchdog.PhaseUpdate)
	err := g.g.Update()
	g.w.afterUpdate()
	return err
}

func (g *game) Draw(screen *ebiten.Image) {
	g.w.enter(watchdog.PhaseDraw)
	defer g.w.exit(watchdog.PhaseDraw)
	g.g.Draw(screen)
	g.w.afterDraw(screen)
}

func (g *game) Layout(outsideWidth, outsideHeight int) (int, int) {
	g.w.enter(watchdog.PhaseLayout)
	defer g.w.exit(watchdog.PhaseLayout)
	return g.g.Layout(outsideWidth, outsideHeight)
}

type gameF struct {
	game
	f ebiten.LayoutFer
}

func (g *gameF) LayoutF(outsideWidth, outsideHeight float64) (float64, float64) {
	g.w.enter(watchdog.PhaseLayout)
	defer g.w.exit(watchdog.PhaseLayout)
	return g.f.LayoutF(outsideWidth, outsideHeight)
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

// drawFinal forwards DrawFinalScreen as part of the Draw phase.
func drawFinal(w *Watcher, d ebiten.FinalScreenDrawer, screen ebiten.FinalScreen, offscreen *ebiten.Image, geoM ebiten.GeoM) {
	w.enter(watchdog.PhaseDraw)
	defer w.exit(watchdog.PhaseDraw)
	d.DrawFinalScreen(screen, offscreen, geoM)
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
