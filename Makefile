# Two set-up commands: `make run` and `make test`. Both install what they need.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SYSSTAMP := $(VENV)/.system-deps-stamp

.PHONY: run test lint bench system-deps venv clean sample-content install-sample-content

run: $(SYSSTAMP) $(STAMP) install-sample-content
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

test: $(SYSSTAMP) $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	for b in bench/*.py; do $(PY) $$b || exit 1; done

system-deps: $(SYSSTAMP)

$(SYSSTAMP): scripts/system-deps.sh
	bash scripts/system-deps.sh
	@mkdir -p $(VENV) && touch $@

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[server,test]'
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info test-output
