package ebitenwatch

// ShowOverlay shows or hides w's overlay and makes it rebuild its text on
// every frame rather than a few times a second, so that a test sees the
// cost of each rebuild. Call it on the game goroutine.
func ShowOverlay(w *Watcher, visible bool) {
	w.ov.visible = visible
	w.ov.textEvery = 0
}
