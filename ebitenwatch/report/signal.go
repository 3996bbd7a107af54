package report

import (
	"os"
	"os/signal"
	"sync"
)

// FlushOnSignal makes the Reporter handle sigs (default: os.Interrupt and,
// on Unix, SIGTERM). On the first of them it calls Close, which reports
// stalls in progress as Fatal App Hang events and flushes for at most
// Options.FlushTimeout, and then re-raises the signal with Go's default
// handling restored, so the process exits exactly as it would have (on
// Windows, where a signal cannot be re-raised, it exits with the status of
// an unhandled Ctrl+C). A second signal during the flush exits at once.
//
// Signals that were ignored when the program started (SIGINT under nohup
// and similar launchers) are left ignored. It is opt-in, for programs that
// leave these signals to Go's default (exit at once). A program that
// handles them itself should call Close from its own handler instead. stop
// undoes FlushOnSignal; it is safe to call more than once and from any
// goroutine.
func (r *Reporter) FlushOnSignal(sigs ...os.Signal) (stop func()) {
	if len(sigs) == 0 {
		sigs = defaultSignals
	}
	var watched []os.Signal
	for _, s := range sigs {
		if !signal.Ignored(s) {
			watched = append(watched, s)
		}
	}
	if len(watched) == 0 {
		return func() {}
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, watched...)
	quit := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			r.o.Logger.Info("signal during play: flushing reports before exit", "signal", sig.String())
			closed := make(chan struct{})
			go func() {
				defer close(closed)
				r.Close() // Close recovers its own panics
			}()
			select {
			case <-closed:
			case sig = <-ch: // a second signal: exit now
			}
			signal.Stop(ch)
			reraise(sig)
		case <-quit:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(quit)
		})
	}
}
