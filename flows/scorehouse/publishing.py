"""Write-audit-publish on DuckDB: copies the audited BI tables from the working warehouse into a new DuckDB file and
renames it over the published one.

BI tools only ever open the published file, read-only. A rename swaps the whole file at once: a reader that
holds the old file keeps reading it, a reader that reconnects sees the new one, and a run that fails or is
killed before the rename leaves the published file exactly as it was.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from scorehouse.contract import sql_string, timestamp_literal
from scorehouse.warehouse_connection import connect
from scorehouse.warehouse_targets import PUBLISHED_TABLES, Publication, tables_fingerprint

PUBLICATION_TABLE = "main.scorehouse_publication"


def outputs_fingerprint(connection: duckdb.DuckDBPyConnection, database: str) -> tuple[str, dict[str, int]]:
    """Order-independent digest of the published tables' contents in `database`, and their row counts."""
    return tables_fingerprint(
        PUBLISHED_TABLES,
        lambda table: connection.execute(
            f"select count(*), coalesce(sum(hash(t)), 0) from {database}.{table} as t"
        ).fetchone(),
    )


def published_fingerprint(published_path: Path) -> str | None:
    if not published_path.exists():
        return None
    with connect(published_path, read_only=True) as connection:
        return connection.execute(f"select fingerprint from {PUBLICATION_TABLE}").fetchone()[0]


def fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_unfinished_copies(published_path: Path) -> None:
    """Deletes the copies (and their write-ahead logs) that publishes killed before their rename left
    behind. Only one refresh of a warehouse runs at a time, so none of them is still being written."""
    for leftover in published_path.parent.glob(f".{published_path.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)


def publish(working_path: Path, published_path: Path, run_id: str, published_at: datetime) -> Publication:
    """Publishes the BI tables of `working_path` unless `published_path` already holds the same contents."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    remove_unfinished_copies(published_path)
    staging_path = published_path.with_name(f".{published_path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with connect(staging_path) as connection:
            connection.execute(f"attach {sql_string(str(working_path))} as working (read_only)")
            fingerprint, row_counts = outputs_fingerprint(connection, "working")
            if fingerprint == published_fingerprint(published_path):
                return Publication(str(published_path), False, fingerprint, row_counts)
            for table in PUBLISHED_TABLES:
                schema = table.split(".")[0]
                connection.execute(f"create schema if not exists {schema}")
                connection.execute(f"create table {table} as select * from working.{table}")
            connection.execute(
                f"create table {PUBLICATION_TABLE} as select {sql_string(fingerprint)} as fingerprint, "
                f"{sql_string(run_id)} as run_id, "
                f"{timestamp_literal(published_at)} as published_at"
            )
            connection.execute("detach working")
            connection.execute("checkpoint")
        fsync_path(staging_path)
        os.replace(staging_path, published_path)
        fsync_path(published_path.parent)
        return Publication(str(published_path), True, fingerprint, row_counts)
    finally:
        staging_path.unlink(missing_ok=True)
        staging_path.with_name(staging_path.name + ".wal").unlink(missing_ok=True)
