package main

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLowerPriority checks that a loader's thread really runs as
// SCHED_IDLE afterwards.
func TestLowerPriority(t *testing.T) {
	type result struct {
		policy uint32
		err    error
	}
	done := make(chan result)
	go func() {
		if err := lowerPriority(); err != nil {
			done <- result{err: err}
			return
		}
		attr, err := unix.SchedGetAttr(0, 0)
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{policy: attr.Policy}
	}()
	r := <-done
	if errors.Is(r.err, unix.ENOSYS) || errors.Is(r.err, unix.EPERM) {
		t.Skipf("sched_setattr is not allowed here: %v", r.err)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.policy != unix.SCHED_IDLE {
		t.Errorf("policy after lowerPriority = %d, want SCHED_IDLE (%d)", r.policy, unix.SCHED_IDLE)
	}
}
