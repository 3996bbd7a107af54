// Package faults is framewatch's fault suite: real game processes, watched
// by a real watchdog and reporter, put through what players' machines do
// to them (kill -9 storms, Sentry outages, rate limits, black holes, a full
// or read-only disk, a deleted or poisoned spool, a panic while offline, a
// signal the launcher ignored), delivering to a test Sentry server.
//
// Each scenario counts the stalls its children produced and what the
// server received, and fails on any report lost, duplicated (two events for
// one stall) or false (a Fatal App Hang for a stall that ended). It prints
// one line per scenario:
//
//	faults: <scenario> produced=N delivered=N duplicated=N lost=N false=N resent=N
//
// where resent counts events the server got twice with the same event ID,
// which Sentry drops as duplicates.
//
// `make test` runs the short version. `make faults` runs the long one
// (more kills, longer outages) and prints the table. Scenarios that need
// root (a tmpfs for the full and read-only disk) say so and skip otherwise.
package faults
