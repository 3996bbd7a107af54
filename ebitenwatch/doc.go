// Package ebitenwatch wraps an ebiten.Game so that frames which block for too
// long are noticed, sampled while they are stuck, and reported.
//
// Players call a game that stops responding "crashed" even when nothing
// threw. One line adds the watch: run the game with
//
//	err := ebitenwatch.RunGame(game, ebitenwatch.Options{})
//
// instead of ebiten.RunGame. A frame whose Update, Draw or Layout blocks
// for 700 ms or more is then reported with stack samples of the stuck
// goroutine: to Sentry when $SENTRY_DSN is set, otherwise to the console
// and a spool directory that the next run sends from. The game itself
// behaves exactly as before, panics included.
//
// For control over the Watcher's lifetime, use New, Watcher.Wrap and
// Watcher.Close instead. Package watchdog does the timing and sampling and
// package report builds and delivers the reports; Options passes settings
// to both.
//
// A player is stuck just as much when every frame is on time: a load that
// failed, a loading bar that stopped, a lost server. A Scheduler made with
// Watcher.NewScheduler reports its failed loads ("Load Failed") and loads
// with no progress for StallAfter, 5 s of the game's clock by default
// ("Loading Stalled", with the stacks of the goroutines running its
// Fetch). Watcher.Unusable and Watcher.Usable report a game the player
// cannot go on with ("Game Unusable"), once until it recovers.
package ebitenwatch
