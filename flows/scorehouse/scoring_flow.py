"""The scoring job as one Prefect flow: check the input contract, load the raw files, build and test every
model with `dbt build`, then report where the outputs are. All customer-level work happens in the warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from scorehouse.contract import EntityFiles, check_data_dir
from scorehouse.dbt_runner import PROJECT_DIR, run_dbt
from scorehouse.loading import load_raw_tables

DEFAULT_WAREHOUSE = PROJECT_DIR / "warehouse" / "scorehouse.duckdb"
PUBLISHED_TABLES = (
    "marts.dim_customer_segments",
    "marts.fct_customer_scores",
    "marts.fct_customer_rfm_scores",
    "marts.segment_summary",
    "staging.stg_shop__quarantined_rows",
)


@dataclass(frozen=True)
class ScoringResult:
    warehouse_path: Path
    raw_row_counts: dict[str, int]
    quarantined_row_counts: dict[str, int]
    segment_summary: list[dict[str, Any]]


@task(cache_policy=NO_CACHE)
def check_inputs(data_dir: Path) -> list[EntityFiles]:
    """Stops the run before anything is written when the files break the input contract."""
    inputs = check_data_dir(data_dir)
    get_run_logger().info(
        "input contract met: %s",
        ", ".join(f"{files.entity.name} ({len(files.paths)} file(s))" for files in inputs if files.paths),
    )
    return inputs


@task(cache_policy=NO_CACHE)
def check_configuration(warehouse_path: Path, dbt_vars: Mapping[str, Any] | None) -> None:
    """Validates the dbt vars before loading, so a bad setting leaves the warehouse untouched."""
    run_dbt(["run-operation", "validate_vars"], warehouse_path, dbt_vars, get_run_logger())


@task(cache_policy=NO_CACHE)
def load_inputs(warehouse_path: Path, inputs: list[EntityFiles], loaded_at: datetime) -> dict[str, int]:
    row_counts = load_raw_tables(warehouse_path, inputs, loaded_at)
    get_run_logger().info("loaded raw rows: %s", row_counts)
    return row_counts


@task(cache_policy=NO_CACHE)
def build_models(warehouse_path: Path, dbt_vars: Mapping[str, Any] | None) -> None:
    """`dbt build`: seeds, models, unit tests and data tests in DAG order, so nothing downstream of a failing
    test is built."""
    run_dbt(["build"], warehouse_path, dbt_vars, get_run_logger())


@task(cache_policy=NO_CACHE)
def read_results(warehouse_path: Path) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Quarantine counts per input and the segment summary (a dozen rows) for the run report."""
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        quarantined = dict(
            connection.execute(
                "select source_table, count(*) from staging.stg_shop__quarantined_rows group by 1 order by 1"
            ).fetchall()
        )
        cursor = connection.execute(
            "select segment_name, customer_count, customer_share, window_revenue, average_composite_score "
            "from marts.segment_summary order by display_order"
        )
        columns = [column[0] for column in cursor.description]
        summary = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return quarantined, summary


@flow(name="score-customers", log_prints=False)
def score_customers(
    data_dir: Path,
    warehouse_path: Path = DEFAULT_WAREHOUSE,
    dbt_vars: dict[str, Any] | None = None,
    loaded_at: datetime | None = None,
) -> ScoringResult:
    """Scores every customer in `data_dir` into the DuckDB warehouse at `warehouse_path`.

    `dbt_vars` overrides dbt vars (as_of_date, weights, ...); `loaded_at` (naive UTC) is the clock that
    decides which timestamps lie in the future, injectable for tests.
    """
    inputs = check_inputs(Path(data_dir))
    check_configuration(Path(warehouse_path), dbt_vars)
    loaded_at = loaded_at or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    raw_row_counts = load_inputs(Path(warehouse_path), inputs, loaded_at)
    build_models(Path(warehouse_path), dbt_vars)
    quarantined, summary = read_results(Path(warehouse_path))
    return ScoringResult(Path(warehouse_path), raw_row_counts, quarantined, summary)
