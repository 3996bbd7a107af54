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
	"fmt"
	"os"
	"os/exec"
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
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("ebitentest: finding the test binary: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+name), env...)
	return cmd
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
