"""A model's required columns and value ranges are each checked by one data test, scorehouse.not_null_columns
and scorehouse.values_in_ranges, that reads the model once for all its columns and returns one row per column
that fails, with how many rows."""

from __future__ import annotations

import json
import logging

import duckdb
import pytest

from conftest import KNOWN_ANSWER_VARS
from scorehouse.dbt_runner import DbtFailed, run_dbt
from scorehouse.duckdb_target import DuckDBTarget


@pytest.fixture
def warehouse(known_answer_warehouse: DuckDBTarget) -> DuckDBTarget:
    return known_answer_warehouse


def buyers(warehouse: DuckDBTarget) -> list[str]:
    """Two customers with purchases, whose R/F/M scores are set."""
    with duckdb.connect(str(warehouse.paths.working), read_only=True) as connection:
        return [row[0] for row in connection.execute(
            "select customer_id from marts.fct_customer_rfm_scores where has_purchased order by customer_id limit 2"
        ).fetchall()]


def the_failing_test(warehouse: DuckDBTarget, test_name: str) -> tuple[str, int, list[tuple]]:
    """Runs every test of the generic test, of which one must fail: its id, failure count and rows."""
    with pytest.raises(DbtFailed):
        run_dbt(
            ["test", "--select", f"test_name:{test_name}"],
            warehouse.dbt_environment(), KNOWN_ANSWER_VARS, logging.getLogger(__name__), warehouse.paths.dbt_target,
        )
    results = json.loads((warehouse.paths.dbt_target / "run_results.json").read_text())["results"]
    (failing,) = [result for result in results if result["status"] == "fail"]
    with duckdb.connect(str(warehouse.paths.working), read_only=True) as connection:
        rows = connection.execute(failing["compiled_code"] + " order by column_name").fetchall()
    return failing["unique_id"], failing["failures"], rows


def test_one_test_names_every_required_column_that_holds_nulls_and_how_many(warehouse: DuckDBTarget) -> None:
    first, second = buyers(warehouse)
    with duckdb.connect(str(warehouse.paths.working)) as connection:
        connection.execute(
            "update marts.fct_customer_rfm_scores set as_of_date = null where customer_id in (?, ?)", [first, second]
        )
        connection.execute(
            "update marts.fct_customer_rfm_scores set has_purchased = null where customer_id = ?", [first]
        )
        # a column the model does not require may hold nulls
        connection.execute("update marts.fct_customer_rfm_scores set monetary = null")

    test_id, failures, rows = the_failing_test(warehouse, "not_null_columns")

    assert "fct_customer_rfm_scores" in test_id and failures == 2
    assert rows == [("as_of_date", 2), ("has_purchased", 1)]


def test_one_test_names_every_column_with_values_out_of_range_and_how_many(warehouse: DuckDBTarget) -> None:
    first, second = buyers(warehouse)
    with duckdb.connect(str(warehouse.paths.working)) as connection:
        # scores run from 1 to rfm_bucket_count (5)
        connection.execute(
            "update marts.fct_customer_rfm_scores set recency_score = 9 where customer_id in (?, ?)", [first, second]
        )
        connection.execute(
            "update marts.fct_customer_rfm_scores set frequency_score = 0 where customer_id = ?", [first]
        )
        # a column the model gives no range may hold any value
        connection.execute("update marts.fct_customer_rfm_scores set monetary = -1 where customer_id = ?", [first])

    test_id, failures, rows = the_failing_test(warehouse, "values_in_ranges")

    assert "fct_customer_rfm_scores" in test_id and failures == 2
    assert rows == [("frequency_score", 1), ("recency_score", 2)]
