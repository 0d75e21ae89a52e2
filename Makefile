# Two commands on a fresh machine with Python 3.11 and make: `make run`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test ui check-defs clean dictionary

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

## Build everything from the bundled data (no network): log, projections, marts, snapshot.
run: $(INSTALLED)
	$(BIN)/airace run

## The test suite (real DuckDB files, real Dagster runs), on both cores.
test: $(INSTALLED)
	$(BIN)/pytest -q -n 2

## The Dagster UI on http://127.0.0.1:3000 with the project's instance settings.
ui: $(INSTALLED)
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -h 127.0.0.1 -p 3000

check-defs: $(INSTALLED)
	$(BIN)/dg check defs

clean:
	rm -rf warehouse/data .pytest_cache

## Regenerate warehouse/DATA_DICTIONARY.md from the published snapshot (after `make run`).
dictionary: $(INSTALLED)
	$(BIN)/python -m warehouse.dictionary
