//go:build !linux

package main

// lowerPriority and normalPriority do nothing here; see priority_linux.go.
func lowerPriority() error  { return nil }
func normalPriority() error { return nil }
