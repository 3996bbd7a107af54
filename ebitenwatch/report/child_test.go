package report_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// A test re-executes the test binary with childEnv set to run one of these
// child roles; the child's settings come in the other variables.
const (
	childEnv = "FRAMEWATCH_REPORT_CHILD"
	spoolEnv = "FRAMEWATCH_REPORT_SPOOL"
	dsnEnv   = "FRAMEWATCH_REPORT_DSN"
	flushEnv = "FRAMEWATCH_REPORT_FLUSH" // Options.FlushTimeout, if set
	hangEnv  = "FRAMEWATCH_REPORT_HANG"  // the watchdog's Options.Hang in "watch" mode
	// sessionEnv, when set, is the child's release: it runs a session.
	sessionEnv = "FRAMEWATCH_REPORT_SESSION"
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
	if d, err := time.ParseDuration(os.Getenv(flushEnv)); err == nil {
		opts.FlushTimeout = d
	}
	if rel := os.Getenv(sessionEnv); rel != "" {
		opts.Session, opts.Release = true, rel
	}
	if mode == "panic" {
		opts.RetryBackoff = 0 // the default, as a game has it
	}
	if mode == "sentry-init" { // the game set Sentry up itself
		sentry.Init(sentry.ClientOptions{Dsn: opts.DSN, Release: "from-init"})
		opts.DSN = ""
	}
	r, err := report.New(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	switch mode {
	case "kill": // stall, then wait to be killed
		r.StallStarted(started(stuckStall(childTB{}, atAssets, stallSpec{})))
		waitLive(opts.SpoolDir)
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 4
	case "idle": // wait to be killed
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 4
	case "signal": // stall with FlushOnSignal, then wait for SIGTERM
		r.FlushOnSignal()
		r.StallStarted(started(stuckStall(childTB{}, atAssets, stallSpec{})))
		waitLive(opts.SpoolDir)
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return 4
	case "watch", "watch-signal": // a real watchdog sees a game stall that moves
		if mode == "watch-signal" {
			r.FlushOnSignal()
		}
		return watchChild(r)
	case "panic": // a phase panics while Sentry is unreachable
		return panicChild(r)
	case "sentry-init": // report through the hub of sentry.Init
		r.StallEnded(stuckStall(childTB{}, atAssets, stallSpec{}))
		r.Close()
		return 0
	case "readonly": // a stall ends while the spool is read-only
		return readOnlyChild(r, opts.SpoolDir)
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
	return startChildWith(t, mode, spool, dsn, nil, false)
}

// startChildWith is startChild with extra environment variables and,
// with noINT, SIGINT ignored as nohup-like launchers leave it.
func startChildWith(t *testing.T, mode, spool, dsn string, env []string, noINT bool) (cmd *exec.Cmd, firstLine string, stdin io.WriteCloser) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	if noINT {
		cmd = exec.Command("sh", "-c", `trap "" INT; exec "$0" "$@"`, os.Args[0], "-test.run=^$")
	}
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode, spoolEnv+"="+spool, dsnEnv+"="+dsn), env...)
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

// waitLive waits until the spool holds a live record: the writer goroutine
// writes it a moment after StallStarted returns.
func waitLive(dir string) {
	for i := 0; i < 1000; i++ {
		if m, _ := filepath.Glob(filepath.Join(dir, "*.live.json")); len(m) > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newChildWatchdog runs a real watchdog that reports to r, with Frozen at
// 300 ms and Hang from hangEnv (default 1 minute), and beats a few frames.
func newChildWatchdog(r *report.Reporter) *watchdog.Watchdog {
	hang, err := time.ParseDuration(os.Getenv(hangEnv))
	if err != nil {
		hang = time.Minute
	}
	wd, err := watchdog.New(watchdog.Options{
		Frozen: 300 * time.Millisecond, Hang: hang, Sink: r, InApp: inApp,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := range 5 {
		wd.Enter(watchdog.PhaseUpdate, uint64(i))
		time.Sleep(5 * time.Millisecond)
		wd.Exit()
	}
	return wd
}

// watchChild freezes in Update: first computing in crunchPhysics, then
// waiting forever in waitForServer.
func watchChild(r *report.Reporter) int {
	wd := newChildWatchdog(r)
	fmt.Println("ready")
	wd.Enter(watchdog.PhaseUpdate, 5)
	crunchPhysics(800 * time.Millisecond)
	waitForServer(make(chan int))
	return 4
}

//go:noinline
func crunchPhysics(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 1000; i++ {
			sink += i
		}
	}
}

var sink int

//go:noinline
func waitForServer(ch chan int) { <-ch }

// panicChild panics in Update and reports it as ebitenwatch does, then
// crashes.
func panicChild(r *report.Reporter) int {
	wd := newChildWatchdog(r)
	fmt.Println("ready")
	defer func() {
		v := recover()
		wd.Exit()
		r.ReportPanic(v, watchdog.PhaseUpdate, debug.Stack())
		panic(v)
	}()
	wd.Enter(watchdog.PhaseUpdate, 5)
	openAsset(nil, 3)
	return 4
}

// readOnlyChild ends a stall while its parent has made the spool
// read-only, then, once it is writable again, sends what it has.
func readOnlyChild(r *report.Reporter, dir string) int {
	in := bufio.NewReader(os.Stdin)
	s := stuckStall(childTB{}, atAssets, stallSpec{})
	r.StallStarted(started(s))
	waitLive(dir)
	os.Stdout.WriteString("ready\n")
	in.ReadString('\n') // the spool is read-only now
	r.StallEnded(s)
	r.Flush(300 * time.Millisecond)
	os.Stdout.WriteString("ended\n")
	in.ReadString('\n') // writable again
	r.StallEnded(stuckStall(childTB{}, atSave, stallSpec{}))
	for i := 0; i < 100 && !spoolEmpty(dir); i++ {
		r.Flush(time.Second)
		time.Sleep(50 * time.Millisecond)
	}
	r.Close()
	os.Stdout.WriteString("done\n")
	return 0
}

func spoolEmpty(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	return len(m) == 0
}
