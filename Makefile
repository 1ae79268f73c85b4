# Two commands set everything up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve require-secret-key test screenshots venv node lint clean bench bench-quotes

$(STAMP): requirements.txt requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $(STAMP)

venv: $(STAMP)

# axe-core and the Nu HTML Checker for the browser tests (package.json); without npm those checks are skipped.
# --ignore-scripts: vnu-jar would otherwise download a Java runtime; the system's is used.
NODE_STAMP := node_modules/.package-lock.json

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --ignore-scripts --no-audit --no-fund; \
	else echo "npm not found: the accessibility checks will be skipped (install Node.js, then make test)"; fi

node: $(NODE_STAMP)

## run: create the virtualenv, migrate, load the demo content and serve on http://127.0.0.1:8000/
run: venv
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_demo
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

## serve: run the site as in production: gunicorn, DEBUG off, static files collected and served by whitenoise
WORKERS ?= 3
serve: require-secret-key venv
	DJANGO_DEBUG=0 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=0 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=0 $(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile -

require-secret-key:
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make serve: DJANGO_SECRET_KEY is not set. Production needs a long random secret, e.g. export DJANGO_SECRET_KEY=\"\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\" (see .env.example)." >&2; exit 1; }

## test: create the virtualenv if needed and run every test (DATABASE_URL picks the database)
test: venv node
	$(BIN)/pytest --create-db $(PYTEST_ARGS)

## screenshots: refresh the README's screenshots in docs/screenshots (the tests write theirs to artifacts/screenshots)
screenshots: venv node
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest public/tests/test_browser.py public/tests/test_browser_desk.py -k ScreenshotTests $(PYTEST_ARGS)

## bench: load benchmark under gunicorn and wrk on SQLite and PostgreSQL with the generated corpus (BENCH_ARGS=--help)
bench: venv
	command -v wrk >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## bench-quotes: time quote verification on a 2 MB passage (no database needed)
bench-quotes: venv
	$(BIN)/python bench/quotes.py

## lint: ruff, and import-linter's contracts for which app may import which (pyproject.toml)
lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-* node_modules artifacts
