package report

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Spool layout, all in one directory:
//
//	<stem>.report.json   a finished report waiting for delivery
//	<stem>.live.json     a stall in progress; its writer holds a lock on it
//	.<name>.tmp          a file being written (renamed into place when complete)
//	corrupt/             files that could not be read, kept for inspection
//	failed/              reports the server refused (4xx, or 5xx three times)
//	suppressed.json      per-fingerprint counts of rate-limited stalls
//
// A stem is "<unix nanoseconds, 20 digits>-<pid>-<random>", so names sort
// oldest first. A report and the live file it replaces share a stem and an
// event ID.
const (
	reportSuffix   = ".report.json"
	liveSuffix     = ".live.json"
	corruptDir     = "corrupt"
	failedDir      = "failed"
	suppressedFile = "suppressed.json"
	keepAside      = 20            // files kept in corrupt/ and failed/
	staleTemp      = 1 * time.Hour // temp files older than this are leftovers of a crash
	recordFormat   = 1
)

// record is one spooled report: everything needed to rebuild and send the
// Sentry event, in JSON.
type record struct {
	Format  int       `json:"format"`
	Kind    string    `json:"kind"` // "stall" or "panic"
	Title   string    `json:"title"`
	Key     string    `json:"key"` // rate-limit key: the fingerprint, or the panic's grouping
	Created time.Time `json:"created"`
	PID     int       `json:"pid"`
	// Stall holds what turning an in-progress stall into a fatal hang needs.
	Stall *stallMeta `json:"stall,omitempty"`
	// Event is the sentry.Event as sentry-go marshals it.
	Event       json.RawMessage `json:"event"`
	Attachments []attachment    `json:"attachments,omitempty"`
}

type attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

type stallMeta struct {
	Phase    string        `json:"phase"`
	Tier     string        `json:"tier"`
	Class    string        `json:"class"`
	Culprit  string        `json:"culprit"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Ended    bool          `json:"ended"`
}

func decodeRecord(data []byte) (*record, error) {
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	if rec.Format != recordFormat {
		return nil, fmt.Errorf("unknown spool format %d", rec.Format)
	}
	if len(rec.Event) == 0 {
		return nil, errors.New("no event")
	}
	if rec.Created.IsZero() {
		return nil, errors.New("no creation time")
	}
	return &rec, nil
}

type spool struct {
	dir      string
	root     *os.Root
	maxFiles int
	maxBytes int64
	log      *slog.Logger
}

// openSpool creates dir if needed and checks that files can be written in it.
func openSpool(dir string, maxFiles int, maxBytes int64, log *slog.Logger) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("report: Options.SpoolDir %q: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("report: Options.SpoolDir %q: %w", dir, err)
	}
	s := &spool{dir: dir, root: root, maxFiles: maxFiles, maxBytes: maxBytes, log: log}
	probe := "." + newStem() + ".probe.tmp"
	f, err := root.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = f.Write([]byte("probe"))
		f.Close()
		root.Remove(probe)
	}
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("report: Options.SpoolDir %q is not writable: %w", dir, err)
	}
	s.removeStaleTemps()
	return s, nil
}

func (s *spool) close() error { return s.root.Close() }

func (s *spool) path(name string) string { return filepath.Join(s.dir, name) }

var stemSeq atomic.Uint64

// newStem returns a unique, time-ordered file name stem.
func newStem() string {
	return fmt.Sprintf("%020d-%d-%d%s", time.Now().UnixNano(), os.Getpid(), stemSeq.Add(1), randomHex(3))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type entry struct {
	name string
	live bool
	size int64
	mod  time.Time
}

// list returns the reports and live files, oldest first.
func (s *spool) list() ([]entry, error) {
	d, err := s.root.Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	des, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, de := range des {
		name := de.Name()
		live := strings.HasSuffix(name, liveSuffix)
		if !live && !strings.HasSuffix(name, reportSuffix) || strings.HasPrefix(name, ".") || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, entry{name: name, live: live, size: info.Size(), mod: info.ModTime()})
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// write stores data under name atomically: a temp file is written, synced,
// renamed into place and the directory synced, so a reader sees either no
// file or the whole file. With keepLocked the file is locked before the
// rename and returned open; the lock then marks it as owned by a live
// process until the file is closed.
func (s *spool) write(name string, data []byte, keepLocked bool) (*os.File, error) {
	tmp := "." + name + "." + randomHex(4) + ".tmp"
	f, err := s.root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		s.root.Remove(tmp)
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if keepLocked {
		if ok, err := tryLock(f); err != nil || !ok {
			if err == nil {
				err = errors.New("new file is locked by someone else")
			}
			return fail(err)
		}
	}
	if err := s.root.Rename(tmp, name); err != nil {
		return fail(err)
	}
	s.syncDir()
	if keepLocked {
		return f, nil
	}
	return nil, f.Close()
}

func (s *spool) syncDir() {
	if runtime.GOOS == "windows" {
		return // directories cannot be synced there; rename is durable enough
	}
	d, err := s.root.Open(".")
	if err != nil {
		return
	}
	if err := d.Sync(); err != nil {
		s.log.Debug("syncing spool directory", "dir", s.dir, "err", err)
	}
	d.Close()
}

func (s *spool) remove(name string) error {
	err := s.root.Remove(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (s *spool) exists(name string) bool {
	_, err := s.root.Stat(name)
	return err == nil
}

// claim opens name and locks it. It returns nil, nil when the file is gone
// or someone else holds it: another process sending it, or the live process
// that owns an in-progress stall.
func (s *spool) claim(name string) (*os.File, error) {
	f, err := s.root.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ok, err := tryLock(f)
	if err != nil || !ok {
		f.Close()
		return nil, err
	}
	// The file may have been sent and deleted between Open and the lock.
	fi, err1 := f.Stat()
	pi, err2 := s.root.Stat(name)
	if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
		f.Close()
		return nil, nil
	}
	return f, nil
}

// moveAside moves name into the sub directory (corrupt/ or failed/) and
// keeps only the newest keepAside files there.
func (s *spool) moveAside(name, sub string) error {
	if err := s.root.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := s.root.Rename(name, sub+"/"+name); err != nil {
		return err
	}
	s.syncDir()
	d, err := s.root.Open(sub)
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	slices.Sort(names)
	for len(names) > keepAside {
		s.root.Remove(sub + "/" + names[0])
		names = names[1:]
	}
	return nil
}

// makeRoom deletes the oldest unlocked files until one more file of size
// bytes fits. It returns how many reports it deleted.
func (s *spool) makeRoom(size int64) int {
	entries, err := s.list()
	if err != nil {
		s.log.Warn("listing spool", "dir", s.dir, "err", err)
		return 0
	}
	count, total := len(entries), int64(0)
	for _, e := range entries {
		total += e.size
	}
	dropped := 0
	for _, e := range entries {
		if count+1 <= s.maxFiles && total+size <= s.maxBytes {
			break
		}
		f, err := s.claim(e.name)
		if err != nil || f == nil {
			continue // in use: a live stall or a report being sent
		}
		err = s.remove(e.name)
		f.Close()
		if err != nil {
			continue
		}
		s.syncDir()
		count--
		total -= e.size
		dropped++
		s.log.Warn("spool full: dropped the oldest report", "file", s.path(e.name))
	}
	return dropped
}

func (s *spool) removeStaleTemps() {
	d, err := s.root.Open(".")
	if err != nil {
		return
	}
	des, _ := d.ReadDir(-1)
	d.Close()
	for _, de := range des {
		if !strings.HasPrefix(de.Name(), ".") || !strings.HasSuffix(de.Name(), ".tmp") {
			continue
		}
		if info, err := de.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
			s.root.Remove(de.Name())
		}
	}
}

// touch sets the modification time of an in-progress stall's file, which
// tells a later run how long the process stayed alive in the stall.
func (s *spool) touch(name string, t time.Time) {
	s.root.Chtimes(name, t, t)
}

// suppressed counts rate-limited stalls per key in suppressed.json, so the
// next event of the key can carry the count even when it comes in a later
// run. Callers serialize through Reporter.mu; two processes may race and
// lose an increment, which only makes a count low.
func (s *spool) addSuppressed(key string, n int) {
	m := s.readSuppressed()
	m[key] += n
	s.writeSuppressed(m)
}

func (s *spool) takeSuppressed(key string) int {
	m := s.readSuppressed()
	n, ok := m[key]
	if !ok {
		return 0
	}
	delete(m, key)
	s.writeSuppressed(m)
	return n
}

func (s *spool) readSuppressed() map[string]int {
	m := map[string]int{}
	f, err := s.root.Open(suppressedFile)
	if err != nil {
		return m
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		s.log.Warn("unreadable suppressed-count file; starting over", "file", s.path(suppressedFile), "err", err)
		return map[string]int{}
	}
	return m
}

func (s *spool) writeSuppressed(m map[string]int) {
	if len(m) == 0 {
		if err := s.remove(suppressedFile); err != nil {
			s.log.Warn("removing suppressed-count file", "err", err)
		}
		return
	}
	data, _ := json.Marshal(m)
	if _, err := s.write(suppressedFile, data, false); err != nil {
		s.log.Warn("writing suppressed-count file", "err", err)
	}
}
