package ebitenwatch_test

import (
	"testing"

	"github.com/framewatch/framewatch/internal/ebitentest"
)

func TestMain(m *testing.M) {
	ebitentest.Main(m, children)
}

// children are the programs tests run in processes of their own, because a
// process can run only one game.
var children = map[string]func() int{
	"ten-ticks": runTenTicks,
}
