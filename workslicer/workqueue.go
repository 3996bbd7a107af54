package workslicer

import (
	"container/heap"
	"time"
)

// workQueue holds the work waiting for the game goroutine, in buckets of
// work that pick tells apart only by age and arrival: one base priority,
// one Kind, one Resource. A bucket keeps its work by arrival (a heap on
// seq) and by wait (a list on since, to whose back a chunk moves its
// work), so that its best candidate is found in O(1): pick costs
// O(buckets), and adding or removing work O(log n), however much waits.
// Game goroutine only.
type workQueue struct {
	all     []*work // every queued work; work.qi is its index, for scans
	buckets []*bucket
	byKey   map[bucketKey]*bucket
}

type bucketKey struct {
	level Priority
	est   *estimate // the Kind's
	uses  *Resource
}

type bucket struct {
	key          bucketKey
	bySeq        workHeap
	oldest, last *work // by since, through work.newer and work.older
}

func (q *workQueue) len() int { return len(q.all) }

// add queues w, whose since is not before any queued work's.
func (q *workQueue) add(w *work) {
	q.place(w)
	w.b.pushBack(w)
	w.qi = len(q.all)
	q.all = append(q.all, w)
}

// place puts w in the heap of its bucket.
func (q *workQueue) place(w *work) {
	key := bucketKey{Priority(w.st.priority()), w.est, w.uses}
	b := q.byKey[key]
	if b == nil {
		if q.byKey == nil {
			q.byKey = make(map[bucketKey]*bucket)
		}
		b = &bucket{key: key}
		q.byKey[key] = b
		q.buckets = append(q.buckets, b)
	}
	w.b = b
	heap.Push(&b.bySeq, w)
}

func (q *workQueue) remove(w *work) {
	heap.Remove(&w.b.bySeq, w.hi)
	w.b.unlink(w)
	w.b = nil
	last := len(q.all) - 1
	q.all[w.qi] = q.all[last]
	q.all[w.qi].qi = w.qi
	q.all[last] = nil
	q.all = q.all[:last]
}

// ran moves w, whose since is now the latest, to the back of its bucket.
func (q *workQueue) ran(w *work) {
	w.b.unlink(w)
	w.b.pushBack(w)
}

// rebucket moves work whose base priority Load raised to its new bucket.
func (q *workQueue) rebucket() {
	for _, w := range q.all {
		b := w.b
		if Priority(w.st.priority()) == b.key.level {
			continue
		}
		heap.Remove(&b.bySeq, w.hi)
		b.unlink(w)
		q.place(w)
		w.b.insert(w)
	}
}

// urgent reports whether Urgent work waits.
func (q *workQueue) urgent() bool {
	for _, b := range q.buckets {
		if b.key.level >= Urgent && len(b.bySeq) > 0 {
			return true
		}
	}
	return false
}

// candidate returns b's most urgent work at now and its priority with
// ageing: the longest waiting if it has aged a level or more, else the
// earliest to arrive. nil if b is empty.
func (b *bucket) candidate(now time.Duration, age func(time.Duration) int) (*work, int) {
	if b.oldest == nil {
		return nil, 0
	}
	if a := age(now - b.oldest.since); a > 0 {
		return b.oldest, int(b.key.level) + a
	}
	return b.bySeq[0], int(b.key.level)
}

func (b *bucket) pushBack(w *work) {
	w.older, w.newer = b.last, nil
	if b.last != nil {
		b.last.newer = w
	} else {
		b.oldest = w
	}
	b.last = w
}

// insert links w in since order, searching from the back.
func (b *bucket) insert(w *work) {
	at := b.last
	for at != nil && at.since > w.since {
		at = at.older
	}
	if at == nil { // the oldest
		w.older, w.newer = nil, b.oldest
		if b.oldest != nil {
			b.oldest.older = w
		} else {
			b.last = w
		}
		b.oldest = w
		return
	}
	w.older, w.newer = at, at.newer
	if at.newer != nil {
		at.newer.older = w
	} else {
		b.last = w
	}
	at.newer = w
}

func (b *bucket) unlink(w *work) {
	if w.older != nil {
		w.older.newer = w.newer
	} else {
		b.oldest = w.newer
	}
	if w.newer != nil {
		w.newer.older = w.older
	} else {
		b.last = w.older
	}
	w.older, w.newer = nil, nil
}

// workHeap is a min-heap of work by seq, for container/heap.
type workHeap []*work

func (h workHeap) Len() int           { return len(h) }
func (h workHeap) Less(i, j int) bool { return h[i].seq < h[j].seq }

func (h workHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hi, h[j].hi = i, j
}

func (h *workHeap) Push(x any) {
	w := x.(*work)
	w.hi = len(*h)
	*h = append(*h, w)
}

func (h *workHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return w
}
