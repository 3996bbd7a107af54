package main

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRunLowered checks that f runs as SCHED_IDLE and that the caller's
// thread keeps its policy, which an unprivileged thread could not get
// back once lowered; and that a panic in f reaches the caller.
func TestRunLowered(t *testing.T) {
	policy := func() uint32 {
		attr, err := unix.SchedGetAttr(0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return attr.Policy
	}
	var inside uint32
	var err error
	runLowered(func() {
		if attr, e := unix.SchedGetAttr(0, 0); e != nil {
			err = e
		} else {
			inside = attr.Policy
		}
	})
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
		t.Skipf("sched_getattr is not allowed here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if inside != unix.SCHED_IDLE {
		t.Errorf("policy inside runLowered = %d, want SCHED_IDLE (%d)", inside, unix.SCHED_IDLE)
	}
	done := make(chan uint32)
	go func() {
		runLowered(func() {})
		done <- policy()
	}()
	if p := <-done; p != unix.SCHED_NORMAL {
		t.Errorf("the caller's policy after runLowered = %d, want SCHED_NORMAL (%d)", p, unix.SCHED_NORMAL)
	}
	defer func() {
		if r := recover(); r != "broken decoder" {
			t.Errorf("recovered %v, want the panic of f", r)
		}
	}()
	runLowered(func() { panic("broken decoder") })
}
