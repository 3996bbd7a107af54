package report

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/getsentry/sentry-go"

	"github.com/framewatch/framewatch/ebitenwatch/watchdog"
)

// Defaults for the zero Options.
const (
	DefaultMaxSpoolFiles     = 100
	DefaultMaxSpoolBytes     = 50 << 20
	DefaultMaxPerFingerprint = 5
	DefaultRetryBackoff      = 5 * time.Second
	DefaultMaxRetryBackoff   = 5 * time.Minute
	DefaultFlushTimeout      = 2 * time.Second
)

// Options configure a Reporter. The zero value is usable: reports go to a
// spool under the user's cache directory and, unless $SENTRY_DSN is set, to
// standard error.
type Options struct {
	// DSN is the Sentry DSN reports are sent to. Empty means $SENTRY_DSN.
	// With no DSN at all, reports are only spooled and printed to Console;
	// a later run with a DSN sends the spooled ones. Spotlight works too:
	// "http://public@127.0.0.1:8969/0".
	DSN string
	// Client, when set, supplies the DSN, release, environment, BeforeSend,
	// sampling and HTTP settings (its Options()). The reporter sends through
	// its own sentry-go client built from those options with a synchronous
	// transport, because it must learn whether the server accepted each
	// report before deleting it from the spool; a custom
	// ClientOptions.Transport is therefore not used. DSN, if also set,
	// overrides the client's DSN.
	Client *sentry.Client
	// Hub is like Client, using the hub's client. When neither is set and
	// the game called sentry.Init, the current hub is used. Its scope (tags, user,
	// contexts, breadcrumbs) is applied to each report when the report is
	// built, so that a report spooled now and sent in a later run carries
	// this run's scope. Setting both Hub and Client is an error.
	Hub *sentry.Hub
	// Environment and Release label events. Empty means $SENTRY_ENVIRONMENT
	// and $SENTRY_RELEASE, then the client's options, then (for Release)
	// the VCS revision in the build info. They are fixed when a report is
	// built, so a report from an older build keeps its own release.
	Environment string
	Release     string

	// App names the game; it is the spool directory's last element, so it
	// must be valid UTF-8 of at most 128 bytes without path separators,
	// control characters, or leading or trailing spaces. Default: the
	// executable's base name without extension.
	App string
	// SpoolDir is where reports wait until a server accepts them. Default:
	// os.UserCacheDir()/framewatch/<App>. It is created if missing. Two
	// processes may share one; each report is still sent once.
	SpoolDir string
	// MaxSpoolFiles and MaxSpoolBytes bound the spool (default 100 files,
	// 50 MB). When a new report does not fit, the oldest are deleted and
	// the count travels in the next event ("framewatch" context,
	// spool_dropped_before). A report larger than MaxSpoolBytes leaves out
	// its largest attachments first. corrupt/ and failed/ each keep at most
	// 20 files within a quarter of MaxSpoolBytes. Negative values are an
	// error.
	MaxSpoolFiles int
	MaxSpoolBytes int64
	// MaxPerFingerprint is how many events one fingerprint may produce in
	// one run (default 5). Later stalls with that fingerprint are counted,
	// not reported; the count travels in the next event of that
	// fingerprint, which may be in a later run. Negative is an error.
	MaxPerFingerprint int

	// Console receives a short readable block per report when there is no
	// DSN. Default os.Stderr; io.Discard silences it.
	Console io.Writer
	// Logger receives the reporter's own problems (spool errors, delivery
	// failures, recovered panics). Default slog.Default().
	Logger *slog.Logger
	// InApp decides which frames of a panic stack are the game's own code.
	// Use the same rule as the watchdog (which marks stall frames itself).
	// The zero rule matches package main and the main module.
	InApp watchdog.InAppRule
	// EbitenVersion, when known, is sent as the "ebiten" tag. The
	// ebitenwatch adapter fills it.
	EbitenVersion string

	// Session makes this Reporter's run one release-health session, sent
	// to Sentry as session updates (it needs a DSN and a release). The game
	// sets it; a process that only delivers another's spool does not.
	// Default false.
	Session bool
	// Vitals, when set, reports the session's frame vitals; each report
	// carries them as they were when it was built. It is called on the
	// Reporter's writer goroutine and must not block. ebitenwatch sets it.
	Vitals func() Vitals

	// RetryBackoff is the delay before retrying a report whose delivery
	// failed (network error or 5xx); it doubles per failure of that report
	// up to MaxRetryBackoff. Defaults 5 s and 5 min; MaxRetryBackoff less
	// than RetryBackoff is an error. A 429 response waits as long as the
	// server asks instead.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// FlushTimeout bounds how long ReportPanic and the FlushOnSignal handler
	// wait for delivery (default 2 s) and how long Close flushes. Each of
	// them returns sooner when what is left cannot be sent in that time.
	FlushTimeout time.Duration
}

// resolved are Options with defaults filled and values checked.
type resolved struct {
	Options
	dsn         string
	release     string
	environment string
}

func (o Options) resolve() (resolved, error) {
	r := resolved{Options: o}
	if err := o.check(); err != nil {
		return r, err
	}
	r.fillDefaults()
	if r.MaxRetryBackoff < r.RetryBackoff {
		return r, fmt.Errorf("report: Options.MaxRetryBackoff (%v) is less than Options.RetryBackoff (%v)", r.MaxRetryBackoff, r.RetryBackoff)
	}
	if r.SpoolDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return r, fmt.Errorf("report: Options.SpoolDir is empty and there is no user cache directory: %w", err)
		}
		r.SpoolDir = filepath.Join(cache, "framewatch", r.App)
	}
	if o.Hub == nil && o.Client == nil && sentry.CurrentHub().Client() != nil {
		r.Hub = sentry.CurrentHub() // the game called sentry.Init
	}
	var copts sentry.ClientOptions
	if client := r.client(); client != nil {
		copts = client.Options()
	}
	r.dsn = firstNonEmpty(o.DSN, copts.Dsn, os.Getenv("SENTRY_DSN"))
	if err := checkDSN(r.dsn); err != nil {
		return r, err
	}
	r.environment = firstNonEmpty(o.Environment, os.Getenv("SENTRY_ENVIRONMENT"), copts.Environment)
	r.release = firstNonEmpty(o.Release, os.Getenv("SENTRY_RELEASE"), copts.Release, vcsRevision())
	return r, nil
}

// check rejects values no default can mend.
func (o Options) check() error {
	for _, f := range []struct {
		name string
		neg  bool
		val  any
	}{
		{"MaxSpoolFiles", o.MaxSpoolFiles < 0, o.MaxSpoolFiles},
		{"MaxSpoolBytes", o.MaxSpoolBytes < 0, o.MaxSpoolBytes},
		{"MaxPerFingerprint", o.MaxPerFingerprint < 0, o.MaxPerFingerprint},
		{"RetryBackoff", o.RetryBackoff < 0, o.RetryBackoff},
		{"MaxRetryBackoff", o.MaxRetryBackoff < 0, o.MaxRetryBackoff},
		{"FlushTimeout", o.FlushTimeout < 0, o.FlushTimeout},
	} {
		if f.neg {
			return fmt.Errorf("report: Options.%s is negative (%v)", f.name, f.val)
		}
	}
	if o.App != "" && !plainName(o.App) {
		return fmt.Errorf("report: Options.App %q is not a plain name: it names the spool directory, so it must be valid UTF-8 of at most %d bytes, not start or end with a space, not contain / \\ : or control characters, and not be . or ..", o.App, maxAppBytes)
	}
	if o.Client != nil && o.Hub != nil {
		return errors.New("report: Options.Client and Options.Hub are both set; set one")
	}
	return nil
}

func (r *resolved) fillDefaults() {
	for _, d := range []struct {
		v   *int
		def int
	}{{&r.MaxSpoolFiles, DefaultMaxSpoolFiles}, {&r.MaxPerFingerprint, DefaultMaxPerFingerprint}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&r.RetryBackoff, DefaultRetryBackoff}, {&r.MaxRetryBackoff, DefaultMaxRetryBackoff}, {&r.FlushTimeout, DefaultFlushTimeout}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if r.MaxSpoolBytes == 0 {
		r.MaxSpoolBytes = DefaultMaxSpoolBytes
	}
	if r.Console == nil {
		r.Console = os.Stderr
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	r.Logger = r.Logger.With("component", "framewatch/report")
	if r.App == "" {
		r.App = defaultApp()
	}
}

// client is the caller's client, from Options.Client or Options.Hub.
func (r *resolved) client() *sentry.Client {
	if r.Hub != nil {
		return r.Hub.Client()
	}
	return r.Client
}

// checkDSN checks a DSN without printing its secret key.
func checkDSN(dsn string) error {
	if dsn == "" {
		return nil
	}
	shown := "(unparsable)"
	u, err := url.Parse(dsn)
	if err == nil {
		shown = u.Redacted()
		if p := u.Port(); p != "" {
			if n, perr := strconv.Atoi(p); perr != nil || n < 1 || n > 65535 {
				return fmt.Errorf("report: Options.DSN %q: port %s is not between 1 and 65535", shown, p)
			}
		}
	}
	if _, err := sentry.NewDsn(dsn); err != nil {
		return fmt.Errorf("report: Options.DSN %q: %s", shown, redact(err.Error(), u))
	}
	return nil
}

// redact removes the DSN's secret key from msg.
func redact(msg string, u *url.URL) string {
	if u != nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func defaultApp() string {
	exe, err := os.Executable()
	if err != nil || exe == "" {
		exe = os.Args[0]
	}
	name := filepath.Base(exe)
	name = strings.TrimSuffix(name, filepath.Ext(name))
	name = strings.Map(func(r rune) rune {
		if !plainRune(r) {
			return '_'
		}
		return r
	}, name)
	if !plainName(name) {
		name = "game"
	}
	return name
}

// maxAppBytes bounds Options.App well inside every file system's limit
// for one path element (255 bytes).
const maxAppBytes = 128

// plainName reports whether s can be one element of a path on every
// system: valid UTF-8 of plainRunes, not empty, . or .., not too long, and
// without leading or trailing spaces (which Windows strips).
func plainName(s string) bool {
	return s != "" && s != "." && s != ".." && len(s) <= maxAppBytes && utf8.ValidString(s) &&
		strings.TrimSpace(s) == s && !strings.ContainsFunc(s, func(r rune) bool { return !plainRune(r) })
}

func plainRune(r rune) bool {
	return r != '/' && r != '\\' && r != ':' && !unicode.IsControl(r) && r != utf8.RuneError
}

// vcsRevision is the build's VCS revision, sentry-go's own fallback release.
func vcsRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}
