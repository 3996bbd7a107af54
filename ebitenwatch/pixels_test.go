package ebitenwatch_test

import (
	"crypto/sha256"
	"fmt"
	"github.com/framewatch/framewatch/internal/ebitentest"
	"image/color"
	"os"
	"strings"
	"testing"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
)

// pixelGame draws a scene that depends on its layout, and on its tenth
// frame prints a hash of the screen's pixels and what Ebitengine asked of
// it. Its optional interfaces come from the variants below.
type pixelGame struct {
	frames int
	log    *strings.Builder
}

func (g *pixelGame) Update() error {
	if g.frames >= 10 {
		return ebiten.Termination
	}
	return nil
}

func (g *pixelGame) Draw(screen *ebiten.Image) {
	g.frames++
	b := screen.Bounds()
	screen.Fill(color.RGBA{0x20, 0x30, 0x50, 0xff})
	vector.FillCircle(screen, float32(b.Dx())/3, float32(b.Dy())/2, float32(b.Dy())/4, color.RGBA{0xf0, 0x90, 0x30, 0xff}, true)
	vector.StrokeLine(screen, 0, 0, float32(b.Dx()), float32(b.Dy()), 3, color.White, true)
	if g.frames == 10 {
		px := make([]byte, 4*b.Dx()*b.Dy())
		screen.ReadPixels(px)
		fmt.Fprintf(g.log, "screen %v pixels %x\n", b.Size(), sha256.Sum256(px))
	}
}

func (g *pixelGame) Layout(w, h int) (int, int) {
	return w / 2, h / 2
}

type layoutFGame struct{ *pixelGame }

func (g layoutFGame) LayoutF(w, h float64) (float64, float64) { return w/2 + 0.5, h/3 + 0.25 }

type finalGame struct{ *pixelGame }

func (g finalGame) DrawFinalScreen(screen ebiten.FinalScreen, offscreen *ebiten.Image, geoM ebiten.GeoM) {
	if g.frames == 10 {
		fmt.Fprintf(g.log, "final screen %v geoM %v\n", screen.Bounds(), geoM.String())
	}
	ebiten.DefaultDrawFinalScreen(screen, offscreen, geoM)
}

type bothGame struct {
	layoutFGame
	finalGame
}

func (g bothGame) Update() error              { return g.layoutFGame.Update() }
func (g bothGame) Draw(s *ebiten.Image)       { g.layoutFGame.Draw(s) }
func (g bothGame) Layout(w, h int) (int, int) { return g.layoutFGame.Layout(w, h) }

// variants are the four combinations of optional interfaces.
var variants = []string{"plain", "layoutf", "final", "both"}

func newVariant(name string, p *pixelGame) ebiten.Game {
	switch name {
	case "layoutf":
		return layoutFGame{p}
	case "final":
		return finalGame{p}
	case "both":
		return bothGame{layoutFGame{p}, finalGame{p}}
	}
	return p
}

// runPixels runs the variant named by $FRAMEWATCH_TEST_VARIANT, bare or
// wrapped, and prints what it saw.
func runPixels(wrapped bool) int {
	var log strings.Builder
	p := &pixelGame{log: &log}
	name := envVariant()
	g := newVariant(name, p)
	_, hasF := g.(ebiten.LayoutFer)
	_, hasFinal := g.(ebiten.FinalScreenDrawer)
	var w *ebitenwatch.Watcher
	if wrapped {
		var err error
		if w, err = ebitenwatch.New(childOptions()); err != nil {
			fmt.Println(err)
			return 1
		}
		g = w.Wrap(g)
	}
	_, wrapF := g.(ebiten.LayoutFer)
	_, wrapFinal := g.(ebiten.FinalScreenDrawer)
	fmt.Printf("interfaces LayoutFer=%t FinalScreenDrawer=%t\n", hasF && wrapF, hasFinal && wrapFinal)
	if hasF != wrapF || hasFinal != wrapFinal {
		fmt.Println("MISMATCH in optional interfaces")
	}
	ebiten.SetWindowSize(400, 300)
	err := ebiten.RunGame(g)
	if w != nil {
		w.Close()
	}
	fmt.Print(log.String())
	fmt.Println("err", err)
	return 0
}

func envVariant() string { return os.Getenv("FRAMEWATCH_TEST_VARIANT") }

// TestWrappingIsPixelIdentical runs each combination of optional
// interfaces bare and wrapped, each in its own process, and compares the
// screen's pixels and what Ebitengine passed to the game.
func TestWrappingIsPixelIdentical(t *testing.T) {
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			bare := pixelRun(t, "pixels-bare", v)
			wrapped := pixelRun(t, "pixels-wrapped", v)
			if bare != wrapped {
				t.Errorf("bare and wrapped differ:\nbare:\n%s\nwrapped:\n%s", bare, wrapped)
			}
			if !strings.Contains(bare, "pixels ") {
				t.Errorf("no pixels captured:\n%s", bare)
			}
			wantF := v == "layoutf" || v == "both"
			wantFinal := v == "final" || v == "both"
			if want := fmt.Sprintf("interfaces LayoutFer=%t FinalScreenDrawer=%t", wantF, wantFinal); !strings.Contains(wrapped, want) {
				t.Errorf("wrapped game: want %q in\n%s", want, wrapped)
			}
			if wantFinal != strings.Contains(bare, "final screen") {
				t.Errorf("DrawFinalScreen called = %t, want %t", !wantFinal, wantFinal)
			}
		})
	}
}

func pixelRun(t *testing.T, child, variant string) string {
	t.Helper()
	cmd := ebitentest.Command(t, child, "FRAMEWATCH_TEST_VARIANT="+variant, "FRAMEWATCH_TEST_SPOOL="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", child, variant, err, out)
	}
	// Keep only what the game saw; log lines differ between runs.
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		for _, p := range []string{"interfaces", "screen", "final screen", "err", "MISMATCH"} {
			if strings.HasPrefix(line, p) {
				keep = append(keep, line)
				break
			}
		}
	}
	return strings.Join(keep, "\n")
}
