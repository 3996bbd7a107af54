package art

import (
	"image"
	"math/rand/v2"
)

// The tileset is 16 rows of terrain, 16 variants each. Every tile wraps
// seamlessly onto itself, and the variants of a row share their large-scale
// texture, so any mix of one row's variants tiles without seams. Water and
// lava variants are the 16 frames of a looping animation.
const (
	tileSize = 32
	tileCols = 16
)

// tile draws the variant col (0–15) of a terrain onto a tileSize layer.
type tile func(l *layer, col int, r *rand.Rand)

func terrain(r *rand.Rand) image.Image {
	rows := []func(r *rand.Rand) tile{
		grassTile, forestTile, dirtTile, sandTile,
		waterTile(hex(0x2f74c8), hex(0x3d8ad8), hex(0x4c9de2), hex(0xa8dcf6), 2),
		waterTile(hex(0x1d4f96), hex(0x245da8), hex(0x2c6bb6), hex(0x6ea6dc), 1),
		stoneTile, cobbleTile, gravelTile, brickTile, woodTile, slabTile,
		snowTile, iceTile, lavaTile, farmTile,
	}
	img := image.NewRGBA(image.Rect(0, 0, tileCols*tileSize, len(rows)*tileSize))
	for row, mk := range rows {
		t := mk(r)
		for col := range tileCols {
			l := newLayer(tileSize, tileSize)
			t(l, col, r)
			for y := range tileSize {
				for x := range tileSize {
					si := l.img.PixOffset(x, y)
					di := img.PixOffset(col*tileSize+x, row*tileSize+y)
					copy(img.Pix[di:di+3], l.img.Pix[si:si+3])
					img.Pix[di+3] = 255
				}
			}
		}
	}
	return img
}

// tnoise is fractal noise that repeats every tile.
func tnoise(seed uint32, cell int) fbm {
	oct := 0
	for c := cell; c >= 2; c /= 2 {
		oct++
	}
	return fbm{seed: seed, cellX: cell, cellY: cell, wrapX: tileSize / cell, wrapY: tileSize / cell, octaves: oct, gain: 150}
}

// band maps noise onto one of len(pal) colours, stretching its contrast
// (noise clusters around the middle).
func band(pal []rgb, v int64) rgb {
	v = one/2 + (v-one/2)*2
	i := clamp(v*int64(len(pal))/one, 0, int64(len(pal)-1))
	return pal[i]
}

func (l *layer) set(x, y int, c rgb) {
	x, y = mod(x, l.w()), mod(y, l.h())
	l.blend(x, y, c, 255)
}

func (l *layer) get(x, y int) rgb {
	i := l.img.PixOffset(mod(x, l.w()), mod(y, l.h()))
	return from8(l.img.Pix[i], l.img.Pix[i+1], l.img.Pix[i+2])
}

// ground fills l from a palette and a shared texture.
func ground(l *layer, n fbm, pal []rgb) {
	for y := range tileSize {
		for x := range tileSize {
			l.set(x, y, band(pal, n.at(x, y)))
		}
	}
}

// spot returns a random point at least m pixels from the tile edges.
func spot(r *rand.Rand, m int) (int, int) {
	return m + intn(r, tileSize-2*m), m + intn(r, tileSize-2*m)
}

func tuft(l *layer, x, y int, dark, light rgb) {
	for _, p := range [][2]int{{0, 0}, {-1, -1}, {1, -1}, {-2, -2}, {2, -2}, {0, -1}, {0, -2}} {
		l.set(x+p[0], y+p[1], dark)
	}
	l.set(x, y-3, light)
	l.set(x-2, y-3, light)
	l.set(x+2, y-3, light)
}

func flower(l *layer, x, y int, petal rgb) {
	l.set(x+1, y+1, hex(0x2f7a33)) // shadow
	for _, p := range [][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
		l.set(x+p[0], y+p[1], petal)
	}
	l.set(x, y, hex(0xffd23c))
}

func pebble(l *layer, x, y int, c rgb) {
	l.set(x, y, c.shift(60))
	l.set(x+1, y, c)
	l.set(x, y+1, c)
	l.set(x+1, y+1, c.shift(-50))
	l.set(x+2, y+1, c.shift(-90))
	l.set(x+1, y+2, c.shift(-90))
}

func grassTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	pal := []rgb{hex(0x3f8f3b), hex(0x4ea445), hex(0x5cb44f), hex(0x6cc25b)}
	petals := []rgb{hex(0xffffff), hex(0xff9ec8), hex(0x9ec8ff), hex(0xfff07a)}
	return func(l *layer, col int, r *rand.Rand) {
		ground(l, n, pal)
		for range 6 {
			x, y := intn(r, tileSize), intn(r, tileSize)
			l.set(x, y, hex(0x37803a))
			l.set(x, y-1, hex(0x7ad068))
		}
		switch col / 4 {
		case 1:
			for range 3 + intn(r, 3) {
				x, y := spot(r, 4)
				tuft(l, x, y, hex(0x33803a), hex(0x86d870))
			}
		case 2:
			for range 2 + intn(r, 3) {
				x, y := spot(r, 3)
				flower(l, x, y, petals[intn(r, len(petals))])
			}
		case 3:
			for range 2 + intn(r, 3) {
				x, y := spot(r, 3)
				pebble(l, x, y, hex(0x9a9a92))
			}
			x, y := spot(r, 4)
			tuft(l, x, y, hex(0x33803a), hex(0x86d870))
		}
	}
}

func forestTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	pal := []rgb{hex(0x2e5a2e), hex(0x356833), hex(0x3c7437), hex(0x45803c)}
	leaves := []rgb{hex(0xd8822c), hex(0xb8562a), hex(0xe0b040), hex(0x8a5a2a)}
	return func(l *layer, col int, r *rand.Rand) {
		ground(l, n, pal)
		for range 3 + col/2 {
			x, y := spot(r, 2)
			c := leaves[intn(r, len(leaves))]
			l.set(x, y, c)
			l.set(x+1, y, c.shift(-30))
			l.set(x, y+1, c.shift(30))
			l.set(x+1, y+1, c.shift(-60))
		}
		if col%3 == 0 { // a twig
			x, y := spot(r, 5)
			for i := range 5 {
				l.set(x+i, y+i/2, hex(0x5a3a1e))
			}
		}
	}
}

func dirtTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	pal := []rgb{hex(0x714c30), hex(0x7b5536), hex(0x855d3c), hex(0x906645)}
	return func(l *layer, col int, r *rand.Rand) {
		ground(l, n, pal)
		for range 2 + col%5 {
			x, y := spot(r, 2)
			pebble(l, x, y, hex(0x8c7a68))
		}
		for range 10 {
			x, y := intn(r, tileSize), intn(r, tileSize)
			l.set(x, y, hex(0x5a3a24))
		}
	}
}

func sandTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	wob := tnoise(r.Uint32(), 16)
	pal := []rgb{hex(0xd6b168), hex(0xe0c080), hex(0xeacd96), hex(0xf2dcb0)}
	return func(l *layer, col int, r *rand.Rand) {
		for y := range tileSize {
			for x := range tileSize {
				c := band(pal, n.at(x, y))
				// Wind ripples every 8 rows, bent by noise.
				switch mod(y+int(wob.at(x, y)*6/one), 8) {
				case 0:
					c = c.shift(-30)
				case 1:
					c = c.shift(30)
				}
				l.set(x, y, c)
			}
		}
		switch col / 4 {
		case 1, 3:
			for range 1 + intn(r, 2) {
				x, y := spot(r, 3)
				l.set(x, y, hex(0xfff0ea))
				l.set(x+1, y, hex(0xf4b8b0))
				l.set(x, y+1, hex(0xf0c8c0))
				l.set(x+1, y+1, hex(0xc08878))
			}
		case 2:
			x, y := spot(r, 4) // a starfish
			for _, p := range [][2]int{{0, 0}, {0, -1}, {0, -2}, {-1, 0}, {-2, 0}, {1, 0}, {2, 0}, {-1, 1}, {-2, 2}, {1, 1}, {2, 2}} {
				l.set(x+p[0], y+p[1], hex(0xf07840))
			}
			l.set(x, y, hex(0xffb070))
		}
	}
}

// waterTile animates two drifting noise fields; speed is in pixels a frame
// and divides the tile size, so the 16 frames loop.
func waterTile(deep, mid, shallow, foam rgb, speed int) func(r *rand.Rand) tile {
	return func(r *rand.Rand) tile {
		a := tnoise(r.Uint32(), 8)
		b := fbm{seed: r.Uint32(), cellX: 16, cellY: 4, wrapX: 2, wrapY: 8, octaves: 2, gain: 128}
		pal := []rgb{deep, mid, shallow}
		return func(l *layer, col int, _ *rand.Rand) {
			sh := col * speed
			for y := range tileSize {
				for x := range tileSize {
					v := (a.at(x+sh, y) + a.at(x-sh, y+sh)) / 2
					c := band(pal, v)
					w := b.at(x-sh, y)
					switch {
					case w > pct(78):
						c = foam
					case w > pct(70):
						c = mix(c, foam, pct(45))
					}
					l.set(x, y, c)
				}
			}
		}
	}
}

func stoneTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	crack := tnoise(r.Uint32(), 16)
	pal := []rgb{hex(0x6c6c76), hex(0x7e7e88), hex(0x90909a), hex(0xa4a4ac)}
	return func(l *layer, col int, r *rand.Rand) {
		ground(l, n, pal)
		for y := range tileSize {
			for x := range tileSize {
				cr := crack
				cr.seed += uint32(col)
				if d := abs(cr.at(x, y) - one/2); d < pct(1) {
					l.set(x, y, hex(0x4a4a56))
					l.set(x+1, y+1, hex(0xb4b4bc))
				}
			}
		}
		if col >= 8 { // moss
			for range col - 6 {
				x, y := intn(r, tileSize), intn(r, tileSize)
				l.set(x, y, hex(0x5a8a3c))
				l.set(x+1, y, hex(0x4a7a34))
			}
		}
	}
}

// cells is a periodic Voronoi diagram: k×k jittered points in a tile.
type cells struct {
	k  int
	pt [][2]int // positions in 1/16 px
}

func newCells(r *rand.Rand, k int) cells {
	c := cells{k: k}
	span := tileSize * 16
	for j := range k {
		for i := range k {
			jx := intn(r, span/k/2) - span/k/4
			jy := intn(r, span/k/2) - span/k/4
			c.pt = append(c.pt, [2]int{i*span/k + span/k/2 + jx, j*span/k + span/k/2 + jy})
		}
	}
	return c
}

// at returns the nearest point's index, the vector from it to the pixel
// centre (1/16 px) and the gap to the second nearest (1/16 px).
func (c cells) at(x, y int) (idx, dx, dy int, gap int64) {
	span := tileSize * 16
	px, py := x*16+8, y*16+8
	f1, f2 := int64(1)<<62, int64(1)<<62
	for i, p := range c.pt {
		for oy := -span; oy <= span; oy += span {
			for ox := -span; ox <= span; ox += span {
				ddx, ddy := px-p[0]-ox, py-p[1]-oy
				d := int64(ddx)*int64(ddx) + int64(ddy)*int64(ddy)
				if d < f1 {
					f2 = f1
					f1, idx, dx, dy = d, i, ddx, ddy
				} else if d < f2 {
					f2 = d
				}
			}
		}
	}
	return idx, dx, dy, isqrt(f2) - isqrt(f1)
}

// stones draws rounded stones on a Voronoi layout with mortar between.
func stones(l *layer, c cells, pal []rgb, mortar rgb, seed uint32, gapW int64) {
	for y := range tileSize {
		for x := range tileSize {
			i, dx, dy, gap := c.at(x, y)
			if gap < gapW {
				l.set(x, y, mortar)
				continue
			}
			col := pal[hashN(i, 0, seed, len(pal))]
			s := dx + dy
			switch {
			case gap < gapW+12 && s > 0:
				col = col.shift(-70)
			case s < -40:
				col = col.shift(45)
			case s > 50:
				col = col.shift(-35)
			}
			l.set(x, y, col)
		}
	}
}

func cobbleTile(r *rand.Rand) tile {
	c := newCells(r, 3)
	seed := r.Uint32()
	pal := []rgb{hex(0x8a8a90), hex(0x9a948a), hex(0x7e8088), hex(0xa09c98)}
	return func(l *layer, col int, r *rand.Rand) {
		stones(l, c, pal, hex(0x4a4648), seed, 20)
		if col >= 6 { // moss creeping into the joints
			for y := range tileSize {
				for x := range tileSize {
					if _, _, _, gap := c.at(x, y); gap < 28 && hashN(x, y, uint32(col), 16) < col-5 {
						l.set(x, y, hex(0x5c8c3a))
					}
				}
			}
		}
	}
}

func gravelTile(r *rand.Rand) tile {
	c := newCells(r, 5)
	pal := []rgb{hex(0xb8a888), hex(0xa89878), hex(0xc8b898), hex(0x988c7c), hex(0xb0a490)}
	return func(l *layer, col int, r *rand.Rand) {
		stones(l, c, pal, hex(0x6e6250), uint32(col), 10)
	}
}

func brickTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	seed := r.Uint32()
	pal := []rgb{hex(0xa8503a), hex(0xb45c42), hex(0x9a4634), hex(0xbc6a4c)}
	return func(l *layer, col int, r *rand.Rand) {
		for y := range tileSize {
			row := y / 8
			off := (row % 2) * 8
			for x := range tileSize {
				bx, by := mod(x+off, 16), y%8
				if bx == 0 || by == 0 {
					l.set(x, y, hex(0xc8bca8))
					continue
				}
				id := row*2 + mod(x+off, tileSize)/16
				c := pal[hashN(id, 0, seed, len(pal))]
				if col >= 8 && col < 12 && hashN(id, col, seed, 5) == 0 {
					c = hex(0x5e3a30) // sooty brick
				}
				switch {
				case by == 1 || bx == 1:
					c = c.shift(40)
				case by == 7 || bx == 15:
					c = c.shift(-50)
				}
				if t := n.at(x, y); t < pct(35) {
					c = c.shift(-20)
				}
				l.set(x, y, c)
			}
		}
		if col >= 4 && col < 8 || col >= 12 { // moss along the joints
			for range (col%4 + 2) * 6 {
				x, y := intn(r, tileSize), 8*intn(r, 4)
				l.set(x, y, hex(0x5c8a3c))
				l.set(x, y+1, hex(0x4a7a34))
			}
		}
	}
}

func woodTile(r *rand.Rand) tile {
	grain := fbm{seed: r.Uint32(), cellX: 16, cellY: 2, wrapX: 2, wrapY: 16, octaves: 2, gain: 128}
	seed := r.Uint32()
	pal := []rgb{hex(0xa06a3a), hex(0xb07844), hex(0x96603a), hex(0xb8824c)}
	ends := []int{4, 20, 12, 28}
	return func(l *layer, col int, r *rand.Rand) {
		for y := range tileSize {
			plank := y / 8
			for x := range tileSize {
				c := pal[hashN(plank, col%4, seed, len(pal))]
				g := grain.at(x, y)
				switch {
				case g < pct(30):
					c = c.shift(-40)
				case g > pct(72):
					c = c.shift(25)
				}
				switch {
				case y%8 == 0:
					c = hex(0x4e2e18)
				case y%8 == 1:
					c = c.shift(40)
				case x == ends[plank]:
					c = hex(0x5e3a20)
				}
				l.set(x, y, c)
			}
			if y%8 == 4 { // nails beside the plank ends
				e := ends[plank]
				l.set(e-2, y, hex(0x3a3030))
				l.set(e+2, y, hex(0x3a3030))
			}
		}
		if col >= 12 { // a knot
			x, y := 6+intn(r, 20), 3+8*intn(r, 4)
			l.set(x, y, hex(0x5a3418))
			l.set(x+1, y, hex(0x6e4222))
			l.set(x, y+1, hex(0x6e4222))
		}
	}
}

func slabTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	seed := r.Uint32()
	pal := []rgb{hex(0x5a5668), hex(0x625e72), hex(0x56526a), hex(0x6a6678)}
	return func(l *layer, col int, r *rand.Rand) {
		for y := range tileSize {
			for x := range tileSize {
				sx, sy := x%16, y%16
				c := pal[hashN(x/16+y/16*2, col, seed, len(pal))]
				if t := n.at(x, y); t < pct(40) {
					c = c.shift(-14)
				} else if t > pct(62) {
					c = c.shift(12)
				}
				switch {
				case sx == 0 || sy == 0:
					c = hex(0x2c2838)
				case sx == 1 || sy == 1:
					c = c.shift(40)
				case sx == 15 || sy == 15:
					c = c.shift(-45)
				}
				l.set(x, y, c)
			}
		}
		if col >= 8 { // a crack wandering across one slab
			x, y := 3+16*intn(r, 2)+intn(r, 4), 3+16*intn(r, 2)+intn(r, 4)
			for range 6 + intn(r, 6) {
				if x%16 < 2 || y%16 < 2 || x%16 > 14 || y%16 > 14 {
					break
				}
				l.set(x, y, hex(0x34303e))
				l.set(x, y+1, hex(0x7a7690))
				x += 1
				y += intn(r, 3) - 1
			}
		}
	}
}

func snowTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	pal := []rgb{hex(0xd6e2f0), hex(0xe4ecf7), hex(0xeff4fb), hex(0xfafcff)}
	return func(l *layer, col int, r *rand.Rand) {
		ground(l, n, pal)
		for range 4 {
			x, y := intn(r, tileSize), intn(r, tileSize)
			l.set(x, y, hex(0xffffff))
			l.set(x+1, y+1, hex(0xb8c8e0))
		}
		if col >= 12 { // footprints
			x, y := spot(r, 6)
			for _, f := range [][2]int{{0, 0}, {5, -7}} {
				for _, p := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}, {1, 2}, {0, 4}, {1, 4}} {
					l.set(x+f[0]+p[0], y+f[1]+p[1], hex(0xb0c2dc))
				}
			}
		}
	}
}

func iceTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	crack := tnoise(r.Uint32(), 16)
	pal := []rgb{hex(0x94cde8), hex(0xa8daf0), hex(0xbce4f4), hex(0xd0eef8)}
	return func(l *layer, col int, r *rand.Rand) {
		for y := range tileSize {
			for x := range tileSize {
				c := band(pal, n.at(x, y))
				if d := mod(x+y+col*4, tileSize); d < 2 || d == 5 {
					c = mix(c, hex(0xffffff), pct(55))
				}
				if col%4 >= 2 && abs(crack.at(x, y)-one/2) < pct(1) {
					c = hex(0xf4fbff)
				}
				l.set(x, y, c)
			}
		}
	}
}

func lavaTile(r *rand.Rand) tile {
	a := tnoise(r.Uint32(), 16)
	b := tnoise(r.Uint32(), 8)
	hot := []rgb{hex(0xb02a0e), hex(0xe05416), hex(0xff8a28), hex(0xffc450), hex(0xffec9a)}
	return func(l *layer, col int, _ *rand.Rand) {
		sh := col * 2
		for y := range tileSize {
			for x := range tileSize {
				v := (a.at(x+sh, y)*2 + b.at(x, y-sh)) / 3
				var c rgb
				switch {
				case v < pct(46):
					c = hex(0x3a1612)
					if v > pct(43) {
						c = hex(0x6a2414) // glowing crust edge
					} else if v < pct(36) {
						c = hex(0x2c100e)
					}
				default:
					c = hot[clamp((v-pct(46))*int64(len(hot))/pct(28), 0, int64(len(hot)-1))]
				}
				l.set(x, y, c)
			}
		}
	}
}

func farmTile(r *rand.Rand) tile {
	n := tnoise(r.Uint32(), 8)
	return func(l *layer, col int, r *rand.Rand) {
		for y := range tileSize {
			for x := range tileSize {
				c := hex(0x7a5232)
				switch y % 8 {
				case 0, 1:
					c = hex(0x5a3a22)
				case 2:
					c = hex(0x66432a)
				case 3:
					c = hex(0x94683e)
				}
				if n.at(x, y) > pct(60) {
					c = c.shift(18)
				}
				l.set(x, y, c)
			}
		}
		stage := col / 4 // 0 bare, 1 seeds, 2 sprouts, 3 leafy
		if stage == 0 {
			return
		}
		for row := range 4 {
			for _, x := range []int{4, 12, 20, 28} {
				y := row*8 + 5
				switch stage {
				case 1:
					l.set(x, y, hex(0xd8c488))
				case 2:
					l.set(x, y, hex(0x4a9a3a))
					l.set(x-1, y-1, hex(0x6cc04c))
					l.set(x+1, y-1, hex(0x6cc04c))
				case 3:
					for _, p := range [][2]int{{0, 0}, {0, -1}, {-1, -1}, {1, -1}, {-2, -2}, {-1, -2}, {1, -2}, {2, -2}, {-2, -3}, {2, -3}, {0, -3}} {
						l.set(x+p[0], y+p[1], hex(0x3f8c34))
					}
					l.set(x-1, y-3, hex(0x7ad05a))
					l.set(x+1, y-3, hex(0x7ad05a))
					l.set(x, y-2, hex(0x5cb048))
				}
			}
		}
	}
}
