# The two commands a newcomer needs: `make up` (the whole stack locally) and `make test` (every test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup up test lint unit bench faults clean

setup: $(VENV)/.installed

SERVICE_PROJECTS := services/intake services/dispatch services/scoring services/notify libs/devstack

# One venv for the workspace: the pinned lock, then the library, each service and the local stack
# (libs/devstack: caseflow up / infra, the launchers), editable.
$(VENV)/.installed: requirements.lock pyproject.toml $(addsuffix /pyproject.toml,$(SERVICE_PROJECTS))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e . $(addprefix -e ,$(SERVICE_PROJECTS))
	touch $@

up: setup
	$(BIN)/caseflow up

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Everything: lint, then unit, integration and end-to-end tests on one real Kafka broker and one
# PostgreSQL started for the run (or KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when given).
test: setup lint
	$(BIN)/caseflow infra --prepare --browser
	$(BIN)/pytest -p no:cacheprovider

unit: setup
	$(BIN)/pytest -q tests/unit

bench: setup
	$(BIN)/python benchmarks/replay_speed.py

# The scripted fault run at a county's size (~19k events, ~5 min); CI runs it small (tests/e2e).
faults: setup
	$(BIN)/python -m tools.fault_scenario --cases 3000 --feed-seconds 150 --outage 10

clean:
	rm -rf $(VENV) var .cache
