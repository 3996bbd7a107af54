package report

import (
	"bytes"
	"fmt"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

const consoleFrames = 24 // frames printed per stack

// print writes the readable block of a spooled report to Options.Console
// when there is no DSN. A panicking or failing Console is logged.
func (r *core) print(rec *record, path string) {
	if r.send != nil {
		return
	}
	defer r.recoverLog("Options.Console")
	var b bytes.Buffer
	fmt.Fprintf(&b, "framewatch: %s\n", rec.title())
	var frames []watchdog.Frame
	if st := rec.Stall; st != nil {
		if st.Tier == tierFatal {
			fmt.Fprintf(&b, "  %s blocked at least %s, class %s; the game was stopped during the stall\n", st.Phase, seconds(st.Duration), st.Class)
		} else {
			fmt.Fprintf(&b, "  %s blocked %s, class %s, tick %d, %d samples", st.Phase, seconds(st.Duration), st.Class, st.Tick, st.Samples)
			if state := st.state(); state != "" {
				fmt.Fprintf(&b, ", goroutine %d [%s]", st.Goroutine, state)
			}
			b.WriteByte('\n')
		}
		if len(st.Stacks) > 0 {
			frames = st.Stacks[0].Frames
		}
	} else if rec.Panic != nil {
		frames = rec.Panic.Frames
	} else if rec.Problem != nil {
		frames = rec.Problem.Frames
	} else if rec.Crash != nil {
		frames = rec.Crash.Frames
	}
	if len(frames) > 0 {
		b.WriteString("  stack, innermost first (* = your code):\n")
	}
	for i, f := range frames {
		if i == consoleFrames {
			fmt.Fprintf(&b, "      ... %d more\n", len(frames)-i)
			break
		}
		mark := " "
		if f.InApp {
			mark = "*"
		}
		fmt.Fprintf(&b, "    %s %s\n        %s:%d\n", mark, f.Function, f.File, f.Line)
	}
	fmt.Fprintf(&b, "  spooled: %s\n", path)
	b.WriteString("  not sent: no SENTRY_DSN; a run with one set sends it\n")
	if _, err := r.o.Console.Write(b.Bytes()); err != nil {
		r.o.Logger.Debug("writing to Options.Console", "err", err)
	}
}
