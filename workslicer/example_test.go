package workslicer_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// Load a list of images with a loading bar: PNGs decode on worker
// goroutines, then convert to RGBA in row bands on the game goroutine,
// within each frame's budget. The loop stands in for Ebitengine's: Run
// after Update, EndFrame at Draw.
func Example() {
	files := map[string][]byte{ // stand-ins for files on disk
		"grass.png": encodePNG(32, 32),
		"hero.png":  encodePNG(16, 24),
		"sky.png":   encodePNG(64, 8),
	}
	s, err := workslicer.New(workslicer.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	var bar workslicer.Group
	var handles []*workslicer.Handle[*image.RGBA]
	for _, name := range []string{"grass.png", "hero.png", "sky.png"} {
		data := files[name]
		h, err := workslicer.Load(context.Background(), s, workslicer.Loader[image.Image, *image.RGBA]{
			Key:    name,
			Kind:   "png",
			Fetch:  func(context.Context) (image.Image, error) { return png.Decode(bytes.NewReader(data)) },
			Finish: toRGBA,
		})
		if err != nil {
			panic(err)
		}
		defer h.Release()
		bar.Add(h, float64(len(data))) // weigh by size
		handles = append(handles, h)
	}

	for quarter := 1; quarter <= 4; {
		s.Run()      // after Update
		s.EndFrame() // at Draw
		for ; quarter <= 4 && bar.Progress() >= float64(quarter)/4; quarter++ {
			fmt.Printf("[%-8s] %3d%%\n", strings.Repeat("##", quarter), 25*quarter)
		}
		time.Sleep(time.Millisecond) // the rest of the frame
	}
	for _, h := range handles {
		img, err := h.Value()
		fmt.Println(h.Name(), img.Bounds().Size(), err)
	}
	// Output:
	// [##      ]  25%
	// [####    ]  50%
	// [######  ]  75%
	// [########] 100%
	// grass.png (32,32) <nil>
	// hero.png (16,24) <nil>
	// sky.png (64,8) <nil>
}

// toRGBA converts img eight rows at a time, yielding between bands.
func toRGBA(ctx context.Context, img image.Image, yield func(float64) bool) (*image.RGBA, error) {
	b := img.Bounds()
	dst := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y += 8 {
		band := image.Rect(b.Min.X, y, b.Max.X, min(y+8, b.Max.Y))
		draw.Draw(dst, band, img, band.Min, draw.Src)
		if !yield(float64(band.Max.Y-b.Min.Y) / float64(b.Dy())) {
			return nil, context.Cause(ctx)
		}
	}
	return dst, nil
}

func encodePNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 4), uint8(y * 4), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
