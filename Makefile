# `make demo` and `make test` work from a fresh clone: each creates .venv when it is missing
# and installs the project (editable) with what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test quick lint typecheck pytest bench install clean

demo: $(STAMP)
	$(BIN)/autograd-core demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check autograd_core tests benchmarks
	$(BIN)/ruff format --check autograd_core tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy autograd_core

pytest: $(STAMP)
	$(BIN)/pytest -n 2

# the suite without the tests marked slow, for a quick check while editing
quick: $(STAMP)
	$(BIN)/pytest -n 2 -m "not slow"

bench: $(STAMP)
	$(BIN)/pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python -m benchmarks.run

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,plot]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
