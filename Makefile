# userport: run `make help` for the targets.
GO ?= go

.PHONY: help run build test test-race lint bench fuzz fmt screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## run the service on the embedded default
	$(GO) run ./cmd/userport serve

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
build: ## build ./userport, `userport version` printing VERSION (git describe)
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o userport ./cmd/userport

test: ## run every test (the README's test command)
	$(GO) test -timeout 30m ./...

test-race: ## run the tests with the race detector, without the large-data ones (-short; the full set exceeds go test's 10 min under -race)
	$(GO) test -race -short ./...

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...

bench: ## run the Go benchmarks once
	$(GO) test -run '^$$' -bench . -benchmem ./...

FUZZTIME ?= 30s
fuzz: ## run every fuzz target (the list in .ci/fuzz) for FUZZTIME (30s) each
	FUZZTIME=$(FUZZTIME) .ci/fuzz

fmt: ## format the code
	gofmt -w .

screenshots: ## retake the web console's pictures in docs/ (needs chromium; seeds 500,000 users)
	USERPORT_CONSOLE_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -timeout 20m -run TestConsoleScreenshots ./httpapi
