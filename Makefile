# The two commands: `make run` serves the wall on the embedded default, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/wall
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test test-embedded test-services lint format bench clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	@echo "The wall is at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/daphne --bind $(HOST) --port $(PORT) \
		--websocket-max-message-size 1048576 wallsite.asgi:application

# ruff and the import rules of docs/architecture.md (lint-imports, pyproject.toml) first.
# The suite runs twice: on the embedded default (SQLite), then on PostgreSQL and Redis.
# Socket tests run on both channel layers in each pass (tests/conftest.py).
test: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(MAKE) test-embedded
	$(MAKE) test-services

test-embedded: $(BIN)/.installed-dev
	env -u DATABASE_URL DJANGO_DEBUG=1 WALL_TEST_REDIS_URL=$(REDIS_TEST_URL) \
		$(BIN)/pytest -m "not browser and not multiprocess" $(PYTEST_ARGS)

test-services: $(BIN)/.installed-dev
	DJANGO_DEBUG=1 DJANGO_CONN_MAX_AGE=0 DATABASE_URL=$(POSTGRES_URL) WALL_TEST_REDIS_URL=$(REDIS_TEST_URL) \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: $(BIN)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(BIN)/.installed-bench: $(BIN)/.installed-dev bench/requirements.txt
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $@

# Starts every server it measures (wall under daphne and uvicorn, the references), then stops them.
# Needs Redis and PostgreSQL like `make test-services`; BENCH_ARGS=--quick for a 3-minute run.
bench: $(BIN)/.installed-bench
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .import_linter_cache
