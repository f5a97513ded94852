# Two commands from a fresh clone: `make book` builds the site, `make test` runs every test.
# Both create (or refresh) .venv from requirements.txt first; nothing else needs installing,
# except Debian's chromium for the browser tests (.ci/run installs it).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.reasonlab-installed
# Deterministic runs: one torch thread, no hash randomisation in notebooks and tests.
export REASONLAB_THREADS ?= 1
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# The project's own runs of the notebooks (nbval, the book build, `make notebooks`) show the labs'
# and the quiz's kernel-free versions; any other kernel (Colab, Jupyter) gets the live ones.
export REASONLAB_STATIC_WIDGETS := 1
# Kernels started by nbval and the book build resolve `python` from PATH: make it the venv's.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv book test lint unit nbval browser colab notebooks static-js bench clean

help:
	@echo "make book   build the site into _build/html (sets up .venv first)"
	@echo "make test   ruff, pytest, strict nbval, the book build and the browser tests"
	@echo "make venv   create or refresh .venv from requirements.txt"
	@echo "make notebooks  re-execute every notebook in place (after changing one)"
	@echo "make colab  run every notebook in an environment pinned to Colab's (part of make test)"
	@echo "make bench  run the benchmark scripts (prints figures, not a test)"

# The stamp is older than requirements.txt or pyproject.toml => the venv is stale.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# The execution cache is keyed on the notebooks' code cells only: a change to the package under
# src/ would otherwise leave pages showing what the old code printed (and Sphinx would not even
# re-read an unchanged notebook). When src/ or the build extension (book/_ext, which checks each
# execution) changed, start the build from scratch.
SRC_HASH_CMD := find src book/_ext -type f \( -name '*.py' -o -path '*/data/*' \) | LC_ALL=C sort | xargs cat | sha1sum
CACHE_SRC := _build/.jupyter_cache/src.sha1

book: venv
	@h=$$($(SRC_HASH_CMD)); if [ "$$(cat $(CACHE_SRC) 2>/dev/null)" != "$$h" ]; then \
		rm -rf _build; mkdir -p _build/.jupyter_cache; echo "$$h" > $(CACHE_SRC); fi
	mkdir -p _build && $(BIN)/jupyter-book build . -W -n --keep-going 2>&1 | tee _build/build.log
	@echo "Built: $(CURDIR)/_build/html/index.html"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests benchmarks scripts

unit: venv
	$(BIN)/python -m pytest tests -m "not browser" -q

nbval: venv
	$(BIN)/python -m pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg \
		--nbval-current-env -q

browser: venv
	$(BIN)/python -m pytest tests -m browser -q

# Colab's runtime: a cached venv pinned by requirements-colab.txt (.venv-colab), the package installed
# by the notebooks' own set-up cell from a local clone, every notebook run (scripts/colab_check.py).
colab: venv
	$(BIN)/python scripts/colab_check.py

test: lint unit colab nbval book browser
	@echo "make test: all stages passed"

notebooks: venv
	$(BIN)/python scripts/execute_notebooks.py notebooks/*.ipynb

static-js:
	bash scripts/fetch_static_js.sh

bench: venv
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf _build
