# The README's commands. Each target installs what it needs first, so a fresh clone just works.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 5000
FLASK := $(BIN)/flask --app broker
STAMP := $(VENV)/.installed
CSS := broker/static/build/app.css
# Welsh and any other catalogue: compiled from the .po files at install time (issue 5).
MO := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

.PHONY: install run dev test test-postgres lint lint-imports bench profile clean messages screenshots

install: $(STAMP) $(CSS) $(CSS).gz $(MO)

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

# Served gzipped when the browser accepts it: ~12 KB instead of ~100 KB on a phone.
$(CSS).gz: $(CSS)
	gzip -9 -n -c $< > $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -D messages -i $< -o $@ --statistics

# After wrapping new strings in _(): refresh the template and each language's catalogue.
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -F translations/babel.cfg \
	  --msgid-bugs-address=none -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete \
	  -i translations/messages.pot -d translations

# Phone-sized screenshots of the claimant's pages, in English and Welsh, into screenshots/; with
# the signed MR notice's downloaded and printed PDFs and its signed and altered files (issue 27).
screenshots: install
	SCREENSHOTS=screenshots $(BIN)/pytest -q tests/browser/test_claimant_screenshots.py \
	  tests/browser/test_one_login_in_chromium.py tests/browser/test_an_agency_joins_and_pauses_an_adviser.py \
	  tests/browser/test_signed_notice_on_phone.py

# A production server (gunicorn, gunicorn.conf.py: one sync worker per core, as `make bench`).
run: install
	$(FLASK) db upgrade heads
	$(FLASK) seed-demo
	@echo "Serving http://localhost:$(PORT) with gunicorn (Ctrl-C to stop)"
	PORT=$(PORT) $(BIN)/gunicorn 'broker:create_app()'

# Flask's development server, reloading on every change; its logs as text for a person to read
# (BROKER_LOG_FORMAT=json for production's lines).
dev: export BROKER_LOG_FORMAT ?= text
dev: install
	$(FLASK) db upgrade heads
	$(FLASK) seed-demo
	PORT=$(PORT) $(FLASK) run --debug --host 127.0.0.1 --port $(PORT)

# In parallel (pytest-xdist): one worker per core, each on its own database (tests/conftest.py),
# a test file at a time per worker. TEST_WORKERS=0 runs it all in one process.
TEST_WORKERS ?= auto
test: install
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

# The models and the migrations agree: checked on a throwaway database, as a fresh clone has none.
lint: install lint-imports
	$(BIN)/ruff check broker scopes tests bench
	@db=$$(mktemp -d)/lint.sqlite3; \
	  DATABASE_URL=sqlite:///$$db $(FLASK) db upgrade heads 2>/dev/null && \
	  DATABASE_URL=sqlite:///$$db $(FLASK) db check

# The import contract: web above the domain, above the database (pyproject.toml).
lint-imports: install
	$(BIN)/lint-imports

# `make bench`: bare Flask vs the audited protected read on SQLite and on the bench's own
# PostgreSQL (same gunicorn settings), revoke under load, audit verify over a million events and
# the staff banner at scale; one table from one run (bench/README.md). BENCH_ARGS=--quick to try.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; } \
	  || { echo "make bench needs wrk: apt-get install wrk" >&2; exit 1; }
	@ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; } \
	  || { echo "make bench needs PostgreSQL: apt-get install postgresql" >&2; exit 1; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Where one audited read's time goes: cProfile in one process, no server (bench/profile_read.py).
profile: install
	$(BIN)/python bench/profile_read.py $(PROFILE_ARGS)

clean:
	rm -rf $(VENV) node_modules broker/static/build instance .pytest_cache
	rm -f translations/*/LC_MESSAGES/*.mo
