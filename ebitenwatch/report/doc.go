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
// # Reports
//
// Each stall, panic or crash becomes one record: its tier, phase, folded samples,
// culprit, class, runtime counters, attachments (goroutine dump, folded
// samples, flight-recorder trace) and the caller's scope. The record is
// what the spool stores and the console prints; one function maps it to
// the Sentry event when it is sent. A stall's event has exception type
// "Frozen Frame" (level warning), "App Hanging" (level error) or "Fatal App
// Hang" (level fatal, unhandled), mechanism AppHang, the stuck goroutine's
// most sampled stack with only the game's frames marked in-app, and every
// goroutine as a thread. Its fingerprint is the tier, the phase and the
// innermost in-app functions of that stack, so each place the game freezes
// is one Sentry issue whose event count says how often.
//
// # When each event is sent
//
// One stall is one event, whose ID is fixed when the stall is detected:
//
//   - A stall is spooled as in progress when it is detected, and that live
//     record is rewritten with everything sampled so far at least every
//     second while the stall lasts. The watchdog goroutine only queues the
//     stall; the Reporter's writer goroutine encodes and writes it.
//   - A stall that ends before the Hang threshold is sent when it ends, as
//     a Frozen Frame.
//   - A stall that reaches the Hang threshold is sent at once, within a
//     second and while the game is still stuck, as an App Hanging with the
//     samples so far. When it later ends, nothing more is sent: its final
//     duration goes to Stats.LongestStall (and ebitenwatch's session
//     summary) and the log.
//   - A stall whose process dies during it (killed, crashed), or that is in
//     progress at Close or at FlushOnSignal's SIGINT or SIGTERM, is sent as
//     a Fatal App Hang, as the live record last had it: where the game was
//     at most a second before it died. Close and FlushOnSignal send it at
//     once; after a kill, the next New on the same spool sends it (or
//     ebitenwatch's guardian process, within seconds of the death). If its
//     App Hanging was already sent, the Fatal App Hang is a second event,
//     with its own ID, its final duration and contexts.stall.hang_event_id
//     naming the App Hanging: players kill frozen games, and the kill is
//     the fact that matters most.
//   - A crash another process wrote as crash output (ReportCrash) is sent
//     as one event, type "panic", "runtime.Error" or "fatal error".
//   - A panic in a phase (ReportPanic) is sent at once.
//
// # Delivery
//
// Every report is written to the spool before anything else happens, and
// deleted only after the server answered 2xx. Delivery goes through
// sentry-go's synchronous HTTP transport on the Reporter's own goroutine,
// oldest report first. sentry-go handles 429, Retry-After and
// X-Sentry-Rate-Limits; the Reporter waits until the limit ends. After a
// network error or a 5xx, that report is retried with its own exponential
// backoff, in this run and the next ones, for as long as Sentry accepts the
// event (30 days); newer reports still go out (a pass stops only after two
// failures in a row, when the network itself is likely down). A report the
// server rejects as invalid (4xx other than 429) is moved to the spool's
// failed/ folder and logged; an unreadable file goes to corrupt/. Each
// report dropped or set aside is counted in the spool, and the next event
// the server accepts carries the count (its "framewatch" context,
// spool_dropped_before), in this run or a later one.
//
// Any process may read the spool, and two may share one: a live record is
// locked by its process while it lives, and each report is sent once.
// Flush, ReportPanic, Close and the FlushOnSignal handler wait for delivery
// at most Options.FlushTimeout, and less when what is left cannot be sent
// in that time. If the game called sentry.Init, its hub (DSN, options and
// scope) is used unless Options says otherwise.
//
// # Release health
//
// With Options.Session, a DSN and a release, each run is one Sentry
// session (the "session" envelope item of Sentry's developer docs), so
// Sentry's Release Health counts crash-free and frozen sessions and
// session length. did is a random install ID kept in the spool
// (install-id.json), never a host or user name. The session's state is
// persisted in the spool (<sid>.session.json), locked by its process:
//
//   - New sends the init update (status ok).
//   - Each Frozen Frame, App Hanging or Fatal App Hang report adds one to
//     errors: Sentry counts a session with errors as errored. The update
//     travels in the envelope of the event that changed it.
//   - ReportPanic ends it crashed, in the panic event's envelope.
//   - Close ends it exited, with its duration.
//   - A session whose process died is closed by the next Reporter that
//     opens the spool (the next start, or a process delivering the spool):
//     abnormal, with abnormal_mechanism anr_foreground when the process
//     died during a stall, sent with its Fatal App Hang when there is one.
//     A lock makes one Reporter close it, and the file is deleted once the
//     server took the update; an update in flight when its sender died is
//     taken as delivered, so a session is never counted twice.
//   - An update the server did not take is sent by a later run, as long
//     as Sentry accepts it: for 5 days after the session started
//     ("Sessions can only be updated for a period of 5 days", Sentry's
//     developer docs on sessions); older ones are dropped and logged.
//
// Sentry's published schema has the statuses ok, exited, crashed and
// abnormal; "errored" is a session with errors above 0. A Frozen Frame
// counts as an error although its level is warning, so that Sentry's
// errored rate is the rate of sessions that froze.
//
// One run must be one session counted by one sender. sentry-go sends no
// sessions; a game whose own hub sends session updates (a later sentry-go
// might) must turn these off (ebitenwatch's Options.NoSession). The
// Reporter's events go through its own client, never the game's hub, so
// they do not count as errors in the game's session.
//
// Spotlight (Sentry's local development UI) works as a DSN:
// http://public@127.0.0.1:PORT/0. `make spotlight` starts one.
package report
