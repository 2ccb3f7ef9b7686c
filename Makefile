# respond: common tasks. `make test` is what CI runs.
GO        ?= go
PKG       := ./...
BIN       := bin/respond
FUZZTIME  ?= 30s
STATICCHECK_VERSION := v0.8.2
# The race detector needs cgo and a C compiler; without them (a machine
# with only Go) the tests still run, without -race, and say so.
RACE := $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v "$$($(GO) env CC)" >/dev/null 2>&1 && echo -race)

.PHONY: all build test vet unit lint bench bench-1000 fuzz clean

all: build test

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/respond

## test: vet, then every test with the race detector (fuzz seed corpora included)
test: vet unit

vet:
	$(GO) vet $(PKG)

# The end-to-end package (cmd/respond: every script, both fault sweeps,
# watch's bursts) takes over ten minutes under the race detector on two
# cores, go test's default limit per package; the whole of CI stays well
# under twenty.
unit:
ifeq ($(RACE),)
	@echo "note: no C compiler for cgo, so the tests run without the race detector"
endif
	$(GO) test $(RACE) -count=1 -timeout 30m $(PKG)

## lint: staticcheck at a pinned version, fetched through the module proxy
lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKG)

## bench: the performance figures recorded in docs/BENCHMARKS.md (the
## whole leaked-key response at 6 and 100 repositories, startup, memory)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKG)

## bench-1000: the whole response at 1,000 repositories, cold and warm
## public-key cache, and the audit of 1,000 repositories, at GitHub's real
## limits (over ten minutes: the deploy's points take five minutes and more
## by themselves, the audit's two)
bench-1000:
	RESPOND_BENCH_1000=1 $(GO) test -run='^$$' -bench='(Response|Audit)/repos=1000' -benchtime=1x -timeout=60m -v ./internal/cli/

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKG)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf bin
