package guardian

import "runtime"

// unsupported says why the guardian does not run on this system, or "".
// It needs inherited pipe descriptors (os/exec's ExtraFiles), which
// Windows lacks, and has been tested on Linux only.
func unsupported() string {
	switch runtime.GOOS {
	case "linux":
		return ""
	case "windows":
		return "passing pipes to a child process (exec.Cmd.ExtraFiles) is not supported there"
	}
	return "untested on this system"
}
