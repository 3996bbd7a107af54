package workslicer_test

import (
	"bytes"
	"context"
	"io"
	"runtime/pprof"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framewatch/framewatch/workslicer"
)

// A load whose download stops is reported once, StallAfter after its last
// byte on the game's clock and within one look more (StallAfter/16), with
// its stage and progress; a slow but steady download is not, nor does a
// game that stops calling EndFrame age its work. The Fetch goroutine
// carries the load's pprof label.
func TestStalledLoads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const after = 2 * time.Second
		begin := time.Now()
		var stalls []workslicer.Stalled
		var at []time.Duration
		s := newScheduler(t, workslicer.Options{Workers: 2, StallAfter: after, OnStalled: func(st workslicer.Stalled) {
			stalls, at = append(stalls, st), append(at, time.Since(begin))
		}})
		stuckR, stuckW := io.Pipe()
		steadyR, steadyW := io.Pipe()
		defer stuckW.Close()
		defer steadyW.Close()
		download := func(key string, r io.Reader) {
			_, err := workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{Key: key, Kind: "pak",
				Fetch: func(ctx context.Context) (int, error) {
					b, err := io.ReadAll(workslicer.ProgressReader(ctx, r, 1000))
					return len(b), err
				}})
			if err != nil {
				t.Fatal(err)
			}
		}
		download("stuck.pak", stuckR)
		download("steady.pak", steadyR)
		stuckW.Write(make([]byte, 100)) // then nothing
		synctest.Wait()
		var profile bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&profile, 1)
		if !strings.Contains(profile.String(), `"workslicer.load":"stuck.pak"`) {
			t.Errorf("no goroutine carries the label workslicer.load=stuck.pak")
		}
		play := func(d time.Duration) {
			for end := time.Now().Add(d); time.Now().Before(end); {
				if time.Since(begin)%(500*time.Millisecond) < 16*time.Millisecond {
					steadyW.Write(make([]byte, 10))
				}
				frame(s, 1)
				time.Sleep(16 * time.Millisecond)
			}
		}
		play(4 * time.Second)
		if len(stalls) != 1 {
			t.Fatalf("stalls %+v; want the stopped download once", stalls)
		}
		if st := stalls[0]; st.Task != "stuck.pak" || st.Kind != "pak" || st.Stage != "Fetch" || st.Progress != 0.1 || st.For < after {
			t.Fatalf("stall %+v; want stuck.pak in Fetch at 0.1 for %v", st, after)
		}
		if at[0] > after+after/10 {
			t.Fatalf("reported %v after the last byte; want within %v", at[0], after+after/10)
		}
		time.Sleep(10 * time.Second) // no frames and no bytes: the game is paused
		frame(s, 1)
		play(time.Second)
		if len(stalls) != 1 {
			t.Fatalf("stalls after a pause %+v; want no more", stalls)
		}
	})
}

// A load waiting for a worker behind a stuck one is not reported: the
// stuck one is. Once a worker takes it, its own StallAfter starts.
func TestQueuedLoadIsNotStalled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const after = 2 * time.Second
		var stalls []workslicer.Stalled
		s := newScheduler(t, workslicer.Options{Workers: 1, StallAfter: after, OnStalled: func(st workslicer.Stalled) {
			stalls = append(stalls, st)
		}})
		firstR, firstW := io.Pipe()
		secondR, secondW := io.Pipe()
		defer secondW.Close()
		for _, l := range []struct {
			key string
			r   io.Reader
		}{{"first.pak", firstR}, {"second.pak", secondR}} {
			_, err := workslicer.Load(context.Background(), s, workslicer.Loader[int, int]{Key: l.key,
				Fetch: func(ctx context.Context) (int, error) {
					b, err := io.ReadAll(workslicer.ProgressReader(ctx, l.r, 1000))
					return len(b), err
				}})
			if err != nil {
				t.Fatal(err)
			}
		}
		play := func(d time.Duration) {
			for end := time.Now().Add(d); time.Now().Before(end); {
				frame(s, 1)
				time.Sleep(16 * time.Millisecond)
			}
		}
		play(after + after/2)
		if len(stalls) != 1 || stalls[0].Task != "first.pak" {
			t.Fatalf("stalls %+v; want first.pak alone, not the load waiting behind it", stalls)
		}
		firstW.Close() // first.pak ends; a worker takes second.pak, which gets no byte
		synctest.Wait()
		started := time.Now()
		play(after - after/4)
		if len(stalls) != 1 {
			t.Fatalf("stalls %+v %v after second.pak started; want none for it before %v", stalls, time.Since(started), after)
		}
		play(after/4 + after/10)
		if len(stalls) != 2 || stalls[1].Task != "second.pak" || stalls[1].Stage != "Fetch" {
			t.Fatalf("stalls %+v; want second.pak within %v of its start", stalls, after+after/10)
		}
	})
}
