"""End to end: the refresh flow on real files into a real DuckDB warehouse, checked against answers
computed by hand, against the defects the generator injected, and against broken inputs."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from uuid import UUID

import duckdb
import pytest
from prefect.client.orchestration import get_client

from conftest import KNOWN_ANSWER_DIR, KNOWN_ANSWER_NOW, KNOWN_ANSWER_VARS
from scorehouse import demo_data
from scorehouse.contract import ContractError
from scorehouse.dbt_runner import DbtFailed
from scorehouse.scoring_flow import RefreshResult, refresh_scores

# Worked by hand in tests/fixtures/known_answer/README.md: as of 2025-06-30, 365-day window, 5 buckets,
# equal weights, VIP = top 34 %. Composite = 100 * (R + F + M - 3) / 12.
# customer: (segment, recency_days, frequency, monetary, R, F, M, is_vip, is_churn_risk)
KNOWN_ANSWERS = {
    "C01": ("champions", 1, 4, 1000, 5, 5, 5, True, False),
    "C02": ("loyal", 10, 3, 200, 4, 4, 3, True, False),
    "C03": ("potential_loyalists", 10, 1, 500, 4, 2, 4, True, False),
    "C04": ("need_attention", 107, 2, 200, 3, 3, 3, False, False),
    "C05": ("hibernating", 333, 1, 60, 1, 2, 2, False, False),
    "C06": ("lost", 532, 0, 0, 1, 1, 1, False, False),
    "C07": ("potential_loyalists", 1, 1, 40, 5, 2, 1, False, False),
    "C08": ("prospect", None, 0, 0, None, None, None, False, False),
    "C09": ("prospect", None, 0, 0, None, None, None, False, False),
    "C10": ("need_attention", 61, 2, 200, 3, 3, 3, False, False),
    "C11": ("hibernating", 149, 1, 150, 2, 2, 2, False, False),
}

# generator defect kind -> the quarantine reason staging must give it
DEFECT_REASONS = {
    "duplicate_order": "duplicate order_id",
    "null_customer_id": "missing customer_id",
    "negative_amount": "negative amount",
    "future_ordered_at": "ordered_at in the future",
    "unknown_customer": "unknown customer_id",
}
GENERATED_END_DATE = date(2025, 12, 31)
GENERATED_LOADED_AT = datetime(2026, 1, 1, 0, 0, 0)


def warehouse_digests(warehouse_dir: Path) -> dict[str, str]:
    """Digests of the working and published warehouse files (the run log is meant to change)."""
    return {
        name: hashlib.sha256((warehouse_dir / name).read_bytes()).hexdigest()
        for name in ("scorehouse.duckdb", "published.duckdb")
    }


def copy_warehouses(result: RefreshResult, tmp_path: Path) -> Path:
    warehouse_dir = tmp_path / "warehouse"
    warehouse_dir.mkdir()
    for source in (result.paths.working, result.paths.published):
        (warehouse_dir / source.name).write_bytes(source.read_bytes())
    return warehouse_dir


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def generated_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RefreshResult, dict[str, int]]:
    """2,000 generated customers in CSV with every kind of defect, loaded the day after the data ends."""
    data_dir = tmp_path_factory.mktemp("generated") / "data"
    summary = demo_data.generate(
        data_dir, customers=2_000, seed=11, end_date=GENERATED_END_DATE, file_format="csv", with_defects=True
    )
    result = refresh_scores(
        data_dir=data_dir,
        warehouse_dir=data_dir.parent / "warehouse",
        # each defect kind is 0.1 % of the orders: let them through to quarantine
        dbt_vars={"as_of_date": GENERATED_END_DATE.isoformat(), "raw_row_defect_tolerance": 0.01},
        now=GENERATED_LOADED_AT,
    )
    return result, summary.defects


def test_known_answer_scores_and_segments(known_answer_run: RefreshResult) -> None:
    rows = query(
        known_answer_run.paths.working,
        """
        select segments.customer_id, segments.segment_name, customers.recency_days, customers.frequency,
               customers.monetary, segments.recency_score, segments.frequency_score, segments.monetary_score,
               segments.is_vip, segments.is_churn_risk, segments.composite_score
        from marts.dim_customer_segments as segments
        inner join intermediate.int_customers_summarized as customers
            on segments.customer_id = customers.customer_id
        order by segments.customer_id
        """,
    )
    assert {row[0] for row in rows} == set(KNOWN_ANSWERS)
    for customer_id, *actual, composite in rows:
        expected = KNOWN_ANSWERS[customer_id]
        assert tuple(actual) == expected, customer_id
        if expected[4] is None:
            assert composite is None, customer_id
        else:
            expected_composite = Fraction(100) * (sum(expected[4:7]) - 3) / 12
            assert composite == pytest.approx(float(expected_composite), abs=1e-9), customer_id


def test_known_answer_engagement_and_point_in_time(known_answer_run: RefreshResult) -> None:
    rows = dict(
        (row[0], row[1:])
        for row in query(
            known_answer_run.paths.working,
            """
            select customer_id, purchase_count, refunded_order_count, cancelled_order_count,
                   lifetime_revenue, event_count, latest_nps_score
            from intermediate.int_customers_summarized
            """,
        )
    )
    # C11's order of 2025-07-05 lies after the as-of date and counts nowhere
    assert rows["C11"] == (1, 0, 0, 150, 0, None)
    # refunded and cancelled orders are not purchases and add no revenue
    assert rows["C07"] == (1, 1, 1, 40, 0, None)
    assert rows["C08"] == (0, 1, 0, 0, 0, None)
    # the latest NPS answer up to the as-of date wins; C02's answer of 2025-07-01 is too late
    assert rows["C01"] == (4, 0, 0, 1000, 2, 9)
    assert rows["C02"][-1] is None
    # one of C09's events is older than the 365-day window
    assert rows["C09"][-2] == 2


def test_known_answer_segment_summary(known_answer_run: RefreshResult) -> None:
    summary = {row["segment_name"]: row for row in known_answer_run.segment_summary}
    assert len(summary) == 12
    assert {name: row["customer_count"] for name, row in summary.items() if row["customer_count"]} == {
        "champions": 1, "loyal": 1, "potential_loyalists": 2, "need_attention": 2, "hibernating": 2, "lost": 1,
        "prospect": 2,
    }
    assert summary["champions"]["window_revenue"] == 1000
    assert summary["hibernating"]["window_revenue"] == 210
    assert sum(row["customer_share"] for row in summary.values()) == pytest.approx(1.0)


def test_known_answer_quarantine(known_answer_run: RefreshResult) -> None:
    rows = query(
        known_answer_run.paths.working,
        "select source_table, source_row_number, record_key, quarantine_reason "
        "from staging.stg_shop__quarantined_rows order by source_table, source_row_number",
    )
    assert rows == [
        ("events", 6, "C99", "unknown customer_id"),
        ("orders", 5, "O005", "duplicate order_id"),
        ("orders", 22, "O022", "invalid amount"),
    ]
    assert known_answer_run.quarantined_row_counts == {"events": 1, "orders": 2}


def test_with_a_prefect_server_a_refresh_is_a_prefect_flow_run(
    known_answer_run: RefreshResult, tmp_path: Path, prefect_server: None
) -> None:
    """With PREFECT_API_URL set (here to the test harness's server), the refresh is a Prefect flow run, whose
    id the run log keeps, with the same outcome as a refresh that no Prefect server records."""
    result = refresh_scores(
        data_dir=KNOWN_ANSWER_DIR, warehouse_dir=tmp_path / "warehouse", dbt_vars=KNOWN_ANSWER_VARS,
        now=KNOWN_ANSWER_NOW,
    )
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(UUID(result.run_id))
        assert client.read_flow(flow_run.flow_id).name == "refresh-scores"
    assert flow_run.state is not None and flow_run.state.is_completed()
    assert result.segment_summary == known_answer_run.segment_summary
    assert result.publication.row_counts == known_answer_run.publication.row_counts


def test_an_implausible_amount_the_gate_tolerates_is_quarantined_never_scored(
    known_answer_copy: Path, tmp_path: Path
) -> None:
    # one bad row in 25 is within the known-answer run's 10 % tolerance, so the delivery gate lets it through
    with (known_answer_copy / "orders.csv").open("a") as orders:
        orders.write("O999,C01,2025-06-29 12:00:00,completed,1000000000000000.00\n")
    result = refresh_scores(
        data_dir=known_answer_copy, warehouse_dir=tmp_path / "warehouse", dbt_vars=KNOWN_ANSWER_VARS,
        now=KNOWN_ANSWER_NOW,
    )
    assert query(
        result.paths.working,
        "select record_key, quarantine_reason from staging.stg_shop__quarantined_rows where record_key = 'O999'",
    ) == [("O999", "amount above max_order_amount")]
    # C01's known answer stands: four orders, 1,000 in the window
    assert query(
        result.paths.published,
        "select frequency, monetary from marts.fct_customer_rfm_scores where customer_id = 'C01'",
    ) == [(4, 1000)]


def test_generated_rows_are_staged_or_quarantined(generated_run: tuple[RefreshResult, dict[str, int]]) -> None:
    result, _ = generated_run
    staged_tables = {
        "customers": "stg_shop__customers", "orders": "stg_shop__orders", "order_items": "stg_shop__order_items",
        "events": "stg_shop__events", "nps_responses": "stg_shop__nps_responses",
    }
    for source_table, staged_table in staged_tables.items():
        raw, staged, quarantined = query(
            result.paths.working,
            f"""
            select
                (select count(*) from raw.{source_table}),
                (select count(*) from staging.{staged_table}),
                (select count(*) from staging.stg_shop__quarantined_rows where source_table = '{source_table}')
            """,
        )[0]
        assert raw == result.raw_row_counts[source_table] > 0
        assert raw == staged + quarantined, source_table


def test_each_injected_defect_is_quarantined_with_its_reason(
    generated_run: tuple[RefreshResult, dict[str, int]],
) -> None:
    result, defects = generated_run
    assert set(defects) == set(DEFECT_REASONS)
    reasons = dict(
        query(
            result.paths.working,
            "select quarantine_reason, count(*) from staging.stg_shop__quarantined_rows "
            "where source_table = 'orders' group by quarantine_reason",
        )
    )
    assert reasons == {DEFECT_REASONS[kind]: count for kind, count in defects.items()}


def test_every_generated_person_has_exactly_one_segment(
    generated_run: tuple[RefreshResult, dict[str, int]],
) -> None:
    """Staged customers = persons segmented + customer_ids merged into them; the generator's second accounts
    are merged, each with an older customer of its email."""
    result, _ = generated_run
    staged_customers, merged_customers, segment_rows, distinct_customers, unsegmented = query(
        result.paths.working,
        """
        select
            (select count(*) from staging.stg_shop__customers),
            (select count(*) from marts.dim_customer_identities where not is_survivor),
            (select count(*) from marts.dim_customer_segments),
            (select count(distinct customer_id) from marts.dim_customer_segments),
            (select count(*) from marts.dim_customer_segments where segment_name is null)
        """,
    )[0]
    assert 0 < merged_customers < 0.03 * staged_customers
    assert staged_customers == segment_rows + merged_customers
    assert segment_rows == distinct_customers
    assert unsegmented == 0
    assert sum(row["customer_count"] for row in result.segment_summary) == segment_rows


def test_generated_scores_rank_customers_sensibly(generated_run: tuple[RefreshResult, dict[str, int]]) -> None:
    """Scores rise with recency, frequency and spend, and equal values share a score."""
    result, _ = generated_run
    violations = query(
        result.paths.working,
        """
        select
            count(*) filter (where one.recency_days < other.recency_days and one.recency_score < other.recency_score),
            count(*) filter (where one.frequency < other.frequency and one.frequency_score > other.frequency_score),
            count(*) filter (where one.monetary < other.monetary and one.monetary_score > other.monetary_score),
            count(*) filter (where one.recency_days = other.recency_days and one.recency_score <> other.recency_score),
            count(*) filter (where one.frequency = other.frequency and one.frequency_score <> other.frequency_score),
            count(*) filter (where one.monetary = other.monetary and one.monetary_score <> other.monetary_score)
        from marts.fct_customer_rfm_scores as one
        cross join marts.fct_customer_rfm_scores as other
        where one.has_purchased and other.has_purchased
        """,
    )[0]
    assert violations == (0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("drop_amount_column", "orders.csv: required column 'amount' is missing"),
        ("text_in_amount_column", "orders.csv: column 'amount' has the wrong type"),
        ("empty_orders_file", "orders.csv: the file is empty"),
        ("header_only_orders_file", "orders.csv: the file has no rows"),
        ("remove_customers_file", "required input 'customers' is missing"),
    ],
)
def test_broken_input_stops_the_run_and_leaves_the_warehouse_untouched(
    known_answer_run: RefreshResult, known_answer_copy: Path, tmp_path: Path, breakage: str, message: str
) -> None:
    orders = known_answer_copy / "orders.csv"
    header, *lines = orders.read_text().splitlines()
    if breakage == "drop_amount_column":
        orders.write_text("\n".join(line.rsplit(",", 1)[0] for line in [header, *lines]) + "\n")
    elif breakage == "text_in_amount_column":
        orders.write_text("\n".join([header] + [line.rsplit(",", 1)[0] + ",twelve" for line in lines]) + "\n")
    elif breakage == "empty_orders_file":
        orders.write_text("")
    elif breakage == "header_only_orders_file":
        orders.write_text(header + "\n")
    else:
        (known_answer_copy / "customers.csv").unlink()
    warehouse_dir = copy_warehouses(known_answer_run, tmp_path)
    before = warehouse_digests(warehouse_dir)

    with pytest.raises(ContractError, match=message.replace("(", r"\(")):
        refresh_scores(data_dir=known_answer_copy, warehouse_dir=warehouse_dir, dbt_vars=KNOWN_ANSWER_VARS)

    assert warehouse_digests(warehouse_dir) == before


def test_invalid_weights_stop_the_run_before_loading(known_answer_run: RefreshResult, tmp_path: Path) -> None:
    warehouse_dir = copy_warehouses(known_answer_run, tmp_path)
    before = warehouse_digests(warehouse_dir)

    # dbt's own frame around the refusal (operation, macro stack) is left out: the var's sentence is the message
    with pytest.raises(
        DbtFailed, match=r"^var 'composite_weights': weight of frequency must be a number >= 0, got -1$"
    ):
        refresh_scores(
            data_dir=KNOWN_ANSWER_DIR,
            warehouse_dir=warehouse_dir,
            dbt_vars={**KNOWN_ANSWER_VARS, "composite_weights": {"recency": 1, "frequency": -1, "monetary": 1}},
        )

    assert warehouse_digests(warehouse_dir) == before
