package ebitenwatch_test

import (
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/hajimehoshi/ebiten/v2"
)

// Game is a game like any other.
type Game struct{}

func (g *Game) Update() error              { return nil }
func (g *Game) Draw(screen *ebiten.Image)  {}
func (g *Game) Layout(w, h int) (int, int) { return w, h }

// The one line: run the game through ebitenwatch.RunGame instead of
// ebiten.RunGame. Frames that block past 700 ms are reported to the
// console and a spool directory, or to Sentry when $SENTRY_DSN is set.
func Example() {
	if err := ebitenwatch.RunGame(&Game{}, ebitenwatch.Options{}); err != nil {
		log.Fatal(err)
	}
}

// levelGame loads its level in Update, blocking the frame: the freeze
// players call a crash.
type levelGame struct {
	frames int
	level  []byte
}

func (g *levelGame) Update() error {
	g.frames++
	if g.frames == 3 && g.level == nil {
		g.level = loadLevel()
	}
	return nil
}

func (g *levelGame) Draw(*ebiten.Image)         {}
func (g *levelGame) Layout(w, h int) (int, int) { return w, h }

func loadLevel() []byte {
	time.Sleep(time.Second) // reading and decoding a level's assets
	return make([]byte, 1<<20)
}

// A Watcher reports a frame that blocked, naming the function it blocked
// in, while the game goes on as before. Ebitengine calls Update and Draw;
// this example calls them by hand.
func ExampleWatcher_Wrap() {
	spool, err := os.MkdirTemp("", "spool")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(spool)
	w, err := ebitenwatch.New(ebitenwatch.Options{
		Report: report.Options{SpoolDir: spool, Console: io.Discard},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}

	game := w.Wrap(&levelGame{})
	screen := ebiten.NewImage(320, 240)
	for range 3 {
		game.Update() // the third Update loads the level
		game.Draw(screen)
	}
	w.Close()

	st := w.Stats().Reports
	title, _, _ := strings.Cut(st.LastTitle, " for at least")
	fmt.Println(title)
	fmt.Println("spooled reports:", st.Spooled)
	// Output:
	// Frozen Frame: github.com/framewatch/framewatch/ebitenwatch_test.loadLevel: Update blocked
	// spooled reports: 1
}
