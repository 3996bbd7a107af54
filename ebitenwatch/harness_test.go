package ebitenwatch_test

import (
	"fmt"
	"image/color"
	"strings"
	"testing"

	"github.com/hajimehoshi/ebiten/v2"
)

// countingGame ends itself after a fixed number of ticks.
type countingGame struct {
	ticks, stopAt int
	draws         int
}

func (g *countingGame) Update() error {
	g.ticks++
	if g.ticks == g.stopAt {
		return ebiten.Termination
	}
	return nil
}

func (g *countingGame) Draw(*ebiten.Image) { g.draws++ }

func (g *countingGame) Layout(w, h int) (int, int) { return w, h }

func runTenTicks() int {
	g := &countingGame{stopAt: 10}
	err := ebiten.RunGame(g)
	fmt.Printf("ticks=%d draws>0=%t err=%v\n", g.ticks, g.draws > 0, err)
	if err != nil {
		return 1
	}
	return 0
}

// TestGameRunsTenTicksAndTerminates proves the Xvfb harness: a real game loop
// runs in a child process, ticks ten times and ends cleanly.
func TestGameRunsTenTicksAndTerminates(t *testing.T) {
	out, _, err := child(t, "ten-ticks")
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if want := "ticks=10 draws>0=true err=<nil>"; !strings.Contains(out, want) {
		t.Errorf("child printed %q, want it to contain %q", out, want)
	}
}

// TestRunsOnGameGoroutine checks that tests run inside the game loop, where
// ebiten functions that need it work.
func TestRunsOnGameGoroutine(t *testing.T) {
	img := ebiten.NewImage(4, 4)
	img.Fill(color.RGBA{R: 0xff, A: 0xff})
	px := make([]byte, 4*4*4)
	img.ReadPixels(px)
	if px[0] != 0xff || px[1] != 0 || px[3] != 0xff {
		t.Errorf("pixel 0 = %v, want opaque red", px[:4])
	}
}
