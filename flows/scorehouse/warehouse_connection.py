"""DuckDB connections of the Python steps (loading, gates, publishing), capped and zoned like dbt's own.

dbt's profile caps DuckDB's memory; without the same cap here, loading or gating 100M orders would take
most of the machine. It also sets the session time zone to UTC: inherited from the machine, it would move
every Parquet timestamp with a time zone by the machine's offset when read as text.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from scorehouse.dbt_runner import DbtFailed
from scorehouse.errors import UserFacingError

MEMORY_LIMIT_VARIABLE = "SCOREHOUSE_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "6GB"  # profiles/profiles.yml falls back to the same value for dbt run by hand
SESSION_TIME_ZONE = "UTC"  # profiles/profiles.yml sets the same for dbt
# how DuckDB's error begins when a query needs more memory than the cap; dbt's and GX's errors quote it
OUT_OF_MEMORY_ERROR = "Out of Memory Error"


class WarehouseOutOfMemory(UserFacingError, RuntimeError):
    """A query needed more memory than the cap lets DuckDB use, after spilling what it can to disk."""


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_VARIABLE, DEFAULT_MEMORY_LIMIT)


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": memory_limit()})
    # a SET, not a connect option: DuckDB refuses TimeZone in the config before its time zone support loads
    connection.execute(f"set TimeZone = '{SESSION_TIME_ZONE}'")
    return connection


def out_of_memory_failure(error: BaseException) -> WarehouseOutOfMemory | None:
    """The sentence for `error` when it is DuckDB running out of memory, naming the dbt nodes it stopped:
    DuckDB's own advice names SQL settings, while the user's knob is the cap's variable."""
    if OUT_OF_MEMORY_ERROR not in str(error):
        return None
    nodes = [
        node for node, message in (error.failures.items() if isinstance(error, DbtFailed) else [])
        if OUT_OF_MEMORY_ERROR in message
    ]
    where = f" in {', '.join(nodes)}" if nodes else ""
    return WarehouseOutOfMemory(
        f"The DuckDB warehouse ran out of memory{where} under its cap of {memory_limit()}: set "
        f"{MEMORY_LIMIT_VARIABLE} higher, up to the memory the machine can spare, and run again; the published "
        "tables are unchanged."
    )
