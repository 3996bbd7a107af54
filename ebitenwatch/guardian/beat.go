package guardian

import (
	"encoding/binary"
	"os"
	"time"
)

// beatInterval is how often the game's beat goroutine writes the beat
// file and the guardian reads it.
const beatInterval = 250 * time.Millisecond

// DefaultProcessHang is the zero Options.ProcessHang.
const DefaultProcessHang = 10 * time.Second

// The beat file is 16 bytes: the game loop's beat (Options.Beat), then
// the Unix nanoseconds at which the game's beat goroutine last wrote it.
// The guardian reads it with pread; the file is unlinked once both
// processes have it open.
const beatSize = 16

// beatLoop is the game's beat goroutine: a write to the file every
// beatInterval, never on the game goroutine.
func (g *Guardian) beatLoop(f *os.File, beat func() uint64, stop <-chan struct{}) {
	defer f.Close()
	t := time.NewTicker(beatInterval)
	defer t.Stop()
	var b [beatSize]byte
	for {
		binary.LittleEndian.PutUint64(b[:8], beat())
		binary.LittleEndian.PutUint64(b[8:], uint64(time.Now().UnixNano()))
		f.WriteAt(b[:], 0)
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// beatWatch is the guardian's view of the beat file: for how long, on the
// guardian's own clock, neither the loop's beat nor the beat goroutine's
// write has changed.
type beatWatch struct {
	f         *os.File
	threshold time.Duration
	lastTick  time.Time
	beat      uint64
	wrote     uint64
	loop      time.Duration // the loop's beat has not changed for this long
	runtime   time.Duration // the beat goroutine has not written for this long
	reported  bool          // this episode was reported
}

// tick reads the beat file. A step is clamped to twice the interval, so
// that the guardian's own suspension (a sleeping machine) does not count
// as the game's.
func (w *beatWatch) tick(now time.Time) {
	step := min(now.Sub(w.lastTick), 2*beatInterval)
	w.lastTick = now
	var b [beatSize]byte
	if n, _ := w.f.ReadAt(b[:], 0); n != beatSize {
		return
	}
	beat, wrote := binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
	if beat != w.beat {
		w.beat, w.loop, w.reported = beat, 0, false
	} else {
		w.loop += step
	}
	if wrote != w.wrote {
		w.wrote, w.runtime = wrote, 0
	} else {
		w.runtime += step
	}
}

// hung reports whether the loop and the runtime have both stopped for the
// threshold, in an episode not reported yet.
func (w *beatWatch) hung() bool {
	return !w.reported && w.loop >= w.threshold && w.runtime >= w.threshold
}
