package report_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
)

// A test re-executes the test binary with childEnv set to run one of these
// child roles; the child's settings come in the other variables.
const (
	childEnv = "FRAMEWATCH_REPORT_CHILD"
	spoolEnv = "FRAMEWATCH_REPORT_SPOOL"
	dsnEnv   = "FRAMEWATCH_REPORT_DSN"
)

type childTB struct{}

func (childTB) Helper()        {}
func (childTB) Cleanup(func()) {}
func (childTB) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(3)
}

func runChild(mode string) int {
	if mode == "deliver" {
		// Wait for the parent to start the other deliverer too.
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	opts := report.Options{
		DSN:          os.Getenv(dsnEnv),
		SpoolDir:     os.Getenv(spoolEnv),
		Console:      io.Discard,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, nil)),
		InApp:        inApp,
		RetryBackoff: 20 * time.Millisecond,
	}
	r, err := report.New(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	switch mode {
	case "kill": // stall, then wait to be killed
		r.StallStarted(started(stuckStall(childTB{}, atAssets, stallSpec{})))
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 4
	case "signal": // stall with FlushOnSignal, then wait for SIGTERM
		r.FlushOnSignal()
		r.StallStarted(started(stuckStall(childTB{}, atAssets, stallSpec{})))
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 4
	case "deliver": // send what the spool holds, then exit
		ok := r.Flush(10 * time.Second)
		r.Close()
		fmt.Println("flushed", ok)
		return 0
	}
	return 5
}

// startChild runs the test binary in the given child mode and waits for
// its first line of output. Writing a line to stdin tells a "deliver"
// child to start.
func startChild(t *testing.T, mode, spool, dsn string) (cmd *exec.Cmd, firstLine string, stdin io.WriteCloser) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, spoolEnv+"="+spool, dsnEnv+"="+dsn)
	cmd.Stderr = &slogWriter{t: t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, out)
	}()
	select {
	case s := <-line:
		return cmd, s, stdin
	case <-time.After(15 * time.Second):
		t.Fatalf("child %s printed nothing", mode)
	}
	return nil, "", nil
}
