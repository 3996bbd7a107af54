package main

import (
	"time"

	"github.com/hajimehoshi/ebiten/v2"
)

// frameTiming measures what a player sees: the gap between the starts of
// consecutive ticks, and how long Update and Draw were busy.
type frameTiming struct {
	lastUpdate, phaseStart time.Time
	gaps, updates, draws   []time.Duration
}

func (t *frameTiming) updateStart() {
	now := time.Now()
	if !t.lastUpdate.IsZero() {
		t.gaps = append(t.gaps, now.Sub(t.lastUpdate))
	}
	t.lastUpdate, t.phaseStart = now, now
}

func (t *frameTiming) updateEnd() { t.updates = append(t.updates, time.Since(t.phaseStart)) }
func (t *frameTiming) drawStart() { t.phaseStart = time.Now() }
func (t *frameTiming) drawEnd()   { t.draws = append(t.draws, time.Since(t.phaseStart)) }

func (t *frameTiming) reset() {
	t.gaps, t.updates, t.draws = t.gaps[:0], t.updates[:0], t.draws[:0]
}

// timedGame measures the watched game from outside, so that Update's time
// includes the workslicer chunks that ebitenwatch runs after the game's own
// Update, and Draw's the overlay. It forwards DrawFinalScreen, which the
// demo's game implements, so that Ebitengine still finds it.
type timedGame struct {
	ebiten.Game
	final ebiten.FinalScreenDrawer
	t     *frameTiming
}

func newTimedGame(g ebiten.Game, t *frameTiming) *timedGame {
	return &timedGame{Game: g, final: g.(ebiten.FinalScreenDrawer), t: t}
}

func (g *timedGame) Update() error {
	g.t.updateStart()
	defer g.t.updateEnd()
	return g.Game.Update()
}

func (g *timedGame) Draw(screen *ebiten.Image) {
	g.t.drawStart()
	defer g.t.drawEnd()
	g.Game.Draw(screen)
}

func (g *timedGame) DrawFinalScreen(screen ebiten.FinalScreen, offscreen *ebiten.Image, geoM ebiten.GeoM) {
	g.final.DrawFinalScreen(screen, offscreen, geoM)
}
