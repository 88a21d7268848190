"""Loads checked input files into the warehouse's `raw` schema, one table per contract entity.

DuckDB reads the files and writes the tables in one transaction; Python only issues the statements.
Values are kept as written (CSV as text, Parquet in its own types) so that staging, not the loader,
decides what is readable. Every row carries its source file, its 1-based row number in that file and the
load time. A load replaces the raw tables as a whole, so loading the same files twice gives the same rows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from scorehouse.contract import EntityFiles, quote_identifier, scan_source, sql_string
from scorehouse.warehouse_connection import connect

RAW_SCHEMA = "raw"


def file_rows_select(connection: duckdb.DuckDBPyConnection, entity_files: EntityFiles, path: Path, loaded_at: datetime) -> str:
    """SELECT giving the contract columns of one file (absent optional ones as null) plus lineage."""
    source = scan_source(entity_files.file_format, path)
    present = {row[0] for row in connection.execute(f"describe select * from {source}").fetchall()}
    columns = [
        quote_identifier(name) if name in present else f"cast(null as varchar) as {quote_identifier(name)}"
        for name in entity_files.entity.column_names
    ]
    if entity_files.file_format == "parquet":
        source = source[:-1] + ", file_row_number = true)"
        row_number = "file_row_number + 1"
    else:
        source += " with ordinality"
        row_number = "ordinality"
    return (
        f"select {', '.join(columns)}, "
        f"{sql_string(str(path))} as _source_file, "
        f"cast({row_number} as bigint) as _source_row_number, "
        f"cast({sql_string(loaded_at.isoformat(sep=' '))} as timestamp) as _loaded_at "
        f"from {source}"
    )


def empty_table_select(entity_files: EntityFiles) -> str:
    """SELECT with the raw columns of an absent optional entity and no rows."""
    columns = [f"cast(null as varchar) as {quote_identifier(name)}" for name in entity_files.entity.column_names]
    return (
        f"select {', '.join(columns)}, cast(null as varchar) as _source_file, "
        "cast(null as bigint) as _source_row_number, cast(null as timestamp) as _loaded_at limit 0"
    )


def load_raw_tables(warehouse_path: Path, inputs: list[EntityFiles], loaded_at: datetime) -> dict[str, int]:
    """Replaces raw.<entity> for every contract entity in one transaction; returns rows loaded per entity.

    `loaded_at` is a naive UTC timestamp; staging quarantines rows dated after it as 'in the future'.
    """
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    row_counts: dict[str, int] = {}
    with connect(warehouse_path) as connection:
        connection.execute("begin transaction")
        connection.execute(f"create schema if not exists {RAW_SCHEMA}")
        for entity_files in inputs:
            table = f"{RAW_SCHEMA}.{quote_identifier(entity_files.entity.name)}"
            if not entity_files.paths:
                connection.execute(f"create or replace table {table} as {empty_table_select(entity_files)}")
            for index, path in enumerate(entity_files.paths):
                select = file_rows_select(connection, entity_files, path, loaded_at)
                if index == 0:
                    connection.execute(f"create or replace table {table} as {select}")
                else:
                    connection.execute(f"insert into {table} by name {select}")
            row_counts[entity_files.entity.name] = connection.execute(f"select count(*) from {table}").fetchone()[0]
        connection.execute("commit")
    return row_counts


@contextmanager
def raw_table_exports(
    inputs: list[EntityFiles], loaded_at: datetime, folder: Path, file_format: str
) -> Iterator[tuple[dict[str, int], dict[str, Path]]]:
    """For warehouses that bulk-load files: loads the inputs as `load_raw_tables` does into a scratch DuckDB
    file in a temporary folder under `folder`, and writes each raw table there as one `file_format` (csv or
    parquet) file: contract values as text, the load time as ISO text (a zone-free Parquet timestamp reads
    differently from one engine to the next), file and row number as they are. Yields the rows loaded per
    entity and each entity's file; the folder is removed on exit."""
    copy_options = {"csv": "format csv, header true", "parquet": "format parquet"}[file_format]
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".raw_load.") as scratch_folder:
        scratch_path = Path(scratch_folder) / "scratch.duckdb"
        row_counts = load_raw_tables(scratch_path, inputs, loaded_at)
        exported: dict[str, Path] = {}
        with connect(scratch_path) as scratch:
            for entity_files in inputs:
                name = entity_files.entity.name
                text_columns = [
                    f"cast({quote_identifier(column)} as varchar) as {quote_identifier(column)}"
                    for column in entity_files.entity.column_names
                ]
                exported[name] = Path(scratch_folder) / f"{name}.{file_format}"
                scratch.execute(
                    f"copy (select {', '.join(text_columns)}, _source_file, _source_row_number, "
                    f"cast(_loaded_at as varchar) as _loaded_at from {RAW_SCHEMA}.{quote_identifier(name)}) "
                    f"to {sql_string(str(exported[name]))} ({copy_options})"
                )
        yield row_counts, exported
