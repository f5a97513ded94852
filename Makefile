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
# Checkpoints trained outside the package go to this checkout's own cache (never shared with
# another checkout's concurrent run).
export REASONLAB_CACHE ?= $(CURDIR)/cache
# The project's own runs of the notebooks (nbval, the book build, `make notebooks`) show the labs'
# and the quiz's kernel-free versions; any other kernel (Colab, Jupyter) gets the live ones.
export REASONLAB_STATIC_WIDGETS := 1
# Kernels started by nbval and the book build resolve `python` from PATH: make it the venv's.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv book student test check lint unit slow nbval browser colab notebooks artifacts \
	static-js bench clean

help:
	@echo "make book   build the site into _build/html (sets up .venv first)"
	@echo "make book STUDENT=1  the site without the exercises' solutions, into _build/student"
	@echo "make test   every test: ruff, pytest (slow ones too), Colab stage, strict nbval, book, browser"
	@echo "make check  the quick loop while editing: make test without the slow tests and the Colab stage"
	@echo "make venv   create or refresh .venv from requirements.txt"
	@echo "make notebooks  re-execute every notebook in place (after changing one)"
	@echo "make artifacts  rebuild every stale shipped artifact, parents first, JOBS=2 at a time"
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

# The book is built from the notebooks' stored outputs (nothing executes; see _config.yml), so
# only the notebooks, the pages and the build extension (book/_ext) decide what it shows. Sphinx
# notices changed sources itself but not a changed extension: then start from scratch.
EXT_HASH_CMD := find book/_ext -type f -name '*.py' | LC_ALL=C sort | xargs cat | sha1sum
EXT_STAMP := _build/.ext.sha1

ifeq ($(STUDENT),1)
book: student
else
book: venv
	@h=$$($(EXT_HASH_CMD)); if [ "$$(cat $(EXT_STAMP) 2>/dev/null)" != "$$h" ]; then \
		rm -rf _build; mkdir -p _build; echo "$$h" > $(EXT_STAMP); fi
	mkdir -p _build && $(BIN)/jupyter-book build . -W -n --keep-going 2>&1 | tee _build/build.log
	@echo "Built: $(CURDIR)/_build/html/index.html"
endif

# The student edition (`make book STUDENT=1` or `make student`): the same site without the
# exercises' solutions, in its own folder. Its sources are a copy with the solutions cut out of
# the notebooks (scripts/sync_notebooks.py --student), built from scratch each time.
STUDENT_SRC := _build/student-src
student: venv
	$(BIN)/python scripts/sync_notebooks.py --student $(STUDENT_SRC)
	$(BIN)/jupyter-book build $(STUDENT_SRC) -W -n --keep-going 2>&1 | tee _build/student-build.log
	rm -rf _build/student && mv $(STUDENT_SRC)/_build/html _build/student && rm -rf $(STUDENT_SRC)
	@echo "Built: $(CURDIR)/_build/student/index.html (no solutions)"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests benchmarks scripts

# Tests marked `slow` (retraining a shipped policy from its recipe: minutes) are a stage of their own.
# Both stages run on TEST_WORKERS processes (pytest-xdist; one torch thread each, so the same
# numbers as one process); a test module's tests stay in one worker (its fixtures are built once).
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadscope
unit: venv
	$(BIN)/python -m pytest tests -m "not browser and not slow" -q $(XDIST)

slow: venv
	$(BIN)/python -m pytest tests -m "slow and not browser" -q $(XDIST)

nbval: venv
	$(BIN)/python -m pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg \
		--nbval-current-env -q

browser: venv
	$(BIN)/python -m pytest tests -m browser -q

# Colab's runtime: a cached venv pinned by requirements-colab.txt (.venv-colab), the package installed
# by the notebooks' own set-up cell from a local clone, every notebook run (scripts/colab_check.py).
colab: venv
	$(BIN)/python scripts/colab_check.py

# Every test; .ci/run runs exactly this.
test: lint unit slow colab nbval book student browser
	@echo "make test: all stages passed"

# While editing: the same without the two stages that take minutes.
check: lint unit nbval book student browser
	@echo "make check: all stages passed (make test also runs the slow tests and the Colab stage)"

notebooks: venv
	$(BIN)/python scripts/execute_notebooks.py notebooks/*.ipynb

# Two artifacts at a time by default (one torch thread each: the same bytes as one at a time).
JOBS ?= 2
artifacts: venv
	$(BIN)/python -m reasonlab.build --jobs $(JOBS)

static-js:
	bash scripts/fetch_static_js.sh

bench: venv
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf _build
