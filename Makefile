# Two commands do everything on a fresh machine:
#   make build   create .venv, install pinned deps, generate + load demo data, dbt build,
#                publish the marts for BI tools (data/published/retention.duckdb)
#   make test    lint, build, every test (dbt data + unit tests, pytest)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CUSTOMERS ?= 5000
SEED ?= 42
RAW_DIR ?= data/raw
# demo (the generator), cdnow_sample or cdnow (the CDNOW files inside lifetimes)
DATASET ?= demo
CDNOW_VARS := {"as_of_date": "1998-06-30", "rfm_observation_end": "1997-09-30", "rfm_time_unit_days": 7}
DBT_VARS ?= $(if $(filter demo,$(DATASET)),{},$(CDNOW_VARS))

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)/profiles
export RETENTION_DUCKDB_PATH ?= $(CURDIR)/data/$(if $(filter demo,$(DATASET)),warehouse,$(DATASET)).duckdb

DBT := $(BIN)/dbt
# Where `retention publish` swaps in the marts of each successful
# build (docs/publishing.md), and how many
# published versions it keeps.
PUBLISH_DIR ?= $(CURDIR)/data/published$(if $(filter demo,$(DATASET)),,-$(DATASET))
PUBLISH_KEEP ?= 3

ENGINE_CUSTOMERS ?= 800

.PHONY: help venv data data-demo data-cdnow_sample data-cdnow build publish lint test pytest pytest-fast clean report test-postgres test-spark test-package
.PHONY: docs dashboard conventions chromium bench freshness

help: ## this list (every target with a ## comment)
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  variables: CUSTOMERS=$(CUSTOMERS) SEED=$(SEED) DATASET=$(DATASET) (demo|cdnow_sample|cdnow)"
	@echo "             BENCH_SIZES='$(BENCH_SIZES)' BENCH_CUSTOMERS=n BENCH_DATA_DIR=$(BENCH_DATA_DIR) BENCH_ENGINE=$(BENCH_ENGINE)"

venv: $(VENV)/.installed ## .venv with the project installed (pip install -e) from the pinned requirements

# The project itself (pyproject.toml: the retention package, its console script
# and extras), installed editable, every version pinned by requirements.txt.
$(VENV)/.installed: pyproject.toml requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c requirements.txt -e '.[dev,dashboard,bench]'
	touch $@

$(RAW_DIR)/.generated-$(CUSTOMERS)-$(SEED): | venv
	rm -rf $(RAW_DIR) && mkdir -p $(RAW_DIR)
	$(BIN)/retention generate --customers $(CUSTOMERS) --seed $(SEED) --out $(RAW_DIR)
	touch $@

data: data-$(DATASET) ## (re)generate and load the demo data (or DATASET=cdnow_sample|cdnow) only

data-demo: $(RAW_DIR)/.generated-$(CUSTOMERS)-$(SEED) | venv
	$(BIN)/retention load --source $(RAW_DIR) --database $(RETENTION_DUCKDB_PATH)

data-cdnow_sample data-cdnow: | venv
	$(BIN)/retention load-cdnow --file $(if $(filter cdnow,$(DATASET)),master,sample) --database $(RETENTION_DUCKDB_PATH)

# dbt build (--full-refresh: make data replaces the raw tables wholesale,
# so the incremental models start over; docs/incremental.md), then publish
# its marts: publish runs only when every node
# passed (make stops on dbt's nonzero exit, and publish checks
# target/run_results.json itself), so BI tools keep the last good marts.
build: venv data ## venv + demo data + dbt build on DuckDB + publish the marts
	$(DBT) build --full-refresh --vars '$(DBT_VARS)'
	$(MAKE) --no-print-directory publish

publish: venv ## publish the marts of the last successful dbt build for BI tools
	$(BIN)/retention publish --database $(RETENTION_DUCKDB_PATH) --out $(PUBLISH_DIR) --keep $(PUBLISH_KEEP)

# How old the newest row of each raw table is (thresholds: vars
# freshness_warn_after_hours / freshness_error_after_hours). Exits 1 on error.
freshness: venv ## dbt source freshness of the raw tables (target/sources.json)
	$(DBT) source freshness --vars '$(DBT_VARS)'

# Builds the CDNOW sample and the demo data into their own databases, then plots.
report: venv ## CDNOW holdout and demo CLTV plots under reports/
	$(MAKE) build DATASET=cdnow_sample RETENTION_DUCKDB_PATH=$(CURDIR)/data/cdnow_sample.duckdb
	$(MAKE) build DATASET=demo RETENTION_DUCKDB_PATH=$(CURDIR)/data/warehouse.duckdb
	$(BIN)/retention report --cdnow-database data/cdnow_sample.duckdb --demo-database data/warehouse.duckdb --out reports

# sqlfluff's dbt templater opens a connection: give it a scratch database so
# lint works before any data exists.
lint: venv ## sqlfluff (dbt templater) + ruff
	$(BIN)/ruff check retention tests
	mkdir -p target
	RETENTION_DUCKDB_PATH=$(CURDIR)/target/sqlfluff.duckdb $(BIN)/sqlfluff lint models analyses data-tests

# Every test of tests/ but the engine equality ones (make test-postgres,
# make test-spark): unit, dbt and browser tests (docs/testing.md), in
# PYTEST_WORKERS processes (pytest-xdist, one test file at a time per
# process; the files that share dbt builds go to one process together,
# tests/conftest.py). PYTEST_WORKERS=0 runs them in this process.
PYTEST_WORKERS ?= 2
pytest: venv ## every pytest test but the engine ones (unit, dbt, browser), PYTEST_WORKERS processes
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile tests/unit tests/dbt tests/browser

pytest-fast: venv ## the unit tests alone: no dbt, no database server, seconds
	$(BIN)/python -m pytest -m unit tests/unit

# integration_tests/, a user's dbt project that installs this one as a
# package: its marts equal a standalone build (tests/package/, docs/package.md).
# Each test file builds copies of it in its own temporary folder, so the
# files run in PYTEST_WORKERS processes too.
test-package: venv ## the project as a package in integration_tests/ equals a standalone build
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile tests/package

test: lint build conventions pytest test-package ## lint + build + every test

$(VENV)/.installed-%: requirements-%.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c requirements.txt -c $< -e '.[dev,dashboard,bench,$*]'
	touch $@

# Build the demo data (ENGINE_CUSTOMERS customers) on DuckDB and on the engine
# and compare every mart (tests/engines/test_engine_equality.py).
# scripts/with-postgres.sh installs PostgreSQL if missing, runs a private
# cluster on 127.0.0.1 in a temporary directory and stops it afterwards.
test-postgres: $(VENV)/.installed-postgres ## the same marts on a private PostgreSQL cluster as on DuckDB
	RETENTION_ENGINE=postgres RETENTION_ENGINE_CUSTOMERS=$(ENGINE_CUSTOMERS) \
		scripts/with-postgres.sh $(BIN)/python -m pytest -s -p no:cacheprovider tests/engines

test-spark: $(VENV)/.installed-spark ## the same marts on local Spark (pyspark, Java 17) as on DuckDB
	@command -v java >/dev/null || { echo "Spark needs Java 17: install openjdk-17-jre-headless"; exit 1; }
	RETENTION_ENGINE=spark RETENTION_ENGINE_CUSTOMERS=$(ENGINE_CUSTOMERS) \
		$(BIN)/python -m pytest -s -p no:cacheprovider tests/engines

clean: ## remove target/, logs/ and data/
	rm -rf target logs data

# --- For BI tools and pull requests ------------------------------------------
DASHBOARD_HTML ?= artifacts/dashboard/retention_dashboard.html

# The docs site as one self-contained file (opens from disk, no server).
docs: build ## dbt docs as one static file: target/static_index.html
	$(DBT) docs generate --static
	@echo "docs site: $(CURDIR)/target/static_index.html"

dashboard: build ## static HTML dashboard of the published marts
	$(BIN)/retention dashboard --database $(PUBLISH_DIR)/retention.duckdb --out $(DASHBOARD_HTML)
	@echo "dashboard: $(CURDIR)/$(DASHBOARD_HTML)"

# Naming, documentation, primary-key and layer checks (dbt-bouncer.yml).
conventions: venv ## dbt-bouncer convention checks (part of make test)
	$(DBT) parse --quiet
	$(BIN)/dbt-bouncer --config-file dbt-bouncer.yml

# Debian's chromium for the browser tests; a no-op when installed.
chromium: ## Debian's chromium for the browser tests (a no-op when installed)
	bash scripts/ensure-chromium.sh

# --- Benchmark (docs/benchmark.md) ------------------------------------------
# Sizes: presets headline (1M customers, ~10M orders, ~100M events), tenth, smoke,
# or BENCH_CUSTOMERS=<n> for one size of n customers at the same intensities.
# Generated Parquet and the bench databases live in BENCH_DATA_DIR (reused by
# size and seed); reports go to BENCH_OUT (Markdown + JSON).
BENCH_SIZES ?= tenth headline
BENCH_CUSTOMERS ?=
BENCH_DATA_DIR ?= bench/data
BENCH_OUT ?= bench/results
BENCH_SEED ?= 42
BENCH_MEMORY_LIMIT ?= 6GB
BENCH_THREADS ?= 2
BENCH_NOTE ?=
# duckdb, or spark: at each size, after DuckDB's builds, the full and daily
# builds on local Spark (pyspark, Java 17), their marts compared with DuckDB's.
BENCH_ENGINE ?= duckdb
# Each peer (pandas, lifetimes) runs in its own process: stopped after
# BENCH_PEER_TIMEOUT seconds, its address space capped at BENCH_PEER_MEMORY_LIMIT
# (e.g. 12GB; empty: no cap); either is reported, not a failure of the bench.
BENCH_PEER_TIMEOUT ?= 900
BENCH_PEER_MEMORY_LIMIT ?=

bench: venv $(if $(filter spark,$(BENCH_ENGINE)),$(VENV)/.installed-spark) ## benchmark: BENCH_SIZES (tenth headline) or BENCH_CUSTOMERS=n [BENCH_ENGINE=spark]; report in bench/results/
	$(BIN)/retention bench --sizes $(or $(BENCH_CUSTOMERS),$(BENCH_SIZES)) --engine $(BENCH_ENGINE) \
		--data-dir $(BENCH_DATA_DIR) --out $(BENCH_OUT) --seed $(BENCH_SEED) \
		--memory-limit $(BENCH_MEMORY_LIMIT) --threads $(BENCH_THREADS) --note '$(BENCH_NOTE)' \
		--peer-timeout $(BENCH_PEER_TIMEOUT) --peer-memory-limit '$(BENCH_PEER_MEMORY_LIMIT)'
