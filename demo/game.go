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
	thrash   thrash
	stallFor time.Duration

	pending    *pending
	started    time.Time
	lastTime   time.Duration // from trigger to the result on the screen
	unshown    bool          // a run finished; lastTime waits for its frame
	lastErr    error
	images     map[string]*ebiten.Image
	backdrop   *ebiten.Image // the sky and the background, at screen size
	scores     []int
	worldState worldState

	ticks  int
	script *script
	timing frameTiming
	pacer  pacer
}

func newGame(f flags, w *ebitenwatch.Watcher, s *workslicer.Scheduler, server *slowServer, pk *pack) *game {
	g := &game{
		flags: f, w: w, sched: s, server: server,
		world:    &world{},
		grid:     newGrid(1500, 1500),
		scenario: scenarioNamed(f.scenario),
		fixed:    f.fixed,
		thrash:   newThrash(pk),
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
		g.setImages(images)
	}
	g.lastErr, g.pending, g.unshown = err, nil, true
}

// noteShown sets lastTime once the result of the run that finished is on
// the screen: at the start of the next tick, after the frame that drew it
// was presented. Update's return is too early a mark for the stalling
// load: Ebitengine sends the images it created to the GPU only when the
// frame ends.
func (g *game) noteShown() {
	if g.unshown {
		g.lastTime, g.unshown = time.Since(g.started), false
	}
}

// setImages replaces the level's images, freeing the old ones at once
// rather than whenever the garbage collector finds them: until then they
// hold space on Ebitengine's texture atlas, and a load that finds the
// atlas full makes Ebitengine grow and copy it.
func (g *game) setImages(images map[string]*ebiten.Image) {
	for _, img := range g.images {
		img.Deallocate()
	}
	if g.backdrop != nil {
		g.backdrop.Deallocate()
	}
	g.images, g.backdrop = images, nil
}

func (g *game) busy() bool { return g.pending != nil }

func (g *game) Update() error {
	g.ticks++
	g.noteShown()
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
	for i, s := range allScenarios() {
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
	if bd := g.makeBackdrop(); bd != nil {
		screen.DrawImage(bd, nil)
	} else {
		screen.Fill(skyTop)
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
	x := screenW/2 + 0.4*screenW*math.Sin(t*1.3)
	y := screenH - 70 - math.Abs(0.4*screenH*math.Sin(t*3))
	vector.FillCircle(screen, float32(x), float32(y), 14, ballColor, true)
}

// makeBackdrop draws the background, scaled to cover the screen, once per
// set of images: every frame then copies it 1:1, one full-screen pass
// instead of a fill and a scaled draw, which under a software renderer is
// a few milliseconds a frame. It returns nil until the background loads.
func (g *game) makeBackdrop() *ebiten.Image {
	bg := g.images["backgrounds/sunset.png"]
	if g.backdrop != nil || bg == nil {
		return g.backdrop
	}
	b := bg.Bounds()
	s := max(float64(screenW)/float64(b.Dx()), float64(screenH)/float64(b.Dy()))
	op := &ebiten.DrawImageOptions{Filter: ebiten.FilterLinear}
	op.GeoM.Scale(s, s)
	g.backdrop = ebiten.NewImage(screenW, screenH)
	g.backdrop.DrawImage(bg, op)
	return g.backdrop
}

func (g *game) drawHUD(screen *ebiten.Image) {
	// Right of the frame-time overlay, which takes the top-left corner.
	const x, y, w = screenW - 304, 8, 296
	vector.FillRect(screen, x, y, w, 140, textPanel, false)
	variant := step{g.scenario, g.fixed}.variant()
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
		"1-7 scenario  V variant  Space run",
		"F12 overlay",
	}
	ebitenutil.DebugPrintAt(screen, strings.Join(lines, "\n"), x+8, y+6)
	if g.pending != nil && g.pending.progress != nil {
		p := float32(g.pending.progress())
		vector.FillRect(screen, screenW/2-160, screenH-60, 320, 12, barBack, false)
		vector.FillRect(screen, screenW/2-160, screenH-60, 320*p, 12, barFill, false)
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// Layout is where frames are paced: it is the first call of each frame,
// before its ticks, and waiting here keeps the wait out of the Update and
// Draw times that the overlay and the script report.
func (g *game) Layout(int, int) (int, int) {
	if g.flags.pace {
		g.pacer.wait(tickPeriod())
	}
	return screenW, screenH
}

// tickPeriod is the time between ticks, or 0 when ticks follow frames
// (ebiten.SyncWithFPS) or are stopped.
func tickPeriod() time.Duration {
	if tps := ebiten.TPS(); tps > 0 {
		return time.Second / time.Duration(tps)
	}
	return 0
}
