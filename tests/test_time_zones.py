"""Time is explicit: timestamps with an offset, and Parquet timestamps with a time zone, stage as the same
UTC values whatever the machine's time zone; text without an offset is UTC. Amounts written with more than
6 decimals, as text or as a Parquet decimal, are quarantined rather than rounded.

Each time zone gets a load and a staging build in a child process of its own, with TZ set before Python,
DuckDB or dbt read it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from scorehouse.warehouse_targets import WarehousePaths

TIME_ZONES = ("UTC", "Europe/Berlin")
LOADED_AT = datetime(2026, 2, 1)

ORDERS_CSV = """order_id,customer_id,ordered_at,status,amount
O1,C1,2026-01-01T22:00:00-05:00,completed,10.00
O2,C1,2026-01-01T22:00:00Z,completed,10.00
O3,C1,2026-01-01 22:00:00+05:30,completed,10.00
O4,C1,2026-01-01 22:00:00,completed,10.00
O5,C2,2026-01-10 12:00:00,completed,19.1234567
O6,C2,2026-01-10 12:00:00,completed,19.1234560
"""
# an order placed at 22:00 in New York is on the next day in UTC
EXPECTED_ORDERS = [
    ("O1", datetime(2026, 1, 2, 3, 0), None),
    ("O2", datetime(2026, 1, 1, 22, 0), None),
    ("O3", datetime(2026, 1, 1, 16, 30), None),
    ("O4", datetime(2026, 1, 1, 22, 0), None),
    ("O5", datetime(2026, 1, 10, 12, 0), "amount with more than 6 decimals"),
    ("O6", datetime(2026, 1, 10, 12, 0), None),
]
# customers from Parquet with a time zone (one in summer time), events from Parquet without one (UTC)
EXPECTED_CUSTOMERS = [("C1", datetime(2025, 1, 1, 23, 0)), ("C2", datetime(2025, 7, 1, 10, 0))]
EXPECTED_EVENTS = [("C1", datetime(2025, 12, 31, 23, 30), None), ("C2", datetime(2025, 7, 1, 12, 0), None)]

# Loads and stages the files, in a process whose TZ is the test's.
LOAD_AND_STAGE = """
import logging, sys
from datetime import datetime
from pathlib import Path
from scorehouse.contract import check_data_dir
from scorehouse.dbt_runner import run_dbt
from scorehouse.duckdb_target import DuckDBTarget
from scorehouse.loading import load_raw_tables
from scorehouse.warehouse_targets import WarehousePaths

data_dir, warehouse_dir, loaded_at = sys.argv[1:]
target = DuckDBTarget(WarehousePaths(Path(warehouse_dir)))
load_raw_tables(target.paths.working, check_data_dir(Path(data_dir)), datetime.fromisoformat(loaded_at))
run_dbt(
    ["build", "--select", "+stg_shop__quarantined_rows", "+stg_shop__orders", "--indirect-selection", "cautious"],
    target.dbt_environment(),
    {"as_of_date": "2026-01-31"},
    logging.getLogger("time_zones"),
    target_dir=target.paths.dbt_target,
)
"""


def write_inputs(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "orders.csv").write_text(ORDERS_CSV)
    with duckdb.connect() as connection:
        connection.execute(
            "copy (select * from (values "
            "('C1', timestamptz '2025-01-02 00:00:00+01:00', 'DE'), "
            "('C2', timestamptz '2025-07-01 12:00:00+02:00', 'DE')"
            ") as customers(customer_id, created_at, country)) "
            f"to '{data_dir / 'customers.parquet'}' (format parquet)"
        )
        connection.execute(
            "copy (select * from (values "
            "('C1', timestamp '2025-12-31 23:30:00', 'page_view'), "
            "('C2', timestamp '2025-07-01 12:00:00', 'page_view')"
            ") as events(customer_id, occurred_at, event_type)) "
            f"to '{data_dir / 'events.parquet'}' (format parquet)"
        )
        # a Parquet decimal with 8 decimals: typed as it is delivered, its seventh decimal still counts
        connection.execute(
            "copy (select * from (values "
            "('O1', 'P1', 'books', 1, cast(10.00 as decimal(20, 8))), "
            "('O2', 'P1', 'books', 1, cast(0.0000001 as decimal(20, 8)))"
            ") as order_items(order_id, product_id, category, quantity, unit_price)) "
            f"to '{data_dir / 'order_items.parquet'}' (format parquet)"
        )
    with duckdb.connect() as connection:
        column_types = connection.execute(
            f"select column_name, column_type from (describe select * from '{data_dir / 'customers.parquet'}')"
        ).fetchall()
    assert ("created_at", "TIMESTAMP WITH TIME ZONE") in column_types


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, WarehousePaths]:
    """The same files loaded and staged once per machine time zone."""
    folder = tmp_path_factory.mktemp("time_zones")
    write_inputs(folder / "data")
    script = folder / "load_and_stage.py"
    script.write_text(LOAD_AND_STAGE)
    built = {}
    for time_zone in TIME_ZONES:
        paths = WarehousePaths(folder / time_zone.replace("/", "_"))
        paths.directory.mkdir()
        subprocess.run(
            [sys.executable, str(script), str(folder / "data"), str(paths.directory), LOADED_AT.isoformat()],
            env={**os.environ, "TZ": time_zone},
            check=True,
        )
        built[time_zone] = paths
    return built


def query(paths: WarehousePaths, sql: str) -> list[tuple]:
    """Reads staged values in the test's own process: naive timestamps, which no session zone shifts."""
    with duckdb.connect(str(paths.working), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.mark.parametrize("time_zone", TIME_ZONES)
def test_offsets_are_converted_to_utc_whatever_the_machine_zone(
    warehouses: dict[str, WarehousePaths], time_zone: str
) -> None:
    warehouse = warehouses[time_zone]
    assert query(
        warehouse,
        "select order_id, ordered_at, quarantine_reason from staging.stg_shop__orders_checked order by order_id",
    ) == EXPECTED_ORDERS
    assert query(warehouse, "select customer_id, created_at from staging.stg_shop__customers order by 1") == (
        EXPECTED_CUSTOMERS
    )
    assert query(
        warehouse, "select customer_id, occurred_at, quarantine_reason from staging.stg_shop__events_checked order by 1"
    ) == EXPECTED_EVENTS
    # the order placed at 22:00 in New York on New Year's Day counts on 2 January
    assert query(warehouse, "select order_id, ordered_date from staging.stg_shop__orders where order_id = 'O1'") == [
        ("O1", date(2026, 1, 2))
    ]


def test_amounts_with_more_than_6_decimals_are_quarantined_with_their_reason(
    warehouses: dict[str, WarehousePaths],
) -> None:
    assert query(
        warehouses["UTC"],
        "select source_table, record_key, quarantine_reason from staging.stg_shop__quarantined_rows "
        "where quarantine_reason like '%decimals' order by source_table, record_key",
    ) == [
        ("order_items", "O2", "unit_price with more than 6 decimals"),
        ("orders", "O5", "amount with more than 6 decimals"),
    ]
    # a trailing zero rounds nothing away: O6's seventh decimal is 0
    assert query(warehouses["UTC"], "select amount from staging.stg_shop__orders where order_id = 'O6'") == [
        (Decimal("19.123456"),)
    ]
