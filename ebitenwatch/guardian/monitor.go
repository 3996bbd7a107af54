package guardian

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
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
	ended := make(chan [2]bool, 1) // clean, reported
	go func() {
		clean, reported := false, false
		sc := bufio.NewScanner(life)
		for sc.Scan() {
			clean = clean || sc.Text() == msgClose
			reported = reported || sc.Text() == msgReported
		}
		ended <- [2]bool{clean, reported}
	}()
	pid, _ := strconv.Atoi(os.Getenv(pidEnv))
	timeout, err := time.ParseDuration(os.Getenv(timeoutEnv))
	if err != nil {
		timeout = DefaultDeliverTimeout
	}
	end := watchBeats(pid, timeout, ended)
	clean, reported := end[0], end[1]
	if clean {
		return 0 // a crash after Close is no longer sent here
	}
	died := time.Now()
	var out []byte
	select {
	case out = <-crash:
	case <-time.After(crashGrace):
	}
	if reported && len(out) > 0 {
		logf("the game's panic was reported in-process; its crash output is not reported again")
		out = nil
	}
	if len(out) == 0 && !leftovers(os.Getenv(spoolEnv), pid) {
		return 0
	}
	return deliver(out, nil, died.Add(timeout))
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

// watchBeats reads the beat file, when the game passed one, until the
// game ends, and has a courier report a process hang when the loop and the
// runtime have both stopped.
func watchBeats(pid int, timeout time.Duration, ended <-chan [2]bool) [2]bool {
	threshold, err := time.ParseDuration(os.Getenv(hangEnv))
	if err != nil {
		return <-ended
	}
	w := &beatWatch{f: os.NewFile(5, "beat"), threshold: threshold, lastTick: time.Now()}
	t := time.NewTicker(beatInterval)
	defer t.Stop()
	for {
		select {
		case end := <-ended:
			return end
		case now := <-t.C:
			w.tick(now)
			if !w.hung() {
				continue
			}
			w.reported = true
			h := &ProcessHang{PID: pid, Loop: w.loop, Runtime: w.runtime}
			if debugger, err := readProc(h); err != nil || debugger {
				logf("the game has not run for %v; not reported (debugger attached: %v, %v)", w.runtime, debugger, err)
				continue
			}
			deliver(nil, h, time.Now().Add(timeout))
		}
	}
}

// deliver runs a courier with the crash output on its standard input and
// a process hang, if any, in its environment, and kills it at the
// deadline.
func deliver(out []byte, hang *ProcessHang, deadline time.Time) int {
	exe, err := os.Executable()
	if err != nil {
		logf("finding the executable: %v", err)
		return 1
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), modeEnv+"=courier", deadlineEnv+"="+strconv.FormatInt(deadline.UnixNano(), 10))
	if hang != nil {
		b, _ := json.Marshal(hang)
		cmd.Env = append(cmd.Env, taskEnv+"="+string(b))
	}
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
	PID      int          // the game's process ID
	Crash    []byte       // the game's crash output; empty if none
	Hang     *ProcessHang // a process hang the guardian saw; nil if none
	Config   []byte       // Options.Config
	Deadline time.Time    // the courier must be done by then
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
	if j := os.Getenv(taskEnv); j != "" {
		t.Hang = new(ProcessHang)
		if json.Unmarshal([]byte(j), t.Hang) != nil {
			t.Hang = nil
		}
	}
	t.Crash, _ = io.ReadAll(io.LimitReader(os.Stdin, maxCrashOutput))
	return t, true
}
