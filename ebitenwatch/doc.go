// Package ebitenwatch wraps an ebiten.Game so that frames which block for too
// long are noticed, sampled while they are stuck, and reported.
//
// Players call a game that stops responding "crashed" even when nothing
// threw. This package is the thin Ebitengine layer: it beats the watchdog in
// package watchdog around Update, Draw and Layout and hands stalls to package
// report.
package ebitenwatch
