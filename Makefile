# Gig Life: every target sets up what it needs, so a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run play test lint validate balance bench-engine loadtest bench screenshots clean engine

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## engine: the life engine compiled with mypyc where a C compiler is (else the plain sources run);
## a build is kept per version of the sources, so this is instant once built (game_server/native.py)
engine: $(STAMP)
	$(BIN)/python -m game_server build-engine

## run: the game server on the embedded default (its own Redis, a SQLite file under var/)
run: $(STAMP) engine
	$(BIN)/python -m game_server serve

## play: a solo life in the terminal
play: $(STAMP) engine
	$(BIN)/python -m game_server play

## test: every test, with warnings as errors (installs a browser for the page tests and Redis for the cluster tests if missing)
test: $(STAMP) engine
	bash scripts/ensure-browser.sh $(BIN)
	bash scripts/ensure-redis.sh
	$(BIN)/python -m game_server validate scenarios
	$(BIN)/python -m pytest

## screenshots: refresh docs/screenshots from the page tour (make test writes its pictures to a temp folder)
screenshots: $(STAMP)
	bash scripts/ensure-browser.sh $(BIN)
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/web/test_web_pages.py tests/web/test_host_room.py

## lint: ruff and mypy strict on the server, the tests and the load tests (tests/test_lint.py too)
lint: $(STAMP)
	$(BIN)/ruff check game_server tests loadtests
	$(BIN)/ruff format --check game_server tests loadtests
	$(BIN)/mypy game_server tests loadtests

validate: $(STAMP)
	$(BIN)/python -m game_server validate scenarios

balance: $(STAMP) engine
	$(BIN)/python -m game_server balance --scenario $(or $(SCENARIO),hangzhou-rider) --lives $(or $(LIVES),2000) --seed $(or $(SEED),1)

## bench-engine: simulated lives per second on one core
bench-engine: $(STAMP) engine
	$(BIN)/python -m game_server.bench_engine

## loadtest: start the server and run Locust headless (USERS, SECONDS to change the default)
loadtest: $(STAMP) engine
	$(BIN)/python -m loadtests.run --users $(or $(USERS),200) --seconds $(or $(SECONDS),60)

## bench: server benchmark (one and two instances, against a bare echo baseline); see docs/performance.md
bench: $(STAMP) engine
	$(BIN)/python -m loadtests.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache
