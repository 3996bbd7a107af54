package report

import (
	"bytes"
	"fmt"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

const consoleFrames = 24 // frames printed per stack

// print writes the readable block for a spooled report to Options.Console
// when there is no DSN. s is nil for panics and fatal hangs.
func (r *Reporter) print(ev *sentry.Event, rec *record, s *watchdog.Stall, path string) {
	if r.send != nil {
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "framewatch: %s\n", rec.Title)
	if s != nil {
		fmt.Fprintf(&b, "  %s blocked %s, class %s, tick %d, %d samples", s.Phase, seconds(s.Duration), s.Class, s.Tick, s.Samples)
		if len(s.Stacks) > 0 && s.Stacks[0].State != "" {
			fmt.Fprintf(&b, ", goroutine %d [%s]", s.Goroutine, s.Stacks[0].State)
		}
		b.WriteByte('\n')
	} else if m := rec.Stall; m != nil {
		fmt.Fprintf(&b, "  %s blocked at least %s, class %s; the game was stopped during the stall\n", m.Phase, seconds(m.Duration), m.Class)
	}
	if len(ev.Exception) > 0 && ev.Exception[0].Stacktrace != nil {
		frames := ev.Exception[0].Stacktrace.Frames
		b.WriteString("  stack, innermost first (* = your code):\n")
		for i, n := len(frames)-1, 0; i >= 0; i, n = i-1, n+1 {
			if n == consoleFrames {
				fmt.Fprintf(&b, "      ... %d more\n", i+1)
				break
			}
			f := frames[i]
			mark := " "
			if f.InApp {
				mark = "*"
			}
			fn := f.Function
			if f.Module != "" {
				fn = f.Module + "." + f.Function
			}
			file := f.AbsPath
			if file == "" {
				file = f.Filename
			}
			fmt.Fprintf(&b, "    %s %s\n        %s:%d\n", mark, fn, file, f.Lineno)
		}
	}
	fmt.Fprintf(&b, "  spooled: %s\n", path)
	b.WriteString("  not sent: no SENTRY_DSN; a run with one set sends it\n")
	if _, err := r.o.Console.Write(b.Bytes()); err != nil {
		r.o.Logger.Debug("writing to Options.Console", "err", err)
	}
}
