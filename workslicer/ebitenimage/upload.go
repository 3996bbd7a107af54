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
	// BandBytes caps the bytes one chunk writes, so that the scheduler can
	// fit chunks into its time budget. Default 256 KiB.
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

// Uploader writes premultiplied RGBA pixels into *ebiten.Image in row
// bands, as workslicer tasks, within a byte limit per frame that is a
// workslicer.Resource of its Scheduler.
//
// Threading: New, Upload and Load are safe from any goroutine. Load's
// decode and its conversion to RGBA run on a worker goroutine; the game
// goroutine, inside Scheduler.Run, only creates images and writes bands.
type Uploader struct {
	s     *workslicer.Scheduler
	opts  Options
	bytes *workslicer.Resource
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
	bytes, err := s.NewResource("ebitenimage bytes", int64(opts.BytesPerFrame))
	if err != nil {
		return nil, err
	}
	return &Uploader{s: s, opts: opts, bytes: bytes}, nil
}

// ToRGBA returns img as premultiplied RGBA, the form Upload takes and an
// *ebiten.Image holds: img itself if it is an *image.RGBA, else a copy
// with the same bounds converted by draw.Draw. Converting is a pass over
// every pixel, so call it off the game goroutine, as Load does. Safe from
// any goroutine.
func ToRGBA(img image.Image) *image.RGBA {
	if rgba, ok := img.(*image.RGBA); ok {
		return rgba
	}
	b := img.Bounds()
	dst := image.NewRGBA(b)
	draw.Draw(dst, b, img, b.Min, draw.Src)
	return dst
}

// Upload writes src into dst, src's top-left corner at dst's, over as
// many frames as the byte limit needs. src is premultiplied RGBA (see
// ToRGBA); a sub-image of a larger one is written a row at a time. dst
// must be at least as large as src, and neither may change until the
// handle is done. name identifies the work in the scheduler's reports.
func (u *Uploader) Upload(ctx context.Context, name string, dst *ebiten.Image, src *image.RGBA) (*workslicer.Handle[struct{}], error) {
	if err := checkImages(dst, src); err != nil {
		return nil, fmt.Errorf("%w: ebitenimage: upload %q: %v", workslicer.ErrInvalid, name, err)
	}
	b := u.bands(src)
	return u.s.Go(ctx, workslicer.Task{
		Name:     name,
		Kind:     u.opts.Kind,
		Priority: u.opts.Priority,
		Uses:     u.bytes,
		Cost:     b.cost,
		Body: func(ctx context.Context, yield func(float64) bool) error {
			return b.write(ctx, dst, yield)
		},
	})
}

func checkImages(dst *ebiten.Image, src *image.RGBA) error {
	if dst == nil {
		return fmt.Errorf("dst is nil")
	}
	if src == nil {
		return fmt.Errorf("src is nil")
	}
	if src.Rect.Empty() {
		return fmt.Errorf("src is empty (%v)", src.Rect)
	}
	if d, s := dst.Bounds().Size(), src.Rect.Size(); d.X < s.X || d.Y < s.Y {
		return fmt.Errorf("dst is %v, smaller than src (%v)", d, s)
	}
	return nil
}

// Load decodes an image with decode and converts it to premultiplied RGBA
// on a worker goroutine, then creates an *ebiten.Image and writes it in
// bands on the game goroutine. Loads of one key share one load (see
// workslicer.Load).
func (u *Uploader) Load(ctx context.Context, key string, decode func(context.Context) (image.Image, error)) (*workslicer.Handle[*ebiten.Image], error) {
	if decode == nil {
		return nil, fmt.Errorf("%w: ebitenimage: load %q: decode is nil", workslicer.ErrInvalid, key)
	}
	return workslicer.Load(ctx, u.s, workslicer.Loader[*bands, *ebiten.Image]{
		Key:      key,
		Kind:     u.opts.Kind,
		Priority: u.opts.Priority,
		Fetch: func(ctx context.Context) (*bands, error) {
			img, err := decode(ctx)
			if err != nil {
				return nil, err
			}
			if img == nil || img.Bounds().Empty() {
				return nil, fmt.Errorf("ebitenimage: load %q: decoded an empty image", key)
			}
			return u.bands(ToRGBA(img)), nil
		},
		Uses: u.bytes,
		Cost: (*bands).cost,
		Finish: func(ctx context.Context, b *bands, yield func(float64) bool) (*ebiten.Image, error) {
			size := b.src.Rect.Size()
			dst := ebiten.NewImageWithOptions(image.Rect(0, 0, size.X, size.Y), &ebiten.NewImageOptions{Unmanaged: !u.opts.Atlas})
			if err := b.write(ctx, dst, yield); err != nil {
				dst.Deallocate()
				return nil, err
			}
			return dst, nil
		},
	})
}

// bands is an upload of src, one band of rows per chunk.
type bands struct {
	src  *image.RGBA
	rows int // per band
	y    int // rows written; game goroutine only once the work is queued
}

func (u *Uploader) bands(src *image.RGBA) *bands {
	rowBytes := 4 * src.Rect.Dx()
	return &bands{src: src, rows: max(1, min(u.opts.BandBytes, u.opts.BytesPerFrame)/rowBytes)}
}

// cost is the bytes of the next band, for the scheduler's Resource.
func (b *bands) cost() int64 {
	return int64(min(b.rows, b.src.Rect.Dy()-b.y) * 4 * b.src.Rect.Dx())
}

// write writes the bands left into dst, yielding between them.
func (b *bands) write(ctx context.Context, dst *ebiten.Image, yield func(float64) bool) error {
	height := b.src.Rect.Dy()
	for {
		n := min(b.rows, height-b.y)
		writeBand(dst, b.src, b.y, n)
		if b.y += n; b.y == height {
			return nil
		}
		if !yield(float64(b.y) / float64(height)) {
			return context.Cause(ctx)
		}
	}
}

// writeBand writes rows [y, y+n) of src, counted from its top, into the
// same rows of dst.
func writeBand(dst *ebiten.Image, src *image.RGBA, y, n int) {
	sb, db := src.Rect, dst.Bounds()
	w := sb.Dx()
	off := src.PixOffset(sb.Min.X, sb.Min.Y+y)
	if src.Stride == 4*w { // contiguous rows: one write
		r := image.Rect(db.Min.X, db.Min.Y+y, db.Min.X+w, db.Min.Y+y+n)
		dst.SubImage(r).(*ebiten.Image).WritePixels(src.Pix[off : off+4*w*n])
		return
	}
	for i := range n { // a sub-image: one write per row
		r := image.Rect(db.Min.X, db.Min.Y+y+i, db.Min.X+w, db.Min.Y+y+i+1)
		row := off + i*src.Stride
		dst.SubImage(r).(*ebiten.Image).WritePixels(src.Pix[row : row+4*w])
	}
}
