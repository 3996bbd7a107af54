package ebitenwatch_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/internal/sentrytest"
	"github.com/framewatch/framewatch/workslicer"
	"github.com/hajimehoshi/ebiten/v2"
)

// dsnEnv gives a child the DSN of the parent's test Sentry.
const dsnEnv = "FRAMEWATCH_TEST_DSN"

func init() {
	children["finish-stall"] = runFinishStall
}

// finishingGame loads one level through workslicer from tick 10; its
// Finish, which runs on the goroutine iter.Pull made for it, blocks once.
type finishingGame struct {
	sched *workslicer.Scheduler
	ticks int
	h     *workslicer.Handle[int]
	ended int // tick at which the load ended
}

func (g *finishingGame) Update() error {
	g.ticks++
	switch {
	case g.ticks == 10:
		h, err := workslicer.Load(context.Background(), g.sched, workslicer.Loader[[]byte, int]{
			Key:   "levels/cave.lvl",
			Fetch: func(context.Context) ([]byte, error) { return make([]byte, 64), nil },
			Finish: func(_ context.Context, b []byte, yield func(float64) bool) (int, error) {
				yield(0.5)
				placeTilesSlowly()
				return len(b), nil
			},
		})
		if err != nil {
			return err
		}
		g.h = h
	case g.h != nil && g.ended == 0:
		select {
		case <-g.h.Done():
			g.ended = g.ticks
			if err := g.h.Err(); err != nil {
				return err
			}
		default:
		}
	case g.ended > 0 && g.ticks > g.ended+10:
		return ebiten.Termination
	}
	return nil
}

func (g *finishingGame) Draw(*ebiten.Image)         {}
func (g *finishingGame) Layout(int, int) (int, int) { return 320, 240 }

//go:noinline
func placeTilesSlowly() { time.Sleep(1500 * time.Millisecond) }

func runFinishStall() int {
	sched, err := workslicer.New(workslicer.Options{})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	opts := childOptions()
	opts.Scheduler = sched
	opts.Report.DSN = os.Getenv(dsnEnv)
	w, err := ebitenwatch.New(opts)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	runErr := ebiten.RunGame(w.Wrap(&finishingGame{sched: sched}))
	w.Close()
	printResult(runErr, w.Stats())
	return 0
}

// A stall inside a workslicer Finish, which runs on a coroutine while the
// game goroutine waits for it, is blamed on the Finish's own code: the
// event Sentry receives names it as the culprit, classes it by what it
// did, groups it by it, and tags the load that was running.
func TestStallInFinishIsBlamedOnIt(t *testing.T) {
	t.Parallel()
	srv := sentrytest.New(t)
	out, r, err := child(t, "finish-stall", dsnEnv+"="+srv.DSN())
	if err != nil || r.Err != "" {
		t.Fatalf("child failed: %v %s\n%s", err, r.Err, out)
	}
	evs := srv.WaitEvents(t, 1, 10*time.Second)
	const culprit = "github.com/framewatch/framewatch/ebitenwatch_test.placeTilesSlowly"
	for _, ev := range evs {
		t.Logf("event %q fingerprint %q tags %v", ev.Title(), ev.Fingerprint, ev.Tags)
	}
	ev := evs[0]
	if len(evs) != 1 || ev.Exception[0].Type != "Frozen Frame" {
		t.Fatalf("got %d events, the first %q; want one Frozen Frame", len(evs), ev.Title())
	}
	if want := culprit + ": Update blocked for at least "; !strings.HasPrefix(ev.Exception[0].Value, want) || !strings.HasSuffix(ev.Exception[0].Value, "(sleep)") {
		t.Errorf("value %q, want it to start %q and end (sleep)", ev.Exception[0].Value, want)
	}
	if ev.Tags["stall.class"] != "sleep" || !slices.Contains(ev.Fingerprint, culprit) {
		t.Errorf("class %q fingerprint %q, want sleep and %s", ev.Tags["stall.class"], ev.Fingerprint, culprit)
	}
	if ev.Tags["workslicer.task"] != "levels/cave.lvl" {
		t.Errorf("workslicer.task %q, want the load's key", ev.Tags["workslicer.task"])
	}
}
