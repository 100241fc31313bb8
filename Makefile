# Every target creates .venv itself: a fresh machine needs only Python 3.11+ and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: run test lint bench fuzz migrate demo clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

# `pitstop demo` needs the `demo` extra (Faker); the test extra includes it.
$(DEMO_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[demo]'
	touch $@ $(STAMP)

$(TEST_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(STAMP) $(DEMO_STAMP)

run: $(DEMO_STAMP)
	$(BIN)/pitstop migrate
	$(BIN)/pitstop demo
	$(BIN)/pitstop serve

migrate: $(STAMP)
	$(BIN)/pitstop migrate

demo: $(DEMO_STAMP)
	$(BIN)/pitstop demo

# Bytecode is written even where the environment says not to: the suite starts a few dozen
# Python processes (workers, CLI commands, served apps), and each would compile the
# project and rewrite the tests' assertions again. Three workers on two cores: a worker
# waits on PostgreSQL, Redis and the processes it starts for a third of its time (a fresh
# clone on the idle 2-core machine: -n 2 662 s, -n 3 554 s, both green). The 25 slowest are
# printed, so a test that grows (or waits) shows in every CI log.
test: $(TEST_STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n 3 --dist loadfile --durations=25 --ignore=tests/bench --ignore=tests/fuzz $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check platform plugins tests migrations
	$(BIN)/ruff format --check platform plugins tests migrations
	$(BIN)/mypy platform plugins
	$(BIN)/lint-imports

bench: $(TEST_STAMP)
	$(BIN)/python -m pytest tests/bench -s -p no:xdist $(PYTEST_ARGS)

# The console's pictures in docs/console.md: the browser journeys run (they need
# /usr/bin/chromium) and a handful of the screenshots they take is copied into the docs.
SCREENSHOTS := search customer customer-technician order kpi-board phone-new-order
screenshots: $(TEST_STAMP)
	rm -rf artifacts/console
	PITSTOP_TEST_REQUIRE_SERVICES=1 $(BIN)/python -m pytest tests/console/test_console_browser.py -p no:xdist -q $(PYTEST_ARGS)
	mkdir -p docs/images/console
	cp $(foreach name,$(SCREENSHOTS),artifacts/console/$(name).png) docs/images/console/
	ls -l docs/images/console

# Schemathesis over the whole API (both databases, a few minutes); not part of `make test`.
# PITSTOP_FUZZ_EXAMPLES sets the requests per operation and mode (default 15).
fuzz: $(TEST_STAMP)
	$(BIN)/python -m pytest tests/fuzz -s -p no:xdist $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
