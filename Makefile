# Two commands on a fresh machine with Python 3.11 and make: `make run`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint ui check-defs clean dictionary eval-extract bench-extract bench lock

$(INSTALLED): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The pinned, hash-checked versions first (requirements.lock, `make lock`), then the
	# project itself, editable, adding nothing the lock did not pin.
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e '.[dev]'
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

## Re-pin requirements.lock (every dependency, dev tools included, with hashes) after editing pyproject.toml.
lock: $(INSTALLED)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--no-annotate --custom-compile-command 'make lock' -o requirements.lock

clean:
	rm -rf warehouse/data .pytest_cache

## Regenerate warehouse/DATA_DICTIONARY.md from the published snapshot (after `make run`).
dictionary: $(INSTALLED)
	$(BIN)/python -m warehouse.projections.dictionary

## Precision and recall of the article extractor on the labelled set (tests/extract_eval).
eval-extract: $(INSTALLED)
	$(BIN)/python -m tests.tools.evaluate_extract

## Extraction throughput: 1,000 generated ~3 kB articles on one core.
bench-extract: $(INSTALLED)
	$(BIN)/python -m tests.tools.bench_extract

## The benchmark: synthetic events (default 1M), each figure against a baseline of the same run.
bench: $(INSTALLED)
	$(BIN)/python -m tests.tools.bench

## The guardrails: ruff's rules, the import contracts and the type checker (all set in pyproject.toml).
lint: $(INSTALLED)
	$(BIN)/ruff check pipelines schemas warehouse tests
	$(BIN)/lint-imports
	$(BIN)/mypy
