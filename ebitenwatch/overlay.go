package ebitenwatch

import (
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
)

// overlayFrames is how many frames the graph shows.
const overlayFrames = 240

// Graph geometry, in screen pixels.
const (
	panelX, panelY = 8, 8
	graphW, graphH = overlayFrames, 110
	textH          = 16 * 5
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

	text        []byte // reused, so that refreshing it does not allocate
	textUpdated time.Time
	textEvery   time.Duration
	hitches     [overlayHitches]watchdog.HitchCulprit // reused likewise
}

// overlayHitches is how many hitch culprits the overlay names.
const overlayHitches = 2

func newOverlay(w *Watcher) *overlay {
	o := &overlay{w: w, visible: true, text: make([]byte, 0, 256), textEvery: refreshText}
	wo := w.wd.Options()
	thresholds := [4]time.Duration{sixtyFPS, wo.Hitch, wo.Frozen, wo.Hang}
	for i, d := range thresholds {
		o.lines[i] = graphY(d)
		o.labels[i] = string(appendDuration(nil, d))
	}
	o.labels[0] = "60fps"
	// Two quads per frame, the panel and four lines.
	quads := 2*overlayFrames + 1 + 4
	o.vertices = make([]ebiten.Vertex, 0, 4*quads)
	o.indices = make([]uint16, 0, 6*quads)
	return o
}

func (o *overlay) begin() { o.phaseStart = time.Now() }

// endUpdate shows or hides the overlay on its key and adds the Update's
// time to its frame's.
func (o *overlay) endUpdate() {
	if inpututil.IsKeyJustPressed(o.w.opts.OverlayKey) {
		o.visible = !o.visible
	}
	o.update += time.Since(o.phaseStart)
}

// endDraw draws the overlay, then records the frame: its Updates' time
// and its Draw's, the overlay's own drawing included.
func (o *overlay) endDraw(screen *ebiten.Image) {
	o.draw(screen)
	o.updates[o.next] = o.update
	o.draws[o.next] = time.Since(o.phaseStart)
	o.next = (o.next + 1) % overlayFrames
	o.update = 0
}

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
	ebitenutil.DebugPrintAt(screen, o.textString(), panelX+4, panelY+8+graphH)
}

// refreshText rebuilds the text a few times a second, not every frame, so
// that it stays readable. It appends to a reused buffer: no allocations.
func (o *overlay) refreshText() {
	now := time.Now()
	if now.Sub(o.textUpdated) < o.textEvery && len(o.text) > 0 {
		return
	}
	o.textUpdated = now
	st := o.w.wd.Stats()
	b := append(o.text[:0], "Update  Draw   p99 "...)
	b = appendDuration(b, st.P99)
	b = append(b, "  max "...)
	b = appendDuration(b, st.Max)
	b = append(b, "\nhitch "...)
	b = strconv.AppendUint(b, st.Hitches, 10)
	b = append(b, "  frozen "...)
	b = strconv.AppendUint(b, st.FrozenFrames, 10)
	b = append(b, "  hang "...)
	b = strconv.AppendUint(b, st.Hangs, 10)
	b = append(b, '\n')
	if sched := o.w.sched.Load(); sched == nil {
		b = append(b, "no scheduler"...)
	} else {
		s := sched.Stats()
		b = append(b, "slicer "...)
		b = appendDuration(b, s.Last.Spent)
		b = append(b, '/')
		b = appendDuration(b, s.Last.Budget)
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(s.Pending), 10)
		b = append(b, " pending"...)
	}
	b = append(b, '\n')
	b = o.appendHitches(b)
	b = append(b, "\nlast: "...)
	o.text = appendClipped(b, o.w.rep.Stats().LastTitle, 44)
}

// appendHitches appends the session's top hitch culprits, by their
// functions' short names: "hitches: main.loadLevel x3 450ms".
func (o *overlay) appendHitches(b []byte) []byte {
	b = append(b, "hitches:"...)
	top := o.w.wd.HitchCulprits(o.hitches[:0], overlayHitches)
	if len(top) == 0 {
		return append(b, " none"...)
	}
	start := len(b)
	for _, h := range top {
		b = append(b, ' ')
		b = append(b, shortFunction(h.Function)...)
		b = append(b, " x"...)
		b = strconv.AppendInt(b, int64(h.Count), 10)
		b = append(b, ' ')
		b = appendDuration(b, h.Total)
	}
	if len(b)-start > 44 {
		b = append(b[:start+41], "..."...)
	}
	return b
}

// shortFunction drops a function's package path:
// "example.com/game/world.(*World).Update" is "world.(*World).Update".
func shortFunction(f string) string {
	return f[strings.LastIndexByte(f, '/')+1:]
}

// textString is the text for DebugPrintAt without copying it: DebugPrintAt
// does not keep the string (its parameter does not escape), and the buffer
// is only rewritten by refreshText, before the next print.
func (o *overlay) textString() string {
	return unsafe.String(unsafe.SliceData(o.text), len(o.text))
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

// appendDuration appends d rounded for a glance: 1.2s, 450ms, 3.4ms.
func appendDuration(b []byte, d time.Duration) []byte {
	switch {
	case d >= time.Second:
		b = strconv.AppendFloat(b, d.Seconds(), 'f', 1, 64)
		return append(b, 's')
	case d >= 10*time.Millisecond:
		b = strconv.AppendInt(b, d.Milliseconds(), 10)
	default:
		b = strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 1, 64)
	}
	return append(b, "ms"...)
}

// appendClipped appends s, or "none" if it is empty, keeping its first n
// bytes at most: a title starts with its type and culprit. The debug font
// is ASCII, so the cut is marked with "...".
func appendClipped(b []byte, s string, n int) []byte {
	switch {
	case s == "":
		return append(b, "none"...)
	case len(s) > n:
		return append(append(b, s[:n-3]...), "..."...)
	}
	return append(b, s...)
}
