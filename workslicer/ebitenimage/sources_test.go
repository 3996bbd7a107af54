package ebitenimage_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framewatch/framewatch/workslicer"
	"github.com/framewatch/framewatch/workslicer/ebitenimage"
)

// sources returns images of the types decoders return, with translucent
// and fully transparent pixels where the type has alpha, and bounds that
// do not start at (0, 0).
func sources(w, h int) map[string]image.Image {
	r := image.Rect(5, 7, 5+w, 7+h)
	pal := color.Palette{}
	for i := range 256 {
		pal = append(pal, color.NRGBA{uint8(i), uint8(255 - i), uint8(i * 7), uint8([]int{0, 128, 255, 37}[i%4])})
	}
	paletted := image.NewPaletted(r, pal)
	nrgba := image.NewNRGBA(r)
	gray := image.NewGray(r)
	ycbcr := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			paletted.SetColorIndex(x, y, uint8(x*3+y))
			nrgba.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), uint8([]int{0, 128, 255}[(x+y)%3])})
			gray.SetGray(x, y, color.Gray{uint8(x + y)})
			ycbcr.Y[ycbcr.YOffset(x, y)] = uint8(x * y)
			ycbcr.Cb[ycbcr.COffset(x, y)] = uint8(x)
			ycbcr.Cr[ycbcr.COffset(x, y)] = uint8(y)
		}
	}
	return map[string]image.Image{"paletted": paletted, "nrgba": nrgba, "gray": gray, "ycbcr": ycbcr}
}

// Load turns what a decoder returns into the same premultiplied pixels
// draw.Draw makes, on a texture of its own and on the shared atlas.
func TestLoadConvertsEverySourceType(t *testing.T) {
	for _, atlas := range []bool{false, true} {
		for name, src := range sources(70, 45) {
			t.Run(fmt.Sprintf("%s/Atlas=%v", name, atlas), func(t *testing.T) {
				s := newScheduler(t)
				u := newUploader(t, s, ebitenimage.Options{BytesPerFrame: 4 << 10, Atlas: atlas})
				h, err := u.Load(context.Background(), name, func(context.Context) (image.Image, error) { return src, nil })
				if err != nil {
					t.Fatal(err)
				}
				defer h.Release()
				frames(t, s, func() []int { return []int{int(h.Progress() * 1000)} }, func() bool { return h.Progress() == 1 })
				img, err := h.Value()
				if err != nil {
					t.Fatal(err)
				}
				if got, want := readPixels(img), premultiplied(src); !bytes.Equal(got, want) {
					t.Fatalf("pixels read back differ from the source at byte %d", firstDiff(got, want))
				}
			})
		}
	}
}

// countingImage counts reads of its pixels.
type countingImage struct {
	*image.NRGBA
	reads atomic.Int64
}

func (c *countingImage) At(x, y int) color.Color {
	c.reads.Add(1)
	return c.NRGBA.At(x, y)
}

func (c *countingImage) RGBA64At(x, y int) color.RGBA64 {
	c.reads.Add(1)
	return c.NRGBA.RGBA64At(x, y)
}

// The decoded image is converted on the worker: by the time its bands
// wait for the game goroutine, every pixel has been read, and writing
// them reads none.
func TestLoadConvertsOnTheWorker(t *testing.T) {
	s := newScheduler(t)
	u := newUploader(t, s, ebitenimage.Options{BytesPerFrame: 8 << 10})
	src := &countingImage{NRGBA: pattern(64, 40)}
	h, err := u.Load(context.Background(), "counted", func(context.Context) (image.Image, error) { return src, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	waitForFinish(t, s)
	converted := src.reads.Load()
	if converted < 64*40 {
		t.Fatalf("%d of %d pixels read before the game goroutine ran", converted, 64*40)
	}
	frames(t, s, func() []int { return []int{int(h.Progress() * 1000)} }, func() bool { return h.Progress() == 1 })
	if n := src.reads.Load(); n != converted {
		t.Fatalf("the game goroutine read %d pixels of the source", n-converted)
	}
	img, err := h.Value()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := readPixels(img), premultiplied(src.NRGBA); !bytes.Equal(got, want) {
		t.Fatalf("pixels read back differ from the source at byte %d", firstDiff(got, want))
	}
}

// waitForFinish waits, without running s, until a load's Fetch has ended
// and its Finish waits for the game goroutine.
func waitForFinish(t *testing.T, s *workslicer.Scheduler) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for st := s.Stats(); st.Fetching > 0 || st.Pending == 0; st = s.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("the decode did not end within 30 s: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
}
