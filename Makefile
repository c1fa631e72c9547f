# Quick start: `make run` (serves http://127.0.0.1:8080, admin/admin) and `make test` (lint + the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format install compile docs bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

# Bytecode compiled once, as pip does for an installed wheel (where PYTHONDONTWRITEBYTECODE is set, a checkout would
# otherwise compile every module again at each start).
compile: $(VENV)/.installed
	$(BIN)/python -m compileall -q emulator

run: compile
	$(BIN)/faxfinder-emulator serve $(ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The suite on every core (pytest-xdist); `make test PYTEST_ARGS=` runs it in one process. Then the tests that touch
# the database again, on the PostgreSQL server of FFEMU_TEST_POSTGRES_URL (.ci/run starts one; without it those
# passes say why and skip), and the black-box tests once more with every box served by three workers.
PYTEST_ARGS ?= -n auto --dist loadgroup
CLUSTER_TESTS ?= tests/ffws tests/control tests/attested
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m pytest $(PYTEST_ARGS) --database postgresql
	$(BIN)/python -m pytest $(PYTEST_ARGS) --database postgresql --workers 3 $(CLUSTER_TESTS)

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: $(VENV)/.installed
	$(BIN)/python -m emulator.docs README.md

bench: $(VENV)/.installed-test compile
	$(BIN)/python bench/verify_throughput.py
	$(BIN)/python bench/plugin_start.py

# Bounded fuzzing, not part of `make test`: the XML parser (hypothesis) and the control plane (schemathesis).
FUZZ_SECONDS ?= 60
fuzz: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,fuzz]'
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m tests.fuzz.fuzz_parser
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m tests.fuzz.fuzz_control_api

clean:
	rm -rf $(VENV) data
