// Package ebitenimage uploads decoded images into *ebiten.Image in row bands,
// a few at a time, so a large upload never lands on one frame.
//
// Creating an image off the game goroutine does not take the upload out of
// the frame: Ebitengine sends pixels to the GPU when it flushes its command
// queue, on the game loop. Measured on Mesa llvmpipe, eight
// NewImageFromImage calls of 2048×2048 made frames of 1.4 to 1.8 s. An
// Uploader instead converts each decoded image to premultiplied RGBA on a
// worker goroutine, then writes it in bands with WritePixels on a
// SubImage, as workslicer tasks, so the game goroutine only creates images
// and writes bands. The bytes written per frame are a workslicer.Resource
// with a limit of their own, besides the scheduler's time budget, because
// WritePixels only queues the copy; the GPU work happens later in the
// frame, outside the time the scheduler measures. Load gives each image a
// texture of its own unless Options.Atlas is set, so that loading never
// makes Ebitengine grow and copy a shared atlas within one frame.
//
// Decode in the background and upload within the cap:
//
//	up, err := ebitenimage.New(s, ebitenimage.Options{}) // 4 MiB per frame
//	...
//	h, err := up.Load(ctx, "hero.png", func(ctx context.Context) (image.Image, error) {
//		f, err := assets.Open("hero.png")
//		if err != nil {
//			return nil, err
//		}
//		defer f.Close()
//		img, _, err := image.Decode(f)
//		return img, err
//	})
//	...
//	// in Draw, once h.Progress() == 1:
//	if img, err := h.Value(); err == nil {
//		screen.DrawImage(img, nil)
//	}
//
// The game calls s.Run after Update and s.EndFrame at Draw (or lets the
// ebitenwatch adapter do it), as package workslicer describes.
package ebitenimage
