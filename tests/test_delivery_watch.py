"""Refreshing as data lands (`scorehouse serve --watch`): when a refresh starts, poll by poll, without a
warehouse; and a delivery dropped into a watched directory reaching the published tables on its own."""

from __future__ import annotations

import copy
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import KNOWN_ANSWER_DIR, KNOWN_ANSWER_VARS
from scorehouse.cli import build_parser, dbt_var_overrides, watching_if_asked
from scorehouse.contract import ContractError
from scorehouse.delivery_watch import DeliveryWatcher, delivery_files
from scorehouse.orchestration import STEP_LOGGER
from scorehouse.schedule import refresh_deployment
from scorehouse.scoring_flow import RefreshAlreadyRunning, refresh_lock, refresh_running
from scorehouse.warehouse_targets import WarehousePaths

CUSTOMERS_HEADER = "customer_id,created_at,email,country,birth_year,gender,acquisition_channel\n"
ADDED_CUSTOMERS = Path(__file__).parent / "fixtures" / "score_history" / "added_customers.csv"
# Generous: the refreshes run the whole dbt project, and a busy 2-core machine may take minutes for each.
PUBLICATION_DEADLINE_SECONDS = 900
CHECK_INTERVAL_SECONDS = 0.5
# how long a thread may take to reach the lock on a busy machine
LOCK_DEADLINE_SECONDS = 120


class RecordingRefresh:
    """Stands in for the refresh: records the delivery files each call saw, and runs `during` inside the
    call, as if it happened while the refresh ran."""

    def __init__(self, data_dir: Path, during: Callable[[int], None] | None = None) -> None:
        self.data_dir = data_dir
        self.during = during
        self.seen: list[set[str]] = []

    def __call__(self) -> None:
        self.seen.append({Path(file.path).name for file in delivery_files(self.data_dir)})
        if self.during is not None:
            self.during(len(self.seen))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    return directory


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "refresh.lock"


@pytest.fixture
def watch_log(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.LogCaptureFixture]:
    """The watcher's log lines, caught at its own logger: a `scorehouse` command earlier in the session may
    have stopped the `scorehouse` loggers from propagating to the root logger that caplog listens on."""
    watch_logger = logging.getLogger("scorehouse.watch")
    monkeypatch.setattr(watch_logger, "propagate", False)
    watch_logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="scorehouse.watch")
    try:
        yield caplog
    finally:
        watch_logger.removeHandler(caplog.handler)


def test_a_file_is_read_once_it_is_unchanged_between_two_polls(data_dir: Path, lock_path: Path) -> None:
    refresh = RecordingRefresh(data_dir)
    watcher = DeliveryWatcher(data_dir, lock_path, refresh)
    assert not watcher.poll(), "an empty directory was refreshed"

    customers = data_dir / "customers.csv"
    customers.write_text(CUSTOMERS_HEADER)
    assert not watcher.poll(), "a file was read the first time it was seen"
    with customers.open("a") as still_written:
        still_written.write("C01,2024-01-01 09:00:00,c01@example.com,DE,1980,female,organic\n")
    assert not watcher.poll(), "a file that grew since the previous poll was read"
    assert watcher.poll()
    assert refresh.seen == [{"customers.csv"}]
    assert not watcher.poll(), "the same files were refreshed twice"

    # changed in place: same size, later modification time; the loader reloads it, so it is a delivery too
    status = customers.stat()
    os.utime(customers, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    assert not watcher.poll()
    assert watcher.poll()
    assert len(refresh.seen) == 2

    # a file written under a name the contract does not read is no delivery until it is renamed
    partial = data_dir / "orders.csv.part"
    partial.write_text("order_id,customer_id,ordered_at,status,amount\n")
    assert not watcher.poll()
    assert not watcher.poll(), "a file the refresh would not read triggered one"
    partial.rename(data_dir / "orders.csv")
    assert not watcher.poll()
    assert watcher.poll()
    assert refresh.seen[-1] == {"customers.csv", "orders.csv"}

    # a file taken away: the loader reloads everything without it
    (data_dir / "orders.csv").unlink()
    assert not watcher.poll()
    assert watcher.poll()
    assert refresh.seen == [{"customers.csv"}, {"customers.csv"}, {"customers.csv", "orders.csv"}, {"customers.csv"}]


def test_files_landing_during_a_refresh_make_one_refresh_after_it(data_dir: Path, lock_path: Path) -> None:
    (data_dir / "orders").mkdir()

    def deliver_three_files_during_the_first_refresh(call: int) -> None:
        if call == 1:
            for day in ("02", "03", "04"):
                (data_dir / "orders" / f"2025-07-{day}.csv").write_text("order_id\n")

    refresh = RecordingRefresh(data_dir, during=deliver_three_files_during_the_first_refresh)
    watcher = DeliveryWatcher(data_dir, lock_path, refresh)
    (data_dir / "orders" / "2025-07-01.csv").write_text("order_id\n")
    polls = [watcher.poll() for _ in range(6)]
    assert polls == [False, True, False, True, False, False]
    assert refresh.seen == [
        {"2025-07-01.csv"},
        {"2025-07-01.csv", "2025-07-02.csv", "2025-07-03.csv", "2025-07-04.csv"},
    ]


def test_no_refresh_starts_while_another_holds_the_warehouse_lock(
    data_dir: Path, lock_path: Path, watch_log: pytest.LogCaptureFixture
) -> None:
    refresh = RecordingRefresh(data_dir)
    watcher = DeliveryWatcher(data_dir, lock_path, refresh)
    # the lock a refresh holds from its start to its end, as the schedule's runs (other processes) take it
    with refresh_lock(lock_path):
        for name in ("customers.csv", "orders.csv"):
            (data_dir / name).write_text("id\n")
            assert not watcher.poll()
        assert [watcher.poll() for _ in range(3)] == [False, False, False]
        assert refresh.seen == []
    assert watcher.poll()
    assert watcher.poll() is False
    assert refresh.seen == [{"customers.csv", "orders.csv"}]
    waiting = [record for record in watch_log.records if "refresh that is running" in record.getMessage()]
    assert len(waiting) == 1, "the wait was not logged, or logged at every poll"


def test_a_failed_refresh_is_logged_and_the_watch_goes_on(
    data_dir: Path, lock_path: Path, watch_log: pytest.LogCaptureFixture
) -> None:
    failures: list[Exception] = [
        ContractError(f"{data_dir}/orders.csv: required column 'amount' is missing."),
        KeyError("a defect"),
    ]
    calls: list[int] = []

    def failing_refresh() -> None:
        calls.append(len(calls))
        if failures:
            raise failures.pop(0)

    watcher = DeliveryWatcher(data_dir, lock_path, failing_refresh)
    orders = data_dir / "orders.csv"
    orders.write_text("order_id\n")
    assert [watcher.poll() for _ in range(3)] == [False, True, False], "a refused delivery was refreshed again"
    [bad_data] = [record for record in watch_log.records if record.levelno == logging.ERROR]
    assert bad_data.getMessage() == f"the refresh failed: {data_dir}/orders.csv: required column 'amount' is missing."
    assert bad_data.exc_info is None, "bad data was logged with a traceback"

    orders.write_text("order_id,amount\n")
    assert [watcher.poll() for _ in range(2)] == [False, True]
    defect = [record for record in watch_log.records if record.levelno == logging.ERROR][-1]
    assert defect.exc_info is not None, "a defect was logged without its traceback"

    orders.write_text("order_id,customer_id,amount\n")
    assert [watcher.poll() for _ in range(2)] == [False, True]
    assert calls == [0, 1, 2]


def test_a_served_refresh_waits_for_the_running_one_where_a_command_is_refused(
    lock_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    order: list[str] = []
    waiting = threading.Event()

    class WaitNotice(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "starting when it has finished" in record.getMessage():
                waiting.set()

    def served_refresh() -> None:
        with refresh_lock(lock_path, wait=True):
            order.append("served refresh started")

    caplog.set_level(logging.INFO, logger=STEP_LOGGER.name)
    notice = WaitNotice()
    STEP_LOGGER.addHandler(notice)
    try:
        with refresh_lock(lock_path):
            with pytest.raises(RefreshAlreadyRunning), refresh_lock(lock_path):
                pass
            served = threading.Thread(target=served_refresh)
            served.start()
            assert waiting.wait(LOCK_DEADLINE_SECONDS), "the served refresh did not wait for the lock"
            order.append("running refresh ended")
        served.join(LOCK_DEADLINE_SECONDS)
    finally:
        STEP_LOGGER.removeHandler(notice)
    assert order == ["running refresh ended", "served refresh started"]


def published_customers(published: Path, copy: Path) -> set[str]:
    """The customers BI sees now; none while nothing is published. Read from a copy: the refresh runs in
    this process, and a DuckDB connection here would share its open database instead of acting as BI does,
    from a process of its own. The published file is only ever replaced whole, so a copy is a consistent one."""
    try:
        shutil.copyfile(published, copy)
    except FileNotFoundError:
        return set()
    with duckdb.connect(str(copy), read_only=True) as connection:
        rows = connection.execute("select customer_id from marts.dim_customer_segments").fetchall()
    return {customer_id for (customer_id,) in rows}


def wait_for_customers(published: Path, expected: set[str]) -> None:
    deadline = time.monotonic() + PUBLICATION_DEADLINE_SECONDS
    copy = published.parent.parent / "published_copy.duckdb"
    while (seen := published_customers(published, copy)) != expected:
        assert time.monotonic() < deadline, f"published after {PUBLICATION_DEADLINE_SECONDS} s: {sorted(seen)}"
        time.sleep(CHECK_INTERVAL_SECONDS)


def test_a_delivery_dropped_into_a_watched_directory_is_published_without_a_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # serve's console log configures the scorehouse logger (print_step_log); the worker's later tests must
    # find it as it was, propagating to the root logger their log captures listen on
    scorehouse_logger = logging.getLogger("scorehouse")
    for attribute in ("handlers", "level", "propagate"):
        monkeypatch.setattr(scorehouse_logger, attribute, copy.copy(getattr(scorehouse_logger, attribute)))
    data_dir = tmp_path / "data"
    shutil.copytree(KNOWN_ANSWER_DIR, data_dir, ignore=shutil.ignore_patterns("*.md", "customers.csv"))
    # customers as a folder, so a new file of customers is appended to the load rather than reloaded with it
    (data_dir / "customers").mkdir()
    shutil.copy(KNOWN_ANSWER_DIR / "customers.csv", data_dir / "customers" / "2025-06-30.csv")
    warehouse_dir = tmp_path / "warehouse"
    arguments = [
        "serve", "--data-dir", str(data_dir), "--warehouse-dir", str(warehouse_dir), "--watch", "1",
        *[option for name, value in KNOWN_ANSWER_VARS.items() for option in ("--var", f"{name}={value}")],
    ]
    args = build_parser().parse_args(arguments)
    deployment = refresh_deployment(
        args.name, args.data_dir, args.warehouse_dir, dbt_var_overrides(args), args.cron, args.timezone, args.target
    )
    published = warehouse_dir / "published.duckdb"
    known_customers = {f"C{number:02d}" for number in range(1, 12)}

    with watching_if_asked(args, deployment.parameters) as watch_thread:
        # the files present when watching starts are refreshed first
        wait_for_customers(published, known_customers)
        added = CUSTOMERS_HEADER + next(
            line for line in ADDED_CUSTOMERS.read_text().splitlines() if line.startswith("C12,")
        ) + "\n"
        (data_dir / "customers" / "2025-07-01.csv").write_text(added)
        wait_for_customers(published, known_customers | {"C12"})
        # the refresh records itself after publishing; leaving the watch would stop it
        deadline = time.monotonic() + PUBLICATION_DEADLINE_SECONDS
        while refresh_running(WarehousePaths(warehouse_dir).lock):
            assert time.monotonic() < deadline, "the refresh did not finish"
            time.sleep(CHECK_INTERVAL_SECONDS)
    watch_thread.join(PUBLICATION_DEADLINE_SECONDS)
    assert not watch_thread.is_alive()

    with duckdb.connect(str(warehouse_dir / "run_log.duckdb"), read_only=True) as run_log:
        assert run_log.execute("select status from main.run_log order by started_at").fetchall() == [
            ("published",), ("published",)
        ]
    with duckdb.connect(str(warehouse_dir / "scorehouse.duckdb"), read_only=True) as warehouse:
        loads = warehouse.execute(
            "select count(distinct loaded_at), count(*) from raw._loaded_files where entity = 'customers'"
        ).fetchone()
    assert loads == (2, 2), "the new file was not appended to the first load (incremental refresh)"
