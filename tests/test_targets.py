"""The same refresh on DuckDB, PostgreSQL and a local Spark session, on the same generated data and score
criteria, gives the same scores, contributions and segments, customer by customer (tests/target_comparison.py);
PostgreSQL's BI role reads what is published and nothing else; the dbt unit tests pass on every target.

The PostgreSQL server is the project's own throwaway one (scripts/postgres-server); Spark is a local
session (pyspark), as the profile's spark target describes. The Spark cluster's comparison is
tests/test_spark_cluster.py.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import errors

from scorehouse.dbt_runner import PROJECT_DIR
from scorehouse.scoring_flow import GateFailed, RefreshResult, refresh_scores
from scorehouse.warehouse_targets import WarehousePaths, target_named

# pytest runs the imported class's tests in this module, on its fixtures runs and target_name
from target_comparison import NOW, VARS, TestTheSameResultsAsDuckDB, refresh_on_duckdb_and  # noqa: F401
from test_churn_predictions import check_write_table_round_trip

POSTGRES_SERVER = PROJECT_DIR / "scripts" / "postgres-server"
# the targets compared with DuckDB's refresh
OTHER_TARGETS = ("postgres", "spark")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[None]:
    """Starts the project's PostgreSQL server and points the postgres target at it."""
    subprocess.run([str(POSTGRES_SERVER), "start"], check=True)
    settings = subprocess.run([str(POSTGRES_SERVER), "env"], check=True, capture_output=True, text=True).stdout
    previous = dict(os.environ)
    for line in settings.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        os.environ[name] = value
    yield
    os.environ.clear()
    os.environ.update(previous)


def reset_postgres(paths: WarehousePaths) -> None:
    """Drops what earlier sessions left in the test database, so every session starts from nothing."""
    with target_named("postgres", paths).connect() as connection, connection.cursor() as cursor:
        for schema in (
            "raw", "staging", "intermediate", "history", "marts", "reference", "published", "scorehouse",
            "fitted_models",
        ):
            cursor.execute(f"drop schema if exists {schema} cascade")


@pytest.fixture(scope="module")
def runs(
    postgres_server: None, comparison_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RefreshResult]:
    reset_postgres(WarehousePaths(tmp_path_factory.mktemp("postgres_reset")))
    return refresh_on_duckdb_and(OTHER_TARGETS, comparison_data, tmp_path_factory)


@pytest.fixture(scope="module", params=OTHER_TARGETS)
def target_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("written_target", OTHER_TARGETS)
def test_write_table_round_trips(postgres_server: None, written_target: str, tmp_path: Path) -> None:
    """DuckDB's case is in tests/test_churn_predictions.py; the first write replaces what a session left."""
    check_write_table_round_trip(target_named(written_target, WarehousePaths(tmp_path)))


def test_local_spark_steps_in_one_session_share_one_child_process(tmp_path: Path) -> None:
    """A JVM start costs some 10 s: the consecutive steps of a block run in one child, which ends, its JVM
    and the metastore lock with it, when the block ends; a step outside a block has a child of its own."""
    target = target_named("spark", WarehousePaths(tmp_path))
    with target.steps_in_one_session():
        first_child = target.call(os.getpid)
        assert target.call(target.query, "select 1") == [(1,)]
        assert target.call(target.query, "select 2") == [(2,)]
        assert target.call(os.getpid) == first_child != os.getpid()
    with pytest.raises(ProcessLookupError):
        os.kill(first_child, 0)
    assert target.call(os.getpid) not in (first_child, os.getpid())


def bi_connection() -> psycopg2.extensions.connection:
    return psycopg2.connect(
        host=os.environ["SCOREHOUSE_POSTGRES_HOST"], port=os.environ["SCOREHOUSE_POSTGRES_PORT"],
        user=os.environ["SCOREHOUSE_BI_ROLE"], password=os.environ.get("SCOREHOUSE_BI_PASSWORD", "scorehouse_bi"),
        dbname=os.environ["SCOREHOUSE_POSTGRES_DATABASE"],
    )


def test_postgres_bi_role_reads_published_tables_only(runs: dict[str, RefreshResult]) -> None:
    segmented = sum(row["customer_count"] for row in runs["duckdb"].segment_summary)
    with bi_connection() as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from published.dim_customer_segments")
        assert cursor.fetchone()[0] == segmented
        cursor.execute("select count(*) from published.fct_segment_summary")
        assert cursor.fetchone()[0] > 0
    forbidden = [
        ("insert into published.fct_segment_summary (segment_name) values ('mine')", errors.InsufficientPrivilege),
        ("delete from published.dim_customer_segments", errors.InsufficientPrivilege),
        ("create table published.scratch (one integer)", errors.InsufficientPrivilege),
        ("select email from raw.customers", errors.InsufficientPrivilege),
        ("select * from staging.stg_shop__customers", errors.InsufficientPrivilege),
    ]
    for statement, error in forbidden:
        with bi_connection() as connection, connection.cursor() as cursor, pytest.raises(error):
            cursor.execute(statement)


def test_postgres_failed_refresh_keeps_the_published_schema(
    runs: dict[str, RefreshResult], comparison_data: Path, tmp_path: Path
) -> None:
    target = target_named("postgres", WarehousePaths(tmp_path / "warehouse"))
    before = target.query("select fingerprint, run_id from published.scorehouse_publication")
    with pytest.raises(GateFailed, match=r"orders: [\d,]+ rows? with duplicate order_id"):
        # with no tolerance, the generator's defective order rows stop the run at the delivery gate
        refresh_scores(
            data_dir=comparison_data, warehouse_dir=tmp_path / "warehouse",
            dbt_vars={**VARS, "raw_row_defect_tolerance": 0}, now=NOW, target_name="postgres",
        )
    assert target.query("select fingerprint, run_id from published.scorehouse_publication") == before


# Last in the file: on PostgreSQL it rebuilds the working marts schema, which the publication renamed away.
# Not on the cluster: there the same dbt-spark sends the same SQL as on the local session (85 s saved), and
# tests/test_spark_cluster.py compares every published row it computes.
@pytest.mark.parametrize("tested_target", ["duckdb", *OTHER_TARGETS])
def test_unit_tests_pass_on_every_target(runs: dict[str, RefreshResult], tested_target: str) -> None:
    """The dbt unit tests (hand-computed rows in the models' ymls), which refreshes leave out, on the
    warehouse the refresh built: dbt reads the column types of their inputs from its relations. PostgreSQL
    publishes by renaming the working marts schema, so its marts are first rebuilt empty (dbt's --empty)."""
    run = runs[tested_target]
    target = target_named(run.target_name, run.paths)
    logger = logging.getLogger(__name__)
    dbt = target.dbt_project(VARS)
    if tested_target == "postgres":
        dbt.run(["run", "--empty", "--select", "path:models/marts"], logger)
    dbt.run(["test", "--select", "test_type:unit"], logger)
    unit_tests = json.loads((run.paths.dbt_target / "manifest.json").read_text())["unit_tests"]
    results = json.loads((run.paths.dbt_target / "run_results.json").read_text())["results"]
    tested = {result["unique_id"]: result["status"] for result in results if result["unique_id"] in unit_tests}
    assert unit_tests and sorted(tested) == sorted(unit_tests)
    assert set(tested.values()) == {"pass"}
