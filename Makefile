# The two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo demo-files demo-fairness test fuzz lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[all]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[all,test]'
	touch $@ $(VENV)/.installed

DEMO := demo-output

# A model served with data capture, three days of traffic, a monitoring job per day.
demo: $(VENV)/.installed
	$(BIN)/python examples/iris/demo.py $(DEMO)/iris

# A baseline from last month's training data, then today's file checked against it.
# `check` exits 1 when it finds violations, which is what this demo shows.
demo-files: $(VENV)/.installed
	$(BIN)/watchkeeper baseline examples/churn/train.csv -o $(DEMO)/baseline
	$(BIN)/watchkeeper check examples/churn/today.csv --baseline $(DEMO)/baseline \
		--rules examples/churn/rules.yaml -o $(DEMO)/check || [ $$? -eq 1 ]
	@echo "open $(DEMO)/check/report.html to see the violations and distributions"

# Bias before and after training, SHAP explanations, and a model-quality monitor.
demo-fairness: $(VENV)/.installed
	$(BIN)/python examples/scholarship/demo.py $(DEMO)/scholarship

# One test process per core (pytest-xdist); a test module, and every Spark test, stays
# in one process with its fixtures.
test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench examples
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

# The searches for bad inputs, with thousands of random examples each instead of the
# suite's fixed few.
FUZZERS := tests/fuzz tests/checks/test_fuzz_files.py tests/ui/test_upload_fuzz.py \
	tests/ui/test_ui_contract.py tests/serve/test_serve_contract.py
fuzz: $(VENV)/.installed-test
	WATCHKEEPER_FUZZ=long $(BIN)/python -m pytest -q -p no:cacheprovider $(FUZZERS)

bench: $(VENV)/.installed-test
	$(BIN)/python bench/profile.py

clean:
	rm -rf $(VENV) $(DEMO) .watchkeeper build dist src/*.egg-info
