package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadPagesFaultsInItsOwnCode checks that readPages takes each page's
// fault in its own code, where the goroutine can be preempted and the
// watchdog's samples name it, even for an asset that starts in the middle
// of a page: copying a page's worth from there reaches into the next page
// inside the runtime's memmove. The next page here cannot be read at all,
// so the fault panics, and the panic's stack tells where it was taken.
func TestReadPagesFaultsInItsOwnCode(t *testing.T) {
	page := os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	if err := unix.Mprotect(mem[page:], unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	asset := mem[100 : page+100] // one page long, across the boundary
	out := make([]byte, len(asset))

	var stack string
	func() {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if recover() != nil {
				stack = string(debug.Stack())
			}
		}()
		readPages(out, asset, func(float64) {})
	}()
	if stack == "" {
		t.Fatal("reading into a page that cannot be read did not fault")
	}
	// The frame that faulted comes right after the panic's own frames, and
	// its line must be readPages' read of a page's first byte.
	_, after, _ := strings.Cut(stack, "panic(")
	frames := strings.Split(after, "\n")
	if want := touchLine(t); len(frames) < 4 || !strings.Contains(frames[2], ".readPages(") ||
		!strings.Contains(frames[3], want+" ") {
		t.Errorf("the fault was not taken at %s; stack:\n%s", want, stack)
	}
}

// touchLine returns "scenarios.go:N", where N is the line on which
// readPages reads the first byte of a page.
func touchLine(t *testing.T) string {
	src, err := os.ReadFile("scenarios.go")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(src), "\n") {
		if strings.Contains(line, "faulted.Add(uint64(mapped[i]))") {
			return fmt.Sprintf("scenarios.go:%d", i+1)
		}
	}
	t.Fatal("scenarios.go: no line reads a page's first byte")
	return ""
}
