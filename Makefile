# fusiontrack task runner: the README's two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test bench lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/fusiontrack demo

lint: $(STAMP)
	$(BIN)/ruff check fusiontrack tests benchmarks
	$(BIN)/ruff format --check fusiontrack tests benchmarks
	$(BIN)/mypy fusiontrack/core

# Tests run on SQLite; when FUSIONTRACK_TEST_DATABASE_URL is set (CI sets it), every test that
# touches the database (marker django_db) runs again on that PostgreSQL server, at the same
# time as the SQLite run (one per core; each with its own data directory). The PostgreSQL
# run's output is printed after the SQLite run's; either run failing fails `make test`.
test: $(STAMP) lint
	@mkdir -p var
	@if [ -n "$$FUSIONTRACK_TEST_DATABASE_URL" ]; then \
	  echo "== all tests on SQLite; database tests on PostgreSQL in parallel =="; \
	  FUSIONTRACK_DATA_DIR=var/test-postgres DATABASE_URL="$$FUSIONTRACK_TEST_DATABASE_URL" \
	    $(BIN)/python -m pytest -m django_db $(PYTEST_ARGS) > var/test-postgres.log 2>&1 & pg=$$!; \
	  FUSIONTRACK_DATA_DIR=var/test-sqlite $(BIN)/python -m pytest $(PYTEST_ARGS); sqlite=$$?; \
	  wait $$pg; postgres=$$?; \
	  echo "== database tests on PostgreSQL ($$FUSIONTRACK_TEST_DATABASE_URL) =="; \
	  cat var/test-postgres.log; \
	  echo "== SQLite run: exit $$sqlite; PostgreSQL run: exit $$postgres =="; \
	  [ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]; \
	else \
	  $(BIN)/python -m pytest $(PYTEST_ARGS); \
	fi

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
