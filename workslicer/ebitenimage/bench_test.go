package ebitenimage_test

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"testing"
	"time"

	"github.com/framewatch/framewatch/workslicer"
	"github.com/framewatch/framewatch/workslicer/ebitenimage"
	"github.com/hajimehoshi/ebiten/v2"
)

// BenchmarkUpload measures what the game goroutine spends per MiB written
// into an *ebiten.Image from a decoded 1024×1024 image, in 256 KiB bands
// within 4 MiB per frame, both ways in every iteration:
//
//   - before: as ebitenimage did before it converted on the worker, each
//     band is converted to premultiplied RGBA with draw.Draw on the game
//     goroutine, then written;
//   - after: Upload of the image that ToRGBA converted beforehand, as Load
//     does on its worker.
//
// Only Scheduler.Run is timed (game-ms/MiB); Ebitengine's copy of the
// written pixels to the GPU, the same both ways, is forced between the
// timed parts by reading one pixel back. worker-ms/MiB is the conversion
// that after moves to the worker.
func BenchmarkUpload(b *testing.B) {
	const w, h = 1024, 1024
	for _, src := range []struct {
		name string
		img  image.Image
	}{{"nrgba", pattern(w, h)}, {"paletted", palettedPattern(w, h)}} {
		b.Run("src="+src.name, func(b *testing.B) {
			s, err := workslicer.New(workslicer.Options{Budget: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			u, err := ebitenimage.New(s, ebitenimage.Options{})
			if err != nil {
				b.Fatal(err)
			}
			before, err := s.NewResource("before", ebitenimage.DefaultBytesPerFrame)
			if err != nil {
				b.Fatal(err)
			}
			dst := ebiten.NewImageWithOptions(image.Rect(0, 0, w, h), &ebiten.NewImageOptions{Unmanaged: true})
			defer dst.Deallocate()
			var old, now, worker time.Duration
			for b.Loop() {
				old += runFrames(b, s, dst, drawBands(s, before, dst, src.img))
				t0 := time.Now()
				rgba := ebitenimage.ToRGBA(src.img)
				worker += time.Since(t0)
				hd, err := u.Upload(context.Background(), "after", dst, rgba)
				if err != nil {
					b.Fatal(err)
				}
				now += runFrames(b, s, dst, hd)
			}
			mib := float64(b.N) * 4 * w * h / (1 << 20)
			perMiB := func(d time.Duration) float64 { return float64(d) / 1e6 / mib }
			b.ReportMetric(perMiB(old), "before-game-ms/MiB")
			b.ReportMetric(perMiB(now), "after-game-ms/MiB")
			b.ReportMetric(float64(now)/float64(old), "after/before")
			b.ReportMetric(perMiB(worker), "worker-ms/MiB")
		})
	}
}

// drawBands starts the upload as ebitenimage wrote it before: a draw.Draw
// of each 256 KiB band into a premultiplied buffer, then WritePixels.
func drawBands(s *workslicer.Scheduler, r *workslicer.Resource, dst *ebiten.Image, src image.Image) *workslicer.Handle[struct{}] {
	sb := src.Bounds()
	rows := ebitenimage.DefaultBandBytes / (4 * sb.Dx())
	y := 0
	buf := make([]byte, rows*4*sb.Dx())
	h, err := s.Go(context.Background(), workslicer.Task{
		Name: "before",
		Uses: r,
		Cost: func() int64 { return int64(min(rows, sb.Dy()-y) * 4 * sb.Dx()) },
		Body: func(ctx context.Context, yield func(float64) bool) error {
			for y < sb.Dy() {
				n := min(rows, sb.Dy()-y)
				band := &image.RGBA{Pix: buf[:n*4*sb.Dx()], Stride: 4 * sb.Dx(), Rect: image.Rect(0, 0, sb.Dx(), n)}
				draw.Draw(band, band.Rect, src, image.Pt(sb.Min.X, sb.Min.Y+y), draw.Src)
				dst.SubImage(image.Rect(0, y, sb.Dx(), y+n)).(*ebiten.Image).WritePixels(band.Pix)
				if y += n; y < sb.Dy() && !yield(float64(y)/float64(sb.Dy())) {
					return context.Cause(ctx)
				}
			}
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	return h
}

// runFrames runs frames until h is done and returns the time spent in
// Run, then makes Ebitengine send the written pixels to the GPU.
func runFrames(b *testing.B, s *workslicer.Scheduler, dst *ebiten.Image, h *workslicer.Handle[struct{}]) time.Duration {
	var d time.Duration
	for h.Progress() < 1 {
		t0 := time.Now()
		s.Run()
		d += time.Since(t0)
		s.EndFrame()
	}
	if err := h.Err(); err != nil {
		b.Fatal(err)
	}
	dst.SubImage(image.Rect(0, 0, 1, 1)).(*ebiten.Image).ReadPixels(make([]byte, 4))
	return d
}

// palettedPattern is a paletted image with translucent palette entries.
func palettedPattern(w, h int) *image.Paletted {
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.NRGBA{uint8(i), uint8(255 - i), uint8(i * 7), uint8([]int{0, 128, 255, 37}[i%4])}
	}
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for i := range img.Pix {
		img.Pix[i] = uint8(i*7 + i/w)
	}
	return img
}

// BenchmarkNewTexture measures the frame that first writes into a new
// texture against the same write into a texture that exists: one 512 KiB
// band of a 1536×720 image (the size of the demo's backgrounds), sent to
// the GPU by reading one pixel back. A texture's memory is allocated when
// it is first used, in the frame's flush, so no slicing of the writes can
// spread this cost; under a software renderer (Mesa's llvmpipe) it is
// process memory that the driver clears, a page fault for each page.
func BenchmarkNewTexture(b *testing.B) {
	const w, h, rows = 1536, 720, (512 << 10) / (4 * 1536)
	band := make([]byte, 4*w*rows)
	opts := &ebiten.NewImageOptions{Unmanaged: true}
	existing := ebiten.NewImageWithOptions(image.Rect(0, 0, w, h), opts)
	defer existing.Deallocate()
	writeAndFlush(existing, band, rows)
	var old, fresh time.Duration
	for b.Loop() {
		old += writeAndFlush(existing, band, rows)
		img := ebiten.NewImageWithOptions(image.Rect(0, 0, w, h), opts)
		fresh += writeAndFlush(img, band, rows)
		img.Deallocate()
	}
	perOp := func(d time.Duration) float64 { return float64(d) / 1e6 / float64(b.N) }
	b.ReportMetric(perOp(old), "existing-ms")
	b.ReportMetric(perOp(fresh), "new-ms")
}

// writeAndFlush writes band into the top rows of dst, makes Ebitengine
// send it to the GPU, and returns how long that took.
func writeAndFlush(dst *ebiten.Image, band []byte, rows int) time.Duration {
	t0 := time.Now()
	dst.SubImage(image.Rect(0, 0, dst.Bounds().Dx(), rows)).(*ebiten.Image).WritePixels(band)
	dst.SubImage(image.Rect(0, 0, 1, 1)).(*ebiten.Image).ReadPixels(make([]byte, 4))
	return time.Since(t0)
}
