package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/framewatch/framewatch/internal/demorun"
)

var sections = []section{
	{
		title: "watchdog",
		cmd:   []string{"go", "test", "-run", "^$", "-bench", ".", "-benchmem", "./ebitenwatch/watchdog"},
		intro: `
Enter+Exit is what every phase of every frame pays; the target is 30 ns and
no allocation, and it must not read the clock (one clock read is
` + "`TimeSince`" + `, in the same run). Anchors: sentry-unity's heartbeat is one
atomic write per beat, Unreal's takes a lock per beat.

A sample finds the stuck game goroutine and reads its stack.
` + "`method=stack`" + ` is how every sample was taken before: ` + "`runtime.Stack`" + ` of all
goroutines, which stops the world for the whole traceback, then parsing the
dump. ` + "`method=profile`" + ` is how samples are taken now:
` + "`runtime.GoroutineProfile`" + `, which stops the world only briefly and collects
the stacks while the program runs, then resolving the stuck goroutine's
record. stw is the stop-the-world time the runtime itself records
(` + "`/sched/pauses/total/other:seconds`" + `), cpu the process's user and system
CPU time. The anchor is golang/go#50794: about 300 ms of stop-the-world for
a dump of 100,000 goroutines. A stall still takes one ` + "`runtime.Stack`" + ` dump,
after it is reported and only up to ` + "`Options.MaxDumpGoroutines`" + ` (20,000).

Detection latency is real time from a phase blocking to its StallStarted,
against the 700 ms threshold, sampling from the 100 ms hitch threshold on.`,
		render: func(w io.Writer, out []byte) error {
			r := parseBench(out)
			r.table(w, []string{"BenchmarkEnterExit", "BenchmarkTimeSince"}, nsOp, bytesOp, allocsOp)
			var samples []string
			for _, n := range []string{"10", "1000", "10000"} {
				samples = append(samples, "BenchmarkSample/goroutines="+n+"/method=stack", "BenchmarkSample/goroutines="+n+"/method=profile")
			}
			samples = append(samples, "BenchmarkSample/goroutines=100000/method=profile")
			r.table(w, samples, col{"ns/op", 1e-6, "ms/op"}, col{"stw-ns/op", 1e-6, "stop-the-world ms/op"}, col{"cpu-ns/op", 1e-6, "CPU ms/op"})
			latencies := []string{"BenchmarkDetectionLatency/goroutines=10", "BenchmarkDetectionLatency/goroutines=10000", "BenchmarkDetectionLatency/goroutines=100000"}
			r.table(w, latencies, col{"latency-ms", 1, "detection ms"})
			r.table(w, []string{"BenchmarkFlightRecorder/recording=false", "BenchmarkFlightRecorder/recording=true"}, nsOp)
			r.table(w, []string{"BenchmarkFlightRecorderSnapshot"}, col{"ns/op", 1e-6, "ms/op"}, col{"bytes", 1.0 / (1 << 20), "MiB"})

			beat, clock := r.med("BenchmarkEnterExit", "ns/op"), r.med("BenchmarkTimeSince", "ns/op")
			fmt.Fprint(w, check("Enter+Exit ≤ 30 ns, 0 allocs", beat <= 30 && r.med("BenchmarkEnterExit", "allocs/op") == 0,
				fmt.Sprintf("%s ns, %s× one clock read in the same run.", num(beat), num(beat/clock))))
			const stack, profile = "BenchmarkSample/goroutines=10000/method=stack", "BenchmarkSample/goroutines=10000/method=profile"
			stwStack, stwProfile := r.med(stack, "stw-ns/op"), r.med(profile, "stw-ns/op")
			fmt.Fprint(w, check("stop-the-world per sample at 10,000 goroutines ≤ 1/20 of runtime.Stack's in the same run", stwProfile*20 <= stwStack,
				fmt.Sprintf("%s ms against %s ms, 1/%s.", num(stwProfile/1e6), num(stwStack/1e6), num(stwStack/stwProfile))))
			cpuStack, cpuProfile := r.med(stack, "cpu-ns/op"), r.med(profile, "cpu-ns/op")
			fmt.Fprint(w, check("CPU per sample at 10,000 goroutines ≤ half of the runtime.Stack sample's", cpuProfile*2 <= cpuStack,
				fmt.Sprintf("%s ms against %s ms.", num(cpuProfile/1e6), num(cpuStack/1e6))))
			for _, l := range latencies[1:] {
				ms := r.med(l, "latency-ms")
				fmt.Fprint(w, check("detection within the threshold + 10% at "+strings.TrimPrefix(l, "BenchmarkDetectionLatency/"), ms <= 770,
					fmt.Sprintf("%s ms against 700 ms.", num(ms))))
			}
			off, on := r.med("BenchmarkFlightRecorder/recording=false", "ns/op"), r.med("BenchmarkFlightRecorder/recording=true", "ns/op")
			fmt.Fprintf(w, "- The flight recorder adds %s%% to a worst case in which every operation is a traced event (a channel hand-off and a 256-byte allocation); it records all the time, so taking its snapshot only at a stall's end would not change that. A snapshot costs %s ms and %s MiB per stall; the sampling goroutine takes it after StallStarted, so it never delays detection. It is off by default (`Options.FlightRecorder`).\n\n",
				num(100*(on/off-1)), num(r.med("BenchmarkFlightRecorderSnapshot", "ns/op")/1e6), num(r.med("BenchmarkFlightRecorderSnapshot", "bytes")/(1<<20)))
			return nil
		},
	},
	{
		title: "ebitenwatch",
		cmd:   []string{"go", "test", "-run", "^$", "-bench", "Frame", "-benchmem", "./ebitenwatch"},
		intro: `
One Layout, Update and Draw of an empty game, bare and wrapped; the
difference is what the Watcher adds to a frame (the overlay off). Its floor
is the six atomic stores of three Enter/Exit pairs. Whether the overlay
allocates is a test, not a benchmark: ` + "`TestOverlayDoesNotAllocate`" + ` counts the
allocations of ebitenwatch's own code over 120 real frames under Xvfb, and
requires none.`,
		render: func(w io.Writer, out []byte) error {
			r := parseBench(out)
			r.table(w, []string{"BenchmarkFrame/bare", "BenchmarkFrame/wrapped"}, nsOp, bytesOp, allocsOp)
			bare, wrapped := r.med("BenchmarkFrame/bare", "ns/op"), r.med("BenchmarkFrame/wrapped", "ns/op")
			fmt.Fprint(w, check("wrapper overhead ≤ 75 ns per frame, 0 allocs", wrapped-bare <= 75 && r.med("BenchmarkFrame/wrapped", "allocs/op") == 0,
				fmt.Sprintf("%s ns over bare, %s%% of a 60 FPS frame.", num(wrapped-bare), strings.TrimRight(fmt.Sprintf("%.5f", 100*(wrapped-bare)/16.7e6), "0"))))
			fmt.Fprintln(w)
			return nil
		},
	},
	{
		title: "workslicer",
		cmd:   []string{"go", "test", "-run", "^$", "-bench", "Chunk|Pull|IdleFrame|Policy|FetchQueue|FinishQueue|Upload|NewTexture", "-benchmem", "./workslicer", "./workslicer/ebitenimage"},
		intro: `
A chunk is one resumption of a task; ` + "`body`" + ` tasks run as coroutines
(` + "`iter.Pull`" + `), ` + "`step`" + ` tasks are plain calls. The target is 150 ns per chunk
against a bare ` + "`iter.Pull`" + ` round trip of 65 ns (measured when the target was
set), that is at most 2.3× the pull, so ` + "`BenchmarkChunk`" + ` alternates each 1 ms frame of chunks with as many
bare pulls and reports the ratio of the two, measured side by side.

` + "`BenchmarkPolicy`" + ` simulates, on a clock advanced by each chunk's cost and by
the rest of a 60 Hz frame, ten tasks of 400 chunks against a 4 ms budget:
80% of chunks cost about 0.3 ms and 20% about 3 ms (each ±33%). Naive runs
the oldest task's chunks until the budget is spent; admit runs the next
chunk only if its predicted cost fits; workslicer is the Scheduler, which
also packs other tasks' chunks into what the oldest leaves. In "kinds" the
cheap and expensive chunks belong to different task kinds; in "mixed" every
task mixes both at random, so no prediction can tell a chunk's cost. The
target: at most half of naive's frames over budget, in at most 1.5× its
frames. dev is ` + "`Options.Deviations`" + `, the prediction margin (default 1.5).
Naive is the policy of Unreal's async loading (a soft limit checked between
steps), the 4 ms budget Unity's default.

` + "`BenchmarkFetchQueue`" + ` queues 1,000 to 100,000 loads at once, of all three
priorities, with a Fetch that does nothing, on two workers, while the game
goroutine runs 1 ms frames and joins a held load with ` + "`Load`" + ` in each, which
takes the scheduler's mutex. The target is O(log n) per load: the time per
load at 100,000 loads at most twice that at 10,000, and no Load call
waiting 2 ms or more (a queue scanned whole per fetch took 28 µs per load
and waited 6.3 ms at 100,000; 719 µs and 53 ms under -race).
` + "`BenchmarkFinishQueue`" + ` gives the same loads a Finish of one empty chunk, so
that up to 100,000 wait for the game goroutine, which runs 1 ms frames
with the default 4 ms budget; the target is the same. Choosing each chunk
by a scan of every waiting task took 1.7 ms per load at 100,000 (171 s in
28,526 frames, the longest Run 171 ms).

` + "`BenchmarkUpload`" + ` (package ebitenimage, under Xvfb) is what the game goroutine
spends, inside ` + "`Scheduler.Run`" + `, per MiB written into an ` + "`*ebiten.Image`" + ` from
a decoded 1024×1024 image in 256 KiB bands. Before is the earlier path,
rebuilt in the benchmark: each band converted with ` + "`draw.Draw`" + ` on the game
goroutine, then written; after is ` + "`Upload`" + ` of the image that ` + "`ToRGBA`" + `
converted beforehand, as ` + "`Load`" + ` does on its worker. Both run in every
iteration; worker is the conversion moved off the game goroutine. The
target: the game goroutine spends at most half as long per MiB.

` + "`BenchmarkNewTexture`" + ` (no target) times the frame's flush of one 512 KiB band
written into a 1536×720 texture, the size of the demo's backgrounds: into
one that exists, and as the first write into a new one, when the texture's
memory is allocated. No slicing spreads that: a load pays it once per
texture, in one frame.`,
		render: func(w io.Writer, out []byte) error {
			r := parseBench(out)
			var chunks []string
			for _, style := range []string{"body", "step"} {
				for _, n := range []string{"1", "10"} {
					chunks = append(chunks, "BenchmarkChunk/"+style+"/tasks="+n)
				}
			}
			r.table(w, chunks, col{"ns/chunk", 1, "ns/chunk"}, col{"ns/pull", 1, "ns/pull (same run)"}, col{"chunk/pull", 1, "chunk ÷ pull"})
			r.table(w, []string{"BenchmarkPull", "BenchmarkIdleFrame"}, nsOp, allocsOp)
			var policies []string
			for _, sc := range []string{"kinds", "mixed"} {
				policies = append(policies, "BenchmarkPolicy/"+sc+"/naive")
				for _, dev := range []string{"1.5", "2"} {
					policies = append(policies, "BenchmarkPolicy/"+sc+"/admit/dev="+dev, "BenchmarkPolicy/"+sc+"/workslicer/dev="+dev)
				}
			}
			r.table(w, policies, col{"frames", 1, "frames"}, col{"over-%", 1, "% of frames over budget"})

			ratio := r.med("BenchmarkChunk/body/tasks=1", "chunk/pull")
			fmt.Fprint(w, check("≤ 150 ns per chunk against a 65 ns pull (≤ 2.3×), coroutine switch included", ratio <= 150.0/65,
				fmt.Sprintf("%s ns here, %s× the bare pull of the same run (%s ns).",
					num(r.med("BenchmarkChunk/body/tasks=1", "ns/chunk")), num(ratio), num(r.med("BenchmarkChunk/body/tasks=1", "ns/pull")))))
			for _, sc := range []string{"kinds", "mixed"} {
				naive, ws := "BenchmarkPolicy/"+sc+"/naive", "BenchmarkPolicy/"+sc+"/workslicer/dev=1.5"
				frames := r.med(ws, "frames") / r.med(naive, "frames")
				over, naiveOver := r.med(ws, "over-%"), r.med(naive, "over-%")
				fmt.Fprint(w, check(fmt.Sprintf("%q: ≤ ½ naive's overruns in ≤ 1.5× its frames", sc), over <= naiveOver/2 && frames <= 1.5,
					fmt.Sprintf("%s%% of frames over budget against naive's %s%%, in %s× its frames.", num(over), num(naiveOver), num(frames))))
			}
			fmt.Fprintln(w)
			queues := []string{"BenchmarkFetchQueue/loads=1000", "BenchmarkFetchQueue/loads=10000", "BenchmarkFetchQueue/loads=100000"}
			r.table(w, queues, col{"ns/load", 1e-3, "µs per load"}, col{"max-wait-ms", 1, "longest Load on the game goroutine, ms"})
			per10k, per100k := r.med(queues[1], "ns/load"), r.med(queues[2], "ns/load")
			wait := r.med(queues[2], "max-wait-ms")
			fmt.Fprint(w, check("fetch queue: per load at 100,000 ≤ 2× at 10,000, game goroutine's Load < 2 ms", per100k <= 2*per10k && wait < 2,
				fmt.Sprintf("%s µs per load at 100,000 against %s at 10,000 (%s×); longest Load %s ms.",
					num(per100k/1e3), num(per10k/1e3), num(per100k/per10k), num(wait))))
			fmt.Fprintln(w)
			finishes := []string{"BenchmarkFinishQueue/loads=1000", "BenchmarkFinishQueue/loads=10000", "BenchmarkFinishQueue/loads=100000"}
			r.table(w, finishes, col{"ns/load", 1e-3, "µs per load"}, col{"frames", 1, "frames"}, col{"max-run-ms", 1, "longest Run, ms"})
			per10k, per100k = r.med(finishes[1], "ns/load"), r.med(finishes[2], "ns/load")
			fmt.Fprint(w, check("finish queue: per load at 100,000 ≤ 2× at 10,000", per100k <= 2*per10k,
				fmt.Sprintf("%s µs per load at 100,000 against %s at 10,000 (%s×), in %s frames; longest Run %s ms.",
					num(per100k/1e3), num(per10k/1e3), num(per100k/per10k), num(r.med(finishes[2], "frames")), num(r.med(finishes[2], "max-run-ms")))))
			fmt.Fprintln(w)
			uploads := []string{"BenchmarkUpload/src=nrgba", "BenchmarkUpload/src=paletted"}
			r.table(w, uploads, col{"before-game-ms/MiB", 1, "before: game ms/MiB"}, col{"after-game-ms/MiB", 1, "after: game ms/MiB"},
				col{"after/before", 1, "after ÷ before"}, col{"worker-ms/MiB", 1, "after: worker ms/MiB"})
			for _, u := range uploads {
				ratio := r.med(u, "after/before")
				fmt.Fprint(w, check(fmt.Sprintf("%s: game goroutine ≤ ½ its time per MiB before", strings.TrimPrefix(u, "BenchmarkUpload/")), ratio <= 0.5,
					fmt.Sprintf("%s ms/MiB against %s before (%s×).", num(r.med(u, "after-game-ms/MiB")), num(r.med(u, "before-game-ms/MiB")), num(ratio))))
			}
			fmt.Fprintln(w)
			r.table(w, []string{"BenchmarkNewTexture"}, col{"existing-ms", 1, "band into an existing texture, ms"}, col{"new-ms", 1, "first band into a new texture, ms"})
			return nil
		},
	},
	{
		title: "report",
		cmd:   []string{"go", "test", "-run", "^$", "-bench", "StallStarted|LiveRefresh", "-benchtime", "20x", "-benchmem", "./ebitenwatch/report"},
		intro: `
What a stall with a dump of 10,000 goroutines costs the reporter.
` + "`StallStarted`" + ` is the watchdog goroutine's share: the time before it can take
its next sample. It only queues the stall; the reporter's writer goroutine
encodes it and writes the live record (` + "`LiveRefresh`" + `, also what each
refresh of a lasting stall costs, at least once a second). Before the writer
goroutine (commit 84f4772), StallStarted encoded and fsynced the record
itself: 18 to 36 ms per call (median 23 ms) in the same benchmark on this VM,
with a 3.3 MB dump.`,
		render: func(w io.Writer, out []byte) error {
			r := parseBench(out)
			r.table(w, []string{"BenchmarkStallStarted", "BenchmarkLiveRefresh"}, col{"ns/op", 1e-6, "ms/op"})
			started := r.med("BenchmarkStallStarted", "ns/op") / 1e6
			fmt.Fprint(w, check("StallStarted ≤ 1 ms on the watchdog goroutine at 10,000 goroutines", started <= 1,
				fmt.Sprintf("%s ms, against about 23 ms before.", num(started))))
			fmt.Fprintln(w)
			return nil
		},
	},
	{
		title:  "demo",
		cmd:    []string{"go", "run", "./demo", "-script", "-json"},
		repeat: 3,
		intro: `
The demo's script runs every scenario, stalling then fixed, in a real
Ebitengine window (under Xvfb with Mesa's software renderer when there is
no display). A frame gap is the time between the starts of consecutive
ticks, which is what a player sees; busy times are the longest Update
(workslicer's chunks included) and Draw (the overlay included); load
time runs from the tick that starts a run to the first tick after the
frame that shows its result. Two
baselines come first: host, a loop that only sleeps from one 60 Hz tick
to the next, before the window opens, is the floor this machine puts
under any frame loop; idle, the scene alone with no work, adds what
drawing and presenting cost here. Each row gives the CPU time the
hypervisor took during it. The script runs three times. The targets are
for the fixed thrashing load: p99 gap ≤ 20 ms, max gap ≤ 50 ms, and a
total load time at most 1.25× the stalling load's. Since on this VM even
the scene alone often misses a tick, a second check holds the fixed load,
run by run, to what those targets allow over a tick (16.7 ms) on top of
the scene alone in the same run.`,
		render: renderDemo,
	},
}

// renderDemo writes the demo's table, medians over the script's runs, and
// its checks.
func renderDemo(w io.Writer, out []byte) error {
	runs, err := decodeDemoRuns(out)
	if err != nil {
		return err
	}
	r, order, titles := results{}, []string{}, map[string][]string{}
	for i, run := range runs {
		// The rows the checks compare, which every run must have whole.
		byKey := map[string]demorun.Run{}
		for _, x := range run {
			byKey[x.Scenario+"/"+x.Variant] = x
		}
		for _, key := range []string{"host/sleep loop", "idle/baseline", "load/stalling", "load/fixed"} {
			if x, ok := byKey[key]; !ok || x.Error != "" {
				return fmt.Errorf("demo run %d: no %s row, or it failed (%q):\n%s", i+1, key, x.Error, out)
			}
		}
		for _, x := range run {
			key := x.Scenario + "/" + x.Variant
			if r[key] == nil {
				r[key], order, titles[key] = map[string][]float64{}, append(order, key), x.Titles
			}
			for unit, v := range map[string]float64{"max": x.MaxGapMS, "p99": x.P99GapMS, "upd": x.MaxUpdMS,
				"draw": x.MaxDrawMS, "load": x.LoadMS, "reports": float64(x.Reports)} {
				r[key][unit] = append(r[key][unit], v)
			}
			if x.StealPct != nil {
				r[key]["steal"] = append(r[key]["steal"], *x.StealPct)
			}
		}
		// What the fixed load adds to the scene alone, run by run.
		fixed, stalling, scene := byKey["load/fixed"], byKey["load/stalling"], byKey["idle/baseline"]
		r["load/fixed"]["p99-over-scene"] = append(r["load/fixed"]["p99-over-scene"], fixed.P99GapMS-scene.P99GapMS)
		r["load/fixed"]["max-over-scene"] = append(r["load/fixed"]["max-over-scene"], fixed.MaxGapMS-scene.MaxGapMS)
		r["load/fixed"]["load-ratio"] = append(r["load/fixed"]["load-ratio"], fixed.LoadMS/stalling.LoadMS)
	}
	ms := func(unit string) col { return col{unit, 1, unit} }
	fmt.Fprintln(w, "| scenario | variant | max gap, ms | p99 gap, ms | max Update, ms | max Draw, ms | load time, ms | CPU stolen, % | reports | titles (first run) |\n|---|---|---|---|---|---|---|---|---|---|")
	for _, key := range order {
		scenario, variant, _ := strings.Cut(key, "/")
		cells := []string{scenario, variant}
		for _, unit := range []string{"max", "p99", "upd", "draw", "load", "steal"} {
			c := r.cell(key, ms(unit))
			if c == "0" && unit != "steal" || c == "" {
				c = "–" // the host's loop has no Update, Draw or load; steal is unknown off Linux
			}
			cells = append(cells, c)
		}
		reports := r[key]["reports"]
		cells = append(cells, fmt.Sprint(slices.Min(reports)))
		if hi := slices.Max(reports); hi != slices.Min(reports) {
			cells[len(cells)-1] += fmt.Sprintf("–%v", hi)
		}
		fmt.Fprintf(w, "| %s | %s |\n", strings.Join(cells, " | "), strings.Join(titles[key], "; "))
	}
	fmt.Fprintln(w)

	p99, longest := r.med("load/fixed", "p99"), r.med("load/fixed", "max")
	fmt.Fprint(w, check("fixed load: p99 gap ≤ 20 ms and max ≤ 50 ms", p99 <= 20 && longest <= 50,
		fmt.Sprintf("p99 %s ms, max %s ms, while the stalling load froze for %s ms. The scene alone: p99 %s ms, max %s ms; the host's sleep loop: p99 %s ms, max %s ms.",
			num(p99), num(longest), num(r.med("load/stalling", "max")), num(r.med("idle/baseline", "p99")), num(r.med("idle/baseline", "max")),
			num(r.med("host/sleep loop", "p99")), num(r.med("host/sleep loop", "max")))))
	const tick = 1000.0 / 60
	overP99, overMax := r.med("load/fixed", "p99-over-scene"), r.med("load/fixed", "max-over-scene")
	stolen := ""
	if len(r["load/fixed"]["steal"]) > 0 {
		stolen = fmt.Sprintf(" The hypervisor took %s%% of the CPU time during the fixed load and %s%% during the scene alone.",
			num(r.med("load/fixed", "steal")), num(r.med("idle/baseline", "steal")))
	}
	fmt.Fprint(w, check(fmt.Sprintf("fixed load over the scene alone in the same run: p99 ≤ +%s ms and max ≤ +%s ms", num(20-tick), num(50-tick)),
		overP99 <= 20-tick && overMax <= 50-tick,
		fmt.Sprintf("%s ms and %s ms (medians of the runs' differences).%s", signed(overP99), signed(overMax), stolen)))
	ratio := r.med("load/fixed", "load-ratio")
	fmt.Fprint(w, check("fixed load time ≤ 1.25× the stalling one", ratio <= 1.25,
		fmt.Sprintf("%s ms against %s ms; %s× (median of the runs' ratios).", num(r.med("load/fixed", "load")), num(r.med("load/stalling", "load")), num(ratio))))
	fmt.Fprintln(w)
	return nil
}

// decodeDemoRuns reads the JSON arrays that the demo's runs printed one
// after the other.
func decodeDemoRuns(out []byte) ([][]demorun.Run, error) {
	var runs [][]demorun.Run
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var run []demorun.Run
		err := dec.Decode(&run)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the demo's output is not JSON runs: %v\n%s", err, out)
		}
		runs = append(runs, run)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("no JSON runs in the demo's output:\n%s", out)
	}
	return runs, nil
}

// signed prints a figure with its sign.
func signed(v float64) string {
	if v >= 0 {
		return "+" + num(v)
	}
	return num(v)
}
