# Two commands for a new user: `make run` and `make test`. Both build the virtual
# environment when it is missing or when a requirements file changed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
ARGS ?=

.PHONY: run test lint format clean venv

$(VENV)/.runtime: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime

## run: the main job on the embedded default (local BigQuery, 15 days ending yesterday)
run: $(VENV)/.runtime
	$(PY) main.py run $(ARGS)

## test: lint, format check, then every test (unit, emulator, notebooks, browser, Airflow)
test: $(VENV)/.dev
	bash scripts/install_system_deps.sh
	bash scripts/install_airflow.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest $(ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .airflow-venv .bqemulator .pytest_cache .ruff_cache
