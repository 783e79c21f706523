# Gapwatch: `make run` sets everything up and serves http://127.0.0.1:8000; `make test` tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run setup install test lint check-python clean serve bench bench-quick loadtest

# Where `make run` serves: `make run ADDRESS=127.0.0.1:8001` when port 8000 is taken.
ADDRESS ?= 127.0.0.1:8000
run: setup
	$(PY) manage.py runserver $(ADDRESS)

# Migrate, load what is missing from the seeds and make sure the demo accounts exist; safe to
# run again and again (corrections made in the app are kept). For development only.
setup: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py loadseeds --keep-existing
	$(PY) manage.py demoaccounts

# The virtualenv and the dependencies only (production: see docs/deploy.md).
install: $(STAMP)

# Two processes (this machine has two cores); PYTEST_ARGS="-n 0 -k …" for a quick focused run.
PYTEST_ARGS ?= -n auto
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The production server (gunicorn, 2 workers) on 127.0.0.1:8000. Needs the production settings
# in the environment: DJANGO_ENV=production DJANGO_SECRET_KEY=… DJANGO_ALLOWED_HOSTS=… (docs/deploy.md).
serve: $(STAMP)
	@$(VENV)/bin/gunicorn --check-config -c config/gunicorn.py config.wsgi
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(VENV)/bin/gunicorn config.wsgi -c config/gunicorn.py

# Benchmarks (docs/performance.md): bench/results.md and bench/results.json. PostgreSQL must run;
# GAPWATCH_BENCH_DATABASE_URL picks the database (default postgres://postgres@127.0.0.1:5432/gapwatch_bench).
bench: $(STAMP)
	$(PY) bench/run.py

bench-quick: $(STAMP)
	$(PY) bench/run.py --quick

# Readers and two concurrent writers against the production server for 60 s (not run in CI).
loadtest: $(STAMP)
	$(PY) bench/loadtest.py --seconds 60

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "Gapwatch needs Python 3.12 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Install one, or run: make PYTHON=/path/to/python3.12 ..."; exit 1; }

$(STAMP): pyproject.toml | check-python
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .venv-bench var staticfiles .pytest_cache *.egg-info
