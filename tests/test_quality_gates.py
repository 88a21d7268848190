"""The Great Expectations raw gate on small warehouses built here with DuckDB SQL (no dbt run).

The gate runs once on good data, where every expectation must pass, and once on data breaking all of
them at the same time (empty tables get a run of their own), where each must fail with the observed value
that proves it looked.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scorehouse.duckdb_target import DuckDBTarget
from scorehouse.quality_gates import (
    ExpectationOutcome,
    GateResult,
    GateSettings,
    check_raw,
    failure_sentences,
    scored_as_of,
)
from scorehouse.warehouse_targets import WarehousePaths

NOW = datetime(2025, 7, 3, 11, 0, 0)  # naive UTC
NEWEST_GOOD_ORDER = "2025-07-01 11:00:00"  # exactly the 48 h SLA before NOW
SETTINGS = GateSettings(freshness_sla_hours=48, max_order_amount=1000, raw_row_defect_tolerance=0)

ORDER_COLUMNS = ("order_id", "customer_id", "ordered_at", "amount", "status")
GOOD_ORDERS = [
    ("O1", "C1", "2025-06-01 10:00:00", "10.00", "completed"),
    ("O2", "C2", "2025-06-15 10:00:00", "0", "cancelled"),
    ("O3", "C1", NEWEST_GOOD_ORDER, "1000", "completed"),
]
GOOD_CUSTOMERS = [("C1", "2025-01-01 09:00:00"), ("C2", "2025-02-01 09:00:00")]
BAD_ORDERS = [
    ("O1", "C1", "2025-05-01 10:00:00", "10.00", "completed"),
    ("O1", "C1", "2025-05-01 10:00:00", "10.00", "refunded"),  # the same order twice
    ("O2", "C2", "2025-05-02 10:00:00", "20.00", "completed"),
    ("O2", "C3", "2025-05-02 10:00:00", "20.00", "completed"),  # one order, two customers
    (None, "C1", "2025-05-03 10:00:00", "5.00", "completed"),
    ("O4", " ", "2025-05-03 10:00:00", "5.00", "completed"),  # a blank id is a missing one
    ("O5", "C1", None, "5.00", "completed"),
    ("O6", "C1", "2025-05-04 10:00:00", None, "completed"),
    ("O7", "C1", "2025-05-04 10:00:00", "7.00", None),
    ("O8", "C1", "2025-05-05 10:00:00", "-5.00", "completed"),
    ("O9", "C2", "2025-05-05 10:00:00", "250000", "completed"),
    ("O10", "C404", "2025-05-06 10:00:00", "12.00", "completed"),  # newest order, unknown customer
]
BAD_CUSTOMERS = [("C1", "2025-01-01"), ("C2", "2025-01-01"), ("C3", None), (None, "2025-01-01")]
def sql_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def create_table(connection: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[tuple]) -> None:
    connection.execute(f"create schema if not exists {table.split('.')[0]}")
    connection.execute(f"create table {table} ({', '.join(f'{name} {kind}' for name, kind in columns.items())})")
    if rows:
        values = ", ".join("(" + ", ".join(sql_value(value) for value in row) + ")" for row in rows)
        connection.execute(f"insert into {table} values {values}")


def on_duckdb(warehouse: Path) -> DuckDBTarget:
    """The duckdb target whose working file is `warehouse` (named scorehouse.duckdb)."""
    return DuckDBTarget(WarehousePaths(warehouse.parent))


def build_raw_warehouse(path: Path, orders: list[tuple], customers: list[tuple]) -> Path:
    """raw.orders and raw.customers as a CSV load leaves them: every column text."""
    with duckdb.connect(str(path)) as connection:
        create_table(connection, "raw.orders", dict.fromkeys(ORDER_COLUMNS, "varchar"), orders)
        create_table(connection, "raw.customers", {"customer_id": "varchar", "created_at": "varchar"}, customers)
    return path


def outcome(
    result: GateResult, table: str, expectation_type: str, column: str | None = None, about: str = ""
) -> ExpectationOutcome:
    """The one outcome of `expectation_type` on `table` (and `column`) whose description contains `about`."""
    matches = [
        candidate
        for candidate in result.expectations
        if candidate.table == table
        and candidate.expectation_type == expectation_type
        and candidate.column == column
        and about in (candidate.description or "")
    ]
    assert len(matches) == 1, [candidate.description for candidate in result.expectations]
    return matches[0]


# (table, expectation type, column, description part) of every raw expectation
RAW_EXPECTATIONS = [
    ("raw.orders", "expect_table_row_count_to_be_between", None, ""),
    ("raw.orders", "expect_column_values_to_be_unique", "order_id", ""),
    ("raw.orders", "expect_no_offending_rows", None, "two customers"),
    *[("raw.orders", "expect_column_values_to_not_be_null", column, "") for column in ORDER_COLUMNS],
    ("raw.orders", "expect_column_values_to_be_between", "amount_number", ""),
    ("raw.orders", "expect_column_max_to_be_between", "ordered_at_scored", ""),
    ("raw.orders", "expect_no_offending_rows", None, "raw.customers"),
    ("raw.customers", "expect_table_row_count_to_be_between", None, ""),
    *[("raw.customers", "expect_column_values_to_not_be_null", column, "") for column in ("customer_id", "created_at")],
]
@pytest.fixture(scope="module")
def raw_good(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    folder = tmp_path_factory.mktemp("raw_good")
    warehouse = build_raw_warehouse(folder / "scorehouse.duckdb", GOOD_ORDERS, GOOD_CUSTOMERS)
    # An aware clock two hours ahead of UTC: the newest order is exactly at the SLA only once converted.
    now = NOW.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    return check_raw(on_duckdb(warehouse), now, SETTINGS, data_docs_folder=folder / "docs")


@pytest.fixture(scope="module")
def raw_bad(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    folder = tmp_path_factory.mktemp("raw_bad")
    warehouse = build_raw_warehouse(folder / "scorehouse.duckdb", BAD_ORDERS, BAD_CUSTOMERS)
    return check_raw(on_duckdb(warehouse), NOW, SETTINGS)


@pytest.mark.parametrize(("table", "expectation_type", "column", "about"), RAW_EXPECTATIONS)
def test_raw_expectation_passes_on_good_data(
    raw_good: GateResult, table: str, expectation_type: str, column: str | None, about: str
) -> None:
    checked = outcome(raw_good, table, expectation_type, column, about)
    assert checked.success and checked.error is None and checked.observed_value is not None


def test_raw_gate_passes_on_good_data_and_checks_nothing_else(raw_good: GateResult) -> None:
    assert raw_good.success and raw_good.failures == []
    assert len(raw_good.expectations) == len(RAW_EXPECTATIONS)
    assert outcome(raw_good, "raw.orders", "expect_table_row_count_to_be_between").observed_value == 3


def test_duplicate_order_id_is_named_and_counted(raw_bad: GateResult) -> None:
    checked = outcome(raw_bad, "raw.orders", "expect_column_values_to_be_unique", "order_id")
    assert not checked.success
    assert checked.observed_value == 4  # O1 twice, O2 twice
    assert sorted(checked.unexpected_examples) == ["O1", "O1", "O2", "O2"]


def test_order_of_two_customers_is_named(raw_bad: GateResult) -> None:
    checked = outcome(raw_bad, "raw.orders", "expect_no_offending_rows", about="two customers")
    assert not checked.success and checked.observed_value == 1
    assert checked.unexpected_examples == [
        {"order_id": "O2", "customer_count": 2, "first_customer_id": "C2", "last_customer_id": "C3"}
    ]


@pytest.mark.parametrize("column", ORDER_COLUMNS)
def test_missing_order_value_is_counted(raw_bad: GateResult, column: str) -> None:
    checked = outcome(raw_bad, "raw.orders", "expect_column_values_to_not_be_null", column)
    assert not checked.success and checked.observed_value == 1 and checked.unexpected_examples == [None]


@pytest.mark.parametrize("column", ["customer_id", "created_at"])
def test_missing_customer_value_is_counted(raw_bad: GateResult, column: str) -> None:
    checked = outcome(raw_bad, "raw.customers", "expect_column_values_to_not_be_null", column)
    assert not checked.success and checked.observed_value == 1


def test_amount_outside_the_plausible_range_is_reported(raw_bad: GateResult) -> None:
    checked = outcome(raw_bad, "raw.orders", "expect_column_values_to_be_between", "amount_number")
    assert not checked.success and checked.observed_value == 2
    assert sorted(checked.unexpected_examples) == [-5.0, 250000.0]


def test_stale_orders_fail_freshness_with_the_newest_timestamp(raw_bad: GateResult) -> None:
    checked = outcome(raw_bad, "raw.orders", "expect_column_max_to_be_between", "ordered_at_scored")
    assert not checked.success and checked.observed_value == datetime(2025, 5, 6, 10, 0)


def test_order_of_unknown_customer_is_named(raw_bad: GateResult) -> None:
    checked = outcome(raw_bad, "raw.orders", "expect_no_offending_rows", about="raw.customers")
    assert not checked.success and checked.observed_value == 1
    assert checked.unexpected_examples == [{"order_id": "O10", "customer_id": "C404"}]


def test_bad_raw_data_fails_the_gate_without_errors(raw_bad: GateResult) -> None:
    assert not raw_bad.success
    assert all(checked.error is None for checked in raw_bad.expectations)
    passing = {(checked.table, checked.expectation_type) for checked in raw_bad.expectations if checked.success}
    assert passing == {
        ("raw.orders", "expect_table_row_count_to_be_between"),
        ("raw.customers", "expect_table_row_count_to_be_between"),
    }


def test_empty_raw_tables_fail_row_counts_and_freshness_reports_no_value(tmp_path: Path) -> None:
    result = check_raw(on_duckdb(build_raw_warehouse(tmp_path / "scorehouse.duckdb", [], [])), NOW, SETTINGS)
    assert not result.success
    for table in ("raw.orders", "raw.customers"):
        checked = outcome(result, table, "expect_table_row_count_to_be_between")
        assert not checked.success and checked.observed_value == 0
    freshness = outcome(result, "raw.orders", "expect_column_max_to_be_between", "ordered_at_scored")
    assert not freshness.success and freshness.observed_value is None and "no value" in freshness.error


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
    warehouse = build_raw_warehouse(tmp_path / "scorehouse.duckdb", GOOD_ORDERS, GOOD_CUSTOMERS)
    clock = later_clock if as_of_date < NOW.date() else NOW
    result = check_raw(on_duckdb(warehouse), scored_as_of(clock, as_of_date), SETTINGS)
    freshness = outcome(result, "raw.orders", "expect_column_max_to_be_between", "ordered_at_scored")
    assert freshness.success is is_fresh
    assert result.success is is_fresh


def test_scored_as_of_is_the_end_of_a_past_as_of_date_else_the_clock() -> None:
    assert scored_as_of(NOW, date(2025, 7, 1)) == datetime(2025, 7, 2)
    assert scored_as_of(NOW, date(2025, 7, 3)) == NOW
    assert scored_as_of(NOW, None) == NOW


def appended_warehouse(path: Path, earlier_orders: list[tuple], appended_orders: list[tuple]) -> Path:
    """raw.orders holding an earlier load's rows and the rows a load at NOW appended (`_loaded_at`)."""
    with duckdb.connect(str(path)) as connection:
        columns = {**dict.fromkeys(ORDER_COLUMNS, "varchar"), "_loaded_at": "timestamp"}
        rows = [(*order, "2025-07-01 00:00:00") for order in earlier_orders]
        rows += [(*order, NOW.isoformat(sep=" ")) for order in appended_orders]
        create_table(connection, "raw.orders", columns, rows)
        create_table(connection, "raw.customers", {"customer_id": "varchar", "created_at": "varchar"}, GOOD_CUSTOMERS)
    return path


def test_after_an_appending_load_the_row_checks_look_at_the_appended_rows_only(tmp_path: Path) -> None:
    # the earlier load let an implausible amount through (it passed its gate with a tolerance, say)
    earlier = [("O1", "C1", "2025-06-01 10:00:00", "250000", "completed")]
    # O1 again is a new version of the order, not a duplicate; O3 is in it twice
    appended = [
        ("O1", "C1", "2025-06-01 10:00:00", "10.00", "refunded"),
        ("O3", "C2", NEWEST_GOOD_ORDER, "20.00", "completed"),
        ("O3", "C2", NEWEST_GOOD_ORDER, "20.00", "completed"),
    ]
    warehouse = appended_warehouse(tmp_path / "scorehouse.duckdb", earlier, appended)
    result = check_raw(on_duckdb(warehouse), NOW, SETTINGS, appended_at=NOW)
    assert [failure.expectation_type for failure in result.failures] == ["expect_column_values_to_be_unique"]
    duplicated = outcome(result, "raw.orders (new files)", "expect_column_values_to_be_unique", "order_id")
    assert duplicated.observed_value == 2 and duplicated.unexpected_examples == ["O3", "O3"]
    amounts = outcome(result, "raw.orders (new files)", "expect_column_values_to_be_between", "amount_number")
    assert amounts.success
    # presence and freshness still count every row
    assert outcome(result, "raw.orders", "expect_table_row_count_to_be_between").observed_value == 4


def test_after_an_appending_load_freshness_counts_the_earlier_rows(tmp_path: Path) -> None:
    earlier = [("O1", "C1", NEWEST_GOOD_ORDER, "10.00", "completed")]
    appended = [("O2", "C2", "2025-05-01 10:00:00", "20.00", "completed")]  # a late order only
    warehouse = appended_warehouse(tmp_path / "scorehouse.duckdb", earlier, appended)
    result = check_raw(on_duckdb(warehouse), NOW, SETTINGS, appended_at=NOW)
    assert result.success, result.failures
    assert (
        outcome(result, "raw.orders (new files)", "expect_column_values_to_not_be_null", "order_id").observed_value
        is not None
    )


def test_an_appending_load_without_orders_checks_only_presence_and_freshness_of_orders(tmp_path: Path) -> None:
    # the earlier load's implausible amount is not checked again; nothing new is there to check
    earlier = [("O1", "C1", NEWEST_GOOD_ORDER, "250000", "completed")]
    warehouse = appended_warehouse(tmp_path / "scorehouse.duckdb", earlier, [])
    result = check_raw(on_duckdb(warehouse), NOW, SETTINGS, appended_at=NOW, has_appended_orders=False)
    assert result.success, result.failures
    assert {outcome.table for outcome in result.expectations} == {"raw.orders", "raw.customers"}
    assert outcome(result, "raw.orders", "expect_table_row_count_to_be_between").observed_value == 1


def test_typed_raw_columns_from_parquet_pass_the_same_gate(tmp_path: Path) -> None:
    warehouse = tmp_path / "scorehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        order_columns = {
            "order_id": "bigint",
            "customer_id": "bigint",
            "ordered_at": "timestamp",
            "amount": "decimal(18, 2)",
            "status": "varchar",
        }
        create_table(connection, "raw.orders", order_columns, [(1, 7, NEWEST_GOOD_ORDER, 12.5, "completed")])
        customer_columns = {"customer_id": "bigint", "created_at": "timestamp"}
        create_table(connection, "raw.customers", customer_columns, [(7, "2025-01-01 00:00:00")])
    result = check_raw(on_duckdb(warehouse), NOW, SETTINGS)
    assert result.success, result.failures


TOLERANCE_ADVICE = (
    "fix the file, or set raw_row_defect_tolerance (now 0) to the share of such rows to quarantine instead of stopping"
)


def test_every_failed_raw_check_reads_as_one_sentence_naming_rows_keys_and_the_fix(raw_bad: GateResult) -> None:
    assert sorted(failure_sentences(raw_bad)) == sorted([
        f"orders: 4 rows repeating an order_id of another row (O1, O2); {TOLERANCE_ADVICE}",
        f"orders: 1 order_id given to two different customers (O2); {TOLERANCE_ADVICE}",
        f"orders: 1 row without order_id; {TOLERANCE_ADVICE}",
        f"orders: 1 row without customer_id (O4); {TOLERANCE_ADVICE}",
        f"orders: 1 row without ordered_at (O5); {TOLERANCE_ADVICE}",
        f"orders: 1 row without amount (O6); {TOLERANCE_ADVICE}",
        f"orders: 1 row without status (O7); {TOLERANCE_ADVICE}",
        "orders: 2 rows with an amount outside 0 to 1000 (O8, O9); raise max_order_amount if such amounts are real, "
        f"else {TOLERANCE_ADVICE}",
        f"orders: 1 row naming a customer_id that no customer row holds (O10); {TOLERANCE_ADVICE}",
        "orders: the newest order, of 2025-05-06 10:00, is more than 48 h (freshness_sla_hours) before "
        "2025-07-03 11:00, the moment this run scores as of; deliver the missing orders, score an earlier "
        "--as-of-date, or raise freshness_sla_hours",
        "customers: 1 row without customer_id; fix the file: every customer needs one",
        "customers: 1 row without created_at (C3); fix the file: every customer needs one",
    ])


def test_empty_inputs_are_named_once_each(tmp_path: Path) -> None:
    result = check_raw(on_duckdb(build_raw_warehouse(tmp_path / "scorehouse.duckdb", [], [])), NOW, SETTINGS)
    assert failure_sentences(result) == [
        "orders: no order was delivered; put the orders file(s) in the data directory",
        "customers: no customer was delivered; put the customers file(s) in the data directory",
    ]


def test_a_missing_column_fails_the_gate_with_the_error(tmp_path: Path) -> None:
    warehouse = tmp_path / "scorehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        columns = {"order_id": "varchar", "customer_id": "varchar", "ordered_at": "varchar", "status": "varchar"}
        create_table(connection, "raw.orders", columns, [("O1", "C1", NEWEST_GOOD_ORDER, "completed")])
        create_table(connection, "raw.customers", {"customer_id": "varchar", "created_at": "varchar"}, GOOD_CUSTOMERS)
    result = check_raw(on_duckdb(warehouse), NOW, SETTINGS)
    assert not result.success
    orders = [checked for checked in result.expectations if checked.table == "raw.orders"]
    assert orders and all(not checked.success and "amount" in checked.error for checked in orders)
    assert all(checked.success for checked in result.expectations if checked.table == "raw.customers")


def test_warehouse_can_be_written_right_after_a_gate(tmp_path: Path) -> None:
    warehouse = build_raw_warehouse(tmp_path / "scorehouse.duckdb", GOOD_ORDERS, GOOD_CUSTOMERS)
    check_raw(on_duckdb(warehouse), NOW, SETTINGS)
    # DuckDB refuses a writer while any connection of this process still holds the file read-only.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create table raw.written_after_gate as select 1 as one")


def test_missing_warehouse_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_raw(on_duckdb(tmp_path / "nothing" / "scorehouse.duckdb"), NOW, SETTINGS)


def test_data_docs_are_written(raw_good: GateResult) -> None:
    result = raw_good
    assert result.data_docs_index is not None and result.data_docs_index.parent.name == "raw"
    site = result.data_docs_index.parent
    pages = {page.name: page for page in (site / "validations").rglob("*.html")}
    assert set(pages) == {f"warehouse-{checked.table}.html" for checked in result.expectations}
    index = result.data_docs_index.read_text()
    assert all(page.relative_to(site).as_posix() in index for page in pages.values())
    for checked in result.expectations:
        assert checked.description in html.unescape(pages[f"warehouse-{checked.table}.html"].read_text())


@pytest.mark.parametrize(("tolerance", "passes"), [(0.3, True), (0.2, False)])
def test_row_defect_tolerance_lets_a_share_of_bad_rows_through(tmp_path: Path, tolerance: float, passes: bool) -> None:
    """One order in four has an unknown customer and one in four a null amount: 25 % each."""
    orders = [*GOOD_ORDERS, ("O9", "C404", "2025-06-20 10:00:00", None, "completed")]
    warehouse = build_raw_warehouse(tmp_path / "scorehouse.duckdb", orders, GOOD_CUSTOMERS)
    settings = GateSettings(freshness_sla_hours=48, max_order_amount=1000, raw_row_defect_tolerance=tolerance)
    result = check_raw(on_duckdb(warehouse), NOW, settings)
    unknown_customers = outcome(result, "raw.orders", "expect_no_offending_rows", about="raw.customers")
    null_amounts = outcome(result, "raw.orders", "expect_column_values_to_not_be_null", "amount")
    assert unknown_customers.observed_value == 1 and null_amounts.observed_value == 1
    assert unknown_customers.success is passes and null_amounts.success is passes
    assert result.success is passes
