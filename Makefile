# stepforge — set-up, run and test. `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

HOST ?= 127.0.0.1
PORT ?= 8083
DATA_DIR ?= ./.stepforge
SERVE_ARGS ?=

.PHONY: venv run test lint conformance conformance-integ bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: venv
	$(BIN)/stepforge serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR) $(SERVE_ARGS)

test: venv
	$(BIN)/python -m pytest -n 2 tests

lint: venv
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

conformance: venv
	$(BIN)/python scripts/conformance.py

conformance-integ: venv  # the integ_* categories against a local backend (moto + Lambda emulation)
	$(BIN)/python scripts/conformance.py --integ

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
