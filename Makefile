# payops: `make run` starts the whole product on a private PostgreSQL with
# the sandbox provider and demo data; `make test` is what CI runs.
SHELL := /bin/bash
export GOTOOLCHAIN := local
export GOFLAGS := -buildvcs=false

BIN      := bin/payops
DATA     := .data
PGDIR    := $(DATA)/postgres
KEYFILE  := $(DATA)/session.key
LOG      := $(DATA)/payops.log
SANDBOX_ADDR ?= 127.0.0.1:8090
GOFILES  := $(shell find . -name '*.go' -not -path './.data/*' 2>/dev/null)
CHROMIUM ?= /usr/bin/chromium

.PHONY: run build test generate check-generated deps-pg deps-prometheus deps-chromium deps-axe db-stop bench fuzz drill clean

build: $(BIN)

$(BIN): $(GOFILES) go.mod go.sum $(wildcard migrations/*.sql) $(wildcard static/*)
	go build -buildvcs=auto -o $(BIN) .

# PostgreSQL's server binaries: Debian's package when none are on the machine.
deps-pg:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		echo "installing PostgreSQL (apt-get install postgresql)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi
	@if [ "$$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --user-group postgres; fi

# promtool, for the alert rules' tests and the /metrics lint: Debian's
# prometheus package when there is no promtool. Only promtool is used; the
# package's service is not started.
deps-prometheus:
	@if ! command -v promtool >/dev/null 2>&1; then \
		echo "installing promtool (apt-get install prometheus)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	fi

# Debian's Chromium, for the browser tests.
deps-chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Chromium for the browser tests (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# axe-core, for the browser tests' accessibility check only (never in the
# binary): npm ci from the npm registry by its lockfile into web/testdata/axe,
# when it is missing or the lockfile changed; Debian's nodejs and npm when
# there is no npm.
AXE := web/testdata/axe
deps-axe:
	@if [ ! -f $(AXE)/node_modules/axe-core/axe.min.js ] || \
		[ $(AXE)/package-lock.json -nt $(AXE)/node_modules/.package-lock.json ]; then \
		if ! command -v npm >/dev/null; then \
			echo "installing Node.js for the browser tests (apt-get install nodejs npm)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
		fi; \
		echo "installing axe-core for the browser tests (npm ci in $(AXE))"; \
		cd $(AXE) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	fi

$(KEYFILE):
	@mkdir -p $(DATA)
	@head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $(KEYFILE)
	@chmod 600 $(KEYFILE)

# Without DATABASE_URL, a private cluster in .data/postgres is started (or
# reused) and used. The log goes to .data/payops.log (the previous run's to
# payops.log.1), so the block serve prints once it is up (the address, the
# demo logins, the token command) stays on the screen. Ctrl-C stops serve
# and the sandbox inside it; the cluster stays for the next run (make
# db-stop stops it). PostgreSQL's server binaries are only needed, and
# installed, for the private cluster: not when DATABASE_URL names a server.
run: $(BIN) $(KEYFILE)
	@set -e; \
	if [ -z "$$DATABASE_URL" ]; then $(MAKE) -s deps-pg; \
		DATABASE_URL="$$($(BIN) db start --dir $(PGDIR))"; export DATABASE_URL; \
		if [ -z "$$PAYOPS_ARCHIVE_DIR" ]; then PAYOPS_ARCHIVE_DIR="$(CURDIR)/$(DATA)/archive"; \
			mkdir -p "$$PAYOPS_ARCHIVE_DIR"; export PAYOPS_ARCHIVE_DIR; fi; fi; \
	export PAYOPS_SESSION_KEY="$${PAYOPS_SESSION_KEY:-$$(cat $(KEYFILE))}"; \
	if [ -f $(LOG) ]; then mv -f $(LOG) $(LOG).1; fi; \
	echo "payops: migrating, loading demo data and starting (log: $(LOG))..."; \
	$(BIN) migrate >> $(LOG) 2>&1 || { tail -n 20 $(LOG); exit 1; }; \
	$(BIN) demo >> $(LOG) 2>&1 || { tail -n 20 $(LOG); exit 1; }; \
	exec $(BIN) serve --sandbox-addr $(SANDBOX_ADDR) --banner --log $(LOG)

db-stop: $(BIN)
	@$(BIN) db stop --dir $(PGDIR)
	@$(BIN) db stop --dir $(DATA)/test-postgres

generate:
	go tool templ generate

# Generated templ code must be current: regenerating must change nothing.
# (In CI's fresh clone the working tree is what was committed.)
check-generated:
	@before="$$(find . -name '*_templ.go' -not -path './.data/*' | sort | xargs -r sha256sum)"; \
	go tool templ generate >/dev/null 2>&1 || { go tool templ generate; exit 1; }; \
	after="$$(find . -name '*_templ.go' -not -path './.data/*' | sort | xargs -r sha256sum)"; \
	if [ "$$before" != "$$after" ]; then \
		echo "generated templ code was stale; it is regenerated now: review and commit it"; \
		diff <(echo "$$before") <(echo "$$after"); exit 1; fi
	@untracked="$$(git ls-files --others --exclude-standard -- '*_templ.go')"; \
	if [ -n "$$untracked" ]; then echo "generated templ code not in git: $$untracked"; exit 1; fi

test: deps-pg deps-prometheus deps-chromium deps-axe check-generated
	go vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	promtool check rules deploy/prometheus/alerts.yml
	promtool test rules deploy/prometheus/alerts_test.yml
	@# PAYOPS_PROMTOOL=required: the /metrics test fails, rather than skips its lint, without promtool.
	PAYOPS_PROMTOOL=required go test -race -count=1 ./...
	@# A brief run of each webhook parser's fuzz target, seeded with the providers' samples.
	@# A failing input is saved under testdata/fuzz and fails the build; a run that fails
	@# without saving one (the fuzz engine itself) is tried once more.
	@mkdir -p .data; for p in nxtbanking paywize razorpayx xendit; do \
		if go test ./adapters/$$p/ -run '^$$' -fuzz FuzzWebhook -fuzztime 3s > .data/fuzz-$$p.log 2>&1; then echo "fuzz $$p: ok"; continue; fi; \
		cat .data/fuzz-$$p.log; \
		if [ -n "$$(git ls-files --others -- adapters/$$p/testdata/fuzz)" ]; then echo "fuzz $$p: failing input saved in adapters/$$p/testdata/fuzz"; exit 1; fi; \
		echo "fuzz $$p: the engine failed without a finding; trying once more"; \
		go test ./adapters/$$p/ -run '^$$' -fuzz FuzzWebhook -fuzztime 3s || exit 1; \
	done

# Benchmarks (issues #6, #14 and #16), never part of make test: webhook ingestion
# beside pgbench running the endpoint's SQL, the stuck-payouts page, day-end
# reconciliation, the stale re-check against a rate-limited sandbox, serve's
# peak memory, finding a payout (search, list, CSV), and the /metrics scrape, each on a million
# payouts in a private PostgreSQL (.data/bench-postgres, durability off). Prints one table and writes it to
# docs/BENCHMARKS.md; BENCH_NOTE="..." adds a line about the run. BENCH_SCALE=10m (issue #19) adds benchmark 8:
# one database of that many payouts with a year of their history (about 35 GB at 10m), seeded once, and on it
# the stuck page, search, a million-payout day's reconciliation, ingestion and the sizes, beside the 1M figures.
bench: deps-pg $(BIN)
	go run ./bench -payops $(BIN) -out docs/BENCHMARKS.md $(if $(BENCH_NOTE),-note "$(BENCH_NOTE)") $(if $(BENCH_SCALE),-scale $(BENCH_SCALE))

# Every fuzz target (webhook parsers, amounts, settlement CSV, intake JSON)
# for FUZZTIME each; a failing input is saved under the package's
# testdata/fuzz and from then on runs in make test.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$(go list ./...); do \
		list="$$(go test $$pkg -list '^Fuzz' 2>&1)" || { echo "$$list"; exit 1; }; \
		for t in $$(echo "$$list" | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
			mkdir -p .data; go test $$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) > .data/fuzz.log 2>&1 || { cat .data/fuzz.log; exit 1; }; \
			tail -1 .data/fuzz.log; \
		done; \
	done

# The failure drill before production: all-of-them with 2,000 payouts
# against payops run as child processes on a private PostgreSQL of its own,
# killed with SIGKILL twice and restarted, two instances for part of it.
# The database starts empty each time, so no earlier drill's payouts take the
# re-check's calls. Instances' logs go to .data/drill-payops-*.log.
DRILL_PAYOUTS ?= 2000
drill: $(BIN) deps-pg
	@$(BIN) db stop --dir $(DATA)/drill-postgres >/dev/null 2>&1 || true
	@rm -rf $(DATA)/drill-postgres $(DATA)/drill-payops-*.log
	@DATABASE_URL="$$($(BIN) db start --dir $(DATA)/drill-postgres)" \
		$(BIN) drill --supervise --scenario all-of-them --payouts $(DRILL_PAYOUTS) --wait 20m --logs $(DATA)

clean:
	rm -rf bin
