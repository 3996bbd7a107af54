package ebitenwatch

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"
)

// overlayFrames is how many frames the graph shows.
const overlayFrames = 240

// Graph geometry, in screen pixels.
const (
	panelX, panelY = 8, 8
	graphW, graphH = overlayFrames, 110
	textH          = 16 * 4
	panelW, panelH = graphW + 70, graphH + textH + 14
	graphMin       = time.Millisecond // the bottom of the log scale
	graphMax       = 4 * time.Second  // its top
	sixtyFPS       = time.Second / 60 // a reference line
	refreshText    = 250 * time.Millisecond
)

var (
	panelColor  = color.RGBA{0x10, 0x14, 0x1c, 0xd8}
	updateColor = color.RGBA{0x4f, 0xa3, 0xf7, 0xff}
	drawColor   = color.RGBA{0xf7, 0xa3, 0x3b, 0xff}
	lineColors  = [...]color.RGBA{
		{0x6c, 0xc0, 0x6c, 0xa0}, // 60 FPS
		{0xe8, 0xd0, 0x4a, 0xc0}, // hitch
		{0xf0, 0x80, 0x30, 0xd0}, // frozen
		{0xe8, 0x40, 0x40, 0xe0}, // hang
	}
)

// overlay draws frame times over the game. It lives on the game goroutine.
type overlay struct {
	w       *Watcher
	visible bool

	phaseStart time.Time
	update     time.Duration // Update time since the last Draw
	updates    [overlayFrames]time.Duration
	draws      [overlayFrames]time.Duration
	next       int

	white    *ebiten.Image
	vertices []ebiten.Vertex
	indices  []uint16
	lines    [4]float32 // y of each threshold line
	labels   [4]string

	text        string
	textUpdated time.Time
}

func newOverlay(w *Watcher) *overlay {
	o := &overlay{w: w, visible: true}
	wo := w.opts.Watchdog
	thresholds := [4]time.Duration{sixtyFPS, orDefault(wo.Hitch, watchdog.DefaultHitch), orDefault(wo.Frozen, watchdog.DefaultFrozen), orDefault(wo.Hang, watchdog.DefaultHang)}
	for i, d := range thresholds {
		o.lines[i] = graphY(d)
		o.labels[i] = shortDuration(d)
	}
	o.labels[0] = "60fps"
	// Two quads per frame, the panel and four lines.
	quads := 2*overlayFrames + 1 + 4
	o.vertices = make([]ebiten.Vertex, 0, 4*quads)
	o.indices = make([]uint16, 0, 6*quads)
	return o
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func (o *overlay) begin(watchdog.Phase) { o.phaseStart = time.Now() }

func (o *overlay) end(p watchdog.Phase) {
	d := time.Since(o.phaseStart)
	switch p {
	case watchdog.PhaseUpdate:
		o.update += d
	case watchdog.PhaseDraw:
		o.updates[o.next] = o.update
		o.draws[o.next] = d
		o.next = (o.next + 1) % overlayFrames
		o.update = 0
	}
}

func (o *overlay) toggle() { o.visible = !o.visible }

// graphY maps a duration onto the graph's log scale, 0 at the top.
func graphY(d time.Duration) float32 {
	d = min(max(d, graphMin), graphMax)
	frac := math.Log(float64(d)/float64(graphMin)) / math.Log(float64(graphMax)/float64(graphMin))
	return float32(panelY + 4 + graphH*(1-frac))
}

func (o *overlay) draw(screen *ebiten.Image) {
	if !o.visible {
		return
	}
	if o.white == nil {
		img := ebiten.NewImage(3, 3)
		img.Fill(color.White)
		o.white = img.SubImage(image.Rect(1, 1, 2, 2)).(*ebiten.Image)
	}
	o.vertices, o.indices = o.vertices[:0], o.indices[:0]
	o.quad(panelX, panelY, panelX+panelW, panelY+panelH, panelColor)
	bottom := float32(panelY + 4 + graphH)
	for i := range overlayFrames {
		k := (o.next + i) % overlayFrames
		x := float32(panelX + 4 + i)
		total := o.updates[k] + o.draws[k]
		if total == 0 {
			continue
		}
		o.quad(x, graphY(total), x+1, bottom, drawColor)
		if o.updates[k] > 0 {
			o.quad(x, graphY(o.updates[k]), x+1, bottom, updateColor)
		}
	}
	for i, y := range o.lines {
		o.quad(panelX+4, y, panelX+4+graphW, y+1, lineColors[i])
	}
	screen.DrawTriangles(o.vertices, o.indices, o.white, nil)
	for i, y := range o.lines {
		ebitenutil.DebugPrintAt(screen, o.labels[i], panelX+8+graphW, int(y)-8)
	}
	o.refreshText()
	ebitenutil.DebugPrintAt(screen, o.text, panelX+4, panelY+8+graphH)
}

// refreshText rebuilds the text a few times a second, not every frame, to
// keep Draw free of allocations.
func (o *overlay) refreshText() {
	now := time.Now()
	if now.Sub(o.textUpdated) < refreshText && o.text != "" {
		return
	}
	o.textUpdated = now
	st := o.w.wd.Stats()
	last := o.w.rep.Stats().LastTitle
	if last == "" {
		last = "none"
	}
	sched := "no scheduler"
	if o.w.sched != nil {
		s := o.w.sched.Stats()
		sched = fmt.Sprintf("slicer %s/%s, %d pending", shortDuration(s.Last.Spent), shortDuration(s.Last.Budget), s.Pending)
	}
	o.text = fmt.Sprintf("Update  Draw   p99 %s  max %s\nhitch %d  frozen %d  hang %d\n%s\nlast: %s",
		shortDuration(st.P99), shortDuration(st.Max), st.Hitches, st.FrozenFrames, st.Hangs, sched, clip(last, 44))
}

func (o *overlay) quad(x0, y0, x1, y1 float32, c color.RGBA) {
	base := uint16(len(o.vertices))
	r, g, b, a := float32(c.R)/0xff, float32(c.G)/0xff, float32(c.B)/0xff, float32(c.A)/0xff
	for _, p := range [4][2]float32{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
		// Premultiplied alpha.
		o.vertices = append(o.vertices, ebiten.Vertex{
			DstX: p[0], DstY: p[1], SrcX: 1, SrcY: 1,
			ColorR: r * a, ColorG: g * a, ColorB: b * a, ColorA: a,
		})
	}
	o.indices = append(o.indices, base, base+1, base+2, base+1, base+3, base+2)
}

func shortDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}
