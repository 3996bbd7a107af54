package workslicer_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// Load levels behind a loading bar. Each level file is parsed on a worker
// goroutine; its tiles then go into the world, which only the game
// goroutine may touch, 100 per chunk and at most 500 per frame across all
// levels: a Resource, as GPU uploads are capped in bytes. The loop stands
// in for Ebitengine's: Run after Update, EndFrame at Draw.
func Example() {
	files := []struct{ name, data string }{ // stand-ins for files on disk
		{"cave.lvl", "40x30"},
		{"town.lvl", "64x48"},
		{"sky.lvl", "20x10"},
	}
	s, err := workslicer.New(workslicer.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	tiles, err := s.NewResource("tiles", 500)
	if err != nil {
		panic(err)
	}

	var world []tile // game goroutine only
	var bar workslicer.Progress
	var handles []*workslicer.Handle[int]
	for _, f := range files {
		h, err := workslicer.Load(context.Background(), s, workslicer.Loader[*level, int]{
			Key:   f.name,
			Kind:  "tiles",
			Fetch: func(context.Context) (*level, error) { return parseLevel(f.data) }, // on a worker
			Uses:  tiles,
			Cost:  (*level).nextChunk,
			Finish: func(ctx context.Context, l *level, yield func(float64) bool) (int, error) {
				for { // on the game goroutine, one chunk between yields
					n := int(l.nextChunk())
					world = append(world, l.tiles[l.placed:l.placed+n]...)
					if l.placed += n; l.placed == len(l.tiles) {
						return l.placed, nil
					}
					if !yield(float64(l.placed) / float64(len(l.tiles))) {
						return 0, context.Cause(ctx)
					}
				}
			},
		})
		if err != nil {
			panic(err)
		}
		defer h.Release()
		bar.Add(h, float64(len(f.data))) // weigh by file size
		handles = append(handles, h)
	}

	for quarter := 1; bar.Progress() < 1; {
		s.Run()      // after Update
		s.EndFrame() // at Draw
		for ; quarter <= 4 && bar.Progress() >= float64(quarter)/4; quarter++ {
			fmt.Printf("[%-8s] %3d%%\n", strings.Repeat("##", quarter), 25*quarter)
		}
		time.Sleep(time.Millisecond) // the rest of the frame
	}
	for _, h := range handles {
		n, err := h.Value() // the bar is at 1: every load has ended
		fmt.Println(h.Name(), n, err)
	}
	fmt.Println("world:", len(world), "tiles")
	// Output:
	// [##      ]  25%
	// [####    ]  50%
	// [######  ]  75%
	// [########] 100%
	// cave.lvl 1200 <nil>
	// town.lvl 3072 <nil>
	// sky.lvl 200 <nil>
	// world: 4472 tiles
}

type tile struct{ x, y int }

// level is a parsed level and how many of its tiles are in the world.
type level struct {
	tiles  []tile
	placed int // game goroutine only, once Finish runs
}

// nextChunk is how many tiles the next chunk places, at most 100.
func (l *level) nextChunk() int64 { return int64(min(100, len(l.tiles)-l.placed)) }

// parseLevel reads "WxH", a level of W×H tiles.
func parseLevel(data string) (*level, error) {
	var w, h int
	if _, err := fmt.Sscanf(data, "%dx%d", &w, &h); err != nil {
		return nil, fmt.Errorf("parsing level %q: %w", data, err)
	}
	l := &level{}
	for y := range h {
		for x := range w {
			l.tiles = append(l.tiles, tile{x, y})
		}
	}
	return l, nil
}
