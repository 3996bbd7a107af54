package main

import (
	"bytes"
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

func TestParseCPUTimes(t *testing.T) {
	got := parseCPUTimes("cpu  100 5 20 800 10 0 5 60 7 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
	if got != (cpuTimes{steal: 60, total: 1000}) {
		t.Errorf("parseCPUTimes = %+v, want steal 60 of 1000 ticks", got)
	}
	if got := parseCPUTimes("intr 1 2 3\n"); got != (cpuTimes{}) {
		t.Errorf("parseCPUTimes of a file without a cpu line = %+v, want zero", got)
	}
}
