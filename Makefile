# Each target creates .venv when it is missing; nothing needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CACHE := .cache
OCTOKIT_OPENAPI_VERSION := 23.0.2
OCTOKIT_OPENAPI := $(CACHE)/octokit-openapi-$(OCTOKIT_OPENAPI_VERSION)/api.github.com.json
# The MCP Inspector (the TypeScript SDK's client) that tests/agents/test_mcp_inspector.py drives.
# 0.16.8 is the last CLI that runs on Node 20 (npm warns about its engines field) and sends headers.
MCP_INSPECTOR_VERSION := 0.16.8
MCP_INSPECTOR := $(CACHE)/mcp-inspector-$(MCP_INSPECTOR_VERSION)/node_modules/@modelcontextprotocol/inspector/cli/build/cli.js

.PHONY: demo test lint fmt bench specs inspector clean

# What `make demo` installs; .ci/run runs the demo in a venv holding only this.
DEMO_EXTRAS := github,google
PIP := $(BIN)/python -m pip --disable-pip-version-check
# pip names each package as it fetches it: progress, without its download bars.
PIP_INSTALL := $(PIP) install --progress-bar off

$(BIN)/python:
	@echo "==> creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	@echo "==> installing charter[$(DEMO_EXTRAS)] into $(VENV) (the first time takes a minute or two)"
	$(PIP_INSTALL) -e '.[$(DEMO_EXTRAS)]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	@echo "==> installing charter[all,dev] into $(VENV) (the first time takes a few minutes)"
	$(PIP_INSTALL) -e '.[all,dev]'
	touch $@ $(VENV)/.demo-installed

# The shipped example connector (docs/connector-authors.md): installed as an author would, and its
# contract suite is part of `make test`.
EXAMPLE := docs/examples/notes-connector
$(VENV)/.example-installed: $(EXAMPLE)/pyproject.toml $(VENV)/.dev-installed
	$(PIP_INSTALL) --quiet --no-deps --no-build-isolation -e $(EXAMPLE)
	touch $@

# GitHub's official OpenAPI description, pinned; the fidelity tests fail without it.
# npm pack fetches the package through npm's own configuration, into .cache/.
$(OCTOKIT_OPENAPI):
	@echo "==> fetching GitHub's OpenAPI description: npm pack @octokit/openapi@$(OCTOKIT_OPENAPI_VERSION)"
	mkdir -p $(dir $@)
	@cd $(dir $@) && npm pack --silent @octokit/openapi@$(OCTOKIT_OPENAPI_VERSION) > /dev/null \
	  || { echo "error: npm pack @octokit/openapi@$(OCTOKIT_OPENAPI_VERSION) failed. Install npm" \
	       "(e.g. apt-get install npm) and check it reaches its registry, or put api.github.com.json" \
	       "from that package at $@." >&2; exit 1; }
	tar -xzOf $(dir $@)octokit-openapi-$(OCTOKIT_OPENAPI_VERSION).tgz package/generated/api.github.com.json > $@.tmp
	mv $@.tmp $@
	rm -f $(dir $@)octokit-openapi-$(OCTOKIT_OPENAPI_VERSION).tgz

specs: $(OCTOKIT_OPENAPI)

$(MCP_INSPECTOR):
	@echo "==> installing the MCP Inspector: npm install @modelcontextprotocol/inspector@$(MCP_INSPECTOR_VERSION)"
	@npm install --silent --no-audit --no-fund --prefix $(CACHE)/mcp-inspector-$(MCP_INSPECTOR_VERSION) \
	  @modelcontextprotocol/inspector@$(MCP_INSPECTOR_VERSION) > /dev/null \
	  || { echo "error: npm install @modelcontextprotocol/inspector@$(MCP_INSPECTOR_VERSION) failed. Install" \
	       "Node and npm (e.g. apt-get install nodejs npm) and check npm reaches its registry." >&2; exit 1; }
	test -f $@

inspector: $(MCP_INSPECTOR)

demo: $(VENV)/.demo-installed
	$(BIN)/charter demo

# Test processes: one per core (`make test TEST_WORKERS=0` runs in this process, e.g. to debug).
TEST_WORKERS ?= auto
PACKAGE_DIRS := schemas auth connectors agents sandboxes cli contract_tests

# mypy cannot follow setuptools' editable mapping, so it reads the package through links.
$(CACHE)/typecheck/charter:
	mkdir -p $@
	for d in $(PACKAGE_DIRS); do ln -sfn ../../../$$d $@/$$d; done

lint: $(VENV)/.dev-installed $(CACHE)/typecheck/charter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy $(EXAMPLE)/charter_notes
	PYTHONPATH=$(CACHE)/typecheck $(BIN)/lint-imports --no-cache

fmt: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The console's browser tests (marked `browser`) need Debian's Chromium: apt-get install -y chromium.
test: $(VENV)/.dev-installed $(VENV)/.example-installed $(OCTOKIT_OPENAPI) $(MCP_INSPECTOR) lint
	CHARTER_OPENAPI_GITHUB=$(OCTOKIT_OPENAPI) CHARTER_MCP_INSPECTOR=$(MCP_INSPECTOR) \
	  $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

bench: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks

# Mutation testing of the modules that carry the promises (slow: not part of `make test`), niced
# so it leaves the machine usable; narrow it with e.g. make mutate MODULES=auth/attenuation.py,
# re-run only the last run's survivors with MUTATE_FLAGS=--survivors.
.PHONY: mutate
mutate: $(VENV)/.dev-installed
	$(BIN)/python -m pip install --quiet -e '.[mutate]'
	nice -n 10 $(BIN)/python tests/mutation.py $(MUTATE_FLAGS) $(MODULES)

clean:
	rm -rf $(VENV) $(CACHE)
