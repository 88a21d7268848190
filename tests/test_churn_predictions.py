"""Churn predictions: the warehouse tables Python writes (write_table), point-in-time features, the churn
model fitted by the flow and scored in SQL."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path

import pyarrow as pa

from scorehouse.warehouse_targets import WarehousePaths, WarehouseTarget, target_named

ROUND_TRIP_TABLE = "round_trip_check.fitted_rows"


def round_trip_batch(version: int, names: list[str]) -> pa.Table:
    """Rows of every column type the fitted-model tables use: text, integer, double, boolean, timestamp."""
    return pa.table(
        {
            "model_version": pa.array([version] * len(names), pa.int64()),
            "feature_name": pa.array(names, pa.string()),
            "coefficient": pa.array([0.5 * index - 1.25 for index in range(len(names))], pa.float64()),
            "is_fitted": pa.array([index % 2 == 0 for index in range(len(names))], pa.bool_()),
            "trained_at": pa.array([datetime(2025, 7, 1, 12, 30, 0)] * len(names), pa.timestamp("us")),
        }
    )


def check_write_table_round_trip(target: WarehouseTarget) -> None:
    """A new schema and table are created, a replacing write drops the old rows, an appending one keeps
    them, and the values read back as written. Shared with tests/test_targets.py (postgres, spark)."""
    def write(rows: pa.Table, append: bool) -> None:
        target.call(partial(target.write_table, append=append), ROUND_TRIP_TABLE, rows)

    def rows() -> list[tuple]:
        sql = f"select model_version, feature_name, coefficient, is_fitted, trained_at from {ROUND_TRIP_TABLE}"
        return sorted(target.call(target.query, sql))

    write(round_trip_batch(9, ["stale"]), append=False)
    write(round_trip_batch(1, ["recency_days", "frequency"]), append=False)
    assert rows() == [
        (1, "frequency", -0.75, False, datetime(2025, 7, 1, 12, 30)),
        (1, "recency_days", -1.25, True, datetime(2025, 7, 1, 12, 30)),
    ]
    write(round_trip_batch(2, ["tenure_days"]), append=True)
    assert [row[:2] for row in rows()] == [(1, "frequency"), (1, "recency_days"), (2, "tenure_days")]
    write(round_trip_batch(3, []), append=True)
    assert len(rows()) == 3


def test_duckdb_write_table_round_trips(tmp_path: Path) -> None:
    check_write_table_round_trip(target_named("duckdb", WarehousePaths(tmp_path)))
