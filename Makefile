# Thin wrappers: every target works on a fresh machine with Python 3.11+ and git.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
PYTEST_ARGS ?=
# pip stays quiet (-q below, and no "new release" notice), so that nothing it prints can bury the lines
# `make run` ends its start-up with: the URLs, the admin's token and how to log in.
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test worker migrate revision lint bench fuzz openapi clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The client (client/, its own distribution) owns the `docshelf` script; a venv made before it had one
# loses the script when pip replaces the old server distribution, hence the second line.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml client/pyproject.toml
	$(BIN)/pip install -q -e ./client -e .
	test -x $(BIN)/docshelf || $(BIN)/pip install -q --force-reinstall --no-deps -e ./client
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e ./client -e '.[test,dev]'
	touch $@

run: $(VENV)/.installed  ## start the API, the docs and a build worker on embedded defaults; ends with the first-run summary
	$(BIN)/docshelf up --port $(PORT)

test: $(VENV)/.installed-test  ## run the whole suite; fails if a process it started outlives it (tests/processes.py)
	$(BIN)/pytest -n 2 -p no:cacheprovider $(PYTEST_ARGS)

worker: $(VENV)/.installed
	$(BIN)/docshelf worker

migrate: $(VENV)/.installed
	$(BIN)/docshelf db upgrade

revision: $(VENV)/.installed  ## make revision m="what changed"
	$(BIN)/docshelf db migrate -m "$(m)"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app workers client tests
	$(BIN)/mypy app workers client/docshelf_client
	$(BIN)/lint-imports

bench: $(VENV)/.installed-test  ## benchmarks; each figure a ratio against a baseline of the same run
	$(BIN)/python -m bench $(BENCH_ARGS)

fuzz: $(VENV)/.installed-test  ## schemathesis against a live docshelf up, 2 concurrent workers (10 minutes)
	$(BIN)/python -m bench.fuzz $(FUZZ_ARGS)

openapi: $(VENV)/.installed
	$(BIN)/docshelf openapi print

clean:
	rm -rf $(VENV) data build *.egg-info
