package ebitenwatch_test

import (
	"fmt"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/internal/ebitentest"
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
	cmd := ebitentest.Command(t, "ten-ticks")
	done := make(chan error, 1)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("child failed: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("child did not end within 60 s:\n%s", out.String())
	}
	if got, want := strings.TrimSpace(out.String()), "ticks=10 draws>0=true err=<nil>"; !strings.Contains(got, want) {
		t.Errorf("child printed %q, want it to contain %q", got, want)
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
