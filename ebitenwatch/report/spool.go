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
	"sync"
	"sync/atomic"
	"time"
)

// Spool layout, all in one directory:
//
//	<stem>.report.json   a finished report waiting for delivery
//	<stem>.live.json     a stall in progress; its writer holds a lock on it
//	.<name>.tmp          a file being written (renamed into place when complete)
//	corrupt/             files that could not be read, kept for inspection
//	failed/              reports the server refused as invalid (4xx)
//	suppressed.json      per-fingerprint counts of rate-limited stalls
//	dropped.json         how many reports were dropped or set aside unsent
//	<sid>.session.json   a release-health session not yet closed and sent (session.go)
//	install-id.json      the install's random distinct ID for sessions
//
// A stem is "<unix nanoseconds, 20 digits>-<pid>-<random>", so names sort
// oldest first. A report and the live file it replaces share a stem and an
// event ID. Any process may read the spool: a live file is a stall whose
// writer is alive exactly while the file is locked.
const (
	reportSuffix   = ".report.json"
	liveSuffix     = ".live.json"
	corruptDir     = "corrupt"
	failedDir      = "failed"
	suppressedFile = "suppressed.json"
	droppedFile    = "dropped.json"
	keepAside      = 20            // files kept in corrupt/ and failed/
	staleTemp      = 1 * time.Hour // temp files older than this are leftovers of a crash
)

// spool is the directory of reports. Its verbs are put (write), claim,
// list and setAside (moveAside); all go through an os.Root, so nothing
// outside the directory is touched. Safe for concurrent use.
type spool struct {
	dir      string
	maxFiles int
	maxBytes int64
	log      *slog.Logger

	mu    sync.Mutex // guards root and old
	root  *os.Root
	old   []*os.Root // roots of a deleted directory, closed by close
	count sync.Mutex // serializes read-modify-write of the count files
}

// openSpool creates dir if needed and checks that files can be written in it.
func openSpool(dir string, maxFiles int, maxBytes int64, log *slog.Logger) (*spool, error) {
	s := &spool{dir: dir, maxFiles: maxFiles, maxBytes: maxBytes, log: log}
	if err := s.reopen(); err != nil {
		return nil, fmt.Errorf("report: Options.SpoolDir %q: %w", dir, err)
	}
	probe := "." + newStem() + ".probe.tmp"
	f, err := s.r().OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = f.Write([]byte("probe"))
		f.Close()
		s.r().Remove(probe)
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("report: Options.SpoolDir %q is not writable: %w", dir, err)
	}
	s.removeStaleTemps()
	return s, nil
}

func (s *spool) r() *os.Root {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.root
}

// reopen creates the directory if it is missing (someone deleted it to
// start afresh) and opens it.
func (s *spool) reopen() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.root != nil {
		s.old = append(s.old, s.root)
	}
	s.root = root
	s.mu.Unlock()
	return nil
}

// retry runs op, and once more in a recreated directory when op failed
// because the directory was deleted.
func (s *spool) retry(op func(*os.Root) error) error {
	err := op(s.r())
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	fi, err1 := os.Stat(s.dir)
	cur, err2 := s.r().Stat(".")
	if err1 == nil && err2 == nil && os.SameFile(fi, cur) {
		return err // the directory is there: the file was missing
	}
	s.log.Warn("spool directory vanished; creating it again", "dir", s.dir)
	if rerr := s.reopen(); rerr != nil {
		return errors.Join(err, rerr)
	}
	return op(s.r())
}

func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.root != nil {
		err = s.root.Close()
	}
	for _, r := range s.old {
		r.Close()
	}
	return err
}

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
}

// list returns the reports and live files, oldest first.
func (s *spool) list() ([]entry, error) {
	var des []fs.DirEntry
	err := s.retry(func(root *os.Root) error {
		d, err := root.Open(".")
		if err != nil {
			return err
		}
		defer d.Close()
		des, err = d.ReadDir(-1)
		return err
	})
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
		out = append(out, entry{name: name, live: live, size: info.Size()})
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// write puts data under name atomically: a temp file is written, synced,
// renamed into place and the directory synced, so a reader sees either no
// file or the whole file. With keepLocked the file is locked before the
// rename and returned open; the lock then marks it as owned by a live
// process until the file is closed.
func (s *spool) write(name string, data []byte, keepLocked bool) (*os.File, error) {
	var f *os.File
	err := s.retry(func(root *os.Root) error {
		var err error
		f, err = writeIn(root, name, data, keepLocked)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.syncDir()
	if keepLocked {
		return f, nil
	}
	return nil, f.Close()
}

func writeIn(root *os.Root, name string, data []byte, keepLocked bool) (*os.File, error) {
	tmp := "." + name + "." + randomHex(4) + ".tmp"
	f, err := root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		root.Remove(tmp)
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
			return fail(errors.Join(errors.New("new file is locked by someone else"), err))
		}
	}
	if err := root.Rename(tmp, name); err != nil {
		return fail(err)
	}
	return f, nil
}

// rewrite replaces the contents of an open live file in place: the last
// resort when no new file can be made in the directory.
func rewrite(f *os.File, data []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Sync()
}

func (s *spool) syncDir() {
	if runtime.GOOS == "windows" {
		return // directories cannot be synced there; rename is durable enough
	}
	d, err := s.r().Open(".")
	if err != nil {
		return
	}
	if err := d.Sync(); err != nil {
		s.log.Debug("syncing spool directory", "dir", s.dir, "err", err)
	}
	d.Close()
}

func (s *spool) remove(name string) error {
	err := s.r().Remove(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (s *spool) exists(name string) bool {
	_, err := s.r().Stat(name)
	return err == nil
}

// claim opens name and locks it. It returns nil, nil when the file is gone
// or someone else holds it: another process sending it, or the live process
// that owns an in-progress stall.
func (s *spool) claim(name string) (*os.File, error) {
	root := s.r()
	f, err := root.Open(name)
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
	pi, err2 := root.Stat(name)
	if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
		f.Close()
		return nil, nil
	}
	return f, nil
}

// read reads a claimed file, refusing one larger than the spool's byte
// bound, which no report this package writes can be.
func (s *spool) read(f *os.File) ([]byte, error) {
	if fi, err := f.Stat(); err == nil && fi.Size() > s.maxBytes {
		return nil, fmt.Errorf("file of %d bytes, larger than Options.MaxSpoolBytes (%d)", fi.Size(), s.maxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, s.maxBytes+1))
	if err == nil && int64(len(data)) > s.maxBytes {
		err = fmt.Errorf("file larger than Options.MaxSpoolBytes (%d)", s.maxBytes)
	}
	return data, err
}

// moveAside moves name into the sub directory (corrupt/ or failed/), which
// keeps only its newest keepAside files within a quarter of the byte bound;
// a file too large for that is deleted instead.
func (s *spool) moveAside(name, sub string, size int64) error {
	root := s.r()
	if size > s.maxBytes/4 {
		return s.remove(name)
	}
	if err := root.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := root.Rename(name, sub+"/"+name); err != nil {
		return err
	}
	s.syncDir()
	d, err := root.Open(sub)
	if err != nil {
		return nil
	}
	des, _ := d.ReadDir(-1)
	d.Close()
	slices.SortFunc(des, func(a, b fs.DirEntry) int { return strings.Compare(b.Name(), a.Name()) }) // newest first
	var total int64
	for i, de := range des {
		if info, err := de.Info(); err == nil {
			total += info.Size()
		}
		if i >= keepAside || total > s.maxBytes/4 {
			root.Remove(sub + "/" + de.Name())
		}
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
	d, err := s.r().Open(".")
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
			s.r().Remove(de.Name())
		}
	}
}

// addCount adds n to key in the count file name (suppressed.json or
// dropped.json), so that the count survives until an event carries it.
// Two processes may race and lose an increment, which only makes a count
// low.
func (s *spool) addCount(name, key string, n int) {
	if n == 0 {
		return
	}
	s.count.Lock()
	defer s.count.Unlock()
	m := s.readCounts(name)
	m[key] += n
	if m[key] <= 0 {
		delete(m, key)
	}
	s.writeCounts(name, m)
}

// getCount returns the count of key in the count file name.
func (s *spool) getCount(name, key string) int {
	s.count.Lock()
	defer s.count.Unlock()
	return s.readCounts(name)[key]
}

func (s *spool) readCounts(name string) map[string]int {
	m := map[string]int{}
	f, err := s.r().Open(name)
	if err != nil {
		return m
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		s.log.Warn("unreadable count file; starting over", "file", s.path(name), "err", err)
		return map[string]int{}
	}
	return m
}

func (s *spool) writeCounts(name string, m map[string]int) {
	if len(m) == 0 {
		if err := s.remove(name); err != nil {
			s.log.Warn("removing count file", "file", s.path(name), "err", err)
		}
		return
	}
	data, _ := json.Marshal(m)
	if _, err := s.write(name, data, false); err != nil {
		s.log.Warn("writing count file", "file", s.path(name), "err", err)
	}
}
