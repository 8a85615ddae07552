# Each target creates .venv when it is missing; nothing needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CACHE := .cache
OCTOKIT_OPENAPI_VERSION := 23.0.2
OCTOKIT_OPENAPI := $(CACHE)/octokit-openapi-$(OCTOKIT_OPENAPI_VERSION)/api.github.com.json

.PHONY: demo test lint fmt bench specs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[github,google]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $@ $(VENV)/.demo-installed

# GitHub's official OpenAPI description, pinned; the fidelity tests fail without it.
$(OCTOKIT_OPENAPI):
	mkdir -p $(dir $@)
	curl -sSfL https://registry.npmjs.org/@octokit/openapi/-/openapi-$(OCTOKIT_OPENAPI_VERSION).tgz \
	  | tar -xzO package/generated/api.github.com.json > $@.tmp
	mv $@.tmp $@

specs: $(OCTOKIT_OPENAPI)

demo: $(VENV)/.demo-installed
	$(BIN)/charter demo

PACKAGE_DIRS := schemas auth connectors agents sandboxes cli contract_tests

# mypy cannot follow setuptools' editable mapping, so it reads the package through links.
$(CACHE)/typecheck/charter:
	mkdir -p $@
	for d in $(PACKAGE_DIRS); do ln -sfn ../../../$$d $@/$$d; done

lint: $(VENV)/.dev-installed $(CACHE)/typecheck/charter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(VENV)/.dev-installed $(OCTOKIT_OPENAPI) lint
	CHARTER_OPENAPI_GITHUB=$(OCTOKIT_OPENAPI) $(BIN)/python -m pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks

# Mutation testing of the modules that carry the promises (slow: not part of `make test`);
# narrow it with e.g. make mutate MODULES=auth/attenuation.py.
.PHONY: mutate
mutate: $(VENV)/.dev-installed
	$(BIN)/python -m pip install --quiet -e '.[mutate]'
	$(BIN)/python tests/mutation.py $(MODULES)

clean:
	rm -rf $(VENV) $(CACHE)
