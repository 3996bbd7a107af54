//go:build unix

package report_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A stall that ends while the spool is read-only is not taken for a dead
// process's stall by the process itself: once the spool is writable
// again, it is sent as what it was, an App Hanging. The child runs as an
// unprivileged user when the test runs as root, for whom permissions do
// not apply.
func TestStallEndedOnReadOnlySpool(t *testing.T) {
	base, err := os.MkdirTemp("", "framewatch-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	dir := filepath.Join(base, "spool")
	os.Mkdir(dir, 0o700)
	bin := filepath.Join(base, "report.test")
	copyFile(t, os.Args[0], bin)
	srv := newSentry(t)
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=readonly", spoolEnv+"="+dir, dsnEnv+"="+srv.DSN(), "HOME="+base)
	if os.Getuid() == 0 {
		os.Chown(dir, 65534, 65534)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	cmd.Stderr = &slogWriter{t: t}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	out := bufio.NewReader(stdout)
	expect := func(want string) {
		t.Helper()
		if line, _ := out.ReadString('\n'); strings.TrimSpace(line) != want {
			t.Fatalf("child said %q, want %q", line, want)
		}
	}
	expect("ready")
	os.Chmod(dir, 0o500)
	io.WriteString(stdin, "go\n")
	expect("ended")
	os.Chmod(dir, 0o700)
	io.WriteString(stdin, "go\n")
	expect("done")
	cmd.Wait()
	types := map[string]int{}
	for _, e := range srv.Events() {
		types[e.Exception[0].Type]++
	}
	if types["Fatal App Hang"] != 0 || types["App Hanging"] != 2 {
		t.Errorf("events by type %v, want 2 App Hanging and no fatal hang", types)
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}
