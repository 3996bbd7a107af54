package ebitenimage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/internal/ebitentest"
	"github.com/framewatch/framewatch/workslicer"
	"github.com/framewatch/framewatch/workslicer/ebitenimage"
	"github.com/hajimehoshi/ebiten/v2"
)

// Tests run inside the first Update of a game, on the game goroutine, so
// they can create images and read pixels back.
func TestMain(m *testing.M) {
	ebitentest.Main(m, map[string]func() int{"game-loop": runGameLoop})
}

// pattern returns an NRGBA image with every channel varying, some pixels
// translucent and some fully transparent.
func pattern(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			switch (x + y) % 7 {
			case 0:
				a = 0
			case 1:
				a = 128
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), a})
		}
	}
	return img
}

// premultiplied is what an *ebiten.Image holds after src is written.
func premultiplied(src image.Image) []byte {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, src, b.Min, draw.Src)
	return dst.Pix
}

func newScheduler(t *testing.T) *workslicer.Scheduler {
	t.Helper()
	// A long budget: these tests are about bytes per frame, not time.
	s, err := workslicer.New(workslicer.Options{Budget: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func newUploader(t *testing.T, s *workslicer.Scheduler, opts ebitenimage.Options) *ebitenimage.Uploader {
	t.Helper()
	u, err := ebitenimage.New(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// frames runs frames until every handle has ended and returns, per frame
// that wrote rows, how many rows each wrote; rows are read from progress.
func frames(t *testing.T, s *workslicer.Scheduler, rows func() []int, done func() bool) [][]int {
	t.Helper()
	var per [][]int
	last := rows()
	for range 2000 {
		if done() {
			return per
		}
		s.Run()
		s.EndFrame()
		now := rows()
		delta := make([]int, len(now))
		wrote := false
		for i := range now {
			delta[i] = now[i] - last[i]
			wrote = wrote || delta[i] != 0
		}
		if wrote {
			per = append(per, delta)
		}
		last = now
		time.Sleep(time.Millisecond) // let a decode finish
	}
	t.Fatal("uploads did not finish within 2000 frames")
	return nil
}

// The pixels read back equal the source, and no frame writes more than
// BytesPerFrame, on a texture of its own and on the shared atlas.
func TestLoadWritesEveryPixelWithinTheCap(t *testing.T) {
	for _, atlas := range []bool{false, true} {
		t.Run(fmt.Sprintf("Atlas=%v", atlas), func(t *testing.T) { testLoadWithinTheCap(t, atlas) })
	}
}

func testLoadWithinTheCap(t *testing.T, atlas bool) {
	s := newScheduler(t)
	const w, h, limit = 300, 170, 64 << 10
	u := newUploader(t, s, ebitenimage.Options{BytesPerFrame: limit, BandBytes: 16 << 10, Atlas: atlas})
	src := pattern(w, h)
	handle, err := u.Load(context.Background(), "pattern", func(context.Context) (image.Image, error) { return src, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer handle.Release()
	// Finish covers progress 0.5 to 1.
	rows := func() []int { return []int{int(math.Round(max(handle.Progress()-0.5, 0) * 2 * h))} }
	per := frames(t, s, rows, func() bool { return handle.Progress() == 1 })
	img, err := handle.Value()
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range per {
		if d[0]*4*w > limit {
			t.Errorf("frame %d wrote %d rows, %d bytes; the cap is %d", i, d[0], d[0]*4*w, limit)
		}
	}
	if want := (4*w*h + limit - 1) / limit; len(per) < want {
		t.Errorf("wrote in %d frames; %d bytes at %d per frame need at least %d", len(per), 4*w*h, limit, want)
	}
	if got := readPixels(img); !bytes.Equal(got, premultiplied(src)) {
		t.Fatalf("pixels read back differ from the source at byte %d", firstDiff(got, premultiplied(src)))
	}
}

// Upload writes into an existing, larger image: from premultiplied RGBA
// with contiguous rows (a write per band) and from a sub-image of a larger
// one (a write per row).
func TestUploadIntoALargerImage(t *testing.T) {
	s := newScheduler(t)
	u := newUploader(t, s, ebitenimage.Options{BytesPerFrame: 20 << 10, BandBytes: 4 << 10})
	rgba := ebitenimage.ToRGBA(pattern(64, 50))
	sub := ebitenimage.ToRGBA(pattern(90, 80)).SubImage(image.Rect(10, 20, 70, 75)).(*image.RGBA)
	for _, c := range []struct {
		name string
		src  *image.RGBA
	}{{"rgba", rgba}, {"sub-image", sub}} {
		t.Run(c.name, func(t *testing.T) {
			dst := ebiten.NewImage(100, 100)
			defer dst.Deallocate()
			h, err := u.Upload(context.Background(), c.name, dst, c.src)
			if err != nil {
				t.Fatal(err)
			}
			frames(t, s, func() []int { return []int{int(h.Progress() * 1000)} }, func() bool { return h.Progress() == 1 })
			if err := h.Err(); err != nil {
				t.Fatal(err)
			}
			size := c.src.Bounds().Size()
			full := readPixels(dst)
			want := premultiplied(c.src)
			for y := range 100 {
				row := full[y*400 : (y+1)*400]
				for x := range 100 {
					got := row[4*x : 4*x+4]
					exp := []byte{0, 0, 0, 0}
					if x < size.X && y < size.Y {
						exp = want[4*(y*size.X+x) : 4*(y*size.X+x)+4]
					}
					if !bytes.Equal(got, exp) {
						t.Fatalf("pixel (%d,%d) is %v, want %v", x, y, got, exp)
					}
				}
			}
		})
	}
}

// Uploads running side by side share one Uploader's cap.
func TestUploadsShareTheCap(t *testing.T) {
	s := newScheduler(t)
	const w, h, limit = 100, 120, 16 << 10
	u := newUploader(t, s, ebitenimage.Options{BytesPerFrame: limit, BandBytes: 4 << 10})
	var handles []*workslicer.Handle[struct{}]
	for i := range 3 {
		dst := ebiten.NewImage(w, h)
		defer dst.Deallocate()
		hd, err := u.Upload(context.Background(), fmt.Sprint("image", i), dst, ebitenimage.ToRGBA(pattern(w, h)))
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, hd)
	}
	rows := func() []int {
		r := make([]int, len(handles))
		for i, hd := range handles {
			r[i] = int(math.Round(hd.Progress() * h))
		}
		return r
	}
	done := func() bool { return rows()[0] == h && rows()[1] == h && rows()[2] == h }
	per := frames(t, s, rows, done)
	total := 0
	for i, d := range per {
		sum := 0
		for _, r := range d {
			sum += r * 4 * w
		}
		total += sum
		if sum > limit {
			t.Errorf("frame %d wrote %d bytes across uploads; the cap is %d", i, sum, limit)
		}
	}
	if total != 3*4*w*h {
		t.Fatalf("wrote %d bytes in all, want %d", total, 3*4*w*h)
	}
}

// A decode that fails, or decodes nothing, fails only its own load.
func TestLoadErrors(t *testing.T) {
	s := newScheduler(t)
	u := newUploader(t, s, ebitenimage.Options{})
	broken, err := u.Load(context.Background(), "broken", func(context.Context) (image.Image, error) {
		return nil, errors.New("truncated file")
	})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := u.Load(context.Background(), "empty", func(context.Context) (image.Image, error) {
		return image.NewRGBA(image.Rect(0, 0, 0, 10)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	frames(t, s, func() []int { return nil }, func() bool { return empty.Progress() == 1 && broken.Progress() == 1 })
	if err := broken.Err(); err == nil || err.Error() != "truncated file" {
		t.Errorf("broken: %v", err)
	}
	if err := empty.Err(); err == nil || !strings.Contains(err.Error(), "empty image") {
		t.Errorf("empty: %v", err)
	}
}

func TestBadArguments(t *testing.T) {
	s := newScheduler(t)
	u := newUploader(t, s, ebitenimage.Options{})
	small := ebiten.NewImage(4, 4)
	defer small.Deallocate()
	calls := []struct {
		field string
		err   error
	}{
		{"Scheduler is nil", errOf(ebitenimage.New(nil, ebitenimage.Options{}))},
		{"Options.BytesPerFrame", errOf(ebitenimage.New(s, ebitenimage.Options{BytesPerFrame: -1}))},
		{"Options.BandBytes", errOf(ebitenimage.New(s, ebitenimage.Options{BandBytes: -1}))},
		{"Options.Priority", errOf(ebitenimage.New(s, ebitenimage.Options{Priority: 3}))},
		{"dst is nil", errOf(u.Upload(context.Background(), "x", nil, image.NewRGBA(image.Rect(0, 0, 2, 2))))},
		{"src is nil", errOf(u.Upload(context.Background(), "x", small, nil))},
		{"smaller than src", errOf(u.Upload(context.Background(), "x", small, image.NewRGBA(image.Rect(0, 0, 5, 2))))},
		{"Task.Name", errOf(u.Upload(context.Background(), "", small, image.NewRGBA(image.Rect(0, 0, 2, 2))))},
		{"src is empty", errOf(u.Upload(context.Background(), "x", small, image.NewRGBA(image.Rect(0, 0, 0, 2))))},
		{"decode is nil", errOf(u.Load(context.Background(), "x", nil))},
		{"Loader.Key", errOf(u.Load(context.Background(), "", func(context.Context) (image.Image, error) { return nil, nil }))},
	}
	for _, c := range calls {
		if !errors.Is(c.err, workslicer.ErrInvalid) || !strings.Contains(c.err.Error(), c.field) {
			t.Errorf("%s: got %v; want ErrInvalid naming %s", c.field, c.err, c.field)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

func readPixels(img *ebiten.Image) []byte {
	b := img.Bounds()
	pix := make([]byte, 4*b.Dx()*b.Dy())
	img.ReadPixels(pix)
	return pix
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// loopGame loads an image the way a game would: Run after Update, EndFrame
// at Draw.
type loopGame struct {
	s      *workslicer.Scheduler
	src    image.Image
	h      *workslicer.Handle[*ebiten.Image]
	ticks  int
	frames int // ended
	result string
}

func (g *loopGame) Update() error {
	g.ticks++
	if g.h == nil {
		u, err := ebitenimage.New(g.s, ebitenimage.Options{BytesPerFrame: 64 << 10})
		if err != nil {
			return err
		}
		if g.h, err = u.Load(context.Background(), "pattern", func(context.Context) (image.Image, error) { return g.src, nil }); err != nil {
			return err
		}
	}
	g.s.Run()
	if g.h.Progress() < 1 {
		if g.ticks > 600 {
			g.result = "not loaded after 600 ticks"
			return ebiten.Termination
		}
		return nil
	}
	img, err := g.h.Value()
	switch {
	case err != nil:
		g.result = err.Error()
	case !bytes.Equal(readPixels(img), premultiplied(g.src)):
		g.result = "pixels differ from the source"
	case g.frames+1 < 10: // the frames ended and this one
		g.result = fmt.Sprintf("loaded in %d frames; 600 KB at 64 KiB per frame needs 10", g.frames+1)
	default:
		g.result = "ok"
	}
	return ebiten.Termination
}

func (g *loopGame) Draw(*ebiten.Image) {
	g.s.EndFrame()
	g.frames++
}

func (g *loopGame) Layout(w, h int) (int, int) { return w, h }

func runGameLoop() int {
	s, err := workslicer.New(workslicer.Options{})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer s.Close()
	g := &loopGame{s: s, src: pattern(500, 300)}
	if err := ebiten.RunGame(g); err != nil {
		fmt.Println("RunGame:", err)
		return 1
	}
	fmt.Println(g.result)
	if g.result != "ok" {
		return 1
	}
	return 0
}

// In a real game loop, with Ebitengine flushing between frames, the image
// arrives over many frames and reads back equal to the source.
func TestLoadInARealGameLoop(t *testing.T) {
	cmd := ebitentest.Command(t, "game-loop")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || strings.TrimSpace(out.String()) != "ok" {
			t.Fatalf("child: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Signal(os.Kill)
		t.Fatalf("child did not end within 60 s:\n%s", out.String())
	}
}
