# Two set-up commands: `make run` and `make test`. Both install what they need.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SYSSTAMP := $(VENV)/.system-deps-stamp

.PHONY: run test lint bench system-deps venv clean

run: $(SYSSTAMP) $(STAMP)
	$(VENV)/bin/kiosk run --local-server

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
