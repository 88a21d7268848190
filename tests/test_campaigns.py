"""Campaign results per segment at send time, on the hand-made data set of tests/fixtures/campaigns (its
README works every number out): refreshed as of 2025-05-31, which records the score history snapshot the
sends are segmented by, then as of 2025-07-20."""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scorehouse import cli
from scorehouse.contract import ContractError, check_data_dir
from scorehouse.dbt_runner import run_dbt
from scorehouse.loading import load_raw_tables
from scorehouse.scoring_flow import RefreshResult, refresh_scores

CAMPAIGN_DATA_DIR = Path(__file__).parent / "fixtures" / "campaigns"
SNAPSHOT_DATE = "2025-05-31"
AS_OF_DATE = "2025-07-20"
NOW = datetime(2025, 7, 31, 0, 0, 0)
# groups of one customer are "too few"; groups of two are enough
# the newest order before the later as-of date is 61 days older than it
# a channel with two of a customer's sends can be their best (C01 has two email sends)
CAMPAIGN_VARS = {"campaign_min_group_customers": 2, "freshness_sla_hours": 24 * 62, "best_channel_min_sends": 2}
Z_95 = 1.959963984540054
RESULT_COLUMNS = (
    "treated_customer_count", "control_customer_count", "treated_responder_count", "control_responder_count",
    "treated_response_rate", "control_response_rate", "treated_revenue", "control_revenue",
    "treated_revenue_per_customer", "control_revenue_per_customer",
    "response_rate_uplift", "response_rate_uplift_lower_bound", "response_rate_uplift_upper_bound",
    "revenue_per_customer_uplift", "revenue_per_customer_uplift_lower_bound",
    "revenue_per_customer_uplift_upper_bound", "incremental_revenue", "has_enough_customers",
)


def published_rows(result: RefreshResult, table: str, order_by: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(result.paths.published), read_only=True) as connection:
        cursor = connection.execute(f"select * from marts.{table} order by {order_by}")
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def query(result: RefreshResult, sql: str) -> list[tuple]:
    with duckdb.connect(str(result.paths.working), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def campaign_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[dict[str, Any]], RefreshResult]:
    """The segment results published by the first refresh (as of the snapshot date), and the second
    refresh."""
    warehouse_dir = tmp_path_factory.mktemp("campaigns")
    first = refresh_scores(
        data_dir=CAMPAIGN_DATA_DIR, warehouse_dir=warehouse_dir,
        dbt_vars={**CAMPAIGN_VARS, "as_of_date": SNAPSHOT_DATE}, now=NOW,
    )
    first_results = published_rows(first, "fct_campaign_segment_results", "campaign_id, segment_name")
    second = refresh_scores(
        data_dir=CAMPAIGN_DATA_DIR, warehouse_dir=warehouse_dir,
        dbt_vars={**CAMPAIGN_VARS, "as_of_date": AS_OF_DATE}, now=NOW,
    )
    return first_results, second


@pytest.fixture(scope="module")
def segment_results(campaign_runs: tuple[list[dict[str, Any]], RefreshResult]) -> dict[tuple[str, str], dict]:
    rows = published_rows(campaign_runs[1], "fct_campaign_segment_results", "campaign_id, segment_name")
    return {(row["campaign_id"], row["segment_name"]): row for row in rows}


@pytest.fixture(scope="module")
def campaign_results(campaign_runs: tuple[list[dict[str, Any]], RefreshResult]) -> dict[str, dict]:
    return {row["campaign_id"]: row for row in published_rows(campaign_runs[1], "fct_campaign_results", "campaign_id")}


def assert_results(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    for column in RESULT_COLUMNS:
        if expected[column] is None or isinstance(expected[column], bool):
            assert actual[column] is expected[column], column
        else:
            assert float(actual[column]) == pytest.approx(expected[column], abs=1e-9), column


def test_segments_come_from_the_snapshot_before_the_send_day(
    segment_results: dict[tuple[str, str], dict],
) -> None:
    # CMP-A (2025-06-02) and CMP-D (2025-07-15) use the snapshot of 2025-05-31; CMP-B went out on
    # 2025-05-31 itself, before any earlier snapshot, and C13 joined after it: both unscored.
    # CMP-C goes out after the as-of date and is not counted yet.
    assert set(segment_results) == {
        ("CMP-A", "lost"), ("CMP-A", "champions"), ("CMP-A", "prospect"), ("CMP-A", "unscored"),
        ("CMP-B", "unscored"),
        ("CMP-D", "champions"),
    }


def test_champions_of_campaign_a(segment_results: dict[tuple[str, str], dict]) -> None:
    # treated C01 40, C02 20 (+ a click), C03 late (0), C04 30 at the window's last second; control C05 10, C06 0
    treated_rate, control_rate = 3 / 4, 1 / 2
    rate_error = math.sqrt(treated_rate * (1 - treated_rate) / 4 + control_rate * (1 - control_rate) / 2)
    assert rate_error == pytest.approx(math.sqrt(11) / 8)
    # revenue per customer 22.5 vs 5; sample variances 875 / 3 (treated) and 50 (control)
    revenue_error = math.sqrt(875 / 3 / 4 + 50 / 2)
    assert_results(
        segment_results[("CMP-A", "champions")],
        {
            "treated_customer_count": 4, "control_customer_count": 2,
            "treated_responder_count": 3, "control_responder_count": 1,
            "treated_response_rate": 0.75, "control_response_rate": 0.5,
            "treated_revenue": 90, "control_revenue": 10,
            "treated_revenue_per_customer": 22.5, "control_revenue_per_customer": 5,
            "response_rate_uplift": 0.25,
            "response_rate_uplift_lower_bound": 0.25 - Z_95 * rate_error,
            "response_rate_uplift_upper_bound": 0.25 + Z_95 * rate_error,
            "revenue_per_customer_uplift": 17.5,
            "revenue_per_customer_uplift_lower_bound": 17.5 - Z_95 * revenue_error,
            "revenue_per_customer_uplift_upper_bound": 17.5 + Z_95 * revenue_error,
            "incremental_revenue": 70, "has_enough_customers": True,
        },
    )


def null_uplift(**counts: float) -> dict[str, Any]:
    return {
        **counts,
        "response_rate_uplift": None, "response_rate_uplift_lower_bound": None,
        "response_rate_uplift_upper_bound": None, "revenue_per_customer_uplift": None,
        "revenue_per_customer_uplift_lower_bound": None, "revenue_per_customer_uplift_upper_bound": None,
        "incremental_revenue": None, "has_enough_customers": False,
    }


def test_groups_without_enough_controls_have_no_uplift(segment_results: dict[tuple[str, str], dict]) -> None:
    # lost: treated C07 15, C08 and C09 (their responses are quarantined); one control, C10
    assert_results(
        segment_results[("CMP-A", "lost")],
        null_uplift(
            treated_customer_count=3, control_customer_count=1, treated_responder_count=1,
            control_responder_count=0, treated_response_rate=1 / 3, control_response_rate=0,
            treated_revenue=15, control_revenue=0, treated_revenue_per_customer=5,
            control_revenue_per_customer=0,
        ),
    )
    # prospects C11 and C12 were all sent the campaign: no control group, no control rate
    assert_results(
        segment_results[("CMP-A", "prospect")],
        null_uplift(
            treated_customer_count=2, control_customer_count=0, treated_responder_count=0,
            control_responder_count=0, treated_response_rate=0, control_response_rate=None,
            treated_revenue=0, control_revenue=0, treated_revenue_per_customer=0,
            control_revenue_per_customer=None,
        ),
    )
    # CMP-B on the snapshot day: C01 25 (treated), C07 (treated), C05 (control)
    assert_results(
        segment_results[("CMP-B", "unscored")],
        null_uplift(
            treated_customer_count=2, control_customer_count=1, treated_responder_count=1,
            control_responder_count=0, treated_response_rate=0.5, control_response_rate=0,
            treated_revenue=25, control_revenue=0, treated_revenue_per_customer=12.5,
            control_revenue_per_customer=0,
        ),
    )


def test_responses_count_within_the_window_and_up_to_the_as_of_date(
    campaign_runs: tuple[list[dict[str, Any]], RefreshResult], segment_results: dict[tuple[str, str], dict],
) -> None:
    # CMP-D (2025-07-15 09:00): C01's response of 07-18 counts; C02's of 07-22 lies after the as-of date
    campaign_d = segment_results[("CMP-D", "champions")]
    assert (campaign_d["treated_responder_count"], campaign_d["control_responder_count"]) == (1, 0)
    assert campaign_d["is_attribution_window_complete"] is False
    assert segment_results[("CMP-A", "champions")]["is_attribution_window_complete"] is True
    # C03's response one second after CMP-A's 14 days does not count; C04's at the last second does
    attributed = dict(
        query(
            campaign_runs[1],
            "select customer_id, has_responded from intermediate.int_campaign_sends_attributed "
            "where campaign_id = 'CMP-A' and customer_id in ('C03', 'C04')",
        )
    )
    assert attributed == {"C03": False, "C04": True}


def test_campaign_totals(campaign_results: dict[str, dict]) -> None:
    assert set(campaign_results) == {"CMP-A", "CMP-B", "CMP-D"}
    # CMP-A, all segments: treated C01-C04, C07-C09, C11-C13 (responders C01 40, C02 20, C04 30, C07 15);
    # control C05 (10), C06, C10
    treated_rate, control_rate = 4 / 10, 1 / 3
    rate_error = math.sqrt(treated_rate * (1 - treated_rate) / 10 + control_rate * (1 - control_rate) / 3)
    assert rate_error == pytest.approx(math.sqrt(0.024 + 2 / 27))
    # revenue per customer 10.5 vs 10 / 3; sample variances (3125 - 10 x 10.5^2) / 9 and (100 - 3 x (10/3)^2) / 2
    treated_variance, control_variance = (3125 - 10 * 10.5**2) / 9, (100 - 3 * (10 / 3) ** 2) / 2
    assert (treated_variance, control_variance) == pytest.approx((2022.5 / 9, 100 / 3))
    revenue_error = math.sqrt(treated_variance / 10 + control_variance / 3)
    revenue_uplift = 10.5 - 10 / 3
    assert_results(
        campaign_results["CMP-A"],
        {
            "treated_customer_count": 10, "control_customer_count": 3,
            "treated_responder_count": 4, "control_responder_count": 1,
            "treated_response_rate": 0.4, "control_response_rate": 1 / 3,
            "treated_revenue": 105, "control_revenue": 10,
            "treated_revenue_per_customer": 10.5, "control_revenue_per_customer": 10 / 3,
            "response_rate_uplift": 1 / 15,
            "response_rate_uplift_lower_bound": 1 / 15 - Z_95 * rate_error,
            "response_rate_uplift_upper_bound": 1 / 15 + Z_95 * rate_error,
            "revenue_per_customer_uplift": revenue_uplift,
            "revenue_per_customer_uplift_lower_bound": revenue_uplift - Z_95 * revenue_error,
            "revenue_per_customer_uplift_upper_bound": revenue_uplift + Z_95 * revenue_error,
            "incremental_revenue": revenue_uplift * 10, "has_enough_customers": True,
        },
    )
    campaign_a = campaign_results["CMP-A"]
    assert (campaign_a["channel"], campaign_a["first_sent_at"], campaign_a["last_sent_at"]) == (
        "email", datetime(2025, 6, 2, 9), datetime(2025, 6, 2, 9),
    )
    assert campaign_a["confidence_level"] == 0.95
    assert str(campaign_a["as_of_date"]) == AS_OF_DATE
    assert campaign_results["CMP-B"]["channel"] == "sms"
    # one customer a group: too few
    assert campaign_results["CMP-D"]["response_rate_uplift"] is None


def test_the_earlier_refresh_counted_only_what_it_could_see(
    campaign_runs: tuple[list[dict[str, Any]], RefreshResult],
) -> None:
    # as of 2025-05-31 only CMP-B had gone out (that evening), and its response came on 06-01
    first_results, _ = campaign_runs
    assert [
        (row["campaign_id"], row["segment_name"], row["treated_customer_count"], row["control_customer_count"],
         row["treated_responder_count"], row["control_responder_count"], row["is_attribution_window_complete"])
        for row in first_results
    ] == [("CMP-B", "unscored", 2, 1, 0, 0, False)]


def test_sends_are_segmented_by_the_latest_earlier_snapshot(
    campaign_runs: tuple[list[dict[str, Any]], RefreshResult],
) -> None:
    sends = {
        (campaign_id, customer_id): (str(snapshot_date) if snapshot_date else None, segment_name, is_control)
        for campaign_id, customer_id, snapshot_date, segment_name, is_control in query(
            campaign_runs[1],
            "select campaign_id, customer_id, snapshot_date, segment_name, is_control "
            "from intermediate.int_campaign_sends_attributed",
        )
    }
    assert len(sends) == 18  # 13 of CMP-A, 3 of CMP-B, 2 of CMP-D; CMP-C goes out after the as-of date
    assert sends["CMP-A", "C01"] == (SNAPSHOT_DATE, "champions", False)
    assert sends["CMP-A", "C07"] == (SNAPSHOT_DATE, "lost", False)
    assert sends["CMP-A", "C11"] == (SNAPSHOT_DATE, "prospect", False)
    # C13 joined after the snapshot
    assert sends["CMP-A", "C13"] == (SNAPSHOT_DATE, "unscored", False)
    # the snapshot of the send day itself is not used: it holds that day's orders
    assert sends["CMP-B", "C01"] == (None, "unscored", False)
    # the second send of CMP-A to C06 (is_control 1) replaced the first (false)
    assert sends["CMP-A", "C06"] == (SNAPSHOT_DATE, "champions", True)
    # the history has both refreshes, and CMP-D (07-15) still uses the older one
    assert sends["CMP-D", "C01"] == (SNAPSHOT_DATE, "champions", False)
    history_dates = query(
        campaign_runs[1],
        "select distinct cast(as_of_date as varchar) from history.fct_customer_score_history order by 1",
    )
    assert history_dates == [(SNAPSHOT_DATE,), (AS_OF_DATE,)]


def test_bad_campaign_rows_are_quarantined_with_their_reason(
    campaign_runs: tuple[list[dict[str, Any]], RefreshResult],
) -> None:
    result = campaign_runs[1]
    rows = query(
        result,
        "select source_table, source_row_number, record_key, quarantine_reason from staging.stg_shop__quarantined_rows "
        "where source_table like 'campaign%' order by source_table, source_row_number",
    )
    assert rows == [
        ("campaign_responses", 1, "C01", "duplicate response"),
        ("campaign_responses", 12, "C08", "negative revenue"),
        ("campaign_responses", 13, "C09", "invalid revenue"),
        ("campaign_responses", 14, "C10", "campaign not sent to customer_id"),
        ("campaign_responses", 15, "C01", "campaign not sent to customer_id"),
        ("campaign_responses", 16, "C07", "responded_at before sent_at"),
        ("campaign_responses", 17, "C11", "missing response_type"),
        ("campaign_responses", 18, "C12", "responded_at in the future"),
        ("campaign_responses", 19, "C99", "unknown customer_id"),
        ("campaign_responses", 20, "C01", "missing campaign_id"),
        ("campaign_sends", 6, "C06", "duplicate send"),
        ("campaign_sends", 21, "C04", "missing campaign_id"),
        ("campaign_sends", 22, "C99", "unknown customer_id"),
        ("campaign_sends", 23, "C02", "invalid is_control"),
        ("campaign_sends", 24, "C03", "missing or invalid sent_at"),
        ("campaign_sends", 25, "C04", "sent_at in the future"),
        ("campaign_sends", 26, "C04", "missing is_control"),
    ]
    assert result.raw_row_counts["campaign_sends"] == 26 and result.staged_row_counts["campaign_sends"] == 19
    assert result.raw_row_counts["campaign_responses"] == 20 and result.staged_row_counts["campaign_responses"] == 10
    # a blank revenue is no revenue, not a defect; response types are read in lower case
    assert query(
        result,
        "select response_type, revenue from staging.stg_shop__campaign_responses "
        "where campaign_id = 'CMP-A' and customer_id = 'C02' order by responded_at",
    ) == [("click", None), ("purchase", 20)]


def test_campaign_results_are_published(campaign_runs: tuple[list[dict[str, Any]], RefreshResult]) -> None:
    row_counts = campaign_runs[1].publication.row_counts
    assert row_counts["marts.fct_campaign_segment_results"] == 6
    assert row_counts["marts.fct_campaign_results"] == 3
    assert row_counts["marts.fct_customer_best_channels"] == 13


BEST_CHANNEL_COLUMNS = (
    "segment_name", "best_channel", "best_channel_basis", "best_channel_send_count",
    "best_channel_responded_send_count", "best_channel_response_rate", "customer_channel_send_count",
)


def best_channels(rows: list[dict[str, Any]]) -> dict[str, tuple]:
    return {
        row["customer_id"]: tuple(
            float(row[column]) if column == "best_channel_response_rate" and row[column] is not None else row[column]
            for column in BEST_CHANNEL_COLUMNS
        )
        for row in rows
    }


def test_best_channels_come_from_the_customer_else_the_segment(
    campaign_runs: tuple[list[dict[str, Any]], RefreshResult],
) -> None:
    # with best_channel_min_sends 2, as the README works out: only C01 has two sends through one channel
    # (email: CMP-A and CMP-D, both answered); everyone else gets their segment's email counts, where
    # control sends do not count, nor C03's answer to CMP-A after the attribution window
    rows = published_rows(campaign_runs[1], "fct_customer_best_channels", "customer_id")
    champions = ("champions", "email", "segment", 5, 4, 0.8)
    lost = ("lost", "email", "segment", 3, 1, 1 / 3)
    prospect = ("prospect", "email", "segment", 3, 0, 0.0)
    assert best_channels(rows) == {
        "C01": ("champions", "email", "customer", 2, 2, 1.0, 3),
        "C02": (*champions, 1), "C03": (*champions, 1), "C04": (*champions, 1),
        "C05": (*champions, 0), "C06": (*champions, 0),
        "C07": (*lost, 2), "C08": (*lost, 1), "C09": (*lost, 1), "C10": (*lost, 0),
        "C11": (*prospect, 1), "C12": (*prospect, 1), "C13": (*prospect, 1),
    }
    assert {str(row["as_of_date"]) for row in rows} == {AS_OF_DATE}


def test_a_segment_without_a_channel_at_the_minimum_has_no_best_channel(
    campaign_runs: tuple[list[dict[str, Any]], RefreshResult], tmp_path: Path,
) -> None:
    # with best_channel_min_sends 4 only champions' email (5 sends) qualifies: lost and prospects have 3
    warehouse = tmp_path / "scorehouse.duckdb"
    shutil.copy(campaign_runs[1].paths.working, warehouse)
    run_dbt(
        ["build", "--select", "fct_customer_best_channels", "--exclude-resource-type", "unit_test"],
        {"SCOREHOUSE_TARGET": "duckdb", "SCOREHOUSE_DUCKDB_PATH": str(warehouse)},
        {**CAMPAIGN_VARS, "as_of_date": AS_OF_DATE, "best_channel_min_sends": 4},
        logging.getLogger("test"),
        target_dir=tmp_path / "target",
    )
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        cursor = connection.execute("select * from marts.fct_customer_best_channels order by customer_id")
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    champions = ("champions", "email", "segment", 5, 4, 0.8)
    assert best_channels(rows) == {
        "C01": (*champions, 3), "C02": (*champions, 1), "C03": (*champions, 1), "C04": (*champions, 1),
        "C05": (*champions, 0), "C06": (*champions, 0),
        "C07": ("lost", None, "none", None, None, None, 2),
        "C08": ("lost", None, "none", None, None, None, 1),
        "C09": ("lost", None, "none", None, None, None, 1),
        "C10": ("lost", None, "none", None, None, None, 0),
        "C11": ("prospect", None, "none", None, None, None, 1),
        "C12": ("prospect", None, "none", None, None, None, 1),
        "C13": ("prospect", None, "none", None, None, None, 1),
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"campaign_attribution_days": 0},
            "var 'campaign_attribution_days' must be a whole number from 1 to 3650, got 0",
        ),
        (
            {"campaign_confidence_level": 0.97},
            "var 'campaign_confidence_level' must be one of 0.8, 0.9, 0.95, 0.99, got 0.97",
        ),
        ({"campaign_confidence_level": "95%"}, "var 'campaign_confidence_level' must be one of 0.8, 0.9, 0.95, 0.99"),
        ({"campaign_min_group_customers": 0}, "var 'campaign_min_group_customers' must be a whole number from 1"),
        (
            {"best_channel_min_sends": 0},
            "var 'best_channel_min_sends' must be a whole number from 1 to 1000000000, got 0",
        ),
        ({"best_channel_min_sends": 2.5}, "var 'best_channel_min_sends' must be a whole number from 1"),
    ],
)
def test_invalid_campaign_var_is_named(var_refusal: Callable[[dict], str], overrides: dict, message: str) -> None:
    assert message in var_refusal(overrides)


def write_customers_and_orders(data_dir: Path) -> None:
    data_dir.mkdir()
    for name in ("customers.csv", "orders.csv"):
        (data_dir / name).write_text((CAMPAIGN_DATA_DIR / name).read_text())


def write_sends(data_dir: Path, is_control_values: list[str]) -> None:
    """One CMP-A send to C01, C02, ... per value."""
    rows = [
        f"CMP-A,C{number:02d},2025-06-02 09:00:00,email,{value}"
        for number, value in enumerate(is_control_values, 1)
    ]
    (data_dir / "campaign_sends.csv").write_text(
        "campaign_id,customer_id,sent_at,channel,is_control\n" + "\n".join(rows) + "\n"
    )


def test_is_control_must_read_as_a_boolean(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_customers_and_orders(data_dir)
    write_sends(data_dir, ["yes", "no", "yes"])
    with pytest.raises(
        ContractError,
        match="campaign_sends.csv: column 'is_control' has the wrong type; every value must be true or false",
    ):
        check_data_dir(data_dir)


def test_parquet_booleans_and_every_accepted_spelling_are_staged(tmp_path: Path) -> None:
    """A Parquet boolean column, and CSV text in each accepted spelling, stage as the same booleans."""
    spellings = ["true", "false", "TRUE", "False", "t", "F", "1", "0", " true ", "yes"]
    csv_dir, parquet_dir = tmp_path / "csv", tmp_path / "parquet"
    write_customers_and_orders(csv_dir)
    write_sends(csv_dir, spellings)
    write_customers_and_orders(parquet_dir)
    duckdb.execute(
        "copy (select 'CMP-A' as campaign_id, 'C0' || cast(number as varchar) as customer_id, "
        "timestamp '2025-06-02 09:00:00' as sent_at, 'email' as channel, number % 2 = 1 as is_control "
        f"from range(1, 3) as numbers(number)) to '{parquet_dir / 'campaign_sends.parquet'}'"
    )
    staged = {}
    for name, data_dir in (("csv", csv_dir), ("parquet", parquet_dir)):
        warehouse = tmp_path / f"{name}.duckdb"
        load_raw_tables(warehouse, check_data_dir(data_dir), NOW)
        run_dbt(
            ["build", "--select", "+stg_shop__campaign_sends_checked", "--indirect-selection", "cautious"],
            {"SCOREHOUSE_TARGET": "duckdb", "SCOREHOUSE_DUCKDB_PATH": str(warehouse)},
            {"as_of_date": AS_OF_DATE},
            logging.getLogger("test"),
            target_dir=tmp_path / f"{name}_target",
        )
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            staged[name] = connection.execute(
                "select customer_id, is_control, quarantine_reason from staging.stg_shop__campaign_sends_checked "
                "order by customer_id"
            ).fetchall()
    assert staged["csv"] == [
        ("C01", True, None), ("C02", False, None), ("C03", True, None), ("C04", False, None),
        ("C05", True, None), ("C06", False, None), ("C07", True, None), ("C08", False, None),
        ("C09", True, None), ("C10", None, "invalid is_control"),
    ]
    assert staged["parquet"] == [("C01", True, None), ("C02", False, None)]


def test_the_demo_scores_before_the_first_campaign_then_as_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "DEMO_DATA_DIR", tmp_path)
    as_of_dates: list[date | None] = []
    monkeypatch.setattr(
        cli,
        "refresh",
        lambda data_dir, args, as_of_date=None, full_refresh=False: as_of_dates.append(as_of_date) or data_dir,
    )
    monkeypatch.setattr(cli, "print_report", lambda result: None)
    monkeypatch.setattr(cli, "print_campaign_results", lambda result: None)
    assert cli.main(["demo", "--customers", "1000"]) == 0
    # the demo data ends yesterday and its first campaign (CMP01) goes out 60 days before that
    assert as_of_dates == [date.today() - timedelta(days=62), None]
    assert (tmp_path / "campaign_sends.parquet").exists()
