package report_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/framewatch/framewatch/ebitenwatch/report"
	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// startSpotlight runs tools/spotlight's pinned Spotlight on a free port and
// returns its base URL.
func startSpotlight(t *testing.T) string {
	bin := filepath.Join(repoRoot(t), "tools", "spotlight", "node_modules", ".bin", "spotlight")
	if _, err := os.Stat(bin); err != nil {
		// make test installs Spotlight and requires this test; a plain go
		// test on a machine without Node skips it.
		msg := fmt.Sprintf("Spotlight is not installed (%v): run `make spotlight-deps` (npm ci in tools/spotlight); `make test` does it", err)
		if os.Getenv("FRAMEWATCH_REQUIRE_SPOTLIGHT") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(bin, "server", "-p", "0")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw // it logs to both
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting Spotlight: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		pw.Close()
	})
	port := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (\d+)`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case port <- m[1]:
				default:
				}
			}
		}
	}()
	var base string
	select {
	case p := <-port:
		base = "http://127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatal("Spotlight did not print its port")
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Spotlight /health: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type spotlightEvent struct {
	EventID     string   `json:"event_id"`
	Level       string   `json:"level"`
	Fingerprint []string `json:"fingerprint"`
	Exception   struct {
		Values []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"values"`
	} `json:"exception"`
}

// readStream reads error events back from Spotlight's /stream (server-sent
// events replaying every buffered envelope) until it has want of them and
// nothing more arrives for a moment.
func readStream(t *testing.T, base string, want int) []spotlightEvent {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan spotlightEvent)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data:")
			if !ok {
				continue
			}
			var env []json.RawMessage // [header, [[item header, payload], ...]]
			if err := json.Unmarshal([]byte(strings.TrimSpace(data)), &env); err != nil || len(env) < 2 {
				t.Errorf("stream data is not an envelope: %v: %.200s", err, data)
				continue
			}
			var items [][2]json.RawMessage
			if err := json.Unmarshal(env[1], &items); err != nil {
				t.Errorf("envelope items: %v", err)
				continue
			}
			for _, it := range items {
				var h struct{ Type string }
				json.Unmarshal(it[0], &h)
				if h.Type != "event" {
					continue
				}
				var e spotlightEvent
				if err := json.Unmarshal(it[1], &e); err != nil {
					t.Errorf("event payload: %v", err)
					continue
				}
				select {
				case events <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	var got []spotlightEvent
	for {
		quiet := time.After(time.Hour)
		if len(got) >= want {
			quiet = time.After(300 * time.Millisecond)
		}
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("stream ended after %d events, want %d", len(got), want)
			}
			got = append(got, e)
		case <-quiet:
			return got
		case <-ctx.Done():
			t.Fatalf("read %d events from Spotlight, want %d", len(got), want)
		}
	}
}

func TestSpotlightEndToEnd(t *testing.T) {
	base := startSpotlight(t)
	dsn := "http://public@" + strings.TrimPrefix(base, "http://") + "/0"
	r := newReporter(t, report.Options{DSN: dsn})
	assets := stuckStall(t, atAssets, stallSpec{tier: watchdog.TierHang, dur: 2400 * time.Millisecond})
	save := stuckStall(t, atSave, stallSpec{tier: watchdog.TierFrozen, dur: 800 * time.Millisecond})
	for _, s := range []*watchdog.Stall{assets, save, assets, save} {
		c := *s
		c.ID = stallIDs.Add(1)
		r.StallStarted(started(&c))
		r.StallEnded(&c)
	}
	if !r.Flush(10 * time.Second) {
		t.Fatalf("Flush to Spotlight timed out: %+v", r.Stats())
	}
	if st := r.Stats(); st.Sent != 4 || st.Dropped != 0 {
		t.Errorf("stats %+v: Spotlight must accept every event (200) the first time", st)
	}
	if files := spoolFiles(t, r.SpoolDir()); len(files) != 0 {
		t.Errorf("spool not empty: %v", files)
	}

	evs := readStream(t, base, 4)
	if len(evs) != 4 {
		t.Fatalf("Spotlight holds %d events, want 4 (no resends)", len(evs))
	}
	byFP := map[string][]spotlightEvent{}
	for _, e := range evs {
		k := strings.Join(e.Fingerprint, "|")
		byFP[k] = append(byFP[k], e)
	}
	if len(byFP) != 2 {
		t.Fatalf("%d fingerprints, want 2: %v", len(byFP), byFP)
	}
	titles := map[string]string{
		"App Hanging: " + testPkg + "decodeAtlas: Update blocked for at least 2.4 s (lock)": "hang",
		"Frozen Frame: " + testPkg + "writeSlot: Update blocked for at least 0.8 s (lock)":  "frozen",
	}
	for fp, es := range byFP {
		if len(es) != 2 || es[0].EventID == es[1].EventID {
			t.Errorf("fingerprint %s: %d events, want 2 distinct", fp, len(es))
		}
		for _, e := range es {
			title := e.Exception.Values[0].Type + ": " + e.Exception.Values[0].Value
			if tier, ok := titles[title]; !ok || e.Fingerprint[1] != tier {
				t.Errorf("event title %q fingerprint %v", title, e.Fingerprint)
			}
		}
	}
	fmt.Fprintln(&slogWriter{t: t}, "Spotlight UI:", base)
}
