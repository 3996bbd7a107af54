package report

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	// Hub is like Client, using the hub's client. Its scope (tags, user,
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

	// App names the game; it is the spool directory's last element.
	// Default: the executable's base name without extension.
	App string
	// SpoolDir is where reports wait until a server accepts them. Default:
	// os.UserCacheDir()/framewatch/<App>. It is created if missing. Two
	// processes may share one; each report is still sent once.
	SpoolDir string
	// MaxSpoolFiles and MaxSpoolBytes bound the spool (default 100 files,
	// 50 MB). When a new report does not fit, the oldest are deleted and
	// the count travels in the next event ("framewatch" context,
	// spool_dropped_before). Negative values are an error.
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

	// RetryBackoff is the delay before retrying after a failed delivery
	// (network error or 5xx); it doubles per consecutive failure up to
	// MaxRetryBackoff. Defaults 5 s and 5 min. A 429 response waits as long
	// as the server asks instead.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// FlushTimeout bounds how long ReportPanic and the FlushOnSignal handler
	// wait for delivery (default 2 s) and how long Close flushes.
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
	if o.MaxSpoolFiles < 0 {
		return r, fmt.Errorf("report: Options.MaxSpoolFiles is negative (%d)", o.MaxSpoolFiles)
	}
	if o.MaxSpoolBytes < 0 {
		return r, fmt.Errorf("report: Options.MaxSpoolBytes is negative (%d)", o.MaxSpoolBytes)
	}
	if o.MaxPerFingerprint < 0 {
		return r, fmt.Errorf("report: Options.MaxPerFingerprint is negative (%d)", o.MaxPerFingerprint)
	}
	if o.RetryBackoff < 0 {
		return r, fmt.Errorf("report: Options.RetryBackoff is negative (%v)", o.RetryBackoff)
	}
	if o.MaxRetryBackoff < 0 {
		return r, fmt.Errorf("report: Options.MaxRetryBackoff is negative (%v)", o.MaxRetryBackoff)
	}
	if o.FlushTimeout < 0 {
		return r, fmt.Errorf("report: Options.FlushTimeout is negative (%v)", o.FlushTimeout)
	}
	if o.App != "" && !plainName(o.App) {
		return r, fmt.Errorf("report: Options.App %q is not a plain name: it names the spool directory, so it may not contain / \\ : or control characters, or be . or ..", o.App)
	}
	if o.Client != nil && o.Hub != nil {
		return r, errors.New("report: Options.Client and Options.Hub are both set; set one")
	}
	if r.MaxSpoolFiles == 0 {
		r.MaxSpoolFiles = DefaultMaxSpoolFiles
	}
	if r.MaxSpoolBytes == 0 {
		r.MaxSpoolBytes = DefaultMaxSpoolBytes
	}
	if r.MaxPerFingerprint == 0 {
		r.MaxPerFingerprint = DefaultMaxPerFingerprint
	}
	if r.RetryBackoff == 0 {
		r.RetryBackoff = DefaultRetryBackoff
	}
	if r.MaxRetryBackoff == 0 {
		r.MaxRetryBackoff = DefaultMaxRetryBackoff
	}
	if r.MaxRetryBackoff < r.RetryBackoff {
		r.MaxRetryBackoff = r.RetryBackoff
	}
	if r.FlushTimeout == 0 {
		r.FlushTimeout = DefaultFlushTimeout
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
	if r.SpoolDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return r, fmt.Errorf("report: Options.SpoolDir is empty and there is no user cache directory: %w", err)
		}
		r.SpoolDir = filepath.Join(cache, "framewatch", r.App)
	}

	client := o.Client
	if o.Hub != nil {
		client = o.Hub.Client()
	}
	var copts sentry.ClientOptions
	if client != nil {
		copts = client.Options()
	}
	r.dsn = firstNonEmpty(o.DSN, copts.Dsn, os.Getenv("SENTRY_DSN"))
	if r.dsn != "" {
		if _, err := sentry.NewDsn(r.dsn); err != nil {
			return r, fmt.Errorf("report: Options.DSN %q: %w", r.dsn, err)
		}
	}
	r.environment = firstNonEmpty(o.Environment, os.Getenv("SENTRY_ENVIRONMENT"), copts.Environment)
	r.release = firstNonEmpty(o.Release, os.Getenv("SENTRY_RELEASE"), copts.Release, vcsRevision())
	return r, nil
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

// plainName reports whether s can be one element of a path on every
// system: not empty, . or .., and made of plainRunes.
func plainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsFunc(s, func(r rune) bool { return !plainRune(r) })
}

func plainRune(r rune) bool { return r != '/' && r != '\\' && r != ':' && r >= ' ' }
