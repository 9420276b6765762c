# Two commands on a fresh machine with only Python: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint typecheck openapi bench lock clean generate

# The virtual environment is rebuilt when the pinned requirements or pyproject change.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

run: $(VENV)/.installed-run  ## serve on $(HOST):$(PORT) with the in-process cache
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev  ## lint, type check and the whole suite (Redis tests need a Redis, see README)
	$(BIN)/ruff check core app tests bench
	$(BIN)/mypy core app
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check core app tests bench
	$(BIN)/ruff format --check core app tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy core app

generate: $(VENV)/.installed-run  ## regenerate generated code (core/crystal/_wordkernel.py)
	$(BIN)/python scripts/generate_crystal_words.py

openapi: $(VENV)/.installed-run  ## regenerate openapi/openapi.json from the app
	$(BIN)/python -m app.openapi

bench: $(VENV)/.installed-dev  ## run every benchmark in bench/ (figures go in bench/README.md)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lock:  ## re-pin requirements*.lock from pyproject (run in a clean venv)
	rm -rf /tmp/susc-lock && $(PYTHON) -m venv /tmp/susc-lock
	/tmp/susc-lock/bin/pip install --quiet -e '.[web]' && /tmp/susc-lock/bin/pip freeze --exclude-editable > requirements.lock
	/tmp/susc-lock/bin/pip install --quiet -e '.[dev]' && /tmp/susc-lock/bin/pip freeze --exclude-editable | grep -vxFf requirements.lock > requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info
