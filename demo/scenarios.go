package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/framewatch/framewatch/assets"
	"github.com/framewatch/framewatch/workslicer"
	"github.com/framewatch/framewatch/workslicer/ebitenimage"
	"github.com/hajimehoshi/ebiten/v2"
)

// A scenario reproduces one of the article's stalls. start runs in Update
// when the scenario is triggered: the stalling variant blocks there, the
// fixed one starts work and returns. done reports when the work finished.
type scenario struct {
	name, title string
	expectClass string // what the watchdog should call the stall
	culprit     string // the function it should blame
	expectTitle string // for a scenario that is not a frame stall: its report's title starts so
	start       func(g *game, fixed bool)
}

var scenarios = []*scenario{
	{name: "load", title: "Thrashing asset load", expectClass: thrashClass, culprit: "main.readPages", start: startLoad},
	{name: "network", title: "Network call in Update", expectClass: "io", culprit: "main.fetchScores", start: startNetwork},
	{name: "lock", title: "Lock held by autosave", expectClass: "lock", culprit: "main.(*world).readWorldState", start: startLock},
	{name: "cpu", title: "Pathfinding in one tick", expectClass: "cpu", culprit: "main.findPaths", start: startCPU},
}

// idle is the script's scene baseline: no work, only the scene, for about
// as long as a load takes. Its frame gaps are the host's baseline plus
// what drawing and presenting the scene cost on this machine, the floor
// under every fixed variant's.
var idle = &scenario{name: "idle", title: "The scene alone", start: startIdle}

const idleTicks = 150 // 2.5 s at 60 ticks a second

func startIdle(g *game, _ bool) {
	end := g.ticks + idleTicks
	g.pending = &pending{label: "measuring the scene alone", poll: func() (bool, error) { return g.ticks >= end, nil }}
}

// allScenarios lists the frame stalls, then the other problems.
func allScenarios() []*scenario {
	return append(append([]*scenario(nil), scenarios...), problemScenarios...)
}

func scenarioNamed(name string) *scenario {
	for _, s := range allScenarios() {
		if s.name == name {
			return s
		}
	}
	return nil
}

// ---- Thrashing load ----

// thrash makes reads slow and memory hungry, like the article's 256 MB
// machine: asset bytes read from the pack's memory mapping after their
// pages were evicted, so each page read is a major fault that waits for
// the disk, several times over, and a large working set touched.
type thrash struct {
	pack       *pack // nil: read from the embedded files, no thrash
	passes     int   // reads of each asset, its pages evicted before each
	workingSet int   // bytes touched per asset
}

// thrashPasses sizes the thrashing load. On the development VM (2 cores,
// a virtual disk), with the machine quiet, 6 passes made the stalling
// load's Update last 0.6 to 0.7 s, at the frozen threshold, and 24 passes
// 1.8 s; under load from other processes a major fault took 200 to 500 µs
// and the load lasts several times longer.
const thrashPasses = 24

func newThrash(p *pack) thrash {
	if p == nil {
		return thrash{}
	}
	return thrash{pack: p, passes: thrashPasses, workingSet: 16 << 20}
}

// readAsset reads one asset's bytes, paying the thrash costs: memory
// pressure takes its pages back before every pass. progress, if not nil,
// hears how much is read. The loader's working set is touched apart, by
// decodeTouching, so that the fixed load can do that at low priority.
func readAsset(t thrash, name string, progress func(done float64)) ([]byte, error) {
	if t.pack == nil {
		return fs.ReadFile(assets.FS, name)
	}
	mapped, err := t.pack.asset(name)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(mapped))
	t.pack.reading.Lock()
	defer t.pack.reading.Unlock()
	for pass := range t.passes {
		t.pack.evict(mapped)
		readPages(out, mapped, func(read float64) {
			if progress != nil {
				progress((float64(pass) + read) / float64(t.passes))
			}
		})
	}
	return out, nil
}

// readPages copies mapped into out a page of the mapping at a time, and
// reads the first byte of each page in Go code first, so that the
// goroutine waits for the disk here, where a signal can preempt it, rather
// than inside the runtime's memmove, which cannot be preempted. An asset
// starts anywhere in its first page, so the copies follow the mapping's
// page boundaries, not the asset's. progress hears the share copied, every
// 32 pages from the first on.
func readPages(out, mapped []byte, progress func(read float64)) {
	if len(mapped) == 0 {
		return
	}
	page := os.Getpagesize()
	end := page - int(uintptr(unsafe.Pointer(&mapped[0])))%page
	for i, n := 0, 0; i < len(mapped); i, end, n = end, end+page, n+1 {
		end = min(end, len(mapped))
		faulted.Add(uint64(mapped[i])) // a major fault: the page is on disk
		copy(out[i:end], mapped[i:end])
		if n%32 == 0 {
			progress(float64(end) / float64(len(mapped)))
		}
	}
}

// faulted keeps the page reads in readPages from being optimized away.
var faulted atomic.Uint64

var touched atomic.Uint64

// touch writes to every page of a fresh buffer, as a loader with a large
// working set does.
func touch(n int) {
	if n == 0 {
		return
	}
	b := make([]byte, n)
	var sum uint64
	for i := 0; i < n; i += 4096 {
		b[i] = byte(i)
		sum += uint64(b[i])
	}
	touched.Add(sum)
}

// decodeTouching decodes an asset that readAsset read, touching the
// loader's working set first as the thrash asks.
func decodeTouching(t thrash, name string, data []byte) (image.Image, error) {
	touch(t.workingSet)
	return decodeAsset(name, data)
}

func decodeAsset(name string, data []byte) (image.Image, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", name, err)
	}
	return img, nil
}

func assetNames() []string {
	names, _ := fs.Glob(assets.FS, "*/*.png")
	return names
}

// loadAllAssets is the stalling load: read, decode and upload every asset
// in one Update, as the article's client did when entering a level.
func loadAllAssets(t thrash) (map[string]*ebiten.Image, error) {
	images := make(map[string]*ebiten.Image)
	for _, name := range assetNames() {
		data, err := readAsset(t, name, nil)
		if err != nil {
			return nil, err
		}
		img, err := decodeTouching(t, name, data)
		if err != nil {
			return nil, err
		}
		images[name] = ebiten.NewImageFromImage(img)
	}
	return images, nil
}

func startLoad(g *game, fixed bool) {
	g.setImages(nil)
	t := g.thrash
	if !fixed {
		images, err := loadAllAssets(t)
		g.finish(images, err)
		return
	}
	// 512 KiB a frame: under llvmpipe on 2 cores, 1 MiB uploads made 60 to
	// 90 ms frames, 512 KiB 30 to 50 ms, and 256 KiB no better than that
	// while loading a third slower.
	up, err := ebitenimage.New(g.sched, ebitenimage.Options{BytesPerFrame: 512 << 10})
	if err != nil {
		g.finish(nil, err)
		return
	}
	var bar workslicer.Progress
	var handles []*workslicer.Handle[*ebiten.Image]
	for _, a := range assets.Info() {
		name := a.Name
		h, err := up.Load(context.Background(), name, func(ctx context.Context) (image.Image, error) {
			// Reads at normal priority, the rest lowered.
			data, err := readAsset(t, name, func(done float64) { workslicer.FetchProgress(ctx, done) })
			if err != nil {
				return nil, err
			}
			var img image.Image
			runLowered(func() { img, err = decodeTouching(t, name, data) })
			return img, err
		})
		if err != nil {
			g.finish(nil, err)
			return
		}
		bar.Add(h, float64(a.Decoded))
		handles = append(handles, h)
	}
	g.pending = &pending{
		progress: bar.Progress,
		poll: func() (bool, error) {
			if bar.Progress() < 1 {
				for _, h := range handles {
					if err := h.Err(); err != nil {
						return true, err
					}
				}
				return false, nil
			}
			images := make(map[string]*ebiten.Image)
			for _, h := range handles {
				img, err := h.Value()
				if err != nil {
					return true, err
				}
				images[h.Name()] = img
				h.Release()
			}
			g.setImages(images)
			return true, nil
		},
	}
}

// ---- Network ----

// slowServer answers after a delay, like a distant game server.
type slowServer struct {
	url   string
	delay time.Duration
}

func startSlowServer(delay time.Duration) (*slowServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the slow server: %w", err)
	}
	s := &slowServer{url: "http://" + ln.Addr().String() + "/scores", delay: delay}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/download":
			serveDownload(w, r)
			return
		case "/session":
			serveSession(w, r)
			return
		}
		time.Sleep(s.delay)
		json.NewEncoder(w).Encode([]int{9100, 8700, 4200})
	}))
	return s, nil
}

// fetchScores makes a blocking HTTP request.
func fetchScores(url string) ([]int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var scores []int
	return scores, json.NewDecoder(resp.Body).Decode(&scores)
}

func startNetwork(g *game, fixed bool) {
	if !fixed {
		scores, err := fetchScores(g.server.url)
		g.scores = scores
		g.finish(nil, err)
		return
	}
	var result atomic.Pointer[[]int]
	var failed atomic.Pointer[error]
	go func() {
		scores, err := fetchScores(g.server.url)
		if err != nil {
			failed.Store(&err)
			return
		}
		result.Store(&scores)
	}()
	g.pending = &pending{
		label: "fetching scores…",
		poll: func() (bool, error) {
			if e := failed.Load(); e != nil {
				return true, *e
			}
			if s := result.Load(); s != nil {
				g.scores = *s
				return true, nil
			}
			return false, nil
		},
	}
}

// ---- Lock ----

// world is state an autosave goroutine writes to disk while holding its
// lock.
type world struct {
	mu       sync.Mutex
	state    worldState
	snapshot atomic.Pointer[worldState] // for the fixed variant: no lock
}

type worldState struct{ Level, Coins int }

// autosave holds the lock for as long as a slow disk write takes.
func (w *world) autosave(held chan<- struct{}, write time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(held)
	time.Sleep(write)
	w.state.Coins++
	s := w.state
	w.snapshot.Store(&s)
}

// readWorldState reads the state under its lock.
func (w *world) readWorldState() worldState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}

func startLock(g *game, fixed bool) {
	held := make(chan struct{})
	go g.world.autosave(held, g.stallFor)
	<-held
	if !fixed {
		g.worldState = g.world.readWorldState()
		g.finish(nil, nil)
		return
	}
	// The frame reads the last published snapshot; the autosave publishes
	// a new one when it is done.
	before := g.world.snapshot.Load()
	g.pending = &pending{
		label: "autosaving…",
		poll: func() (bool, error) {
			if s := g.world.snapshot.Load(); s != before {
				g.worldState = *s
				return true, nil
			}
			return false, nil
		},
	}
}

// ---- CPU ----

// grid is a maze for pathfinding.
type grid struct {
	w, h  int
	walls []bool
}

func newGrid(w, h int) *grid {
	g := &grid{w: w, h: h, walls: make([]bool, w*h)}
	for y := 2; y < h; y += 4 {
		gap := (y * 7919) % w
		for x := range w {
			g.walls[y*w+x] = x != gap
		}
	}
	return g
}

// findPaths plans routes for units with breadth-first searches over the
// whole grid, calling yield every chunk nodes with its progress (a nil
// yield never pauses).
func findPaths(gr *grid, units, chunk int, yield func(float64) bool) int {
	dist := make([]int32, len(gr.walls))
	queue := make([]int32, 0, len(gr.walls))
	visited, total := 0, units*len(gr.walls)
	for u := range units {
		for i := range dist {
			dist[i] = -1
		}
		start := int32(u % gr.w)
		dist[start], queue = 0, append(queue[:0], start)
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			x, y := int(p)%gr.w, int(p)/gr.w
			for _, n := range [4][2]int{{x + 1, y}, {x - 1, y}, {x, y + 1}, {x, y - 1}} {
				if n[0] < 0 || n[1] < 0 || n[0] >= gr.w || n[1] >= gr.h {
					continue
				}
				q := int32(n[1]*gr.w + n[0])
				if gr.walls[q] || dist[q] >= 0 {
					continue
				}
				dist[q] = dist[p] + 1
				queue = append(queue, q)
			}
			visited++
			if yield != nil && visited%chunk == 0 && !yield(float64(visited)/float64(total)) {
				return visited
			}
		}
	}
	return visited
}

// pathUnits sizes the stalling pathfinding, so that it is a frozen frame
// (700 ms) on a quiet machine too: 16 units took 670 to 760 ms on the
// development VM with nothing else running, 32 twice that.
const pathUnits = 32

func startCPU(g *game, fixed bool) {
	if !fixed {
		findPaths(g.grid, pathUnits, 0, nil)
		g.finish(nil, nil)
		return
	}
	h, err := g.sched.Go(context.Background(), workslicer.Task{
		Name: "pathfinding",
		Kind: "bfs",
		Body: func(ctx context.Context, yield func(float64) bool) error {
			findPaths(g.grid, pathUnits, 5000, yield)
			return context.Cause(ctx)
		},
	})
	if err != nil {
		g.finish(nil, err)
		return
	}
	g.pending = &pending{
		progress: h.Progress,
		poll: func() (bool, error) {
			select {
			case <-h.Done():
				return true, h.Err()
			default:
				return false, nil
			}
		},
	}
}
