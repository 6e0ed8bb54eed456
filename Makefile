# Two entry points for a fresh machine with Python >= 3.11 and pip:
#   make demo   - create .venv, install assess, run the main job on built-in defaults:
#                 the default validation suite validation/academic-insight.yaml
#   make test   - create .venv, install assess with test extras, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/assess validate academic-insight --output-dir validation-output/academic-insight
	@echo "report: validation-output/academic-insight/report.html (also summary.md, results.csv, results.json, junit.xml)"

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/assess lint instruments/*.yaml

bench: $(VENV)/.installed
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
