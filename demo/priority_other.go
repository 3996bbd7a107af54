//go:build !linux

package main

// runLowered runs f; only Linux lowers its thread, see priority_linux.go.
func runLowered(f func()) { f() }
