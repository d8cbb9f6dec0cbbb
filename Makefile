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
export PYTHONPATH := $(CURDIR)

DBT := $(BIN)/dbt
# Where `python -m retention publish` swaps in the marts of each successful
# build (README, "BI tools: read the published marts"), and how many
# published versions it keeps.
PUBLISH_DIR ?= $(CURDIR)/data/published$(if $(filter demo,$(DATASET)),,-$(DATASET))
PUBLISH_KEEP ?= 3

ENGINE_CUSTOMERS ?= 800

.PHONY: help venv data data-demo data-cdnow_sample data-cdnow load build publish lint test unit pytest clean report test-postgres test-spark
.PHONY: docs dashboard conventions chromium bench freshness

help:
	@echo "make build   # venv + demo data ($(CUSTOMERS) customers) + dbt build on DuckDB + publish"
	@echo "make publish # publish the marts of the last successful dbt build for BI tools"
	@echo "make test    # lint + build + all tests"
	@echo "make data    # (re)generate and load the demo data only"
	@echo "make build DATASET=cdnow_sample|cdnow   # the CDNOW files inside lifetimes"
	@echo "make report  # CDNOW holdout and demo CLTV plots under reports/"
	@echo "make lint    # sqlfluff (dbt templater) + ruff"
	@echo "make test-postgres  # same marts on a private PostgreSQL cluster as on DuckDB"
	@echo "make test-spark     # same marts on local Spark (pyspark, Java 17) as on DuckDB"
	@echo "make clean   # remove target/, logs/ and data/"
	@echo "make docs    # dbt docs as one static file: target/static_index.html"
	@echo "make dashboard  # static HTML dashboard: $(DASHBOARD_HTML)"
	@echo "make conventions  # dbt-bouncer convention checks (part of make test)"
	@echo "make bench   # benchmark: BENCH_SIZES='$(BENCH_SIZES)' (or BENCH_CUSTOMERS=n), BENCH_DATA_DIR=$(BENCH_DATA_DIR)"
	@echo "make freshness  # dbt source freshness of the raw tables (target/sources.json)"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(RAW_DIR)/.generated-$(CUSTOMERS)-$(SEED): | venv
	rm -rf $(RAW_DIR) && mkdir -p $(RAW_DIR)
	$(BIN)/python -m retention generate --customers $(CUSTOMERS) --seed $(SEED) --out $(RAW_DIR)
	touch $@

data: data-$(DATASET)

data-demo: $(RAW_DIR)/.generated-$(CUSTOMERS)-$(SEED) | venv
	$(BIN)/python -m retention load --source $(RAW_DIR) --database $(RETENTION_DUCKDB_PATH)

data-cdnow_sample data-cdnow: | venv
	$(BIN)/python -m retention load-cdnow --file $(if $(filter cdnow,$(DATASET)),master,sample) --database $(RETENTION_DUCKDB_PATH)

# dbt build (--full-refresh: make data replaces the raw tables wholesale,
# so the incremental models start over; docs/incremental.md), then publish
# its marts: publish runs only when every node
# passed (make stops on dbt's nonzero exit, and publish checks
# target/run_results.json itself), so BI tools keep the last good marts.
build: venv data
	$(DBT) build --full-refresh --vars '$(DBT_VARS)'
	$(MAKE) --no-print-directory publish

publish: venv
	$(BIN)/python -m retention publish --database $(RETENTION_DUCKDB_PATH) --out $(PUBLISH_DIR) --keep $(PUBLISH_KEEP)

# How old the newest row of each raw table is (thresholds: vars
# freshness_warn_after_hours / freshness_error_after_hours). Exits 1 on error.
freshness: venv
	$(DBT) source freshness --vars '$(DBT_VARS)'

# Builds the CDNOW sample and the demo data into their own databases, then plots.
report: venv
	$(MAKE) build DATASET=cdnow_sample RETENTION_DUCKDB_PATH=$(CURDIR)/data/cdnow_sample.duckdb
	$(MAKE) build DATASET=demo RETENTION_DUCKDB_PATH=$(CURDIR)/data/warehouse.duckdb
	$(BIN)/python -m retention report --cdnow-database data/cdnow_sample.duckdb --demo-database data/warehouse.duckdb --out reports

# sqlfluff's dbt templater opens a connection: give it a scratch database so
# lint works before any data exists.
lint: venv
	$(BIN)/ruff check retention tests
	mkdir -p target
	RETENTION_DUCKDB_PATH=$(CURDIR)/target/sqlfluff.duckdb $(BIN)/sqlfluff lint models analyses tests

pytest: venv
	$(BIN)/python -m pytest

test: lint build conventions pytest

$(VENV)/.installed-%: requirements-%.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

# Build the demo data (ENGINE_CUSTOMERS customers) on DuckDB and on the engine
# and compare every mart (tests/python/test_engine_equality.py).
# scripts/with-postgres.sh installs PostgreSQL if missing, runs a private
# cluster on 127.0.0.1 in a temporary directory and stops it afterwards.
test-postgres: $(VENV)/.installed-postgres
	RETENTION_ENGINE=postgres RETENTION_ENGINE_CUSTOMERS=$(ENGINE_CUSTOMERS) \
		scripts/with-postgres.sh $(BIN)/python -m pytest -s -p no:cacheprovider \
		tests/python/test_engine_equality.py

test-spark: $(VENV)/.installed-spark
	@command -v java >/dev/null || { echo "Spark needs Java 17: install openjdk-17-jre-headless"; exit 1; }
	RETENTION_ENGINE=spark RETENTION_ENGINE_CUSTOMERS=$(ENGINE_CUSTOMERS) \
		$(BIN)/python -m pytest -s -p no:cacheprovider tests/python/test_engine_equality.py

clean:
	rm -rf target logs data

# --- For BI tools and pull requests ------------------------------------------
DASHBOARD_HTML ?= artifacts/dashboard/retention_dashboard.html

# The docs site as one self-contained file (opens from disk, no server).
docs: build
	$(DBT) docs generate --static
	@echo "docs site: $(CURDIR)/target/static_index.html"

dashboard: build
	$(BIN)/python -m retention dashboard --database $(PUBLISH_DIR)/retention.duckdb --out $(DASHBOARD_HTML)
	@echo "dashboard: $(CURDIR)/$(DASHBOARD_HTML)"

# Naming, documentation, primary-key and layer checks (dbt-bouncer.yml).
conventions: venv
	$(DBT) parse --quiet
	$(BIN)/dbt-bouncer --config-file dbt-bouncer.yml

# Debian's chromium for the browser tests; a no-op when installed.
chromium:
	bash scripts/ensure-chromium.sh

# --- Benchmark (README "Benchmark") ------------------------------------------
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

bench: venv
	$(BIN)/python -m retention bench --sizes $(or $(BENCH_CUSTOMERS),$(BENCH_SIZES)) \
		--data-dir $(BENCH_DATA_DIR) --out $(BENCH_OUT) --seed $(BENCH_SEED) \
		--memory-limit $(BENCH_MEMORY_LIMIT) --threads $(BENCH_THREADS) --note '$(BENCH_NOTE)'
