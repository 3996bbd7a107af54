package workslicer

import (
	"container/heap"
	"time"
)

// fetchQueue holds the fetches waiting for a worker: one heap per base
// priority, each ordered by arrival, so that each level's oldest fetch is
// on top. Fetches of one level age alike, so the most urgent fetch, ageing
// counted, is one of the three tops, and every operation is O(log n).
// Guarded by Scheduler.mu.
type fetchQueue struct {
	levels [Urgent - Background + 1]seqHeap[*fetch]
	n      int
}

// fetch is a load waiting for, or running on, a worker.
type fetch struct {
	st    *state
	seq   uint64
	since time.Duration
	run   func()

	level Priority // the heap it waits in
	index int      // its place there
}

func (f *fetch) order() uint64 { return f.seq }
func (f *fetch) place(i int)   { f.index = i }

func (q *fetchQueue) len() int { return q.n }

func (q *fetchQueue) push(f *fetch) {
	f.level = Priority(f.st.priority())
	heap.Push(&q.levels[f.level-Background], f)
	q.n++
}

// pop takes the most urgent fetch at now, the oldest first, with age
// giving the levels gained by waiting.
func (q *fetchQueue) pop(now time.Duration, age func(time.Duration) int) *fetch {
	var best *fetch
	bestPrio := 0
	for _, h := range q.levels {
		if len(h) == 0 {
			continue
		}
		f := h[0]
		p := int(f.level) + age(now-f.since)
		if best == nil || p > bestPrio || (p == bestPrio && f.seq < best.seq) {
			best, bestPrio = f, p
		}
	}
	if best != nil {
		q.remove(best)
	}
	return best
}

func (q *fetchQueue) remove(f *fetch) {
	heap.Remove(&q.levels[f.level-Background], f.index)
	q.n--
}

// relevel moves f to the heap of its state's current priority, which
// Load may have raised.
func (q *fetchQueue) relevel(f *fetch) {
	if Priority(f.st.priority()) != f.level {
		q.remove(f)
		q.push(f)
	}
}

// all empties the queue and returns what it held.
func (q *fetchQueue) all() []*fetch {
	var fs []*fetch
	for i := range q.levels {
		fs = append(fs, q.levels[i]...)
		q.levels[i] = nil
	}
	q.n = 0
	return fs
}
