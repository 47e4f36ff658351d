# Template repository console. `make` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

UV ?= uv
BAKE_DIR ?= .bake
DEMO_PROJECT := $(BAKE_DIR)/demo
VENV := .venv
# Keep wandb and Dagster off the network and out of the home folder whenever they run from here.
OFFLINE_ENV := WANDB_MODE=offline WANDB_DIR=$(CURDIR)/$(BAKE_DIR)/wandb WANDB_CACHE_DIR=$(CURDIR)/$(BAKE_DIR)/wandb/cache \
	WANDB_DATA_DIR=$(CURDIR)/$(BAKE_DIR)/wandb/data WANDB_ERROR_REPORTING=false DAGSTER_DISABLE_TELEMETRY=1

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

# Where PYTHONDONTWRITEBYTECODE is set, Python never caches compiled modules, and the tests start many
# processes (generated suites, dg dev, step processes) that import Dagster and pandas: compile them once here.
$(VENV)/.synced: pyproject.toml uv.lock
	$(UV) sync --frozen $(if $(PYTHONDONTWRITEBYTECODE),--compile-bytecode)
	@touch $@

.PHONY: install
install: $(VENV)/.synced ## Create the tooling environment (uv)

.PHONY: bake
bake: $(VENV)/.synced ## Bake the default project into .bake/demo (replacing it)
	rm -rf $(DEMO_PROJECT)
	$(VENV)/bin/cookiecutter --no-input --output-dir $(BAKE_DIR) . project_slug=demo

.PHONY: demo
demo: bake ## Bake, install and materialize the default project end to end, offline
	cd $(DEMO_PROJECT) && $(UV) sync
	cd $(DEMO_PROJECT) && $(OFFLINE_ENV) $(MAKE) --no-print-directory materialize

.PHONY: test
test: $(VENV)/.synced ## Run the template's whole test suite (bakes every option combination)
	$(OFFLINE_ENV) $(VENV)/bin/pytest

.PHONY: test-fast
test-fast: $(VENV)/.synced ## The quick part of make test: hooks, the bake matrix (files, rendering, lint), answers, dependencies; not the generated suites, the benchmark smoke run or the browser test
	$(OFFLINE_ENV) $(VENV)/bin/pytest -m "not slow and not e2e" -n 2

.PHONY: bench
bench: $(VENV)/.synced ## Benchmarks: ours vs Dagster's FilesystemIOManager and a bare scaffold (table + benchmarks/results.json)
	$(OFFLINE_ENV) $(VENV)/bin/python benchmarks/run.py

.PHONY: lint
lint: $(VENV)/.synced ## Lint the template repository (baked projects are linted by the tests)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: clean
clean: ## Remove baked projects and caches
	rm -rf $(BAKE_DIR) .pytest_cache .ruff_cache
