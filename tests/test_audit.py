"""The audit marts end to end: the fairness audit and the score validation of the known-answer data set,
worked by hand below, published by the flow; and their vars validated with a message naming them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb
import pytest

from scorehouse.scoring_flow import RefreshResult


def published_rows(result: RefreshResult, sql: str) -> list[tuple]:
    with duckdb.connect(str(result.paths.published), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_fairness_audit_of_the_known_answer_set(known_answer_run: RefreshResult) -> None:
    """tests/fixtures/known_answer: female C01 C03 C06 C09 C11, male C02 C04 C08 C10, nonbinary C07 and
    C05 without a gender. VIPs (README): C01 C02 C03; no churn-risk segment has a member. Groups of at least
    two customers are compared (fairness_min_group_customers in KNOWN_ANSWER_VARS)."""
    rows = published_rows(
        known_answer_run,
        """
        select outcome_name, group_value, customer_count, outcome_customer_count, outcome_value,
               is_small_group, is_compared, disparate_impact_ratio, is_disparate_impact
        from marts.fct_fairness_audit
        where attribute_name = 'gender' and outcome_name in ('vip', 'churn_risk')
        order by outcome_name, group_value
        """,
    )
    assert rows == [
        # churn risk: 0 / 5 and 0 / 4; a ratio of two zero rates says nothing, so there is none to flag
        ("churn_risk", "female", 5, 0, 0.0, False, True, None, None),
        ("churn_risk", "male", 4, 0, 0.0, False, True, None, None),
        ("churn_risk", "nonbinary", 1, 0, 0.0, True, False, None, None),
        ("churn_risk", "unknown", 1, 0, 0.0, True, False, None, None),
        # VIP: female 2 / 5 = 0.4 (C01, C03), male 1 / 4 = 0.25 (C02); 0.25 / 0.4 = 0.625 < 0.8, flagged (a
        # warning: the refresh still published)
        ("vip", "female", 5, 2, 0.4, False, True, 0.625, True),
        ("vip", "male", 4, 1, 0.25, False, True, 0.625, True),
        ("vip", "nonbinary", 1, 0, 0.0, True, False, 0.625, None),
        ("vip", "unknown", 1, 0, 0.0, True, False, 0.625, None),
    ]


def test_fairness_audit_age_bands_and_counts_reconcile(known_answer_run: RefreshResult) -> None:
    """Ages in 2025 from the birth years: C01 45, C02 50 (45-54); C04 35, C05 40, C11 37 (35-44); C07 25,
    C08 30, C09 26 (25-34); C10 55 (55-64); C06 65 (65_and_over); C03 has none (unknown)."""
    age_groups = published_rows(
        known_answer_run,
        """
        select group_value, customer_count from marts.fct_fairness_audit
        where attribute_name = 'age_band' and outcome_name = 'vip' order by group_value
        """,
    )
    assert age_groups == [
        ("25-34", 3), ("35-44", 3), ("45-54", 2), ("55-64", 1), ("65_and_over", 1), ("unknown", 1)
    ]
    # every attribute splits all 11 customers, and each group's segment rates add up to 1
    totals = published_rows(
        known_answer_run,
        """
        select attribute_name, sum(customer_count), sum(outcome_customer_count)
        from marts.fct_fairness_audit
        where outcome_name like 'segment:%'
        group by attribute_name order by attribute_name
        """,
    )
    segment_count = published_rows(known_answer_run, "select count(*) from marts.fct_segment_summary")[0][0]
    assert totals == [(attribute, 11 * segment_count, 11) for attribute in ("age_band", "country", "gender")]


def test_score_validation_of_the_known_answer_set(known_answer_run: RefreshResult) -> None:
    """Validation cutoff V = 2025-06-30 - 180 days = 2025-01-01; window 2024-01-03 .. 2025-01-01. Buyers by V:
    C01 (last 2024-12-01: recency 31, F 1, M 400), C04 (2024-11-15: 47, 1, 120), C05 (2024-08-01: 153, 1, 60),
    C06 (2024-01-15: 352, 1, 300). R over N = 4 (floor((s - 1 + e) x 5 / 8) + 1), longest first: C06 1,
    C05 2, C04 4, C01 5; F all tied at 1: 3; M, lowest first: C05 1, C04 2, C06 4, C01 5. Composite
    100 x (R + F + M - 3) / 12: C01 83.33, C04 50, C05 25, C06 41.67. C05 and C06 buy nothing in
    (V, 2025-06-30] (churned); C01 (2025-03-01 ...) and C04 (2025-03-15) do. Lowest composite first, the four
    sit in deciles floor((2p - 1) x 10 / 8) + 1 = 2, 4, 7, 9, and both churners rank above both others:
    AUC 1, Gini 1; the bottom decile has no churner, so no lift, and no warning. Base rate 2 / 4: the top
    decile churns 1 / 0.5 = 2 times as often; the two churners are captured by decile 4 (gain 0.5, 1, 1, 1).
    The composite is no probability and has no baseline but itself: no Brier score, ECE or AUC gain."""
    rows = published_rows(
        known_answer_run,
        """
        select score_name, validation_cutoff_date, decile, mean_score_value, outcome_rate,
               top_decile_outcome_rate, bottom_decile_outcome_rate, lift, auc, gini,
               cumulative_outcome_capture, top_decile_lift_over_base_rate, auc_gain_over_rfm_composite,
               brier_score, expected_calibration_error
        from marts.fct_score_validation order by score_name, decile
        """,
    )
    cutoff = date(2025, 1, 1)
    assert [row[:3] for row in rows] == [("rfm_composite", cutoff, decile) for decile in (2, 4, 7, 9)]
    assert [round(row[3], 9) for row in rows] == [25.0, round(125 / 3, 9), 50.0, round(250 / 3, 9)]
    assert [row[4] for row in rows] == [1.0, 1.0, 0.0, 0.0]
    assert {row[5:10] for row in rows} == {(1.0, 0.0, None, 1.0, 1.0)}
    assert [row[10] for row in rows] == [0.5, 1.0, 1.0, 1.0]
    assert {row[11:] for row in rows} == {(2.0, None, None, None)}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"fairness_attributes": ["gender", "religion"]},
            "var 'fairness_attributes' must be a non-empty list of distinct attributes from gender, age_band, "
            "country, got [\"gender\", \"religion\"]",
        ),
        ({"fairness_attributes": "gender"}, "var 'fairness_attributes' must be a non-empty list"),
        ({"fairness_attributes": []}, "var 'fairness_attributes' must be a non-empty list"),
        (
            {"fairness_attributes": ["country", "country"]},
            "var 'fairness_attributes' must be a non-empty list of distinct",
        ),
        (
            {"fairness_min_group_customers": 0},
            "var 'fairness_min_group_customers' must be a whole number from 1 to 1000000000, got 0",
        ),
        ({"disparate_impact_threshold": 1.5}, "var 'disparate_impact_threshold' must be a number from 0 to 1, got 1.5"),
        ({"min_score_lift": -1}, "var 'min_score_lift' must be a number from 0 to 1000000, got -1"),
    ],
)
def test_invalid_audit_var_is_named(var_refusal: Callable[[dict], str], overrides: dict, message: str) -> None:
    assert message in var_refusal(overrides)
