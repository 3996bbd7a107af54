// Package ebitenimage uploads decoded images into *ebiten.Image in row bands,
// a few at a time, so a large upload never lands on one frame.
package ebitenimage
