package report_test

import (
	"testing"

	"github.com/framewatch/framewatch/ebitenwatch/report"
)

// parkGoroutines starts n goroutines that wait until stop is called.
func parkGoroutines(n int) (stop func()) {
	ch := make(chan struct{})
	for range n {
		go func() { <-ch }()
	}
	return func() { close(ch) }
}

// BenchmarkStallStarted measures what StallStarted costs the watchdog
// goroutine for a stall with a dump of 10,000 goroutines: the time before
// the watchdog can take its next sample. The stall is ended outside the
// timed part. Run with a fixed -benchtime (e.g. 20x): the untimed part is
// far longer than the timed one.
func BenchmarkStallStarted(b *testing.B) {
	stop := parkGoroutines(10000)
	defer stop()
	s := stuckStall(b, atAssets, stallSpec{})
	r := newReporter(b, report.Options{MaxPerFingerprint: 1 << 30})
	b.ResetTimer()
	b.StopTimer()
	for range b.N {
		c := *s
		c.ID = stallIDs.Add(1)
		st := started(&c)
		b.StartTimer()
		r.StallStarted(st)
		b.StopTimer()
		r.StallEnded(&c)
	}
	b.ReportMetric(float64(len(s.Dump)), "dump-bytes")
}
