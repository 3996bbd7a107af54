package guardian

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
)

// The guardian's and courier's settings travel in their environment.
const (
	modeEnv     = "FRAMEWATCH_GUARDIAN"         // "monitor" or "courier"
	spoolEnv    = "FRAMEWATCH_GUARDIAN_SPOOL"   // the game's spool directory
	pidEnv      = "FRAMEWATCH_GUARDIAN_PID"     // the game's process ID
	configEnv   = "FRAMEWATCH_GUARDIAN_CONFIG"  // Options.Config, base64
	deadlineEnv = "FRAMEWATCH_GUARDIAN_UNTIL"   // the courier's deadline, Unix nanoseconds
	timeoutEnv  = "FRAMEWATCH_GUARDIAN_TIMEOUT" // Options.DeliverTimeout
)

// Messages the game writes on the life pipe before it closes it.
const (
	msgClose    = "close"    // a clean Close: nothing is left for the guardian
	msgReported = "reported" // the next crash is a panic already reported in-process
)

// DefaultDeliverTimeout is the zero Options.DeliverTimeout.
const DefaultDeliverTimeout = 4 * time.Second

// Options configure Start. SpoolDir is required.
type Options struct {
	// SpoolDir is the game's report spool (report.Reporter.SpoolDir).
	SpoolDir string
	// Config is handed to the courier unchanged; package courier's Config
	// makes it from the game's Reporter.
	Config []byte
	// DeliverTimeout bounds how long after the game's end the guardian
	// may take to deliver, courier included; then it exits. Default 4 s.
	DeliverTimeout time.Duration
	// Logger receives the guardian's start-up problems. Default
	// slog.Default().
	Logger *slog.Logger
}

// Guardian is a running guardian process. Its methods are safe for
// concurrent use.
type Guardian struct {
	cmd    *exec.Cmd
	life   *os.File
	exited chan struct{}

	mu     sync.Mutex // guards closed and writes to life
	closed bool
}

// Start starts the guardian process and points the runtime's crash output
// at it. It also sets the traceback level to "all" (debug.SetTraceback),
// so that a crash shows every goroutine, on standard error too. It returns
// an error naming what failed; the game should log it and run on.
func Start(o Options) (*Guardian, error) {
	if o.SpoolDir == "" {
		return nil, errors.New("guardian: Options.SpoolDir is empty")
	}
	if o.DeliverTimeout < 0 {
		return nil, fmt.Errorf("guardian: Options.DeliverTimeout %v is negative", o.DeliverTimeout)
	}
	if o.DeliverTimeout == 0 {
		o.DeliverTimeout = DefaultDeliverTimeout
	}
	if why := unsupported(); why != "" {
		return nil, fmt.Errorf("guardian: not started on %s: %s", runtime.GOOS, why)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("guardian: finding the executable: %w", err)
	}
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("guardian: %w", err)
	}
	defer lifeR.Close()
	crashR, crashW, err := os.Pipe()
	if err != nil {
		lifeW.Close()
		return nil, fmt.Errorf("guardian: %w", err)
	}
	defer crashR.Close()
	defer crashW.Close() // SetCrashOutput keeps its own copy
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(),
		modeEnv+"=monitor", spoolEnv+"="+o.SpoolDir, pidEnv+"="+strconv.Itoa(os.Getpid()),
		configEnv+"="+base64.StdEncoding.EncodeToString(o.Config), timeoutEnv+"="+o.DeliverTimeout.String())
	cmd.ExtraFiles = []*os.File{lifeR, crashR} // fds 3 and 4
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		lifeW.Close()
		return nil, fmt.Errorf("guardian: starting %s: %w", exe, err)
	}
	g := &Guardian{cmd: cmd, life: lifeW, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(g.exited)
	}()
	if err := debug.SetCrashOutput(crashW, debug.CrashOptions{}); err != nil {
		g.Close()
		return nil, fmt.Errorf("guardian: runtime/debug.SetCrashOutput: %w", err)
	}
	debug.SetTraceback("all")
	return g, nil
}

// PID returns the guardian's process ID.
func (g *Guardian) PID() int { return g.cmd.Process.Pid }

// Reported tells the guardian that the panic about to crash the game was
// reported in-process already, so the crash output it brings is not
// reported again. Call it right before re-raising the panic.
func (g *Guardian) Reported() { g.say(msgReported) }

func (g *Guardian) say(msg string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.life.Write([]byte(msg + "\n")) // a dead guardian changes nothing for the game
	}
}

// Close tells the guardian the game ends cleanly, stops sending crash
// output to it, and waits at most a second for it to exit. Later calls do
// nothing. It returns nil: a guardian that cannot be told is no error of
// the game's.
func (g *Guardian) Close() error {
	g.say(msgClose)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	debug.SetCrashOutput(nil, debug.CrashOptions{})
	g.life.Close()
	g.mu.Unlock()
	select {
	case <-g.exited:
	case <-time.After(time.Second):
	}
	return nil
}
