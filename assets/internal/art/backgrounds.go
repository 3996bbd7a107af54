package art

import (
	"image"
	"math/rand/v2"
)

// Background size. The width is 3·2⁹ so that every octave of the noise
// wraps: the backgrounds tile horizontally, for parallax scrolling.
const (
	bgW = 1536
	bgH = 720
)

// scene describes one landscape.
type scene struct {
	sky      []stop // colours from the top of the image (0) to the horizon (one)
	horizon  int    // y where the sky reaches its last colour
	sun      *orb
	clouds   *clouds
	stars    int // number of stars, 0 for a day sky
	milkyWay bool
	ranges   []ridge // back to front
	snowfall int     // number of snowflakes drawn over everything
}

// orb is the sun or the moon.
type orb struct {
	x, y, r int
	core    rgb
	glow    rgb
	glowR   int
	glowA   int64 // glow strength at the centre, fixed point
	craters bool
}

// clouds is a band of fractal-noise clouds.
type clouds struct {
	cellX, cellY  int
	y0, y1        int   // vertical band
	cover         int64 // noise threshold: higher means fewer clouds
	light, shadow rgb
	alpha         int64
}

// ridge is one layer of hills or mountains.
type ridge struct {
	base, amp   int // mean height of the crest and its swing, in pixels
	cell        int // width of the largest feature; must divide bgW
	octaves     int
	ridged      bool // sharp mountain crests instead of rounded hills
	top, bottom rgb  // colour just under the crest and at the bottom edge
	facets      bool // lit and shadowed mountain faces
	snowLine    int  // snow above this y; 0 for none
	snow        rgb
	texture     int64 // strength of posterized ground patches, 0 for none
	rim         rgb   // light along the crest
	rimW        int
	mist        rgb
	mistA       int64 // mist strength at the bottom edge
	pines       int   // number of conifers on the crest
	oaks        int   // number of round trees on the crest
	treeSize    int   // tree height in pixels
	tree        rgb
	light       int64 // brightening of lit faces (out of 256); 0 means 60
	grain       int64 // strength of fine ground grain, 0 for none
	grassy      int   // height of grass blades along the crest, 0 for none
	flowers     int   // number of flowers scattered on the layer
	blades      int64 // strength of grass-blade texture, 0 for none
}

var meadow = scene{
	sky:     []stop{{0, hex(0x2f7fd6)}, {pct(55), hex(0x7dbdf0)}, {one, hex(0xd7eef7)}},
	horizon: 520,
	sun:     &orb{x: 990, y: 370, r: 34, core: hex(0xfffbe8), glow: hex(0xfff3c4), glowR: 300, glowA: pct(60)},
	clouds: &clouds{cellX: 256, cellY: 96, y0: 20, y1: 360, cover: pct(56),
		light: hex(0xffffff), shadow: hex(0xc2d8ee), alpha: one},
	ranges: []ridge{
		{base: 430, amp: 200, cell: 512, octaves: 8, ridged: true, top: hex(0x98b4d6), bottom: hex(0xb4cce2),
			facets: true, grain: 7, snowLine: 330, snow: hex(0xf2f7ff), mist: hex(0xd7eef7), mistA: pct(70)},
		{base: 500, amp: 120, cell: 256, octaves: 7, ridged: true, top: hex(0x6f98b8), bottom: hex(0x8db4c8),
			facets: true, grain: 7, snowLine: 420, snow: hex(0xeaf2fc), mist: hex(0xd7eef7), mistA: pct(55)},
		{base: 560, amp: 40, cell: 384, octaves: 6, top: hex(0x94c86c), bottom: hex(0x7ab85e),
			texture: 14, grain: 6, oaks: 60, pines: 20, treeSize: 16, tree: hex(0x649f50), mist: hex(0xd7eef7), mistA: pct(25)},
		{base: 615, amp: 40, cell: 512, octaves: 6, top: hex(0x74b955), bottom: hex(0x5aa346),
			texture: 18, grain: 8, blades: 8, grassy: 2, flowers: 500, oaks: 18, pines: 14, treeSize: 30, tree: hex(0x3f8a3c), rim: hex(0xb8e07a), rimW: 2},
		{base: 680, amp: 30, cell: 768, octaves: 6, top: hex(0x55a544), bottom: hex(0x3f8c38),
			texture: 22, grain: 12, blades: 14, grassy: 4, flowers: 900, pines: 9, treeSize: 58, tree: hex(0x2f6e36), rim: hex(0x9ad468), rimW: 3},
	},
}

var sunset = scene{
	sky: []stop{{0, hex(0x221a4a)}, {pct(35), hex(0x5f2b6c)}, {pct(68), hex(0xc9566e)},
		{pct(88), hex(0xf39566)}, {one, hex(0xffcf88)}},
	horizon: 560,
	sun:     &orb{x: 620, y: 455, r: 70, core: hex(0xfff2c8), glow: hex(0xffb874), glowR: 560, glowA: pct(70)},
	clouds: &clouds{cellX: 384, cellY: 24, y0: 60, y1: 400, cover: pct(58),
		light: hex(0xffb08a), shadow: hex(0x8c4a7c), alpha: pct(95)},
	ranges: []ridge{
		{base: 470, amp: 200, cell: 512, octaves: 8, ridged: true, top: hex(0x9a5a8c), bottom: hex(0xc07888),
			facets: true, grain: 7, mist: hex(0xf39566), mistA: pct(55)},
		{base: 545, amp: 120, cell: 256, octaves: 7, ridged: true, top: hex(0x6c3e76), bottom: hex(0x86507e),
			facets: true, grain: 7, mist: hex(0xe07a70), mistA: pct(40)},
		{base: 615, amp: 45, cell: 384, octaves: 6, top: hex(0x4a2a5e), bottom: hex(0x3c2252),
			texture: 10, grain: 6, pines: 40, treeSize: 22, tree: hex(0x34204c), rim: hex(0xd86a78), rimW: 1},
		{base: 685, amp: 28, cell: 768, octaves: 6, top: hex(0x2a173c), bottom: hex(0x1e102e),
			texture: 8, grain: 6, blades: 8, grassy: 3, pines: 12, treeSize: 64, tree: hex(0x180c28), rim: hex(0xff9a6a), rimW: 2},
	},
}

var night = scene{
	sky:      []stop{{0, hex(0x040716)}, {pct(50), hex(0x0d1636)}, {one, hex(0x25396a)}},
	horizon:  560,
	sun:      &orb{x: 300, y: 140, r: 46, core: hex(0xf2eed8), glow: hex(0x8ea6e0), glowR: 320, glowA: pct(40), craters: true},
	stars:    1600,
	milkyWay: true,
	clouds: &clouds{cellX: 256, cellY: 40, y0: 240, y1: 470, cover: pct(64),
		light: hex(0x4a5c92), shadow: hex(0x1c2752), alpha: pct(85)},
	ranges: []ridge{
		{base: 480, amp: 190, cell: 512, octaves: 8, ridged: true, top: hex(0x2c3f70), bottom: hex(0x33477a),
			facets: true, grain: 7, light: 30, snowLine: 380, snow: hex(0xaebde4), mist: hex(0x25396a), mistA: pct(55)},
		{base: 545, amp: 110, cell: 256, octaves: 7, ridged: true, top: hex(0x1f2d58), bottom: hex(0x263566),
			facets: true, grain: 7, light: 24, mist: hex(0x25396a), mistA: pct(40)},
		{base: 612, amp: 45, cell: 384, octaves: 6, top: hex(0x152042), bottom: hex(0x111a38),
			texture: 8, grain: 5, pines: 50, treeSize: 22, tree: hex(0x0e1734)},
		{base: 678, amp: 30, cell: 768, octaves: 6, top: hex(0x0c132c), bottom: hex(0x080d20),
			texture: 6, grain: 5, blades: 8, grassy: 3, pines: 14, treeSize: 60, tree: hex(0x070b1a), rim: hex(0x4a66a8), rimW: 1},
	},
}

var winter = scene{
	sky:     []stop{{0, hex(0x7699c8)}, {pct(60), hex(0xc0d3ea)}, {one, hex(0xf7e2da)}},
	horizon: 520,
	sun:     &orb{x: 960, y: 330, r: 40, core: hex(0xfff8ec), glow: hex(0xffe2cc), glowR: 420, glowA: pct(55)},
	clouds: &clouds{cellX: 320, cellY: 64, y0: 20, y1: 300, cover: pct(60),
		light: hex(0xffffff), shadow: hex(0xb6c4dc), alpha: pct(95)},
	ranges: []ridge{
		{base: 430, amp: 210, cell: 512, octaves: 8, ridged: true, top: hex(0x8fa4c4), bottom: hex(0xa8b9d2),
			facets: true, grain: 7, snowLine: 390, snow: hex(0xf4f7fc), mist: hex(0xf0e2e0), mistA: pct(70)},
		{base: 505, amp: 120, cell: 256, octaves: 7, ridged: true, top: hex(0x7f93b4), bottom: hex(0x96a8c6),
			facets: true, grain: 7, snowLine: 470, snow: hex(0xe8eef8), mist: hex(0xf0e2e0), mistA: pct(50)},
		{base: 585, amp: 40, cell: 384, octaves: 6, top: hex(0xe6edf7), bottom: hex(0xd6e0ee),
			texture: 8, grain: 4, pines: 60, treeSize: 20, tree: hex(0x4e6e6c)},
		{base: 665, amp: 32, cell: 768, octaves: 6, top: hex(0xf6f9fd), bottom: hex(0xe2eaf5),
			texture: 10, grain: 5, blades: 6, pines: 12, treeSize: 62, tree: hex(0x2f4f4a)},
	},
	snowfall: 2200,
}

// built is a ridge with its crest profile computed.
type built struct {
	ridge
	crest   []int64 // crest y of the ground alone, per pixel column, ×256
	top     []int64 // crest y including trees, per quarter-pixel column, ×256
	treeMid []int   // centre column of the tree that sets top, per quarter column
	minY    int
	faceN   fbm // wobble of the mountain faces
	snowN   fbm // raggedness of the snow line
	texN    fbm // ground patches
	grainN  fbm // fine grain
	bladeN  fbm // grass blades
	flowers map[int]rgb
}

func background(s scene) func(r *rand.Rand) image.Image {
	return func(r *rand.Rand) image.Image {
		bs := make([]*built, len(s.ranges))
		for i, rg := range s.ranges {
			bs[i] = build(rg, r)
		}
		sky := drawSky(s, r)
		img := image.NewRGBA(image.Rect(0, 0, bgW, bgH))
		for y := 0; y < bgH; y++ {
			for x := 0; x < bgW; x++ {
				c := colorAt(bs, len(bs)-1, x, y, sky)
				i := img.PixOffset(x, y)
				d := bayer[y&3][x&3]*16 + 8
				img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = to8(c.r, d), to8(c.g, d), to8(c.b, d), 255
			}
		}
		if s.snowfall > 0 {
			snowfall(img, s.snowfall, r)
		}
		return img
	}
}

// colorAt returns the colour of the front-most layer at or behind layer i
// covering (x, y), blending with what lies behind on anti-aliased edges.
func colorAt(bs []*built, i, x, y int, sky []rgb) rgb {
	for ; i >= 0; i-- {
		b := bs[i]
		if y < b.minY-1 {
			continue
		}
		var cov int64
		for s := 0; s < 4; s++ {
			cov += clamp(int64(y+1)*256-b.top[x*4+s], 0, 256)
		}
		cov /= 4
		if cov == 0 {
			continue
		}
		c := b.color(x, y)
		if cov < 256 {
			c = mix(colorAt(bs, i-1, x, y, sky), c, cov*256)
		}
		return c
	}
	return sky[y*bgW+x]
}

func build(rg ridge, r *rand.Rand) *built {
	b := &built{ridge: rg}
	prof := fbm{seed: r.Uint32(), cellX: rg.cell * 4, cellY: 1, wrapX: bgW / rg.cell,
		octaves: rg.octaves, gain: 128, ridged: rg.ridged}
	b.faceN = fbm{seed: r.Uint32(), cellX: 64, cellY: 64, wrapX: bgW / 64, octaves: 3, gain: 128}
	b.snowN = fbm{seed: r.Uint32(), cellX: 32, cellY: 16, wrapX: bgW / 32, octaves: 3, gain: 150}
	b.texN = fbm{seed: r.Uint32(), cellX: 48, cellY: 12, wrapX: bgW / 48, octaves: 3, gain: 140}
	b.grainN = fbm{seed: r.Uint32(), cellX: 4, cellY: 8, wrapX: bgW / 4, octaves: 2, gain: 160}
	b.bladeN = fbm{seed: r.Uint32(), cellX: 2, cellY: 8, wrapX: bgW / 2, octaves: 1, gain: 128}
	n := bgW * 4
	b.top = make([]int64, n)
	b.treeMid = make([]int, n)
	// Normalise the profile to its own range, so every layer spans
	// exactly base±amp whatever the noise happened to do.
	lo, hi := int64(one), int64(0)
	for s := range n {
		v := prof.at(s, 0)
		b.top[s] = v
		lo, hi = min(lo, v), max(hi, v)
	}
	for s := range n {
		v := (b.top[s] - lo) * one / max(hi-lo, 1)
		b.top[s] = int64(rg.base)*256 - int64(rg.amp)*256*(2*v-one)/one
		b.treeMid[s] = -1
	}
	if rg.grassy > 0 {
		// Blades of grass: thin spikes along the crest, three quarter
		// columns wide, of random height.
		gs := r.Uint32()
		for s := range n {
			h := hashN(s/3, 0, gs, rg.grassy*256+1)
			if s%3 == 1 {
				h += 128
			}
			b.top[s] -= int64(h)
		}
	}
	b.crest = make([]int64, bgW)
	for x := range bgW {
		b.crest[x] = (b.top[x*4] + b.top[x*4+1] + b.top[x*4+2] + b.top[x*4+3]) / 4
	}
	// Trees stand on the crest; they only raise the outline.
	for range rg.pines {
		b.addTree(intn(r, n), rg.treeSize*(70+intn(r, 60))/100, false)
	}
	for range rg.oaks {
		b.addTree(intn(r, n), rg.treeSize*(70+intn(r, 50))/100, true)
	}
	if rg.flowers > 0 {
		b.flowers = map[int]rgb{}
		colors := []rgb{hex(0xffffff), hex(0xfff07a), hex(0xff9ec4), hex(0xc9a8ff), hex(0xff7a5c)}
		for range rg.flowers {
			x := intn(r, bgW)
			crest := int(b.crest[x]/256) + 4
			y := crest + intn(r, max(bgH-crest, 1))
			c := colors[intn(r, len(colors))]
			b.flowers[y*bgW+x] = c
			if intn(r, 3) == 0 {
				b.flowers[y*bgW+mod(x+1, bgW)] = c.shift(-40)
				b.flowers[(y-1)*bgW+x] = c.shift(20)
			}
		}
	}
	b.minY = bgH
	for _, t := range b.top {
		b.minY = min(b.minY, int(t/256))
	}
	return b
}

// addTree raises the outline around quarter column mid by a conifer (or,
// with oak set, a round tree) of height h pixels standing on the crest.
func (b *built) addTree(mid, h int, oak bool) {
	n := len(b.top)
	foot := b.crest[mid/4] + 3*256 // planted slightly into the ground
	hw := h * 4 * 3 / 10           // half width in quarter columns
	if oak {
		hw = h * 4 * 45 / 100
	}
	for d := -hw; d <= hw; d++ {
		s := mod(mid+d, n)
		ad := int64(abs(int64(d)))
		var t int64 = -1
		if oak {
			// Canopy: a big circle over two smaller side ones, in ×256 units.
			t = circleTop(ad*64, int64(h)*256*40/100, foot-int64(h)*256*58/100)
			t = minTop(t, circleTop(abs(ad*64-int64(h)*256*22/100), int64(h)*256*26/100, foot-int64(h)*256*40/100))
		} else {
			// Three stacked triangular tiers.
			for k := int64(0); k < 3; k++ {
				tt := foot - int64(h)*256 + k*int64(h)*256*24/100
				tb := tt + int64(h)*256*46/100
				w := int64(hw) * (k + 2) / 4
				if ad <= w {
					t = minTop(t, tt+(tb-tt)*ad/max(w, 1))
				}
			}
		}
		if t >= 0 && t < b.top[s] {
			b.top[s] = t
			b.treeMid[s] = mid
		}
	}
}

// circleTop returns the top y of a circle of radius r centred at height cy
// at horizontal distance d from its centre, or -1 outside; all ×256.
func circleTop(d, r, cy int64) int64 {
	if d > r {
		return -1
	}
	return cy - isqrt(r*r-d*d)
}

func minTop(a, b int64) int64 {
	if a < 0 {
		return b
	}
	if b < 0 {
		return a
	}
	return min(a, b)
}

// color returns the layer's own colour at a pixel it covers.
func (b *built) color(x, y int) rgb {
	n := len(b.top)
	if int64(y)*256+128 < b.crest[x]-256 {
		// A tree: lit on its left, shaded on its right.
		mid := b.treeMid[x*4+2]
		c := b.tree
		if mid >= 0 {
			d := mod(x*4+2-mid+n/2, n) - n/2
			switch {
			case d < -6:
				c = c.shift(22)
			case d > 4:
				c = c.shift(-30)
			}
		}
		return b.hazed(c, x, y)
	}
	crest := int(b.crest[x] / 256)
	depth := y - crest
	c := mix(b.ridge.top, b.bottom, int64(y-b.minY)*one/int64(max(bgH-b.minY, 1)))
	if b.facets {
		// Which way does the mountain face here? Compare the crest to the
		// left and right, looking further and wobbling more with depth, so
		// faces run down the slopes like gullies.
		k := 4 + depth/3
		wob := int((b.faceN.at(x, y) - one/2) * int64(depth) / (3 * one))
		xl, xr := mod(x+wob-k, bgW), mod(x+wob+k, bgW)
		slope := (b.crest[xr] - b.crest[xl]) / 256
		light := b.light
		if light == 0 {
			light = 60
		}
		lit, dark := c.shift(light), c.shift(-55)
		snowy := b.snowLine > 0 && y < b.snowLine+int((b.snowN.at(x, y)-one/2)*90/one)-depth/4
		if snowy {
			c = b.snow
			lit, dark = b.snow.shift(30), mix(b.snow, hex(0x7c8cc0), pct(30))
		}
		switch {
		case slope < -1:
			c = lit
		case slope > 1:
			c = dark
		}
	}
	if b.texture > 0 {
		t := b.texN.at(x, y)
		switch {
		case t < pct(36):
			c = c.shift(-b.texture)
		case t > pct(64):
			c = c.shift(b.texture)
		}
	}
	if b.grain > 0 {
		t := b.grainN.at(x, y)
		switch {
		case t < pct(38):
			c = c.shift(-b.grain)
		case t > pct(62):
			c = c.shift(b.grain)
		}
	}
	if b.blades > 0 {
		t := b.bladeN.at(x, y)
		switch {
		case t < pct(30):
			c = c.shift(-b.blades)
		case t > pct(72):
			c = c.shift(b.blades)
		}
	}
	if depth < b.rimW {
		c = mix(c, b.rim, pct(60))
	}
	if f, ok := b.flowers[y*bgW+x]; ok {
		c = f
	}
	return b.hazed(c, x, y)
}

// hazed blends mist in towards the bottom of the layer.
func (b *built) hazed(c rgb, x, y int) rgb {
	if b.mistA == 0 {
		return c
	}
	t := int64(y-b.minY) * one / int64(max(bgH-b.minY, 1))
	return mix(c, b.mist, b.mistA*(t*t>>16)>>16)
}

// drawSky returns the sky colour of every pixel: gradient, sun or moon glow,
// stars and clouds.
func drawSky(s scene, r *rand.Rand) []rgb {
	sky := make([]rgb, bgW*bgH)
	var stars []int64
	if s.stars > 0 {
		stars = starField(s, r)
	}
	var cn fbm
	if s.clouds != nil {
		cn = fbm{seed: r.Uint32(), cellX: s.clouds.cellX, cellY: s.clouds.cellY,
			wrapX: bgW / s.clouds.cellX, octaves: 5, gain: 135}
	}
	milky := fbm{seed: r.Uint32(), cellX: 96, cellY: 96, wrapX: bgW / 96, octaves: 5, gain: 150}
	// Gentle variation in the sky's brightness, so it is not a flat ramp.
	air := fbm{seed: r.Uint32(), cellX: 192, cellY: 64, wrapX: bgW / 192, octaves: 4, gain: 140}
	var craters []int
	if s.sun != nil && s.sun.craters {
		for range 7 {
			craters = append(craters, intn(r, s.sun.r)-s.sun.r/2, intn(r, s.sun.r)-s.sun.r/2, 3+intn(r, s.sun.r/4))
		}
	}
	for y := 0; y < bgH; y++ {
		base := gradient(s.sky, int64(y)*one/int64(s.horizon))
		for x := 0; x < bgW; x++ {
			c := base.shift((air.at(x, y) - one/2) * 14 / one)
			if s.milkyWay {
				// A faint band of light running across the sky.
				d := int64(y - milkyY(x))
				band := one - clamp(d*d*one/(150*150), 0, one)
				if band > 0 {
					m := milky.at(x, y)
					c = mix(c, hex(0x5a6aa8), band*clamp(m-pct(35), 0, one)>>16)
				}
			}
			if o := s.sun; o != nil {
				dx, dy := int64(x-o.x), int64(y-o.y)
				d2 := dx*dx + dy*dy
				if g := int64(o.glowR) * int64(o.glowR); d2 < g {
					f := one - d2*one/g
					c = mix(c, o.glow, o.glowA*(f*f>>16)>>16)
				}
				d := isqrt(d2 << 16) // distance ×256
				if cov := clamp(int64(o.r)*256-d+128, 0, 256); cov > 0 {
					disc := o.core
					if o.craters {
						disc = moonColor(o, craters, x, y)
					}
					c = mix(c, disc, cov*256)
				}
			}
			if stars != nil {
				if v := stars[y*bgW+x]; v > 0 {
					c = mix(c, hex(0xfdf8ee), v)
				}
			}
			if cl := s.clouds; cl != nil && y < cl.y1 {
				c = cloud(cl, cn, c, x, y)
			}
			sky[y*bgW+x] = c
		}
	}
	return sky
}

// milkyY is the centre line of the Milky Way: a smooth arch high in the
// middle of the image, lower at the sides, continuous across the wrap.
func milkyY(x int) int {
	t := int64(abs(int64(2*x-bgW))) * one / bgW
	return 60 + int(300*fade(t)/one)
}

func moonColor(o *orb, craters []int, x, y int) rgb {
	c := o.core
	// Light from the upper left: the lower right limb is a little darker.
	if (x-o.x)+(y-o.y) > o.r*3/5 {
		c = c.shift(-30)
	}
	for i := 0; i < len(craters); i += 3 {
		cx, cy, cr := o.x+craters[i], o.y+craters[i+1], craters[i+2]
		dx, dy := x-cx, y-cy
		if dx*dx+dy*dy <= cr*cr {
			c = c.shift(-22)
			if dx+dy > cr/2 { // lit inner rim
				c = c.shift(30)
			}
		}
	}
	return c
}

// cloud composites the cloud layer over sky colour c.
func cloud(cl *clouds, cn fbm, c rgb, x, y int) rgb {
	mask := smooth(int64(y), int64(cl.y0), int64(cl.y0+50)) * (one - smooth(int64(y), int64(cl.y1-90), int64(cl.y1))) >> 16
	if mask == 0 {
		return c
	}
	v := cn.at(x, y)
	// Clouds thin out towards the edges of their band.
	thr := cl.cover + (one-mask)*20/100
	a := smooth(v, thr, thr+pct(5))
	if a == 0 {
		return c
	}
	// Lit where the cloud continues below (we are near its top), shaded
	// where it continues above (near its underside).
	lo := cn
	lo.octaves = 2
	d := lo.at(x, y+cl.cellY/8) - lo.at(x, y-cl.cellY/8)
	cc := mix(cl.light, cl.shadow, pct(40))
	switch {
	case d > pct(1):
		cc = cl.light
	case d < -pct(3):
		cc = cl.shadow
	}
	return mix(c, cc, a*cl.alpha>>16)
}

// starField returns a per-pixel star intensity (fixed point).
func starField(s scene, r *rand.Rand) []int64 {
	f := make([]int64, bgW*bgH)
	put := func(x, y int, v int64) {
		if x >= 0 && y >= 0 && x < bgW && y < bgH {
			f[y*bgW+x] = min(one, f[y*bgW+x]+v)
		}
	}
	for i := range s.stars {
		x, y := intn(r, bgW), intn(r, s.horizon)
		if s.milkyWay && i%3 == 0 {
			// Crowd a third of the stars into the Milky Way.
			y = milkyY(x) + intn(r, 161) - 80
		}
		v := pct(25) + int64(intn(r, int(pct(60))))
		put(x, y, v)
		switch {
		case i%40 == 0: // a bright star with four spikes
			put(x, y, one)
			for d := 1; d <= 4; d++ {
				a := one * int64(5-d) / 6
				put(x-d, y, a)
				put(x+d, y, a)
				put(x, y-d, a)
				put(x, y+d, a)
			}
		case i%9 == 0:
			put(x+1, y, v/3)
			put(x-1, y, v/3)
			put(x, y+1, v/3)
			put(x, y-1, v/3)
		}
	}
	return f
}

// snowfall scatters soft flakes over img.
func snowfall(img *image.RGBA, n int, r *rand.Rand) {
	for i := range n {
		x, y := intn(r, bgW), intn(r, bgH)
		a := int64(120 + intn(r, 120))
		pts := [][3]int{{0, 0, 256}}
		if i%4 == 0 {
			pts = [][3]int{{0, 0, 256}, {1, 0, 200}, {0, 1, 200}, {1, 1, 150}, {-1, 0, 70}, {0, -1, 70}, {2, 1, 70}, {1, 2, 70}}
		}
		for _, p := range pts {
			px, py := x+p[0], y+p[1]
			if px < 0 || py < 0 || px >= bgW || py >= bgH {
				continue
			}
			i := img.PixOffset(px, py)
			c := from8(img.Pix[i], img.Pix[i+1], img.Pix[i+2])
			c = mix(c, hex(0xffffff), a*int64(p[2])*one/(255*256))
			img.Pix[i], img.Pix[i+1], img.Pix[i+2] = to8(c.r, 128), to8(c.g, 128), to8(c.b, 128)
		}
	}
}
