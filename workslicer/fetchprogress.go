package workslicer

import (
	"context"
	"io"
	"math"
)

// fetchKey finds a load's state in its Fetch's context.
type fetchKey struct{}

// FetchProgress reports, from inside a Fetch, how much of it is done,
// from 0 to 1, so that the load's progress moves while it reads. ctx is
// the one Fetch was given; with any other, FetchProgress does nothing.
// Progress never goes back, and reaches the end of Fetch's share only when
// Fetch returns. Safe from any goroutine.
func FetchProgress(ctx context.Context, done float64) {
	st, _ := ctx.Value(fetchKey{}).(*state)
	if st == nil || !(done > 0) {
		return
	}
	// Just under the split, which means Fetch has returned.
	st.setProgress(min(done*st.split, math.Nextafter(st.split, 0)))
}

// ProgressReader returns a reader of r that reports with FetchProgress
// the share of size bytes read so far: a download or file of known size
// read inside a Fetch. With a size of 0 or less it reports nothing.
func ProgressReader(ctx context.Context, r io.Reader, size int64) io.Reader {
	return &progressReader{ctx: ctx, r: r, size: size}
}

type progressReader struct {
	ctx        context.Context
	r          io.Reader
	read, size int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if p.read += int64(n); n > 0 && p.size > 0 {
		FetchProgress(p.ctx, float64(p.read)/float64(p.size))
	}
	return n, err
}

// stageTimes are moving averages of the wall time that a Kind's loads
// spent in Fetch and in Finish. Guarded by Scheduler.mu.
type stageTimes struct{ fetch, finish float64 }

// split is the share of progress that Fetch covers: its share of the
// time, or half before any load of the Kind has finished.
func (t *stageTimes) split() float64 {
	if t == nil || !(t.fetch+t.finish > 0) {
		return 0.5
	}
	return t.fetch / (t.fetch + t.finish)
}

// timeStages adds the stage times of st, a load that has just finished,
// to its Kind's averages.
func (s *Scheduler) timeStages(st *state) {
	fetch, finish := float64(st.fetchEnd-st.fetchStart), float64(s.elapsed()-st.fetchEnd)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.shares[st.kind]
	if t == nil {
		s.shares[st.kind] = &stageTimes{fetch, finish}
		return
	}
	t.fetch += (fetch - t.fetch) / 4
	t.finish += (finish - t.finish) / 4
}
