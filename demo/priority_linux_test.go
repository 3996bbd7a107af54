package main

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLoaderPriority checks that a loader's thread really runs as
// SCHED_IDLE after lowerPriority and at normal priority after
// normalPriority, as a fetch that reads and then decodes switches.
func TestLoaderPriority(t *testing.T) {
	type result struct {
		policies []uint32
		err      error
	}
	done := make(chan result)
	go func() {
		var r result
		for _, set := range []func() error{lowerPriority, normalPriority, lowerPriority} {
			if r.err = set(); r.err != nil {
				break
			}
			attr, err := unix.SchedGetAttr(0, 0)
			if r.err = err; err != nil {
				break
			}
			r.policies = append(r.policies, attr.Policy)
		}
		done <- r
	}()
	r := <-done
	if errors.Is(r.err, unix.ENOSYS) || errors.Is(r.err, unix.EPERM) {
		t.Skipf("sched_setattr is not allowed here: %v", r.err)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []uint32{unix.SCHED_IDLE, unix.SCHED_NORMAL, unix.SCHED_IDLE}
	for i := range want {
		if r.policies[i] != want[i] {
			t.Errorf("policies after lower, normal, lower = %v, want %v", r.policies, want)
			break
		}
	}
}
