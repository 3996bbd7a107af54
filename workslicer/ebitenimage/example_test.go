package ebitenimage_test

import (
	"context"
	"fmt"
	"image"
	"log"
	"time"

	"github.com/framewatch/framewatch/assets"
	"github.com/framewatch/framewatch/workslicer"
	"github.com/framewatch/framewatch/workslicer/ebitenimage"
	"github.com/hajimehoshi/ebiten/v2"
)

// A loading screen for every image in package assets: PNGs decode and
// convert to premultiplied RGBA on worker goroutines; the game goroutine
// only creates each image and writes its rows, at most 4 MiB per frame, so
// the game keeps drawing while it loads. The loop stands in for
// Ebitengine's: the scheduler runs after Update and ends its frame at Draw.
func Example() {
	s, err := workslicer.New(workslicer.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	up, err := ebitenimage.New(s, ebitenimage.Options{})
	if err != nil {
		log.Fatal(err)
	}

	var bar workslicer.Progress
	var handles []*workslicer.Handle[*ebiten.Image]
	for _, a := range assets.Info() {
		h, err := up.Load(context.Background(), a.Name, func(context.Context) (image.Image, error) {
			return assets.Load(assets.FS, a.Name)
		})
		if err != nil {
			log.Fatal(err)
		}
		defer h.Release()
		bar.Add(h, float64(a.Decoded)) // weigh by the pixels to upload
		handles = append(handles, h)
	}

	frames := 0
	for bar.Progress() < 1 {
		s.Run()      // after Update; a loading screen shows bar.Progress()
		s.EndFrame() // at Draw
		frames++
		time.Sleep(time.Second / 60) // the rest of the frame
	}
	bytes := 0
	for _, h := range handles {
		img, err := h.Value() // the bar is at 1: every load has ended
		if err != nil {
			log.Fatal(err)
		}
		bytes += 4 * img.Bounds().Dx() * img.Bounds().Dy()
	}
	fmt.Printf("%d images, %.1f MiB\n", len(handles), float64(bytes)/(1<<20))
	fmt.Println("within 4 MiB per frame:", frames > bytes/ebitenimage.DefaultBytesPerFrame)
	// Output:
	// 8 images, 18.6 MiB
	// within 4 MiB per frame: true
}
