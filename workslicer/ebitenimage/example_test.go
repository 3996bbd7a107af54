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

// A loading screen for every image in package assets: PNGs decode on
// worker goroutines, and their pixels go to the GPU a few bands per frame,
// so the game keeps drawing while it loads. The loop stands in for
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

	var bar workslicer.Group
	images := map[string]*workslicer.Handle[*ebiten.Image]{}
	for _, a := range assets.Info() {
		h, err := up.Load(context.Background(), a.Name, func(context.Context) (image.Image, error) {
			return assets.Load(assets.FS, a.Name)
		})
		if err != nil {
			log.Fatal(err)
		}
		defer h.Release()
		bar.Add(h, float64(a.Decoded)) // weigh by the pixels to upload
		images[a.Name] = h
	}

	frames := 0
	for bar.Progress() < 1 {
		s.Run()      // after Update; a loading bar would show bar.Progress()
		s.EndFrame() // at Draw
		frames++
		time.Sleep(time.Second / 60) // the rest of the frame
	}
	img, err := images["backgrounds/night.png"].Value()
	fmt.Println(img.Bounds().Size(), err)
	fmt.Println("more than one frame:", frames > 1)
	// Output:
	// (1536,720) <nil>
	// more than one frame: true
}
