package assets

import (
	"bytes"
	"embed"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"slices"
	"strings"
	"sync"
)

//go:embed images
var embedded embed.FS

// FS holds every image. Paths are relative to the images directory and use
// forward slashes, such as "tiles/terrain.png"; [Names] lists them.
var FS fs.FS = func() fs.FS {
	sub, err := fs.Sub(embedded, "images")
	if err != nil {
		panic(err) // unreachable: "images" is a valid path
	}
	return sub
}()

// Asset describes one image in [FS].
type Asset struct {
	Name    string // path in FS, such as "backgrounds/night.png"
	Bytes   int64  // size of the PNG file
	Width   int    // in pixels
	Height  int    // in pixels
	Decoded int64  // memory the decoded pixels take at 4 bytes a pixel (RGBA)
}

var info = sync.OnceValue(func() []Asset {
	var as []Asset
	// WalkDir visits entries in lexical order, so the list is sorted.
	err := fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".png") {
			return err
		}
		f, err := FS.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		cfg, err := png.DecodeConfig(f)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		as = append(as, Asset{
			Name:    name,
			Bytes:   st.Size(),
			Width:   cfg.Width,
			Height:  cfg.Height,
			Decoded: int64(cfg.Width) * int64(cfg.Height) * 4,
		})
		return nil
	})
	if err != nil {
		// Only a corrupt build could get here; the package tests decode
		// every embedded file.
		panic("assets: embedded images are damaged: " + err.Error())
	}
	return as
})

// Info describes every image in [FS], sorted by name. It reads only the PNG
// headers, so it is cheap; use the sizes to weight a progress bar.
func Info() []Asset {
	return slices.Clone(info())
}

// Names returns the path of every image in [FS], sorted.
func Names() []string {
	as := info()
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
	}
	return names
}

// Load reads the PNG file name from fsys and decodes it. fsys is usually
// [FS], or os.DirFS("assets/images") to read the same files from disk.
// Errors name the file. Load may be called from several goroutines at once.
func Load(fsys fs.FS, name string) (image.Image, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("assets: load %s: %w", name, err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("assets: decode %s: %w", name, err)
	}
	return img, nil
}
