# newsarchive: `make run` serves the archive, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/newsarchive

.PHONY: run test lint test-sqlite test-postgres browser-tools chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: nothing is reinstalled while the requirements files are unchanged.
$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

# The browser tests' own tools (docs/testing.md), for the test targets only, never `make run`:
# Debian's Chromium (Playwright never downloads a browser here) and axe-core from npm.
# apt-get runs only when a tool is missing; as root directly, otherwise through sudo.
CHROMIUM ?= /usr/bin/chromium
APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

chromium:
	@test -x $(CHROMIUM) || { echo "Installing Chromium for the browser tests"; \
	  $(APT) update && $(APT) install -y chromium; }

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Installing npm for the browser tests"; \
	  $(APT) update && $(APT) install -y --no-install-recommends npm; }
	npm ci --no-audit --no-fund
	touch $@

browser-tools: chromium node_modules/.installed

run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_seeds
	$(BIN)/python manage.py create_demo_editor
	@echo
	@echo "newsarchive is served at http://$(HOST):$(PORT)/ (curation: http://$(HOST):$(PORT)/admin/)"
	@echo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: $(VENV)/.installed-dev browser-tools
	DATABASE_URL= $(BIN)/pytest

test-postgres: $(VENV)/.installed-dev browser-tools
	@status=0; DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/python scripts/ensure_postgres.py || status=$$?; \
	if [ $$status -eq 0 ]; then DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest; \
	elif [ $$status -eq 2 ]; then echo "*** PostgreSQL run SKIPPED: no server at $(POSTGRES_TEST_URL) ***"; \
	else exit 1; fi

test: lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) staticfiles node_modules

# ---- Production (docs/deployment.md) ----------------------------------------------------
.PHONY: serve backup restore bench-load bench bench-import

# serve, backup and restore use DATABASE_URL, else this database (created when missing).
SERVE_DATABASE_URL := postgres://postgres@127.0.0.1:5432/newsarchive
SERVE_DB := DATABASE_URL="$${DATABASE_URL:-$(SERVE_DATABASE_URL)}"

# gunicorn with DEBUG=0 (scripts/serve.py). With no TLS proxy in front, plain http is not
# redirected (SECURE_SSL_REDIRECT=0) unless the caller sets SECURE_SSL_REDIRECT=1, as a
# deployment behind a proxy does; the settings' own default stays 1.
serve: $(VENV)/.installed-run
	HOST=$(HOST) PORT=$(PORT) $(SERVE_DB) SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-0}" \
	  CONN_MAX_AGE="$${CONN_MAX_AGE:-60}" $(BIN)/python scripts/serve.py

backup: $(VENV)/.installed-run
	$(SERVE_DB) $(BIN)/python manage.py backup_database

restore: $(VENV)/.installed-run
	@test -n "$(BACKUP)" || { echo "Usage: make restore BACKUP=var/backups/<file>.dump [FORCE=1]" >&2; exit 2; }
	$(SERVE_DB) $(BIN)/python manage.py restore_database "$(BACKUP)" $(if $(filter 1,$(FORCE)),--force)

# A private PostgreSQL cluster, 10,000 articles, wrk and three faults: prints the figures.
bench-load: $(VENV)/.installed-run
	$(BIN)/python benchmarks/load_and_faults.py

# Pages at each size against PostgreSQL's floor and Datasette (docs/scale.md): prints the
# figures and writes benchmarks/RESULTS.md. BENCH_SIZES=10000,100000,1000000 for the lot.
BENCH_SIZES ?= 10000,100000
bench: $(VENV)/.installed-run
	$(BIN)/python benchmarks/bench_pages.py --sizes $(BENCH_SIZES)

# Import with linking, and the linker alone, on generated articles: prints the figures.
bench-import: $(VENV)/.installed-run
	$(BIN)/python benchmarks/import_speed.py
