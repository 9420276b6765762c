# Two commands on a fresh machine with only Python: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run worker test browser lint typecheck openapi bench lock clean generate figures

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

# Server settings measured in bench/README.md ("Hit path"): uvloop + httptools, one worker
# (each worker has its own in-process cache); 30 s for requests in flight at SIGTERM/Ctrl-C.
# WORKERS=n serves n processes; their metrics then share a directory emptied here first.
run: $(VENV)/.installed-run  ## serve on $(HOST):$(PORT) with the in-process cache (WORKERS=1)
	@set -e; workers=$(or $(WORKERS),1); \
	if [ "$$workers" -gt 1 ]; then \
	  export PROMETHEUS_MULTIPROC_DIR="$${PROMETHEUS_MULTIPROC_DIR:-/tmp/susc-metrics-$(PORT)}"; \
	  rm -rf "$$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$$PROMETHEUS_MULTIPROC_DIR"; \
	fi; \
	set -x; exec $(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --workers $$workers \
	  --loop uvloop --http httptools --no-access-log --timeout-graceful-shutdown 30

# One job worker process (app/jobs/worker.py): it needs the jobs Redis (REDIS_URL or
# JOBS_REDIS_URL, the same as the app's). Run as many as you like, on any machine that reaches it.
worker: $(VENV)/.installed-run  ## run one job worker (needs REDIS_URL; see README "Jobs and sweeps")
	@if [ -z "$${REDIS_URL}$${SUSC_REDIS_URL}$${JOBS_REDIS_URL}$${SUSC_JOBS_REDIS_URL}" ]; then \
	  echo "make worker: set REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379/0 make worker)"; exit 2; fi
	exec $(BIN)/python -m app.jobs.worker

# Debian's chromium for tests/e2e (Playwright drives it; no browser download). Installed when
# missing and running as root; otherwise a hint (the e2e tests then skip, or fail under CI=true).
browser:  ## install Debian's chromium for the browser tests when it is missing
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "chromium is missing: run 'sudo apt-get update && sudo apt-get install -y chromium' for tests/e2e"; fi

test: $(VENV)/.installed-dev browser  ## lint, type check and the whole suite (Redis tests need a Redis, see README)
	$(BIN)/ruff check core app tests bench scripts examples
	$(BIN)/mypy core app
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check core app tests bench scripts examples
	$(BIN)/ruff format --check core app tests bench scripts examples

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy core app

generate: $(VENV)/.installed-run  ## regenerate generated code (core/crystal/_wordkernel.py)
	$(BIN)/python scripts/generate_crystal_words.py

openapi: $(VENV)/.installed-run  ## regenerate openapi/openapi.json from the app
	$(BIN)/python -m app.openapi

figures: $(VENV)/.installed-dev  ## draw every preset's paper figure to docs/figures/<preset>.png
	$(BIN)/python scripts/make_figures.py

bench: $(VENV)/.installed-dev  ## run every benchmark in bench/ (figures go in bench/README.md)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lock:  ## re-pin requirements*.lock from pyproject (run in a clean venv)
	rm -rf /tmp/susc-lock && $(PYTHON) -m venv /tmp/susc-lock
	/tmp/susc-lock/bin/pip install --quiet -e '.[web]' && /tmp/susc-lock/bin/pip freeze --exclude-editable > requirements.lock
	/tmp/susc-lock/bin/pip install --quiet -e '.[dev]' && /tmp/susc-lock/bin/pip freeze --exclude-editable | grep -vxFf requirements.lock > requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info
