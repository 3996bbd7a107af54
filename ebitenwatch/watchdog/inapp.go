package watchdog

import (
	"bytes"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/DataDog/gostackparse"
)

// libraryPrefix is framewatch's own import path. Its library packages are
// never the game's code, even when the game shares the module (the demo
// does), so their frames are never in-app.
const libraryPrefix = "github.com/framewatch/framewatch/"

var libraryPackages = []string{
	libraryPrefix + "ebitenwatch",
	libraryPrefix + "workslicer",
	libraryPrefix + "internal",
}

// InAppRule decides which functions are the game's own code. Reports mark
// those frames in-app, and a stall's culprit is the innermost of them.
//
// The zero InAppRule matches package main and the main module's packages,
// read from debug.ReadBuildInfo.
type InAppRule struct {
	prefixes []string
}

// NewInAppRule returns a rule that matches functions whose fully qualified
// name starts with any of prefixes, such as "example.com/mygame/". With no
// prefixes it is the zero rule. framewatch's own library packages never
// match.
func NewInAppRule(prefixes ...string) InAppRule {
	return InAppRule{prefixes: prefixes}
}

// defaultInAppPrefixes are package main plus the main module.
func defaultInAppPrefixes() []string {
	prefixes := []string{"main."}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path != "" {
		prefixes = append(prefixes, bi.Main.Path+".", bi.Main.Path+"/")
	}
	return prefixes
}

// Prefixes returns the prefixes r was made with; none for the zero rule.
func (r InAppRule) Prefixes() []string { return slices.Clone(r.prefixes) }

// IsZero reports whether r is the zero rule.
func (r InAppRule) IsZero() bool { return len(r.prefixes) == 0 }

func (r InAppRule) resolve() InAppRule {
	if len(r.prefixes) == 0 {
		r.prefixes = defaultInAppPrefixes()
	}
	return r
}

// Match reports whether function, fully qualified as in a goroutine dump,
// is in-app.
func (r InAppRule) Match(function string) bool {
	if len(r.prefixes) == 0 {
		r = r.resolve()
	}
	if isLibrary(function) {
		return false
	}
	for _, p := range r.prefixes {
		if strings.HasPrefix(function, p) {
			return true
		}
	}
	return false
}

// isLibrary reports whether function is in one of framewatch's library
// packages; their external tests ("…/watchdog_test.f") are not.
func isLibrary(function string) bool {
	for _, p := range libraryPackages {
		if !strings.HasPrefix(function, p) {
			continue
		}
		pkg := function[:packageEnd(function)]
		return !strings.HasSuffix(pkg, "_test")
	}
	return false
}

// packageEnd returns the index where the package path of a qualified
// function name ends: the first dot after the last slash.
func packageEnd(function string) int {
	slash := strings.LastIndexByte(function, '/')
	if dot := strings.IndexByte(function[slash+1:], '.'); dot >= 0 {
		return slash + 1 + dot
	}
	return len(function)
}

// ParseDump parses an all-goroutine dump in runtime.Stack format and marks
// in-app frames with rule. Goroutines the parser cannot read, such as the
// last one of a truncated dump, are skipped; the returned errors say why.
// Repeated function and file names share their strings.
func ParseDump(dump []byte, rule InAppRule) ([]Goroutine, []error) {
	rule = rule.resolve()
	parsed, errs := gostackparse.Parse(bytes.NewReader(normalizeHeaders(dump)))
	creator := creators(dump)
	var names interner
	gs := make([]Goroutine, len(parsed))
	for i, g := range parsed {
		gs[i] = Goroutine{
			ID:        g.ID,
			State:     g.State,
			Wait:      g.Wait,
			Frames:    convertFrames(g.Stack, rule, &names),
			CreatedIn: creator[g.ID],
		}
		if g.CreatedBy != nil {
			f := convertFrame(g.CreatedBy, rule, &names)
			gs[i].CreatedBy = &f
		}
	}
	return gs, errs
}

func convertFrames(in []*gostackparse.Frame, rule InAppRule, names *interner) []Frame {
	out := make([]Frame, len(in))
	for i, f := range in {
		out[i] = convertFrame(f, rule, names)
	}
	return out
}

func convertFrame(f *gostackparse.Frame, rule InAppRule, names *interner) Frame {
	return Frame{Function: names.get(f.Func), File: names.get(f.File), Line: f.Line, InApp: rule.Match(f.Func)}
}

// bubbleAnnotation matches what goroutine headers gain inside a
// testing/synctest bubble, which the parser does not know:
// "[sleep (durable), synctest bubble 1]".
var bubbleAnnotation = regexp.MustCompile(`(?m)^(goroutine \d+ \[[^\]]*?)(?: \(durable\))?((?:, [^\],]+)*?)(?:, synctest bubble \d+)(\]:)$`)

// normalizeHeaders removes synctest annotations from goroutine headers.
func normalizeHeaders(dump []byte) []byte {
	if !bytes.Contains(dump, []byte("synctest bubble")) {
		return dump
	}
	return bubbleAnnotation.ReplaceAll(dump, []byte("$1$2$3"))
}
