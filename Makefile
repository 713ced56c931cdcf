# critmat: every set-up step is here, so a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo test install install-test lint typecheck pytest bench clean

# Main job on the embedded dataset: check the data, data report, full planning run.
demo: install
	$(BIN)/critmat data check --strict
	$(BIN)/critmat data report --out out/data-report.html
	$(BIN)/critmat plan --holder EU27 --budget 2e9 --html out/plan-report.html

# Every test: lint, format check, type check, unit/property/CLI tests.
test: install-test lint typecheck pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -q

bench: install
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_sim.py --runs 100000
	$(BIN)/python benchmarks/bench_opt.py --big 100000

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
