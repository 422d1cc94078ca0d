# Each target has a one-line help: `make help`.
CARGO ?= cargo
# Tests at once under cargo nextest: most wait on a site, a browser or a child process, not the CPU.
TEST_THREADS ?= 4
# Where cargo puts the binaries: CARGO_TARGET_DIR when set (as CI caches often do), as `make demo` honours it.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: help demo demo-web test lint fmt build report serve bench soak fuzz

help: ## this list
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

demo: ## start the mock site, enroll with the client, show the result
	./scripts/demo.sh

demo-web: ## the same flow in a browser: the site in demo mode, its mailbox page, until Ctrl-C
	./scripts/demo-web.sh

test: ## build everything and run every test (unit, site, harness snapshots, end to end, the short soak, the doctests); binaries a test runs are built on demand (test-support)
	@TEST_THREADS=$(TEST_THREADS) CARGO=$(CARGO) ./scripts/test.sh

soak: ## the long reliability run (10,000 malformed requests, 200 races, kills at each step and at random, site restarts); ends with one summary line; SOAK_SEED=N repeats a run
	@$(CARGO) build --quiet --workspace --bins
	@$(TARGET_DIR)/debug/soak --scale long $(if $(SOAK_SEED),--seed $(SOAK_SEED))

fuzz: ## coverage-guided fuzzing (nightly, cargo-fuzz installed when absent) of every parser of outside input, FUZZ_SECONDS each (default 60); one line per target, then a summary line
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) ./scripts/fuzz.sh

lint: ## formatting and clippy, as CI checks them
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## format the code
	$(CARGO) fmt --all

build: ## build the binaries (target/debug/mock-ca, cert-client, harness)
	$(CARGO) build --workspace --bins

report: ## run every scenario and write target/junit.xml and the report for support (Japanese, searchable, with the browser scenarios' screenshots) target/report/index.html
	$(CARGO) build --workspace --bins
	$(CARGO) run --quiet -p harness -- run --junit target/junit.xml --html target/report

serve: ## run mock-ca with the demo configuration until Ctrl-C
	$(CARGO) run --quiet -p mock-ca -- serve --config fixtures/demo/site.toml

bench: ## benchmarks (release): one enrollment and start-up vs Pebble+lego, suite, throughput, memory; installs pebble and lego with apt-get when absent
	@command -v pebble >/dev/null && command -v lego >/dev/null || \
	  { echo "installing pebble and lego (apt-get)"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pebble lego >/dev/null; } || \
	    echo "pebble/lego could not be installed: the comparisons will be skipped"; }
	@# --workspace: features unified as the bench's own on-demand build (test-support, `--workspace
	@# --bin NAME`) unifies them, so that it finds these binaries fresh instead of building them again.
	$(CARGO) build --release --workspace --bin mock-ca --bin cert-client --bin harness --bin bench
	$(TARGET_DIR)/release/bench $(BENCH_ARGS)
