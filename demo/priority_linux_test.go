package main

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestLowerPriority checks that a loader's thread really runs as
// SCHED_IDLE. The lowered thread must end with its goroutine: were it
// handed back to Go's scheduler, the test's goroutine could land on it.
func TestLowerPriority(t *testing.T) {
	policy := make(chan uint32)
	go func() {
		lowerPriority()
		attr, err := unix.SchedGetAttr(0, 0)
		if err != nil {
			t.Error(err)
			policy <- 0
			return
		}
		policy <- attr.Policy
	}()
	if got := <-policy; got != unix.SCHED_IDLE {
		t.Errorf("policy after lowerPriority = %d, want SCHED_IDLE (%d)", got, unix.SCHED_IDLE)
	}
	attr, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if attr.Policy == unix.SCHED_IDLE {
		t.Error("the test's goroutine runs on a lowered thread")
	}
}
