"""Version numbers of the fitted models kept in the warehouse (fitted_models.*_versions tables).

A fit that gives exactly the model of the latest version (same data, same settings: the fits are
deterministic) keeps that version instead of appending a new one, so refreshing unchanged data publishes
unchanged tables, and a version number always names one model.
"""

from __future__ import annotations

import pyarrow as pa

from scorehouse.warehouse_targets import WarehouseTarget

VERSION_COLUMN = "model_version"


def record_version(target: WarehouseTarget, table: str, rows: pa.Table, fitted_at_column: str) -> int:
    """Appends `rows` (one version's rows, without a `model_version` column) to `table` as the next version,
    with that column first, unless they equal the latest version's rows apart from `fitted_at_column`;
    returns the version the rows now have."""
    version_field = pa.field(VERSION_COLUMN, pa.int64())
    # the empty write creates the table on a first run
    target.write_table(table, rows.schema.insert(0, version_field).empty_table(), append=True)
    (latest_version,) = target.query(f"select max({VERSION_COLUMN}) from {table}")[0]
    compared = [name for name in rows.schema.names if name != fitted_at_column]
    if latest_version is not None:
        latest_rows = target.query(
            f"select {', '.join(compared)} from {table} where {VERSION_COLUMN} = {int(latest_version)}"
        )
        fitted_rows = [tuple(row[name] for name in compared) for row in rows.to_pylist()]
        if sorted(map(tuple, latest_rows), key=repr) == sorted(fitted_rows, key=repr):
            return int(latest_version)
    version = 1 if latest_version is None else int(latest_version) + 1
    versioned = rows.add_column(0, version_field, pa.array([version] * rows.num_rows, pa.int64()))
    target.write_table(table, versioned, append=True)
    return version
