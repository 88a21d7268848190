"""The same refresh on DuckDB, PostgreSQL, Spark and a Spark cluster, on the same generated data and score
criteria, gives the same scores, contributions and segments, customer by customer; PostgreSQL's BI role reads
what is published and nothing else.

The PostgreSQL server is the project's own throwaway one (scripts/postgres-server); Spark is a local
session (pyspark), as the profile's spark target describes; the cluster is the project's own (scripts/
spark-cluster: a master, two workers and a Spark Connect server, separate processes on loopback), which the
spark_connect target reaches.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import errors

from conftest import copy_project
from scorehouse import dbt_runner, demo_data
from scorehouse.dbt_runner import PROJECT_DIR
from scorehouse.errors import UserFacingError
from scorehouse.scoring_flow import GateFailed, RefreshResult, refresh_scores
from scorehouse.spark_target import SparkConnectTarget, release_connect_sessions
from scorehouse.warehouse_targets import PUBLISHED_TABLES, WarehousePaths, WarehouseTarget, target_named
from test_churn_predictions import check_write_table_round_trip

TARGETS = ("duckdb", "postgres", "spark", "spark_connect")
# the targets compared with DuckDB's results
OTHER_TARGETS = TARGETS[1:]
END_DATE = date(2025, 12, 31)
CUSTOMERS = 1_500
NOW = datetime(2026, 1, 1, 6, 0, 0)
# the generator's defective order rows go to quarantine instead of stopping the run; fits read a sample of
# 400 customers per cutoff (of 700 to 1,260 buyers), so the tables agree only if every target draws the
# same sample
VARS = {"as_of_date": END_DATE.isoformat(), "raw_row_defect_tolerance": 0.01, "model_fit_max_customers": 400}
COMPOSITE_TOLERANCE = 1e-9
# The composite on criteria of every normalisation, a fitted prediction and the customer_attributes file, so
# that every target computes the contributions, the explanations and the weight review the same way.
SCORE_CRITERIA = [
    {"criterion": "monetary", "label": "Spend", "weight": "2", "direction": "higher_is_better",
     "normalisation": "bucket"},
    {"criterion": "recency_days", "label": "Recency", "weight": "1", "direction": "lower_is_better",
     "normalisation": "percentile_rank"},
    {"criterion": "latest_nps_score", "label": "NPS", "weight": "1", "direction": "higher_is_better",
     "normalisation": "min_max", "lower_bound": "0", "upper_bound": "10", "missing_value_counts_as": "0.5"},
    {"criterion": "is_loyalty_member", "label": "Loyalty", "weight": "1", "direction": "higher_is_better",
     "normalisation": "boolean"},
    {"criterion": "social_engagement_score", "label": "Social", "weight": "0.5", "direction": "higher_is_better",
     "normalisation": "percentile_rank"},
    {"criterion": "churn_probability", "label": "Churn risk", "weight": "1", "direction": "lower_is_better",
     "normalisation": "min_max", "lower_bound": "0", "upper_bound": "1"},
]
POSTGRES_SERVER = PROJECT_DIR / "scripts" / "postgres-server"
SPARK_CLUSTER = PROJECT_DIR / "scripts" / "spark-cluster"
PUBLISHED_TABLE_NAMES = [table.split(".")[1] for table in PUBLISHED_TABLES]
# every name BI reads in Spark's `published` database
PUBLISHED_NAMES = [*PUBLISHED_TABLE_NAMES, "scorehouse_publication"]
# table name -> (column names, rows), as BI reads it
PublishedTables = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Starts the project's Spark cluster on free ports, with its metastore and tables in a new folder, and
    points the spark_connect target at it; yields the script's environment (worker-pid needs it)."""
    settings = {
        "SCOREHOUSE_SPARK_MASTER_PORT": str(free_port()),
        "SCOREHOUSE_SPARK_CONNECT_PORT": str(free_port()),
        "SCOREHOUSE_SPARK_CLUSTER_DIR": str(tmp_path_factory.mktemp("spark_cluster")),
    }
    environment = {**os.environ, **settings}
    subprocess.run([str(SPARK_CLUSTER), "start"], check=True, env=environment)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SCOREHOUSE_SPARK_CONNECT_URL", f"sc://127.0.0.1:{settings['SCOREHOUSE_SPARK_CONNECT_PORT']}")
            yield environment
    finally:
        release_connect_sessions()
        subprocess.run([str(SPARK_CLUSTER), "stop"], check=True, env=environment)


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("targets") / "data"
    demo_data.generate(data_dir, customers=CUSTOMERS, seed=11, end_date=END_DATE, file_format="csv", with_defects=True)
    return data_dir


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
    postgres_server: None, spark_cluster: dict[str, str], shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RefreshResult]:
    reset_postgres(WarehousePaths(tmp_path_factory.mktemp("postgres_reset")))
    project_dir = copy_project(tmp_path_factory.mktemp("targets_project"))
    with (project_dir / "seeds" / "score_criteria.csv").open("r+", newline="") as seed:
        header = seed.readline().strip().split(",")
        writer = csv.DictWriter(seed, fieldnames=header)
        writer.writerows(SCORE_CRITERIA)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dbt_runner, "PROJECT_DIR", project_dir)
        patch.setattr(dbt_runner, "PROFILES_DIR", project_dir / "profiles")
        return {
            target_name: refresh_scores(
                data_dir=shared_data,
                warehouse_dir=tmp_path_factory.mktemp(target_name),
                dbt_vars=VARS,
                now=NOW,
                target_name=target_name,
            )
            for target_name in TARGETS
        }


def read_published_tables(target: WarehouseTarget, table_names: list[str]) -> PublishedTables:
    return {table_name: target.read_published(table_name) for table_name in table_names}


@pytest.fixture(scope="module")
def published(runs: dict[str, RefreshResult]) -> dict[str, PublishedTables]:
    """Every published table of every target, read in one step per target (one Spark session, not one per
    table)."""
    tables = {}
    for target_name, run in runs.items():
        target = target_named(run.target_name, run.paths)
        tables[target_name] = target.call(read_published_tables, target, PUBLISHED_TABLE_NAMES)
    return tables


def persons(tables: PublishedTables) -> int:
    """The generated customers less the second accounts merged into an older customer of their email."""
    identities = published_rows(tables, "dim_customer_identities")
    assert len(identities) == CUSTOMERS
    merged = sum(1 for row in identities.values() if not row["is_survivor"])
    assert 0 < merged < 0.03 * CUSTOMERS
    return CUSTOMERS - merged


def published_rows(tables: PublishedTables, table_name: str) -> dict[str, dict[str, Any]]:
    """A published table's rows by customer_id."""
    columns, rows = tables[table_name]
    return {row[columns.index("customer_id")]: dict(zip(columns, row, strict=True)) for row in rows}


@pytest.mark.parametrize("target_name", OTHER_TARGETS)
def test_write_table_round_trips(
    postgres_server: None, spark_cluster: dict[str, str], target_name: str, tmp_path: Path
) -> None:
    """DuckDB's case is in tests/test_churn_predictions.py; the first write replaces what a session left."""
    check_write_table_round_trip(target_named(target_name, WarehousePaths(tmp_path)))


def test_every_target_stages_and_quarantines_the_same_rows(runs: dict[str, RefreshResult]) -> None:
    duckdb_run = runs["duckdb"]
    assert sum(duckdb_run.quarantined_row_counts.values()) > 0, "the defective rows were not quarantined"
    for target_name in OTHER_TARGETS:
        assert runs[target_name].raw_row_counts == duckdb_run.raw_row_counts
        assert runs[target_name].staged_row_counts == duckdb_run.staged_row_counts
        assert runs[target_name].quarantined_row_counts == duckdb_run.quarantined_row_counts


@pytest.mark.parametrize("target_name", OTHER_TARGETS)
def test_every_target_stages_the_same_customer_attributes(runs: dict[str, RefreshResult], target_name: str) -> None:
    """The generated customer_attributes file, typed by the kinds the source declares: booleans, whole numbers
    and decimals, empty values as null."""
    staged = {}
    for name in ("duckdb", target_name):
        target = target_named(runs[name].target_name, runs[name].paths)
        rows = target.call(
            target.query,
            "select customer_id, is_loyalty_member, events_attended, social_engagement_score "
            "from staging.stg_shop__customer_attributes",
        )
        staged[name] = sorted(rows, key=lambda row: row[0])
    assert len(staged["duckdb"]) > 1_000
    assert any(row[3] is None for row in staged["duckdb"]) and any(row[1] for row in staged["duckdb"])
    assert staged[target_name] == staged["duckdb"]


@pytest.mark.parametrize("target_name", OTHER_TARGETS)
def test_every_customer_gets_the_same_scores_and_segment(
    published: dict[str, PublishedTables], target_name: str
) -> None:
    expected = published_rows(published["duckdb"], "dim_customer_segments")
    actual = published_rows(published[target_name], "dim_customer_segments")
    assert len(expected) == persons(published["duckdb"])
    assert actual.keys() == expected.keys()
    exact_columns = ("segment_name", "recency_score", "frequency_score", "monetary_score", "is_vip", "is_churn_risk")
    differences = [
        (customer_id, column, expected[customer_id][column], actual[customer_id][column])
        for customer_id in expected
        for column in exact_columns
        if expected[customer_id][column] != actual[customer_id][column]
    ]
    assert differences == []
    composite_gaps = [
        abs(expected[customer_id]["composite_score"] - actual[customer_id]["composite_score"])
        for customer_id in expected
        if expected[customer_id]["composite_score"] is not None
    ]
    assert len(composite_gaps) > 1_000
    assert max(composite_gaps) <= COMPOSITE_TOLERANCE
    assert all(
        (expected[customer_id]["composite_score"] is None) == (actual[customer_id]["composite_score"] is None)
        for customer_id in expected
    )


@pytest.mark.parametrize("target_name", OTHER_TARGETS)
def test_every_customer_has_the_same_rfm_inputs(published: dict[str, PublishedTables], target_name: str) -> None:
    expected = published_rows(published["duckdb"], "fct_customer_rfm_scores")
    actual = published_rows(published[target_name], "fct_customer_rfm_scores")
    assert actual.keys() == expected.keys()
    for customer_id, row in expected.items():
        other = actual[customer_id]
        assert (other["recency_days"], other["frequency"]) == (row["recency_days"], row["frequency"]), customer_id
        assert Decimal(other["monetary"]) == Decimal(row["monetary"]), customer_id


def comparable(value: Any) -> Any:
    """A value as every target should give it: numbers as floats (each driver has its own numeric types),
    dates and times as ISO text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return value.isoformat()


def comparable_rows(tables: PublishedTables, table_name: str) -> list[tuple]:
    _, rows = tables[table_name]
    converted = [tuple(comparable(value) for value in row) for row in rows]
    # sorted on values rounded well above the float tolerance, so float noise cannot reorder rows
    return sorted(
        converted, key=lambda row: repr([round(value, 6) if isinstance(value, float) else value for value in row])
    )


@pytest.mark.parametrize("table", PUBLISHED_TABLE_NAMES)
@pytest.mark.parametrize("target_name", OTHER_TARGETS)
def test_every_published_table_agrees(published: dict[str, PublishedTables], target_name: str, table: str) -> None:
    expected, actual = comparable_rows(published["duckdb"], table), comparable_rows(published[target_name], table)
    assert len(actual) == len(expected)
    for expected_row, actual_row in zip(expected, actual, strict=True):
        assert actual_row == pytest.approx(expected_row, rel=COMPOSITE_TOLERANCE, abs=COMPOSITE_TOLERANCE), table


def test_segment_summaries_agree(runs: dict[str, RefreshResult], published: dict[str, PublishedTables]) -> None:
    expected = {row["segment_name"]: row for row in runs["duckdb"].segment_summary}
    assert sum(row["customer_count"] for row in expected.values()) == persons(published["duckdb"])
    for target_name in OTHER_TARGETS:
        actual = {row["segment_name"]: row for row in runs[target_name].segment_summary}
        assert actual.keys() == expected.keys()
        for segment_name, row in expected.items():
            assert actual[segment_name]["customer_count"] == row["customer_count"]
            assert Decimal(actual[segment_name]["window_revenue"]) == Decimal(row["window_revenue"])


def bi_connection() -> psycopg2.extensions.connection:
    return psycopg2.connect(
        host=os.environ["SCOREHOUSE_POSTGRES_HOST"], port=os.environ["SCOREHOUSE_POSTGRES_PORT"],
        user=os.environ["SCOREHOUSE_BI_ROLE"], password=os.environ.get("SCOREHOUSE_BI_PASSWORD", "scorehouse_bi"),
        dbname=os.environ["SCOREHOUSE_POSTGRES_DATABASE"],
    )


def test_postgres_bi_role_reads_published_tables_only(
    runs: dict[str, RefreshResult], published: dict[str, PublishedTables]
) -> None:
    with bi_connection() as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from published.dim_customer_segments")
        assert cursor.fetchone()[0] == persons(published["duckdb"])
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
    runs: dict[str, RefreshResult], shared_data: Path, tmp_path: Path
) -> None:
    target = target_named("postgres", WarehousePaths(tmp_path / "warehouse"))
    before = target.query("select fingerprint, run_id from published.scorehouse_publication")
    with pytest.raises(GateFailed, match=r"orders: [\d,]+ rows? with duplicate order_id"):
        # with no tolerance, the generator's defective order rows stop the run at the delivery gate
        refresh_scores(
            data_dir=shared_data, warehouse_dir=tmp_path / "warehouse",
            dbt_vars={**VARS, "raw_row_defect_tolerance": 0}, now=NOW, target_name="postgres",
        )
    assert target.query("select fingerprint, run_id from published.scorehouse_publication") == before


def test_an_unreachable_spark_connect_server_stops_the_refresh_with_one_sentence_naming_it(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sc://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SCOREHOUSE_SPARK_CONNECT_URL", url)
    with pytest.raises(UserFacingError) as failure:
        refresh_scores(
            data_dir=shared_data, warehouse_dir=tmp_path / "warehouse", dbt_vars=VARS, now=NOW,
            target_name="spark_connect",
        )
    assert f"The Spark Connect server at {url} cannot be reached" in str(failure.value)
    assert "\n" not in str(failure.value)


def published_as_of_dates(target: WarehouseTarget) -> set[date]:
    """The as-of dates BI reads in the published tables that carry one."""
    return {
        row[0]
        for table in ("dim_customer_segments", "fct_customer_rfm_scores", "fct_customer_scores")
        for row in target.call(target.query, f"select distinct as_of_date from published.{table}")
    }


def kill_a_worker_once_the_build_runs(
    paths: WarehousePaths, cluster_environment: dict[str, str], done: threading.Event, killed: list[int]
) -> None:
    """Kills worker 2 (and so its executor) once dbt builds the intermediate models: in the middle of the
    refresh's first build, with the staging tables' shuffle files on both executors."""
    building = paths.dbt_target / "run" / "scorehouse" / "models" / "intermediate"
    while not done.wait(0.2):
        if building.exists():
            worker = subprocess.run(
                [str(SPARK_CLUSTER), "worker-pid", "2"], env=cluster_environment, check=True, capture_output=True,
                text=True,
            ).stdout
            os.kill(int(worker), signal.SIGKILL)
            killed.append(int(worker))
            return


def test_a_worker_killed_during_a_refresh_leaves_one_whole_publication_and_the_next_refresh_succeeds(
    runs: dict[str, RefreshResult], spark_cluster: dict[str, str], shared_data: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Spark re-runs the lost tasks on the other worker, or the refresh stops with one sentence; either
    way BI reads one publication whole, the new one or the one before, and the next refresh succeeds and
    publishes while a reader reads."""
    paths = WarehousePaths(tmp_path / "warehouse")
    target = target_named("spark_connect", paths)
    publication_before = target.call(target.query, "select fingerprint, run_id from published.scorehouse_publication")
    assert published_as_of_dates(target) == {END_DATE}
    # a month earlier: a refresh whose outputs differ from those published
    earlier = {**VARS, "as_of_date": date(2025, 11, 30).isoformat()}

    done, killed = threading.Event(), []
    killer = threading.Thread(target=kill_a_worker_once_the_build_runs, args=(paths, spark_cluster, done, killed))
    killer.start()
    try:
        refresh_scores(data_dir=shared_data, warehouse_dir=paths.directory, dbt_vars=earlier, now=NOW,
                       target_name="spark_connect")
        completed = True
    except UserFacingError as failure:
        assert "\n" not in str(failure)
        completed = False
    finally:
        done.set()
        killer.join()
    assert killed, "the refresh ended before its build reached the intermediate models"

    publication = target.call(target.query, "select fingerprint, run_id from published.scorehouse_publication")
    if completed:
        assert publication != publication_before
        assert published_as_of_dates(target) == {date(2025, 11, 30)}
    else:
        assert publication == publication_before
        assert published_as_of_dates(target) == {END_DATE}

    subprocess.run([str(SPARK_CLUSTER), "start"], env=spark_cluster, check=True)  # the worker back
    # the next refresh publishes the other as-of date, with a reader beside its publish
    next_vars, next_as_of = (VARS, END_DATE) if completed else (earlier, date(2025, 11, 30))
    before = target.call(published_digests, target)
    reader = ReaderDuringPublish(monkeypatch)
    refresh_scores(data_dir=shared_data, warehouse_dir=paths.directory, dbt_vars=next_vars, now=NOW,
                   target_name="spark_connect")
    after = target.call(published_digests, target)
    assert published_as_of_dates(target) == {next_as_of}
    assert before["scorehouse_publication"] != after["scorehouse_publication"]
    # every name is swapped once, the publication row last; at each moment the reader read, every name was
    # there and each table whole: the new publication's if its view was swapped, else the previous one's
    assert sorted(reader.swapped) == sorted(PUBLISHED_NAMES)
    assert reader.swapped[-1] == "scorehouse_publication"
    assert len(reader.reads) == len(ReaderDuringPublish.READ_AFTER_SWAPS)
    for swapped, digests in reader.reads:
        assert digests == {name: after[name] if name in swapped else before[name] for name in PUBLISHED_NAMES}


def published_digests(target: WarehouseTarget) -> dict[str, tuple[int, int]]:
    """Row count and sum of row hashes of every name BI reads in `published`, in one query."""
    counts = " union all ".join(
        f"select '{name}', count(*), coalesce(sum(cast(hash(*) as bigint)), 0) from published.{name}"
        for name in PUBLISHED_NAMES
    )
    return {name: (count, digest) for name, count, digest in target.query(counts)}


class ReaderDuringPublish:
    """Wraps the spark_connect target's session: when the refresh has replaced the first view of `published`,
    half of them, all but the publication's and all, a reader reads every published name before the next
    statement runs, as a BI tool could (a read after every view would take minutes on the test cluster)."""

    READ_AFTER_SWAPS = (1, len(PUBLISHED_NAMES) // 2, len(PUBLISHED_NAMES) - 1, len(PUBLISHED_NAMES))

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.swapped: list[str] = []
        self.reads: list[tuple[list[str], dict[str, tuple[int, int]]]] = []
        session = SparkConnectTarget.session
        monkeypatch.setattr(SparkConnectTarget, "session", lambda target: self.Session(self, target, session(target)))

    class Session:
        def __init__(self, reader: ReaderDuringPublish, target: WarehouseTarget, session: Any) -> None:
            self.reader, self.target, self.session = reader, target, session

        def __getattr__(self, name: str) -> Any:
            return getattr(self.session, name)

        def sql(self, statement: str, *arguments: Any, **settings: Any) -> Any:
            result = self.session.sql(statement, *arguments, **settings)
            view = statement.removeprefix("create or replace view published.")
            if view != statement:
                self.reader.swapped.append(view.split()[0])
                if len(self.reader.swapped) in ReaderDuringPublish.READ_AFTER_SWAPS:
                    self.reader.reads.append((list(self.reader.swapped), published_digests(self.target)))
            return result


# Last in the file: on PostgreSQL it rebuilds the working marts schema, which the publication renamed away.
# Not on the cluster: there the same dbt-spark sends the same SQL as on the local session (85 s saved), and
# the comparisons above check every published row it computes.
@pytest.mark.parametrize("target_name", ["duckdb", "postgres", "spark"])
def test_unit_tests_pass_on_every_target(runs: dict[str, RefreshResult], target_name: str) -> None:
    """The dbt unit tests (hand-computed rows in the models' ymls), which refreshes leave out, on the
    warehouse the refresh built: dbt reads the column types of their inputs from its relations. PostgreSQL
    publishes by renaming the working marts schema, so its marts are first rebuilt empty (dbt's --empty)."""
    run = runs[target_name]
    target = target_named(run.target_name, run.paths)
    logger = logging.getLogger(__name__)
    dbt = target.dbt_project(VARS)
    if target_name == "postgres":
        dbt.run(["run", "--empty", "--select", "path:models/marts"], logger)
    dbt.run(["test", "--select", "test_type:unit"], logger)
    unit_tests = json.loads((run.paths.dbt_target / "manifest.json").read_text())["unit_tests"]
    results = json.loads((run.paths.dbt_target / "run_results.json").read_text())["results"]
    tested = {result["unique_id"]: result["status"] for result in results if result["unique_id"] in unit_tests}
    assert unit_tests and sorted(tested) == sorted(unit_tests)
    assert set(tested.values()) == {"pass"}
