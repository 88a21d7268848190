"""The data tests that read only the rows written since they last passed (unique_since_last_pass,
relationships_since_last_pass, on staging and intermediate models): they still catch a defect in a newly
written row, and a defect stays caught until it is fixed, since only a pass moves their starting point."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import duckdb
import pytest

from conftest import KNOWN_ANSWER_VARS
from scorehouse.dbt_runner import DbtFailed, run_dbt
from scorehouse.duckdb_target import DuckDBTarget


@pytest.fixture
def warehouse(known_answer_warehouse: DuckDBTarget) -> DuckDBTarget:
    return known_answer_warehouse


def yml_name(unique_id: str) -> str:
    """The test's name as written in the models' yml, from its node id (test.scorehouse.<name>.<hash>)."""
    return unique_id.split(".")[2].removeprefix("scorehouse_")


def last_passes(warehouse: DuckDBTarget) -> dict[str, datetime]:
    with duckdb.connect(str(warehouse.paths.working), read_only=True) as connection:
        rows = connection.execute(
            "select test_id, max(passed_at) from main.passed_data_tests group by test_id"
        ).fetchall()
    return {yml_name(test_id): passed_at for test_id, passed_at in rows}


def repeat_first_staged_order(warehouse: DuckDBTarget, checked_at: datetime) -> None:
    """Stages the first staged order a second time under a new source row, as checked at `checked_at`."""
    with duckdb.connect(str(warehouse.paths.working)) as connection:
        connection.execute(
            """insert into staging.stg_shop__orders_checked
            select * replace (source_row_number + 1000000 as source_row_number, cast(? as timestamp) as checked_at)
            from staging.stg_shop__orders_checked
            where quarantine_reason is null
            order by source_file, source_row_number
            limit 1""",
            [checked_at],
        )


def failing_since_last_pass_tests(warehouse: DuckDBTarget) -> list[str]:
    """Runs the tests that start from their last pass; returns the names of the failing ones."""
    try:
        run_dbt(
            ["test", "--select", "test_name:unique_since_last_pass", "test_name:relationships_since_last_pass"],
            warehouse.dbt_environment(), KNOWN_ANSWER_VARS, logging.getLogger(__name__), warehouse.paths.dbt_target,
        )
    except DbtFailed as failure:
        return sorted(yml_name(node) for node in failure.failed_nodes)
    return []


def test_a_refresh_records_the_passes_of_every_test_that_starts_from_its_last_pass(
    warehouse: DuckDBTarget,
) -> None:
    manifest = json.loads((warehouse.paths.dbt_target / "manifest.json").read_text())
    since_last_pass_tests = {
        node["name"].removeprefix("scorehouse_") for node in manifest["nodes"].values()
        if (node.get("test_metadata") or {}).get("name") in ("unique_since_last_pass", "relationships_since_last_pass")
    }
    assert "unique_since_last_pass_stg_shop__orders_order_id" in since_last_pass_tests
    assert set(last_passes(warehouse)) == since_last_pass_tests


def test_a_repeated_order_checked_after_the_last_pass_fails_until_it_is_gone(warehouse: DuckDBTarget) -> None:
    last_pass = last_passes(warehouse)["unique_since_last_pass_stg_shop__orders_order_id"]
    repeat_first_staged_order(warehouse, last_pass + timedelta(hours=1))

    failing = ["unique_since_last_pass_stg_shop__orders_order_id"]
    assert failing_since_last_pass_tests(warehouse) == failing
    # the failure recorded no pass, so the next run looks at the repeated order again
    assert failing_since_last_pass_tests(warehouse) == failing

    with duckdb.connect(str(warehouse.paths.working)) as connection:
        connection.execute("delete from staging.stg_shop__orders_checked where source_row_number > 1000000")
    assert failing_since_last_pass_tests(warehouse) == []
    assert last_passes(warehouse)["unique_since_last_pass_stg_shop__orders_order_id"] > last_pass


def test_an_item_of_an_unknown_order_checked_after_the_last_pass_fails(warehouse: DuckDBTarget) -> None:
    last_pass = last_passes(warehouse)[
        "relationships_since_last_pass_stg_shop__order_items_order_id__order_id__ref_stg_shop__orders_"
    ]
    with duckdb.connect(str(warehouse.paths.working)) as connection:
        connection.execute(
            """insert into staging.stg_shop__order_items_checked by name
            select 'NO-SUCH-ORDER' as order_id, 'P1' as product_id, 1 as quantity, 1.0 as unit_price,
                'planted.csv' as source_file, 1 as source_row_number,
                cast(? as timestamp) as loaded_at, cast(? as timestamp) as checked_at""",
            [last_pass, last_pass + timedelta(hours=1)],
        )

    assert failing_since_last_pass_tests(warehouse) == [
        "relationships_since_last_pass_stg_shop__order_items_order_id__order_id__ref_stg_shop__orders_"
    ]


def test_rows_checked_before_the_last_pass_are_not_read_again(warehouse: DuckDBTarget) -> None:
    # rows a passing test has seen cannot change until staging checks them again (which stamps them anew),
    # so a row stamped before the last pass is out of the test's reach: here, a repeat planted by hand
    last_pass = last_passes(warehouse)["unique_since_last_pass_stg_shop__orders_order_id"]
    repeat_first_staged_order(warehouse, last_pass - timedelta(hours=1))

    assert failing_since_last_pass_tests(warehouse) == []


def compiled_unique_order_test(warehouse: DuckDBTarget) -> str:
    return (
        warehouse.paths.dbt_target / "compiled" / "scorehouse" / "models" / "staging" / "shop" / "_shop__models.yml"
        / "scorehouse_unique_since_last_pass_stg_shop__orders_order_id.sql"
    ).read_text()


def test_after_a_full_rebuild_the_tests_read_every_row_the_plain_way(warehouse: DuckDBTarget) -> None:
    assert failing_since_last_pass_tests(warehouse) == []
    assert "checked_at >" in compiled_unique_order_test(warehouse)

    # as a full rebuild leaves them: every row checked after the last pass
    last_pass = last_passes(warehouse)["unique_since_last_pass_stg_shop__orders_order_id"]
    with duckdb.connect(str(warehouse.paths.working)) as connection:
        connection.execute(
            "update staging.stg_shop__orders_checked set checked_at = cast(? as timestamp)",
            [last_pass + timedelta(hours=1)],
        )
    assert failing_since_last_pass_tests(warehouse) == []
    assert "checked_at >" not in compiled_unique_order_test(warehouse)
