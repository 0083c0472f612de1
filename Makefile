# Respira — the two set-up commands are `make run` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
DEMO   ?=

.PHONY: run test lint format venv install install-dev db clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py src/respira/science/spirometry/_lms.c
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml setup.py src/respira/science/spirometry/_lms.c
	$(BIN)/python -m pip install --quiet -e '.[dev,model]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db: install
	$(BIN)/respira db upgrade

# Development on this machine over plain HTTP (no Secure cookies, no HSTS); a deployment
# serves HTTPS through a proxy and leaves RESPIRA_INSECURE_HTTP_LOCALHOST unset.
run: install
	$(BIN)/respira db upgrade
	RESPIRA_INSECURE_HTTP_LOCALHOST=$${RESPIRA_INSECURE_HTTP_LOCALHOST-true} \
		$(BIN)/respira serve --host $(HOST) --port $(PORT) $(if $(DEMO),--demo,)

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/spirometry.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/floor.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/ward.py
	$(BIN)/python bench/model.py
	$(BIN)/python bench/model_page.py
	$(BIN)/python bench/fhir.py
	$(BIN)/python bench/outcomes_statistics.py
	$(BIN)/python bench/outcomes.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
