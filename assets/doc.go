// Package assets holds the images the framewatch demo loads: a terrain
// tileset, three sprite sheets and four landscape backgrounds, about 2 MB of
// PNG that decode to about 19 MB of pixels. They are large enough that
// loading them all in one frame visibly stalls a game, which is what the
// demo shows and then fixes by loading them in the background.
//
// The images are embedded with go:embed and served by [FS]:
//
//	img, err := assets.Load(assets.FS, "backgrounds/meadow.png")
//
// The same files are on disk under assets/images, so a file system rooted
// there works as well, for example to measure real disk reads:
//
//	img, err := assets.Load(os.DirFS("assets/images"), "backgrounds/meadow.png")
//
// The images are drawn by a deterministic generator in this repository and
// are dedicated to the public domain (see LICENSE.md). To redraw them:
//
//	go generate ./assets
package assets

//go:generate go run ./internal/gen
