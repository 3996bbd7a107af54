//go:build linux

package watchdog_test

import (
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
	"github.com/framewatch/framewatch/internal/steal"
	"golang.org/x/sys/unix"
)

// TestCapturePaging blocks in a read of a memory-mapped file whose pages
// are taken out of memory before each pass, so that every page read waits
// for the disk in a page fault while Go sees the goroutine running.
func TestCapturePaging(t *testing.T) {
	f, m := mappedFile(t, 8<<20)
	var stop atomic.Bool
	mark := steal.Now()
	s := runGame(t, func() { pageIn(f, m, &stop) }, func() { stop.Store(true) })
	skipWithoutPaging(t, s)
	// With the CPUs busy (make test runs packages side by side), a paging
	// thread spends much of each fault waiting for a CPU after the disk
	// answered: computing, as far as the counters can tell. Run alone on
	// 2 cores, the machine stays over half idle.
	if idle, ok := mark.IdleUntil(steal.Now()); ok && idle < 50 && s.Class == watchdog.ClassCPU {
		t.Skipf("classed cpu with the CPUs %.0f%% idle: the paging waited mostly for a CPU", idle)
	}
	checkStall(t, s, watchdog.ClassPaging, "pageIn")
}

// TestCaptureSpinBesidePaging computes in the frame while a loader pages
// on another thread: the process's page faults are not the frame's.
func TestCaptureSpinBesidePaging(t *testing.T) {
	f, m := mappedFile(t, 8<<20)
	var stopLoader, stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		pageIn(f, m, &stopLoader)
	}()
	defer func() {
		stopLoader.Store(true)
		<-done
	}()
	s := runGame(t, func() { spin(&stop) }, func() { stop.Store(true) })
	skipWithoutPaging(t, s)
	checkStall(t, s, watchdog.ClassCPU, "spin")
}

// skipWithoutPaging skips a test whose file's pages were not read from
// disk often enough to class a stall paging: a file system in memory, or
// one that ignores the eviction.
func skipWithoutPaging(t *testing.T, s *watchdog.Stall) {
	t.Helper()
	if rt := s.Runtime; rt.MajorFaults < int64(rt.Wall/(50*time.Millisecond)) || rt.MajorFaults == 0 {
		t.Skipf("%d major page faults in %v: the file's pages were not read from disk", rt.MajorFaults, rt.Wall)
	}
}

// mappedFile writes n bytes to a file on disk, in the user's cache
// directory if it can rather than a temporary one, which may be in memory,
// and maps it read-only without read-ahead.
func mappedFile(t *testing.T, n int) (*os.File, []byte) {
	t.Helper()
	var f *os.File
	dir, err := os.UserCacheDir()
	if err == nil {
		f, err = os.CreateTemp(dir, "framewatch-paging-*")
	}
	if err != nil {
		if f, err = os.CreateTemp(t.TempDir(), "framewatch-paging-*"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		f.Close()
		os.Remove(f.Name())
	})
	if _, err := f.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(m) })
	if err := unix.Madvise(m, unix.MADV_RANDOM); err != nil {
		t.Fatal(err)
	}
	return f, m
}

var pageSink atomic.Uint64

// pageIn reads a byte of every page of m until stop, taking the pages out
// of memory before each pass.
//
//go:noinline
func pageIn(f *os.File, m []byte, stop *atomic.Bool) {
	var sum uint64
	page := os.Getpagesize()
	for !stop.Load() {
		unix.Madvise(m, unix.MADV_DONTNEED)
		unix.Fadvise(int(f.Fd()), 0, int64(len(m)), unix.FADV_DONTNEED)
		for i := 0; i < len(m) && !stop.Load(); i += page {
			sum += uint64(m[i])
		}
	}
	pageSink.Add(sum)
}
