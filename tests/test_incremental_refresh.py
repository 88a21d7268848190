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
from scorehouse.scoring_flow import RefreshResult, refresh_scores
from scorehouse.warehouse_targets import PUBLISHED_TABLES

END_DATE = date(2025, 12, 31)
# The first delivery holds what happened before CUTOFF, the third what happened from LAST_DAYS on, the second
# the rest; late rows and new versions of orders move between them.
CUTOFF = "2025-12-01 00:00:00"
LAST_DAYS = "2025-12-18 00:00:00"
FIRST_RUN = {"as_of_date": "2025-11-30", "now": datetime(2025, 12, 1, 0, 0, 0)}
# The as-of date moves, so models at the prediction cutoffs recompute every customer. Without the third
# delivery the newest order is two weeks old: not a stale feed here.
SECOND_RUN = {"as_of_date": END_DATE.isoformat(), "now": datetime(2026, 1, 1, 0, 0, 0),
              "vars": {"freshness_sla_hours": 24 * 21}}
# The same as-of date, hours later (a load's clock must pass the last one's to append): models at the
# prediction cutoffs recompute only the customers the delivery touched.
THIRD_RUN = {"as_of_date": END_DATE.isoformat(), "now": datetime(2026, 1, 1, 6, 0, 0)}
# the generator's defects are 0.1 % of orders each; staging quarantines them
FLOAT_TOLERANCE = 1e-12
RUN_VARS = {"raw_row_defect_tolerance": 0.01}
# Columns that say which fit made a model: the incremental warehouse fits new versions in its later runs
# (of the same models as the full warehouse's one run), or keeps an earlier run's when a refit is identical.
FIT_RUN_COLUMNS = {
    "marts.fct_customer_churn_predictions": "churn_model_version, churn_model_trained_at",
    "marts.fct_customer_value_predictions": "model_version",
    "marts.fct_score_weight_review": "weight_review_version",
}


def split_deliveries(generated: Path, data_dir: Path) -> dict[str, str]:
    """Writes the generated files as three deliveries, part-1 (before CUTOFF), part-3 (from LAST_DAYS on)
    and part-2 (the rest), with the cases an incremental build must get right:
    - a customer who already ordered in part-1 arrives only in part-2 (part-1 quarantines their orders as
      from an unknown customer; the second run must stage them);
    - an item of a part-2 order is delivered in part-1 (unknown order at first);
    - a part-1 order, its customer's only order, comes again in part-2 as refunded (the newer version
      wins, and the customer is left with no purchase); in part-3 the same happens to a part-2 order;
    - orders dated weeks before the cutoff arrive late, in part-2, and orders dated weeks before LAST_DAYS
      late, in part-3.
    Returns the ids of the late customer, the early item and the two refunded orders.
    """
    cutoff, last_days = f"timestamp '{CUTOFF}'", f"timestamp '{LAST_DAYS}'"
    late_customer = "(select min(customer_id) from orders where ordered_at < {c} and status = 'completed')"
    with duckdb.connect() as connection:
        for name in ("customers", "orders", "order_items", "events", "nps_responses"):
            connection.execute(f"create view {name} as select * from read_parquet('{generated / f'{name}.parquet'}')")
        connection.execute(f"create table late_customer as select {late_customer.format(c=cutoff)} as customer_id")
        connection.execute(
            f"""create table late_orders as
            select order_id, {cutoff} as delivered_from from orders
            where ordered_at between {cutoff} - interval 40 day and {cutoff} - interval 20 day
                and customer_id <> (select customer_id from late_customer)
            order by order_id limit 5"""
        )
        connection.execute(
            f"""insert into late_orders
            select order_id, {last_days} from orders
            where ordered_at between {last_days} - interval 40 day and {last_days} - interval 20 day
                and customer_id <> (select customer_id from late_customer)
                and order_id not in (select order_id from late_orders)
            order by order_id limit 5"""
        )
        connection.execute(
            f"""create table early_item as
            select order_id from orders
            where ordered_at >= {cutoff} and ordered_at < {last_days} and customer_id is not null
            order by order_id limit 1"""
        )
        # a new version of a customer's only completed order, refunded, delivered after the order
        for refunded_order, placed_between in (
            ("refunded_order", f"timestamp '2000-01-01' and {cutoff} - interval 60 day"),
            ("refunded_order_in_third", f"{cutoff} and {last_days} - interval 1 day"),
        ):
            connection.execute(
                f"""create table {refunded_order} as
                select * replace ('refunded' as status) from orders
                where ordered_at between {placed_between} and status = 'completed'
                    and order_id not in (select order_id from late_orders union all select order_id from early_item)
                    and customer_id <> (select customer_id from late_customer)
                    and customer_id in (
                        select customer_id from orders where status = 'completed'
                        group by customer_id having count(*) = 1
                    )
                order by order_id limit 1"""
            )
        orders_in_first = f"""ordered_at < {cutoff} and order_id not in (select order_id from late_orders)"""
        orders_in_third = f"""(ordered_at >= {last_days} and order_id not in (select order_id from late_orders))
            or order_id in (select order_id from late_orders where delivered_from = {last_days})"""
        # table: (rows of part-1, rows of part-3); part-2 holds the others
        parts = {
            "customers": (
                f"created_at < {cutoff} and customer_id <> (select customer_id from late_customer)",
                f"created_at >= {last_days}",
            ),
            "orders": (orders_in_first, orders_in_third),
            "order_items": (
                f"order_id in (select order_id from orders where {orders_in_first}) "
                "or order_id in (select order_id from early_item)",
                f"order_id in (select order_id from orders where {orders_in_third})",
            ),
            "events": (f"occurred_at < {cutoff}", f"occurred_at >= {last_days}"),
            "nps_responses": (f"responded_at < {cutoff}", f"responded_at >= {last_days}"),
        }
        for name, (in_first, in_third) in parts.items():
            (data_dir / name).mkdir(parents=True)
            in_first, in_third = f"coalesce({in_first}, false)", f"coalesce({in_third}, false)"
            deliveries = {
                "part-1": f"select * from {name} where {in_first}",
                "part-2": f"select * from {name} where not {in_first} and not {in_third}",
                "part-3": f"select * from {name} where not {in_first} and {in_third}",
            }
            if name == "orders":
                deliveries["part-2"] += " union all select * from refunded_order"
                deliveries["part-3"] += " union all select * from refunded_order_in_third"
            for part, select in deliveries.items():
                connection.execute(f"copy ({select}) to '{data_dir / name / f'{part}.parquet'}'")
        return {
            name: connection.execute(f"select * from {name}").fetchone()[0]
            for name in ("late_customer", "early_item", "refunded_order", "refunded_order_in_third")
        }


def refresh(data_dir: Path, warehouse_dir: Path, run: dict, full_refresh: bool = False) -> RefreshResult:
    return refresh_scores(
        data_dir=data_dir,
        warehouse_dir=warehouse_dir,
        dbt_vars={**RUN_VARS, "as_of_date": run["as_of_date"], **run.get("vars", {})},
        now=run["now"],
        full_refresh=full_refresh,
    )


def tables_built_from_history(result: RefreshResult) -> set[str]:
    """Published tables downstream of the score history, which records each run's as-of date and so
    differs between a warehouse refreshed twice and one refreshed once."""
    manifest = json.loads((result.paths.dbt_target / "manifest.json").read_text())
    history_id = next(node for node in manifest["nodes"] if node.endswith(".fct_customer_score_history"))
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
    incremental: RefreshResult  # the first delivery refreshed, then the second and third incrementally
    full: RefreshResult  # all three deliveries refreshed at once
    first_run_working: Path  # the incremental warehouse as its first run left it
    second_run_working: Path  # and as its second left it
    cases: dict[str, str]  # ids of the cases split_deliveries planted


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory: pytest.TempPathFactory) -> Refreshes:
    root = tmp_path_factory.mktemp("incremental")
    demo_data.generate(root / "generated", customers=1_500, seed=5, end_date=END_DATE, with_defects=True)
    data_dir = root / "data"
    cases = split_deliveries(root / "generated", data_dir)
    held_back = root / "held_back"
    for path in [*data_dir.glob("*/part-2.parquet"), *data_dir.glob("*/part-3.parquet")]:
        (held_back / path.parent.name).mkdir(parents=True, exist_ok=True)
        path.rename(held_back / path.parent.name / path.name)

    def deliver(part: str) -> None:
        for path in held_back.glob(f"*/{part}.parquet"):
            path.rename(data_dir / path.parent.name / path.name)

    first = refresh(data_dir, root / "incremental", FIRST_RUN)
    first_run_working = root / "first_run.duckdb"
    first_run_working.write_bytes(first.paths.working.read_bytes())
    deliver("part-2")
    second = refresh(data_dir, root / "incremental", SECOND_RUN)
    second_run_working = root / "second_run.duckdb"
    second_run_working.write_bytes(second.paths.working.read_bytes())
    deliver("part-3")
    incremental = refresh(data_dir, root / "incremental", THIRD_RUN)
    full = refresh(data_dir, root / "full", THIRD_RUN)
    return Refreshes(incremental, full, first_run_working, second_run_working, cases)


def test_the_later_runs_were_incremental(refreshes: Refreshes) -> None:
    checked_at = "select count(distinct checked_at) from staging.stg_shop__orders_checked"
    # the incremental warehouse kept the earlier runs' verdicts on the rows it did not recheck
    assert rows(refreshes.incremental.paths.working, checked_at) == [(3,)]
    assert rows(refreshes.full.paths.working, checked_at) == [(1,)]
    # the third run, at the second's as-of date, recomputed the features of the customers it touched only;
    # the second, at a new as-of date, those of every customer
    for features_model in ("int_customer_features_at_cutoffs", "int_customer_purchase_histories"):
        computed_at = f"select count(distinct computed_at) from intermediate.{features_model}"
        assert rows(refreshes.second_run_working, computed_at) == [(1,)], features_model
        assert rows(refreshes.incremental.paths.working, computed_at) == [(2,)], features_model


def test_the_cases_of_the_later_deliveries_were_applied(refreshes: Refreshes) -> None:
    first, incremental, cases = refreshes.first_run_working, refreshes.incremental.paths.working, refreshes.cases
    late_customer_orders = (
        "select distinct quarantine_reason from staging.stg_shop__orders_checked "
        f"where customer_id = '{cases['late_customer']}' "
        "and coalesce(quarantine_reason, '') not in ('duplicate order_id', 'older version of order_id')"
    )
    assert rows(first, late_customer_orders) == [("unknown customer_id",)]
    assert rows(incremental, late_customer_orders) == [(None,)]
    early_item = (
        "select quarantine_reason from staging.stg_shop__order_items_checked "
        f"where order_id = '{cases['early_item']}'"
    )
    assert {reason for (reason,) in rows(first, early_item)} == {"unknown order_id"}
    assert {reason for (reason,) in rows(incremental, early_item)} == {None}
    refunded = (
        "select status, quarantine_reason from staging.stg_shop__orders_checked "
        f"where order_id = '{cases['refunded_order']}'"
    )
    assert rows(first, refunded) == [("completed", None)]
    # a later file's version supersedes the earlier one: the order's newer state, not a defect of either file
    assert rows(incremental, refunded) == [("completed", "older version of order_id"), ("refunded", None)]
    refunded_customer_categories = (
        "select count(*) from intermediate.int_customer_categories_summarized where customer_id = "
        f"(select customer_id from staging.stg_shop__orders where order_id = '{cases['refunded_order']}')"
    )
    assert rows(first, refunded_customer_categories)[0][0] > 0
    assert rows(incremental, refunded_customer_categories) == [(0,)]
    # refunded in the third delivery: the customer's purchase history at the unchanged cutoffs is gone
    refunded_in_third_histories = (
        "select cutoff_role from intermediate.int_customer_purchase_histories where customer_id = "
        f"(select customer_id from staging.stg_shop__orders where order_id = '{cases['refunded_order_in_third']}')"
    )
    assert rows(refreshes.second_run_working, refunded_in_third_histories) == [("scoring",)]
    assert rows(incremental, refunded_in_third_histories) == []


def test_incremental_refresh_equals_full_refresh(refreshes: Refreshes) -> None:
    incremental, full = refreshes.incremental, refreshes.full
    compared = sorted(set(PUBLISHED_TABLES) - tables_built_from_history(full))
    assert "marts.dim_customer_segments" in compared
    for table in compared:
        select = f"select * exclude ({FIT_RUN_COLUMNS[table]})" if table in FIT_RUN_COLUMNS else "select *"
        incremental_rows = rows(incremental.paths.published, f"{select} from {table}")
        full_rows = rows(full.paths.published, f"{select} from {table}")
        assert incremental_rows and len(incremental_rows) == len(full_rows), table
        for incremental_row, full_row in zip(incremental_rows, full_rows, strict=True):
            # a mean of doubles (the fairness audit's) may differ in its last bits with the summation order
            assert incremental_row == pytest.approx(full_row, rel=FLOAT_TOLERANCE, abs=FLOAT_TOLERANCE), table
    categories = "select * from intermediate.int_customer_categories_summarized"
    assert rows(incremental.paths.working, categories) == rows(full.paths.working, categories)
    for features_model in ("int_customer_features_at_cutoffs", "int_customer_purchase_histories"):
        features = f"select * exclude (computed_at) from intermediate.{features_model}"
        assert rows(incremental.paths.working, features) == rows(full.paths.working, features), features_model
    quarantine = (
        "select source_table, source_file, source_row_number, record_key, quarantine_reason "
        "from staging.stg_shop__quarantined_rows"
    )
    assert rows(incremental.paths.working, quarantine) == rows(full.paths.working, quarantine)
    assert incremental.staged_row_counts == full.staged_row_counts
