# make setup  installs the Debian packages building and testing need (once).
# make test   gofmt, go vet and go test -race, under Xvfb when there is no display.
# make demo   runs the demo: a window with a display, a headless run without.

SHELL := /bin/bash
GO    ?= go

# Run a command under a virtual X server when there is no display.
ifeq ($(strip $(DISPLAY)),)
XRUN := xvfb-run -a -s "-screen 0 1280x1024x24"
else
XRUN :=
endif

.PHONY: setup test demo vet fmt-check

setup:
	@scripts/setup.sh

fmt-check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

vet: setup
	$(XRUN) $(GO) vet ./...

test: setup fmt-check vet
	$(XRUN) $(GO) test -race -count=1 ./...

demo: setup
	$(XRUN) $(GO) run ./demo $(if $(XRUN),-headless,) $(DEMOFLAGS)
