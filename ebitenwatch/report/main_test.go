package report_test

import (
	"os"
	"testing"
)

// TestMain runs the package's tests, or, when the test binary is re-executed
// by a test as a child process, that child's part (see child_test.go).
func TestMain(m *testing.M) {
	// Reports must go where each test says, not to a developer's Sentry.
	for _, k := range []string{"SENTRY_DSN", "SENTRY_RELEASE", "SENTRY_ENVIRONMENT"} {
		os.Unsetenv(k)
	}
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}
