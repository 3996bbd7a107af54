# make setup  installs the Debian packages building and testing need (once).
# make test   gofmt, go vet and go test -race, under Xvfb when there is no display.
# make demo   runs the demo: a window with a display, a headless run without.
# make bench  reruns every benchmark and the demo script and rewrites BENCHMARKS.md.
# make faults runs the long fault suite (kill -9 storms, outages, full and
#             read-only disks, ...) and prints what was lost, duplicated or false.

SHELL := /bin/bash
GO    ?= go

# Run a command under a virtual X server when there is no display.
ifeq ($(strip $(DISPLAY)),)
XRUN := xvfb-run -a -s "-screen 0 1280x1024x24"
else
XRUN :=
endif

.PHONY: setup test demo bench faults vet fmt-check

setup:
	@scripts/setup.sh

fmt-check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

vet: setup
	$(XRUN) $(GO) vet ./...

# The Spotlight end-to-end test skips without Spotlight; make test installs
# it and requires the test to run.
test: setup spotlight-deps fmt-check vet
	FRAMEWATCH_REQUIRE_SPOTLIGHT=1 $(XRUN) $(GO) test -race -count=1 ./...

demo: setup
	$(XRUN) $(GO) run ./demo $(if $(XRUN),-script,) $(DEMOFLAGS)

# The short version of the fault suite runs in make test.
faults: setup
	set -o pipefail; $(XRUN) $(GO) test -race -count=1 -v -timeout 30m ./internal/faults -args -faults.long \
	  | grep -E '^(faults:|--- |ok|FAIL|panic)|faults: |_test.go'

bench: setup
	$(XRUN) $(GO) run ./internal/benchmd -o BENCHMARKS.md $(BENCHFLAGS)

.PHONY: spotlight spotlight-deps

# Spotlight (Sentry's local UI) for the end-to-end test and for developers,
# pinned in tools/spotlight. Installed only when missing.
spotlight-deps:
	@if [ ! -x tools/spotlight/node_modules/.bin/spotlight ]; then \
	  command -v npm >/dev/null || { echo "spotlight-deps: npm (Node.js >= 20) is needed to install tools/spotlight" >&2; exit 1; }; \
	  cd tools/spotlight && npm ci --no-audit --no-fund; \
	fi

# make spotlight  starts Spotlight and prints its UI URL and the SENTRY_DSN to export.
spotlight: spotlight-deps
	@tools/spotlight/start.sh
