# Two commands do everything on a fresh machine:
#   make build   create .venv, install pinned deps, generate + load demo data, dbt build
#   make test    lint, build, every test (dbt data + unit tests, pytest)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CUSTOMERS ?= 5000
SEED ?= 42
RAW_DIR ?= data/raw

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)/profiles
export RETENTION_DUCKDB_PATH ?= $(CURDIR)/data/warehouse.duckdb
export PYTHONPATH := $(CURDIR)

DBT := $(BIN)/dbt

.PHONY: help venv data load build lint test unit pytest clean
.PHONY: docs dashboard conventions chromium

help:
	@echo "make build   # venv + demo data ($(CUSTOMERS) customers) + dbt build on DuckDB"
	@echo "make test    # lint + build + all tests"
	@echo "make data    # (re)generate and load the demo data only"
	@echo "make lint    # sqlfluff (dbt templater) + ruff"
	@echo "make clean   # remove target/, logs/ and data/"
	@echo "make docs    # dbt docs as one static file: target/static_index.html"
	@echo "make dashboard  # static HTML dashboard: $(DASHBOARD_HTML)"
	@echo "make conventions  # dbt-bouncer convention checks (part of make test)"

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

data: $(RAW_DIR)/.generated-$(CUSTOMERS)-$(SEED) | venv
	$(BIN)/python -m retention load --source $(RAW_DIR) --database $(RETENTION_DUCKDB_PATH)

build: venv data
	$(DBT) build

# sqlfluff's dbt templater opens a connection: give it a scratch database so
# lint works before any data exists.
lint: venv
	$(BIN)/ruff check retention tests
	mkdir -p target
	RETENTION_DUCKDB_PATH=$(CURDIR)/target/sqlfluff.duckdb $(BIN)/sqlfluff lint models analyses tests

pytest: venv
	$(BIN)/python -m pytest

test: lint build conventions pytest

clean:
	rm -rf target logs data

# --- For BI tools and pull requests ------------------------------------------
DASHBOARD_HTML ?= artifacts/dashboard/retention_dashboard.html

# The docs site as one self-contained file (opens from disk, no server).
docs: build
	$(DBT) docs generate --static
	@echo "docs site: $(CURDIR)/target/static_index.html"

dashboard: build
	$(BIN)/python -m retention dashboard --database $(RETENTION_DUCKDB_PATH) --out $(DASHBOARD_HTML)
	@echo "dashboard: $(CURDIR)/$(DASHBOARD_HTML)"

# Naming, documentation, primary-key and layer checks (dbt-bouncer.yml).
conventions: venv
	$(DBT) parse --quiet
	$(BIN)/dbt-bouncer --config-file dbt-bouncer.yml

# Debian's chromium for the browser tests; a no-op when installed.
chromium:
	bash scripts/ensure-chromium.sh
