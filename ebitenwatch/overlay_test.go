package ebitenwatch

import (
	"image"
	"image/color"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/workslicer"
	"github.com/hajimehoshi/ebiten/v2"
)

// blackGame fills the screen with black, so the overlay's pixels stand out.
type blackGame struct{}

func (blackGame) Update() error              { return nil }
func (blackGame) Draw(s *ebiten.Image)       { s.Fill(color.Black) }
func (blackGame) Layout(int, int) (int, int) { return 640, 480 }

// newOverlayWatcher returns a Watcher with the overlay on and a scheduler,
// so that every line of the overlay's text is filled in.
func newOverlayWatcher(t *testing.T) *Watcher {
	t.Helper()
	sched, err := workslicer.New(workslicer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sched.Close)
	w, err := New(Options{
		Overlay:   true,
		Scheduler: sched,
		Report:    report.Options{SpoolDir: t.TempDir(), Console: io.Discard},
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestOverlayDraws(t *testing.T) {
	w := newOverlayWatcher(t)
	g := w.Wrap(blackGame{})
	screen := ebiten.NewImage(640, 480)
	g.Layout(640, 480)
	g.Update()
	g.Draw(screen)

	px := make([]byte, 4)
	at := func(x, y int) color.RGBA {
		screen.SubImage(image.Rect(x, y, x+1, y+1)).(*ebiten.Image).ReadPixels(px)
		return color.RGBA{px[0], px[1], px[2], px[3]}
	}
	if c := at(panelX+2, panelY+2); c == (color.RGBA{A: 0xff}) {
		t.Errorf("pixel inside the overlay's panel is %v: the panel was not drawn", c)
	}
	if c := at(600, 400); c != (color.RGBA{A: 0xff}) {
		t.Errorf("pixel outside the overlay is %v, want the game's black", c)
	}
}

func TestOverlayText(t *testing.T) {
	w := newOverlayWatcher(t)
	w.ov.refreshText()
	got := string(w.ov.text)
	for _, want := range []string{"hitch 0  frozen 0  hang 0", "slicer ", "last: none"} {
		if !strings.Contains(got, want) {
			t.Errorf("overlay text %q lacks %q", got, want)
		}
	}
	if w.ov.labels[1] != "100ms" || w.ov.labels[3] != "2.0s" {
		t.Errorf("threshold labels %q, want the watchdog's defaults 100ms and 2.0s", w.ov.labels)
	}
}

func TestAppendClipped(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "none"},
		{"short", "short"},
		{"App Hanging: main.load: Update blocked", "App Hanging: main..."},
	} {
		if got := string(appendClipped(nil, c.in, 20)); got != c.want {
			t.Errorf("appendClipped(%q, 20) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAppendDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{1500 * time.Microsecond, "1.5ms"},
		{450 * time.Millisecond, "450ms"},
		{2300 * time.Millisecond, "2.3s"},
	} {
		if got := string(appendDuration(nil, c.d)); got != c.want {
			t.Errorf("appendDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
