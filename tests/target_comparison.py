"""The comparison of a refresh on another target with DuckDB's refresh of the same generated data and score
criteria: the same rows staged and quarantined, the same scores, contributions and segments, customer by
customer. tests/test_targets.py compares PostgreSQL and a local Spark session, tests/test_spark_cluster.py a
Spark cluster; each runs in a pytest of its own, side by side (`make test`).

A module that imports TestTheSameResultsAsDuckDB runs its tests, with its own fixtures `runs` (DuckDB's
refresh and those of its targets, by target name) and `target_name` (each of its targets in turn).
"""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import COMPARISON_CUSTOMERS, COMPARISON_END_DATE, copy_project
from scorehouse import dbt_runner
from scorehouse.scoring_flow import RefreshResult, refresh_scores
from scorehouse.warehouse_targets import PUBLISHED_TABLES, WarehouseTarget, target_named

NOW = datetime(2026, 1, 1, 6, 0, 0)
# the generator's defective order rows go to quarantine instead of stopping the run; fits read a sample of
# 400 customers per cutoff (of 700 to 1,260 buyers), so the tables agree only if every target draws the
# same sample
VARS = {
    "as_of_date": COMPARISON_END_DATE.isoformat(), "raw_row_defect_tolerance": 0.01, "model_fit_max_customers": 400
}
COMPOSITE_TOLERANCE = 1e-9
# The composite on criteria of every normalisation, a fitted prediction and the customer_attributes file, so
# that every target computes the contributions, the explanations and the weight review the same way.
SCORE_CRITERIA = [
    {"criterion": "monetary", "label": "Spend", "weight": "2", "direction": "higher_is_better",
     "normalisation": "bucket"},
    {"criterion": "recency_days", "label": "Recency", "weight": "1", "direction": "lower_is_better",
     "normalisation": "percentile_rank"},
    {"criterion": "latest_nps_score", "label": "NPS", "weight": "1", "direction": "higher_is_better",
     "normalisation": "min_max", "lower_bound": "0", "upper_bound": "10", "missing_value_counts_as": "0.5"},
    {"criterion": "is_loyalty_member", "label": "Loyalty", "weight": "1", "direction": "higher_is_better",
     "normalisation": "boolean"},
    {"criterion": "social_engagement_score", "label": "Social", "weight": "0.5", "direction": "higher_is_better",
     "normalisation": "percentile_rank"},
    {"criterion": "churn_probability", "label": "Churn risk", "weight": "1", "direction": "lower_is_better",
     "normalisation": "min_max", "lower_bound": "0", "upper_bound": "1"},
]
PUBLISHED_TABLE_NAMES = [table.split(".")[1] for table in PUBLISHED_TABLES]
# table name -> (column names, rows), as BI reads it
PublishedTables = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def refresh_on_duckdb_and(
    target_names: tuple[str, ...], data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RefreshResult]:
    """The refresh of `data_dir` on DuckDB, then on each of `target_names`, by a copy of the project whose
    score criteria are SCORE_CRITERIA."""
    project_dir = copy_project(tmp_path_factory.mktemp("targets_project"))
    with (project_dir / "seeds" / "score_criteria.csv").open("r+", newline="") as seed:
        header = seed.readline().strip().split(",")
        writer = csv.DictWriter(seed, fieldnames=header)
        writer.writerows(SCORE_CRITERIA)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dbt_runner, "PROJECT_DIR", project_dir)
        patch.setattr(dbt_runner, "PROFILES_DIR", project_dir / "profiles")
        return {
            target_name: refresh_scores(
                data_dir=data_dir,
                warehouse_dir=tmp_path_factory.mktemp(target_name),
                dbt_vars=VARS,
                now=NOW,
                target_name=target_name,
            )
            for target_name in ("duckdb", *target_names)
        }


def read_published_tables(target: WarehouseTarget, table_names: list[str]) -> PublishedTables:
    return {table_name: target.read_published(table_name) for table_name in table_names}


def persons(tables: PublishedTables) -> int:
    """The generated customers less the second accounts merged into an older customer of their email."""
    identities = published_rows(tables, "dim_customer_identities")
    assert len(identities) == COMPARISON_CUSTOMERS
    merged = sum(1 for row in identities.values() if not row["is_survivor"])
    assert 0 < merged < 0.03 * COMPARISON_CUSTOMERS
    return COMPARISON_CUSTOMERS - merged


def published_rows(tables: PublishedTables, table_name: str) -> dict[str, dict[str, Any]]:
    """A published table's rows by customer_id."""
    columns, rows = tables[table_name]
    return {row[columns.index("customer_id")]: dict(zip(columns, row, strict=True)) for row in rows}


def comparable(value: Any) -> Any:
    """A value as every target should give it: numbers as floats (each driver has its own numeric types),
    dates and times as ISO text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return value.isoformat()


def comparable_rows(tables: PublishedTables, table_name: str) -> list[tuple]:
    _, rows = tables[table_name]
    converted = [tuple(comparable(value) for value in row) for row in rows]
    # sorted on values rounded well above the float tolerance, so float noise cannot reorder rows
    return sorted(
        converted, key=lambda row: repr([round(value, 6) if isinstance(value, float) else value for value in row])
    )


class TestTheSameResultsAsDuckDB:
    @pytest.fixture(scope="class")
    def published(self, runs: dict[str, RefreshResult]) -> dict[str, PublishedTables]:
        """Every published table of every target, read in one step per target (one Spark session, not one per
        table)."""
        tables = {}
        for target_name, run in runs.items():
            target = target_named(run.target_name, run.paths)
            tables[target_name] = target.call(read_published_tables, target, PUBLISHED_TABLE_NAMES)
        return tables

    def test_the_same_rows_are_staged_and_quarantined(self, runs: dict[str, RefreshResult], target_name: str) -> None:
        duckdb_run = runs["duckdb"]
        assert sum(duckdb_run.quarantined_row_counts.values()) > 0, "the defective rows were not quarantined"
        assert runs[target_name].raw_row_counts == duckdb_run.raw_row_counts
        assert runs[target_name].staged_row_counts == duckdb_run.staged_row_counts
        assert runs[target_name].quarantined_row_counts == duckdb_run.quarantined_row_counts

    def test_the_same_customer_attributes_are_staged(self, runs: dict[str, RefreshResult], target_name: str) -> None:
        """The generated customer_attributes file, typed by the kinds the source declares: booleans, whole
        numbers and decimals, empty values as null."""
        staged = {}
        for name in ("duckdb", target_name):
            target = target_named(runs[name].target_name, runs[name].paths)
            rows = target.call(
                target.query,
                "select customer_id, is_loyalty_member, events_attended, social_engagement_score "
                "from staging.stg_shop__customer_attributes",
            )
            staged[name] = sorted(rows, key=lambda row: row[0])
        assert len(staged["duckdb"]) > 1_000
        assert any(row[3] is None for row in staged["duckdb"]) and any(row[1] for row in staged["duckdb"])
        assert staged[target_name] == staged["duckdb"]

    def test_every_customer_gets_the_same_scores_and_segment(
        self, published: dict[str, PublishedTables], target_name: str
    ) -> None:
        expected = published_rows(published["duckdb"], "dim_customer_segments")
        actual = published_rows(published[target_name], "dim_customer_segments")
        assert len(expected) == persons(published["duckdb"])
        assert actual.keys() == expected.keys()
        exact_columns = (
            "segment_name", "recency_score", "frequency_score", "monetary_score", "is_vip", "is_churn_risk"
        )
        differences = [
            (customer_id, column, expected[customer_id][column], actual[customer_id][column])
            for customer_id in expected
            for column in exact_columns
            if expected[customer_id][column] != actual[customer_id][column]
        ]
        assert differences == []
        composite_gaps = [
            abs(expected[customer_id]["composite_score"] - actual[customer_id]["composite_score"])
            for customer_id in expected
            if expected[customer_id]["composite_score"] is not None
        ]
        assert len(composite_gaps) > 1_000
        assert max(composite_gaps) <= COMPOSITE_TOLERANCE
        assert all(
            (expected[customer_id]["composite_score"] is None) == (actual[customer_id]["composite_score"] is None)
            for customer_id in expected
        )

    def test_every_customer_has_the_same_rfm_inputs(
        self, published: dict[str, PublishedTables], target_name: str
    ) -> None:
        expected = published_rows(published["duckdb"], "fct_customer_rfm_scores")
        actual = published_rows(published[target_name], "fct_customer_rfm_scores")
        assert actual.keys() == expected.keys()
        for customer_id, row in expected.items():
            other = actual[customer_id]
            assert (other["recency_days"], other["frequency"]) == (row["recency_days"], row["frequency"]), customer_id
            assert Decimal(other["monetary"]) == Decimal(row["monetary"]), customer_id

    @pytest.mark.parametrize("table", PUBLISHED_TABLE_NAMES)
    def test_every_published_table_agrees(
        self, published: dict[str, PublishedTables], target_name: str, table: str
    ) -> None:
        expected, actual = comparable_rows(published["duckdb"], table), comparable_rows(published[target_name], table)
        assert len(actual) == len(expected)
        for expected_row, actual_row in zip(expected, actual, strict=True):
            assert actual_row == pytest.approx(expected_row, rel=COMPOSITE_TOLERANCE, abs=COMPOSITE_TOLERANCE), table

    def test_segment_summaries_agree(
        self, runs: dict[str, RefreshResult], published: dict[str, PublishedTables], target_name: str
    ) -> None:
        expected = {row["segment_name"]: row for row in runs["duckdb"].segment_summary}
        assert sum(row["customer_count"] for row in expected.values()) == persons(published["duckdb"])
        actual = {row["segment_name"]: row for row in runs[target_name].segment_summary}
        assert actual.keys() == expected.keys()
        for segment_name, row in expected.items():
            assert actual[segment_name]["customer_count"] == row["customer_count"]
            assert Decimal(actual[segment_name]["window_revenue"]) == Decimal(row["window_revenue"])
