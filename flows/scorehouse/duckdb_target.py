"""The embedded DuckDB warehouse: dbt builds in a working file, BI reads a published file that is swapped
whole (scorehouse.publishing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import duckdb
import duckdb_engine
import pyarrow as pa

from scorehouse.contract import EntityFiles, quote_identifier
from scorehouse.errors import UserFacingError
from scorehouse.loading import RawLoad, accept_loaded_files, load_raw_tables
from scorehouse.publishing import publish
from scorehouse.warehouse_connection import connect, out_of_memory_failure
from scorehouse.warehouse_targets import (
    Publication,
    WarehouseTarget,
    query_asset_batches,
    split_qualified_name,
)

# the working file, which the profile's duckdb output reads (profiles/profiles.yml)
DUCKDB_PATH_VARIABLE = "SCOREHOUSE_DUCKDB_PATH"


class StatementCursorConnection(duckdb_engine.ConnectionWrapper):
    """duckdb-engine's DBAPI connection, except that every SQLAlchemy cursor runs on its own DuckDB cursor.

    Why: GX's SqlAlchemyExecutionEngine.execute_query returns a result and fetches its rows only after the
    SQLAlchemy Connection is closed, and Connection.close() always rolls back the DBAPI connection
    (documented in SQLAlchemy's Connection.close) before the pool sees it, so pool_reset_on_return=None or a
    different poolclass cannot help. A rollback, like any statement, on a DuckDB connection discards that
    connection's open result, so every metric came back empty: `MetricResolutionError: list index out of
    range` (GX issues #10738 and #11579; duckdb_engine issue #734, "calling .commit causes results to be
    empty"). A DuckDB cursor is a separate connection to the same database (DuckDB's "Multiple Python
    Threads" guide), so its result survives the parent's rollback, and closing the parent closes it.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        super().__init__(connection)
        self._duckdb_connection = connection

    def cursor(self) -> duckdb_engine.CursorWrapper:
        return duckdb_engine.CursorWrapper(self._duckdb_connection.cursor(), self)


class DuckDBTarget(WarehouseTarget):
    name = "duckdb"
    location_variables = (DUCKDB_PATH_VARIABLE,)

    def dbt_environment(self) -> dict[str, str]:
        return {**super().dbt_environment(), DUCKDB_PATH_VARIABLE: str(self.paths.working)}

    def explained_failure(self, error: BaseException) -> UserFacingError | None:
        return out_of_memory_failure(error)

    def load_raw_tables(self, inputs: list[EntityFiles], loaded_at: datetime) -> RawLoad:
        return load_raw_tables(self.paths.working, inputs, loaded_at)

    def accept_load(self, accepted_at: datetime) -> None:
        accept_loaded_files(self.paths.working, accepted_at)

    def write_table(self, qualified_name: str, rows: pa.Table, *, append: bool) -> None:
        schema, table = split_qualified_name(qualified_name)
        relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
        with connect(self.paths.working) as connection:
            connection.register("rows_to_write", rows)
            connection.execute("begin")
            connection.execute(f"create schema if not exists {quote_identifier(schema)}")
            if append:
                connection.execute(f"create table if not exists {relation} as select * from rows_to_write limit 0")
                connection.execute(f"insert into {relation} by name select * from rows_to_write")
            else:
                connection.execute(f"create or replace table {relation} as select * from rows_to_write")
            connection.execute("commit")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with connect(self.paths.working, read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def query_table(self, sql: str) -> pa.Table:
        with connect(self.paths.working, read_only=True) as connection:
            return connection.sql(sql).to_arrow_table()

    def read_published(self, table_name: str, where: str = "true") -> tuple[list[str], list[tuple[Any, ...]]]:
        with connect(self.paths.published, read_only=True) as connection:
            cursor = connection.execute(f"select * from marts.{table_name} where {where}")
            return [column[0] for column in cursor.description], cursor.fetchall()

    @contextmanager
    def gate_data_source(self, context: Any) -> Iterator[Callable[[str, str], tuple[Any, dict]]]:
        """A GX SQL data source on the working file, read-only, through StatementCursorConnection. Every
        DuckDB connection opened is closed on exit, whatever GX's engines still hold, so the dbt step after
        the gate can write the file."""
        if not self.paths.working.exists():
            raise FileNotFoundError(f"the warehouse {self.paths.working} does not exist; load the raw tables first")
        opened: list[duckdb.DuckDBPyConnection] = []

        def create_connection() -> StatementCursorConnection:
            connection = connect(self.paths.working, read_only=True)
            opened.append(connection)
            return StatementCursorConnection(connection)

        data_source = context.data_sources.add_sql(
            name="warehouse",
            # The URL only picks the dialect (read-only too, should the creator ever go); connections
            # come from the creator, passed through GX's documented `kwargs` to SQLAlchemy's create_engine.
            connection_string=f"duckdb:///{self.paths.working}?access_mode=read_only",
            kwargs={"creator": create_connection},
        )
        try:
            yield query_asset_batches(data_source)
        finally:
            for connection in opened:
                connection.close()

    def publish(self, run_id: str, published_at: datetime) -> Publication:
        return publish(self.paths.working, self.paths.published, run_id, published_at)
