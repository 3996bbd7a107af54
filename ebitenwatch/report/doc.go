// Package report turns stalls found by package watchdog into Sentry events,
// keeps them in a durable on-disk spool until a server accepts them, and
// prints them to the console when no Sentry DSN is set.
//
// A Reporter is a watchdog.Sink:
//
//	rep, err := report.New(report.Options{}) // DSN from $SENTRY_DSN, if set
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer rep.Close()
//	// pass rep as the watchdog's Sink; ebitenwatch does this for you
//
// Each stalled frame becomes one event: exception type "Frozen Frame"
// (level warning) or "App Hanging" (level error), mechanism AppHang, the
// stuck goroutine's most sampled stack as the stack trace with only the
// game's frames marked in-app, every goroutine as a thread, and the
// goroutine dump, folded samples and flight-recorder trace as attachments.
// Its fingerprint is the tier, the phase and the innermost in-app functions
// of that stack, so each place the game freezes is one Sentry issue whose
// event count says how often.
//
// Every report is written to the spool before anything else happens, and
// deleted only after the server answered 2xx. A stall is spooled as soon as
// it is detected; if the process dies before the frame returns (the player
// closed or killed the frozen game), the next New on the same spool sends it
// as a "Fatal App Hang" (level fatal, unhandled).
//
// # Delivery
//
// Delivery goes through sentry-go: a Client with sentry-go's synchronous
// HTTP transport, run on the Reporter's own goroutine. sentry-go handles
// 429, Retry-After and X-Sentry-Rate-Limits; the Reporter waits until the
// limit ends. Network errors are retried with exponential backoff, in this
// run and the next. A report the server refuses (4xx) or fails on three
// times (5xx) is moved to the spool's failed/ folder and logged, so that it
// is neither lost silently nor resent forever; unreadable files go to
// corrupt/.
//
// Spotlight (Sentry's local development UI) works as a DSN:
// http://public@127.0.0.1:PORT/0. `make spotlight` starts one.
package report
