"""The PostgreSQL warehouse: dbt builds in the `marts` schema, BI reads the `published` schema.

Publishing renames the audited `marts` schema to `published` in one transaction, so BI sees the old tables
or the new ones, never a mix, and a run that fails before it leaves `published` as it was. The tables keep
the privileges dbt granted them (model `grants`), and the schema the usage dbt's on-run-end hook granted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any

import psycopg2
import pyarrow as pa
from psycopg2.extras import execute_values
from sqlalchemy.engine import URL

from scorehouse.contract import EntityFiles, quote_identifier
from scorehouse.loading import RAW_SCHEMA, RawLoad, raw_table_exports
from scorehouse.warehouse_targets import (
    Publication,
    WarehouseTarget,
    profile_output,
    query_asset_batches,
    split_qualified_name,
    tables_fingerprint,
)

WORKING_SCHEMA = "marts"
PUBLISHED_SCHEMA = "published"
PUBLICATION_TABLE = "scorehouse_publication"
# Every session's time zone is set, not inherited from the server or the machine: staging reads timestamps
# without an offset in it, as UTC. libpq takes it as a connection option, or from PGTZ for dbt's connections.
SESSION_TIME_ZONE = "UTC"
SESSION_OPTIONS = f"-c timezone={SESSION_TIME_ZONE}"


def postgres_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type that holds a pyarrow type's values."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    raise TypeError(f"no PostgreSQL column type for the pyarrow type {arrow_type}")


def count_and_digest(cursor: Any, table: str) -> tuple[int, int]:
    """Row count and sum of row hashes of `table` (schema-qualified, quoted where needed)."""
    cursor.execute(f"select count(*), coalesce(sum(hashtext(cast(t as text))), 0) from {table} as t")
    return cursor.fetchone()


class PostgresTarget(WarehouseTarget):
    name = "postgres"

    @cached_property
    def settings(self) -> dict[str, Any]:
        return profile_output(self.name)

    def dbt_environment(self) -> dict[str, str]:
        return {**super().dbt_environment(), "PGTZ": SESSION_TIME_ZONE}

    def connect(self) -> psycopg2.extensions.connection:
        settings = self.settings
        return psycopg2.connect(
            host=settings["host"],
            port=settings["port"],
            user=settings["user"],
            password=settings["password"],
            dbname=settings["dbname"],
            options=SESSION_OPTIONS,
        )

    def load_raw_tables(self, inputs: list[EntityFiles], loaded_at: datetime) -> RawLoad:
        """DuckDB reads the files as for the duckdb target; each table then streams to PostgreSQL through
        COPY as CSV, all in one transaction. Values stay text, as delivered. The tables are replaced whole,
        so dbt rebuilds in full."""
        with (
            raw_table_exports(inputs, loaded_at, self.paths.directory, "csv") as (row_counts, csv_files),
            closing(self.connect()) as connection,
            connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(f"create schema if not exists {RAW_SCHEMA}")
            for entity_files in inputs:
                table = f"{RAW_SCHEMA}.{quote_identifier(entity_files.entity.name)}"
                columns = [f"{quote_identifier(name)} text" for name in entity_files.entity.column_names]
                cursor.execute(f"drop table if exists {table}")
                cursor.execute(
                    f"create table {table} ({', '.join(columns)}, _source_file text, "
                    "_source_row_number bigint, _loaded_at timestamp)"
                )
                with csv_files[entity_files.entity.name].open(encoding="utf-8") as csv_file:
                    cursor.copy_expert(f"copy {table} from stdin with (format csv, header true)", csv_file)
        return RawLoad.reloaded(row_counts, inputs)

    def write_table(self, qualified_name: str, rows: pa.Table, *, append: bool) -> None:
        """One transaction: the table is created when missing and emptied first unless `append`."""
        schema, table = split_qualified_name(qualified_name)
        relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
        columns = [quote_identifier(field.name) for field in rows.schema]
        definitions = [
            f"{column} {postgres_type(field.type)}" for column, field in zip(columns, rows.schema, strict=True)
        ]
        with closing(self.connect()) as connection, connection, connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {quote_identifier(schema)}")
            cursor.execute(f"create table if not exists {relation} ({', '.join(definitions)})")
            if not append:
                cursor.execute(f"delete from {relation}")
            if rows.num_rows:
                values = list(zip(*(column.to_pylist() for column in rows.columns), strict=True))
                execute_values(cursor, f"insert into {relation} ({', '.join(columns)}) values %s", values)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def query_table(self, sql: str) -> pa.Table:
        # psycopg2 hands over rows only
        with closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
            return pa.table({
                column.name: pa.array([row[position] for row in rows])
                for position, column in enumerate(cursor.description)
            })

    def read_published(self, table_name: str, where: str = "true") -> tuple[list[str], list[tuple[Any, ...]]]:
        with closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f"select * from {PUBLISHED_SCHEMA}.{quote_identifier(table_name)} where {where}")
            return [column.name for column in cursor.description], cursor.fetchall()

    @contextmanager
    def gate_data_source(self, context: Any) -> Iterator[Callable[[str, str], tuple[Any, dict]]]:
        settings = self.settings
        url = URL.create(
            "postgresql+psycopg2",
            username=settings["user"],
            password=settings["password"],
            host=settings["host"],
            port=settings["port"],
            database=settings["dbname"],
            query={"options": SESSION_OPTIONS},
        )
        yield query_asset_batches(
            context.data_sources.add_postgres(
                name="warehouse", connection_string=url.render_as_string(hide_password=False)
            )
        )

    def publish(self, run_id: str, published_at: datetime) -> Publication:
        with closing(self.connect()) as connection, connection, connection.cursor() as cursor:
            # every table of the schema, which is what the rename publishes
            cursor.execute(
                "select quote_ident(table_schema) || '.' || quote_ident(table_name) from information_schema.tables "
                "where table_schema = %s and table_name <> %s order by table_name",
                (WORKING_SCHEMA, PUBLICATION_TABLE),
            )
            fingerprint, row_counts = tables_fingerprint(
                [table for (table,) in cursor.fetchall()], lambda table: count_and_digest(cursor, table)
            )
            cursor.execute(
                "select 1 from information_schema.tables where table_schema = %s and table_name = %s",
                (PUBLISHED_SCHEMA, PUBLICATION_TABLE),
            )
            if cursor.fetchone():
                cursor.execute(f"select fingerprint from {PUBLISHED_SCHEMA}.{PUBLICATION_TABLE}")
                if cursor.fetchone()[0] == fingerprint:
                    return Publication(PUBLISHED_SCHEMA, False, fingerprint, row_counts)
            cursor.execute(
                f"create table {WORKING_SCHEMA}.{PUBLICATION_TABLE} as select %s as fingerprint, "
                "%s as run_id, cast(%s as timestamp) as published_at",
                (fingerprint, run_id, published_at),
            )
            cursor.execute(f"drop schema if exists {PUBLISHED_SCHEMA} cascade")
            cursor.execute(f"alter schema {WORKING_SCHEMA} rename to {PUBLISHED_SCHEMA}")
        return Publication(PUBLISHED_SCHEMA, True, fingerprint, row_counts)
