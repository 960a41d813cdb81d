# Two set-up commands: `make run` and `make test`. Both install what they need.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SYSSTAMP := $(VENV)/.system-deps-stamp
# The manager pages' chart library, built from the npm registry (see scripts/build-web-assets.sh).
WEB_ASSETS := sync/server/web/assets
WEB_VENDOR := sync/server/web/static/vendor/echarts.min.js

.PHONY: run test lint bench system-deps venv clean web-assets sample-content install-sample-content install-kiosk install-server rollback-kiosk rollback-server

run: $(SYSSTAMP) $(STAMP) $(WEB_VENDOR) install-sample-content
	$(VENV)/bin/kiosk run --local-server

# The sample lessons: built from content/sample (espeak-ng narration, drawn pictures,
# an H.264 video), signed into a local repository and installed like any bundle.
SAMPLE_BUNDLE := build/sample-content.zip
SAMPLE_SOURCES := $(shell find content/sample -type f 2>/dev/null) content/build.py content/illustrations.py

sample-content: $(SAMPLE_BUNDLE)

$(SAMPLE_BUNDLE): $(SYSSTAMP) $(STAMP) $(SAMPLE_SOURCES)
	$(PY) -m content.server_cli content build content/sample -o $@

install-sample-content: $(SAMPLE_BUNDLE)
	$(PY) -m content.dev $(SAMPLE_BUNDLE)

test: $(SYSSTAMP) $(STAMP) $(WEB_VENDOR)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -n 2 --dist loadfile --durations=25

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	for b in bench/*.py; do $(PY) $$b || exit 1; done

system-deps: $(SYSSTAMP)

web-assets: $(WEB_VENDOR)

$(WEB_VENDOR): $(WEB_ASSETS)/package.json $(WEB_ASSETS)/package-lock.json scripts/build-web-assets.sh
	bash scripts/build-web-assets.sh

$(SYSSTAMP): scripts/system-deps.sh
	bash scripts/system-deps.sh
	@mkdir -p $(VENV) && touch $@

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[kiosk,server,test]'
	touch $@

# Installing on a machine (as root; docs/deploy.md). ROOT=DIR installs into a
# system root being prepared instead of this machine; ARGS passes options
# (e.g. ARGS="--session xorg --kiosk-id park-east-1").
ROOT ?=
ARGS ?=
_ROOT_ARG = $(if $(ROOT),--root $(ROOT))

install-kiosk:
	bash deploy/install-kiosk.sh $(_ROOT_ARG) $(ARGS)

install-server:
	bash deploy/install-server.sh $(_ROOT_ARG) $(ARGS)

rollback-kiosk:
	bash deploy/rollback-kiosk $(_ROOT_ARG)

rollback-server:
	bash deploy/rollback-server $(_ROOT_ARG)

clean:
	rm -rf $(VENV) build *.egg-info test-output $(WEB_ASSETS)/node_modules $(dir $(WEB_VENDOR))
