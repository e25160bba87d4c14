# Set-up is two commands: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
BROWSER_STAMP := node_modules/.installed
export EXPERTMATCH_ENV_NAME ?= development
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
TRANSLATIONS := expertmatch/translations
PO := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test bench install install-dev browser-deps translations extract-messages lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch is pinned first so that nothing pulls a multi-GB CUDA build.
$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(STAMP) setup.cfg
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP) translations
install-dev: $(DEV_STAMP) translations

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ 2>/dev/null || $(BIN)/pybabel compile -i $< -o $@

translations: $(MO)

extract-messages: $(DEV_STAMP)
	$(BIN)/pybabel extract -F $(TRANSLATIONS)/babel.cfg -k _l -k N_ --no-location --sort-output \
		-o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo
	$(BIN)/flask --app wsgi reindex
	$(BIN)/flask --app wsgi demo-logins
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

# Debian chromium and CJK fonts for the browser tests, axe-core from npm.
browser-deps: $(BROWSER_STAMP)
$(BROWSER_STAMP): package.json
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto sans cjk" || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }
	npm install --no-audit --no-fund --silent
	touch $@

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

test: install-dev browser-deps lint
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/bench_matching.py
	$(BIN)/python bench/bench_encoders.py
	$(BIN)/python bench/bench_gold.py

clean:
	rm -rf $(VENV) node_modules instance test-artifacts $(MO)
