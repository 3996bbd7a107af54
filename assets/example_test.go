package assets_test

import (
	"fmt"
	"log"

	"github.com/framewatch/framewatch/assets"
)

// Info lists the images with their sizes, read from the PNG headers only;
// Load decodes one.
func Example() {
	var png, decoded int64
	for _, a := range assets.Info() {
		png += a.Bytes
		decoded += a.Decoded
	}
	fmt.Printf("%d images, %.1f MB as PNG, %.1f MB decoded\n", len(assets.Names()), float64(png)/1e6, float64(decoded)/1e6)

	img, err := assets.Load(assets.FS, "tiles/terrain.png")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tiles/terrain.png:", img.Bounds().Size())
	// Output:
	// 8 images, 2.3 MB as PNG, 19.5 MB decoded
	// tiles/terrain.png: (512,512)
}
