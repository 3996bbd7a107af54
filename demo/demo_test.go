package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

// TestScript builds the demo and runs its script under the test's display
// (Xvfb in make test), as a player's machine would run it, then checks
// every run in the JSON it prints.
func TestScript(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("the demo needs a display: run the tests with make test, which starts Xvfb")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "demo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	shot := filepath.Join(dir, "shot.png")
	cmd := exec.Command(bin, "-script", "-json", "-screenshot", shot)
	sentry := sentrytest.New(t)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+dir, "SENTRY_DSN="+sentry.DSN()) // a spool of its own
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("demo -script: %v\n%s", err, stderr.String())
	}
	var runs []Run
	if err := json.Unmarshal(out, &runs); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	// The host's and the scene's baselines first, then each scenario
	// stalling and fixed.
	const baselines = 2
	if want := baselines + 2*len(scenarios) + len(problemScenarios); len(runs) != want {
		t.Fatalf("got %d runs, want %d", len(runs), want)
	}
	for i, want := range []Run{{Scenario: "host", Variant: "sleep loop"}, {Scenario: "idle", Variant: "baseline"}} {
		if b := runs[i]; b.Scenario != want.Scenario || b.Variant != want.Variant || unexpectedReports(t, b) || b.Error != "" || b.P99GapMS < 15 {
			t.Errorf("baseline run %d: %+v, want %s %s with frame gaps of at least a tick and no report", i, b, want.Scenario, want.Variant)
		}
	}
	for i, r := range runs[baselines+2*len(scenarios):] {
		checkProblem(t, r, problemScenarios[i])
	}
	checkFaults(t, sentry.Events())
	for i, r := range runs[baselines : baselines+2*len(scenarios)] {
		s := scenarios[i/2]
		if r.Scenario != s.name || r.Error != "" {
			t.Errorf("run %d: %+v", baselines+i, r)
			continue
		}
		switch r.Variant {
		case "stalling":
			checkReported(t, r, s)
		case "fixed":
			if unexpectedReports(t, r) {
				t.Errorf("%s fixed: %d reports %q, want none", s.name, r.Reports, r.Titles)
			}
		default:
			t.Errorf("run %d: variant %q", baselines+i, r.Variant)
		}
	}
	// The fixed load keeps frames well under the frozen-frame threshold
	// (700 ms): at most half of it, or, where the host took so much CPU
	// time that it stretched frames by itself, half of it more than the
	// scene alone's longest gap. The stalling load freezes for seconds.
	scene, stall, fixed := runs[1], runs[baselines], runs[baselines+1]
	limit := 350.0
	if hostTook(fixed, hostFreezes) {
		limit += scene.MaxGapMS
	}
	if fixed.MaxGapMS > limit || stall.MaxGapMS < 1000 {
		t.Errorf("load: max frame gap stalling %.0f ms, fixed %.0f ms (the scene alone %.0f ms); want seconds against at most %.0f ms",
			stall.MaxGapMS, fixed.MaxGapMS, scene.MaxGapMS, limit)
	}
	if info, err := os.Stat(shot); err != nil || info.Size() == 0 {
		t.Errorf("no screenshot: %v", err)
	}
}

// hostFreezes is the share of CPU time the hypervisor must take during a
// run before a report there is put down to the host. On the development VM,
// in a benchmark run that lost 12 to 33% of the CPU time, the scene alone,
// doing nothing, once stalled for 1.1 s and was rightly reported: a player
// would have seen that freeze too.
const hostFreezes = 25.0

// unexpectedReports tells whether a run that should cause no report has
// some, unless the host took so much CPU time during it that the freezes
// were its own; that case is logged.
func unexpectedReports(t *testing.T, r Run) bool {
	t.Helper()
	if r.Reports == 0 {
		return false
	}
	if hostTook(r, hostFreezes) {
		t.Logf("%s %s: %d reports %q while the hypervisor took %.0f%% of the CPU time; not held against the demo", r.Scenario, r.Variant, r.Reports, r.Titles, *r.StealPct)
		return false
	}
	return true
}

// hostTook tells whether the hypervisor took at least pct percent of the
// CPU time during r.
func hostTook(r Run, pct float64) bool { return r.StealPct != nil && *r.StealPct >= pct }

func checkReported(t *testing.T, r Run, s *scenario) {
	t.Helper()
	// The load may also be reported a second time, between phases, when
	// Ebitengine uploads the images it created: that freeze is real too.
	want := ": " + s.culprit + ": Update blocked for at least "
	for _, title := range r.Titles {
		if strings.Contains(title, want) && strings.HasSuffix(title, "("+s.expectClass+")") {
			return
		}
		// A hang is reported when it reaches the Hang threshold, from the
		// samples so far: the load's first seconds may be mostly
		// the loader's working-set pass, touch.
		if s.name == "load" && thrashTitle(title) {
			return
		}
	}
	t.Errorf("%s stalling: %d reports %q; want one blaming %s with class %s", s.name, r.Reports, r.Titles, s.culprit, s.expectClass)
}

// checkProblem checks a run of a scenario that is not a frame stall: its
// report, once, and no other report of a load or an unusable game. A
// frozen frame of the host's (Ebitengine's render thread on a loaded
// machine) is not held against it.
func checkProblem(t *testing.T, r Run, s *scenario) {
	t.Helper()
	if r.Scenario != s.name || r.Variant != "reported" || r.Error != "" {
		t.Errorf("%s: run %+v", s.name, r)
		return
	}
	mine, problems := 0, 0
	for _, title := range r.Titles {
		if strings.HasPrefix(title, s.expectTitle) {
			mine++
		}
		for _, typ := range []string{report.TypeLoadFailed, report.TypeLoadingStalled, report.TypeGameUnusable} {
			if strings.HasPrefix(title, typ+": ") {
				problems++
			}
		}
	}
	if mine != 1 || problems != 1 || r.Reports < 1 {
		t.Errorf("%s: %d reports %q; want one titled %q", s.name, r.Reports, r.Titles, s.expectTitle)
	}
}

// checkFaults checks that the thrashing load's stall, as Sentry received
// it, counted major page faults and was classed by them (or cpu, on a
// machine too busy to tell): its reads waited for the disk.
func checkFaults(t *testing.T, evs []*sentrytest.Event) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return
	}
	var titles []string
	for _, ev := range evs {
		title := ev.Title()
		titles = append(titles, title)
		if !thrashTitle(title) {
			continue
		}
		if f, _ := ev.Contexts["stall"]["major_page_faults"].(float64); f <= 0 {
			t.Errorf("%s: major_page_faults %v, want more than 0", title, ev.Contexts["stall"]["major_page_faults"])
		}
		// With every CPU busy (make test runs packages side by side), the
		// reads wait mostly for a CPU, and the counters cannot tell them
		// from computing: the watchdog's own tests check that edge.
		switch class := ev.Contexts["stall"]["class"]; class {
		case thrashClass:
		case "cpu":
			t.Logf("%s: classed cpu, not %s: the CPUs were busy", title, thrashClass)
		default:
			t.Errorf("%s: class %v, want %s: its reads waited for the disk", title, class, thrashClass)
		}
		return
	}
	t.Errorf("Sentry got no report of the thrashing load; got %q", titles)
}

// thrashTitle tells whether a report blames the thrashing load's reads:
// the page reads themselves (readPages), its working-set pass (touch), or
// the eviction of its pages (evict), which the sampler may catch more
// often than the faults that follow it.
func thrashTitle(title string) bool {
	for _, fn := range []string{"main.readPages", "main.touch", "main.(*pack).evict"} {
		if strings.Contains(title, ": "+fn+": Update blocked for at least ") {
			return true
		}
	}
	return false
}
