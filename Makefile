# restel — build, test and benchmark entry points.
# Quick start: `make run` (live resource view), `make test` (everything CI runs).

GO        ?= go
PKGS      := ./...
# Every target restel ships to, vetted with cgo off.
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 android/arm64 ios/arm64
BENCHTIME ?= 1s
COUNT     ?= 5
FUZZTIME  ?= 20s

.PHONY: all test test-windows fmt-check vet cross unit run bench bench-peers fuzz soak vet-otel unit-otel otel-pin

all: test

## test: gofmt check, go vet (host and every platform, cgo off), race-enabled unit tests,
## for the root module and the nested OpenTelemetry bridge module (otel/).
test: fmt-check vet vet-otel cross unit unit-otel

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# ios/arm64 cannot link without cgo, and go vet links test binaries, so iOS
# is vetted as darwin/arm64 with the ios tag (the same files a real iOS build
# picks) and its library packages are compiled for GOOS=ios for real.
IOS_LIBS := ./provider/... ./mobile/... ./orchestrator/... ./replay/... ./stream/... ./aggregate/... ./internal/... ./export/...
cross:
	@set -e; for p in $(PLATFORMS); do \
		echo "vet $$p (CGO_ENABLED=0)"; \
		if [ "$$p" = ios/arm64 ]; then \
			CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) vet -tags ios $(PKGS); \
			CGO_ENABLED=0 GOOS=ios GOARCH=arm64 $(GO) build $(IOS_LIBS); \
		else \
			CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet $(PKGS); \
		fi; \
	done

# The million-run soak test runs only with RESTEL_SOAK=1 (make soak).
unit:
	$(GO) test -race -count=1 $(PKGS)

# The OpenTelemetry bridge is a module of its own (./... of the root
# module does not reach it): vetted on the host and every platform, and
# tested with the race detector.
OTEL_DIR := otel
# The bridge has no platform code of its own: the host plus one Apple and
# one Windows target show that it and what it links build everywhere.
OTEL_PLATFORMS := darwin/arm64 windows/amd64
vet-otel:
	cd $(OTEL_DIR) && $(GO) vet ./...
	@set -e; cd $(OTEL_DIR); for p in $(OTEL_PLATFORMS); do \
		echo "vet otel $$p (CGO_ENABLED=0)"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./...; \
	done

unit-otel:
	cd $(OTEL_DIR) && $(GO) test -race -count=1 ./...

## otel-pin: make the bridge require the core module at its newest commit
## outside otel/ (a pseudo-version a module proxy can serve once that commit
## is published). Run it, commit, after the bridge starts using something
## new of the core module; otel's TestResolvesOutsideTheRepository checks it.
otel-pin:
	@set -e; c=$$(TZ=UTC git log -1 --format='%cd-%H' --date=format-local:%Y%m%d%H%M%S -- . ':!$(OTEL_DIR)'); \
	v="v0.0.0-$$(printf %s "$$c" | cut -c1-27)"; \
	cd $(OTEL_DIR) && $(GO) mod edit -require=github.com/restel/restel@$$v && echo "otel requires github.com/restel/restel $$v"
## test-windows: every package's tests as Windows programs under Wine
## (wine64 and gcc-mingw-w64-x86-64 installed; see .ci/test-windows).
test-windows:
	GO=$(GO) .ci/test-windows $(PKGS)

## run: the live resource view from the real provider of this OS.
# Built first and run directly: `go run` exits 1 on Ctrl-C even when restel
# itself exits 0.
run:
	@$(GO) build -o bin/restel ./cmd/restel
	@./bin/restel watch

## bench: every benchmark with allocation counts; compare ratios within one run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(COUNT) $(PKGS)
	cd $(OTEL_DIR) && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(COUNT) ./...

## bench-peers: restel beside gopsutil v4 in one run (separate module).
bench-peers:
	cd bench/peers && $(GO) test -run '^$$' -bench . -benchmem -count $(COUNT) | $(GO) run ./ratio

## fuzz: each fuzz target for FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## soak: the long soak tests, which run only with RESTEL_SOAK=1.
soak:
	RESTEL_SOAK=1 $(GO) test -race -count=1 -run Soak -timeout 30m $(PKGS)
