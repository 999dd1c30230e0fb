# aup: make test runs every test (Redis tests start their own redis-server).
GO        ?= go
GOLANGCI  ?= $(shell command -v golangci-lint 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/golangci-lint)
GOLANGCI_VERSION ?= v2.6.2
FUZZTIME  ?= 10s

.PHONY: all build test fuzz lint bench bench-http run clean eval-gate eval-baseline

all: lint test

build:
	$(GO) build -o bin/aup ./cmd/aup

run:
	$(GO) run ./cmd/aup serve

## test: every unit, contract and end-to-end test, with the race detector;
## first the OpenAI JavaScript client the /v1/moderations test runs, when npm
## is installed (without it that test skips locally and fails in CI)
OPENAI_JS := internal/httpapi/testdata/openai-js
test:
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(OPENAI_JS) --no-audit --no-fund --loglevel=error >/dev/null \
	    || { echo "npm ci failed: the OpenAI JavaScript client test cannot run"; test -z "$$CI"; }; \
	fi
	$(GO) test -race -count=1 ./...

## eval-gate: fail when a figure on the labelled dev files is worse than the
## committed baseline (.ci/eval-baseline.json); eval-baseline rewrites it
EVAL_DATA ?= ../shared/data/eval
eval-gate:
	@test -d $(EVAL_DATA) || { echo "no labelled data in $(EVAL_DATA); set EVAL_DATA"; exit 1; }
	$(GO) run ./cmd/aup eval --baseline .ci/eval-baseline.json $(EVAL_DATA)/*.jsonl

eval-baseline:
	$(GO) run ./cmd/aup eval --write-baseline .ci/eval-baseline.json $(EVAL_DATA)/*.jsonl

## fuzz: each fuzz target for FUZZTIME
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## lint: go vet, gofmt and golangci-lint (installed from the module proxy if missing)
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@test -x $(GOLANGCI) || $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	$(GOLANGCI) run ./...

## bench: in-process benchmarks, including the engine's per-stage split
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

## bench-http: aup's /v1/check against a bare Echo handler on this machine
bench-http:
	./scripts/bench-http.sh

## bench-review: reports and claim+decide round trips per second on a private Redis (AOF everysec and always)
.PHONY: bench-review
bench-review:
	./scripts/bench-review.sh

## bench-upload: uploads screened per second (1 MB PDF, 5 MB JPEG, 10 MB ZIP) and the resident memory one 50 MB upload adds
.PHONY: bench-upload
bench-upload:
	./scripts/bench-upload.sh

## load: a mixed workload (checks with 20% repeats, reports, claims and
## decisions by two moderators) against aup on a private Redis for LOAD_SECS
## (default 60); prints throughput, latency percentiles and memory
LOAD_SECS ?= 60
.PHONY: load soak
load:
	./scripts/load.sh $(LOAD_SECS)

## soak: the same for SOAK_SECS (default 600), with aup's VmRSS every 10 s
## and whether it stayed flat (information, not a gate)
SOAK_SECS ?= 600
soak:
	./scripts/load.sh $(SOAK_SECS)

## screenshots: the moderator console's pages, through a headless Chromium, as
## PNGs in docs/ (TestConsole with AUP_SCREENSHOTS; needs chromium and redis-server)
.PHONY: screenshots
screenshots:
	AUP_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run '^TestConsole$$' ./cmd/aup/

clean:
	rm -rf bin
