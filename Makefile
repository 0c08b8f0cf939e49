# tastystream — one venv, one gate. Every target sets itself up from nothing.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: venv check lint fmt typecheck unit test integration demo stack-up stack-down bench clean lock

$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements-dev.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

lock:
	$(BIN)/uv pip compile --quiet --python 3.11 pyproject.toml --extra dev -o requirements-dev.lock --no-header

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy .

unit: venv
	$(BIN)/pytest -q tests/unit

## the gate: format + lint + types + unit tests
check: lint typecheck unit

## everything: unit + integration; the integration fixtures start the local stack on free ports
## (Kafka, schema registry, ClickHouse) and the sandbox, and stop them at the end
test: venv
	$(BIN)/pytest -q tests

integration: venv
	$(BIN)/pytest -q tests/integration

## the whole pipeline against the sandbox on the local stack
demo: venv
	$(BIN)/tastystream demo

stack-up: venv
	$(BIN)/tastystream stack up

stack-down: venv
	$(BIN)/tastystream stack down

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
