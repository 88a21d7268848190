"""DuckDB connections of the Python steps (loading, gates, publishing), capped and zoned like dbt's own.

dbt's profile caps DuckDB's memory; without the same cap here, loading or gating 100M orders would take
most of the machine. It also sets the session time zone to UTC: inherited from the machine, it would move
every Parquet timestamp with a time zone by the machine's offset when read as text.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

MEMORY_LIMIT_VARIABLE = "SCOREHOUSE_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "6GB"  # profiles/profiles.yml falls back to the same value for dbt run by hand
SESSION_TIME_ZONE = "UTC"  # profiles/profiles.yml sets the same for dbt


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_VARIABLE, DEFAULT_MEMORY_LIMIT)


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": memory_limit()})
    # a SET, not a connect option: DuckDB refuses TimeZone in the config before its time zone support loads
    connection.execute(f"set TimeZone = '{SESSION_TIME_ZONE}'")
    return connection
