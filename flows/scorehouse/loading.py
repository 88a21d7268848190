"""Loads checked input files into the warehouse's `raw` schema, one table per contract entity.

DuckDB reads the files and writes the tables in one transaction; Python only issues the statements.
Values are kept as written (CSV as text, Parquet in its own types) so that staging, not the loader,
decides what is readable. Every row carries its source file, its 1-based row number in that file and the
load time.

A manifest (`raw._loaded_files`) remembers each loaded file's size and modification time, and whether a
refresh carried it through every check to a publication (`accept_loaded_files`). When files were only added
since a fully accepted load, the load appends their rows and keeps every other row as it was, load time
included, so dbt may build incrementally from the new rows and the delivery gate checks only those. When a loaded
file changed or went away, the clock went back, or the last load was never accepted (its gate refused it, or
the run was killed before publishing), the raw tables are replaced as a whole, so the gate checks every row
again and dbt rebuilds in full: a refused delivery stays refused until its files change. Either way, loading
the same files twice gives the same rows.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from scorehouse.contract import EntityFiles, quote_identifier, scan_source, sql_string, timestamp_literal
from scorehouse.warehouse_connection import connect

# one line per file as it is read, for a person watching a long load; the refresh flow forwards it to its log
logger = logging.getLogger(__name__)
RAW_SCHEMA = "raw"
MANIFEST_TABLE = f"{RAW_SCHEMA}._loaded_files"


@dataclass(frozen=True)
class RawLoad:
    row_counts: dict[str, int]  # raw rows per entity after the load
    is_append_only: bool  # rows already loaded were all kept as they were: dbt may build incrementally
    loaded_file_count: int  # files read: the new ones when append-only, else all of them

    @classmethod
    def reloaded(cls, row_counts: dict[str, int], inputs: list[EntityFiles]) -> RawLoad:
        """A load that replaced every raw table from all the files."""
        return cls(row_counts, is_append_only=False, loaded_file_count=sum(len(files.paths) for files in inputs))

    @property
    def has_new_rows(self) -> bool:
        """Whether the raw tables hold any row they did not hold before this load."""
        return not self.is_append_only or self.loaded_file_count > 0


@dataclass(frozen=True)
class LoadedFile:
    entity: str
    path: str
    size_bytes: int
    modified_ns: int

    @classmethod
    def of(cls, entity: str, path: Path) -> LoadedFile:
        status = path.stat()
        return cls(entity, str(path), status.st_size, status.st_mtime_ns)


def file_rows_select(
    connection: duckdb.DuckDBPyConnection, entity_files: EntityFiles, path: Path, loaded_at: datetime
) -> str:
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
        f"{timestamp_literal(loaded_at)} as _loaded_at "
        f"from {source}"
    )


def empty_table_select(entity_files: EntityFiles) -> str:
    """SELECT with the raw columns of an absent optional entity and no rows."""
    columns = [f"cast(null as varchar) as {quote_identifier(name)}" for name in entity_files.entity.column_names]
    return (
        f"select {', '.join(columns)}, cast(null as varchar) as _source_file, "
        "cast(null as bigint) as _source_row_number, cast(null as timestamp) as _loaded_at limit 0"
    )


def add_new_contract_columns(connection: duckdb.DuckDBPyConnection, inputs: list[EntityFiles]) -> None:
    """Gives a raw table kept from an earlier load the optional columns the contract gained since, empty, as
    an absent optional column loads: appended files and staging then find every contract column."""
    for entity_files in inputs:
        table = f"{RAW_SCHEMA}.{quote_identifier(entity_files.entity.name)}"
        for name in entity_files.entity.column_names:
            connection.execute(f"alter table {table} add column if not exists {quote_identifier(name)} varchar")


@dataclass(frozen=True)
class PreviousLoad:
    files: set[LoadedFile]
    last_loaded_at: datetime | None  # None before a first load
    is_accepted: bool  # every listed file was carried through a refresh's checks to a publication


def previous_load(connection: duckdb.DuckDBPyConnection) -> PreviousLoad:
    """What the manifest says of the files loaded so far."""
    manifest_columns = {
        row[0]
        for row in connection.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, MANIFEST_TABLE.split(".")[1]],
        ).fetchall()
    }
    if not manifest_columns:
        return PreviousLoad(set(), None, is_accepted=False)
    # a manifest written before acceptance was recorded counts as not accepted: one full reload upgrades it
    accepted = "accepted_at is not null" if "accepted_at" in manifest_columns else "false"
    rows = connection.execute(
        f"select entity, path, size_bytes, modified_ns, loaded_at, {accepted} from {MANIFEST_TABLE}"
    ).fetchall()
    return PreviousLoad(
        {LoadedFile(*row[:4]) for row in rows},
        max((row[4] for row in rows), default=None),
        all(row[5] for row in rows),
    )


def accept_loaded_files(warehouse_path: Path, accepted_at: datetime) -> None:
    """Records that a refresh carried every loaded file through its checks to a publication, so the next
    load may append to them instead of loading, checking and building everything again."""
    with connect(warehouse_path) as connection:
        connection.execute(f"update {MANIFEST_TABLE} set accepted_at = ? where accepted_at is null", [accepted_at])


def load_raw_tables(warehouse_path: Path, inputs: list[EntityFiles], loaded_at: datetime) -> RawLoad:
    """Appends the files added since the last load to raw.<entity>, or replaces every raw table when a loaded
    file changed or went away, in one transaction; returns the rows per entity and which of the two it did.

    `loaded_at` is a naive UTC timestamp; staging quarantines rows dated after it as 'in the future'.
    """
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    delivered = {
        LoadedFile.of(entity_files.entity.name, path): entity_files
        for entity_files in inputs
        for path in entity_files.paths
    }
    with connect(warehouse_path) as connection:
        connection.execute("begin transaction")
        connection.execute(f"create schema if not exists {RAW_SCHEMA}")
        previous = previous_load(connection)
        loaded_files, last_loaded_at = previous.files, previous.last_loaded_at
        new_files = [loaded_file for loaded_file in delivered if loaded_file not in loaded_files]
        is_append_only = (
            last_loaded_at is not None
            # rows a gate refused, or a killed run left unchecked, are checked and built again from scratch
            and previous.is_accepted
            and loaded_files <= delivered.keys()
            # appended rows must be the newest, or incremental models could not tell them from the kept ones
            and (not new_files or loaded_at > last_loaded_at)
            # a first file of an entity sets its raw column types (Parquet keeps its own), as a full load would
            and (
                {loaded_file.entity for loaded_file in new_files}
                <= {loaded_file.entity for loaded_file in loaded_files}
            )
        )
        filled_tables = set()
        if not is_append_only:
            new_files = list(delivered)
            connection.execute(
                f"create or replace table {MANIFEST_TABLE} (entity varchar, path varchar, size_bytes bigint, "
                "modified_ns bigint, loaded_at timestamp, accepted_at timestamp)"
            )
            for entity_files in inputs:
                if not entity_files.paths:
                    table = f"{RAW_SCHEMA}.{quote_identifier(entity_files.entity.name)}"
                    connection.execute(f"create or replace table {table} as {empty_table_select(entity_files)}")
        else:
            filled_tables = {loaded_file.entity for loaded_file in loaded_files}
            add_new_contract_columns(connection, inputs)
        for position, loaded_file in enumerate(new_files, start=1):
            logger.info(
                "loading %s, file %d of %d: %s", loaded_file.entity, position, len(new_files), loaded_file.path
            )
            table = f"{RAW_SCHEMA}.{quote_identifier(loaded_file.entity)}"
            select = file_rows_select(connection, delivered[loaded_file], Path(loaded_file.path), loaded_at)
            if loaded_file.entity in filled_tables:
                connection.execute(f"insert into {table} by name {select}")
            else:
                connection.execute(f"create or replace table {table} as {select}")
                filled_tables.add(loaded_file.entity)
            connection.execute(
                f"insert into {MANIFEST_TABLE} by name select ? as entity, ? as path, ? as size_bytes, "
                "? as modified_ns, ? as loaded_at",
                [loaded_file.entity, loaded_file.path, loaded_file.size_bytes, loaded_file.modified_ns, loaded_at],
            )
        row_counts = {
            entity_files.entity.name: connection.execute(
                f"select count(*) from {RAW_SCHEMA}.{quote_identifier(entity_files.entity.name)}"
            ).fetchone()[0]
            for entity_files in inputs
        }
        connection.execute("commit")
    return RawLoad(row_counts, is_append_only, len(new_files))


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
        row_counts = load_raw_tables(scratch_path, inputs, loaded_at).row_counts
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
