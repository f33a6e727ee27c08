# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE ?= 1
PORT ?= 8501
INVOICES ?=
ENTITIES ?=
PYTEST_ARGS ?=

.PHONY: setup demo ibm backtest serve test lint format dev clean bench bench-pages browser

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/python -m dagster_project.cli demo $(if $(INVOICES),--invoices $(INVOICES),) $(if $(ENTITIES),--entities $(ENTITIES),)
	@if [ "$(SERVE)" = "1" ]; then $(MAKE) --no-print-directory serve; fi

ibm: setup
	$(BIN)/python -m dagster_project.cli ibm
	@if [ "$(SERVE)" = "1" ]; then CM_DATA_DIR=data/ibm $(MAKE) --no-print-directory serve; fi

# The payment model's backtests: the IBM sample, then the demo group against the generator's
# truth (needs `make demo` first); reports under data/ibm/backtest and data/demo/backtest.
backtest: setup
	$(BIN)/python -m models_ml.backtest ibm
	@if [ -f data/warehouse/warehouse.duckdb ]; then $(BIN)/python -m models_ml.backtest demo; \
	else echo "no demo warehouse: run 'make demo SERVE=0' for the demo backtest"; fi

serve: setup
	@echo "Dashboard: http://localhost:$(PORT)"
	$(BIN)/streamlit run dashboards/app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

test: setup lint browser
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt && ../$(BIN)/sqlfluff lint models tests

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmark (README, "Benchmark"): 100k and 1M invoices; BENCH_FULL=1 adds 10M (SIZES,
# when given, says every size itself).
SIZES ?= 100k,1m$(if $(filter 1,$(BENCH_FULL)),$(comma)10m,)
comma := ,
bench: setup
	$(BIN)/python -m dagster_project.bench --sizes "$(SIZES)"

# Render time of each dashboard page on the published warehouse (also part of `make bench`).
bench-pages: setup
	$(BIN)/python -m dashboards.bench

# Debian's Chromium for the browser test (apt, as root); `make test` in CI runs it first.
browser:
	tests/browser/install_chromium.sh

dev: setup
	$(BIN)/dagster dev

clean:
	rm -rf data/landing data/warehouse data/models data/exports data/demo data/ibm data/bench dbt/target
