package workslicer_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// BenchmarkChunk measures the scheduler's cost per chunk, the coroutine
// switch included, with chunks that do nothing. The machine's speed drifts
// when other work shares it, so each frame of chunks (1 ms budget) is
// followed by as many bare iter.Pull round trips, and both are reported:
// ns/chunk, ns/pull and their ratio.
func BenchmarkChunk(b *testing.B) {
	for _, style := range []string{"body", "step"} {
		for _, tasks := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/tasks=%d", style, tasks), func(b *testing.B) {
				s, err := workslicer.New(workslicer.Options{Budget: time.Millisecond})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				for i := range tasks {
					start(b, s, idleTask(fmt.Sprint("t", i), style))
				}
				next, stop := iter.Pull(func(yield func(float64) bool) {
					for yield(0.5) {
					}
				})
				defer stop()
				var chunkTime, pullTime time.Duration
				chunks := 0
				b.ResetTimer()
				for chunks < b.N {
					t0 := time.Now()
					s.Run()
					s.EndFrame()
					t1 := time.Now()
					n := s.Stats().Last.Chunks
					for range n {
						next()
					}
					chunkTime += t1.Sub(t0)
					pullTime += time.Since(t1)
					chunks += n
				}
				perChunk := float64(chunkTime) / float64(chunks)
				perPull := float64(pullTime) / float64(chunks)
				b.ReportMetric(perChunk, "ns/chunk")
				b.ReportMetric(perPull, "ns/pull")
				b.ReportMetric(perChunk/perPull, "chunk/pull")
			})
		}
	}
}

// idleTask never ends and does nothing per chunk.
func idleTask(name, style string) workslicer.Task {
	if style == "step" {
		return workslicer.Task{Name: name, Step: func(context.Context) (float64, bool, error) { return 0.5, false, nil }}
	}
	return workslicer.Task{Name: name, Body: func(ctx context.Context, yield func(float64) bool) error {
		for yield(0.5) {
		}
		return nil
	}}
}

// BenchmarkPull is one bare iter.Pull resume and yield.
func BenchmarkPull(b *testing.B) {
	next, stop := iter.Pull(func(yield func(float64) bool) {
		for yield(0.5) {
		}
	})
	defer stop()
	for b.Loop() {
		next()
	}
}

// BenchmarkIdleFrame is what Run and EndFrame cost an adapter per frame
// when there is no work.
func BenchmarkIdleFrame(b *testing.B) {
	s, err := workslicer.New(workslicer.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		s.Run()
		s.EndFrame()
	}
}

// BenchmarkPolicy simulates queued tasks whose chunks cost about 0.3 ms
// (80%) or about 3 ms (20%) against a 4 ms budget, on a simulated clock,
// and reports the share of frames over budget and the frames needed by
// three policies:
//
//   - naive: run the oldest task's chunks until elapsed ≥ budget;
//   - admit: run the oldest task's next chunk only if its predicted cost
//     (moving average + dev mean deviations of its kind) fits;
//   - workslicer: the Scheduler, which also packs other tasks' chunks into
//     what the oldest task leaves.
//
// In "kinds", each task's chunks are of one size (decoding small files,
// uploading big textures); in "mixed", every task mixes both sizes at
// random, so no prediction can tell a chunk's size beforehand. dev is the
// margin, Options.Deviations.
func BenchmarkPolicy(b *testing.B) {
	for _, sc := range []string{"kinds", "mixed"} {
		tasks := simTasks(sc == "mixed", 1)
		b.Run(sc+"/naive", func(b *testing.B) { reportSim(b, func() simResult { return simNaive(tasks) }) })
		for _, dev := range []float64{workslicer.DefaultDeviations, 2} {
			b.Run(fmt.Sprintf("%s/admit/dev=%v", sc, dev), func(b *testing.B) {
				reportSim(b, func() simResult { return simAdmit(tasks, dev) })
			})
			b.Run(fmt.Sprintf("%s/workslicer/dev=%v", sc, dev), func(b *testing.B) {
				reportSim(b, func() simResult { return simScheduler(tasks, dev) })
			})
		}
	}
}

func reportSim(b *testing.B, sim func() simResult) {
	var r simResult
	for b.Loop() {
		r = sim()
	}
	b.ReportMetric(100*float64(r.over)/float64(r.frames), "over-%")
	b.ReportMetric(float64(r.frames), "frames")
}

const (
	simBudget = 4 * time.Millisecond
	simFrame  = time.Second / 60
)

type simTask struct {
	name, kind string
	costs      []time.Duration
}

type simResult struct{ frames, over int }

// simTasks makes ten tasks of 400 chunks, 80% of all chunks about 0.3 ms
// and 20% about 3 ms, each ±33%.
func simTasks(mixed bool, seed uint64) []simTask {
	rng := rand.New(rand.NewPCG(seed, 2))
	about := func(d time.Duration) time.Duration {
		return time.Duration(float64(d) * (0.67 + 0.66*rng.Float64()))
	}
	var tasks []simTask
	for i := range 10 {
		heavy := i%5 == 0 // tasks 0 and 5 in "kinds"
		t := simTask{name: fmt.Sprint("task", i), kind: "light"}
		if mixed {
			t.kind = "mixed"
		} else if heavy {
			t.kind = "heavy"
		}
		for range 400 {
			if (mixed && rng.Float64() < 0.2) || (!mixed && heavy) {
				t.costs = append(t.costs, about(3*time.Millisecond))
			} else {
				t.costs = append(t.costs, about(300*time.Microsecond))
			}
		}
		tasks = append(tasks, t)
	}
	return tasks
}

// simHead runs frames of a policy that only ever takes the oldest task's
// next chunk; more says whether another chunk may start.
func simHead(tasks []simTask, more func(spent time.Duration, kind string) bool, observe func(kind string, d time.Duration)) simResult {
	var r simResult
	task, step := 0, 0
	for task < len(tasks) {
		var spent time.Duration
		for chunks := 0; task < len(tasks) && (chunks == 0 || more(spent, tasks[task].kind)); chunks++ {
			d := tasks[task].costs[step]
			spent += d
			observe(tasks[task].kind, d)
			if step++; step == len(tasks[task].costs) {
				task, step = task+1, 0
			}
		}
		r.frames++
		if spent > simBudget {
			r.over++
		}
	}
	return r
}

func simNaive(tasks []simTask) simResult {
	return simHead(tasks, func(spent time.Duration, _ string) bool { return spent < simBudget },
		func(string, time.Duration) {})
}

// simAdmit predicts like the Scheduler: mean + dev deviations, RFC 6298
// gains.
func simAdmit(tasks []simTask, dev float64) simResult {
	type est struct{ mean, dev float64 }
	ests := map[string]*est{}
	return simHead(tasks,
		func(spent time.Duration, kind string) bool {
			e := ests[kind]
			return e == nil || spent+time.Duration(e.mean+dev*e.dev) <= simBudget
		},
		func(kind string, d time.Duration) {
			x := float64(d)
			e := ests[kind]
			if e == nil {
				ests[kind] = &est{x, x / 2}
				return
			}
			diff := x - e.mean
			e.dev += (max(diff, -diff) - e.dev) / 4
			e.mean += diff / 8
		})
}

// simScheduler runs the tasks on a Scheduler whose clock advances by each
// chunk's cost, and by the rest of a 60 Hz frame between frames.
func simScheduler(tasks []simTask, dev float64) simResult {
	s, err := workslicer.New(workslicer.Options{Budget: simBudget, Deviations: dev})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	var clock time.Duration
	workslicer.SetClock(s, func() time.Duration { return clock })
	for _, t := range tasks {
		step := 0
		_, err := s.Go(context.Background(), workslicer.Task{Name: t.name, Kind: t.kind,
			Step: func(context.Context) (float64, bool, error) {
				clock += t.costs[step]
				step++
				return float64(step) / float64(len(t.costs)), step == len(t.costs), nil
			}})
		if err != nil {
			panic(err)
		}
	}
	for {
		frameStart := clock
		s.Run()
		s.EndFrame()
		clock = frameStart + max(simFrame, clock-frameStart)
		if st := s.Stats(); st.Pending == 0 {
			return simResult{frames: int(st.Frames), over: int(st.OverBudget)}
		}
	}
}
