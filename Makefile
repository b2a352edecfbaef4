# CitizenVoice: the two commands of the README's quick start, and the steps they are made of.
#   make run   install, migrate and seed the embedded SQLite database, serve http://127.0.0.1:5000
#   make check the inner loop: lint, types, contracts and the tests that need no service (< 1 min)
#   make test  install test tools, make sure PostgreSQL, Redis and Chromium are there, run everything

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Keep bytecode caches even where the environment turns them off: the suite starts many Python
# processes (workers, CLI commands, gunicorn), and each would compile the app afresh.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run check test install install-test services lint typecheck contracts pytest clean-db

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $@ $(VENV)/.installed-run

# axe-core for the accessibility browser tests, pinned by tests/e2e/axe/package-lock.json.
AXE_DIR := tests/e2e/axe
$(AXE_DIR)/node_modules/.installed: $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	cd $(AXE_DIR) && npm ci --no-audit --no-fund --prefer-offline --loglevel=error
	touch $@
# Swagger UI for /api/docs, pinned by assets/swagger-ui/package-lock.json. The copy in
# citizenvoice/static/vendor/swagger-ui is committed (make run needs no npm and the app never
# downloads anything); this target refreshes it after a version bump in package.json.
SWAGGER_DIR := assets/swagger-ui
SWAGGER_STATIC := citizenvoice/static/vendor/swagger-ui
.PHONY: vendor-swagger-ui
vendor-swagger-ui:
	cd $(SWAGGER_DIR) && SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(SWAGGER_STATIC)
	cp $(SWAGGER_DIR)/node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui.css,LICENSE,NOTICE} $(SWAGGER_STATIC)/
	sed -i '/sourceMappingURL/d' $(SWAGGER_STATIC)/swagger-ui-bundle.js $(SWAGGER_STATIC)/swagger-ui.css

install: $(VENV)/.installed-run

install-test: $(VENV)/.installed-test $(AXE_DIR)/node_modules/.installed

run: install
	CITIZENVOICE_ENV=development $(BIN)/flask --app wsgi db upgrade
	CITIZENVOICE_ENV=development $(BIN)/flask --app wsgi seed
	@echo "CitizenVoice is serving at http://$(HOST):$(PORT)  (Ctrl-C stops it)"
	CITIZENVOICE_ENV=development $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

services:
	bash scripts/ensure-services.sh

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

contracts: install-test
	$(BIN)/lint-imports

# Both runs spread the tests over the cores this process may use (pytest-xdist; "auto" would
# count the host's cores, not the container's). Each worker has its own PostgreSQL database and
# Redis database (tests/support.py), and a test module stays on one worker (loadfile), so its
# module fixtures are built once. JOBS=1 runs everything in one process.
JOBS ?= $(shell nproc)
SPREAD := $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile)

pytest: install-test services
	$(BIN)/pytest $(SPREAD) $(PYTEST_ARGS)

test: install-test services lint typecheck contracts pytest

# Tests are marked by the services their fixtures need (tests/conftest.py); check runs the rest.
# The database and Redis URLs point at a closed port, so a test that needs a service without
# saying so stops the run instead of passing quietly on a machine where the service runs.
CHECK_MARKERS := not postgres and not redis and not worker and not browser and not slow
CHECK_ENV := DATABASE_URL=postgresql://postgres@127.0.0.1:9/no_service_in_check \
	REDIS_URL=redis://127.0.0.1:9/0

check: install-test lint typecheck contracts
	$(CHECK_ENV) $(BIN)/pytest -q $(SPREAD) -m "$(CHECK_MARKERS)" $(PYTEST_ARGS)

clean-db:
	rm -f instance/citizenvoice.sqlite3
