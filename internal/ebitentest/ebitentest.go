// Package ebitentest runs tests that need Ebitengine.
//
// Ebitengine lets a process call ebiten.RunGame once, and many of its
// functions only work on the game's goroutine while it runs. Main runs the
// package's tests from inside the first Update of a small game, which is how
// Ebitengine tests itself. A test that needs a game loop of its own starts
// the test binary again as a child process with Command; the child runs the
// function registered under its name in Main's children instead of tests.
//
// Tests that use this package need an X display; run them under xvfb-run.
package ebitentest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hajimehoshi/ebiten/v2"
)

// childEnv names the child function a re-executed test binary runs.
const childEnv = "FRAMEWATCH_EBITENTEST_CHILD"

// Main is the body of a TestMain. With no child requested, it runs m inside
// ebiten.RunGame and exits with m's code. When the binary was started by
// Command, it runs the named function from children and exits with its code.
func Main(m *testing.M, children map[string]func() int) {
	if name := os.Getenv(childEnv); name != "" {
		child, ok := children[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "ebitentest: no child named %q\n", name)
			os.Exit(2)
		}
		os.Exit(child())
	}
	g := &testsGame{m: m}
	ebiten.SetWindowSize(320, 240)
	if err := ebiten.RunGame(g); err != nil {
		fmt.Fprintf(os.Stderr, "ebitentest: RunGame: %v\n", err)
		os.Exit(1)
	}
	os.Exit(g.code)
}

// Command returns a command that runs this test binary as the child named
// name, with env added to the current environment. The caller starts it.
func Command(t testing.TB, name string, env ...string) *exec.Cmd {
	t.Helper()
	cmd, err := ChildCommand(name, env...)
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// PrivateDisplay starts an X server of the test's own, for a child whose
// window must keep or lose the focus only as the test says: windows of
// other tests, which share the display xvfb-run made, take the focus when
// they open. It returns the DISPLAY setting to add to the child's
// environment, and stops the server when the test ends.
func PrivateDisplay(t testing.TB) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("ebitentest: starting Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Xvfb writes the display number once it accepts clients.
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("ebitentest: Xvfb did not say its display: %v", err)
	}
	return "DISPLAY=:" + strings.TrimSpace(line)
}

// ChildCommand is Command for a child that starts a child of its own.
func ChildCommand(name string, env ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("ebitentest: finding the test binary: %w", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+name), env...)
	return cmd, nil
}

// testsGame runs the tests in its first Update, then ends the game.
type testsGame struct {
	m    *testing.M
	code int
}

func (g *testsGame) Update() error {
	g.code = g.m.Run()
	return ebiten.Termination
}

func (g *testsGame) Draw(*ebiten.Image) {}

func (g *testsGame) Layout(w, h int) (int, int) { return w, h }
