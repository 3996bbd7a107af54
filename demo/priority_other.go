//go:build !linux

package main

// lowerPriority does nothing here; see priority_linux.go.
func lowerPriority() error { return nil }
