// Command demo is a small Ebitengine scene. Later it reproduces the stalls
// framewatch reports and fixes them; for now it opens a window and, with
// -headless, ends by itself after a few seconds.
package main

import (
	"flag"
	"fmt"
	"image/color"
	"log"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
)

type scene struct {
	ticks    int
	maxTicks int
}

func (s *scene) Update() error {
	s.ticks++
	if s.maxTicks > 0 && s.ticks >= s.maxTicks {
		return ebiten.Termination
	}
	return nil
}

func (s *scene) Draw(screen *ebiten.Image) {
	screen.Fill(color.RGBA{0x1b, 0x22, 0x33, 0xff})
	t := float64(s.ticks) / 60
	x := 320 + 200*math.Cos(t)
	y := 240 + 120*math.Sin(2*t)
	vector.FillCircle(screen, float32(x), float32(y), 24, color.RGBA{0xf2, 0xa6, 0x3b, 0xff}, true)
}

func (s *scene) Layout(int, int) (int, int) { return 640, 480 }

func main() {
	headless := flag.Bool("headless", false, "run for a few seconds and exit (for machines without a display)")
	flag.Parse()
	s := &scene{}
	if *headless {
		s.maxTicks = 180
	}
	ebiten.SetWindowSize(640, 480)
	ebiten.SetWindowTitle("framewatch demo")
	start := time.Now()
	if err := ebiten.RunGame(s); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("demo: ran %d ticks in %.1f s and ended\n", s.ticks, time.Since(start).Seconds())
}
