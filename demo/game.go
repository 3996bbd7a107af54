package main

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/workslicer"
	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/vector"
)

// pending is work a fixed variant started and the frame checks on.
type pending struct {
	label    string
	progress func() float64 // nil when progress is unknown
	poll     func() (done bool, err error)
}

type game struct {
	flags  flags
	w      *ebitenwatch.Watcher
	sched  *workslicer.Scheduler
	server *slowServer
	world  *world
	grid   *grid

	scenario *scenario
	fixed    bool
	thrash   bool
	stallFor time.Duration

	pending    *pending
	started    time.Time
	lastTime   time.Duration
	lastErr    error
	images     map[string]*ebiten.Image
	scores     []int
	worldState worldState

	ticks  int
	script *script
	timing frameTiming
}

func newGame(f flags, w *ebitenwatch.Watcher, s *workslicer.Scheduler, server *slowServer) *game {
	g := &game{
		flags: f, w: w, sched: s, server: server,
		world:    &world{},
		grid:     newGrid(1500, 1500),
		scenario: scenarioNamed(f.scenario),
		fixed:    f.fixed,
		thrash:   f.thrash,
		stallFor: f.stallFor,
	}
	if f.script {
		g.script = newScript(f.screenshot)
	}
	return g
}

// trigger starts the current scenario.
func (g *game) trigger() {
	if g.pending != nil {
		return
	}
	g.started, g.lastErr = time.Now(), nil
	g.scenario.start(g, g.fixed)
}

// finish records the end of a scenario run.
func (g *game) finish(images map[string]*ebiten.Image, err error) {
	if images != nil {
		g.images = images
	}
	g.lastTime, g.lastErr, g.pending = time.Since(g.started), err, nil
}

func (g *game) busy() bool { return g.pending != nil }

func (g *game) Update() error {
	g.timing.updateStart()
	defer g.timing.updateEnd()
	g.ticks++
	if g.pending != nil {
		if done, err := g.pending.poll(); done {
			g.finish(nil, err)
		}
	}
	if g.script != nil {
		return g.script.step(g)
	}
	g.handleKeys()
	return nil
}

func (g *game) handleKeys() {
	for i, s := range scenarios {
		if inpututil.IsKeyJustPressed(ebiten.Key1 + ebiten.Key(i)) {
			g.scenario = s
		}
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyV) {
		g.fixed = !g.fixed
	}
	if inpututil.IsKeyJustPressed(ebiten.KeySpace) {
		g.trigger()
	}
}

var (
	skyTop    = color.RGBA{0x1b, 0x22, 0x3a, 0xff}
	textPanel = color.RGBA{0x10, 0x14, 0x1c, 0xd0}
	barBack   = color.RGBA{0x30, 0x36, 0x48, 0xff}
	barFill   = color.RGBA{0x6c, 0xd0, 0x8c, 0xff}
	ballColor = color.RGBA{0xf2, 0xa6, 0x3b, 0xff}
)

func (g *game) Draw(screen *ebiten.Image) {
	g.timing.drawStart()
	defer g.timing.drawEnd()
	g.drawScene(screen)
	g.drawHUD(screen)
}

// DrawFinalScreen sees the finished frame, overlay included, which is when
// -screenshot takes its picture.
func (g *game) DrawFinalScreen(screen ebiten.FinalScreen, offscreen *ebiten.Image, geoM ebiten.GeoM) {
	if g.script != nil {
		g.script.maybeScreenshot(g, offscreen)
	}
	ebiten.DefaultDrawFinalScreen(screen, offscreen, geoM)
}

// drawScene draws the level: a background once loaded, tiles and a
// bouncing ball whose smoothness shows every dropped frame.
func (g *game) drawScene(screen *ebiten.Image) {
	screen.Fill(skyTop)
	if bg := g.images["backgrounds/sunset.png"]; bg != nil {
		op := &ebiten.DrawImageOptions{}
		b := bg.Bounds()
		s := max(float64(screenW)/float64(b.Dx()), float64(screenH)/float64(b.Dy()))
		op.GeoM.Scale(s, s)
		screen.DrawImage(bg, op)
	}
	if tiles := g.images["tiles/terrain.png"]; tiles != nil {
		tile := tiles.SubImage(image.Rect(0, 0, 32, 32)).(*ebiten.Image)
		for x := 0; x < screenW; x += 32 {
			op := &ebiten.DrawImageOptions{}
			op.GeoM.Translate(float64(x), screenH-32)
			screen.DrawImage(tile, op)
		}
	}
	t := float64(g.ticks) / 60
	x := screenW/2 + 300*math.Sin(t*1.3)
	y := screenH - 80 - math.Abs(180*math.Sin(t*3))
	vector.FillCircle(screen, float32(x), float32(y), 18, ballColor, true)
}

func (g *game) drawHUD(screen *ebiten.Image) {
	const x, y, w = screenW - 340, 8, 332
	vector.FillRect(screen, x, y, w, 150, textPanel, false)
	variant := "stalling"
	if g.fixed {
		variant = "fixed"
	}
	st := g.w.Stats()
	status := "idle: press Space"
	switch {
	case g.pending != nil && g.pending.label != "":
		status = g.pending.label
	case g.pending != nil:
		status = "loading…"
	case g.lastErr != nil:
		status = "failed: " + g.lastErr.Error()
	case g.lastTime > 0:
		status = fmt.Sprintf("done in %.2f s", g.lastTime.Seconds())
	}
	lines := []string{
		fmt.Sprintf("scenario %s: %s", g.scenario.name, g.scenario.title),
		"variant  " + variant,
		"status   " + status,
		fmt.Sprintf("reports  %d", st.Reports.Spooled),
		"last     " + clip(st.Reports.LastTitle, 38),
		"",
		"1-4 scenario  V variant  Space run",
		"F12 overlay",
	}
	ebitenutil.DebugPrintAt(screen, strings.Join(lines, "\n"), x+8, y+6)
	if g.pending != nil && g.pending.progress != nil {
		p := float32(g.pending.progress())
		vector.FillRect(screen, screenW/2-200, screenH-70, 400, 14, barBack, false)
		vector.FillRect(screen, screenW/2-200, screenH-70, 400*p, 14, barFill, false)
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func (g *game) Layout(int, int) (int, int) { return screenW, screenH }

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
