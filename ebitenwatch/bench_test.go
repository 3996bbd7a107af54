package ebitenwatch_test

import (
	"io"
	"testing"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/hajimehoshi/ebiten/v2"
)

// emptyGame does nothing, so the benchmarks measure only the wrapper.
type emptyGame struct{}

func (emptyGame) Update() error              { return nil }
func (emptyGame) Draw(*ebiten.Image)         {}
func (emptyGame) Layout(int, int) (int, int) { return 320, 240 }

// BenchmarkFrame runs one Layout, Update and Draw, bare and wrapped; the
// difference is what the Watcher adds to a frame.
func BenchmarkFrame(b *testing.B) {
	w, err := ebitenwatch.New(ebitenwatch.Options{Report: report.Options{SpoolDir: b.TempDir(), Console: io.Discard}})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	screen := ebiten.NewImage(1, 1)
	for _, c := range []struct {
		name string
		g    ebiten.Game
	}{{"bare", emptyGame{}}, {"wrapped", w.Wrap(emptyGame{})}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.g.Layout(640, 480)
				c.g.Update()
				c.g.Draw(screen)
			}
		})
	}
}
