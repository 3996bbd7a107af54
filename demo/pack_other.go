//go:build !linux

package main

import (
	"io"
	"os"
)

// mapFile reads the first n bytes of f: without Linux's madvise, the demo
// does not evict pages, and its load does not thrash.
func mapFile(f *os.File, n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := f.ReadAt(b, 0)
	if err == io.EOF {
		err = nil
	}
	return b, err
}

func unmapFile([]byte) error { return nil }

// thrashClass is the stalling load's class: its reads find the pack in
// memory.
const thrashClass = "cpu"

func (p *pack) evict([]byte) {}
