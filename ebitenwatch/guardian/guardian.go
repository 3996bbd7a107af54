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
	hangEnv     = "FRAMEWATCH_GUARDIAN_HANG"    // Options.ProcessHang; set when the beat file is fd 5
	taskEnv     = "FRAMEWATCH_GUARDIAN_TASK"    // a courier's ProcessHang, JSON
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
	// Beat, when set, is the game loop's beat (watchdog.Watchdog.Beat),
	// which a goroutine of the game writes to a file the guardian reads
	// every 250 ms, with the time of the write. When for ProcessHang
	// neither has changed (the loop is stuck and no goroutine of the game
	// runs: a wedged runtime, a stopped or thrashing process) and no
	// debugger is attached, the guardian reports a process hang itself
	// with what /proc shows of the game. Linux only.
	Beat func() uint64
	// ProcessHang is that threshold. Default 10 s.
	ProcessHang time.Duration
	// Logger receives the guardian's start-up problems. Default
	// slog.Default().
	Logger *slog.Logger
}

// Guardian is a running guardian process. Its methods are safe for
// concurrent use.
type Guardian struct {
	cmd  *exec.Cmd
	life *os.File
	stop chan struct{} // ends the beat goroutine

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
	if o.ProcessHang < 0 {
		return nil, fmt.Errorf("guardian: Options.ProcessHang %v is negative", o.ProcessHang)
	}
	if o.ProcessHang == 0 {
		o.ProcessHang = DefaultProcessHang
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
	var beatFile *os.File
	if o.Beat != nil {
		if beatFile, err = beatFileIn(o.SpoolDir); err != nil {
			lifeW.Close()
			return nil, err
		}
		defer os.Remove(beatFile.Name())
		cmd.ExtraFiles = append(cmd.ExtraFiles, beatFile) // fd 5
		cmd.Env = append(cmd.Env, hangEnv+"="+o.ProcessHang.String())
	}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		lifeW.Close()
		if beatFile != nil {
			beatFile.Close()
		}
		return nil, fmt.Errorf("guardian: starting %s: %w", exe, err)
	}
	g := &Guardian{cmd: cmd, life: lifeW, stop: make(chan struct{})}
	if beatFile != nil {
		go g.beatLoop(beatFile, o.Beat, g.stop)
	}
	go cmd.Wait() // reaps it
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

// Close tells the guardian the game ends cleanly and stops sending crash
// output to it; the guardian then exits at once. Close does not wait for
// it. Later calls do nothing. It returns nil: a guardian that cannot be
// told is no error of the game's.
func (g *Guardian) Close() error {
	g.say(msgClose)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	close(g.stop)
	debug.SetCrashOutput(nil, debug.CrashOptions{})
	g.life.Close()
	return nil
}

// beatFileIn creates the beat file in dir; Start unlinks it once the
// guardian has it open.
func beatFileIn(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".beat-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("guardian: creating the beat file: %w", err)
	}
	if _, err := f.Write(make([]byte, beatSize)); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("guardian: writing the beat file: %w", err)
	}
	return f, nil
}
