package art

// All arithmetic in this package is integer arithmetic. Floating-point
// results may differ in the last bit between CPU architectures (arm64 fuses
// multiply-adds, math functions have per-architecture assembly), and a single
// flipped bit changes a PNG file, so the generator avoids floats entirely.

// one is the fixed-point unit used for noise values and blend factors:
// a value v stands for v/one.
const one = 1 << 16

// hash mixes a lattice point and a seed into 32 well-distributed bits.
func hash(x, y, seed uint32) uint32 {
	h := x*0x8da6b343 ^ y*0xd8163841 ^ seed*0xcb1ab31f
	h ^= h >> 16
	h *= 0x7feb352d
	h ^= h >> 15
	h *= 0x846ca68b
	h ^= h >> 16
	return h
}

// hashN returns a hash of (x, y, seed) reduced to [0, n).
func hashN(x, y int, seed uint32, n int) int {
	return int(uint64(hash(uint32(x), uint32(y), seed)) * uint64(n) >> 32)
}

// floorDiv returns a/b rounded towards negative infinity, for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// mod returns a modulo b in [0, b), for b > 0.
func mod(a, b int) int {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// fade is the smoothstep curve 3t²-2t³ in fixed point; t is in [0, one].
func fade(t int64) int64 {
	return (t * t >> 16) * (3*one - 2*t) >> 16
}

// clamp limits v to [lo, hi].
func clamp(v, lo, hi int64) int64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// smooth maps v from [lo, hi] onto [0, one] with a smoothstep curve.
func smooth(v, lo, hi int64) int64 {
	if hi == lo {
		if v < lo {
			return 0
		}
		return one
	}
	return fade(clamp((v-lo)*one/(hi-lo), 0, one))
}

// noise is value noise: random values on a lattice of cellX×cellY pixel
// cells, smoothly interpolated. With wrapX (wrapY) > 0 the lattice repeats
// every wrapX (wrapY) cells, so the noise tiles seamlessly.
type noise struct {
	seed         uint32
	cellX, cellY int
	wrapX, wrapY int
}

func (n noise) lattice(ix, iy int) int64 {
	if n.wrapX > 0 {
		ix = mod(ix, n.wrapX)
	}
	if n.wrapY > 0 {
		iy = mod(iy, n.wrapY)
	}
	return int64(hash(uint32(ix), uint32(iy), n.seed) >> 16)
}

// at returns the noise at pixel (x, y), in [0, one).
func (n noise) at(x, y int) int64 {
	ix := floorDiv(x, n.cellX)
	iy := floorDiv(y, n.cellY)
	sx := fade(int64(x-ix*n.cellX) * one / int64(n.cellX))
	sy := fade(int64(y-iy*n.cellY) * one / int64(n.cellY))
	v00 := n.lattice(ix, iy)
	v10 := n.lattice(ix+1, iy)
	v01 := n.lattice(ix, iy+1)
	v11 := n.lattice(ix+1, iy+1)
	a := v00 + (v10-v00)*sx>>16
	b := v01 + (v11-v01)*sx>>16
	return a + (b-a)*sy>>16
}

// fbm is fractal noise: octaves of value noise, each with half the cell
// size and gain/256 of the amplitude of the one before. With ridged set,
// every octave is folded into sharp crests (for mountain ranges).
type fbm struct {
	seed         uint32
	cellX, cellY int // cell size of the first octave
	wrapX, wrapY int // period of the first octave in cells, 0 for none
	octaves      int
	gain         int64 // amplitude ratio between octaves, out of 256
	ridged       bool
}

// at returns the fractal noise at pixel (x, y), in [0, one).
func (f fbm) at(x, y int) int64 {
	var sum, total int64
	amp := int64(256)
	cx, cy, wx, wy := f.cellX, f.cellY, f.wrapX, f.wrapY
	for i := 0; i < f.octaves; i++ {
		if wx > 0 && cx*wx != f.cellX*f.wrapX || wy > 0 && cy*wy != f.cellY*f.wrapY {
			panic("art: fbm octave does not divide the wrap period")
		}
		v := noise{seed: f.seed + uint32(i)*0x9e3779b9, cellX: cx, cellY: cy, wrapX: wx, wrapY: wy}.at(x, y)
		if f.ridged {
			v = one - 1 - abs(2*v-(one-1))
			v = v * v >> 16
		}
		sum += v * amp
		total += amp
		amp = amp * f.gain >> 8
		if cx > 1 {
			cx /= 2
			if wx > 0 {
				wx *= 2
			}
		}
		if cy > 1 {
			cy /= 2
			if wy > 0 {
				wy *= 2
			}
		}
	}
	return sum / total
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// isqrt returns the integer square root of n ≥ 0.
func isqrt(n int64) int64 {
	if n <= 0 {
		return 0
	}
	x := n
	y := (x + 1) / 2
	for y < x {
		x = y
		y = (x + n/x) / 2
	}
	return x
}

// rgb is an opaque colour. Channels are 8-bit levels times 256, so that
// smooth gradients keep their fractions until the final, dithered
// conversion to 8 bits.
type rgb struct{ r, g, b int64 }

// hex builds a colour from 0xRRGGBB.
func hex(v uint32) rgb {
	return rgb{int64(v>>16&0xff) << 8, int64(v>>8&0xff) << 8, int64(v&0xff) << 8}
}

// from8 builds a colour from 8-bit channels.
func from8(r, g, b uint8) rgb { return rgb{int64(r) << 8, int64(g) << 8, int64(b) << 8} }

// to8 converts a channel to 8 bits. d in [0, 256) is the dither threshold:
// a channel a fraction f of the way between two levels rounds up when
// d ≥ 256-f. Use 128 to round to nearest.
func to8(v, d int64) uint8 { return uint8(clamp(v+d, 0, 0xffff) >> 8) }

// bayer is the 4×4 ordered-dither matrix.
var bayer = [4][4]int64{{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}}

// mix blends from a (t = 0) to b (t = one).
func mix(a, b rgb, t int64) rgb {
	t = clamp(t, 0, one)
	return rgb{
		a.r + (b.r-a.r)*t>>16,
		a.g + (b.g-a.g)*t>>16,
		a.b + (b.b-a.b)*t>>16,
	}
}

// pct converts a percentage to the fixed-point unit.
func pct(p int64) int64 { return p * one / 100 }

// gradient samples a piecewise-linear colour ramp; stops are positions in
// [0, one] with their colours, in increasing order.
type stop struct {
	at int64
	c  rgb
}

func gradient(stops []stop, t int64) rgb {
	if t <= stops[0].at {
		return stops[0].c
	}
	for i := 1; i < len(stops); i++ {
		if t <= stops[i].at {
			a, b := stops[i-1], stops[i]
			return mix(a.c, b.c, (t-a.at)*one/(b.at-a.at))
		}
	}
	return stops[len(stops)-1].c
}

// shift changes the brightness of c by d/256 of the way to white (d > 0) or
// to a cool dark tone (d < 0), so shadows are bluish rather than grey.
func (c rgb) shift(d int64) rgb {
	if d >= 0 {
		return mix(c, hex(0xfff8e8), d*256)
	}
	return mix(c, hex(0x1a1030), -d*256)
}
