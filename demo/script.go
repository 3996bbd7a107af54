package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch"
	"github.com/framewatch/framewatch/internal/demorun"
	"github.com/framewatch/framewatch/internal/steal"
	"github.com/hajimehoshi/ebiten/v2"
)

// Run is one scripted scenario run, as printed by -script.
type Run = demorun.Run

// Ticks around each run: before it, to settle, and after it, so the
// watchdog has ended and reported a stall before the next run.
const (
	settleTicks = 30
	tailTicks   = 45
)

// script runs every scenario, stalling then fixed.
type script struct {
	plan       []step
	at         int
	phase      int // 0 settle, 1 running, 2 tail
	ticks      int
	stallsAt   uint64
	stealAt    steal.Mark
	runs       []Run
	titles     []string // report titles seen during the current run
	spooled    int      // reports spooled when noteTitle last looked
	screenshot string
	shot       bool
}

type step struct {
	s     *scenario
	fixed bool
}

func newScript(screenshot string) *script {
	sc := &script{screenshot: screenshot, plan: []step{{idle, false}}}
	for _, s := range scenarios {
		sc.plan = append(sc.plan, step{s, false}, step{s, true})
	}
	for _, s := range problemScenarios {
		sc.plan = append(sc.plan, step{s, false})
	}
	return sc
}

// step advances the script by one tick.
func (sc *script) step(g *game) error {
	if sc.at == len(sc.plan) {
		return ebiten.Termination
	}
	sc.ticks++
	sc.noteTitle(g)
	switch sc.phase {
	case 0:
		if sc.ticks >= settleTicks {
			st := sc.plan[sc.at]
			g.scenario, g.fixed = st.s, st.fixed
			g.timing.reset()
			sc.titles = nil
			sc.stallsAt = reportCount(g.w.Stats())
			sc.stealAt = steal.Now()
			sc.phase, sc.ticks = 1, 0
			g.trigger()
		}
	case 1:
		if !g.busy() {
			sc.phase, sc.ticks = 2, 0
		}
	case 2:
		if sc.ticks >= tailTicks {
			sc.record(g)
			sc.at++
			sc.phase, sc.ticks = 0, 0
		}
	}
	return nil
}

func (sc *script) record(g *game) {
	st := sc.plan[sc.at]
	r := g.timing.summary(st.s.name, st.variant(), sc.stealAt)
	r.LoadMS = ms(g.lastTime)
	r.Reports = int(reportCount(g.w.Stats()) - sc.stallsAt)
	r.Titles = append(r.Titles, sc.titles...)
	if g.lastErr != nil {
		r.Error = g.lastErr.Error()
	}
	sc.runs = append(sc.runs, r)
}

// noteTitle keeps the title of each report spooled during the run. The
// reporter counts reports and remembers the last title; the script polls
// it every tick, and reports come seconds apart.
func (sc *script) noteTitle(g *game) {
	st := g.w.Stats().Reports
	if st.Spooled == sc.spooled {
		return
	}
	sc.spooled = st.Spooled
	if sc.phase != 0 {
		sc.titles = append(sc.titles, st.LastTitle)
	}
}

// reportCount counts the reports of the session so far: stalls, failed
// and stalled loads, and times the game became unusable.
func reportCount(st ebitenwatch.Stats) uint64 {
	return st.Stalls + uint64(st.LoadsFailed+st.LoadsStalled+st.Unusable)
}

func (st step) variant() string {
	switch {
	case st.s == idle:
		return "baseline"
	case st.s.expectTitle != "":
		return "reported"
	case st.fixed:
		return "fixed"
	}
	return "stalling"
}

// summary returns the frame figures of a Run that started at mark.
func (t *frameTiming) summary(scenario, variant string, mark steal.Mark) Run {
	r := Run{
		Scenario:  scenario,
		Variant:   variant,
		MaxGapMS:  ms(slices.Max(append(t.gaps, 0))),
		P99GapMS:  ms(percentile(t.gaps, 0.99)),
		MaxUpdMS:  ms(slices.Max(append(t.updates, 0))),
		MaxDrawMS: ms(slices.Max(append(t.draws, 0))),
		Titles:    []string{},
	}
	if pct, ok := mark.Since(); ok {
		r.StealPct = &pct
	}
	return r
}

// measureHost records the host baseline: the floor that the machine itself
// puts under any frame loop, from a loop that only sleeps from tick to
// tick, paced as frames are, with no window. It runs before the game, for
// as many ticks as the idle baseline is measured (its run and tail), and
// blocks that long. Where the host's scheduler or hypervisor wakes it
// late, every frame loop on it is late too.
func (sc *script) measureHost() {
	var p pacer
	var t frameTiming
	mark := steal.Now()
	for range idleTicks + tailTicks + 1 {
		p.wait(tickPeriod())
		t.updateStart()
	}
	sc.runs = append(sc.runs, t.summary("host", "sleep loop", mark))
}

// msCell prints a figure of the table, or a dash for none: the host's
// loop has no Update, Draw or load.
func msCell(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f ms", v)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// maybeScreenshot saves the screen once, halfway through the fixed
// pathfinding, when the level's images are loaded and the overlay's graph
// shows the earlier stalls.
func (sc *script) maybeScreenshot(g *game, screen *ebiten.Image) {
	if sc.screenshot == "" || sc.shot || g.pending == nil || g.pending.progress == nil || g.scenario.name != "cpu" {
		return
	}
	if g.pending.progress() < 0.5 {
		return
	}
	sc.shot = true
	img := image.NewRGBA(screen.Bounds())
	screen.ReadPixels(img.Pix)
	if err := savePNG(sc.screenshot, img); err != nil {
		g.lastErr = fmt.Errorf("-screenshot: %w", err)
	}
}

func (sc *script) print(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sc.runs)
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tvariant\tmax gap\tp99 gap\tmax Update\tmax Draw\tload time\tCPU stolen\treports\ttitle")
	for _, r := range sc.runs {
		title := strings.Join(r.Titles, "; ")
		if r.Error != "" {
			title = "error: " + r.Error
		}
		stolen := "–"
		if r.StealPct != nil {
			stolen = fmt.Sprintf("%.1f%%", *r.StealPct)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Scenario, r.Variant, msCell(r.MaxGapMS), msCell(r.P99GapMS),
			msCell(r.MaxUpdMS), msCell(r.MaxDrawMS), msCell(r.LoadMS), stolen, r.Reports, title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// tabwriter pads the empty last cells of runs without reports.
	for line := range strings.Lines(table.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}
