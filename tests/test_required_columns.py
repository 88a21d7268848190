"""A model's required columns are checked by one data test, scorehouse.not_null_columns, that reads the model
once for all of them and returns one row per column holding nulls, with how many."""

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


def run_required_column_tests(warehouse: DuckDBTarget) -> list[dict]:
    """Runs every not_null_columns test; returns the results of the failing ones."""
    with pytest.raises(DbtFailed):
        run_dbt(
            ["test", "--select", "test_name:not_null_columns"],
            warehouse.dbt_environment(), KNOWN_ANSWER_VARS, logging.getLogger(__name__), warehouse.paths.dbt_target,
        )
    results = json.loads((warehouse.paths.dbt_target / "run_results.json").read_text())["results"]
    return [result for result in results if result["status"] == "fail"]


def test_one_test_names_every_required_column_that_holds_nulls_and_how_many(warehouse: DuckDBTarget) -> None:
    with duckdb.connect(str(warehouse.paths.working)) as connection:
        buyers = [row[0] for row in connection.execute(
            "select customer_id from marts.fct_customer_rfm_scores where has_purchased order by customer_id limit 2"
        ).fetchall()]
        connection.execute(
            "update marts.fct_customer_rfm_scores set as_of_date = null where customer_id in (?, ?)", buyers
        )
        connection.execute(
            "update marts.fct_customer_rfm_scores set has_purchased = null where customer_id = ?", buyers[:1]
        )
        # a column the model does not require may hold nulls
        connection.execute("update marts.fct_customer_rfm_scores set monetary = null")

    failing = run_required_column_tests(warehouse)

    assert len(failing) == 1 and "fct_customer_rfm_scores" in failing[0]["unique_id"]
    assert failing[0]["failures"] == 2
    with duckdb.connect(str(warehouse.paths.working), read_only=True) as connection:
        null_columns = connection.execute(failing[0]["compiled_code"] + " order by column_name").fetchall()
    assert null_columns == [("as_of_date", 2), ("has_purchased", 1)]
