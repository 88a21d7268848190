"""A model's value ranges are checked by one data test, scorehouse.values_in_ranges, that reads the model once for
all of them and returns one row per column holding values outside its range, with how many."""

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


def run_value_range_tests(warehouse: DuckDBTarget) -> list[dict]:
    """Runs every values_in_ranges test; returns the results of the failing ones."""
    with pytest.raises(DbtFailed):
        run_dbt(
            ["test", "--select", "test_name:values_in_ranges"],
            warehouse.dbt_environment(), KNOWN_ANSWER_VARS, logging.getLogger(__name__), warehouse.paths.dbt_target,
        )
    results = json.loads((warehouse.paths.dbt_target / "run_results.json").read_text())["results"]
    return [result for result in results if result["status"] == "fail"]


def test_one_test_names_every_column_with_values_out_of_range_and_how_many(warehouse: DuckDBTarget) -> None:
    with duckdb.connect(str(warehouse.paths.working)) as connection:
        buyers = [row[0] for row in connection.execute(
            "select customer_id from marts.fct_customer_rfm_scores where has_purchased order by customer_id limit 2"
        ).fetchall()]
        # scores run from 1 to rfm_bucket_count (5)
        connection.execute(
            "update marts.fct_customer_rfm_scores set recency_score = 9 where customer_id in (?, ?)", buyers
        )
        connection.execute(
            "update marts.fct_customer_rfm_scores set frequency_score = 0 where customer_id = ?", buyers[:1]
        )
        # a column the model gives no range may hold any value
        connection.execute("update marts.fct_customer_rfm_scores set monetary = -1 where customer_id = ?", buyers[:1])

    failing = run_value_range_tests(warehouse)

    assert len(failing) == 1 and "fct_customer_rfm_scores" in failing[0]["unique_id"]
    assert failing[0]["failures"] == 2
    with duckdb.connect(str(warehouse.paths.working), read_only=True) as connection:
        out_of_range_columns = connection.execute(failing[0]["compiled_code"] + " order by column_name").fetchall()
    assert out_of_range_columns == [("frequency_score", 1), ("recency_score", 2)]
