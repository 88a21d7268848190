"""Every analyst-facing dbt var is validated before a run touches the warehouse, with a message naming it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import pytest

from scorehouse.cli import parse_var


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rfm_bucket_count": 1}, "var 'rfm_bucket_count' must be a whole number from 2 to 100, got 1"),
        ({"rfm_bucket_count": 4.5}, "var 'rfm_bucket_count' must be a whole number from 2 to 100, got 4.5"),
        ({"rfm_tie_policy": "random"}, "var 'rfm_tie_policy' must be one of ties_share_score, strict_ntile"),
        (
            {"rfm_cut_point_dimensions": ["frequency", "loyalty"]},
            "var 'rfm_cut_point_dimensions' must be a list of distinct dimensions from recency, frequency, monetary "
            "(or empty), got [\"frequency\", \"loyalty\"]",
        ),
        ({"as_of_date": "2025-13-01"}, "var 'as_of_date' must be 'today' or a date written YYYY-MM-DD"),
        ({"lookback_days": 0}, "var 'lookback_days' must be a whole number from 1 to 36500, got 0"),
        ({"vip_top_percent": 150}, "var 'vip_top_percent' must be a number from 0 to 100, got 150"),
        (
            {"composite_weights": {"recency": 0, "frequency": 0, "monetary": 0}},
            "at least one of recency, frequency and monetary needs a weight above 0",
        ),
        (
            {"composite_weights": {"recency": 1, "frequency": 1}},
            "var 'composite_weights' must map exactly recency, frequency and monetary to numbers",
        ),
        (
            {"cross_sell_min_frequency_monetary_score": 6},
            "var 'cross_sell_min_frequency_monetary_score' must be a whole number from 1 to 5, got 6",
        ),
        (
            {"cross_sell_max_categories": 0},
            "var 'cross_sell_max_categories' must be a whole number from 1 to 1000, got 0",
        ),
        (
            {"cross_sell_recommendation_count": 2.5},
            "var 'cross_sell_recommendation_count' must be a whole number from 1 to 100, got 2.5",
        ),
        ({"trend_window_days": "90"}, "var 'trend_window_days' must be a whole number from 1 to 3650, got \"90\""),
        ({"migration_snapshot_count": 1}, "var 'migration_snapshot_count' must be a whole number from 2 to 100, got 1"),
        ({"migration_snapshot_count": 2.5}, "var 'migration_snapshot_count' must be a whole number from 2 to 100"),
        ({"psi_warning_threshold": -0.1}, "var 'psi_warning_threshold' must be a number from 0 to 100, got -0.1"),
        ({"psi_warning_threshold": "high"}, "var 'psi_warning_threshold' must be a number from 0 to 100, got \"high\""),
        ({"lead_qualifying_points": -1}, "var 'lead_qualifying_points' must be a number from 0 to 1000000, got -1"),
        (
            {"lead_behaviour_window_days": 0},
            "var 'lead_behaviour_window_days' must be a whole number from 1 to 36500, got 0",
        ),
        (
            {"lead_behaviour_window_days": 7.5},
            "var 'lead_behaviour_window_days' must be a whole number from 1 to 36500, got 7.5",
        ),
        ({"value_discount_rate_yearly": 1.5}, "var 'value_discount_rate_yearly' must be a number from 0 to 1, got 1.5"),
        (
            {"value_min_repeat_customers": 0},
            "var 'value_min_repeat_customers' must be a whole number from 1 to 1000000000, got 0",
        ),
        (
            {"model_fit_max_customers": 150, "value_min_repeat_customers": 200},
            "var 'model_fit_max_customers' (150) is below var 'value_min_repeat_customers' (200): a sample that "
            "small could never be fitted",
        ),
        (
            {"segment_flags_source": "predictions"},
            "var 'segment_flags_source' must be one of rfm_rules, predictions_when_validated, got \"predictions\"",
        ),
        ({"churn_risk_top_deciles": 0}, "var 'churn_risk_top_deciles' must be a whole number from 1 to 10, got 0"),
        (
            {"freshness_sla_hours": 100000000},
            "var 'freshness_sla_hours' must be a number from 1 to 1000000, got 100000000",
        ),
        ({"max_order_amount": -1}, "var 'max_order_amount' must be a number from 0 to 1000000000000, got -1"),
        ({"raw_row_defect_tolerance": 1.5}, "var 'raw_row_defect_tolerance' must be a number from 0 to 1, got 1.5"),
    ],
)
def test_invalid_var_is_named(var_refusal: Callable[[dict], str], overrides: dict, message: str) -> None:
    assert message in var_refusal(overrides)


def test_the_default_vars_are_accepted(var_refusal: Callable[[dict], str]) -> None:
    assert var_refusal({}) == ""


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("as_of_date=2025-06-30", ("as_of_date", "2025-06-30")),  # a date travels to dbt as its ISO text
        ("rfm_bucket_count=4", ("rfm_bucket_count", 4)),
        (
            "composite_weights={recency: 2, frequency: 1, monetary: 0}",
            ("composite_weights", {"recency": 2, "frequency": 1, "monetary": 0}),
        ),
    ],
)
def test_cli_vars_are_read_as_yaml_and_stay_json(text: str, parsed: tuple) -> None:
    assert parse_var(text) == parsed
    json.dumps(parsed[1])


def test_cli_var_without_a_value_is_refused() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected NAME=VALUE"):
        parse_var("as_of_date")
