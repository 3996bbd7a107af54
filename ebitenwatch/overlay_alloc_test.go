package ebitenwatch_test

import (
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/hajimehoshi/ebiten/v2"
)

// Ticks of the overlay allocation run: a warm-up, then overlayFrames
// measured frames with the overlay shown.
const (
	overlayWarmUp = 60
	overlayFrames = 120
)

// overlayAllocs are the heap allocations made during the measured frames,
// read from the runtime's memory profile at a sampling rate of 1, so that
// other goroutines' allocations are told apart by their stacks.
type overlayAllocs struct {
	// Own are allocations made by package ebitenwatch's code itself, by
	// the stack that made them.
	Own map[string]int64
	// Ebiten are allocations Ebitengine makes inside the overlay's draw
	// calls, such as its command queue growing.
	Ebiten int64
}

// since returns the allocations made between before and a.
func (a overlayAllocs) since(before overlayAllocs) overlayAllocs {
	d := overlayAllocs{Own: map[string]int64{}, Ebiten: a.Ebiten - before.Ebiten}
	for stack, n := range a.Own {
		if n -= before.Own[stack]; n != 0 {
			d.Own[stack] = n
		}
	}
	return d
}

// own is the number of allocations by ebitenwatch's own code.
func (a overlayAllocs) own() int64 {
	var n int64
	for _, k := range a.Own {
		n += k
	}
	return n
}

const ownPkg = "github.com/framewatch/framewatch/ebitenwatch."

// countAllocs sums the memory profile's allocation counts by who made them.
func countAllocs() overlayAllocs {
	// A profile is published only after garbage collections.
	runtime.GC()
	runtime.GC()
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		if n, ok = runtime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	a := overlayAllocs{Own: map[string]int64{}}
	for _, r := range recs {
		switch whose(r.Stack()) {
		case "own":
			a.Own[stackText(r.Stack())] += r.AllocObjects
		case "ebiten":
			a.Ebiten += r.AllocObjects
		}
	}
	return a
}

// stackText is a stack as one line per frame, innermost first.
func stackText(stack []uintptr) string {
	var b strings.Builder
	frames := runtime.CallersFrames(stack)
	for {
		f, more := frames.Next()
		fmt.Fprintf(&b, "\n\t%s:%d", f.Function, f.Line)
		if !more {
			return b.String()
		}
	}
}

// whose tells who made an allocation with the given stack, counting only
// what runs inside the game's frames (the wrapper's phases): "own" if the
// innermost frame of ebitenwatch, Ebitengine or the game is ebitenwatch's,
// "ebiten" if it is Ebitengine's and the overlay's draw called it, and ""
// otherwise (the game's own allocations included). The Watcher's own
// goroutines, such as the focus poller, are not the frame's cost: a
// goroutine that blocks in select may allocate the runtime's bookkeeping
// for it there.
func whose(stack []uintptr) string {
	frames := runtime.CallersFrames(stack)
	who, inFrame := "", false
	for {
		f, more := frames.Next()
		switch {
		case who == "" && strings.HasPrefix(f.Function, "github.com/framewatch/framewatch/ebitenwatch_test."):
			return ""
		case who == "" && strings.HasPrefix(f.Function, ownPkg):
			who = "own"
		case who == "" && strings.HasPrefix(f.Function, "github.com/hajimehoshi/ebiten/"):
			who = "ebiten?"
		case who == "ebiten?" && strings.HasPrefix(f.Function, ownPkg+"(*overlay).draw"):
			who = "ebiten"
		}
		inFrame = inFrame || isPhase(f.Function)
		if !more {
			break
		}
	}
	if !inFrame || who == "ebiten?" {
		return ""
	}
	return who
}

// isPhase reports whether fn is one of the wrapper's phase methods.
func isPhase(fn string) bool {
	for _, p := range []string{"(*game).", "(*gameF).", "(*gameFinal).", "(*gameFFinal).", "drawFinal"} {
		if strings.HasPrefix(fn, ownPkg+p) {
			return true
		}
	}
	return false
}

// overlayAllocGame is a game that only fills its screen, watched with the
// overlay shown and rebuilding its text every frame.
type overlayAllocGame struct {
	w      *ebitenwatch.Watcher
	ticks  int
	before overlayAllocs
	during overlayAllocs
}

func (g *overlayAllocGame) Update() error {
	g.ticks++
	switch g.ticks {
	case 1:
		ebitenwatch.ShowOverlay(g.w, true)
	case overlayWarmUp:
		g.before = countAllocs()
	case overlayWarmUp + overlayFrames:
		g.during = countAllocs().since(g.before)
		return ebiten.Termination
	}
	return nil
}

func (g *overlayAllocGame) Draw(screen *ebiten.Image)  { screen.Fill(color.Black) }
func (g *overlayAllocGame) Layout(int, int) (int, int) { return 640, 480 }

func runOverlayAllocs() int {
	runtime.MemProfileRate = 1
	opts := childOptions()
	opts.Overlay = true
	w, err := ebitenwatch.New(opts)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	g := &overlayAllocGame{w: w}
	if err := ebiten.RunGame(w.Wrap(g)); err != nil {
		fmt.Println(err)
		return 1
	}
	w.Close()
	fmt.Print(resultPrefix)
	json.NewEncoder(os.Stdout).Encode(g.during)
	return 0
}

// TestOverlayDoesNotAllocate runs a real game with the overlay shown and
// its text rebuilt every frame, and counts what package ebitenwatch's own
// code allocates over overlayFrames frames: nothing.
func TestOverlayDoesNotAllocate(t *testing.T) {
	t.Parallel()
	out, _, err := child(t, "overlay-allocs")
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	i := strings.LastIndex(out, resultPrefix)
	var a overlayAllocs
	if i < 0 || json.Unmarshal([]byte(strings.TrimSpace(out[i+len(resultPrefix):])), &a) != nil {
		t.Fatalf("no counts in the child's output:\n%s", out)
	}
	t.Logf("over %d frames: %d allocations by ebitenwatch, %d by Ebitengine inside the overlay's draw calls", overlayFrames, a.own(), a.Ebiten)
	if n := a.own(); n != 0 {
		t.Errorf("ebitenwatch allocated %d times in %d frames with the overlay shown, want 0", n, overlayFrames)
		for stack, n := range a.Own {
			t.Logf("%d allocations at:%s", n, stack)
		}
	}
}
