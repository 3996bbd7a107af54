// Package report turns stalls found by package watchdog into Sentry events,
// keeps them in a durable on-disk spool until a server accepts them, and
// prints them to the console when no Sentry DSN is set.
package report
