package ebitenwatch_test

import (
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/hajimehoshi/ebiten/v2"
)

// panicGame panics in the method named by in, with a value of its own.
type panicGame struct{ in string }

type panicValue struct{ where string }

func (g panicGame) boom(where string) {
	if g.in == where {
		panic(panicValue{where})
	}
}

func (g panicGame) Update() error              { g.boom("Update"); return nil }
func (g panicGame) Draw(*ebiten.Image)         { g.boom("Draw") }
func (g panicGame) Layout(w, h int) (int, int) { g.boom("Layout"); return w, h }
func (g panicGame) LayoutF(w, h float64) (float64, float64) {
	g.boom("LayoutF")
	return w, h
}
func (g panicGame) DrawFinalScreen(ebiten.FinalScreen, *ebiten.Image, ebiten.GeoM) {
	g.boom("DrawFinalScreen")
}

// quietWatcher is a Watcher in this process whose reports go to console
// and a spool of the test's own, closed when the test ends.
func quietWatcher(t *testing.T, console io.Writer) *ebitenwatch.Watcher {
	t.Helper()
	w, err := ebitenwatch.New(ebitenwatch.Options{
		Report: report.Options{SpoolDir: t.TempDir(), Console: console},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// TestEveryPhaseReportsAndRepanics panics in each method the wrapper
// forwards, in this process: each panic is reported once and re-raised
// with its own value, and the wrapper goes on working afterwards.
func TestEveryPhaseReportsAndRepanics(t *testing.T) {
	screen := ebiten.NewImage(16, 16)
	calls := map[string]func(g ebiten.Game){
		"Update":          func(g ebiten.Game) { g.Update() },
		"Draw":            func(g ebiten.Game) { g.Draw(screen) },
		"Layout":          func(g ebiten.Game) { g.Layout(16, 16) },
		"LayoutF":         func(g ebiten.Game) { g.(ebiten.LayoutFer).LayoutF(16, 16) },
		"DrawFinalScreen": func(g ebiten.Game) { g.(ebiten.FinalScreenDrawer).DrawFinalScreen(nil, screen, ebiten.GeoM{}) },
	}
	for where, call := range calls {
		t.Run(where, func(t *testing.T) {
			var console strings.Builder
			w := quietWatcher(t, &console)
			g := w.Wrap(panicGame{in: where})

			got := func() (r any) {
				defer func() { r = recover() }()
				call(g)
				return nil
			}()
			if got != (panicValue{where}) {
				t.Fatalf("recovered %#v, want the game's own panic value", got)
			}
			if n := w.Stats().Reports.Spooled; n != 1 {
				t.Errorf("%d reports spooled, want 1\n%s", n, console.String())
			}
			if !strings.Contains(console.String(), "ebitenwatch_test.panicGame.boom") {
				t.Errorf("the report does not name the panicking function:\n%s", console.String())
			}
			for other, call := range calls { // still usable
				if other != where {
					call(g)
				}
			}
		})
	}
}

// goexitGame calls runtime.Goexit in Update, as a game might to end a
// goroutine it thinks it owns.
type goexitGame struct{ countingGame }

func (goexitGame) Update() error { runtime.Goexit(); return nil }

// TestGoexitPassesThrough: runtime.Goexit inside a wrapped phase ends the
// goroutine exactly as it would without the wrapper. It is not a panic:
// nothing is reported and nothing is raised.
func TestGoexitPassesThrough(t *testing.T) {
	var console strings.Builder
	w := quietWatcher(t, &console)
	g := w.Wrap(&goexitGame{})
	type ending struct {
		recovered any
		returned  bool
	}
	done := make(chan ending, 1)
	go func() {
		var e ending
		defer func() {
			e.recovered = recover()
			done <- e
		}()
		g.Update()
		e.returned = true
	}()
	e := <-done
	if e.recovered != nil || e.returned {
		t.Errorf("Goexit in Update ended as recovered=%#v returned=%v; want the goroutine to exit with nothing raised", e.recovered, e.returned)
	}
	if n := w.Stats().Reports.Spooled; n != 0 {
		t.Errorf("Goexit was reported (%d reports):\n%s", n, console.String())
	}
}
