package art

import (
	"image"
	"math/rand/v2"
)

// Shapes and paints in whole pixels; the unit-based constructors in
// draw.go take finer positions where needed.
func pxCircle(cx, cy, r int) shape        { return circle(cx*U, cy*U, r*U) }
func pxEllipse(cx, cy, rx, ry int) shape  { return ellipse(cx*U, cy*U, rx*U, ry*U) }
func pxRect(x0, y0, x1, y1 int) shape     { return rect(x0*U, y0*U, x1*U, y1*U) }
func pxRRect(x0, y0, x1, y1, r int) shape { return rrect(x0*U, y0*U, x1*U, y1*U, r*U) }
func pxShaded(c rgb, cx, cy, r int) paint { return shaded(c, cx*U, cy*U, r*U) }
func pxBands(c rgb, y0, y1 int) paint     { return vshade(c, y0*U, y1*U) }
func pxPoly(pts ...int) shape {
	u := make([]int, len(pts))
	for i, v := range pts {
		u[i] = v * U
	}
	return poly(u...)
}

// sheet lays cells of size cw×ch out in a grid on a w×h transparent image.
func sheet(w, h, cw, ch int, cells []func(l *layer)) image.Image {
	out := newLayer(w, h)
	for i, draw := range cells {
		if draw == nil {
			continue
		}
		l := newLayer(cw, ch)
		draw(l)
		out.draw(l, i%(w/cw)*cw, i/(w/cw)*ch)
	}
	return out.img
}

var shadow = hex(0x1a1030)

// characters is a 4×4 sheet of 64×64 cells: four walk or idle frames each
// of a hero, a slime, a ghost and a bat.
func characters(r *rand.Rand) image.Image {
	var cells []func(l *layer)
	for f := range 4 {
		cells = append(cells, func(l *layer) { hero(l, f) })
	}
	for f := range 4 {
		cells = append(cells, func(l *layer) { slime(l, f) })
	}
	for f := range 4 {
		cells = append(cells, func(l *layer) { ghost(l, f) })
	}
	for f := range 4 {
		cells = append(cells, func(l *layer) { bat(l, f) })
	}
	return sheet(256, 256, 64, 64, cells)
}

func eyes(l *layer, x0, x1, y, ry int) {
	for _, x := range []int{x0, x1} {
		l.fill(ellipse(x*U, y*U, 2*U, ry*U/2), flat(hex(0x241428)), 255)
		l.fill(circle(x*U-U/2, y*U-ry*U/4, U), flat(hex(0xffffff)), 255)
	}
}

func hero(l *layer, f int) {
	bob := []int{0, -2, 0, -2}[f]
	lift := [][2]int{{0, 0}, {-3, 0}, {0, 0}, {0, -3}}[f]
	swing := []int{0, 2, 0, -2}[f]
	boot, tunic, skin, hair := hex(0x5a3a2a), hex(0x3c7ad8), hex(0xf4c8a0), hex(0x8a4a22)
	l.fill(pxEllipse(32, 58, 14, 4), flat(shadow), 70)
	l.part(func(p *layer) { p.fill(pxEllipse(26, 54+lift[0], 5, 4), pxShaded(boot, 26, 54, 5), 255) })
	l.part(func(p *layer) { p.fill(pxEllipse(38, 54+lift[1], 5, 4), pxShaded(boot, 38, 54, 5), 255) })
	l.part(func(p *layer) { p.fill(pxEllipse(18, 41+bob+swing, 4, 6), pxShaded(tunic, 18, 41, 6), 255) })
	l.part(func(p *layer) { p.fill(pxEllipse(46, 41+bob-swing, 4, 6), pxShaded(tunic, 46, 41, 6), 255) })
	l.part(func(p *layer) {
		p.fill(pxRRect(20, 33+bob, 44, 54, 6), pxBands(tunic, 33+bob, 54), 255)
		p.fill(pxRect(20, 46+bob/2, 44, 49+bob/2), flat(hex(0x6a4424)), 255)
		p.fill(pxRect(30, 45+bob/2, 34, 50+bob/2), flat(hex(0xf0c040)), 255)
	})
	l.part(func(p *layer) { p.fill(pxCircle(32, 23+bob, 14), pxShaded(skin, 32, 23+bob, 14), 255) })
	l.part(func(p *layer) {
		p.fill(union(intersect(pxEllipse(32, 18+bob, 15, 10), pxRect(0, 0, 64, 21+bob)), pxCircle(20, 20+bob, 4), pxCircle(44, 20+bob, 4)),
			pxShaded(hair, 32, 16+bob, 12), 255)
	})
	eyes(l, 27, 37, 26+bob, 6)
	l.fill(pxEllipse(22, 31+bob, 3, 2), flat(hex(0xff8a9a)), 120)
	l.fill(pxEllipse(42, 31+bob, 3, 2), flat(hex(0xff8a9a)), 120)
	l.fill(pxEllipse(32, 32+bob, 2, 1), flat(hex(0x8a3a3a)), 255)
}

func slime(l *layer, f int) {
	size := [][2]int{{16, 13}, {18, 11}, {15, 15}, {14, 17}}[f]
	rx, ry := size[0], size[1]
	cy := 55 - ry
	green := hex(0x58c23c)
	l.fill(pxEllipse(32, 57, rx+2, 4), flat(shadow), 70)
	l.part(func(p *layer) {
		p.fill(intersect(pxEllipse(32, cy, rx, ry+2), pxRect(0, 0, 64, 56)), pxShaded(green, 32, cy, ry+2), 255)
	})
	l.fill(pxEllipse(32-rx/2, cy-ry/2, 3, 2), flat(hex(0xffffff)), 210)
	l.fill(pxCircle(32-rx/2+4, cy-ry/2-1, 1), flat(hex(0xffffff)), 210)
	eyes(l, 27, 37, cy+1, 6)
	l.fill(pxEllipse(32, cy+6, 3, 2), flat(hex(0x2a4a20)), 255)
}

func ghost(l *layer, f int) {
	o := []int{0, -2, -3, -1}[f]
	ph := f * 3
	body := hex(0xe6eaff)
	l.fill(pxEllipse(32, 58, 11, 3), flat(shadow), 45)
	l.part(func(p *layer) {
		s := union(pxCircle(32, 26+o, 14), pxRect(18, 26+o, 46, 46+o))
		for i := -1; i < 4; i++ {
			s = minus(s, pxCircle(18+ph+i*10, 49+o, 4))
		}
		p.fill(s, pxShaded(body, 32, 30+o, 16), 235)
	})
	l.fill(pxEllipse(27, 26+o, 3, 4), flat(hex(0x241428)), 255)
	l.fill(pxEllipse(37, 26+o, 3, 4), flat(hex(0x241428)), 255)
	l.fill(pxCircle(26, 24+o, 1), flat(hex(0xffffff)), 255)
	l.fill(pxCircle(36, 24+o, 1), flat(hex(0xffffff)), 255)
	l.fill(pxEllipse(32, 34+o, 2, 3), flat(hex(0x3a2a4a)), 255)
	l.fill(pxEllipse(22, 31+o, 3, 2), flat(hex(0xb8a0ff)), 140)
	l.fill(pxEllipse(42, 31+o, 3, 2), flat(hex(0xb8a0ff)), 140)
}

func bat(l *layer, f int) {
	o := []int{0, -2, 0, 2}[f]
	tip := [][2]int{{6, 14}, {3, 28}, {8, 42}, {3, 28}}[f]
	wing, fur := hex(0x4a3472), hex(0x6e50a4)
	l.fill(pxEllipse(32, 58, 9, 3), flat(shadow), 50)
	for _, side := range []int{1, -1} {
		x := func(v int) int { return 32 + side*(v-32) }
		tx, ty := tip[0], tip[1]+o
		l.part(func(p *layer) {
			p.fill(pxPoly(x(28), 27+o, x(tx), ty, x(tx+3), ty+8, x(13), 33+o+(ty-28)/3, x(19), 36+o+(ty-28)/4, x(26), 38+o),
				pxBands(wing, ty-4, 40+o), 255)
		})
	}
	l.part(func(p *layer) {
		p.fill(union(pxCircle(32, 32+o, 10), pxPoly(23, 27+o, 24, 16+o, 29, 24+o), pxPoly(41, 27+o, 40, 16+o, 35, 24+o)),
			pxShaded(fur, 32, 30+o, 10), 255)
	})
	l.fill(pxEllipse(28, 31+o, 2, 2), flat(hex(0xffd040)), 255)
	l.fill(pxEllipse(36, 31+o, 2, 2), flat(hex(0xffd040)), 255)
	l.fill(pxPoly(29, 36+o, 31, 36+o, 30, 39+o), flat(hex(0xffffff)), 255)
	l.fill(pxPoly(33, 36+o, 35, 36+o, 34, 39+o), flat(hex(0xffffff)), 255)
}

// items is an 8×8 sheet of 32×32 icons: a spinning coin, gems, hearts and
// stars, potions, keys and chests, food, gear and treasures.
func items(r *rand.Rand) image.Image {
	var cells []func(l *layer)
	for _, w := range []int{1000, 924, 707, 383, 120, 383, 707, 924} {
		cells = append(cells, func(l *layer) { coin(l, w) })
	}
	for _, c := range []uint32{0xe8383c, 0xf08a28, 0xf4d030, 0x40c060, 0x38c8d8, 0x3c6ae0, 0x9a50e0, 0xf070b8} {
		cells = append(cells, func(l *layer) { gem(l, hex(c)) })
	}
	cells = append(cells,
		func(l *layer) { heart(l, hex(0xe83848), hex(0xe83848)) },
		func(l *layer) { heart(l, hex(0xe83848), hex(0x8a8098)) },
		func(l *layer) { heart(l, hex(0x8a8098), hex(0x8a8098)) },
		func(l *layer) { heart(l, hex(0xf4c430), hex(0xf4c430)) },
		func(l *layer) { star(l, hex(0xf4c430)) },
		func(l *layer) { star(l, hex(0xc8d0e0)) },
		func(l *layer) { star(l, hex(0x60a8f0)) },
		func(l *layer) { star(l, hex(0xf080c0)) },
	)
	for i, c := range []uint32{0xe83848, 0x3c78e8, 0x40c060, 0xf4d030, 0x9a50e0, 0xf08a28, 0x38c8d8, 0xf070b8} {
		cells = append(cells, func(l *layer) { potion(l, hex(c), 12+i%3*3) })
	}
	for _, c := range []uint32{0xf4c430, 0xc8d0e0, 0xc07840, 0x80e0f0} {
		cells = append(cells, func(l *layer) { key(l, hex(c)) })
	}
	for _, c := range [][2]uint32{{0xa0663a, 0xf4c430}, {0x8a5a34, 0xc8d0e0}, {0x6a4a9a, 0xf4c430}, {0xc8a040, 0xfff0a0}} {
		cells = append(cells, func(l *layer) { chest(l, hex(c[0]), hex(c[1])) })
	}
	cells = append(cells, apple(hex(0xe8383c)), apple(hex(0x8ad040)), cherries, mushroom, carrot, bread, cheese, drumstick)
	cells = append(cells, sword, shield, axe, bomb, arrow, pickaxe, bow, wand)
	cells = append(cells, crown, ring, book(hex(0xc83c3c)), book(hex(0x3c6ac8)), scroll, moneyBag, lantern, clover)
	return sheet(256, 256, 32, 32, cells)
}

var gold = hex(0xf4c430)

func coin(l *layer, w int) {
	rx := max(11*U*w/1000, U+U/2)
	l.part(func(p *layer) { p.fill(ellipse(16*U, 16*U, rx, 11*U), shaded(gold, 16*U, 16*U, 11*U), 255) })
	if w > 300 {
		l.fill(ellipse(16*U, 16*U, rx*7/11, 7*U), flat(hex(0xd89a20)), 255)
		l.fill(ellipse(16*U+U/2, 16*U+U/2, rx*6/11, 6*U), flat(hex(0xf8d850)), 255)
		l.fill(rect(16*U-rx/6, 11*U, 16*U+rx/6, 21*U), flat(hex(0xd89a20)), 255)
	}
	l.fill(ellipse(16*U-rx/2, 11*U, max(rx/5, U/2), 2*U), flat(hex(0xfffbe0)), 220)
}

func gem(l *layer, c rgb) {
	l.part(func(p *layer) {
		p.fill(pxPoly(6, 12, 11, 6, 21, 6, 26, 12, 16, 27), flat(c), 255)
		p.fill(pxPoly(6, 12, 26, 12, 16, 27), flat(c.shift(-50)), 255)
		p.fill(pxPoly(11, 12, 21, 12, 16, 27), flat(c.shift(-15)), 255)
		p.fill(pxPoly(11, 6, 21, 6, 18, 12, 14, 12), flat(c.shift(70)), 255)
	})
	l.fill(pxPoly(10, 10, 12, 7, 13, 8, 11, 11), flat(hex(0xffffff)), 230)
}

func heart(l *layer, left, right rgb) {
	l.part(func(p *layer) {
		s := union(pxCircle(11, 12, 6), pxCircle(21, 12, 6), pxPoly(5, 14, 27, 14, 16, 26))
		p.fill(s, func(px, py int) rgb {
			if px < 16 {
				return pxShaded(left, 11, 12, 7)(px, py)
			}
			return pxShaded(right, 21, 12, 7)(px, py)
		}, 255)
	})
	l.fill(pxEllipse(9, 10, 2, 2), flat(hex(0xffffff)), 200)
}

// starPts are the corners of a five-pointed star of radius 1000, from the
// top clockwise, alternating outer and inner (radius 382).
var starPts = [][2]int{{0, -1000}, {225, -309}, {951, -309}, {363, 118}, {588, 809},
	{0, 382}, {-588, 809}, {-363, 118}, {-951, -309}, {-225, -309}}

func star(l *layer, c rgb) {
	var pts []int
	for _, p := range starPts {
		pts = append(pts, 16*U+p[0]*13*U/1000, 17*U+p[1]*13*U/1000)
	}
	l.part(func(p *layer) { p.fill(poly(pts...), pxShaded(c, 16, 17, 11), 255) })
	l.fill(pxEllipse(13, 12, 1, 2), flat(hex(0xffffff)), 220)
}

func potion(l *layer, c rgb, level int) {
	glass := hex(0xcfe8f4)
	l.part(func(p *layer) {
		p.fill(union(pxCircle(16, 20, 9), pxRect(13, 6, 19, 13)), flat(glass), 150)
		p.fill(intersect(pxCircle(16, 20, 8), pxRect(0, level+3, 32, 32)), pxShaded(c, 16, 20, 9), 255)
	})
	l.part(func(p *layer) { p.fill(pxRRect(12, 3, 20, 8, 1), pxBands(hex(0xa06a3a), 3, 8), 255) })
	l.fill(pxEllipse(12, 17, 2, 3), flat(hex(0xffffff)), 200)
}

func key(l *layer, c rgb) {
	l.part(func(p *layer) {
		p.fill(union(minus(pxCircle(9, 16, 6), pxCircle(9, 16, 3)), pxRect(14, 14, 28, 18), pxRect(21, 17, 24, 22), pxRect(25, 17, 28, 21)),
			pxBands(c, 10, 22), 255)
	})
}

func chest(l *layer, wood, metal rgb) {
	l.part(func(p *layer) { p.fill(pxRRect(4, 14, 28, 28, 1), pxBands(wood, 14, 28), 255) })
	l.part(func(p *layer) { p.fill(pxRRect(4, 7, 28, 15, 4), pxBands(wood.shift(20), 7, 15), 255) })
	l.fill(union(pxRect(7, 8, 9, 28), pxRect(23, 8, 25, 28)), flat(metal.shift(-20)), 255)
	l.part(func(p *layer) { p.fill(pxRRect(13, 12, 19, 19, 1), pxShaded(metal, 16, 15, 4), 255) })
	l.fill(pxRect(15, 15, 17, 17), flat(hex(0x2a1a1a)), 255)
}

func apple(c rgb) func(l *layer) {
	return func(l *layer) {
		l.part(func(p *layer) { p.fill(union(pxCircle(12, 18, 8), pxCircle(20, 18, 8)), pxShaded(c, 16, 18, 10), 255) })
		l.part(func(p *layer) { p.fill(pxRect(15, 5, 17, 11), flat(hex(0x6a4424)), 255) })
		l.part(func(p *layer) { p.fill(pxEllipse(21, 7, 4, 2), pxShaded(hex(0x4aa838), 21, 7, 4), 255) })
		l.fill(pxEllipse(10, 14, 2, 3), flat(hex(0xffffff)), 180)
	}
}

func cherries(l *layer) {
	l.part(func(p *layer) {
		p.fill(union(pxPoly(16, 5, 18, 5, 11, 19, 9, 19), pxPoly(16, 5, 18, 5, 23, 18, 21, 19)), flat(hex(0x4a7a2a)), 255)
	})
	for _, x := range []int{10, 22} {
		l.part(func(p *layer) { p.fill(pxCircle(x, 22, 6), pxShaded(hex(0xd0203c), x, 22, 6), 255) })
		l.fill(pxCircle(x-2, 20, 1), flat(hex(0xffffff)), 220)
	}
}

func mushroom(l *layer) {
	l.part(func(p *layer) { p.fill(pxRRect(12, 15, 20, 28, 3), pxBands(hex(0xf4e8d0), 15, 28), 255) })
	l.part(func(p *layer) {
		p.fill(intersect(pxEllipse(16, 17, 13, 12), pxRect(0, 0, 32, 18)), pxShaded(hex(0xe03838), 16, 14, 12), 255)
	})
	for _, d := range [][3]int{{10, 12, 2}, {17, 8, 2}, {22, 13, 2}, {14, 15, 1}} {
		l.fill(pxCircle(d[0], d[1], d[2]), flat(hex(0xfff8f0)), 255)
	}
}

func carrot(l *layer) {
	l.part(func(p *layer) { p.fill(pxPoly(9, 9, 16, 6, 26, 27), pxBands(hex(0xf08a28), 6, 27), 255) })
	l.part(func(p *layer) {
		p.fill(union(pxEllipse(9, 6, 2, 5), pxEllipse(13, 5, 2, 5), pxEllipse(6, 9, 4, 2)), flat(hex(0x4aa838)), 255)
	})
	l.fill(union(pxRect(15, 13, 19, 14), pxRect(18, 18, 21, 19)), flat(hex(0xb85a18)), 255)
}

func bread(l *layer) {
	l.part(func(p *layer) { p.fill(pxEllipse(16, 18, 12, 8), pxShaded(hex(0xd89a50), 16, 18, 10), 255) })
	for _, x := range []int{10, 15, 20} {
		l.fill(pxPoly(x, 15, x+2, 13, x+4, 19, x+2, 21), flat(hex(0xf4d8a0)), 255)
	}
}

func cheese(l *layer) {
	l.part(func(p *layer) {
		p.fill(pxPoly(4, 22, 26, 10, 28, 14, 28, 26, 4, 26), flat(hex(0xf4c840)), 255)
		p.fill(pxPoly(4, 22, 26, 10, 28, 14, 6, 22), flat(hex(0xfce480)), 255)
	})
	for _, h := range [][3]int{{12, 24, 2}, {20, 19, 2}, {24, 24, 1}} {
		l.fill(pxCircle(h[0], h[1], h[2]), flat(hex(0xd09a20)), 255)
	}
}

func drumstick(l *layer) {
	l.part(func(p *layer) {
		p.fill(union(pxPoly(17, 17, 20, 20, 27, 27, 24, 28), pxCircle(26, 27, 2), pxCircle(27, 25, 2)), flat(hex(0xf8f0e0)), 255)
	})
	l.part(func(p *layer) { p.fill(pxEllipse(13, 13, 9, 8), pxShaded(hex(0xc0703a), 13, 13, 9), 255) })
	l.fill(pxEllipse(10, 10, 3, 2), flat(hex(0xf0b070)), 200)
}

// diag is a bar of half-width w (units) from (x0, y0) to (x1, y1), pixels,
// for 45° items.
func diag(x0, y0, x1, y1, w int) shape {
	dx, dy := sign(x1-x0), sign(y1-y0)
	// Perpendicular offset for a 45° bar: (dy, -dx)·w/√2 ≈ 0.7w.
	ox, oy := dy*w*7/10, -dx*w*7/10
	return poly(x0*U+ox, y0*U+oy, x1*U+ox, y1*U+oy, x1*U-ox, y1*U-oy, x0*U-ox, y0*U-oy)
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

var steel = hex(0xc8d0e0)

func sword(l *layer) {
	l.part(func(p *layer) {
		p.fill(union(diag(12, 20, 26, 6, 3*U), pxPoly(26, 6, 28, 4, 27, 8)), pxBands(steel, 4, 20), 255)
	})
	l.fill(diag(13, 19, 26, 6, U/2), flat(hex(0xffffff)), 200)
	l.part(func(p *layer) { p.fill(diag(8, 16, 16, 24, 2*U), flat(gold), 255) })
	l.part(func(p *layer) { p.fill(diag(5, 27, 11, 21, 2*U), flat(hex(0x6a4424)), 255) })
	l.part(func(p *layer) { p.fill(pxCircle(5, 27, 2), pxShaded(gold, 5, 27, 2), 255) })
}

func shield(l *layer) {
	l.part(func(p *layer) {
		p.fill(pxPoly(5, 5, 27, 5, 27, 15, 16, 28, 5, 15), pxShaded(hex(0x3c6ac8), 16, 14, 12), 255)
	})
	l.fill(union(pxRect(14, 7, 18, 24), pxRect(8, 11, 24, 15)), flat(gold), 255)
	l.fill(pxRect(14, 7, 15, 24), flat(hex(0xfff0a0)), 255)
}

func axe(l *layer) {
	l.part(func(p *layer) { p.fill(diag(6, 27, 22, 11, 2*U), flat(hex(0x8a5a34)), 255) })
	l.part(func(p *layer) {
		p.fill(union(intersect(pxCircle(20, 10, 9), pxPoly(14, 4, 30, 4, 30, 20, 24, 18, 16, 10)), pxCircle(18, 11, 3)), pxShaded(steel, 21, 9, 9), 255)
	})
}

func bomb(l *layer) {
	l.part(func(p *layer) { p.fill(pxCircle(14, 19, 9), pxShaded(hex(0x3a3a52), 14, 19, 9), 255) })
	l.part(func(p *layer) { p.fill(pxRRect(18, 8, 23, 12, 1), flat(hex(0x6a6a80)), 255) })
	l.fill(diag(21, 9, 25, 5, U), flat(hex(0xc8a060)), 255)
	var pts []int
	for _, p := range starPts {
		pts = append(pts, 26*U+p[0]*4*U/1000, 5*U+p[1]*4*U/1000)
	}
	l.fill(poly(pts...), flat(hex(0xffd040)), 255)
	l.fill(pxCircle(11, 15, 2), flat(hex(0xffffff)), 160)
}

func arrow(l *layer) {
	l.part(func(p *layer) { p.fill(diag(6, 26, 24, 8, U), flat(hex(0xa0703a)), 255) })
	l.part(func(p *layer) { p.fill(pxPoly(28, 4, 26, 13, 23, 9, 19, 6), pxBands(steel, 4, 13), 255) })
	l.part(func(p *layer) {
		p.fill(union(pxPoly(4, 22, 8, 22, 10, 24, 6, 24), pxPoly(10, 28, 10, 24, 8, 22, 8, 26)), flat(hex(0xe04848)), 255)
	})
}

func pickaxe(l *layer) {
	l.part(func(p *layer) { p.fill(diag(6, 27, 21, 12, 2*U), flat(hex(0x8a5a34)), 255) })
	l.part(func(p *layer) {
		p.fill(intersect(minus(pxCircle(12, 20, 18), pxCircle(12, 22, 14)), pxPoly(2, 4, 20, 0, 32, 14, 28, 30)), pxBands(steel, 3, 20), 255)
	})
}

func bow(l *layer) {
	l.part(func(p *layer) {
		p.fill(intersect(minus(pxCircle(6, 16, 14), pxCircle(5, 16, 11)), pxRect(8, 0, 32, 32)), pxBands(hex(0xa0703a), 2, 30), 255)
	})
	l.fill(pxRect(9, 3, 10, 29), flat(hex(0xf0e8d8)), 255)
}

func wand(l *layer) {
	l.part(func(p *layer) { p.fill(diag(6, 27, 19, 14, U+U/2), flat(hex(0x6a4424)), 255) })
	var pts []int
	for _, p := range starPts {
		pts = append(pts, 22*U+p[0]*8*U/1000, 10*U+p[1]*8*U/1000)
	}
	l.part(func(p *layer) { p.fill(poly(pts...), pxShaded(hex(0xffd040), 22, 10, 7), 255) })
	for _, s := range [][2]int{{28, 20}, {12, 5}, {27, 3}} {
		l.fill(pxCircle(s[0], s[1], 1), flat(hex(0xfff8c0)), 230)
	}
}

func crown(l *layer) {
	l.part(func(p *layer) {
		p.fill(pxPoly(4, 10, 10, 16, 16, 6, 22, 16, 28, 10, 26, 25, 6, 25), pxBands(gold, 8, 25), 255)
	})
	l.fill(pxRect(6, 21, 26, 23), flat(hex(0xd89a20)), 255)
	l.part(func(p *layer) { p.fill(pxCircle(16, 17, 2), pxShaded(hex(0xe8383c), 16, 17, 2), 255) })
	for _, x := range []int{4, 16, 28} {
		y := 9
		if x == 16 {
			y = 5
		}
		l.part(func(p *layer) { p.fill(pxCircle(x, y, 2), pxShaded(gold, x, y, 2), 255) })
	}
}

func ring(l *layer) {
	l.part(func(p *layer) {
		p.fill(minus(pxEllipse(16, 19, 9, 8), pxEllipse(16, 19, 6, 5)), pxShaded(gold, 16, 19, 9), 255)
	})
	l.part(func(p *layer) { p.fill(pxPoly(12, 10, 16, 4, 20, 10, 16, 14), flat(hex(0x38c8d8)), 255) })
	l.fill(pxPoly(14, 8, 16, 5, 17, 7, 15, 9), flat(hex(0xffffff)), 220)
}

func book(c rgb) func(l *layer) {
	return func(l *layer) {
		l.part(func(p *layer) { p.fill(pxRRect(7, 5, 26, 28, 1), flat(hex(0xf4ecd8)), 255) })
		l.part(func(p *layer) { p.fill(pxRRect(5, 4, 24, 27, 2), pxShaded(c, 14, 15, 12), 255) })
		l.fill(pxRect(5, 4, 8, 27), flat(c.shift(-50)), 255)
		l.fill(pxRect(12, 10, 20, 13), flat(gold), 255)
	}
}

func scroll(l *layer) {
	l.part(func(p *layer) { p.fill(pxRect(8, 7, 24, 25), pxBands(hex(0xf4e4bc), 7, 25), 255) })
	l.part(func(p *layer) { p.fill(pxRRect(6, 4, 26, 9, 2), pxBands(hex(0xe0c890), 4, 9), 255) })
	l.part(func(p *layer) { p.fill(pxRRect(6, 23, 26, 28, 2), pxBands(hex(0xe0c890), 23, 28), 255) })
	for _, y := range []int{12, 15, 18} {
		l.fill(pxRect(11, y, 21, y+1), flat(hex(0x8a7050)), 255)
	}
}

func moneyBag(l *layer) {
	l.part(func(p *layer) {
		p.fill(union(pxCircle(16, 20, 9), pxPoly(12, 12, 20, 12, 22, 6, 10, 6)), pxShaded(hex(0xb08a50), 16, 18, 10), 255)
	})
	l.fill(pxRect(11, 11, 21, 13), flat(hex(0x6a4424)), 255)
	l.fill(union(pxRect(15, 15, 17, 26), pxRect(12, 17, 20, 19), pxRect(12, 22, 20, 24)), flat(gold), 255)
}

func lantern(l *layer) {
	l.fill(pxCircle(16, 17, 12), flat(hex(0xffd870)), 60)
	l.part(func(p *layer) { p.fill(minus(pxCircle(16, 6, 3), pxCircle(16, 6, 2)), flat(hex(0x3a3a4a)), 255) })
	l.part(func(p *layer) { p.fill(pxRRect(10, 9, 22, 27, 2), flat(hex(0x3a3a4a)), 255) })
	l.fill(pxRRect(12, 11, 20, 25, 1), pxShaded(hex(0xffd860), 16, 18, 6), 255)
	l.fill(pxEllipse(16, 19, 2, 3), flat(hex(0xfff8e0)), 255)
}

func clover(l *layer) {
	l.part(func(p *layer) { p.fill(diag(16, 17, 22, 28, U), flat(hex(0x3a8a30)), 255) })
	for _, c := range [][2]int{{11, 12}, {21, 12}, {11, 22}, {21, 22}} {
		l.part(func(p *layer) { p.fill(pxCircle(c[0], c[1], 5), pxShaded(hex(0x48b040), c[0], c[1], 5), 255) })
	}
	l.fill(pxCircle(16, 17, 2), flat(hex(0x2a7a28)), 255)
}

// nature is a 256×256 sheet: four 64×128 trees over eight 64×64 props.
func nature(r *rand.Rand) image.Image {
	out := newLayer(256, 256)
	trees := []func(l *layer){
		oak(hex(0x4ea840), hex(0x3a8a38)),
		pine,
		oak(hex(0xe88a30), hex(0xc85a28)),
		oak(hex(0xf4a8c8), hex(0xe088b0)),
	}
	for i, t := range trees {
		l := newLayer(64, 128)
		t(l)
		out.draw(l, i*64, 0)
	}
	props := []func(l *layer){bush(false), bush(true), boulder, rocks, flowers, mushrooms, stump, signpost}
	for i, p := range props {
		l := newLayer(64, 64)
		p(l)
		out.draw(l, i%4*64, 128+i/4*64)
	}
	return out.img
}

func oak(leaf, deep rgb) func(l *layer) {
	back := [][3]int{{17, 70, 15}, {47, 70, 15}, {32, 78, 16}}
	front := [][3]int{{19, 52, 15}, {45, 52, 15}, {32, 36, 18}, {32, 60, 16}, {24, 64, 12}, {40, 64, 12}}
	clusters := [][2]int{{26, 30}, {39, 27}, {14, 47}, {42, 44}, {27, 51}, {48, 57}, {20, 62}, {36, 66}, {32, 42}}
	return func(l *layer) {
		l.fill(pxEllipse(32, 122, 22, 5), flat(shadow), 70)
		l.part(func(p *layer) {
			p.fill(union(pxPoly(27, 124, 37, 124, 35, 70, 29, 70), pxPoly(22, 125, 28, 118, 30, 124), pxPoly(42, 125, 36, 118, 34, 124),
				pxPoly(30, 88, 18, 74, 20, 72, 32, 84)), pxBands(hex(0x8a5a34), 70, 124), 255)
		})
		var bs, fs []shape
		for _, c := range back {
			bs = append(bs, pxCircle(c[0], c[1], c[2]))
		}
		for _, c := range front {
			fs = append(fs, pxCircle(c[0], c[1], c[2]))
		}
		l.part(func(p *layer) { p.fill(union(bs...), pxShaded(deep, 32, 70, 22), 255) })
		l.part(func(p *layer) { p.fill(union(fs...), pxShaded(leaf, 32, 48, 26), 255) })
		// Leaf clusters: a shaded underside and a glint on top.
		for _, d := range clusters {
			l.fill(intersect(minus(pxCircle(d[0], d[1], 6), pxCircle(d[0], d[1]-2, 6)), pxRect(0, d[1], 64, 128)), flat(leaf.shift(-40)), 230)
			l.fill(pxEllipse(d[0]-1, d[1]-3, 2, 1), flat(leaf.shift(60)), 220)
		}
	}
}

func pine(l *layer) {
	green := hex(0x2f7a4a)
	l.fill(pxEllipse(32, 122, 18, 4), flat(shadow), 70)
	l.part(func(p *layer) { p.fill(pxRect(28, 96, 36, 124), pxBands(hex(0x7a4a2a), 96, 124), 255) })
	for i, t := range [][3]int{{100, 26, 34}, {80, 22, 32}, {60, 18, 30}, {40, 13, 28}} {
		l.part(func(p *layer) {
			p.fill(pxPoly(32, t[0]-t[2], 32+t[1], t[0], 32-t[1], t[0]), func(px, py int) rgb {
				c := green.shift(int64(i * 8))
				if px > 32+(py-t[0]+t[2])/3 {
					return c.shift(-45)
				}
				if px < 30-(py-t[0]+t[2])/3 {
					return c.shift(35)
				}
				return c
			}, 255)
		})
	}
}

func bush(berries bool) func(l *layer) {
	return func(l *layer) {
		green := hex(0x48a040)
		l.fill(pxEllipse(32, 56, 24, 5), flat(shadow), 70)
		for _, c := range [][3]int{{18, 42, 12}, {46, 42, 12}, {32, 36, 15}, {32, 46, 12}} {
			l.part(func(p *layer) { p.fill(pxCircle(c[0], c[1], c[2]), pxShaded(green, c[0], c[1], c[2]), 255) })
		}
		if berries {
			for _, b := range [][2]int{{20, 38}, {30, 30}, {40, 36}, {26, 46}, {44, 46}, {35, 42}} {
				l.part(func(p *layer) { p.fill(pxCircle(b[0], b[1], 2), pxShaded(hex(0xe03050), b[0], b[1], 2), 255) })
			}
		}
	}
}

func boulder(l *layer) {
	l.fill(pxEllipse(32, 56, 24, 5), flat(shadow), 70)
	l.part(func(p *layer) {
		p.fill(pxPoly(8, 56, 12, 34, 24, 20, 42, 20, 54, 32, 58, 56), pxShaded(hex(0x8a8a96), 30, 36, 22), 255)
	})
	l.fill(pxPoly(24, 20, 42, 20, 36, 28, 22, 28), flat(hex(0xb4b4c0)), 255)
	l.fill(union(pxPoly(40, 34, 44, 42, 43, 43, 39, 35), pxPoly(18, 42, 22, 46, 21, 47, 17, 43)), flat(hex(0x5a5a68)), 255)
	l.fill(pxEllipse(22, 52, 6, 2), flat(hex(0x5a9a3a)), 255)
}

func rocks(l *layer) {
	for _, r := range [][4]int{{20, 46, 10, 8}, {42, 50, 8, 6}, {34, 38, 7, 6}} {
		l.fill(pxEllipse(r[0], r[1]+r[3], r[2], 2), flat(shadow), 70)
		l.part(func(p *layer) {
			p.fill(pxEllipse(r[0], r[1], r[2], r[3]), pxShaded(hex(0x9a9488), r[0], r[1], r[2]), 255)
		})
	}
}

func flowers(l *layer) {
	for _, s := range [][2]int{{20, 58}, {32, 56}, {44, 58}, {26, 57}, {38, 57}} {
		l.fill(diag(s[0], s[1], s[0]+sign(s[0]-32)*3, s[1]-20, U), flat(hex(0x3a8a30)), 255)
	}
	for i, f := range [][2]int{{17, 38}, {32, 34}, {47, 38}, {24, 44}, {40, 44}} {
		c := []rgb{hex(0xff7aa8), hex(0xfff07a), hex(0x9ec8ff), hex(0xffffff), hex(0xff9a5c)}[i]
		l.part(func(p *layer) {
			x, y, d, rr := f[0]*U, f[1]*U, 3*U+U/2, 2*U+U/2
			s := union(circle(x-d, y, rr), circle(x+d, y, rr), circle(x, y-d, rr), circle(x, y+d, rr))
			p.fill(s, pxShaded(c, f[0], f[1], 5), 255)
		})
		l.fill(pxCircle(f[0], f[1], 2), flat(hex(0xffc830)), 255)
	}
}

func mushrooms(l *layer) {
	for _, m := range [][3]int{{22, 54, 10}, {40, 56, 7}, {32, 58, 5}} {
		x, y, s := m[0], m[1], m[2]
		l.fill(pxEllipse(x, y+1, s, 2), flat(shadow), 60)
		l.part(func(p *layer) { p.fill(pxRRect(x-s/3, y-s, x+s/3+1, y+1, 1), pxBands(hex(0xf4e8d0), y-s, y), 255) })
		l.part(func(p *layer) {
			p.fill(intersect(pxEllipse(x, y-s+1, s, s*4/5), pxRect(0, 0, 64, y-s+2)), pxShaded(hex(0xc8503a), x, y-s, s), 255)
		})
		l.fill(pxCircle(x-s/3, y-s-s/3, max(s/5, 1)), flat(hex(0xfff8f0)), 255)
	}
}

func stump(l *layer) {
	l.fill(pxEllipse(32, 56, 22, 5), flat(shadow), 70)
	l.part(func(p *layer) {
		p.fill(union(pxRect(16, 30, 48, 54), pxEllipse(32, 54, 16, 4), pxPoly(12, 56, 18, 46, 20, 56), pxPoly(52, 56, 46, 46, 44, 56)),
			pxBands(hex(0x8a5a34), 30, 56), 255)
	})
	l.part(func(p *layer) { p.fill(pxEllipse(32, 30, 16, 6), flat(hex(0xe8c890)), 255) })
	l.fill(minus(pxEllipse(32, 30, 10, 4), pxEllipse(32, 30, 8, 3)), flat(hex(0xc09a60)), 255)
	l.fill(pxEllipse(32, 30, 4, 2), flat(hex(0xc09a60)), 255)
}

func signpost(l *layer) {
	l.fill(pxEllipse(32, 58, 12, 3), flat(shadow), 70)
	l.part(func(p *layer) { p.fill(pxRect(29, 30, 35, 58), pxBands(hex(0x7a4a2a), 30, 58), 255) })
	l.part(func(p *layer) { p.fill(pxRRect(10, 12, 54, 34, 2), pxBands(hex(0xb07844), 12, 34), 255) })
	for _, y := range []int{18, 23, 28} {
		l.fill(pxRect(16, y, 48-(y%3)*4, y+2), flat(hex(0x5a3a20)), 255)
	}
}
