package ebitenimage

import (
	"context"
	"fmt"
	"image"
	"image/draw"

	"github.com/framewatch/framewatch/workslicer"
	"github.com/hajimehoshi/ebiten/v2"
)

// Options configure an Uploader. The zero value is the documented default
// for every field.
type Options struct {
	// BytesPerFrame caps the pixel bytes the Uploader writes per frame,
	// across all its uploads, like Bevy's per-frame upload cap. Default
	// 4 MiB, one 1024×1024 image. A row longer than the cap still goes,
	// alone in its frame.
	BytesPerFrame int
	// BandBytes caps the bytes one chunk converts and writes, so that the
	// scheduler can fit chunks into its time budget. Default 256 KiB.
	BandBytes int
	// Priority of the Uploader's work. Default workslicer.Normal.
	Priority workslicer.Priority
	// Kind of the Uploader's chunks, for the scheduler's cost prediction.
	// Default "ebitenimage".
	Kind string
	// Atlas puts the images Load creates on Ebitengine's shared texture
	// atlases, where draws from many small images batch together. By
	// default each gets a texture of its own (NewImageOptions.Unmanaged):
	// an image that does not fit a full atlas makes Ebitengine grow it,
	// copying the whole atlas within one frame. On llvmpipe that made
	// frames of 90 to 135 ms while 1536×720 backgrounds loaded onto an
	// atlas growing to 8192×1024; on their own textures, none over 60 ms.
	Atlas bool
}

// Defaults.
const (
	DefaultBytesPerFrame = 4 << 20
	DefaultBandBytes     = 256 << 10
	DefaultKind          = "ebitenimage"
)

func (o Options) resolve() (Options, error) {
	if o.BytesPerFrame < 0 {
		return o, fmt.Errorf("%w: ebitenimage: Options.BytesPerFrame is %d; it must not be negative", workslicer.ErrInvalid, o.BytesPerFrame)
	}
	if o.BandBytes < 0 {
		return o, fmt.Errorf("%w: ebitenimage: Options.BandBytes is %d; it must not be negative", workslicer.ErrInvalid, o.BandBytes)
	}
	if o.Priority < workslicer.Background || o.Priority > workslicer.Urgent {
		return o, fmt.Errorf("%w: ebitenimage: Options.Priority is %v", workslicer.ErrInvalid, o.Priority)
	}
	if o.BytesPerFrame == 0 {
		o.BytesPerFrame = DefaultBytesPerFrame
	}
	if o.BandBytes == 0 {
		o.BandBytes = DefaultBandBytes
	}
	if o.Kind == "" {
		o.Kind = DefaultKind
	}
	return o, nil
}

// Uploader writes images into *ebiten.Image in row bands on a
// workslicer.Scheduler, within a byte limit per frame.
//
// Threading: New, Upload and Load are safe from any goroutine. The bands
// are written inside Scheduler.Run, on the game goroutine.
type Uploader struct {
	s    *workslicer.Scheduler
	opts Options

	// Game goroutine only.
	frame uint64 // the Scheduler frame used counts bytes for
	used  int
	buf   []byte // converted band, reused: WritePixels copies it
}

// New returns an Uploader that runs its work on s.
func New(s *workslicer.Scheduler, opts Options) (*Uploader, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: ebitenimage.New: Scheduler is nil", workslicer.ErrInvalid)
	}
	opts, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	return &Uploader{s: s, opts: opts}, nil
}

// Upload writes src into dst, src's top-left corner at dst's, over as
// many frames as the byte limit needs. dst must be at least as large as
// src, and neither may change until the handle is done. name identifies
// the work in the scheduler's reports.
func (u *Uploader) Upload(ctx context.Context, name string, dst *ebiten.Image, src image.Image) (*workslicer.Handle[struct{}], error) {
	if err := checkImages(dst, src); err != nil {
		return nil, fmt.Errorf("%w: ebitenimage: upload %q: %v", workslicer.ErrInvalid, name, err)
	}
	return u.s.Go(ctx, workslicer.Task{
		Name:     name,
		Kind:     u.opts.Kind,
		Priority: u.opts.Priority,
		Ready:    u.ready,
		Body: func(ctx context.Context, yield func(float64) bool) error {
			return u.write(ctx, dst, src, yield)
		},
	})
}

func checkImages(dst *ebiten.Image, src image.Image) error {
	if dst == nil {
		return fmt.Errorf("dst is nil")
	}
	if src == nil {
		return fmt.Errorf("src is nil")
	}
	if d, s := dst.Bounds().Size(), src.Bounds().Size(); d.X < s.X || d.Y < s.Y {
		return fmt.Errorf("dst is %v, smaller than src (%v)", d, s)
	}
	return nil
}

// Load decodes an image on a worker goroutine with decode, then creates an
// *ebiten.Image and uploads it in bands on the game goroutine. Loads of
// one key share one load (see workslicer.Load).
func (u *Uploader) Load(ctx context.Context, key string, decode func(context.Context) (image.Image, error)) (*workslicer.Handle[*ebiten.Image], error) {
	return workslicer.Load(ctx, u.s, workslicer.Loader[image.Image, *ebiten.Image]{
		Key:      key,
		Kind:     u.opts.Kind,
		Priority: u.opts.Priority,
		Fetch:    decode,
		Ready:    u.ready,
		Finish: func(ctx context.Context, src image.Image, yield func(float64) bool) (*ebiten.Image, error) {
			if src == nil || src.Bounds().Empty() {
				return nil, fmt.Errorf("ebitenimage: load %q: decoded an empty image", key)
			}
			size := src.Bounds().Size()
			dst := ebiten.NewImageWithOptions(image.Rect(0, 0, size.X, size.Y), &ebiten.NewImageOptions{Unmanaged: !u.opts.Atlas})
			if err := u.write(ctx, dst, src, yield); err != nil {
				dst.Deallocate()
				return nil, err
			}
			return dst, nil
		},
	})
}

// ready reports whether this frame's bytes are not all spent.
func (u *Uploader) ready() bool { return u.left() > 0 }

// left returns the bytes this frame still allows.
func (u *Uploader) left() int {
	if f := u.s.Frame(); f != u.frame {
		u.frame, u.used = f, 0
	}
	return u.opts.BytesPerFrame - u.used
}

// write uploads src into dst one band per chunk.
func (u *Uploader) write(ctx context.Context, dst *ebiten.Image, src image.Image, yield func(float64) bool) error {
	height := src.Bounds().Dy()
	rowBytes := 4 * src.Bounds().Dx()
	for y := 0; y < height; {
		rows := min(u.left(), u.opts.BandBytes) / rowBytes
		if rows == 0 && u.used > 0 {
			u.used = u.opts.BytesPerFrame // the next row waits for a new frame
			if !yield(float64(y) / float64(height)) {
				return context.Cause(ctx)
			}
			continue
		}
		rows = min(max(rows, 1), height-y)
		u.writeBand(dst, src, y, rows)
		u.used += rows * rowBytes
		if y += rows; y < height && !yield(float64(y)/float64(height)) {
			return context.Cause(ctx)
		}
	}
	return nil
}

// writeBand writes rows [y, y+rows) of src, counted from its top.
func (u *Uploader) writeBand(dst *ebiten.Image, src image.Image, y, rows int) {
	sb, db := src.Bounds(), dst.Bounds()
	w := sb.Dx()
	var pix []byte
	if rgba, ok := src.(*image.RGBA); ok && rgba.Stride == 4*w {
		// Already premultiplied RGBA with contiguous rows: no conversion.
		off := rgba.PixOffset(sb.Min.X, sb.Min.Y+y)
		pix = rgba.Pix[off : off+rows*4*w]
	} else {
		n := rows * 4 * w
		if cap(u.buf) < n {
			u.buf = make([]byte, n)
		}
		band := &image.RGBA{Pix: u.buf[:n], Stride: 4 * w, Rect: image.Rect(0, 0, w, rows)}
		draw.Draw(band, band.Rect, src, image.Pt(sb.Min.X, sb.Min.Y+y), draw.Src)
		pix = band.Pix
	}
	r := image.Rect(db.Min.X, db.Min.Y+y, db.Min.X+w, db.Min.Y+y+rows)
	dst.SubImage(r).(*ebiten.Image).WritePixels(pix)
}
