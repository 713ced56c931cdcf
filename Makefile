# critmat: every set-up step is here, so a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

LOCK   := requirements
UV     := uv==0.13.10

.PHONY: demo test check install install-test lint typecheck pytest lock bench clean

# Main job on the embedded dataset: check the data, data report, full planning run.
demo: install
	$(BIN)/critmat data check --strict
	$(BIN)/critmat data report --out out/data-report.html
	$(BIN)/critmat plan --holder EU27 --budget 2e9 --html out/plan-report.html

# Every test: lint, format check, type check, all tests on both cores (slowest 15 listed).
test: install-test lint typecheck pytest

# The edit-run loop: lint, types and the fast tests (no servers, browsers, clusters, large runs).
check: install-test lint typecheck
	$(BIN)/pytest -n 2 -q -m "not slow"

# Installs come from the lock files (every transitive version pinned; `make lock` refreshes
# them from pyproject.toml's ranges): the same versions on every machine and in CI.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml $(LOCK)/build.txt $(LOCK)/runtime.txt
	$(PIP) install --quiet -r $(LOCK)/build.txt
	$(PIP) install --quiet -r $(LOCK)/runtime.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PIP) check
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed $(LOCK)/test.txt
	$(PIP) install --quiet -r $(LOCK)/test.txt
	$(PIP) check
	touch $@

# Re-resolve the locks (newest versions within pyproject.toml's ranges, any Python >= 3.11).
lock: $(BIN)/python
	$(PIP) install --quiet "$(UV)"
	$(BIN)/uv pip compile --quiet --upgrade --universal $(LOCK)/build.in -o $(LOCK)/build.txt
	$(BIN)/uv pip compile --quiet --upgrade --universal pyproject.toml -o $(LOCK)/runtime.txt
	$(BIN)/uv pip compile --quiet --upgrade --universal pyproject.toml --extra test \
		-c $(LOCK)/runtime.txt -o $(LOCK)/test.txt

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -n 2 -q

bench: install
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_sim.py --runs 100000
	$(BIN)/python benchmarks/bench_opt.py --big 100000

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
