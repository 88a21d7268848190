"""Version numbers of the fitted models kept in the warehouse (fitted_models.*_versions tables).

A fit that gives exactly the model of the latest version (same data, same settings: the fits are
deterministic) keeps that version instead of appending a new one, so refreshing unchanged data publishes
unchanged tables, and a version number always names one model.
"""

from __future__ import annotations

import pyarrow as pa

from scorehouse.warehouse_targets import WarehouseTarget

VERSION_COLUMN = "model_version"
VERSION_FIELD = pa.field(VERSION_COLUMN, pa.int64())


def latest_version(
    target: WarehouseTarget, table: str, schema: pa.Schema, columns: list[str]
) -> tuple[int | None, list]:
    """The latest version number of `table` and the `columns` of its rows, (None, []) when it has none yet;
    creates the table (`schema` with the version column first) on a first run."""
    target.write_table(table, schema.insert(0, VERSION_FIELD).empty_table(), append=True)
    (version,) = target.query(f"select max({VERSION_COLUMN}) from {table}")[0]
    if version is None:
        return None, []
    rows = target.query(f"select {', '.join(columns)} from {table} where {VERSION_COLUMN} = {int(version)}")
    return int(version), rows


def record_version(target: WarehouseTarget, table: str, rows: pa.Table, fitted_at_column: str) -> int:
    """Appends `rows` (one version's rows, without a `model_version` column) to `table` as the next version,
    with that column first, unless they equal the latest version's rows apart from `fitted_at_column`;
    returns the version the rows now have."""
    compared = [name for name in rows.schema.names if name != fitted_at_column]
    latest, latest_rows = latest_version(target, table, rows.schema, compared)
    if latest is not None:
        fitted_rows = [tuple(row[name] for name in compared) for row in rows.to_pylist()]
        if sorted(map(tuple, latest_rows), key=repr) == sorted(fitted_rows, key=repr):
            return latest
    version = 1 if latest is None else latest + 1
    versioned = rows.add_column(0, VERSION_FIELD, pa.array([version] * rows.num_rows, pa.int64()))
    target.write_table(table, versioned, append=True)
    return version
