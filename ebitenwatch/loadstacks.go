package ebitenwatch

import (
	"bytes"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// loadLabel is the pprof label that workslicer puts on the goroutine
// running a load's Fetch, with the load's key.
const loadLabel = "workslicer.load"

// loadWorkers returns the goroutines running the Fetch of the load key: a
// goroutine profile finds the stacks that carry its pprof label, and a
// full dump taken right after gives each its ID and state ("IO wait"). A
// stack that moved in between is kept as the profile saw it, with ID 0.
func loadWorkers(key string, rule watchdog.InAppRule) []watchdog.Goroutine {
	var prof bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&prof, 1); err != nil {
		return nil
	}
	labelled := labelledStacks(prof.Bytes(), strconv.Quote(loadLabel)+":"+strconv.Quote(key), rule)
	if len(labelled) == 0 {
		return nil
	}
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= 64<<20 {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	dump, _ := watchdog.ParseDump(buf, rule)
	out := make([]watchdog.Goroutine, 0, len(labelled))
	used := map[int]bool{}
	for _, frames := range labelled {
		g := watchdog.Goroutine{Frames: frames}
		for _, d := range dump {
			if !used[d.ID] && sameStack(d.Frames, frames) {
				g, used[d.ID] = d, true
				break
			}
		}
		out = append(out, g)
	}
	// Goroutines started by a Fetch carry its label too (an HTTP
	// connection's readers): the Fetch itself, under pprof.Do, goes first.
	slices.SortStableFunc(out, func(a, b watchdog.Goroutine) int {
		return boolInt(!runsFetch(a)) - boolInt(!runsFetch(b))
	})
	return out
}

func runsFetch(g watchdog.Goroutine) bool {
	return slices.ContainsFunc(g.Frames, func(f watchdog.Frame) bool { return f.Function == "runtime/pprof.Do" })
}

// labelledStacks parses a goroutine profile written with debug=1 and
// returns the stacks, innermost first, whose labels contain label (a
// quoted key, a colon and a quoted value), one per goroutine.
func labelledStacks(profile []byte, label string, rule watchdog.InAppRule) [][]watchdog.Frame {
	var out [][]watchdog.Frame
	for _, rec := range strings.Split(string(profile), "\n\n") {
		lines := strings.Split(rec, "\n")
		count, _, ok := strings.Cut(lines[0], " @ ")
		n, err := strconv.Atoi(count)
		if !ok || err != nil {
			continue
		}
		matched := false
		var frames []watchdog.Frame
		for _, l := range lines[1:] {
			if labels, ok := strings.CutPrefix(l, "# labels: "); ok {
				matched = strings.Contains(labels, label+",") || strings.Contains(labels, label+"}")
			} else if f, ok := profileFrame(l, rule); ok {
				frames = append(frames, f)
			}
		}
		for range n * boolInt(matched) {
			out = append(out, frames)
		}
	}
	return out
}

// profileFrame parses a frame line of a debug=1 profile:
// "#\t0x4c8770\tpkg.fn+0xb0\t/path/file.go:851".
func profileFrame(l string, rule watchdog.InAppRule) (watchdog.Frame, bool) {
	fields := strings.Split(strings.TrimPrefix(l, "#\t"), "\t")
	if !strings.HasPrefix(l, "#\t") || len(fields) < 3 {
		return watchdog.Frame{}, false
	}
	fn := fields[1]
	if i := strings.LastIndex(fn, "+0x"); i > 0 {
		fn = fn[:i]
	}
	loc := strings.TrimSpace(fields[len(fields)-1])
	i := strings.LastIndexByte(loc, ':')
	if i < 0 {
		return watchdog.Frame{}, false
	}
	line, _ := strconv.Atoi(loc[i+1:])
	return watchdog.Frame{Function: fn, File: loc[:i], Line: line, InApp: rule.Match(fn)}, true
}

// sameStack reports whether a dumped stack is a profiled one: the same
// functions and lines once the runtime's innermost frames, which the two
// show differently, are left out of both.
func sameStack(dumped, profiled []watchdog.Frame) bool {
	key := func(fs []watchdog.Frame) []string {
		for len(fs) > 0 && strings.HasPrefix(fs[0].Function, "runtime.") {
			fs = fs[1:]
		}
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = f.Function + ":" + strconv.Itoa(f.Line)
		}
		return out
	}
	a, b := key(dumped), key(profiled)
	return len(a) > 0 && slices.Equal(a, b)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
