# Two commands: `make run` (set up, index data/, serve the app) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test index lint eval bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

index: $(STAMP)
	$(PY) -m index build --if-missing data

run: index
	$(PY) app.py

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

eval: $(STAMP)
	$(PY) -m evals run

bench: $(STAMP)
	$(PY) -m evals bench

clean:
	rm -rf var
