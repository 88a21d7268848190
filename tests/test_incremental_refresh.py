"""An incremental refresh (new files appended, only their rows and the customers they touch rebuilt) gives
exactly the outputs of a full refresh on the same files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from scorehouse import demo_data
from scorehouse.scoring_flow import HISTORY_MODEL, RefreshResult, refresh_scores
from scorehouse.warehouse_targets import PUBLISHED_TABLES

pytestmark = pytest.mark.usefixtures("prefect_server")

END_DATE = date(2025, 12, 31)
# the first delivery holds what happened before this instant, the second what came after, plus late rows
CUTOFF = "2025-12-01 00:00:00"
FIRST_RUN = {"as_of_date": "2025-11-30", "now": datetime(2025, 12, 1, 0, 0, 0)}
SECOND_RUN = {"as_of_date": END_DATE.isoformat(), "now": datetime(2026, 1, 1, 0, 0, 0)}
# the generator's defects are 0.1 % of orders each; staging quarantines them
FLOAT_TOLERANCE = 1e-12
RUN_VARS = {"raw_row_defect_tolerance": 0.01}
# Columns that count the warehouse's fits: the incremental warehouse's second run fits new versions (of the
# same models as the full warehouse's first).
RUN_COUNTING_COLUMNS = {
    "marts.fct_customer_churn_predictions": "churn_model_version",
    "marts.fct_customer_value_predictions": "model_version",
}


def split_deliveries(generated: Path, data_dir: Path) -> dict[str, str]:
    """Writes the generated files as two deliveries, part-1 (before CUTOFF) and part-2 (the rest), with the
    cases an incremental build must get right moved into part-2:
    - a customer who already ordered in part-1 arrives only in part-2 (part-1 quarantines their orders as
      from an unknown customer; the second run must stage them);
    - an item of a part-2 order is delivered in part-1 (unknown order at first);
    - a part-1 order, its customer's only order, comes again in part-2 as refunded (the newer version
      wins, and the customer is left with no purchase);
    - part-1 orders arrive late, in part-2, dated weeks before the cutoff.
    Returns the ids of the first three cases.
    """
    cutoff = f"timestamp '{CUTOFF}'"
    late_customer = "(select min(customer_id) from orders where ordered_at < {c} and status = 'completed')"
    with duckdb.connect() as connection:
        for name in ("customers", "orders", "order_items", "events", "nps_responses"):
            connection.execute(f"create view {name} as select * from read_parquet('{generated / f'{name}.parquet'}')")
        connection.execute(f"create table late_customer as select {late_customer.format(c=cutoff)} as customer_id")
        connection.execute(
            f"""create table late_orders as
            select order_id from orders
            where ordered_at between {cutoff} - interval 40 day and {cutoff} - interval 20 day
                and customer_id <> (select customer_id from late_customer)
            order by order_id limit 5"""
        )
        connection.execute(
            f"""create table refunded_order as
            select * replace ('refunded' as status) from orders
            where ordered_at < {cutoff} - interval 60 day and status = 'completed'
                and order_id not in (select order_id from late_orders)
                and customer_id <> (select customer_id from late_customer)
                and customer_id in (select customer_id from orders group by customer_id having count(*) = 1)
            order by order_id limit 1"""
        )
        connection.execute(
            f"""create table early_item as
            select order_id from orders where ordered_at >= {cutoff} and customer_id is not null
            order by order_id limit 1"""
        )
        in_first = {
            "customers": f"created_at < {cutoff} and customer_id <> (select customer_id from late_customer)",
            "orders": f"ordered_at < {cutoff} and order_id not in (select order_id from late_orders)",
            "order_items": f"""(order_id in (select order_id from orders where ordered_at < {cutoff})
                and order_id not in (select order_id from late_orders))
                or order_id in (select order_id from early_item)""",
            "events": f"occurred_at < {cutoff}",
            "nps_responses": f"responded_at < {cutoff}",
        }
        for name, condition in in_first.items():
            (data_dir / name).mkdir(parents=True)
            connection.execute(f"copy (select * from {name} where {condition}) to '{data_dir / name / 'part-1.parquet'}'")
            second = f"select * from {name} where not coalesce({condition}, false)"
            if name == "orders":
                second += " union all select * from refunded_order"
            connection.execute(f"copy ({second}) to '{data_dir / name / 'part-2.parquet'}'")
        return {
            name: connection.execute(f"select * from {name}").fetchone()[0]
            for name in ("late_customer", "early_item", "refunded_order")
        }


def refresh(data_dir: Path, warehouse_dir: Path, run: dict, full_refresh: bool = False) -> RefreshResult:
    return refresh_scores(
        data_dir=data_dir,
        warehouse_dir=warehouse_dir,
        dbt_vars={**RUN_VARS, "as_of_date": run["as_of_date"]},
        now=run["now"],
        full_refresh=full_refresh,
    )


def tables_built_from_history(result: RefreshResult) -> set[str]:
    """Published tables downstream of the score history, which records each run's as-of date and so
    differs between a warehouse refreshed twice and one refreshed once."""
    manifest = json.loads((result.paths.dbt_target / "manifest.json").read_text())
    history_id = next(node for node in manifest["nodes"] if node.endswith(f".{HISTORY_MODEL}"))
    descendants, frontier = set(), [history_id]
    while frontier:
        for child in manifest["child_map"][frontier.pop()]:
            if child not in descendants:
                descendants.add(child)
                frontier.append(child)
    return {f"marts.{node.split('.')[-1]}" for node in descendants}


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return sorted(connection.execute(sql).fetchall(), key=repr)


@dataclass(frozen=True)
class Refreshes:
    incremental: RefreshResult  # the first delivery refreshed, then both deliveries incrementally
    full: RefreshResult  # both deliveries refreshed at once
    first_run_working: Path  # the incremental warehouse as its first run left it
    cases: dict[str, str]  # ids of the cases split_deliveries planted


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory: pytest.TempPathFactory) -> Refreshes:
    root = tmp_path_factory.mktemp("incremental")
    demo_data.generate(root / "generated", customers=1_500, seed=5, end_date=END_DATE, with_defects=True)
    data_dir = root / "data"
    cases = split_deliveries(root / "generated", data_dir)
    second_delivery = {path: root / "held_back" / path.parent.name for path in data_dir.glob("*/part-2.parquet")}
    for path, held_back in second_delivery.items():
        held_back.mkdir(parents=True)
        path.rename(held_back / path.name)

    first = refresh(data_dir, root / "incremental", FIRST_RUN)
    first_run_working = root / "first_run.duckdb"
    first_run_working.write_bytes(first.paths.working.read_bytes())
    for path, held_back in second_delivery.items():
        (held_back / path.name).rename(path)
    incremental = refresh(data_dir, root / "incremental", SECOND_RUN)
    full = refresh(data_dir, root / "full", SECOND_RUN)
    return Refreshes(incremental, full, first_run_working, cases)


def test_the_second_run_was_incremental(refreshes: Refreshes) -> None:
    checked_at = "select count(distinct checked_at) from staging.stg_shop__orders_checked"
    # the incremental warehouse kept the first run's verdicts on the rows it did not recheck
    assert rows(refreshes.incremental.paths.working, checked_at) == [(2,)]
    assert rows(refreshes.full.paths.working, checked_at) == [(1,)]


def test_the_cases_of_the_second_delivery_were_applied(refreshes: Refreshes) -> None:
    first, incremental, cases = refreshes.first_run_working, refreshes.incremental.paths.working, refreshes.cases
    late_customer_orders = (
        "select distinct quarantine_reason from staging.stg_shop__orders_checked "
        f"where customer_id = '{cases['late_customer']}' and quarantine_reason is distinct from 'duplicate order_id'"
    )
    assert rows(first, late_customer_orders) == [("unknown customer_id",)]
    assert rows(incremental, late_customer_orders) == [(None,)]
    early_item = f"select quarantine_reason from staging.stg_shop__order_items_checked where order_id = '{cases['early_item']}'"
    assert {reason for (reason,) in rows(first, early_item)} == {"unknown order_id"}
    assert {reason for (reason,) in rows(incremental, early_item)} == {None}
    refunded = (
        "select status, quarantine_reason from staging.stg_shop__orders_checked "
        f"where order_id = '{cases['refunded_order']}'"
    )
    assert rows(first, refunded) == [("completed", None)]
    assert rows(incremental, refunded) == [("completed", "duplicate order_id"), ("refunded", None)]
    refunded_customer_categories = (
        "select count(*) from intermediate.int_customer_categories_summarized where customer_id = "
        f"(select customer_id from staging.stg_shop__orders where order_id = '{cases['refunded_order']}')"
    )
    assert rows(first, refunded_customer_categories)[0][0] > 0
    assert rows(incremental, refunded_customer_categories) == [(0,)]


def test_incremental_refresh_equals_full_refresh(refreshes: Refreshes) -> None:
    incremental, full = refreshes.incremental, refreshes.full
    compared = sorted(set(PUBLISHED_TABLES) - tables_built_from_history(full))
    assert "marts.dim_customer_segments" in compared
    for table in compared:
        select = f"select * exclude ({RUN_COUNTING_COLUMNS[table]})" if table in RUN_COUNTING_COLUMNS else "select *"
        incremental_rows = rows(incremental.paths.published, f"{select} from {table}")
        full_rows = rows(full.paths.published, f"{select} from {table}")
        assert incremental_rows and len(incremental_rows) == len(full_rows), table
        for incremental_row, full_row in zip(incremental_rows, full_rows):
            # a mean of doubles (the fairness audit's) may differ in its last bits with the summation order
            assert incremental_row == pytest.approx(full_row, rel=FLOAT_TOLERANCE, abs=FLOAT_TOLERANCE), table
    categories = "select * from intermediate.int_customer_categories_summarized"
    assert rows(incremental.paths.working, categories) == rows(full.paths.working, categories)
    quarantine = (
        "select source_table, source_file, source_row_number, record_key, quarantine_reason "
        "from staging.stg_shop__quarantined_rows"
    )
    assert rows(incremental.paths.working, quarantine) == rows(full.paths.working, quarantine)
    assert incremental.staged_row_counts == full.staged_row_counts
