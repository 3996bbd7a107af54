package ebitenwatch

import (
	"bytes"
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
	for _, want := range []string{"hitch 0  frozen 0  hang 0", "slicer ", "hitches: none", "last: none"} {
		if !strings.Contains(got, want) {
			t.Errorf("overlay text %q lacks %q", got, want)
		}
	}
	if w.ov.labels[1] != "100ms" || w.ov.labels[3] != "2.0s" {
		t.Errorf("threshold labels %q, want the watchdog's defaults 100ms and 2.0s", w.ov.labels)
	}
}

// hitchGame's Update hitches once, at its fifth call, in a sleep.
type hitchGame struct {
	blackGame
	n int
}

func (g *hitchGame) Update() error {
	if g.n++; g.n == 5 {
		hitchyUpdate()
	}
	time.Sleep(10 * time.Millisecond)
	return nil
}

func hitchyUpdate() { time.Sleep(250 * time.Millisecond) }

// The overlay names the session's hitch culprits.
func TestOverlayShowsHitchCulprits(t *testing.T) {
	w := newOverlayWatcher(t)
	g := w.Wrap(&hitchGame{})
	g.Layout(640, 480)
	for range 8 {
		g.Update()
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(w.wd.HitchCulprits(nil, 1)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no hitch culprit within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.ov.refreshText()
	// ebitenwatch is never the game's code, so the culprit is the sleep.
	if got := string(w.ov.text); !strings.Contains(got, "hitches: time.Sleep x1 2") {
		t.Errorf("overlay text %q does not name the hitch's culprit", got)
	}
}

// The session summary logged at Close lists the hitch culprits.
func TestSessionSummaryListsHitchCulprits(t *testing.T) {
	var log bytes.Buffer
	w, err := New(Options{
		Report: report.Options{SpoolDir: t.TempDir(), Console: io.Discard},
		Logger: slog.New(slog.NewTextHandler(&log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	g := w.Wrap(&hitchGame{})
	g.Layout(640, 480)
	for range 8 {
		g.Update()
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(w.wd.HitchCulprits(nil, 1)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	w.Close()
	if got := log.String(); !strings.Contains(got, `hitch_culprits="time.Sleep x1 (2`) {
		t.Errorf("session summary does not list the hitch culprit:\n%s", got)
	}
}

func TestShortFunction(t *testing.T) {
	for in, want := range map[string]string{
		"main.loadLevel":                         "main.loadLevel",
		"example.com/game/world.(*World).Update": "world.(*World).Update",
	} {
		if got := shortFunction(in); got != want {
			t.Errorf("shortFunction(%q) = %q, want %q", in, got, want)
		}
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
