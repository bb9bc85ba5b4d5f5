# motcua — two commands on a fresh Debian machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export MOTCUA_DATA_DIR ?= $(CURDIR)/data

.PHONY: run worker test lint typecheck test-sqlite test-postgres system-deps messages clean drill bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## run: install, migrate the SQLite database in ./data, load units, procedures, demo staff and
## development signing keys, serve
run: $(STAMP)
	mkdir -p $(MOTCUA_DATA_DIR)
	MOTCUA_DEMO=1 $(BIN)/motcua migrate --noinput -v 0
	MOTCUA_DEMO=1 $(BIN)/motcua setup --demo
	MOTCUA_DEMO=1 $(BIN)/motcua pki init
	MOTCUA_DEMO=1 $(BIN)/motcua runserver 127.0.0.1:8000

## worker: the background process beside `make run` (queued tasks, outbox delivery, periodic
## jobs such as due-date warnings); stop it with Ctrl-C
worker: $(STAMP)
	MOTCUA_DEMO=1 $(BIN)/motcua worker

## test: lint, type check, the whole suite on SQLite, then again on a throw-away PostgreSQL
test: $(STAMP) system-deps lint typecheck test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff format --check motcua
	$(BIN)/ruff check motcua
	mkdir -p $(MOTCUA_DATA_DIR)
	MOTCUA_DEMO=1 $(BIN)/motcua makemigrations --check --dry-run -v 0

typecheck: $(STAMP)
	$(BIN)/mypy motcua

# Each run gets a throw-away data folder, removed afterwards whatever the outcome.
test-sqlite: $(STAMP)
	@data=$$(mktemp -d) && \
	  MOTCUA_DATA_DIR=$$data $(BIN)/pytest -n 2 -q; \
	  status=$$?; rm -rf "$$data"; exit $$status

test-postgres: $(STAMP)
	@url=$$(scripts/pg-throwaway.sh start) && port=$${url##*:} && port=$${port%%/*} && \
	  data=$$(mktemp -d) && \
	  MOTCUA_DATA_DIR=$$data DATABASE_URL=$$url $(BIN)/pytest -n 2 -q; \
	  status=$$?; rm -rf "$$data"; scripts/pg-throwaway.sh stop $$port; exit $$status

## system-deps: Debian packages the tests use (Chromium with its Vietnamese locale for browser
## tests, poppler for PDFs, PostgreSQL for the second run, gettext for translations)
system-deps:
	@missing=""; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  dpkg -s chromium-l10n >/dev/null 2>&1 || missing="$$missing chromium-l10n"; \
	  command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	  command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  fi

## drill: the pilot hour (77 communes of former Gia Lai, civil-status copies, 14:00-15:00) compressed
## x12 against a throw-away motcua of its own; report in reports/pilot-77/report.html (.json, .csv)
drill: $(STAMP)
	$(BIN)/motcua drill run pilot-77 --out reports

## bench: submissions, lifecycles and latency at 8/32/128 clients on SQLite and a throw-away
## PostgreSQL, beside the bare-Django, pgbench and SQLite ceilings; table, bench/results.json
bench: $(STAMP) system-deps
	$(BIN)/python bench/run.py

## messages: recompile translations after editing motcua/locale/*/LC_MESSAGES/django.po
messages: $(STAMP)
	cd motcua && ../$(BIN)/django-admin compilemessages -v 0

clean:
	rm -rf $(VENV) data
