"""The PostgreSQL warehouse: dbt builds in the `marts` schema, BI reads the `published` schema.

Publishing renames the audited `marts` schema to `published` in one transaction, so BI sees the old tables
or the new ones, never a mix, and a run that fails before it leaves `published` as it was. The tables keep
the privileges dbt granted them (model `grants`), and the schema the usage dbt's on-run-end hook granted.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg2
from sqlalchemy.engine import URL

from scorehouse.contract import EntityFiles, quote_identifier, sql_string
from scorehouse.loading import RAW_SCHEMA, load_raw_tables
from scorehouse.warehouse_connection import connect as connect_duckdb
from scorehouse.warehouse_targets import Publication, WarehouseTarget, profile_output

WORKING_SCHEMA = "marts"
PUBLISHED_SCHEMA = "published"
PUBLICATION_TABLE = "scorehouse_publication"


class PostgresTarget(WarehouseTarget):
    name = "postgres"
    text_type = "text"
    double_type = "double precision"

    @property
    def settings(self) -> dict[str, Any]:
        return profile_output(self.name)

    def connect(self) -> psycopg2.extensions.connection:
        settings = self.settings
        return psycopg2.connect(
            host=settings["host"],
            port=settings["port"],
            user=settings["user"],
            password=settings["password"],
            dbname=settings["dbname"],
        )

    def try_cast(self, expression: str, sql_type: str) -> str:
        # the function dbt's prepare_run creates (macros/cross_database/create_warehouse_functions.sql)
        return f"{self.settings['schema']}.try_cast(cast({expression} as text), cast(null as {sql_type}))"

    def load_raw_tables(self, inputs: list[EntityFiles], loaded_at: datetime) -> dict[str, int]:
        """DuckDB reads the files into a scratch file as for the duckdb target; each table then streams to
        PostgreSQL through COPY as CSV, all in one transaction. Values stay text, as delivered."""
        self.paths.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.paths.directory, prefix=".raw_load.") as scratch_folder:
            scratch_path = Path(scratch_folder) / "scratch.duckdb"
            row_counts = load_raw_tables(scratch_path, inputs, loaded_at)
            with connect_duckdb(scratch_path) as scratch, closing(self.connect()) as connection:
                with connection, connection.cursor() as cursor:
                    cursor.execute(f"create schema if not exists {RAW_SCHEMA}")
                    for entity_files in inputs:
                        table = f"{RAW_SCHEMA}.{quote_identifier(entity_files.entity.name)}"
                        columns = [f"{quote_identifier(name)} text" for name in entity_files.entity.column_names]
                        cursor.execute(f"drop table if exists {table}")
                        cursor.execute(
                            f"create table {table} ({', '.join(columns)}, _source_file text, "
                            "_source_row_number bigint, _loaded_at timestamp)"
                        )
                        csv_path = Path(scratch_folder) / f"{entity_files.entity.name}.csv"
                        scratch.execute(f"copy {table} to {sql_string(str(csv_path))} (format csv, header true)")
                        with open(csv_path, encoding="utf-8") as csv_file:
                            cursor.copy_expert(f"copy {table} from stdin with (format csv, header true)", csv_file)
        return row_counts

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def read_published(self, table_name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        with closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f"select * from {PUBLISHED_SCHEMA}.{quote_identifier(table_name)}")
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
        )
        data_source = context.data_sources.add_postgres(
            name="warehouse", connection_string=url.render_as_string(hide_password=False)
        )

        def add_batch(name: str, query: str) -> tuple[Any, dict]:
            asset = data_source.add_query_asset(name=name, query=query)
            return asset.add_batch_definition_whole_table("whole table"), {}

        yield add_batch

    def schema_fingerprint(self, cursor: Any, schema: str) -> tuple[str, dict[str, int]]:
        """Order-independent digest of every table of `schema` but the publication record, and their row
        counts."""
        cursor.execute(
            "select table_name from information_schema.tables where table_schema = %s and table_name <> %s "
            "order by table_name",
            (schema, PUBLICATION_TABLE),
        )
        parts, row_counts = [], {}
        for (table_name,) in cursor.fetchall():
            relation = f"{schema}.{quote_identifier(table_name)}"
            cursor.execute(
                f"select count(*), coalesce(sum(hashtext(cast(t as text))), 0) from {relation} as t"
            )
            count, digest = cursor.fetchone()
            parts.append(f"{table_name}:{count}:{digest}")
            row_counts[f"{WORKING_SCHEMA}.{table_name}"] = count
        return "|".join(parts), row_counts

    def publish(self, run_id: str, published_at: datetime) -> Publication:
        with closing(self.connect()) as connection, connection, connection.cursor() as cursor:
            fingerprint, row_counts = self.schema_fingerprint(cursor, WORKING_SCHEMA)
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
