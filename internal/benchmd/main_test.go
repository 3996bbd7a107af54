package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

const sampleOutput = `goos: linux
BenchmarkFrame/bare-2         	213053215	         5.057 ns/op	       0 B/op	       0 allocs/op
BenchmarkFrame/bare-2         	158217332	         7.255 ns/op	       0 B/op	       0 allocs/op
BenchmarkFrame/bare-2         	220504279	         6.101 ns/op	       0 B/op	       0 allocs/op
BenchmarkChunk/body/tasks=1-2 	    1000	       278.0 ns/chunk	       104.0 ns/pull	         2.67 chunk/pull
PASS
`

func TestParseBench(t *testing.T) {
	r := parseBench([]byte(sampleOutput))
	if got := r.med("BenchmarkFrame/bare", "ns/op"); got != 6.101 {
		t.Errorf("median ns/op = %v, want 6.101", got)
	}
	if got := r.med("BenchmarkChunk/body/tasks=1", "chunk/pull"); got != 2.67 {
		t.Errorf("chunk/pull = %v, want 2.67 (custom metrics and the -N suffix)", got)
	}
	if got := r.cell("BenchmarkFrame/bare", nsOp); got != "6.10 (5.06–7.25)" {
		t.Errorf("cell = %q, want median and range", got)
	}
	if got := r.cell("BenchmarkFrame/bare", allocsOp); got != "0" {
		t.Errorf("cell of an unvarying figure = %q, want just the figure", got)
	}
	var b bytes.Buffer
	r.table(&b, []string{"BenchmarkFrame/bare"}, nsOp)
	if !strings.Contains(b.String(), "| `Frame/bare` | 6.10 (5.06–7.25) |") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestNum(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0, "0"}, {0.123, "0.12"}, {15.64, "15.6"}, {893.4, "893"}, {-42.1, "-42.1"}} {
		if got := num(c.v); got != c.want {
			t.Errorf("num(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// demoOutput is what two runs of `go run ./demo -script -json` print, cut
// to the rows the checks read.
const demoOutput = `[
  {"scenario": "host", "variant": "sleep loop", "max_gap_ms": 20, "p99_gap_ms": 17, "max_update_ms": 0, "max_draw_ms": 0, "load_ms": 0, "reports": 0, "titles": []},
  {"scenario": "idle", "variant": "baseline", "max_gap_ms": 30, "p99_gap_ms": 25, "max_update_ms": 0.1, "max_draw_ms": 2, "load_ms": 2500, "steal_pct": 3, "reports": 0, "titles": []},
  {"scenario": "load", "variant": "stalling", "max_gap_ms": 2100, "p99_gap_ms": 2100, "max_update_ms": 2000, "max_draw_ms": 1, "load_ms": 2000, "reports": 1, "titles": ["Frozen Frame: main.readAsset"]},
  {"scenario": "load", "variant": "fixed", "max_gap_ms": 40, "p99_gap_ms": 27, "max_update_ms": 1, "max_draw_ms": 2, "load_ms": 2100, "steal_pct": 4, "reports": 0, "titles": []}
]
[
  {"scenario": "host", "variant": "sleep loop", "max_gap_ms": 18, "p99_gap_ms": 17, "max_update_ms": 0, "max_draw_ms": 0, "load_ms": 0, "reports": 0, "titles": []},
  {"scenario": "idle", "variant": "baseline", "max_gap_ms": 20, "p99_gap_ms": 18, "max_update_ms": 0.1, "max_draw_ms": 2, "load_ms": 2500, "steal_pct": 1, "reports": 0, "titles": []},
  {"scenario": "load", "variant": "stalling", "max_gap_ms": 1900, "p99_gap_ms": 1900, "max_update_ms": 1800, "max_draw_ms": 1, "load_ms": 1800, "reports": 1, "titles": ["Frozen Frame: main.readAsset (2)"]},
  {"scenario": "load", "variant": "fixed", "max_gap_ms": 24, "p99_gap_ms": 21, "max_update_ms": 1, "max_draw_ms": 2, "load_ms": 1900, "steal_pct": 0, "reports": 0, "titles": []}
]
`

func TestRenderDemo(t *testing.T) {
	var b bytes.Buffer
	if err := renderDemo(&b, []byte(demoOutput)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// Rows without steal_pct (off Linux) show a dash.
		"| host | sleep loop | 19.0 (18.0–20.0) | 17.0 | – | – | – | – | 0 |  |",
		"| load | stalling | 2000 (1900–2100) | 2000 (1900–2100) | 1900 (1800–2000) | 1.00 | 1900 (1800–2000) | – | 1 | Frozen Frame: main.readAsset |",
		// A steal of 0 is a figure, not a missing one.
		"| load | fixed | 32.0 (24.0–40.0) | 24.0 (21.0–27.0) | 1.00 | 2.00 | 2000 (1900–2100) | 2.00 (0–4.00) | 0 |  |",
		// Medians of the two runs: p99 24 ms, max 32 ms; the scene alone 21.5 and 25.
		"- fixed load: p99 gap ≤ 20 ms and max ≤ 50 ms: **not met**. p99 24.0 ms, max 32.0 ms",
		// Run by run the load adds 2 and 3 ms to p99, and 10 and 4 ms to max.
		"p99 ≤ +3.33 ms and max ≤ +33.3 ms: **met**. +2.50 ms and +7.00 ms (medians of the runs' differences). The hypervisor took 2.00% of the CPU time during the fixed load and 2.00% during the scene alone.",
		// 2100/2000 and 1900/1800: 1.05 and 1.06.
		"- fixed load time ≤ 1.25× the stalling one: **met**. 2000 ms against 1900 ms; 1.05× (median of the runs' ratios).",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
}

func TestRenderDemoRejectsOutputWithoutRuns(t *testing.T) {
	whole := `{"scenario": "host", "variant": "sleep loop", "p99_gap_ms": 17}, {"scenario": "idle", "variant": "baseline", "p99_gap_ms": 18}, {"scenario": "load", "variant": "stalling", "load_ms": 2000}`
	for _, out := range []string{
		"", "panic: no display\n", `[{"scenario": "host", "variant": "sleep loop"}]`,
		// The first run is whole; the second has no fixed load, then a failed one.
		"[" + whole + `, {"scenario": "load", "variant": "fixed"}]` + "\n[" + whole + "]",
		"[" + whole + `, {"scenario": "load", "variant": "fixed", "error": "decode: bad PNG"}]`,
		// No host row.
		strings.Replace("["+whole+`, {"scenario": "load", "variant": "fixed"}]`, `"host"`, `"hots"`, 1),
	} {
		if err := renderDemo(io.Discard, []byte(out)); err == nil {
			t.Errorf("renderDemo(%q) = nil, want an error", out)
		}
	}
}

func TestCheckOnly(t *testing.T) {
	for _, c := range []struct {
		only, out string
		ok        bool
	}{
		{"", "BENCHMARKS.md", true},
		{"demo", "/tmp/demo.md", true},
		{"demo,watchdog", "/tmp/x.md", true},
		{"demo", "BENCHMARKS.md", false},
		{"demo", "../BENCHMARKS.md", false},
		{"dmeo", "/tmp/x.md", false},
	} {
		if err := checkOnly(c.only, c.out); (err == nil) != c.ok {
			t.Errorf("checkOnly(%q, %q) = %v, want ok %v", c.only, c.out, err, c.ok)
		}
	}
}
