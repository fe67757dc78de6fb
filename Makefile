# Two commands for a new user: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Job workers started beside gunicorn when REDIS_URL is set (see scripts/serve.sh).
JOB_WORKERS ?= 2

.PHONY: run test test-fast setup debian-packages venv bench translations

run: setup
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app demo
	@echo "Serving the demo on $${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)}/s/kassel-2026 (back office: /login)"
	@BIN=$(BIN) PORT=$(PORT) JOB_WORKERS=$(JOB_WORKERS) bash scripts/serve.sh

test: setup
	$(BIN)/python -m pytest

# Everything but the browser tests and the PDF and chart rendering (see pytest.ini).
test-fast: setup
	$(BIN)/python -m pytest -m "not browser and not pdf"

bench: setup
	$(BIN)/python bench/survey_load.py

# Interface texts: extract them (babel.cfg), update every catalogue in app/translations and
# compile it (the .mo files are committed: a fresh clone needs no step of its own).
# `make translations NEW_LANGUAGES="fr"` starts a catalogue for a new language.
NEW_LANGUAGES ?=
translations: venv
	$(BIN)/python -m app.translations $(NEW_LANGUAGES)

setup: debian-packages venv

debian-packages:
	@bash scripts/install-debian-packages.sh

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@
