// Package art draws the demo game's images: terrain tiles, sprite sheets
// and landscape backgrounds. Everything is procedural and deterministic:
// drawing uses integer arithmetic only and randomness comes from
// math/rand/v2 PCG generators with fixed seeds, so the same code produces
// the same pixels on every machine.
package art

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
)

// An Image is one generated file.
type Image struct {
	Name string // slash-separated path below the images directory
	draw func(r *rand.Rand) image.Image
	seed uint64
}

// Images lists every generated image, in a fixed order.
func Images() []Image {
	return []Image{
		{Name: "tiles/terrain.png", draw: terrain, seed: 1},
		{Name: "sprites/characters.png", draw: characters, seed: 2},
		{Name: "sprites/items.png", draw: items, seed: 3},
		{Name: "sprites/nature.png", draw: nature, seed: 4},
		{Name: "backgrounds/meadow.png", draw: background(meadow), seed: 5},
		{Name: "backgrounds/sunset.png", draw: background(sunset), seed: 6},
		{Name: "backgrounds/night.png", draw: background(night), seed: 7},
		{Name: "backgrounds/winter.png", draw: background(winter), seed: 8},
	}
}

// intn returns a random int in [0, n). Unlike rand.Rand.IntN, which takes
// a different path on 32-bit platforms, it gives the same sequence
// everywhere.
func intn(r *rand.Rand, n int) int {
	return int((r.Uint64() >> 32) * uint64(n) >> 32)
}

// Draw renders the image. Every call returns the same pixels.
func (im Image) Draw() image.Image {
	return im.draw(rand.New(rand.NewPCG(0x6672616d65, im.seed)))
}

// Encode renders the image and encodes it as PNG with the best compression.
func (im Image) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, im.Draw()); err != nil {
		return nil, fmt.Errorf("art: encode %s: %w", im.Name, err)
	}
	return buf.Bytes(), nil
}

// Write renders every image into dir, creating subdirectories as needed.
// Images are drawn concurrently; the output does not depend on scheduling.
func Write(dir string) error {
	ims := Images()
	errs := make([]error, len(ims))
	var wg sync.WaitGroup
	for i, im := range ims {
		wg.Go(func() {
			data, err := im.Encode()
			if err == nil {
				path := filepath.Join(dir, filepath.FromSlash(im.Name))
				if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
					err = os.WriteFile(path, data, 0o644)
				}
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
