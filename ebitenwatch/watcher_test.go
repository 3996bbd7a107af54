package ebitenwatch_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/framewatch/framewatch/internal/ebitentest"
	"github.com/hajimehoshi/ebiten/v2"
)

// result is what a child prints on its last line.
type result struct {
	Err   string
	Stats ebitenwatch.Stats
	// During counts the stalls that began while a child's test action ran.
	During uint64
}

const resultPrefix = "RESULT "

var errCustom = errors.New("custom game error")

// blockingGame runs a few dozen ticks, does what phase says once, and
// ends.
type blockingGame struct {
	phase string
	ticks int
	// blockDraw is set at tick 20 and cleared by the Draw that blocks:
	// Ebitengine may run two Updates before a Draw, so no Draw need see
	// tick 20 itself.
	blockDraw bool
}

func (g *blockingGame) Update() error {
	g.ticks++
	switch {
	case g.ticks == 20 && g.phase == "update", g.ticks == 1 && g.phase == "first-update":
		blockInUpdate()
	case g.ticks == 20 && g.phase == "draw":
		g.blockDraw = true
	case g.ticks == 20 && g.phase == "panic":
		panicInUpdate()
	case g.ticks == 20 && g.phase == "error":
		return errCustom
	case g.ticks == 40:
		return ebiten.Termination
	}
	return nil
}

func (g *blockingGame) Draw(*ebiten.Image) {
	if g.blockDraw {
		g.blockDraw = false
		blockInDraw()
	}
}

func (g *blockingGame) Layout(int, int) (int, int) { return 320, 240 }

func blockInUpdate() { time.Sleep(1500 * time.Millisecond) }
func blockInDraw()   { time.Sleep(1500 * time.Millisecond) }
func panicInUpdate() { panic("boom in Update") }

// childOptions send reports to the console (stdout) and a spool named by
// the parent.
func childOptions() ebitenwatch.Options {
	return ebitenwatch.Options{
		Report: report.Options{SpoolDir: os.Getenv("FRAMEWATCH_TEST_SPOOL"), Console: os.Stdout},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// runWatched runs g wrapped, then prints the result.
func runWatched(g ebiten.Game) int {
	w, err := ebitenwatch.New(childOptions())
	if err != nil {
		fmt.Println(err)
		return 1
	}
	ebiten.SetWindowSize(320, 240)
	runErr := ebiten.RunGame(w.Wrap(g))
	w.Close()
	printResult(runErr, w.Stats())
	return 0
}

func printResult(err error, st ebitenwatch.Stats) {
	r := result{Stats: st}
	if err != nil {
		r.Err = err.Error()
	}
	b, _ := json.Marshal(r)
	fmt.Println(resultPrefix + string(b))
}

// child runs a child to its end and returns its output, its result and
// its exit error.
func child(t *testing.T, name string, env ...string) (string, result, error) {
	t.Helper()
	spool := t.TempDir()
	cmd := ebitentest.Command(t, name, append([]string{"FRAMEWATCH_TEST_SPOOL=" + spool}, env...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(90 * time.Second):
		// SIGQUIT makes a Go program print every goroutine's stack.
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		t.Fatalf("child %s did not end within 90 s:\n%s", name, out.String())
	}
	var r result
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), resultPrefix); ok {
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("bad result line %q: %v", line, err)
			}
		}
	}
	return out.String(), r, runErr
}

// titles are the report titles a child printed.
func titles(out string) []string {
	var ts []string
	for _, line := range strings.Split(out, "\n") {
		if t, ok := strings.CutPrefix(line, "framewatch: "); ok {
			ts = append(ts, t)
		}
	}
	return ts
}

// hostNoise splits off the reports of frames that blocked between phases
// inside Ebitengine, blaming none of the game's functions: a host so busy
// that the engine's own threads did not run for most of a second (seen
// here with the load average at 20 on 2 cores). They are true reports, but
// not of what a test does.
func hostNoise(titles []string) (game, noise []string) {
	for _, t := range titles {
		if strings.Contains(t, ": Idle blocked") && !strings.Contains(t, "ebitenwatch_test.") {
			noise = append(noise, t)
		} else {
			game = append(game, t)
		}
	}
	return game, noise
}

func TestBlockInUpdateIsReported(t *testing.T) {
	t.Parallel()
	testBlocked(t, "block-update", "Update", "blockInUpdate")
}

// Loading everything in the first Update is common. The watchdog learns
// the loop's goroutine from the Layout before it, so that stall is
// sampled too.
func TestBlockInFirstUpdateIsReported(t *testing.T) {
	t.Parallel()
	testBlocked(t, "block-first-update", "Update", "blockInUpdate")
}

func TestBlockInDrawIsReported(t *testing.T) {
	t.Parallel()
	testBlocked(t, "block-draw", "Draw", "blockInDraw")
}

func testBlocked(t *testing.T, name, phase, culprit string) {
	out, r, err := child(t, name)
	if err != nil || r.Err != "" {
		t.Fatalf("child failed: %v %q\n%s", err, r.Err, out)
	}
	ts, noise := hostNoise(titles(out))
	if len(ts) != 1 {
		t.Fatalf("got %d reports %q, want 1\n%s", len(ts), ts, out)
	}
	if want := "Frozen Frame: github.com/framewatch/framewatch/ebitenwatch_test." + culprit; !strings.HasPrefix(ts[0], want) {
		t.Errorf("title %q, want it to start with %q", ts[0], want)
	}
	if !strings.Contains(ts[0], phase+" blocked") || !strings.Contains(ts[0], "(sleep)") {
		t.Errorf("title %q does not say %s blocked (sleep)", ts[0], phase)
	}
	st, n := r.Stats, uint64(1+len(noise))
	if st.Stalls != n || st.FrozenFrames+st.Hangs != n || st.Reports.Spooled != int(n) {
		t.Errorf("stats %+v: want %d stalls, frozen frames or hangs, and spooled reports", st, n)
	}
	if st.Frames < 30 || st.Max < 1400*time.Millisecond {
		t.Errorf("stats %+v: want 30+ frames and a max of about 1.5 s", st)
	}
}

func TestPanicIsReportedThenRepanicked(t *testing.T) {
	t.Parallel()
	out, _, err := child(t, "panic-update")
	var exit interface{ ExitCode() int }
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("child exit = %v, want the exit code 2 of an unrecovered panic\n%s", err, out)
	}
	if !strings.Contains(out, "panic: boom in Update") {
		t.Errorf("the original panic value was not re-raised:\n%s", out)
	}
	if !strings.Contains(out, "ebitenwatch_test.panicInUpdate") {
		t.Errorf("the crash trace lost the panicking function:\n%s", out)
	}
	ts := titles(out)
	if len(ts) != 1 || !strings.Contains(ts[0], "boom in Update") {
		t.Errorf("reports %q, want one crash report naming the panic", ts)
	}
}

func TestErrorsPassThrough(t *testing.T) {
	t.Parallel()
	out, r, err := child(t, "custom-error")
	if err != nil || r.Err != errCustom.Error() {
		t.Errorf("RunGame returned %q (child %v), want %q\n%s", r.Err, err, errCustom, out)
	}
}

// runUnfocusable runs a watched game that stops running when unfocused
// from tick 20. Then, on another goroutine, act does what the test needs;
// it calls mark when the stalls it is about begin to count, and returns
// when it is time to print the result (with the stalls since mark) and
// exit.
func runUnfocusable(act func(mark func())) int {
	w, err := ebitenwatch.New(childOptions())
	if err != nil {
		fmt.Println(err)
		return 1
	}
	g := &unfocusableGame{running: make(chan struct{})}
	go func() {
		<-g.running
		var before uint64
		act(func() { before = w.Stats().Stalls })
		r := result{Stats: w.Stats()}
		r.During = r.Stats.Stalls - before
		b, _ := json.Marshal(r)
		fmt.Println(resultPrefix + string(b))
		os.Exit(0)
	}()
	ebiten.RunGame(w.Wrap(g))
	fmt.Println("the game ended while the test still ran")
	return 1
}

// runUnfocused has the game lose the focus to another window, which a
// second process opens. Ebitengine then stops calling the game; that must
// not be reported.
func runUnfocused() int {
	return runUnfocusable(func(mark func()) {
		thief, err := ebitentest.ChildCommand("focus-thief")
		if err == nil {
			err = thief.Start()
		}
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		defer thief.Process.Kill()
		// Wait for the game to be suspended, then stay suspended a while.
		// Stalls count from the first still poll: a report of the
		// suspension would begin a frozen threshold later.
		var last int64
		for still := 0; still < 30; {
			time.Sleep(100 * time.Millisecond)
			if n := ebiten.Tick(); n != last {
				last, still = n, 0
				continue
			}
			if still++; still == 1 {
				mark()
			}
		}
	})
}

// runMinimizeWithoutWM minimises the window on a display without a window
// manager: Ebitengine's main thread then waits for the window to be
// iconified, forever, while the window keeps the focus. The game is
// frozen; that is a stall.
func runMinimizeWithoutWM() int {
	return runUnfocusable(func(mark func()) {
		mark()
		go ebiten.MinimizeWindow() // never returns here
		time.Sleep(3 * time.Second)
	})
}

// runFocusThief opens a window, which takes the focus, and runs until
// killed.
func runFocusThief() int {
	ebiten.SetWindowTitle("focus thief")
	ebiten.RunGame(&countingGame{stopAt: -1})
	return 0
}

// unfocusableGame stops running when unfocused from tick 20, and signals
// then.
type unfocusableGame struct {
	ticks   int
	running chan struct{}
}

func (g *unfocusableGame) Update() error {
	g.ticks++
	if g.ticks == 20 {
		// Only now, so that a window taking the focus cannot suspend the
		// game before it has run.
		ebiten.SetRunnableOnUnfocused(false)
		close(g.running)
	}
	return nil
}

func (g *unfocusableGame) Draw(*ebiten.Image)         {}
func (g *unfocusableGame) Layout(int, int) (int, int) { return 320, 240 }

func TestUnfocusedGameIsNotReported(t *testing.T) {
	t.Parallel()
	out, r, err := child(t, "unfocused", ebitentest.PrivateDisplay(t))
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if r.Stats.Frames < 5 {
		t.Fatalf("the game ran only %d frames before minimising\n%s", r.Stats.Frames, out)
	}
	if r.During != 0 {
		t.Errorf("%d stalls reported while the game was suspended:\n%s", r.During, out)
	}
}

// A game that does not run unfocused is watched between phases while it
// has the focus: its main thread being busy is not a suspension.
func TestMainThreadBusyWhileFocusedIsReported(t *testing.T) {
	t.Parallel()
	out, r, err := child(t, "minimize-no-wm", ebitentest.PrivateDisplay(t))
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if r.Stats.Frames < 5 {
		t.Fatalf("the game ran only %d frames before minimising\n%s", r.Stats.Frames, out)
	}
	if r.During != 1 {
		t.Errorf("%d stalls reported for a game frozen 3 s with the focus, want 1:\n%s", r.During, out)
	}
}

func TestBadOptions(t *testing.T) {
	for _, c := range []struct {
		change func(*ebitenwatch.Options)
		field  string
	}{
		{func(o *ebitenwatch.Options) { o.Watchdog.Frozen = -1 }, "Options.Frozen"},
		{func(o *ebitenwatch.Options) { o.Watchdog.Sink = nopSink{} }, "Options.Watchdog.Sink"},
		{func(o *ebitenwatch.Options) { o.OverlayKey = -3 }, "Options.OverlayKey"},
		{func(o *ebitenwatch.Options) { o.Report.MaxSpoolFiles = -1 }, "MaxSpoolFiles"},
	} {
		spool := filepath.Join(t.TempDir(), "spool")
		o := ebitenwatch.Options{Report: report.Options{SpoolDir: spool, Console: io.Discard}}
		c.change(&o)
		w, err := ebitenwatch.New(o)
		if _, serr := os.Stat(spool); !errors.Is(serr, fs.ErrNotExist) {
			t.Errorf("New with a bad %s created the spool (%v): bad options must have no side effects", c.field, serr)
		}
		if err == nil {
			w.Close()
			t.Errorf("New succeeded, want an error naming %s", c.field)
			continue
		}
		if !strings.Contains(err.Error(), c.field) {
			t.Errorf("error %q does not name %s", err, c.field)
		}
	}
}

type nopSink struct{}

func (nopSink) StallStarted(*watchdog.Stall) {}
func (nopSink) StallUpdated(*watchdog.Stall) {}
func (nopSink) StallEnded(*watchdog.Stall)   {}

// Close waits for delivery no longer than Report.FlushTimeout, and what
// was not delivered stays in the spool.
func TestCloseWaitsAtMostFlushTimeout(t *testing.T) {
	// A Sentry that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	spool := t.TempDir()
	w, err := ebitenwatch.New(ebitenwatch.Options{
		Report: report.Options{
			DSN:          "http://public@" + ln.Addr().String() + "/1",
			FlushTimeout: 200 * time.Millisecond,
			SpoolDir:     spool,
			Console:      io.Discard,
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	g := w.Wrap(&levelGame{})
	for range 3 {
		g.Layout(320, 240)
		g.Update() // the third loads a level for a second
	}
	start := time.Now()
	w.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v with a FlushTimeout of 200 ms", d)
	}
	if st := w.Stats().Reports; st.Spooled != 1 || st.Sent != 0 {
		t.Errorf("reports %+v, want 1 spooled and none sent", st)
	}
	if files, _ := filepath.Glob(filepath.Join(spool, "*.report.json")); len(files) != 1 {
		t.Errorf("spool holds %q, want the undelivered report", files)
	}
}
