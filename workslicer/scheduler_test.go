package workslicer_test

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

const ms = time.Millisecond

func newScheduler(t *testing.T, opts workslicer.Options) *workslicer.Scheduler {
	t.Helper()
	s, err := workslicer.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func start(t testing.TB, s *workslicer.Scheduler, task workslicer.Task) *workslicer.Handle[struct{}] {
	t.Helper()
	h, err := s.Go(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// costly is a task of n chunks that each take cost of fake time.
func costly(name, kind string, p workslicer.Priority, n int, cost time.Duration, ran *[]string) workslicer.Task {
	i := 0
	return workslicer.Task{Name: name, Kind: kind, Priority: p,
		Step: func(context.Context) (float64, bool, error) {
			time.Sleep(cost)
			i++
			if ran != nil {
				*ran = append(*ran, name)
			}
			return float64(i) / float64(n), i == n, nil
		}}
}

// frame runs one frame with the given number of Updates.
func frame(s *workslicer.Scheduler, updates int) workslicer.FrameStats {
	for range updates {
		s.Run()
	}
	s.EndFrame()
	return s.Stats().Last
}

// All Updates of a frame share one budget: five Run calls spend no more
// than one.
func TestBudgetIsSharedByTheUpdatesOfAFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{})
		start(t, s, costly("steady", "", workslicer.Normal, 1000, 900*time.Microsecond, nil))
		for i := range 20 {
			s.Run()
			first := s.Stats()
			for range 4 {
				s.Run()
			}
			s.EndFrame()
			st := s.Stats()
			if st.Last.Spent > workslicer.DefaultBudget {
				t.Fatalf("frame %d: spent %v of a %v budget", i, st.Last.Spent, workslicer.DefaultBudget)
			}
			if i >= 10 && (st.Last.Chunks != 4 || st.Chunks != first.Chunks) {
				t.Fatalf("frame %d: %d chunks, %d of them after the first Run; want 4 of 0.9 ms, all in the first Run",
					i, st.Last.Chunks, st.Chunks-first.Chunks)
			}
		}
	})
}

// A chunk longer than the budget still runs, alone, once per frame, and is
// reported for splitting.
func TestOversizedChunkRunsAloneAndIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var reports []workslicer.Overrun
		s := newScheduler(t, workslicer.Options{OnOverrun: func(o workslicer.Overrun) { reports = append(reports, o) }})
		start(t, s, costly("bake", "lightmap", workslicer.Normal, 3, 10*ms, nil))
		for i := range 3 {
			if f := frame(s, 2); f.Chunks != 1 || f.Spent != 10*ms {
				t.Fatalf("frame %d: %+v, want one chunk of 10ms", i, f)
			}
		}
		want := []workslicer.Overrun{
			{Task: "bake", Kind: "lightmap", Step: 1, Duration: 10 * ms},
			{Task: "bake", Kind: "lightmap", Step: 2, Duration: 10 * ms},
			{Task: "bake", Kind: "lightmap", Step: 3, Duration: 10 * ms},
		}
		if !slices.Equal(reports, want) {
			t.Fatalf("overruns %+v, want %+v", reports, want)
		}
		st := s.Stats()
		if st.Overruns != 3 || st.LastOverrun != want[2] || st.OverBudget != 3 || st.Frames != 3 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// When the head task's next chunk does not fit, other tasks' smaller
// chunks fill the rest of the frame.
func TestSmallChunksFillWhatTheHeadLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{})
		var ran []string
		start(t, s, costly("upload", "big", workslicer.Normal, 100, 3*ms, &ran))
		start(t, s, costly("decode", "small", workslicer.Normal, 1000, 300*time.Microsecond, &ran))
		for i := range 30 {
			ran = ran[:0]
			f := frame(s, 1)
			if f.Spent > workslicer.DefaultBudget {
				t.Fatalf("frame %d ran %v in %v, over budget", i, ran, f.Spent)
			}
			if i >= 10 && (!slices.Contains(ran, "upload") || len(ran) < 3) {
				t.Fatalf("frame %d ran %v; want the 3 ms upload chunk packed with 0.3 ms decode chunks", i, ran)
			}
		}
	})
}

func TestPriorityOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: time.Second})
		var ran []string
		start(t, s, costly("background", "", workslicer.Background, 2, ms, &ran))
		start(t, s, costly("normal-1", "", workslicer.Normal, 2, ms, &ran))
		start(t, s, costly("urgent", "", workslicer.Urgent, 2, ms, &ran))
		start(t, s, costly("normal-2", "", workslicer.Normal, 2, ms, &ran))
		frame(s, 1)
		want := []string{"urgent", "urgent", "normal-1", "normal-1", "normal-2", "normal-2", "background", "background"}
		if !slices.Equal(ran, want) {
			t.Fatalf("ran %v, want %v", ran, want)
		}
	})
}

// Background work under a constant stream of Urgent work still runs, once
// it has aged past the Urgent level (three AgeSteps).
func TestAgeingPreventsStarvation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const age = 100 * ms
		s := newScheduler(t, workslicer.Options{AgeStep: age})
		var ran []string
		start(t, s, costly("urgent", "", workslicer.Urgent, 1e6, 4*ms, &ran))
		start(t, s, costly("background", "", workslicer.Background, 1e6, 4*ms, &ran))
		var runs []time.Time
		begin := time.Now()
		for range 120 { // two seconds at 60 frames per second
			ran = ran[:0]
			frame(s, 1)
			if slices.Contains(ran, "background") {
				runs = append(runs, time.Now())
			}
			time.Sleep(16*ms - 4*ms)
		}
		if len(runs) < 4 {
			t.Fatalf("background ran %d times in 2 s; want at least 4", len(runs))
		}
		for i, at := range runs {
			prev := begin
			if i > 0 {
				prev = runs[i-1]
			}
			if gap := at.Sub(prev); gap > 3*age+16*ms {
				t.Fatalf("background waited %v; ageing should bound the wait to %v", gap, 3*age+16*ms)
			}
		}
	})
}

// UrgentBudget adds time while urgent work waits, and only then.
func TestUrgentBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{UrgentBudget: 10 * ms})
		start(t, s, costly("level", "", workslicer.Urgent, 28, ms, nil))
		start(t, s, costly("music", "", workslicer.Normal, 1000, ms, nil))
		if f := frame(s, 1); f.Budget != 14*ms {
			t.Fatalf("frame with urgent work: budget %v, want 14ms", f.Budget)
		}
		for range 10 {
			frame(s, 1)
		}
		if f := frame(s, 1); f.Budget != 4*ms || f.Spent > 4*ms {
			t.Fatalf("frame after urgent work: %+v, want the 4ms budget", f)
		}
	})
}

// Running names the task and step in progress, from another goroutine too.
func TestRunningNamesTheChunk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{})
		entered, release := make(chan struct{}), make(chan struct{})
		step := 0
		start(t, s, workslicer.Task{Name: "parse", Body: func(ctx context.Context, yield func(float64) bool) error {
			for step = 1; step <= 3; step++ {
				if step == 3 {
					entered <- struct{}{}
					<-release
				}
				if !yield(float64(step) / 3) {
					return nil
				}
			}
			return nil
		}})
		go func() {
			<-entered
			name, n, ok := s.Running()
			if name != "parse" || n != 3 || !ok {
				t.Errorf("Running() = %q, %d, %v during step 3; want parse, 3, true", name, n, ok)
			}
			close(release)
		}()
		for range 3 {
			frame(s, 1)
		}
		if _, _, ok := s.Running(); ok {
			t.Fatal("Running reports a chunk between frames")
		}
	})
}

func TestBodyProgressAndResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: ms})
		h := start(t, s, workslicer.Task{Name: "count", Body: func(ctx context.Context, yield func(float64) bool) error {
			for i := 1; i <= 4; i++ {
				time.Sleep(ms)
				if !yield(float64(i) / 4) {
					return nil
				}
			}
			return errors.New("out of numbers")
		}})
		for i, want := range []float64{0.25, 0.5, 0.75} {
			frame(s, 1)
			if got := h.Progress(); got != want {
				t.Fatalf("frame %d: progress %v, want %v", i, got, want)
			}
			if _, err := h.Value(); err != workslicer.ErrPending {
				t.Fatalf("frame %d: Value error %v, want ErrPending", i, err)
			}
		}
		frame(s, 1) // yields 1, shown as just under 1 until the body returns
		if p := h.Progress(); p >= 1 || p < 0.99 {
			t.Fatalf("progress %v after the last yield; want just under 1", p)
		}
		frame(s, 1)
		<-h.Done()
		if h.Progress() != 1 || h.Err() == nil || h.Err().Error() != "out of numbers" {
			t.Fatalf("after the body returned: progress %v, err %v", h.Progress(), h.Err())
		}
	})
}

// A panicking task fails its own handle with the panic and its stack; the
// scheduler and the other tasks go on.
func TestPanicIsIsolated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: time.Second, Logger: discard()})
		body := start(t, s, workslicer.Task{Name: "body", Body: func(ctx context.Context, yield func(float64) bool) error {
			yield(0.5)
			panicInBody()
			return nil
		}})
		step := start(t, s, workslicer.Task{Name: "step", Step: func(context.Context) (float64, bool, error) {
			panic(errors.New("step broke"))
		}})
		var ran []string
		ok := start(t, s, costly("fine", "", workslicer.Background, 3, ms, &ran))
		for range 3 {
			frame(s, 1)
		}
		var pe *workslicer.PanicError
		if err := body.Err(); !errors.As(err, &pe) || pe.Task != "body" || pe.Value != "body broke" ||
			!strings.Contains(string(pe.Stack), "panicInBody") {
			t.Fatalf("body: err %v; want a PanicError with the value and a stack through panicInBody", err)
		}
		if err := step.Err(); !errors.As(err, &pe) || pe.Task != "step" || err.Error() == "" ||
			!strings.Contains(err.Error(), "step broke") || !errors.Is(err, pe.Value.(error)) {
			t.Fatalf("step: err %v; want a PanicError wrapping the error", err)
		}
		if err := ok.Err(); err != nil || len(ran) != 3 || ok.Progress() != 1 {
			t.Fatalf("healthy task: err %v after %d chunks", err, len(ran))
		}
	})
}

func panicInBody() { panic("body broke") }

// Releasing a task's handle stops it at its yield point on the next Run;
// its Body sees yield return false and cleans up.
func TestReleaseStopsATask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: ms})
		cleaned := false
		h := start(t, s, workslicer.Task{Name: "loop", Body: func(ctx context.Context, yield func(float64) bool) error {
			defer func() { cleaned = true }()
			for {
				time.Sleep(ms)
				if !yield(0) {
					return ctx.Err()
				}
			}
		}})
		frame(s, 1)
		h.Release()
		h.Release() // a second Release does nothing
		frame(s, 1)
		if !cleaned || !errors.Is(h.Err(), workslicer.ErrReleased) || s.Stats().Pending != 0 {
			t.Fatalf("cleaned %v, err %v, pending %d", cleaned, h.Err(), s.Stats().Pending)
		}
	})
}

// A context passed to Go releases the handle when it is done.
func TestContextCancelsATask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: ms})
		ctx, cancel := context.WithCancel(context.Background())
		stepCtx := make(chan context.Context, 1)
		h, err := s.Go(ctx, workslicer.Task{Name: "spin", Step: func(ctx context.Context) (float64, bool, error) {
			select {
			case stepCtx <- ctx:
			default:
			}
			time.Sleep(ms)
			return 0, false, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		frame(s, 1)
		cancel()
		synctest.Wait()
		frame(s, 1)
		if !errors.Is(h.Err(), workslicer.ErrReleased) || (<-stepCtx).Err() == nil {
			t.Fatalf("err %v; want ErrReleased and the task's context cancelled", h.Err())
		}
		if _, err := s.Go(ctx, costly("late", "", workslicer.Normal, 1, 0, nil)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Go with a done context: %v", err)
		}
	})
}

// Coroutines are made by Run, so a task started on a goroutine locked to an
// OS thread runs on one that is not, and the other way round.
func TestCoroutinesFollowTheRunningGoroutine(t *testing.T) {
	s := newScheduler(t, workslicer.Options{Budget: time.Second})
	body := func(ctx context.Context, yield func(float64) bool) error {
		yield(0.5)
		return nil
	}
	var h1, h2 *workslicer.Handle[struct{}]
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		h1 = start(t, s, workslicer.Task{Name: "from-locked", Body: body})
		close(done)
	}()
	<-done
	frame(s, 1)
	h2 = start(t, s, workslicer.Task{Name: "to-locked", Body: body})
	done = make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		frame(s, 1)
		frame(s, 1)
		close(done)
	}()
	<-done
	frame(s, 1)
	for _, h := range []*workslicer.Handle[struct{}]{h1, h2} {
		if _, err := h.Value(); err != nil {
			t.Fatalf("%s: %v", h.Name(), err)
		}
	}
}

// Steady frames allocate nothing: Run, EndFrame and Stats.
func TestFramesDoNotAllocate(t *testing.T) {
	s := newScheduler(t, workslicer.Options{})
	start(t, s, workslicer.Task{Name: "body", Body: func(ctx context.Context, yield func(float64) bool) error {
		for yield(0.5) {
		}
		return nil
	}})
	start(t, s, workslicer.Task{Name: "step", Step: func(context.Context) (float64, bool, error) { return 0.5, false, nil }})
	frame(s, 1)
	var st workslicer.Stats
	allocs := testing.AllocsPerRun(20, func() {
		s.Run()
		s.EndFrame()
		st = s.Stats()
	})
	if allocs != 0 || st.Last.Chunks == 0 {
		t.Fatalf("%v allocations per frame of %d chunks; want 0", allocs, st.Last.Chunks)
	}
}

func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := workslicer.New(workslicer.Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		fetching := make(chan struct{})
		running := load(t, s, "running", func(ctx context.Context) (int, error) {
			close(fetching)
			<-ctx.Done()
			return 0, context.Cause(ctx)
		})
		<-fetching
		waiting := load(t, s, "waiting", func(context.Context) (int, error) { return 1, nil })
		stopped := false
		task := start(t, s, workslicer.Task{Name: "task", Body: func(ctx context.Context, yield func(float64) bool) error {
			for yield(0) {
				time.Sleep(ms)
			}
			stopped = true
			return nil
		}})
		frame(s, 1)
		s.Close()
		s.Close()
		synctest.Wait()
		for _, err := range []error{running.Err(), waiting.Err(), task.Err()} {
			if !errors.Is(err, workslicer.ErrClosed) {
				t.Fatalf("after Close: %v, want ErrClosed", err)
			}
		}
		if !stopped {
			t.Fatal("Close did not stop the task at its yield point")
		}
		if _, err := s.Go(context.Background(), costly("late", "", 0, 1, 0, nil)); !errors.Is(err, workslicer.ErrClosed) {
			t.Fatalf("Go after Close: %v", err)
		}
		if st := s.Stats(); st.Pending != 0 || st.Fetching != 0 {
			t.Fatalf("after Close: %+v", st)
		}
	})
}

// load starts a load without a Finish stage.
func load[T any](t *testing.T, s *workslicer.Scheduler, key string, fetch func(context.Context) (T, error)) *workslicer.Handle[T] {
	t.Helper()
	h, err := workslicer.Load(context.Background(), s, workslicer.Loader[T, T]{Key: key, Fetch: fetch})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestBadArguments(t *testing.T) {
	s := newScheduler(t, workslicer.Options{})
	body := func(context.Context, func(float64) bool) error { return nil }
	step := func(context.Context) (float64, bool, error) { return 1, true, nil }
	fetch := func(context.Context) (int, error) { return 1, nil }
	if _, err := workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{Key: "held", Fetch: fetch}); err != nil {
		t.Fatal(err)
	}
	var nilCtx context.Context
	var g workslicer.Progress
	calls := []struct {
		field string
		err   error
	}{
		{"Options.Budget", errOf(workslicer.New(workslicer.Options{Budget: -ms}))},
		{"Options.UrgentBudget", errOf(workslicer.New(workslicer.Options{UrgentBudget: -ms}))},
		{"Options.AgeStep", errOf(workslicer.New(workslicer.Options{AgeStep: -ms}))},
		{"Options.StallAfter", errOf(workslicer.New(workslicer.Options{StallAfter: -ms}))},
		{"Options.Workers", errOf(workslicer.New(workslicer.Options{Workers: -1}))},
		{"Options.Deviations", errOf(workslicer.New(workslicer.Options{Deviations: -1}))},
		{"Task.Name", errOf(s.Go(context.Background(), workslicer.Task{Body: body}))},
		{"Task.Body and Task.Step are both nil", errOf(s.Go(context.Background(), workslicer.Task{Name: "x"}))},
		{"Task.Body and Task.Step are both set", errOf(s.Go(context.Background(), workslicer.Task{Name: "x", Body: body, Step: step}))},
		{"Task.Priority", errOf(s.Go(context.Background(), workslicer.Task{Name: "x", Body: body, Priority: 7}))},
		{"ctx is nil", errOf(s.Go(nilCtx, workslicer.Task{Name: "x", Body: body}))},
		{"Scheduler is nil", errOf((*workslicer.Scheduler)(nil).Go(context.Background(), workslicer.Task{Name: "x", Body: body}))},
		{"Loader.Key", errOf(workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{Fetch: fetch}))},
		{"Loader.Fetch", errOf(workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{Key: "k"}))},
		{"Loader.Finish", errOf(workslicer.Load(context.Background(), s, workslicer.Loader[int, string]{Key: "k", Fetch: fetch}))},
		{"Loader.Priority", errOf(workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{Key: "k", Fetch: fetch, Priority: -2}))},
		{"the key is held as", errOf(workslicer.Load(context.Background(), s, workslicer.Loader[string, string]{
			Key: "held", Fetch: func(context.Context) (string, error) { return "", nil }}))},
		{"Load: Scheduler is nil", errOf(workslicer.Load(context.Background(), nil, workslicer.Loader[int, int]{Key: "k", Fetch: fetch}))},
		{"weight", g.Add(&fakeProgress{}, 0)},
		{"weight", g.Add(&fakeProgress{}, -1)},
		{"p is nil", g.Add(nil, 1)},
	}
	for _, c := range calls {
		if !errors.Is(c.err, workslicer.ErrInvalid) || !strings.Contains(c.err.Error(), c.field) {
			t.Errorf("%s: got %v; want ErrInvalid naming %s", c.field, c.err, c.field)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// A task may release itself, close the scheduler or call Run; the
// scheduler stays consistent.
func TestCallsFromInsideATask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(t, workslicer.Options{Budget: time.Second})
		var self *workslicer.Handle[struct{}]
		quitter := 0
		self = start(t, s, workslicer.Task{Name: "quitter", Body: func(ctx context.Context, yield func(float64) bool) error {
			s.Run() // does nothing inside Run
			self.Release()
			for yield(0.5) {
				quitter++
			}
			return nil
		}})
		frame(s, 1)
		if !errors.Is(self.Err(), workslicer.ErrReleased) || quitter != 0 {
			t.Fatalf("self-release: %v after %d more chunks", self.Err(), quitter)
		}
		other := start(t, s, costly("other", "", workslicer.Background, 100, ms, nil))
		closer := start(t, s, workslicer.Task{Name: "closer", Step: func(context.Context) (float64, bool, error) {
			s.Close()
			return 0.5, false, nil
		}})
		frame(s, 1)
		if !errors.Is(closer.Err(), workslicer.ErrClosed) || !errors.Is(other.Err(), workslicer.ErrClosed) || s.Stats().Pending != 0 {
			t.Fatalf("Close from a task: %v, %v, pending %d", closer.Err(), other.Err(), s.Stats().Pending)
		}
	})
}
