# payops: `make run` starts the whole product on a private PostgreSQL with
# the sandbox provider and demo data; `make test` is what CI runs.
SHELL := /bin/bash
export GOTOOLCHAIN := local
export GOFLAGS := -buildvcs=false

BIN      := bin/payops
DATA     := .data
PGDIR    := $(DATA)/postgres
KEYFILE  := $(DATA)/session.key
GOFILES  := $(shell find . -name '*.go' -not -path './.data/*' 2>/dev/null)
CHROMIUM ?= /usr/bin/chromium

.PHONY: run build test generate check-generated deps-pg deps-chromium db-stop bench clean

build: $(BIN)

$(BIN): $(GOFILES) go.mod go.sum $(wildcard migrations/*.sql) $(wildcard static/*)
	go build -o $(BIN) .

# PostgreSQL's server binaries: Debian's package when none are on the machine.
deps-pg:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		echo "installing PostgreSQL (apt-get install postgresql)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi
	@if [ "$$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --user-group postgres; fi

# Debian's Chromium, for the browser tests.
deps-chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Chromium for the browser tests (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

$(KEYFILE):
	@mkdir -p $(DATA)
	@head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $(KEYFILE)
	@chmod 600 $(KEYFILE)

# Without DATABASE_URL, a private cluster in .data/postgres is started (or
# reused) and used.
run: $(BIN) deps-pg $(KEYFILE)
	@set -e; \
	if [ -z "$$DATABASE_URL" ]; then DATABASE_URL="$$($(BIN) db start --dir $(PGDIR))"; export DATABASE_URL; fi; \
	export PAYOPS_SESSION_KEY="$${PAYOPS_SESSION_KEY:-$$(cat $(KEYFILE))}"; \
	$(BIN) migrate; \
	$(BIN) demo; \
	exec $(BIN) serve --sandbox-addr 127.0.0.1:8090

db-stop: $(BIN)
	@$(BIN) db stop --dir $(PGDIR)
	@$(BIN) db stop --dir $(DATA)/test-postgres

generate:
	go tool templ generate

# Generated templ code must be committed and current: regenerate, then any
# difference from what git holds, or a generated file git does not know, fails.
check-generated:
	@go tool templ generate >/dev/null
	@stale="$$(git diff --name-only -- '*_templ.go'; git ls-files --others --exclude-standard -- '*_templ.go')"; \
	if [ -n "$$stale" ]; then echo "generated templ code is stale; run 'make generate' and commit:"; echo "$$stale"; exit 1; fi

test: deps-pg deps-chromium check-generated
	go vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go test -race -count=1 ./...

clean:
	rm -rf bin
