# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)  ## set up, then serve a live demo on a temporary embedded store
	$(BIN)/callstats demo

test: $(STAMP)  ## set up (PostgreSQL and Chromium included), type-check src/ (mypy strict), then run the whole test suite
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMP)  ## benchmarks: tables printed, nothing asserted (installs wrk if missing)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ingest_perf.py
	$(BIN)/python bench/small_posts.py
	$(BIN)/python bench/customer_api.py
	$(BIN)/python bench/pbx.py
	$(BIN)/python bench/pbx_rollup.py
	$(BIN)/python bench/pbx_last_code.py
	$(BIN)/python bench/rollup_check.py
	$(BIN)/python bench/stores.py
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/cdrs.py
	$(BIN)/python bench/reports_perf.py
	$(BIN)/python bench/request_path.py --rows 10000000
	$(BIN)/python bench/duckdb_threads.py
	bash scripts/ensure-chromium.sh
	$(BIN)/python bench/portal.py
	$(BIN)/python bench/writer_lock.py
	$(BIN)/python bench/login_flood.py
	$(BIN)/python bench/soak.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

docs: $(STAMP)  ## rewrite the generated blocks of docs/api.md and docs/data-format.md
	$(BIN)/python -m callstats.docgen docs

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
