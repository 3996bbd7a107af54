package guardian

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxCrashOutput bounds the crash output kept: enough for thousands of
// goroutines; the rest is cut.
const maxCrashOutput = 16 << 20

// crashGrace is how long the crash output may still come after the life
// pipe ended; both end when the game's process does.
const crashGrace = time.Second

func init() {
	if os.Getenv(modeEnv) == "monitor" {
		os.Exit(monitor())
	}
}

// monitor is the guardian process: it waits for the game to end and, when
// the game did not close cleanly, has a courier deliver what it left.
func monitor() int {
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE) // the game's end is for the pipes to tell
	life, crashPipe := os.NewFile(3, "life"), os.NewFile(4, "crash output")
	if life == nil || crashPipe == nil {
		logf("started without its pipes")
		return 2
	}
	crash := make(chan []byte, 1)
	go func() {
		out, _ := io.ReadAll(io.LimitReader(crashPipe, maxCrashOutput))
		crash <- out
	}()
	clean, reported := false, false
	sc := bufio.NewScanner(life)
	for sc.Scan() {
		switch sc.Text() {
		case msgClose:
			clean = true
		case msgReported:
			reported = true
		}
	}
	ended := time.Now()
	timeout, err := time.ParseDuration(os.Getenv(timeoutEnv))
	if err != nil {
		timeout = DefaultDeliverTimeout
	}
	var out []byte
	select {
	case out = <-crash:
	case <-time.After(crashGrace):
	}
	if reported && len(out) > 0 {
		logf("the game's panic was reported in-process; its crash output is not reported again")
		out = nil
	}
	if clean && len(out) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(os.Getenv(pidEnv))
	if len(out) == 0 && !leftovers(os.Getenv(spoolEnv), pid) {
		return 0
	}
	return deliver(out, ended.Add(timeout))
}

// leftovers reports whether the spool holds a report or stall in progress
// written by process pid (spool file names are "<time>-<pid>-<rest>").
func leftovers(dir string, pid int) bool {
	des, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	mark := "-" + strconv.Itoa(pid) + "-"
	for _, de := range des {
		n := de.Name()
		if strings.Contains(n, mark) && (strings.HasSuffix(n, ".live.json") || strings.HasSuffix(n, ".report.json")) {
			return true
		}
	}
	return false
}

// deliver runs a courier with the crash output on its standard input and
// kills it at the deadline.
func deliver(out []byte, deadline time.Time) int {
	exe, err := os.Executable()
	if err != nil {
		logf("finding the executable: %v", err)
		return 1
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), modeEnv+"=courier", deadlineEnv+"="+strconv.FormatInt(deadline.UnixNano(), 10))
	cmd.Stdin = bytes.NewReader(out)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		logf("starting the courier: %v", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(time.Until(deadline)):
		cmd.Process.Kill()
		err = fmt.Errorf("killed at its deadline: %w", <-done)
	}
	if err != nil {
		logf("courier: %v", err)
		return 1
	}
	return 0
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "framewatch guardian: "+format+"\n", args...)
}

// Task is what a courier process is to deliver.
type Task struct {
	PID      int       // the game's process ID
	Crash    []byte    // the game's crash output; empty if none
	Config   []byte    // Options.Config
	Deadline time.Time // the courier must be done by then
}

// CourierTask returns the courier's task when this process is a courier
// started by a guardian, reading the crash output from standard input.
// Package courier calls it from its init.
func CourierTask() (*Task, bool) {
	if os.Getenv(modeEnv) != "courier" {
		return nil, false
	}
	t := &Task{}
	t.PID, _ = strconv.Atoi(os.Getenv(pidEnv))
	t.Config, _ = base64.StdEncoding.DecodeString(os.Getenv(configEnv))
	ns, err := strconv.ParseInt(os.Getenv(deadlineEnv), 10, 64)
	if err != nil {
		ns = time.Now().Add(DefaultDeliverTimeout).UnixNano()
	}
	t.Deadline = time.Unix(0, ns)
	t.Crash, _ = io.ReadAll(io.LimitReader(os.Stdin, maxCrashOutput))
	return t, true
}
