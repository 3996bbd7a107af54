package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// The scenarios where every frame is on time and the player still cannot
// go on: the article's "the UI failed to load", a loading bar that stops,
// and "the game was disconnected from the server". Each runs once and is
// reported once, with the title that begins with expectTitle.
var problemScenarios = []*scenario{
	{name: "corrupt", title: "Corrupt asset", start: startCorrupt,
		expectTitle: "Load Failed: backgrounds/night.png: decoding backgrounds/night.png: png: invalid format"},
	{name: "stuck", title: "Download that stops", start: startStuck,
		expectTitle: "Loading Stalled: dlc/music.ogg: no progress for 5."}, // 5.0 to 5.5 s: StallAfter plus 10%
	{name: "disconnect", title: "Server connection lost", start: startDisconnect,
		expectTitle: "Game Unusable: disconnected: reading from the game server: unexpected EOF"},
}

// ---- Corrupt asset ----

// damage returns a copy of a PNG file with its first chunk's checksum
// broken, as a bad sector or an interrupted patch leaves it.
func damage(b []byte) []byte {
	c := append([]byte(nil), b...)
	if len(c) > 32 {
		c[29] ^= 0xff // the IHDR chunk's CRC
	}
	return c
}

func startCorrupt(g *game, _ bool) {
	const name = "backgrounds/night.png"
	h, err := workslicer.Load(context.Background(), g.sched, workslicer.Loader[image.Image, image.Image]{
		Key: name, Kind: "png",
		Fetch: func(context.Context) (image.Image, error) {
			data, err := readAsset(thrash{}, name, nil)
			if err != nil {
				return nil, err
			}
			return decodeAsset(name, damage(data))
		},
	})
	if err != nil {
		g.finish(nil, err)
		return
	}
	// The handle is released once OnFailure has heard of the failure:
	// workslicer takes a failure whose last handle was released at once
	// for a cancelled load, and does not report it.
	failed := g.w.Stats().LoadsFailed
	var doneAt time.Time
	g.pending = &pending{label: "loading " + name, progress: h.Progress, poll: func() (bool, error) {
		select {
		case <-h.Done():
		default:
			return false, nil
		}
		if doneAt.IsZero() {
			doneAt = time.Now()
		}
		if g.w.Stats().LoadsFailed == failed && time.Since(doneAt) < 2*time.Second {
			return false, nil
		}
		h.Release()
		return true, nil // the failure is the scenario's point: reported, not an error of the demo's
	}}
}

// ---- Download that stops ----

const downloadSize = 256 << 10

// serveDownload sends a quarter of a download and then nothing, like a
// server whose connection stopped moving, until the client gives up.
func serveDownload(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", fmt.Sprint(downloadSize))
	chunk := make([]byte, 8<<10)
	for range downloadSize / len(chunk) / 4 {
		w.Write(chunk)
		w.(http.Flusher).Flush()
		time.Sleep(20 * time.Millisecond)
	}
	<-r.Context().Done()
}

// download reads url inside a Fetch, its progress moving with the bytes.
func download(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(workslicer.ProgressReader(ctx, resp.Body, resp.ContentLength))
}

// startStuck downloads an add-on whose server stops sending. The game
// gives up once the stall has been reported, as a player would.
func startStuck(g *game, _ bool) {
	ctx, cancel := context.WithCancel(context.Background())
	h, err := workslicer.Load(ctx, g.sched, workslicer.Loader[[]byte, []byte]{
		Key: "dlc/music.ogg", Kind: "download",
		Fetch: func(ctx context.Context) ([]byte, error) {
			return download(ctx, strings.TrimSuffix(g.server.url, "/scores")+"/download")
		},
	})
	if err != nil {
		cancel()
		g.finish(nil, err)
		return
	}
	stalls := g.w.Stats().LoadsStalled
	g.pending = &pending{label: "downloading dlc/music.ogg", progress: h.Progress, poll: func() (bool, error) {
		if g.w.Stats().LoadsStalled == stalls {
			return false, nil
		}
		cancel()
		h.Release()
		return true, nil
	}}
}

// ---- Server connection lost ----

// serveSession streams a game session: a line every 50 ms. The first
// connection drops after a few lines, as a server that crashed; a
// reconnection stays up until the client leaves.
func serveSession(w http.ResponseWriter, r *http.Request) {
	for i := 0; ; i++ {
		if i == 5 && r.URL.Query().Get("reconnect") == "" {
			panic(http.ErrAbortHandler) // the connection drops mid-stream
		}
		if _, err := fmt.Fprintf(w, "tick %d\n", i); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// follow reads a session's lines until the connection ends, calling
// connected after the first one.
func follow(ctx context.Context, url string, connected func()) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("connecting to the game server: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for first := true; sc.Scan(); first = false {
		if first {
			connected()
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading from the game server: %w", err)
	}
	return fmt.Errorf("reading from the game server: %w", errors.New("closed by the server"))
}

// startDisconnect follows a session whose server drops the connection:
// the game tells the Watcher it is unusable, reconnects, and says it is
// usable again once the new session streams.
func startDisconnect(g *game, _ bool) {
	base := strings.TrimSuffix(g.server.url, "/scores") + "/session"
	ctx, cancel := context.WithCancel(context.Background())
	var back atomic.Bool
	go func() {
		err := follow(ctx, base, func() {})
		g.w.Unusable("disconnected", err)
		follow(ctx, base+"?reconnect=1", func() {
			g.w.Usable()
			back.Store(true)
		})
	}()
	g.pending = &pending{label: "playing online", poll: func() (bool, error) {
		if !back.Load() {
			return false, nil
		}
		cancel()
		return true, nil
	}}
}
