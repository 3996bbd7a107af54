package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/framewatch/framewatch/assets"
)

// pack is the asset pack as a game ships it: every asset's bytes in one
// file, one after another, read through a read-only memory mapping (see
// pack_linux.go), so that reading an asset whose pages are not in memory
// waits for the disk in page faults.
type pack struct {
	path  string
	f     *os.File
	data  []byte
	index map[string][2]int // name: offset and length in data

	// reading lets one goroutine at a time page the pack in, as one disk
	// serves one read at a time. A page fault's work is kernel time that
	// a lowered priority does not lower: with two loaders faulting at
	// once, both at SCHED_IDLE, the fixed load's p99 tick gap was 61 to
	// 74 ms, against 45 to 50 ms taking turns, in the same minutes.
	// Decoding still overlaps the next asset's read.
	reading sync.Mutex
}

// openPack writes the pack into dir and maps it.
func openPack(dir string) (*pack, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("the asset pack: %w", err)
	}
	f, err := os.CreateTemp(dir, "assets-*.pack")
	if err != nil {
		return nil, fmt.Errorf("the asset pack: %w", err)
	}
	p := &pack{path: f.Name(), f: f, index: map[string][2]int{}}
	off := 0
	for _, name := range assets.Names() {
		b, err := fs.ReadFile(assets.FS, name)
		if err == nil {
			_, err = f.Write(b)
		}
		if err != nil {
			p.close()
			return nil, fmt.Errorf("the asset pack: %s: %w", name, err)
		}
		p.index[name] = [2]int{off, len(b)}
		off += len(b)
	}
	if err := f.Sync(); err != nil {
		p.close()
		return nil, fmt.Errorf("the asset pack: %w", err)
	}
	if p.data, err = mapFile(f, off); err != nil {
		p.close()
		return nil, fmt.Errorf("the asset pack: mapping %s: %w", p.path, err)
	}
	return p, nil
}

// packDir is where the pack is written: the user's cache directory, on a
// disk, because a file in a RAM file system (/tmp on some systems) cannot
// be paged out.
func packDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "framewatch-demo")
	}
	return os.TempDir()
}

// asset returns the mapped bytes of the asset name.
func (p *pack) asset(name string) ([]byte, error) {
	at, ok := p.index[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return p.data[at[0] : at[0]+at[1] : at[0]+at[1]], nil
}

// close unmaps and removes the pack.
func (p *pack) close() error {
	var err error
	if p.data != nil {
		err = unmapFile(p.data)
	}
	p.f.Close()
	os.Remove(p.path)
	return err
}
