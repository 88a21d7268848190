"""The Great Expectations delivery gate on small warehouses built here with DuckDB SQL (no dbt run): the
relations it reads as dbt leaves them (raw tables, staged orders, staging's quarantine) and the shipped
row_checks seed.

The gate runs once on a good delivery, where every expectation must pass, and once on a delivery breaking
all of them at the same time (empty inputs get a run of their own), where each must fail with the observed
value that proves it looked.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from scorehouse.dbt_runner import PROJECT_DIR
from scorehouse.duckdb_target import DuckDBTarget
from scorehouse.quality_gates import (
    ExpectationOutcome,
    GateResult,
    GateSettings,
    check_delivery,
    failure_sentences,
    scored_as_of,
)
from scorehouse.warehouse_targets import WarehousePaths

NOW = datetime(2025, 7, 3, 11, 0, 0)  # naive UTC; the run's clock and the load time of this delivery
EARLIER_LOAD = datetime(2025, 7, 1, 0, 0, 0)
NEWEST_GOOD_ORDER = "2025-07-01 11:00:00"  # exactly the 48 h SLA before NOW
SETTINGS = GateSettings(freshness_sla_hours=48, raw_row_defect_tolerance=0)
ROW_CHECKS_SEED = PROJECT_DIR / "seeds" / "row_checks.csv"

GOOD_ORDER_TIMES = ["2025-06-01 10:00:00", "2025-06-15 10:00:00", NEWEST_GOOD_ORDER]
# (source_table, source_file, source_row_number, record_key, quarantine_reason, loaded_at)
QuarantinedRow = tuple[str, str, int, str | None, str, datetime]
# a good delivery may still quarantine rows: for checks that only quarantine, or in an earlier load
GOOD_QUARANTINE: list[QuarantinedRow] = [
    ("orders", "orders.csv", 4, "O4", "invalid ordered_at", NOW),
    ("orders", "orders.csv", 5, "O1", "older version of order_id", NOW),
    ("customers", "customers.csv", 3, "C9", "created_at in the future", NOW),
    ("orders", "orders_june.csv", 7, "O0", "amount above max_order_amount", EARLIER_LOAD),
]
BAD_QUARANTINE: list[QuarantinedRow] = [
    ("orders", "orders.csv", 2, "O1", "duplicate order_id", NOW),
    ("orders", "orders.csv", 4, "O2", "duplicate order_id", NOW),
    ("orders", "orders.csv", 6, None, "missing order_id", NOW),
    ("orders", "orders.csv", 7, "O4", "missing customer_id", NOW),
    ("orders", "orders.csv", 8, "O5", "missing ordered_at", NOW),
    ("orders", "orders.csv", 9, "O6", "missing amount", NOW),
    ("orders", "orders.csv", 10, "O7", "missing status", NOW),
    ("orders", "orders.csv", 11, "O8", "negative amount", NOW),
    ("orders", "orders.csv", 12, "O9", "amount above max_order_amount", NOW),
    ("orders", "orders.csv", 13, "O10", "unknown customer_id", NOW),
    ("customers", "customers.csv", 4, None, "missing customer_id", NOW),
    ("customers", "customers.csv", 5, "C3", "missing created_at", NOW),
    *GOOD_QUARANTINE,
]


def create_table(connection: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[tuple]) -> None:
    connection.execute(f"create schema if not exists {table.split('.')[0]}")
    connection.execute(f"create table {table} ({', '.join(f'{name} {kind}' for name, kind in columns.items())})")
    if rows:
        connection.executemany(f"insert into {table} values ({', '.join('?' for _ in columns)})", rows)


def build_warehouse(
    path: Path,
    quarantined: list[QuarantinedRow],
    staged_order_times: list[str],
    raw_rows: dict[str, dict[datetime, int]] | None = None,
) -> DuckDBTarget:
    """The duckdb target of a warehouse holding what the gate reads: `raw_rows` (input -> load time ->
    rows; by default three orders and two customers of this load), the staged orders' times, staging's
    quarantined rows and the shipped row_checks seed."""
    raw_rows = raw_rows if raw_rows is not None else {"orders": {NOW: 3}, "customers": {NOW: 2}}
    with duckdb.connect(str(path)) as connection:
        for source_table, loads in raw_rows.items():
            rows = [(loaded_at,) for loaded_at, count in loads.items() for _ in range(count)]
            create_table(connection, f"raw.{source_table}", {"_loaded_at": "timestamp"}, rows)
        create_table(
            connection, "staging.stg_shop__orders", {"ordered_at": "timestamp"},
            [(datetime.fromisoformat(ordered_at),) for ordered_at in staged_order_times],
        )
        create_table(
            connection,
            "staging.stg_shop__quarantined_rows",
            {
                "source_table": "varchar", "source_file": "varchar", "source_row_number": "bigint",
                "record_key": "varchar", "quarantine_reason": "varchar", "loaded_at": "timestamp",
            },
            quarantined,
        )
        connection.execute("create schema reference")
        connection.execute(f"create table reference.row_checks as select * from read_csv('{ROW_CHECKS_SEED}')")
    return DuckDBTarget(WarehousePaths(path.parent))


def shipped_row_checks() -> list[tuple[str, str, str]]:
    with duckdb.connect() as connection:
        return connection.execute(
            f"select source_table, quarantine_reason, on_failure from read_csv('{ROW_CHECKS_SEED}')"
        ).fetchall()


def stop_checks() -> set[tuple[str, str]]:
    return {(table, reason) for table, reason, on_failure in shipped_row_checks() if on_failure == "stop"}


def outcome(result: GateResult, table: str, about: str = "") -> ExpectationOutcome:
    """The one outcome on `table` whose description contains `about`."""
    matches = [
        candidate
        for candidate in result.expectations
        if candidate.table == table and about in (candidate.description or "")
    ]
    assert len(matches) == 1, [candidate.description for candidate in result.expectations]
    return matches[0]


def row_check(result: GateResult, source_table: str, reason: str) -> ExpectationOutcome:
    return outcome(result, f"staging.stg_shop__quarantined_rows ({source_table})", f"quarantined for {reason}")


def freshness(result: GateResult) -> ExpectationOutcome:
    return outcome(result, "staging.stg_shop__orders")


@pytest.fixture(scope="module")
def good_delivery(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    folder = tmp_path_factory.mktemp("good_delivery")
    target = build_warehouse(folder / "scorehouse.duckdb", GOOD_QUARANTINE, GOOD_ORDER_TIMES)
    # An aware clock two hours ahead of UTC: the newest order is exactly at the SLA only once converted.
    clock = NOW.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    return check_delivery(target, clock, NOW, SETTINGS, data_docs_folder=folder / "docs")


@pytest.fixture(scope="module")
def bad_delivery(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    folder = tmp_path_factory.mktemp("bad_delivery")
    target = build_warehouse(folder / "scorehouse.duckdb", BAD_QUARANTINE, ["2025-05-06 10:00:00"])
    return check_delivery(target, NOW, NOW, SETTINGS)


def test_the_shipped_policy_stops_on_the_defects_that_make_scores_wrong() -> None:
    assert stop_checks() == {
        *(
            ("orders", reason)
            for reason in (
                "duplicate order_id", "missing order_id", "missing customer_id", "missing ordered_at",
                "missing amount", "missing status", "negative amount", "amount above max_order_amount",
                "unknown customer_id",
            )
        ),
        ("customers", "missing customer_id"),
        ("customers", "missing created_at"),
    }


def test_every_reason_staging_writes_has_one_policy() -> None:
    """The reasons written in the staging models (and the version reasons they pass to older_versions) are
    exactly the seed's rows, each once."""
    written = set()
    for model in (PROJECT_DIR / "models" / "staging" / "shop").glob("stg_shop__*_checked.sql"):
        source_table = model.stem.removeprefix("stg_shop__").removesuffix("_checked")
        sql = model.read_text()
        reasons = re.findall(r"then '([^']+)'", sql)
        reasons += [
            reason
            for arguments in re.findall(r"older_versions\(([^)]*)\)", sql)
            for reason in re.findall(r"'([^']+)'", arguments)[2:]
        ]
        written |= {(source_table, reason) for reason in reasons}
    seed = [(table, reason) for table, reason, _ in shipped_row_checks()]
    assert len(seed) == len(set(seed))
    assert set(seed) == written


def test_a_good_delivery_passes_every_check(good_delivery: GateResult) -> None:
    assert good_delivery.success and good_delivery.failures == []
    assert len(good_delivery.expectations) == 3 + len(stop_checks())
    assert all(checked.error is None and checked.observed_value is not None for checked in good_delivery.expectations)
    assert outcome(good_delivery, "raw.orders").observed_value == 3
    assert freshness(good_delivery).observed_value == datetime.fromisoformat(NEWEST_GOOD_ORDER)


def test_every_stop_check_counts_the_rows_of_this_load_quarantined_for_it(bad_delivery: GateResult) -> None:
    """Rows quarantined for a check that only quarantines, and rows of an earlier load, stop nothing."""
    failed = {
        (checked.subject, checked.description.rsplit("quarantined for ", 1)[1]): checked.observed_value
        for checked in bad_delivery.failures
        if checked.expectation_type == "expect_no_offending_rows"
    }
    assert failed == {
        **{check: 1 for check in stop_checks()},
        ("orders", "duplicate order_id"): 2,
    }
    assert all(checked.error is None for checked in bad_delivery.expectations)


def test_a_stop_check_set_to_quarantine_lets_its_rows_through(tmp_path: Path) -> None:
    """The policy decides, not the defect: the same quarantined rows pass once every check only quarantines."""
    target = build_warehouse(tmp_path / "scorehouse.duckdb", BAD_QUARANTINE, GOOD_ORDER_TIMES)
    with duckdb.connect(str(target.paths.working)) as connection:
        connection.execute("update reference.row_checks set on_failure = 'quarantine'")
    result = check_delivery(target, NOW, NOW, SETTINGS)
    assert result.success, result.failures
    assert [checked.table for checked in result.expectations] == [
        "raw.orders", "raw.customers", "staging.stg_shop__orders"
    ]


@pytest.mark.parametrize(("tolerance", "passes"), [(0.25, True), (0.2, False)])
def test_row_defect_tolerance_is_a_share_of_this_loads_rows(tmp_path: Path, tolerance: float, passes: bool) -> None:
    """One of the four orders of this load has an unknown customer: 25 %. The six orders of the earlier load
    do not dilute it."""
    quarantined = [("orders", "orders.csv", 2, "O9", "unknown customer_id", NOW)]
    target = build_warehouse(
        tmp_path / "scorehouse.duckdb", quarantined, GOOD_ORDER_TIMES,
        raw_rows={"orders": {EARLIER_LOAD: 6, NOW: 4}, "customers": {NOW: 2}},
    )
    result = check_delivery(target, NOW, NOW, GateSettings(freshness_sla_hours=48, raw_row_defect_tolerance=tolerance))
    unknown_customers = row_check(result, "orders", "unknown customer_id")
    assert unknown_customers.observed_value == 1 and unknown_customers.success is passes
    assert result.success is passes


def test_stale_orders_fail_freshness_with_the_newest_timestamp(bad_delivery: GateResult) -> None:
    stale = freshness(bad_delivery)
    assert not stale.success and stale.observed_value == datetime(2025, 5, 6, 10, 0)


@pytest.mark.parametrize(
    ("as_of_date", "is_fresh"),
    [
        # scored as of the end of 2025-07-01: the newest order before it, at 11:00 that day, is 13 h old
        (date(2025, 7, 1), True),
        # as of the end of 2025-06-30 only orders before it count: the newest, on 2025-06-15, is 15 days old
        (date(2025, 6, 30), False),
        # as of a date after the run's clock, freshness is measured from the clock (48 h, within the SLA)
        (date(2025, 7, 10), True),
    ],
)
def test_freshness_is_measured_from_the_moment_the_run_scores_as_of(
    tmp_path: Path, as_of_date: date, is_fresh: bool
) -> None:
    # a run years after the data: the wall clock alone would call every as-of date stale
    later_clock = NOW + timedelta(days=3 * 365)
    target = build_warehouse(tmp_path / "scorehouse.duckdb", [], GOOD_ORDER_TIMES)
    clock = later_clock if as_of_date < NOW.date() else NOW
    result = check_delivery(target, scored_as_of(clock, as_of_date), NOW, SETTINGS)
    assert freshness(result).success is is_fresh
    assert result.success is is_fresh


def test_scored_as_of_is_the_end_of_a_past_as_of_date_else_the_clock() -> None:
    assert scored_as_of(NOW, date(2025, 7, 1)) == datetime(2025, 7, 2)
    assert scored_as_of(NOW, date(2025, 7, 3)) == NOW
    assert scored_as_of(NOW, None) == NOW


TOLERANCE_ADVICE = (
    "fix the file, or set raw_row_defect_tolerance (now 0) to the share of such rows to quarantine instead of stopping"
)


def test_every_failed_check_reads_as_one_sentence_naming_rows_keys_and_the_fix(bad_delivery: GateResult) -> None:
    assert sorted(failure_sentences(bad_delivery)) == sorted([
        f"orders: 2 rows with duplicate order_id (O1, O2); {TOLERANCE_ADVICE}",
        f"orders: 1 row with missing order_id (orders.csv row 6); {TOLERANCE_ADVICE}",
        f"orders: 1 row with missing customer_id (O4); {TOLERANCE_ADVICE}",
        f"orders: 1 row with missing ordered_at (O5); {TOLERANCE_ADVICE}",
        f"orders: 1 row with missing amount (O6); {TOLERANCE_ADVICE}",
        f"orders: 1 row with missing status (O7); {TOLERANCE_ADVICE}",
        f"orders: 1 row with negative amount (O8); {TOLERANCE_ADVICE}",
        f"orders: 1 row with amount above max_order_amount (O9); {TOLERANCE_ADVICE}",
        f"orders: 1 row with unknown customer_id (O10); {TOLERANCE_ADVICE}",
        "orders: the newest order, of 2025-05-06 10:00, is more than 48 h (freshness_sla_hours) before "
        "2025-07-03 11:00, the moment this run scores as of; deliver the missing orders, score an earlier "
        "--as-of-date, or raise freshness_sla_hours",
        f"customers: 1 row with missing customer_id (customers.csv row 4); {TOLERANCE_ADVICE}",
        f"customers: 1 row with missing created_at (C3); {TOLERANCE_ADVICE}",
    ])


def test_empty_inputs_are_named_once_each(tmp_path: Path) -> None:
    target = build_warehouse(tmp_path / "scorehouse.duckdb", [], [], raw_rows={"orders": {}, "customers": {}})
    result = check_delivery(target, NOW, NOW, SETTINGS)
    assert outcome(result, "raw.orders").observed_value == 0
    assert not freshness(result).success and "no value" in freshness(result).error
    assert failure_sentences(result) == [
        "orders: no order was delivered; put the orders file(s) in the data directory",
        "customers: no customer was delivered; put the customers file(s) in the data directory",
    ]


def test_a_check_that_cannot_be_computed_fails_with_the_error(tmp_path: Path) -> None:
    target = build_warehouse(tmp_path / "scorehouse.duckdb", [], GOOD_ORDER_TIMES)
    with duckdb.connect(str(target.paths.working)) as connection:
        connection.execute("drop table staging.stg_shop__orders")
    result = check_delivery(target, NOW, NOW, SETTINGS)
    assert [checked.table for checked in result.failures] == ["staging.stg_shop__orders"]
    assert "stg_shop__orders" in freshness(result).error
    assert failure_sentences(result)[0].startswith(
        "orders: the check that the newest order before 2025-07-03 11:00 is at most 48 h older than that could "
        "not be computed ("
    )


def test_warehouse_can_be_written_right_after_a_gate(tmp_path: Path) -> None:
    target = build_warehouse(tmp_path / "scorehouse.duckdb", GOOD_QUARANTINE, GOOD_ORDER_TIMES)
    check_delivery(target, NOW, NOW, SETTINGS)
    # DuckDB refuses a writer while any connection of this process still holds the file read-only.
    with duckdb.connect(str(target.paths.working)) as connection:
        connection.execute("create table raw.written_after_gate as select 1 as one")


def test_missing_warehouse_is_named(tmp_path: Path) -> None:
    with pytest.raises(duckdb.IOException, match="does not exist"):
        check_delivery(DuckDBTarget(WarehousePaths(tmp_path / "nothing")), NOW, NOW, SETTINGS)


def test_data_docs_are_written(good_delivery: GateResult) -> None:
    result = good_delivery
    assert result.data_docs_index is not None and result.data_docs_index.parent.name == "delivery"
    site = result.data_docs_index.parent
    pages = {page.name: page for page in (site / "validations").rglob("*.html")}
    assert set(pages) == {f"warehouse-{checked.table}.html" for checked in result.expectations}
    index = result.data_docs_index.read_text()
    assert all(quote(page.relative_to(site).as_posix()) in index for page in pages.values())
    for checked in result.expectations:
        assert checked.description in html.unescape(pages[f"warehouse-{checked.table}.html"].read_text())
