"""The refresh on a Spark cluster through Spark Connect gives DuckDB's results on the same data
(tests/target_comparison.py); a worker killed during a refresh leaves whole publications for a reader; an
unreachable server stops the refresh with one sentence.

The cluster is the project's own (scripts/spark-cluster: a master, two workers and a Spark Connect server,
separate processes on loopback), which the spark_connect target reaches.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import COMPARISON_END_DATE
from scorehouse.dbt_runner import PROJECT_DIR
from scorehouse.errors import UserFacingError
from scorehouse.scoring_flow import RefreshResult, refresh_scores
from scorehouse.spark_target import SparkConnectTarget, release_connect_sessions
from scorehouse.warehouse_targets import WarehousePaths, WarehouseTarget, target_named

# pytest runs the imported class's tests in this module, on its fixtures runs and target_name
from target_comparison import (  # noqa: F401
    NOW,
    PUBLISHED_TABLE_NAMES,
    VARS,
    TestTheSameResultsAsDuckDB,
    refresh_on_duckdb_and,
)
from test_churn_predictions import check_write_table_round_trip

SPARK_CLUSTER = PROJECT_DIR / "scripts" / "spark-cluster"
# every name BI reads in Spark's `published` database
PUBLISHED_NAMES = [*PUBLISHED_TABLE_NAMES, "scorehouse_publication"]


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
def runs(
    spark_cluster: dict[str, str], comparison_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RefreshResult]:
    return refresh_on_duckdb_and(("spark_connect",), comparison_data, tmp_path_factory)


@pytest.fixture(scope="module")
def target_name() -> str:
    return "spark_connect"


def test_write_table_round_trips(spark_cluster: dict[str, str], tmp_path: Path) -> None:
    """DuckDB's case is in tests/test_churn_predictions.py; the first write replaces what a session left."""
    check_write_table_round_trip(target_named("spark_connect", WarehousePaths(tmp_path)))


def test_an_unreachable_spark_connect_server_stops_the_refresh_with_one_sentence_naming_it(
    comparison_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sc://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SCOREHOUSE_SPARK_CONNECT_URL", url)
    with pytest.raises(UserFacingError) as failure:
        refresh_scores(
            data_dir=comparison_data, warehouse_dir=tmp_path / "warehouse", dbt_vars=VARS, now=NOW,
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


def test_a_worker_killed_during_a_refresh_leaves_whole_publications_for_a_reader(
    runs: dict[str, RefreshResult], spark_cluster: dict[str, str], comparison_data: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Spark re-runs the lost tasks on the other worker and the refresh publishes, or it stops with one
    sentence and BI reads the publication before, whole; then the next refresh, with the worker back,
    publishes. Either way a reader reads beside the publish that happens."""
    paths = WarehousePaths(tmp_path / "warehouse")
    target = target_named("spark_connect", paths)
    before = target.call(published_digests, target)
    assert published_as_of_dates(target) == {COMPARISON_END_DATE}
    # a month earlier: a refresh whose outputs differ from those published
    earlier = {**VARS, "as_of_date": date(2025, 11, 30).isoformat()}
    reader = ReaderDuringPublish(monkeypatch)

    done, killed = threading.Event(), []
    killer = threading.Thread(target=kill_a_worker_once_the_build_runs, args=(paths, spark_cluster, done, killed))
    killer.start()
    try:
        refresh_scores(data_dir=comparison_data, warehouse_dir=paths.directory, dbt_vars=earlier, now=NOW,
                       target_name="spark_connect")
        completed = True
    except UserFacingError as failure:
        assert "\n" not in str(failure)
        completed = False
    finally:
        done.set()
        killer.join()
    assert killed, "the refresh ended before its build reached the intermediate models"
    if not completed:
        assert reader.swapped == []
        assert target.call(published_digests, target) == before
        subprocess.run([str(SPARK_CLUSTER), "start"], env=spark_cluster, check=True)  # the worker back
        refresh_scores(data_dir=comparison_data, warehouse_dir=paths.directory, dbt_vars=earlier, now=NOW,
                       target_name="spark_connect")

    after = target.call(published_digests, target)
    assert published_as_of_dates(target) == {date(2025, 11, 30)}
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
