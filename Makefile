# Two entry points: `make demo` and `make test`. Both build the environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-files test-targets test-spark-cluster test-under-load lock clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24,<26"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/scorehouse demo

# Lint first, Python (ruff, settings in pyproject.toml) and SQL (sqlfluff through dbt's compiler, settings in
# .sqlfluff; it compiles against a scratch DuckDB file, which no model reads while compiling): a finding fails
# the target before any test runs.
# the Spark target needs Java, the report's browser test Chromium; tests start their own PostgreSQL server (scripts/postgres-server).
# Then the test files and the two target comparisons run side by side, each pytest's output printed as it ends.
test: setup
	$(BIN)/ruff check flows tests bench
	mkdir -p target
	SCOREHOUSE_DUCKDB_PATH=target/sql_lint.duckdb $(BIN)/sqlfluff lint --processes 2 models data-tests
	scripts/ensure-java
	scripts/ensure-chromium
	$(MAKE) --no-print-directory --jobs 3 --output-sync=target test-files test-targets test-spark-cluster

# Two workers take whole test files (module fixtures build a warehouse once per file).
test-files: setup
	$(BIN)/pytest -n 2 --dist loadfile --ignore tests/test_targets.py --ignore tests/test_spark_cluster.py

# The target comparisons each in a pytest of their own: pyspark exits the Spark steps it spawns from inside a
# pytest-xdist worker (their main module has no file, which pyspark takes for a doctest run), and each waits on
# PostgreSQL or Spark much of its time, which the other pytests then use.
test-targets: setup
	$(BIN)/pytest tests/test_targets.py

test-spark-cluster: setup
	$(BIN)/pytest tests/test_spark_cluster.py

# `make test` with a busy loop on every core beside it: no test may fail because the machine is busy.
test-under-load: setup
	scripts/with-cpu-hog $(MAKE) test

# Regenerate the pinned set after changing dependency ranges in pyproject.toml.
lock:
	rm -rf $(VENV)-lock
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet --upgrade "pip>=24,<26"
	$(VENV)-lock/bin/pip install --quiet -e ".[dev]"
	$(VENV)-lock/bin/pip freeze --exclude-editable > constraints.txt
	rm -rf $(VENV)-lock

clean:
	scripts/postgres-server stop
	rm -rf $(VENV) target logs warehouse data .prefect .spark
