# One-command workflows. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

.PHONY: run test fuzz lint format openapi bench migrate golden clients newcomer walkthrough clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP) ## Migrate, seed demo data, print tokens and serve on http://127.0.0.1:8000
	$(BIN)/billing seed-demo
	$(BIN)/billing serve

# The Schemathesis run (tests/test_fuzz.py) goes last, alone: it loads the machine enough to
# slow the timed waits of other tests.
# Tests cache bytecode even where the environment turns it off (PYTHONDONTWRITEBYTECODE):
# each worker collects every test module and each process a test starts imports the service,
# and compiling them anew every time made the suite 15 s slower (129 s instead of 114 s).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

test: $(STAMP) ## The whole suite against real PostgreSQL (DATABASE_URL or embedded), then the fuzzer
	$(PYTEST) -n $(WORKERS) --dist loadfile --no-loadscope-reorder -q -m "not fuzz"
	$(PYTEST) -q -m fuzz

FUZZ_EXAMPLES ?= 25
fuzz: $(STAMP) ## A longer Schemathesis run (part of `make test` with 3 examples per operation)
	BILLING_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) BILLING_FUZZ_SEED=$${BILLING_FUZZ_SEED:-random} \
		$(PYTEST) -q -m fuzz

lint: $(STAMP) ## ruff (lint + format check), mypy, import contracts (no cycles, layering), dead code
	$(BIN)/ruff check src tests bench alembic
	$(BIN)/ruff format --check src tests bench alembic
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture

format: $(STAMP)
	$(BIN)/ruff format src tests bench alembic
	$(BIN)/ruff check --fix src tests bench alembic

openapi: $(STAMP) ## Regenerate openapi.json
	$(BIN)/billing openapi

migrate: $(STAMP)
	$(BIN)/billing migrate

golden: $(STAMP) ## Rewrite the e-invoice golden files (review their diff before committing)
	BILLING_UPDATE_GOLDEN=1 $(PYTEST) -q tests/renderers/test_golden.py tests/credit_notes/test_golden.py

BASE_URL ?= http://127.0.0.1:8000
clients: $(STAMP) ## Generate the Python and TypeScript clients and run a flow against BASE_URL
	clients/check $(BASE_URL) "$$($(BIN)/billing token --role admin)"

newcomer: ## CI's newcomer path: make run, stop, make test, make run + clients, stop
	.ci/newcomer-path

walkthrough: ## The README's payment walkthrough: dev-providers, make run, each provider pays
	.ci/payments-walkthrough

bench: $(STAMP) ## Benchmarks, printed beside same-run baselines
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .test-data
