# The README's commands. Each target installs what it needs first, so a fresh clone just works.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 5000
FLASK := $(BIN)/flask --app broker
STAMP := $(VENV)/.installed
CSS := broker/static/build/app.css

.PHONY: install run test test-postgres lint bench clean

install: $(STAMP) $(CSS)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CSS): node_modules/.installed assets/app.scss
	npm run --silent build

run: install
	$(FLASK) db upgrade heads
	$(FLASK) seed-demo
	PORT=$(PORT) $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check broker scopes tests
	$(FLASK) db check

clean:
	rm -rf $(VENV) node_modules broker/static/build instance .pytest_cache
