"""The synthetic data generator: file contract, reconciliations, behaviour and injected defects, and the
segments its two profiles give when scored."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from scorehouse import demo_data
from scorehouse.demo_data import GenerationSummary, generate, main
from scorehouse.scoring_flow import project_vars, refresh_scores

END_DATE = date(2026, 11, 23)
HISTORY_START = "2023-11-23"
DAY_AFTER_END = "2026-11-24"
TABLES = (
    "customers", "orders", "order_items", "events", "nps_responses", "campaign_sends", "campaign_responses",
    "customer_attributes",
)
TIMESTAMP_COLUMNS = {
    "customers": "created_at",
    "orders": "ordered_at",
    "events": "occurred_at",
    "nps_responses": "responded_at",
    "campaign_sends": "sent_at",
    "campaign_responses": "responded_at",
}
CUSTOMERS = 4_000
SMALL_CUSTOMERS = 1_000

PARQUET_TYPES = {
    "customers": [
        ("customer_id", "VARCHAR"), ("created_at", "TIMESTAMP"), ("email", "VARCHAR"), ("country", "VARCHAR"),
        ("birth_year", "INTEGER"), ("gender", "VARCHAR"), ("acquisition_channel", "VARCHAR"),
        ("marketing_consent", "BOOLEAN"),
    ],
    "orders": [
        ("order_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("ordered_at", "TIMESTAMP"), ("status", "VARCHAR"),
        ("amount", "DECIMAL(12,2)"),
    ],
    "order_items": [
        ("order_id", "VARCHAR"), ("product_id", "VARCHAR"), ("category", "VARCHAR"), ("quantity", "INTEGER"),
        ("unit_price", "DECIMAL(12,2)"),
    ],
    "events": [("customer_id", "VARCHAR"), ("occurred_at", "TIMESTAMP"), ("event_type", "VARCHAR")],
    "nps_responses": [("customer_id", "VARCHAR"), ("responded_at", "TIMESTAMP"), ("score", "INTEGER")],
    "campaign_sends": [
        ("campaign_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("sent_at", "TIMESTAMP"), ("channel", "VARCHAR"),
        ("is_control", "BOOLEAN"),
    ],
    "campaign_responses": [
        ("campaign_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("responded_at", "TIMESTAMP"),
        ("response_type", "VARCHAR"), ("revenue", "DECIMAL(12,2)"),
    ],
    "customer_attributes": [
        ("customer_id", "VARCHAR"), ("is_loyalty_member", "BOOLEAN"), ("events_attended", "INTEGER"),
        ("social_engagement_score", "DOUBLE"),
    ],
}
# What duckdb infers from the CSV text: integers widen, decimals become doubles.
CSV_TYPE_CHANGES = {"INTEGER": "BIGINT", "DECIMAL(12,2)": "DOUBLE"}
# MD5 of each table's rows as text, in file order, for the `generated` fixture
# (4,000 customers, seed 7, default profile and order volume). Pinned so that no change to
# the generator alters the default data unnoticed.
DEFAULT_ROW_DIGESTS = {
    "customers": "1b320030c7928b90e04d7b7ba9478d72",
    "orders": "d8c33fd0dfea4395a0b304b703570dec",
    "order_items": "de3f5b227849f118384ac3b6fbf85650",
    "events": "51dc9487d62613796b9572c8711c086f",
    "nps_responses": "6d90d1e28d169538fe7d87d7725141e1",
    "campaign_sends": "21aa7d60c902759db89461671f54e3ac",
    "campaign_responses": "2d4b9a9d09fba3ee46cb81049883baf0",
    "customer_attributes": "382b035b87ced44bb9c78874dd12b206",
}


def _connect(data_dir: Path, file_format: str) -> duckdb.DuckDBPyConnection:
    """An in-memory database with one view per generated file."""
    connection = duckdb.connect()
    for table in TABLES:
        connection.execute(f"create view {table} as select * from '{data_dir / f'{table}.{file_format}'}'")
    return connection


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> object:
    return connection.execute(sql).fetchone()[0]


def _row_digest(parquet_file: Path, column_names: list[str]) -> str:
    """MD5 of the rows as text, in file order: independent of Parquet writer details such as its version."""
    fields = ", ".join(f"coalesce(cast({name} as varchar), 'null')" for name in column_names)
    return _scalar(
        duckdb.connect(),
        f"select md5(string_agg(concat_ws('|', {fields}), chr(10) order by file_row_number)) "
        f"from read_parquet('{parquet_file}', file_row_number = true)",
    )


class _OrderMix(NamedTuple):
    """Orders per customer; the shares of buyers are among customers with at least one order."""

    mean_orders: float
    prospect_share: float
    one_order_share: float
    ten_or_more_share: float
    most_orders: int
    top_tenth_revenue_share: float  # of all revenue, brought by the tenth of buyers who spent most
    lapsed_share: float  # no order in the last year of the history


def _order_mix(shop: duckdb.DuckDBPyConnection) -> _OrderMix:
    return _OrderMix(
        *shop.execute(
            f"""
            with orders_per_customer as (
                select
                    customers.customer_id,
                    count(orders.order_id) as orders,
                    sum(orders.amount) as spend,
                    max(orders.ordered_at) as last_ordered_at
                from customers
                left join orders on customers.customer_id = orders.customer_id
                group by customers.customer_id
            ),
            buyers_by_spend as (
                select spend, ntile(10) over (order by spend desc, customer_id) as spend_decile
                from orders_per_customer
                where orders > 0
            )
            select
                avg(orders),
                avg(cast(orders = 0 as int)),
                avg(cast(orders = 1 as int)) filter (where orders > 0),
                avg(cast(orders >= 10 as int)) filter (where orders > 0),
                max(orders),
                (select sum(spend) filter (where spend_decile = 1) / sum(spend) from buyers_by_spend),
                avg(cast(last_ordered_at < timestamp '{DAY_AFTER_END}' - interval 365 day as int))
                    filter (where orders > 0)
            from orders_per_customer
            """
        ).fetchone()
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    out_dir = tmp_path_factory.mktemp("parquet")
    return out_dir, generate(out_dir, CUSTOMERS, seed=7, end_date=END_DATE)


@pytest.fixture(scope="module")
def shop(generated: tuple[Path, GenerationSummary]) -> duckdb.DuckDBPyConnection:
    return _connect(generated[0], "parquet")


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_same_seed_writes_identical_files(tmp_path: Path, file_format: str) -> None:
    for run in ("first", "second"):
        generate(tmp_path / run, SMALL_CUSTOMERS, seed=3, end_date=END_DATE, file_format=file_format)
    for table in TABLES:
        file_name = f"{table}.{file_format}"
        assert (tmp_path / "first" / file_name).read_bytes() == (tmp_path / "second" / file_name).read_bytes()


def test_default_order_volume_keeps_the_pinned_rows(generated: tuple[Path, GenerationSummary]) -> None:
    for table, columns in PARQUET_TYPES.items():
        digest = _row_digest(generated[0] / f"{table}.parquet", [name for name, _ in columns])
        assert digest == DEFAULT_ROW_DIGESTS[table], table


def test_different_seed_changes_the_rows(tmp_path: Path, generated: tuple[Path, GenerationSummary]) -> None:
    generate(tmp_path, CUSTOMERS, seed=8, end_date=END_DATE)
    connection = duckdb.connect()
    for table in TABLES:
        changed = _scalar(
            connection,
            f"select count(*) from (select * from '{generated[0] / table}.parquet' "
            f"except all select * from '{tmp_path / table}.parquet')",
        )
        assert changed > 0, table


def test_csv_holds_the_same_rows_as_parquet(tmp_path: Path, generated: tuple[Path, GenerationSummary]) -> None:
    generate(tmp_path, CUSTOMERS, seed=7, end_date=END_DATE, file_format="csv")
    connection = duckdb.connect()
    only_in_one = _scalar(
        connection,
        f"""
        with parquet_orders as (select * from '{generated[0] / 'orders.parquet'}'),
        csv_orders as (
            select order_id, customer_id, ordered_at, status, cast(amount as decimal(12, 2)) as amount
            from '{tmp_path / 'orders.csv'}'
        )
        select count(*) from (
            (select * from parquet_orders except all select * from csv_orders)
            union all
            (select * from csv_orders except all select * from parquet_orders)
        )
        """,
    )
    assert only_in_one == 0


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_column_names_and_types(tmp_path: Path, file_format: str) -> None:
    generate(tmp_path, SMALL_CUSTOMERS, end_date=END_DATE, file_format=file_format)
    connection = _connect(tmp_path, file_format)
    for table, columns in PARQUET_TYPES.items():
        expected = columns if file_format == "parquet" else [
            (name, CSV_TYPE_CHANGES.get(column_type, column_type)) for name, column_type in columns
        ]
        actual = connection.execute(f"select column_name, column_type from (describe {table})").fetchall()
        assert actual == expected, table


def test_csv_text_follows_the_contract(tmp_path: Path) -> None:
    generate(tmp_path, SMALL_CUSTOMERS, end_date=END_DATE, file_format="csv")
    header, first_order = (tmp_path / "orders.csv").read_text().splitlines()[:2]
    assert header == '"order_id","customer_id","ordered_at","status","amount"'
    assert re.fullmatch(
        r'"O0000000001","C00000001",\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,"(completed|cancelled|refunded)",\d+\.\d\d',
        first_order,
    )
    customers_text = (tmp_path / "customers.csv").read_text()
    # A missing value is an empty field, not a quoted empty string.
    assert re.search(r",(,|$)", customers_text, re.MULTILINE)
    assert '""' not in customers_text


def test_row_counts_match_the_summary(
    generated: tuple[Path, GenerationSummary], shop: duckdb.DuckDBPyConnection
) -> None:
    summary = generated[1]
    assert summary.defects == {}
    assert summary.row_counts == {table: _scalar(shop, f"select count(*) from {table}") for table in TABLES}
    assert summary.row_counts["customers"] == CUSTOMERS


def test_ids_are_well_formed_and_unique(shop: duckdb.DuckDBPyConnection) -> None:
    assert _scalar(shop, "select count(*) - count(distinct order_id) from orders") == 0
    assert shop.execute("select min(customer_id), max(customer_id) from customers").fetchone() == (
        "C00000001", "C00004000",
    )
    assert _scalar(shop, "select count(distinct customer_id) from customers") == CUSTOMERS
    assert _scalar(shop, r"select count(*) from orders where not regexp_full_match(order_id, 'O\d{10}')") == 0
    assert _scalar(
        shop, r"select count(*) from order_items where not regexp_full_match(product_id, 'P\d{5}')"
    ) == 0
    assert _scalar(shop, "select count(*) from orders anti join customers using (customer_id)") == 0
    assert _scalar(shop, "select count(*) from events anti join customers using (customer_id)") == 0
    assert _scalar(shop, "select count(*) from campaign_sends anti join customers using (customer_id)") == 0
    assert _scalar(
        shop, "select count(*) - count(distinct (campaign_id, customer_id)) from campaign_sends"
    ) == 0


def test_items_add_up_to_order_amounts(shop: duckdb.DuckDBPyConnection) -> None:
    assert _scalar(
        shop,
        """
        with item_totals as (
            select order_id, sum(quantity * unit_price) as items_amount, count(*) as items
            from order_items
            group by order_id
        )
        select count(*)
        from orders
        left join item_totals on orders.order_id = item_totals.order_id
        where item_totals.items_amount is distinct from orders.amount
            or item_totals.items not between 1 and 4
        """,
    ) == 0
    assert _scalar(shop, "select count(*) from order_items where quantity < 1 or unit_price < 1") == 0
    assert _scalar(shop, "select min(amount) from orders") >= 1


def test_order_values_stop_at_the_largest_basket() -> None:
    """Gamma-Gamma spend has no upper end; the largest basket stays below the default max_order_amount, so
    demo data of any size passes that check."""
    big_spender = demo_data._Customers(
        ids=pa.array(["C1"]), signup_day=np.zeros(1), age=np.array([40.0]), is_prospect=np.zeros(1, dtype=bool),
        purchase_rate=np.ones(1), dropout_probability=np.ones(1), spend_rate=np.array([1e-9]),
    )
    values = demo_data._order_values(np.random.default_rng(7), big_spender, np.zeros(100, dtype=np.int64))
    assert values.max() == demo_data.MAX_ORDER_VALUE
    assert demo_data.MAX_ORDER_VALUE < project_vars(None)["max_order_amount"]


def test_timestamps_stay_inside_the_history(shop: duckdb.DuckDBPyConnection) -> None:
    for table, column in TIMESTAMP_COLUMNS.items():
        outside = _scalar(
            shop,
            f"select count(*) from {table} "
            f"where {column} < timestamp '{HISTORY_START}' or {column} >= timestamp '{DAY_AFTER_END}'",
        )
        assert outside == 0, table
    for table, column in (
        ("orders", "ordered_at"), ("events", "occurred_at"), ("nps_responses", "responded_at"),
        ("campaign_sends", "sent_at"), ("campaign_responses", "responded_at"),
    ):
        before_signup = _scalar(
            shop,
            f"select count(*) from {table} inner join customers using (customer_id) where {column} < created_at",
        )
        assert before_signup == 0, table


def test_categorical_values_and_shares(shop: duckdb.DuckDBPyConnection) -> None:
    assert {row[0] for row in shop.execute("select distinct category from order_items").fetchall()} == {
        "electronics", "home", "beauty", "fashion", "sports", "toys", "books", "grocery", "garden", "pets",
    }
    assert {row[0] for row in shop.execute("select distinct event_type from events").fetchall()} == {
        "page_view", "add_to_cart", "email_open", "email_click",
    }
    assert {row[0] for row in shop.execute("select distinct gender from customers").fetchall()} == {
        "female", "male", "nonbinary", None,
    }
    completed, cancelled, refunded = shop.execute(
        """
        select avg(cast(status = 'completed' as int)), avg(cast(status = 'cancelled' as int)),
            avg(cast(status = 'refunded' as int))
        from orders
        """
    ).fetchone()
    assert completed == pytest.approx(0.92, abs=0.02)
    assert cancelled == pytest.approx(0.05, abs=0.015)
    assert refunded == pytest.approx(0.03, abs=0.015)
    birth_year_missing, gender_missing = shop.execute(
        "select avg(cast(birth_year is null as int)), avg(cast(gender is null as int)) from customers"
    ).fetchone()
    assert birth_year_missing == pytest.approx(0.05, abs=0.015)
    assert gender_missing == pytest.approx(0.08, abs=0.02)


def test_some_customers_sign_up_again_with_another_customers_email(shop: duckdb.DuckDBPyConnection) -> None:
    """About 2 % of the customers repeat the email of another, in upper case; every other email is its own."""
    second_accounts, emails, distinct_emails, other_upper_case = shop.execute(
        """
        select
            count(*) filter (where email <> lower(email)),
            count(email),
            count(distinct lower(email)),
            count(*) filter (where email <> lower(email) and lower(email) = lower(customer_id) || '@example.com')
        from customers
        """
    ).fetchone()
    assert second_accounts / CUSTOMERS == pytest.approx(0.02, abs=0.006)
    assert emails - distinct_emails == second_accounts
    assert other_upper_case == 0


def test_order_counts_are_skewed_like_a_real_shop(shop: duckdb.DuckDBPyConnection) -> None:
    mix = _order_mix(shop)
    assert 0.09 <= mix.prospect_share <= 0.15
    assert 0.5 <= mix.one_order_share <= 0.7
    assert mix.ten_or_more_share >= 0.01
    assert mix.most_orders <= 300
    # a long tail of spend: a tenth of the buyers bring 40 % of the revenue or more
    assert mix.top_tenth_revenue_share >= 0.4
    # a growing shop: most buyers are not lapsed
    assert mix.lapsed_share <= 0.5


def test_lapsed_cohort_signs_up_at_once_and_mostly_lapses(tmp_path: Path) -> None:
    generate(tmp_path, CUSTOMERS, seed=7, end_date=END_DATE, profile="lapsed_cohort")
    shop = _connect(tmp_path, "parquet")
    first_signup, last_signup = shop.execute("select min(created_at), max(created_at) from customers").fetchone()
    assert (last_signup - first_signup).days <= 60
    assert first_signup.date().isoformat() == HISTORY_START
    mix = _order_mix(shop)
    assert 0.09 <= mix.prospect_share <= 0.15
    assert mix.lapsed_share >= 0.75
    assert mix.top_tenth_revenue_share >= 0.4
    # reactivated sign-ups still make first purchases in the last quarter
    new_buyers = _scalar(
        shop,
        f"""
        select count(*) from (
            select customer_id from orders group by customer_id
            having min(ordered_at) >= timestamp '{DAY_AFTER_END}' - interval 90 day
        )
        """,
    )
    assert new_buyers >= 20


def test_ten_orders_per_customer_keep_the_skew(tmp_path: Path) -> None:
    generate(tmp_path, 3_000, end_date=END_DATE, orders_per_customer=10)
    mix = _order_mix(_connect(tmp_path, "parquet"))
    assert mix.mean_orders == pytest.approx(10, rel=0.15)
    # Scaling purchases does not turn prospects into buyers, nor flatten the long tail.
    assert 0.09 <= mix.prospect_share <= 0.15
    assert mix.one_order_share >= 0.1
    assert 0.2 <= mix.ten_or_more_share <= 0.6
    assert mix.most_orders <= 300


def test_order_volume_can_be_scaled_down(tmp_path: Path) -> None:
    generate(tmp_path, 3_000, end_date=END_DATE, orders_per_customer=1.5)
    assert _order_mix(_connect(tmp_path, "parquet")).mean_orders == pytest.approx(1.5, rel=0.15)


def test_events_volume_is_moderate(shop: duckdb.DuckDBPyConnection) -> None:
    events_per_customer = _scalar(shop, "select (select count(*) from events) / count(*) from customers")
    assert 5 <= events_per_customer <= 15
    prospects_with_email_events = _scalar(
        shop,
        """
        select count(distinct events.customer_id)
        from events
        anti join orders on events.customer_id = orders.customer_id
        where events.event_type in ('email_open', 'email_click')
        """,
    )
    assert prospects_with_email_events > 0


def test_loyal_customers_give_higher_nps(shop: duckdb.DuckDBPyConnection) -> None:
    one_order_score, loyal_score = shop.execute(
        """
        with orders_per_customer as (
            select customer_id, count(*) as orders from orders group by customer_id
        )
        select
            avg(nps_responses.score) filter (where orders_per_customer.orders = 1),
            avg(nps_responses.score) filter (where orders_per_customer.orders >= 5)
        from nps_responses
        inner join orders_per_customer on nps_responses.customer_id = orders_per_customer.customer_id
        """
    ).fetchone()
    assert loyal_score - one_order_score >= 0.8


def test_customer_attributes_have_realistic_shapes(shop: duckdb.DuckDBPyConnection) -> None:
    """Not every customer has a row; a quarter are loyalty members, likelier among frequent buyers without
    being a copy of frequency; events attended are mostly none with a long tail, more for members; the
    social engagement score is skewed and often unknown."""
    assert _scalar(shop, "select count(*) from customer_attributes anti join customers using (customer_id)") == 0
    assert _scalar(shop, "select count(*) - count(distinct customer_id) from customer_attributes") == 0
    attributes = shop.execute(
        """
        with orders_per_customer as (
            select customer_id, count(*) as orders from orders group by customer_id
        ),
        attributed as (
            select customer_attributes.*, coalesce(orders_per_customer.orders, 0) as orders
            from customer_attributes
            left join orders_per_customer on customer_attributes.customer_id = orders_per_customer.customer_id
        )
        select
            count(*) / (select count(*) from customers),
            avg(cast(is_loyalty_member as int)),
            avg(cast(is_loyalty_member as int)) filter (where orders <= 1),
            avg(cast(is_loyalty_member as int)) filter (where orders >= 3),
            count(*) filter (where is_loyalty_member and orders <= 1),
            count(*) filter (where not is_loyalty_member and orders >= 3),
            avg(cast(events_attended = 0 as int)),
            max(events_attended),
            avg(events_attended) filter (where is_loyalty_member)
                / avg(events_attended) filter (where not is_loyalty_member),
            avg(cast(social_engagement_score is null as int)),
            avg(social_engagement_score) / median(social_engagement_score),
            min(social_engagement_score)
        from attributed
        """
    ).fetchone()
    (
        row_share, member_share, occasional_member_share, frequent_member_share, occasional_members,
        frequent_non_members, no_event_share, most_events, member_event_ratio, social_missing_share,
        social_mean_to_median, lowest_social,
    ) = attributes
    assert 0.8 <= row_share <= 0.9
    assert 0.2 <= member_share <= 0.3
    assert frequent_member_share >= 2 * occasional_member_share
    assert occasional_members > 0 and frequent_non_members > 0
    assert 0.65 <= no_event_share <= 0.85
    assert most_events >= 15
    assert member_event_ratio >= 3
    assert 0.35 <= social_missing_share <= 0.45
    assert social_mean_to_median >= 1.5
    assert lowest_social >= 0


def test_events_thin_out_after_customers_stop_ordering(shop: duckdb.DuckDBPyConnection) -> None:
    """Each customer's events in the last 90 days, against what their event rate up to their last order predicts.

    Active buyers (last order within 30 days) keep their pace; lapsed buyers
    (no order for 180 days) must fall well below it.
    """
    pace = dict(
        shop.execute(
            f"""
            with last_orders as (
                select customer_id, max(ordered_at) as last_ordered_at from orders group by customer_id
            ),
            buyers as (
                select
                    customers.customer_id,
                    customers.created_at,
                    last_orders.last_ordered_at,
                    case
                        when last_orders.last_ordered_at >= timestamp '{DAY_AFTER_END}' - interval 30 day
                            then 'active'
                        when last_orders.last_ordered_at < timestamp '{DAY_AFTER_END}' - interval 180 day
                            then 'lapsed'
                    end as recency
                from customers
                inner join last_orders on customers.customer_id = last_orders.customer_id
                where last_orders.last_ordered_at - customers.created_at > interval 90 day
            ),
            event_counts as (
                select
                    buyers.recency,
                    count(events.occurred_at) filter (where events.occurred_at <= buyers.last_ordered_at)
                        / (date_diff('second', buyers.created_at, buyers.last_ordered_at) / 86400) * 90
                        as expected_recent_events,
                    count(events.occurred_at) filter (
                        where events.occurred_at >= timestamp '{DAY_AFTER_END}' - interval 90 day
                    ) as recent_events
                from buyers
                left join events on buyers.customer_id = events.customer_id
                where buyers.recency is not null
                group by buyers.customer_id, buyers.created_at, buyers.last_ordered_at, buyers.recency
            )
            select recency, sum(recent_events) / sum(expected_recent_events) as pace
            from event_counts
            group by recency
            """
        ).fetchall()
    )
    assert pace["active"] >= 0.7
    assert pace["lapsed"] <= 0.5 * pace["active"]


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_injected_defects_are_counted_exactly(
    tmp_path: Path, file_format: str, generated: tuple[Path, GenerationSummary]
) -> None:
    summary = generate(tmp_path, CUSTOMERS, seed=7, end_date=END_DATE, file_format=file_format, with_defects=True)
    recorded = json.loads((tmp_path / "defects.json").read_text())
    assert recorded == summary.defects
    assert set(recorded) == {
        "duplicate_order", "null_customer_id", "negative_amount", "future_ordered_at", "unknown_customer",
    }
    assert all(count >= 3 for count in recorded.values())

    shop = _connect(tmp_path, file_format)
    shop.execute(
        f"""
        create view order_defects as
        select
            count(*) over (partition by order_id) > 1 as is_duplicate,
            customer_id is null as is_null_customer,
            amount < 0 as is_negative,
            ordered_at >= timestamp '{DAY_AFTER_END}' as is_future,
            customer_id not in (select customer_id from customers) as is_unknown_customer
        from orders
        """
    )
    found = shop.execute(
        """
        select
            (select count(*) - count(distinct order_id) from orders),
            count(*) filter (where is_null_customer),
            count(*) filter (where is_negative),
            count(*) filter (where is_future),
            count(*) filter (where is_unknown_customer),
            (select count(*) from orders) - (select count(*) from (select distinct * from orders))
        from order_defects
        """
    ).fetchone()
    assert found[:5] == (
        recorded["duplicate_order"],
        recorded["null_customer_id"],
        recorded["negative_amount"],
        recorded["future_ordered_at"],
        recorded["unknown_customer"],
    )
    # Duplicates are exact copies of whole rows.
    assert found[5] == recorded["duplicate_order"]
    assert _scalar(
        shop,
        """
        select count(*) from order_defects
        where cast(is_duplicate as int) + cast(is_null_customer as int) + cast(is_negative as int)
            + cast(is_future as int) + cast(coalesce(is_unknown_customer, false) as int) > 1
        """,
    ) == 0

    # Defects are added on top: the normal rows and the other files are unchanged.
    normal_orders = generated[0] / "orders.parquet"
    assert _scalar(shop, f"select count(*) from (from '{normal_orders}' except all from orders)") == 0
    assert summary.row_counts["orders"] == generated[1].row_counts["orders"] + sum(recorded.values())
    assert summary.row_counts["order_items"] == generated[1].row_counts["order_items"]


def test_regenerating_without_defects_removes_the_defects_file(tmp_path: Path) -> None:
    generate(tmp_path, SMALL_CUSTOMERS, end_date=END_DATE, with_defects=True)
    assert (tmp_path / "defects.json").exists()
    generate(tmp_path, SMALL_CUSTOMERS, end_date=END_DATE)
    assert not (tmp_path / "defects.json").exists()


def test_chunks_continue_ids_and_report_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_data, "CHUNK_CUSTOMERS", 1_000)
    progress: list[tuple[int, int]] = []
    summary = generate(
        tmp_path, 2_500, end_date=END_DATE, progress=lambda done, total: progress.append((done, total))
    )
    assert progress == [(1_000, 2_500), (2_000, 2_500), (2_500, 2_500)]
    shop = _connect(tmp_path, "parquet")
    assert _scalar(shop, "select count(distinct customer_id) from customers") == 2_500
    assert _scalar(shop, "select max(customer_id) from customers") == "C00002500"
    assert _scalar(shop, "select count(distinct order_id) from orders") == summary.row_counts["orders"]
    assert _scalar(shop, "select max(order_id) from orders") == f"O{summary.row_counts['orders']:010d}"


def test_main_generates_up_to_today_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--customers", "1000", "--out", str(tmp_path), "--format", "csv", "--seed", "1"]) == 0
    assert "orders:" in capsys.readouterr().out
    latest = _scalar(_connect(tmp_path, "csv"), "select max(ordered_at) from orders")
    assert latest.date() <= date.today()
    assert not (tmp_path / "orders.parquet").exists()


def test_invalid_arguments_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="customers"):
        generate(tmp_path, 0)
    with pytest.raises(ValueError, match="file format"):
        generate(tmp_path, SMALL_CUSTOMERS, file_format="xlsx")
    with pytest.raises(ValueError, match="orders per customer"):
        generate(tmp_path, SMALL_CUSTOMERS, orders_per_customer=0.5)
    with pytest.raises(ValueError, match="profile must be one of retail, lapsed_cohort"):
        generate(tmp_path, SMALL_CUSTOMERS, profile="wholesale")
    for bad_arguments in (
        ["--customers", "0"],
        ["--customers", "10", "--orders-per-customer", "51"],
        ["--customers", "10", "--profile", "wholesale"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main([*bad_arguments, "--out", str(tmp_path)])
        assert exit_info.value.code == 2


def test_campaigns_reach_a_share_of_customers_with_a_control_group(shop: duckdb.DuckDBPyConnection) -> None:
    send_dates = demo_data.campaign_send_dates(END_DATE)
    for campaign in demo_data.CAMPAIGNS:
        send_date = send_dates[campaign.campaign_id]
        sends, control_share, channels, first_sent, last_sent = shop.execute(
            f"""
            select count(*), avg(cast(is_control as int)), list(distinct channel), min(sent_at), max(sent_at)
            from campaign_sends
            where campaign_id = '{campaign.campaign_id}'
            """
        ).fetchone()
        signed_up = _scalar(shop, f"select count(*) from customers where created_at < date '{send_date}'")
        assert sends / signed_up == pytest.approx(campaign.audience_share, abs=0.03), campaign.campaign_id
        assert control_share == pytest.approx(campaign.control_share, abs=0.03), campaign.campaign_id
        assert channels == [campaign.channel]
        assert (first_sent.date(), last_sent.date()) == (send_date, send_date)
    assert {campaign.channel for campaign in demo_data.CAMPAIGNS} == {"email", "sms", "push"}
    assert all(0.1 <= campaign.control_share <= 0.2 for campaign in demo_data.CAMPAIGNS)
    # every response answers a send of its campaign, within 30 days after it, and is worth something
    assert _scalar(
        shop,
        """
        select count(*)
        from campaign_responses
        left join campaign_sends using (campaign_id, customer_id)
        where campaign_sends.sent_at is null
            or responded_at < sent_at
            or responded_at > sent_at + interval 30 day
            or revenue < 1
            or response_type <> 'purchase'
        """,
    ) == 0
    assert _scalar(shop, "select count(*) - count(distinct (campaign_id, customer_id)) from campaign_responses") == 0


def test_campaigns_lift_frequent_recent_buyers_but_hardly_lapsed_ones(tmp_path: Path) -> None:
    """Response rates within 14 days of the send, treated minus control, pooled over the campaigns.

    Frequent recent buyers (3 or more orders in the year before the send, the last within 30 days) are
    mostly still active, and a campaign raises their purchase rate; lapsed buyers (no order in the year
    before) respond rarely either way. 30,000 customers give about 900 treated and 170 control frequent
    recent buyers, so the uplift's standard error is about 0.04.
    """
    generate(tmp_path, 30_000, seed=7, end_date=END_DATE)
    uplift = dict(
        _connect(tmp_path, "parquet").execute(
            """
            with buyer_histories as (
                select
                    campaign_sends.campaign_id,
                    campaign_sends.customer_id,
                    max(orders.ordered_at) as last_ordered_at,
                    count(orders.order_id) filter (
                        where orders.ordered_at >= campaign_sends.sent_at - interval 365 day
                    ) as orders_in_year
                from campaign_sends
                inner join orders
                    on campaign_sends.customer_id = orders.customer_id
                    and orders.ordered_at < campaign_sends.sent_at
                group by all
            ),
            attributed as (
                select
                    case
                        when buyer_histories.last_ordered_at >= campaign_sends.sent_at - interval 30 day
                            and buyer_histories.orders_in_year >= 3 then 'frequent_recent'
                        when buyer_histories.orders_in_year = 0 then 'lapsed'
                    end as buyer_state,
                    campaign_sends.is_control,
                    exists (
                        select 1 from campaign_responses
                        where campaign_responses.campaign_id = campaign_sends.campaign_id
                            and campaign_responses.customer_id = campaign_sends.customer_id
                            and campaign_responses.responded_at <= campaign_sends.sent_at + interval 14 day
                    ) as has_responded
                from campaign_sends
                inner join buyer_histories using (campaign_id, customer_id)
            )
            select
                buyer_state,
                avg(cast(has_responded as int)) filter (where not is_control)
                    - avg(cast(has_responded as int)) filter (where is_control)
            from attributed
            where buyer_state is not null
            group by buyer_state
            """
        ).fetchall()
    )
    assert uplift["frequent_recent"] >= 0.06
    assert abs(uplift["lapsed"]) <= 0.03
    assert uplift["frequent_recent"] - uplift["lapsed"] >= 0.05


@pytest.mark.parametrize("profile", ["retail", "lapsed_cohort"])
def test_every_default_segment_has_members_who_keep_its_promises(tmp_path: Path, profile: str) -> None:
    """Scored with the default vars the day after the data ends, each profile fills all eleven segments of the
    map, no map cell is out of reach, and the refresh passes segment_members_keep_segment_promises (so every
    member meets its segment's conditions); the members' ranges bear the promises out in days."""
    generate(tmp_path / "data", CUSTOMERS, seed=7, end_date=END_DATE, profile=profile)
    result = refresh_scores(
        data_dir=tmp_path / "data",
        warehouse_dir=tmp_path / "warehouse",
        dbt_vars={"as_of_date": END_DATE.isoformat()},
        now=datetime.fromisoformat(DAY_AFTER_END),
    )
    segments = {row["segment_name"]: row for row in result.segment_summary}
    scored = [row for name, row in segments.items() if name != "prospect"]
    assert len(scored) == 11
    assert [row["segment_name"] for row in scored if row["customer_count"] == 0] == []
    assert [row["unreachable_map_cells"] for row in scored if row["unreachable_map_cells"]] == []
    assert all(row["empty_reason"] is None for row in segments.values())
    # new customers bought once, recently; lost ones bought long before the recent ones
    assert segments["recent"]["max_frequency"] == 1
    assert segments["lost"]["min_recency_days"] > segments["recent"]["max_recency_days"]
    assert segments["champions"]["min_frequency"] >= 2
