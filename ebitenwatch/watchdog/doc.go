// Package watchdog detects stalled frames in a game loop and samples the
// stuck goroutine's stack while it is still stuck.
//
// It does not import Ebitengine, so it works with any loop that can call
// Enter and Exit around its frame phases.
package watchdog
