# `make demo` and `make test` work from a fresh clone: each creates .venv when it is missing
# and installs the project (editable) with what it needs. `make demo` installs the package and
# the plot extra only (matplotlib: about 150 MB with numpy); `make test` adds the dev and docs
# extras (pytest, hypothesis, ruff, mypy, PyTorch, Playwright, mkdocs: about 1.5 GB).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
SITE_CHECK := .cache/site-check
# mkdocs-material prints a banner about its successor on every build; the builds here are quiet
export NO_MKDOCS_2_WARNING := 1

.PHONY: demo test quick lint typecheck pytest pytest-reference docs docs-check bench install clean

demo: $(DEMO_STAMP)
	$(BIN)/autograd-core demo

test: $(STAMP) lint typecheck docs-check pytest pytest-reference

lint: $(STAMP)
	$(BIN)/ruff check autograd_core tests benchmarks
	$(BIN)/ruff format --check autograd_core tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy autograd_core

# the tests, the doctests, and every notebook re-executed (nbmake: a failing cell fails);
# the browser test opens the site that docs-check has just built
pytest: $(STAMP) docs-check
	DOCS_SITE_DIR=$(SITE_CHECK) $(BIN)/pytest -n 2 tests autograd_core --nbmake --nbmake-timeout=300 notebooks

# the gradient tests again, with the whole library on the reference engine
# (autograd_core/engine/reference.py), as CPython's decimal tests run on both implementations
REFERENCE_TESTS := tests/test_reference.py tests/test_gradients.py tests/test_higher_order.py \
	tests/test_edges_torch.py tests/test_functional.py tests/test_losses.py \
	tests/test_torch_crosscheck.py tests/test_nn.py tests/test_training.py tests/test_seeds.py \
	tests/test_forward_mode.py tests/test_codegen.py
pytest-reference: $(STAMP)
	AUTOGRAD_CORE_ENGINE=reference $(BIN)/pytest -n 2 -m "not slow" $(REFERENCE_TESTS)

# the suite without the tests marked slow, for a quick check while editing
quick: $(STAMP)
	$(BIN)/pytest -n 2 -m "not slow"

# the documentation site, into site/
docs: $(STAMP)
	$(BIN)/mkdocs build

# the site must build with no warning: no broken link, no missing reference, no docstring
# that does not parse (mkdocs.yml sets strict; built into a scratch directory)
docs-check: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet --site-dir $(SITE_CHECK)

bench: $(STAMP)
	$(BIN)/pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python -m benchmarks.run

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# what the demo needs: the package and its plots
$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[plot]'
	touch $(DEMO_STAMP)

# everything the checks need (it includes the demo's, so the demo stamp is set too)
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,plot,docs]'
	touch $(STAMP) $(DEMO_STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis site .cache
