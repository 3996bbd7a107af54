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
	bySeq        seqHeap[*work]
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

func (b *bucket) pushBack(w *work) { b.linkAfter(b.last, w) }

// insert links w in since order, searching from the back.
func (b *bucket) insert(w *work) {
	at := b.last
	for at != nil && at.since > w.since {
		at = at.older
	}
	b.linkAfter(at, w)
}

// linkAfter links w after at, or first if at is nil.
func (b *bucket) linkAfter(at, w *work) {
	w.older = at
	if at != nil {
		w.newer, at.newer = at.newer, w
	} else {
		w.newer, b.oldest = b.oldest, w
	}
	if w.newer != nil {
		w.newer.older = w
	} else {
		b.last = w
	}
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

// seqHeap is a min-heap by seq of items that keep their index in it, for
// container/heap.
type seqHeap[T interface {
	order() uint64 // seq
	place(i int)   // records the item's index
}] []T

func (h seqHeap[T]) Len() int           { return len(h) }
func (h seqHeap[T]) Less(i, j int) bool { return h[i].order() < h[j].order() }

func (h seqHeap[T]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].place(i)
	h[j].place(j)
}

func (h *seqHeap[T]) Push(x any) {
	t := x.(T)
	t.place(len(*h))
	*h = append(*h, t)
}

func (h *seqHeap[T]) Pop() any {
	old := *h
	t := old[len(old)-1]
	var zero T
	old[len(old)-1] = zero
	*h = old[:len(old)-1]
	return t
}
