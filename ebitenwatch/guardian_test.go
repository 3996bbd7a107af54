package ebitenwatch_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// withoutDisplay returns the environment with no display, plus extra.
func withoutDisplay(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "WAYLAND_DISPLAY=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// The guardian's init runs before Ebitengine's: this test binary links
// Ebitengine, whose package init panics without a display, yet started as
// a guardian with no display it runs and exits cleanly when its game
// closes. Started as itself with no display, it dies in Ebitengine's init,
// which shows that the display was really gone.
func TestGuardianRunsBeforeEbitengineInit(t *testing.T) {
	control := exec.Command(os.Args[0], "-test.run=^$")
	control.Env = withoutDisplay()
	out, err := control.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "glfw") {
		t.Fatalf("without a display the test binary ran (%v); the test proves nothing:\n%s", err, out)
	}

	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	crashR, crashW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = withoutDisplay("FRAMEWATCH_GUARDIAN=monitor", "FRAMEWATCH_GUARDIAN_SPOOL="+t.TempDir())
	cmd.ExtraFiles = []*os.File{lifeR, crashR}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lifeR.Close()
	crashR.Close()
	lifeW.Write([]byte("close\n"))
	lifeW.Close()
	crashW.Close()
	if err := cmd.Wait(); err != nil || strings.Contains(stderr.String(), "glfw") {
		t.Errorf("the guardian ended with %v:\n%s", err, stderr.String())
	}
}
