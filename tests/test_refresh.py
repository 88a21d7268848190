"""Write-audit-publish: what BI reads changes only when a whole refresh passes every check."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from scorehouse import dbt_runner, demo_data
from scorehouse.contract import ContractError
from scorehouse.dbt_runner import DbtFailed
from scorehouse.run_log import read_runs
from scorehouse.scoring_flow import (
    GateFailed,
    RefreshAlreadyRunning,
    RefreshResult,
    WarehousePaths,
    refresh_lock,
    refresh_scores,
)
from scorehouse.warehouse_connection import MEMORY_LIMIT_VARIABLE, WarehouseOutOfMemory

END_DATE = date(2025, 12, 31)
NOW = datetime(2026, 1, 1, 6, 0, 0)
VARS = {"as_of_date": END_DATE.isoformat()}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_fingerprint(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute("select fingerprint from main.scorehouse_publication").fetchone()[0]


@pytest.fixture(scope="module")
def good_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("refresh") / "data"
    demo_data.generate(data_dir, customers=1_000, seed=3, end_date=END_DATE, file_format="csv")
    return data_dir


@pytest.fixture(scope="module")
def first_run(good_data: Path, tmp_path_factory: pytest.TempPathFactory) -> RefreshResult:
    return refresh_scores(
        data_dir=good_data, warehouse_dir=tmp_path_factory.mktemp("published"), dbt_vars=VARS, now=NOW
    )


@pytest.fixture
def warehouse_copy(first_run: RefreshResult, tmp_path: Path) -> WarehousePaths:
    """A private copy of the first run's warehouse directory, for tests that run again on top of it."""
    shutil.copytree(first_run.paths.directory, tmp_path / "warehouse")
    return WarehousePaths(tmp_path / "warehouse")


@pytest.fixture
def data_copy(good_data: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(good_data, tmp_path / "data"))


def test_a_good_run_publishes_the_bi_tables(first_run: RefreshResult) -> None:
    assert first_run.publication.is_new
    with duckdb.connect(str(first_run.paths.published), read_only=True) as connection:
        persons = connection.execute("select count(*) from marts.dim_customer_segments").fetchone()[0]
        merged = connection.execute(
            "select count(*) from marts.dim_customer_identities where not is_survivor"
        ).fetchone()[0]
        segments = connection.execute("select count(*) from marts.fct_segment_summary").fetchone()[0]
    # the generator's second accounts are scored with the customer whose email they share
    assert persons + merged == first_run.staged_row_counts["customers"] == 1_000
    assert 0 < merged < 30
    assert segments == 12
    [run] = read_runs(first_run.paths.run_log)
    assert run["status"] == "published" and run["failed_check"] is None
    assert run["raw_rows"] == sum(first_run.raw_row_counts.values())
    assert run["published_rows"] == sum(first_run.publication.row_counts.values())
    assert (first_run.paths.data_docs / "delivery" / "index.html").exists()


def test_an_identical_second_run_changes_nothing_but_the_run_log(
    warehouse_copy: WarehousePaths, good_data: Path
) -> None:
    before = digest(warehouse_copy.published)
    # what a publish killed before its rename leaves behind
    unfinished_copy = warehouse_copy.directory / f".{warehouse_copy.published.name}.0123abcd.tmp"
    unfinished_copy.write_bytes(b"half a copy")
    unfinished_copy.with_name(unfinished_copy.name + ".wal").write_bytes(b"")
    second = refresh_scores(data_dir=good_data, warehouse_dir=warehouse_copy.directory, dbt_vars=VARS, now=NOW)
    assert not second.publication.is_new
    assert digest(warehouse_copy.published) == before
    assert [run["status"] for run in read_runs(warehouse_copy.run_log)] == ["published", "unchanged"]
    assert not list(warehouse_copy.directory.glob("*.tmp*"))


def test_a_refresh_parses_once_builds_twice_rebuilds_nothing_without_news_and_starts_no_prefect_server(
    first_run: RefreshResult, warehouse_copy: WarehousePaths, good_data: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refresh parses the project (which validates the vars) and runs two builds, before the model fits and
    after, all in this process on one parse; a refresh of another warehouse in the same process, with the
    same vars, runs on that parse too. A refresh with no new rows and the settings of the last run, which
    published, runs no dbt command at all. Without PREFECT_API_URL, no Prefect server is started."""
    from dbt.cli.main import dbtRunner
    from prefect.server.api.server import SubprocessASGIServer

    def refuse_to_start(server: SubprocessASGIServer, *arguments: object, **options: object) -> None:
        raise AssertionError("a refresh without PREFECT_API_URL started a Prefect server")

    monkeypatch.setattr(SubprocessASGIServer, "start", refuse_to_start)
    invoked: list[str] = []
    invoke = dbtRunner.invoke

    def counted_invoke(runner: dbtRunner, arguments: list[str], **options: object) -> object:
        invoked.append(arguments[0])
        return invoke(runner, arguments, **options)

    monkeypatch.setattr(dbtRunner, "invoke", counted_invoke)
    monkeypatch.setattr(dbt_runner, "parses", {})
    before = digest(warehouse_copy.published)
    unchanged = refresh_scores(data_dir=good_data, warehouse_dir=warehouse_copy.directory, dbt_vars=VARS, now=NOW)
    assert invoked == []
    assert not unchanged.publication.is_new and digest(warehouse_copy.published) == before
    assert unchanged.segment_summary == first_run.segment_summary

    refresh_scores(
        data_dir=good_data, warehouse_dir=warehouse_copy.directory, dbt_vars=VARS, now=NOW, full_refresh=True
    )
    assert invoked == ["parse", "build", "build"]

    invoked.clear()
    another = refresh_scores(data_dir=good_data, warehouse_dir=tmp_path / "another", dbt_vars=VARS, now=NOW)
    assert invoked == ["build", "build"]
    assert another.publication.is_new
    statuses = [run["status"] for run in read_runs(warehouse_copy.run_log)]
    assert statuses == ["published", "unchanged", "unchanged"]


def append_order(data_dir: Path, row: str) -> None:
    with (data_dir / "orders.csv").open("a") as orders:
        orders.write(row + "\n")


def first_order_row(data_dir: Path) -> str:
    return (data_dir / "orders.csv").read_text().splitlines()[1]


BAD_DATA_CASES = {
    "duplicate_orders": (
        lambda data: append_order(data, first_order_row(data)), GateFailed, "1 row with duplicate order_id"
    ),
    "null_ids": (
        lambda data: append_order(data, '"O9999999999",,"2025-12-30 10:00:00","completed",10.00'),
        GateFailed,
        "customer_id",
    ),
    "negative_amounts": (
        lambda data: append_order(data, '"O9999999999","C00000001","2025-12-30 10:00:00","completed",-10.00'),
        GateFailed,
        "amount",
    ),
    "orders_for_unknown_customers": (
        lambda data: append_order(data, '"O9999999999","C99999999","2025-12-30 10:00:00","completed",10.00'),
        GateFailed,
        "with unknown customer_id",
    ),
    "missing_column": (
        lambda data: (data / "customers.csv").write_text(
            "\n".join(line.split(",", 1)[0] for line in (data / "customers.csv").read_text().splitlines()) + "\n"
        ),
        ContractError,
        "required column 'created_at' is missing",
    ),
    "empty_file": (lambda data: (data / "orders.csv").write_text(""), ContractError, "orders.csv: the file is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA_CASES))
def test_bad_data_fails_before_publishing(
    case: str, warehouse_copy: WarehousePaths, data_copy: Path
) -> None:
    break_data, error_type, named_check = BAD_DATA_CASES[case]
    break_data(data_copy)
    before = digest(warehouse_copy.published)

    with pytest.raises(error_type, match=named_check):
        refresh_scores(data_dir=data_copy, warehouse_dir=warehouse_copy.directory, dbt_vars=VARS, now=NOW)

    assert digest(warehouse_copy.published) == before
    last_run = read_runs(warehouse_copy.run_log)[-1]
    assert last_run["status"] == "failed" and last_run["published_rows"] is None
    assert named_check in last_run["message"]


def test_a_refused_delivery_stays_refused_until_its_files_change(
    warehouse_copy: WarehousePaths, data_copy: Path
) -> None:
    """The load commits before the gate runs: a run that reloads nothing must still not publish the rows
    the last gate refused, whether it is run again as it was or with a full refresh. Each time the gate
    counts exactly the rows staging quarantined for the check."""
    append_order(data_copy, '"O9999999999","C00000001","2025-12-30 10:00:00","completed",1000000000000000.00')
    before = digest(warehouse_copy.published)
    for full_refresh in (False, False, True):
        with pytest.raises(GateFailed, match=r"amount") as refused:
            refresh_scores(
                data_dir=data_copy, warehouse_dir=warehouse_copy.directory, dbt_vars=VARS, now=NOW,
                full_refresh=full_refresh,
            )
        assert digest(warehouse_copy.published) == before
        with duckdb.connect(str(warehouse_copy.working), read_only=True) as connection:
            quarantined = connection.execute(
                "select source_table, record_key, quarantine_reason from staging.stg_shop__quarantined_rows"
            ).fetchall()
        [failure] = refused.value.result.failures
        assert quarantined == [("orders", "O9999999999", "amount above max_order_amount")]
        assert failure.observed_value == 1 and failure.example_keys == ["O9999999999"]
    assert [run["status"] for run in read_runs(warehouse_copy.run_log)] == ["published"] + ["failed"] * 3


def test_a_segment_outside_its_share_band_stops_the_publication_and_the_history(
    warehouse_copy: WarehousePaths, good_data: Path
) -> None:
    """dbt's test of the bands fails the build; the history, built in the same build after the tests of the
    published marts, records nothing for the refused as-of date."""
    refused_date = END_DATE - timedelta(days=1)
    before = digest(warehouse_copy.published)
    with pytest.raises(DbtFailed, match="segment_shares_within_bands"):
        refresh_scores(
            data_dir=good_data, warehouse_dir=warehouse_copy.directory, now=NOW,
            dbt_vars={"as_of_date": refused_date.isoformat(), "segment_share_bands": {"champions": [0.9, 1.0]}},
        )
    assert digest(warehouse_copy.published) == before
    with duckdb.connect(str(warehouse_copy.working), read_only=True) as connection:
        recorded_dates = connection.execute(
            "select distinct as_of_date from history.fct_customer_score_history"
        ).fetchall()
    assert recorded_dates == [(END_DATE,)]


def test_stale_data_fails_the_freshness_check(warehouse_copy: WarehousePaths, good_data: Path) -> None:
    # scored as of five days after the newest orders: they are more than the 48 h SLA before that
    later = timedelta(days=5)
    before = digest(warehouse_copy.published)
    with pytest.raises(GateFailed, match="the moment this run scores as of"):
        refresh_scores(
            data_dir=good_data, warehouse_dir=warehouse_copy.directory,
            dbt_vars={"as_of_date": (END_DATE + later).isoformat()}, now=NOW + later,
        )
    assert digest(warehouse_copy.published) == before
    assert "expect_column_max_to_be_between" in read_runs(warehouse_copy.run_log)[-1]["failed_check"]


def test_a_second_refresh_of_the_same_warehouse_is_refused(warehouse_copy: WarehousePaths, good_data: Path) -> None:
    with refresh_lock(warehouse_copy.lock):
        with pytest.raises(RefreshAlreadyRunning, match="another refresh"):
            refresh_scores(data_dir=good_data, warehouse_dir=warehouse_copy.directory, dbt_vars=VARS, now=NOW)


READER = """
import sys, time
from pathlib import Path
import duckdb

published, log, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
query = "select fingerprint, (select count(*) from marts.dim_customer_segments) from main.scorehouse_publication"
with duckdb.connect(str(published), read_only=True) as connection, log.open("w") as out:
    while not stop.exists():
        out.write("during %s %s\\n" % connection.execute(query).fetchone())
        out.flush()
        time.sleep(0.05)
with duckdb.connect(str(published), read_only=True) as connection, log.open("a") as out:
    out.write("after %s %s\\n" % connection.execute(query).fetchone())
"""


def test_a_reader_keeps_answering_during_a_refresh_and_sees_new_data_after_reconnecting(
    warehouse_copy: WarehousePaths, good_data: Path, tmp_path: Path
) -> None:
    old_fingerprint = published_fingerprint(warehouse_copy.published)
    with duckdb.connect(str(warehouse_copy.published), read_only=True) as connection:
        persons = connection.execute("select count(*) from marts.dim_customer_segments").fetchone()[0]
    log, stop = tmp_path / "reader.log", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse_copy.published), str(log), str(stop)])
    try:
        while not log.exists() or not log.read_text():
            time.sleep(0.05)
        # a day later the scores change, so this run publishes a new file
        later = {"as_of_date": (END_DATE + timedelta(days=1)).isoformat()}
        result = refresh_scores(data_dir=good_data, warehouse_dir=warehouse_copy.directory, dbt_vars=later, now=NOW)
        stop.touch()
        assert reader.wait(timeout=60) == 0
    finally:
        reader.kill()
    assert result.publication.is_new
    lines = log.read_text().splitlines()
    during = [line for line in lines if line.startswith("during")]
    assert len(during) > 20
    assert all(line == f"during {old_fingerprint} {persons}" for line in during)
    assert lines[-1] == f"after {result.publication.fingerprint} {persons}"


# Lines of `scorehouse run`'s log at which a refresh is killed: right after the load committed, in the
# middle of the first build, after the churn fit, and once the history is built, as publishing starts.
KILL_POINTS = (
    "raw rows in duckdb",
    "START sql table model",
    "churn model version",
    "build_scores finished after",
)


def kill_refresh_at(log_line: str, data_dir: Path, warehouse: WarehousePaths) -> None:
    """Starts `scorehouse run` and kills its whole process group (dbt included, as an out-of-memory killer
    or a host reboot would) when its log shows `log_line`."""
    refresh = subprocess.Popen(
        [
            Path(sys.executable).with_name("scorehouse"), "run",
            "--data-dir", str(data_dir), "--warehouse-dir", str(warehouse.directory),
            "--as-of-date", END_DATE.isoformat(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its own process group: the kill takes dbt down with it, as a crash would
    )
    assert refresh.stdout is not None
    output = []
    for line in refresh.stdout:
        output.append(line)
        if log_line in line:
            os.killpg(refresh.pid, signal.SIGKILL)
            break
    refresh.wait(timeout=60)
    assert refresh.returncode == -signal.SIGKILL, "".join(output[-30:])


def test_a_refresh_killed_at_any_moment_leaves_the_publication_and_the_next_refresh_intact(
    warehouse_copy: WarehousePaths, good_data: Path
) -> None:
    before = digest(warehouse_copy.published)
    for log_line in KILL_POINTS:
        kill_refresh_at(log_line, good_data, warehouse_copy)
        assert digest(warehouse_copy.published) == before, log_line

    again = refresh_scores(data_dir=good_data, warehouse_dir=warehouse_copy.directory, dbt_vars=VARS, now=NOW)
    assert not again.publication.is_new  # what the uninterrupted first run published, for the same data
    runs = read_runs(warehouse_copy.run_log)
    assert [run["status"] for run in runs] == ["published", *["interrupted"] * len(KILL_POINTS), "unchanged"]
    assert all(run["finished_at"] is None and "stopped before it finished" in run["message"] for run in runs[1:-1])
    assert not list(warehouse_copy.directory.glob("*.tmp*"))


def run_command_line(data_dir: Path, warehouse: WarehousePaths) -> subprocess.CompletedProcess[str]:
    """`scorehouse run` as a user types it, its standard error and output in one stream, in the order written."""
    return subprocess.run(
        [
            Path(sys.executable).with_name("scorehouse"), "run", "--data-dir", str(data_dir),
            "--warehouse-dir", str(warehouse.directory), "--as-of-date", END_DATE.isoformat(),
        ],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_the_command_line_ends_a_good_run_with_its_summary(warehouse_copy: WarehousePaths, good_data: Path) -> None:
    # run long after the data: freshness is measured from the end of the as-of date, not the wall clock
    finished = run_command_line(good_data, warehouse_copy)
    assert finished.returncode == 0, finished.stdout[-3000:]
    lines = finished.stdout.splitlines()
    assert lines[-1] == "Per segment at send time: marts.fct_campaign_segment_results"
    assert "Traceback" not in finished.stdout and "leaked" not in finished.stdout


def test_the_command_line_ends_bad_data_with_one_sentence_and_no_traceback(
    warehouse_copy: WarehousePaths, data_copy: Path
) -> None:
    append_order(data_copy, '"O9999999999","C00000001","2025-12-30 10:00:00","completed",1000000000000000.00')
    finished = run_command_line(data_copy, warehouse_copy)
    assert finished.returncode == 1, finished.stdout[-3000:]
    assert finished.stdout.splitlines()[-1] == (
        "scorehouse: orders: 1 row with amount above max_order_amount (O9999999999); fix the file, or set "
        "raw_row_defect_tolerance (now 0) to the share of such rows to quarantine instead of stopping"
    )
    assert "Traceback" not in finished.stdout and "leaked" not in finished.stdout


def test_a_warehouse_out_of_memory_names_the_memory_cap_to_raise(
    warehouse_copy: WarehousePaths, good_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's own advice names SQL settings (`SET memory_limit`), which a refresh gives the user no way to
    run; the setting the user controls is the cap's variable."""
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "4MB")
    before = digest(warehouse_copy.published)

    with pytest.raises(WarehouseOutOfMemory) as failure:
        refresh_scores(
            data_dir=good_data, warehouse_dir=warehouse_copy.directory, dbt_vars=VARS, now=NOW, full_refresh=True
        )

    message = str(failure.value)
    assert "\n" not in message and "Possible solutions" not in message
    assert message.startswith("The DuckDB warehouse ran out of memory")
    assert f"under its cap of 4MB: set {MEMORY_LIMIT_VARIABLE} higher" in message
    assert digest(warehouse_copy.published) == before
    assert read_runs(warehouse_copy.run_log)[-1]["message"] == message


LOCK_HOLDER = """
import sys, time
import duckdb

with duckdb.connect(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_warehouse_locked_for_a_moment_is_retried(warehouse_copy: WarehousePaths, good_data: Path) -> None:
    """Another process writing the working warehouse when the refresh starts is a transient failure."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(warehouse_copy.working), "8"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = refresh_scores(data_dir=good_data, warehouse_dir=warehouse_copy.directory, dbt_vars=VARS, now=NOW)
    finally:
        holder.wait(timeout=30)
    assert not result.publication.is_new
    assert read_runs(warehouse_copy.run_log)[-1]["status"] == "unchanged"
