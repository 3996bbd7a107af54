//go:build linux

package guardian_test

import (
	"os"
	"testing"

	_ "github.com/framewatch/framewatch/ebitenwatch/guardian/courier" // runs the courier when a guardian starts this binary as one
)

// TestMain runs the tests, or a child's part when a test re-executes the
// test binary as a game (see child_test.go). The guardian and courier
// processes a child starts are this binary too, taken over by their
// packages' init before TestMain.
func TestMain(m *testing.M) {
	for _, k := range []string{"SENTRY_DSN", "SENTRY_RELEASE", "SENTRY_ENVIRONMENT"} {
		os.Unsetenv(k)
	}
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}
