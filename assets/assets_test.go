package assets_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/framewatch/framewatch/assets"
	"github.com/framewatch/framewatch/assets/internal/art"
)

const mib = 1 << 20

// Size budget: big enough that loading everything in one frame stalls a
// game, small enough to keep the repository light.
const (
	minPNG, maxPNG         = 2 * mib, 6 * mib
	minDecoded, maxDecoded = 15 * mib, 20 * mib
)

func TestNamesMatchGenerator(t *testing.T) {
	var want []string
	for _, im := range art.Images() {
		want = append(want, im.Name)
	}
	slices.Sort(want)
	if got := assets.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q\nthe generator draws %q; run go generate ./assets", got, want)
	}
}

// TestLoad decodes every image from the embedded FS and from disk, checks
// both against Info and against each other.
func TestLoad(t *testing.T) {
	disk := os.DirFS("images")
	for _, a := range assets.Info() {
		t.Run(a.Name, func(t *testing.T) {
			t.Parallel()
			emb, err := assets.Load(assets.FS, a.Name)
			if err != nil {
				t.Fatal(err)
			}
			if b := emb.Bounds(); b != image.Rect(0, 0, a.Width, a.Height) {
				t.Errorf("decoded bounds %v, Info says %dx%d", b, a.Width, a.Height)
			}
			if a.Decoded != int64(a.Width)*int64(a.Height)*4 {
				t.Errorf("Decoded = %d, want %d", a.Decoded, a.Width*a.Height*4)
			}
			data, err := fs.ReadFile(assets.FS, a.Name)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != a.Bytes {
				t.Errorf("Bytes = %d, file has %d", a.Bytes, len(data))
			}
			fromDisk, err := assets.Load(disk, a.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !samePixels(emb, fromDisk) {
				t.Error("embedded and on-disk copies decode to different pixels")
			}
		})
	}
}

func TestTotals(t *testing.T) {
	var png, decoded int64
	for _, a := range assets.Info() {
		png += a.Bytes
		decoded += a.Decoded
	}
	t.Logf("%d images: %.2f MiB of PNG, %.2f MiB decoded", len(assets.Info()), float64(png)/mib, float64(decoded)/mib)
	if png < minPNG || png > maxPNG {
		t.Errorf("PNG total %.2f MiB, want %d–%d MiB", float64(png)/mib, minPNG/mib, maxPNG/mib)
	}
	if decoded < minDecoded || decoded > maxDecoded {
		t.Errorf("decoded total %.2f MiB, want %d–%d MiB", float64(decoded)/mib, minDecoded/mib, maxDecoded/mib)
	}
}

func TestLoadErrorNamesFile(t *testing.T) {
	_, err := assets.Load(assets.FS, "backgrounds/missing.png")
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "backgrounds/missing.png") {
		t.Errorf("Load(missing) error = %v; want fs.ErrNotExist naming the file", err)
	}
	bad := fstest.MapFS{"broken.png": {Data: []byte("not a png")}}
	_, err = assets.Load(bad, "broken.png")
	if err == nil || !strings.Contains(err.Error(), "broken.png") {
		t.Errorf("Load(broken) error = %v; want a decode error naming the file", err)
	}
}

func TestInfoIsACopy(t *testing.T) {
	a := assets.Info()
	a[0].Name = "changed"
	if assets.Info()[0].Name == "changed" {
		t.Error("Info returned its internal slice")
	}
}

// TestGeneratorReproducesFiles runs the generator into a temporary
// directory and compares its output with the committed files. The
// generator runs as a separate, uninstrumented program: PNG compression at
// the best level is far too slow under the race detector.
func TestGeneratorReproducesFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the image generator (several seconds)")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found:", err)
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(gobin, "run", "./internal/gen", "-o", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, out)
	}
	var made []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			made = append(made, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if names := assets.Names(); !slices.Equal(made, names) {
		t.Fatalf("generator wrote %q, committed files are %q; run go generate ./assets", made, names)
	}
	for _, name := range made {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := fs.ReadFile(assets.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(got, want) {
			continue
		}
		a, errA := png.Decode(bytes.NewReader(got))
		b, errB := png.Decode(bytes.NewReader(want))
		if errA != nil || errB != nil || !samePixels(a, b) {
			t.Errorf("%s: the committed image differs from what the generator draws; run go generate ./assets", name)
			continue
		}
		// Same pixels, different bytes: this Go release compresses
		// differently from the one that wrote the committed file (Go does
		// not promise stable compressor output). The art is unchanged.
		t.Logf("%s: same pixels, different PNG bytes (%d vs %d); the compressor of this Go release differs", name, len(got), len(want))
	}
}

// samePixels reports whether two decoded images are identical: same type,
// bounds and pixel bytes.
func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	switch a := a.(type) {
	case *image.RGBA:
		b, ok := b.(*image.RGBA)
		return ok && bytes.Equal(a.Pix, b.Pix)
	case *image.NRGBA:
		b, ok := b.(*image.NRGBA)
		return ok && bytes.Equal(a.Pix, b.Pix)
	}
	return false // the generator writes only 8-bit RGB and RGBA PNGs
}
