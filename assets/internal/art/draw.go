package art

import "image"

// U is the number of shape units in one pixel. Shapes are described in
// units so that they can sit on half and quarter pixels; every pixel is
// sampled at 4×4 points for anti-aliasing.
const U = 8

// shape reports whether the point (x, y), in units, is inside.
type shape func(x, y int) bool

func circle(cx, cy, r int) shape {
	r2 := int64(r) * int64(r)
	return func(x, y int) bool {
		dx, dy := int64(x-cx), int64(y-cy)
		return dx*dx+dy*dy <= r2
	}
}

func ellipse(cx, cy, rx, ry int) shape {
	a, b := int64(rx)*int64(rx), int64(ry)*int64(ry)
	return func(x, y int) bool {
		dx, dy := int64(x-cx), int64(y-cy)
		return dx*dx*b+dy*dy*a <= a*b
	}
}

func rect(x0, y0, x1, y1 int) shape {
	return func(x, y int) bool { return x >= x0 && x < x1 && y >= y0 && y < y1 }
}

// rrect is a rectangle with corners rounded to radius r.
func rrect(x0, y0, x1, y1, r int) shape {
	r2 := int64(r) * int64(r)
	return func(x, y int) bool {
		if x < x0 || x >= x1 || y < y0 || y >= y1 {
			return false
		}
		cx := min(max(x, x0+r), x1-r)
		cy := min(max(y, y0+r), y1-r)
		dx, dy := int64(x-cx), int64(y-cy)
		return dx*dx+dy*dy <= r2
	}
}

// poly is a polygon given as x0, y0, x1, y1, ...; even-odd rule.
func poly(pts ...int) shape {
	n := len(pts) / 2
	return func(x, y int) bool {
		in := false
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			xi, yi, xj, yj := pts[2*i], pts[2*i+1], pts[2*j], pts[2*j+1]
			if (yi > y) != (yj > y) {
				// x < xi + (y-yi)*(xj-xi)/(yj-yi), without division.
				lhs := int64(x-xi) * int64(yj-yi)
				rhs := int64(y-yi) * int64(xj-xi)
				if yj-yi > 0 {
					if lhs < rhs {
						in = !in
					}
				} else if lhs > rhs {
					in = !in
				}
			}
		}
		return in
	}
}

func union(ss ...shape) shape {
	return func(x, y int) bool {
		for _, s := range ss {
			if s(x, y) {
				return true
			}
		}
		return false
	}
}

func minus(a, b shape) shape {
	return func(x, y int) bool { return a(x, y) && !b(x, y) }
}

func intersect(a, b shape) shape {
	return func(x, y int) bool { return a(x, y) && b(x, y) }
}

// paint gives the colour at pixel (px, py) of a layer.
type paint func(px, py int) rgb

func flat(c rgb) paint { return func(int, int) rgb { return c } }

// shaded paints a round form lit from the upper left: a highlight, the base
// colour and a shadow band, posterized like hand-drawn pixel art. (cx, cy)
// and r are in units.
func shaded(c rgb, cx, cy, r int) paint {
	light, dark := c.shift(70), c.shift(-70)
	return func(px, py int) rgb {
		x, y := px*U+U/2-cx, py*U+U/2-cy
		s := (x + y) * 256 / max(r, 1)
		switch {
		case s < -200:
			return light
		case s > 160:
			return dark
		}
		return c
	}
}

// vshade paints c with a lighter top and darker bottom between y0 and y1
// (units), posterized into three bands.
func vshade(c rgb, y0, y1 int) paint {
	light, dark := c.shift(60), c.shift(-70)
	return func(px, py int) rgb {
		y := py*U + U/2
		switch {
		case y < y0+(y1-y0)/4:
			return light
		case y > y1-(y1-y0)/3:
			return dark
		}
		return c
	}
}

// layer is a transparent drawing surface with straight (non-premultiplied)
// 8-bit colour, the layout of image.NRGBA.
type layer struct {
	img *image.NRGBA
}

func newLayer(w, h int) *layer {
	return &layer{image.NewNRGBA(image.Rect(0, 0, w, h))}
}

func (l *layer) w() int { return l.img.Rect.Dx() }
func (l *layer) h() int { return l.img.Rect.Dy() }

// blend composites colour c with alpha a (0–255) over pixel (x, y).
func (l *layer) blend(x, y int, c rgb, a int64) {
	if x < 0 || y < 0 || x >= l.w() || y >= l.h() || a <= 0 {
		return
	}
	i := l.img.PixOffset(x, y)
	p := l.img.Pix[i : i+4 : i+4]
	da := int64(p[3])
	r, g, b := int64(to8(c.r, 128)), int64(to8(c.g, 128)), int64(to8(c.b, 128))
	if a >= 255 || da == 0 {
		p[0], p[1], p[2], p[3] = uint8(r), uint8(g), uint8(b), uint8(min(a, 255))
		return
	}
	// out = src over dst, straight alpha, all in 0–255.
	db := da * (255 - a) // dst weight ×255
	oa := a*255 + db     // out alpha ×255
	p[0] = uint8((r*a*255 + int64(p[0])*db + oa/2) / oa)
	p[1] = uint8((g*a*255 + int64(p[1])*db + oa/2) / oa)
	p[2] = uint8((b*a*255 + int64(p[2])*db + oa/2) / oa)
	p[3] = uint8((oa + 127) / 255)
}

// fill paints the shape with p at opacity alpha (0–255), anti-aliased.
func (l *layer) fill(s shape, p paint, alpha int64) {
	for py := 0; py < l.h(); py++ {
		for px := 0; px < l.w(); px++ {
			n := 0
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					if s(px*U+sx*2+1, py*U+sy*2+1) {
						n++
					}
				}
			}
			if n > 0 {
				l.blend(px, py, p(px, py), alpha*int64(n)/16)
			}
		}
	}
}

// outline rings the opaque parts of the layer with a one-pixel border in a
// darkened version of the neighbouring colour, then makes soft edges solid:
// the look of hand-outlined sprites.
func (l *layer) outline() {
	w, h := l.w(), l.h()
	src := make([]uint8, len(l.img.Pix))
	copy(src, l.img.Pix)
	at := func(x, y int) (rgb, int64) {
		if x < 0 || y < 0 || x >= w || y >= h {
			return rgb{}, 0
		}
		i := y*l.img.Stride + x*4
		return from8(src[i], src[i+1], src[i+2]), int64(src[i+3])
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			_, a := at(x, y)
			if a >= 160 {
				continue
			}
			// The most opaque 4-neighbour decides the outline colour.
			var best rgb
			var ba int64
			for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				if c, na := at(x+d[0], y+d[1]); na > ba {
					best, ba = c, na
				}
			}
			if ba < 160 {
				continue
			}
			i := l.img.PixOffset(x, y)
			p := l.img.Pix[i : i+4 : i+4]
			// Put the outline under what is already there.
			under := mix(best, hex(0x1c1026), pct(72))
			c := mix(under, from8(p[0], p[1], p[2]), a*one/255)
			p[0], p[1], p[2], p[3] = to8(c.r, 128), to8(c.g, 128), to8(c.b, 128), 255
		}
	}
}

// draw composites src over l with its top-left corner at (x, y).
func (l *layer) draw(src *layer, x, y int) {
	for sy := 0; sy < src.h(); sy++ {
		for sx := 0; sx < src.w(); sx++ {
			i := src.img.PixOffset(sx, sy)
			p := src.img.Pix[i : i+4 : i+4]
			if p[3] > 0 {
				l.blend(x+sx, y+sy, from8(p[0], p[1], p[2]), int64(p[3]))
			}
		}
	}
}

// part draws one outlined piece of a sprite: f draws into a fresh layer the
// size of l, which is outlined and composited over l.
func (l *layer) part(f func(p *layer)) {
	p := newLayer(l.w(), l.h())
	f(p)
	p.outline()
	l.draw(p, 0, 0)
}
