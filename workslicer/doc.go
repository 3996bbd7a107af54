// Package workslicer is a cooperative scheduler that spends a per-frame time
// budget on work split into small chunks, so loading and other long jobs run
// between frames instead of freezing one.
//
// A game makes one Scheduler, starts work on it from anywhere, and gives it
// the rest of each frame's budget after Update; Draw closes the frame:
//
//	s, err := workslicer.New(workslicer.Options{}) // 4 ms per frame
//	...
//	var bar workslicer.Progress
//	for _, name := range names {
//		h, err := workslicer.Load(ctx, s, workslicer.Loader[*level, *Level]{
//			Key:    name,
//			Fetch:  func(ctx context.Context) (*level, error) { return parseFile(name) }, // on a worker
//			Finish: addToWorld, // on the game goroutine, yielding between chunks
//		})
//		...
//		bar.Add(h, 1)
//	}
//
//	func (g *Game) Update() error { /* game logic */; g.s.Run(); return nil }
//	func (g *Game) Draw(screen *ebiten.Image) { /* draw bar.Progress() */; g.s.EndFrame() }
//
// The ebitenwatch adapter makes the Run and EndFrame calls itself.
//
// # Tasks
//
// A Task is straight-line Go that yields between chunks (Task.Body, run as
// a coroutine with iter.Pull) or a function called once per chunk
// (Task.Step). Each chunk is named by its task and step number in Running,
// Overrun and Stats. A Loader adds a background stage: Fetch runs on a
// bounded pool of goroutines, then Finish runs sliced on the game
// goroutine. Loads of one key share one load, held by refcounted handles,
// and are cancelled when the last handle is released. A task that panics
// or fails settles its handle with the error; the others go on. One that
// calls runtime.Goexit fails with ErrGoexit, and the Goexit goes on.
// Options.OnFailure hears of each failure the game does not mark Expected,
// and Options.OnStalled of work whose progress stopped moving; a Fetch
// moves its progress with FetchProgress or ProgressReader.
//
// # Budget
//
// All Run calls between two EndFrame calls share one budget (Options.Budget,
// 4 ms by default): Ebitengine runs Update 0 to 5 times per frame, and a
// full budget per call would allow 20 ms frames. The first chunk of a frame
// always runs. After it, a chunk runs only if the time spent plus its
// predicted cost fits the budget; the prediction is a moving average plus
// 1.5 mean deviations (Options.Deviations) of past chunks of the same
// Task.Kind. When the most urgent task's next chunk does not fit, smaller
// chunks of other tasks fill the rest of the frame. Urgent work runs before
// Normal before Background, and a task gains a level for every
// Options.AgeStep it waits, so none starves. Among equals the task that
// came first runs first, so loads finish one after another rather than
// all at the end; among aged tasks of one Kind, the longest waiting.
// Choosing costs the same however many tasks wait.
//
// A frame may also limit something other than time that chunks use, such
// as bytes uploaded to the GPU: a Resource, made with NewResource, which a
// task names in Task.Uses and draws on by what Task.Cost says its next
// chunk takes. Run admits a chunk only if it fits both budgets.
package workslicer
