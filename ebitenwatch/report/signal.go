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
// an unhandled Ctrl+C).
//
// It is opt-in, for programs that leave these signals to Go's default (exit
// at once). A program that handles them itself should call Close from its
// own handler instead. stop undoes FlushOnSignal; it is safe to call more
// than once.
func (r *Reporter) FlushOnSignal(sigs ...os.Signal) (stop func()) {
	if len(sigs) == 0 {
		sigs = defaultSignals
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	quit := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			func() {
				defer r.recoverLog("FlushOnSignal")
				r.o.Logger.Info("signal during play: flushing reports before exit", "signal", sig.String())
				r.Close()
			}()
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
