# Two commands for a newcomer: `make run` and `make test`.
# Everything else here is what those two are made of.

# A Python 3.11+ whose http.cookies has the fix for quadratic cookie parsing
# (CVE-2024-7592, in every request's Cookie header): upstream 3.11.10 and
# later, or a distribution's build with the fix backported (Debian's
# python3.11 3.11.2-6+deb12u4 and later). The fix itself is checked, not
# the version number, which a backport leaves unchanged.
HAS_COOKIE_FIX := import sys, http.cookies as c; sys.exit(sys.version_info < (3, 11) or not hasattr(c, "_unquote_sub"))
PYTHON ?= $(firstword $(foreach p,python3.11 /usr/bin/python3.11 python3,$(shell $(p) -c '$(HAS_COOKIE_FIX)' 2>/dev/null && echo $(p))))
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# make run only: the embedded default with debugging on; PORT=8001 serves
# on another port, and the links in emails follow it.
PORT ?= 8000
DEV_ENV := DEBUG=true SITE_URL=http://127.0.0.1:$(PORT)

.DEFAULT_GOAL := help
.PHONY: help run test lint format install messages migrate lock check-deploy audit clean bench bench-million bench-smoke bench-admin bench-surge bench-surge-smoke

help:
	@echo "make run    - install, migrate, load the campaign and serve http://127.0.0.1:8000"
	@echo "make test   - run the whole test suite"
	@echo "make lint   - ruff check, ruff format --check, mypy, no missing migration"
	@echo "make lock   - re-pin requirements*.lock from pyproject.toml"
	@echo "make audit  - pip-audit: known vulnerabilities in the locked dependencies"
	@echo "make bench  - load benchmark: bare hello, then one app node and nginx + two nodes (PostgreSQL, Redis), driven by wrk"
	@echo "make bench-million - the same with a million signatures loaded first"
	@echo "make bench-surge - a 60 s signing surge with email workers, a slow SMTP server and confirming signers"
	@echo "make bench-admin - organizer pages at a million signatures (PostgreSQL)"

$(BIN)/python:
	@test -n "$(PYTHON)" && $(PYTHON) -c '$(HAS_COOKIE_FIX)' || \
		{ echo "Python 3.11.10 or newer is needed (or a build with the fix for CVE-2024-7592); set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): $(BIN)/python requirements-dev.lock
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	@touch $@

install: $(INSTALLED)

# Compiled translations (.mo) are built, never committed. Babel compiles them
# in pure Python, so no GNU gettext is needed to run the site.
messages: install
	$(BIN)/pybabel compile --domain django --directory locale --statistics

migrate: messages
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

run: migrate
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: messages
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# Types (settings in pyproject.toml): django-stubs' plugin imports the
	# settings, which want a SECRET_KEY unless DEBUG is on.
	DEBUG=true $(BIN)/mypy
	# Every model change has its migration.
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: install
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11.10 --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11.10 --quiet -o requirements-dev.lock

# The production settings must pass Django's deployment checklist.
check-deploy: install
	SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=petition.example.org SITE_URL=https://petition.example.org \
	DATABASE_URL=postgres://u@db/petition EMAIL_URL=smtp+tls://mail.example.org:587 \
	REDIS_URL=redis://cache:6379/0 \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Known vulnerabilities in every pinned dependency (PyPI's advisory data);
# exits non-zero when one is found.
audit: install
	$(BIN)/pip-audit --requirement requirements-dev.lock --no-deps --disable-pip --progress-spinner off

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache tests/artifacts

# Organizer pages on a fresh PostgreSQL database holding BENCH_ROWS signatures.
BENCH_ROWS ?= 1000000
BENCH_PG ?= postgres://$(shell id -un)@127.0.0.1:5432
BENCH_ENV := DATABASE_URL=$(BENCH_PG)/petition_bench SECRET_KEY=benchmark-only-not-a-secret \
	ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=false TASKS_BACKEND=immediate ALLOW_CONSOLE_EMAIL=true
bench-admin: install
	psql "$(BENCH_PG)/postgres" -qc "DROP DATABASE IF EXISTS petition_bench" -c "CREATE DATABASE petition_bench"
	$(BENCH_ENV) $(BIN)/python manage.py migrate --noinput -v0
	$(BENCH_ENV) $(BIN)/python bench/load_signatures.py --count $(BENCH_ROWS)
	$(BENCH_ENV) $(BIN)/python bench/admin_bench.py

# The surge (bench/surge.py, issue 13): SURGE_DURATION seconds of signing at
# the highest rate the machine sustains, SURGE_WORKERS email workers (with
# SURGE_THREADS threads each, where the worker has them), an SMTP server that
# answers each command after SURGE_DELAY_MS, and every email confirmed.
SURGE_WORKERS ?= 2
SURGE_THREADS ?=
SURGE_DELAY_MS ?= 30
SURGE_DURATION ?= 60
SURGE := $(BIN)/python bench/surge.py --workers $(SURGE_WORKERS) \
	--smtp-delay-ms $(SURGE_DELAY_MS) $(if $(SURGE_THREADS),--threads $(SURGE_THREADS))

# The load benchmark (bench/run.py, about 4 minutes): the bare hello
# yardstick, then the app on one node and through nginx in front of two,
# 20 s per scenario at 64 connections, on an empty table; it prints issue
# 14's targets with PASS or MISS. bench-million: the same with a million
# signatures loaded first.
bench: messages
	$(BIN)/python bench/run.py --duration 20 --connections 64

bench-million: messages
	$(BIN)/python bench/run.py --duration 20 --connections 64 --rows $(BENCH_ROWS)

bench-surge: messages
	$(SURGE) --duration $(SURGE_DURATION) --connections 64

# About a minute, for CI: every scenario for 3 s, nginx and two nodes
# included; fails on any error or lost signature, times nothing.
bench-smoke: messages
	$(BIN)/python bench/run.py --duration 3 --connections 8 --check

# The surge in about 20-25 s, for CI: fails on a lost signature, an email sent
# twice or any error, times nothing.
bench-surge-smoke: messages
	$(SURGE) --check
