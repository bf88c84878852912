# The two commands: `make run` and `make test`. Everything else is a step they share, and
# `make check` is what a reviewer runs first (lint, and no model change without its migration).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export CONFLICTDB_DEV ?= 1
# pytest-xdist workers for `make test`: auto = one per CPU, 0 = everything in one process.
TEST_WORKERS ?= auto
# worksteal: a worker that runs out of tests takes the tail of the other's queue, so one slow
# module (the schema fuzz, the leak crawl) does not leave a CPU idle at the end.
PYTEST_WORKERS = -n $(TEST_WORKERS) $(if $(filter 0,$(TEST_WORKERS)),,--dist worksteal)

.PHONY: run test check setup venv clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

setup: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_seeds
	$(PY) manage.py ensure_demo_accounts

# The background worker (large imports and exports, the consensus refresh after each import:
# conflictdb.jobs) runs beside the server and stops with it, however the server ends.
WORKER := $(PY) manage.py db_worker --no-reload --queue-name '*'

run: setup
	@echo ""
	@echo "ConflictDB is serving at http://$(HOST):$(PORT)/admin/  (Ctrl-C stops it and its background worker)"
	@$(WORKER) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_WORKERS)

check: venv
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache
