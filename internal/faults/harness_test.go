package faults_test

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/framewatch/framewatch/internal/ebitentest"
	"github.com/framewatch/framewatch/internal/sentrytest"
)

// long runs the long version of the suite (make faults).
var long = flag.Bool("faults.long", false, "run the long fault suite: more kills, longer outages")

func TestMain(m *testing.M) {
	ebitentest.Main(m, children)
}

// children are the programs scenarios run as processes of their own.
var children = map[string]func() int{
	"loop":    loopChild,
	"deliver": deliverChild,
	"panic":   panicChild,
}

// scale picks the short or the long figure.
func scale(short, full int) int {
	if *long {
		return full
	}
	return short
}

// scene is one scenario's world: a spool, a ledger its children append
// to, and a Sentry server.
type scene struct {
	t      *testing.T
	spool  string
	ledger string
	srv    *sentrytest.Server
}

func newScene(t *testing.T) *scene {
	dir := t.TempDir()
	return &scene{t: t, spool: filepath.Join(dir, "spool"), ledger: filepath.Join(dir, "ledger"), srv: sentrytest.New(t)}
}

// proc is a running child.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan error
	out  *output
}

// start runs child name with the scene's settings and extra env, and waits
// for its first line when it prints one ("ready").
func (s *scene) start(name string, env ...string) *proc {
	s.t.Helper()
	return s.startWith(func(*exec.Cmd) {}, name, env...)
}

// startWith is start with the command changed by change before it runs.
func (s *scene) startWith(change func(*exec.Cmd), name string, env ...string) *proc {
	s.t.Helper()
	cmd := ebitentest.Command(s.t, name, append([]string{
		spoolEnv + "=" + s.spool, ledgerEnv + "=" + s.ledger, dsnEnv + "=" + s.srv.DSN(),
	}, env...)...)
	change(cmd)
	p := &proc{t: s.t, cmd: cmd, done: make(chan error, 1), out: &output{}}
	cmd.Stderr = p.out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- strings.TrimSpace(line)
		io.Copy(io.Discard, stdout)
	}()
	go func() { p.done <- cmd.Wait() }()
	s.t.Cleanup(func() {
		cmd.Process.Kill()
		err := <-p.done
		p.done <- err
	})
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("child %s printed nothing within 30 s", name)
	}
	return p
}

// kill sends SIGKILL and waits for the process to die.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(10 * time.Second)
}

// wait waits for the child to exit and returns its error.
func (p *proc) wait(timeout time.Duration) error {
	p.t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(timeout):
		p.cmd.Process.Signal(syscall.SIGQUIT)
		time.Sleep(time.Second)
		p.cmd.Process.Kill()
		p.t.Fatalf("child did not exit within %v:\n%s", timeout, p.out)
	}
	return nil
}

// loop runs the loop child to the end of n stalls.
func (s *scene) loop(n int, env ...string) {
	s.t.Helper()
	p := s.start("loop", append([]string{fmt.Sprintf("%s=%d", stallsEnv, n)}, env...)...)
	if err := p.wait(time.Duration(n)*3*time.Second + 30*time.Second); err != nil {
		s.t.Fatalf("loop child: %v\n%s", err, p.out)
	}
}

// deliver runs a child that only sends what the spool holds.
func (s *scene) deliver() {
	s.t.Helper()
	p := s.start("deliver")
	if err := p.wait(60 * time.Second); err != nil {
		s.t.Fatalf("deliver child: %v\n%s", err, p.out)
	}
}

// output is a child's stderr, readable while the child runs.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// ledgerKeys reads which stalls the children saw start and end.
func (s *scene) ledgerKeys() (started, ended map[string]bool) {
	started, ended = map[string]bool{}, map[string]bool{}
	data, err := os.ReadFile(s.ledger)
	if err != nil && !os.IsNotExist(err) {
		s.t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		what, key, ok := strings.Cut(line, " ")
		switch {
		case !ok:
		case what == "started":
			started[key] = true
		case what == "ended":
			ended[key] = true
		}
	}
	return started, ended
}
