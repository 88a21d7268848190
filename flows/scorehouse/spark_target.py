"""The Spark warehouses; dbt builds in the `marts` database, BI reads the `published` database.

`spark`: a local Spark session (pyspark) with its Hive metastore and tables in the warehouse folder. The
metastore is an embedded Derby database that one JVM at a time may open, and dbt's session runs in a JVM of its
own (a dbt process per command, `runs_dbt_in_own_process`). So the Python steps there run in a child process
(`SparkTarget.call`): one per step, or one for the consecutive steps of a `steps_in_one_session` block; its JVM
is gone before the next dbt command, which finds the metastore free.

`spark_connect`: a Spark cluster through its Spark Connect server (docs/spark-cluster.md). The server holds
the metastore and the tables; dbt, in the flow's process, and the Python steps send it SQL over gRPC, so no
step starts a JVM.
"""

from __future__ import annotations

import os
import socket
import tempfile
from abc import abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from scorehouse.contract import EntityFiles, sql_string, timestamp_literal
from scorehouse.dbt_runner import environment_set
from scorehouse.errors import UserFacingError
from scorehouse.loading import RAW_SCHEMA, RawLoad, raw_table_exports
from scorehouse.warehouse_targets import (
    PUBLISHED_TABLES,
    Publication,
    Result,
    WarehousePaths,
    WarehouseTarget,
    profile_output,
    split_qualified_name,
    tables_fingerprint,
)

PUBLISHED_DATABASE = "published"
PUBLICATION_TABLE = f"{PUBLISHED_DATABASE}.scorehouse_publication"
# each publication's tables live in a database of their own, `published_v1`, `published_v2`, ...
VERSION_DATABASE_PREFIX = f"{PUBLISHED_DATABASE}_v"
# dbt-spark forces ANSI mode off in its sessions; the Python steps read the same SQL the same way
DBT_SPARK_SESSION_SETTINGS = {"spark.sql.ansi.enabled": "false"}
CONNECT_URL_VARIABLE = "SCOREHOUSE_SPARK_CONNECT_URL"
# how long a refresh waits for the Spark Connect server to accept a connection before it stops
CONNECT_TIMEOUT_SECONDS = 10

_session: Any = None  # the child process's local Spark session, created on first use
_connect_sessions: dict[str, Any] = {}  # Spark Connect sessions of this process, by server URL


def session_settings(target_name: str) -> dict[str, str]:
    """The settings dbt gives its Spark session: the profile's server_side_parameters, ANSI mode off."""
    settings = {**profile_output(target_name)["server_side_parameters"], **DBT_SPARK_SESSION_SETTINGS}
    return {key: str(value) for key, value in settings.items()}


def spark_session() -> Any:
    """This process's local Spark session, configured like dbt's."""
    global _session
    if _session is None:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.appName("scorehouse").enableHiveSupport()
        for key, value in session_settings(SparkTarget.name).items():
            builder = builder.config(key, value)
        _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel("ERROR")
    return _session


def stop_spark() -> None:
    """Stops the session and waits for its JVM to exit, which releases the Derby metastore."""
    global _session
    if _session is None:
        return
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    _session.stop()
    _session = None
    if gateway is not None:
        gateway.shutdown()
        process = getattr(gateway, "proc", None)
        if process is not None:
            process.stdin.close()
            process.wait(timeout=120)
        SparkContext._gateway = None
        SparkContext._jvm = None


def run_in_child(environment: dict[str, str], function: Callable[..., Result], arguments: tuple) -> Result:
    os.environ.update(environment)
    return function(*arguments)


class SparkWarehouse(WarehouseTarget):
    """What the Python steps do on Spark, through `session()`. The raw files and the tables Python writes
    reach Spark as Parquet files in the warehouse folder, which Spark reads by path."""

    @abstractmethod
    def session(self) -> Any:
        """The Spark session the steps run their SQL in."""

    def load_raw_tables(self, inputs: list[EntityFiles], loaded_at: datetime) -> RawLoad:
        """DuckDB reads the files as for the duckdb target and writes each table as Parquet, values as text
        as delivered; Spark then replaces raw.<entity> with it, so dbt rebuilds in full."""
        spark = self.session()
        self.paths.spark.mkdir(parents=True, exist_ok=True)
        with raw_table_exports(inputs, loaded_at, self.paths.spark, "parquet") as (row_counts, parquet_files):
            spark.sql(f"create database if not exists {RAW_SCHEMA}")
            for entity_files in inputs:
                table = f"{RAW_SCHEMA}.{entity_files.entity.name}"
                rows = spark.read.parquet(str(parquet_files[entity_files.entity.name]))
                spark.sql(f"drop table if exists {table}")
                typed_rows = rows.withColumn("_loaded_at", rows["_loaded_at"].cast("timestamp"))
                typed_rows.write.format("parquet").saveAsTable(table)
        return RawLoad.reloaded(row_counts, inputs)

    def write_table(self, qualified_name: str, rows: pa.Table, *, append: bool) -> None:
        """Spark reads the rows from a Parquet file, timestamps as Spark's `timestamp` like the raw tables,
        and saves them as a Parquet table of the database."""
        schema, table = split_qualified_name(qualified_name)
        spark = self.session()
        spark.sql(f"create database if not exists {schema}")
        self.paths.spark.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.paths.spark) as directory:
            parquet_file = Path(directory) / f"{table}.parquet"
            pq.write_table(rows, parquet_file)
            frame = spark.read.parquet(str(parquet_file))
            for field in rows.schema:
                if pa.types.is_timestamp(field.type):
                    frame = frame.withColumn(field.name, frame[field.name].cast("timestamp"))
            writer = frame.write.format("parquet").mode("append" if append else "overwrite")
            writer.saveAsTable(f"{schema}.{table}")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.session().sql(sql).collect()]

    def query_table(self, sql: str) -> pa.Table:
        return self.session().sql(sql).toArrow()

    def read_published(self, table_name: str, where: str = "true") -> tuple[list[str], list[tuple[Any, ...]]]:
        frame = self.session().sql(f"select * from {PUBLISHED_DATABASE}.{table_name} where {where}")
        return frame.columns, [tuple(row) for row in frame.collect()]

    @contextmanager
    def gate_data_source(self, context: Any) -> Iterator[Callable[[str, str], tuple[Any, dict]]]:
        spark = self.session()
        data_source = context.data_sources.add_spark(name="warehouse")

        def add_batch(name: str, query: str) -> tuple[Any, dict]:
            asset = data_source.add_dataframe_asset(name=name)
            return asset.add_batch_definition_whole_dataframe("whole table"), {"dataframe": spark.sql(query)}

        yield add_batch

    def publish(self, run_id: str, published_at: datetime) -> Publication:
        """Writes the BI tables into a new database `published_v<n>`, then points the view of each name in
        `published` at it, `scorehouse_publication` last. Spark's catalogue has no multi-table transaction,
        but replacing a view is one catalogue operation: a reader finds every name at every moment, each
        table from one publication whole; during the swap some are new and some previous, and the
        publication row names the previous database until the last view is swapped. The previous database
        stays until the next publication, for queries under way; a run killed before the swap leaves BI's
        views as they were, and the next publication drops what it wrote."""
        spark = self.session()
        fingerprint, row_counts = tables_fingerprint(
            PUBLISHED_TABLES,
            lambda table: spark.sql(
                f"select count(*), coalesce(sum(cast(hash(*) as bigint)), 0) from {table}"
            ).collect()[0],
        )
        spark.sql(f"create database if not exists {PUBLISHED_DATABASE}")
        current = spark.table(PUBLICATION_TABLE).first() if spark.catalog.tableExists(PUBLICATION_TABLE) else None
        if current is not None and current["fingerprint"] == fingerprint:
            return Publication(PUBLISHED_DATABASE, False, fingerprint, row_counts)
        versions = published_versions(spark)
        tables_database = f"{VERSION_DATABASE_PREFIX}{max(versions, default=0) + 1}"
        spark.sql(f"create database {tables_database}")
        copies = {table.split(".")[1]: f"select * from {table}" for table in PUBLISHED_TABLES}
        copies[PUBLICATION_TABLE.split(".")[1]] = (
            f"select {sql_string(fingerprint)} as fingerprint, {sql_string(run_id)} as run_id, "
            f"{timestamp_literal(published_at)} as published_at, {sql_string(tables_database)} as tables_database"
        )
        for table, select in copies.items():
            spark.sql(f"create table {tables_database}.{table} using parquet as {select}")
        # publications before views had tables in `published`, and copies `<table>__next` beside them during
        # a publish: each table gives way to its view once, and a copy a killed run left is dropped
        tables_before_views = {
            table.name
            for table in spark.catalog.listTables(PUBLISHED_DATABASE)
            if table.tableType in ("MANAGED", "EXTERNAL")
        }
        for table in copies:
            if table in tables_before_views:
                spark.sql(f"drop table {PUBLISHED_DATABASE}.{table}")
            spark.sql(f"create or replace view {PUBLISHED_DATABASE}.{table} as select * from {tables_database}.{table}")
        for table in tables_before_views & {f"{table}__next" for table in copies}:
            spark.sql(f"drop table {PUBLISHED_DATABASE}.{table}")
        kept = {tables_database, current.asDict().get("tables_database") if current is not None else None}
        for database in set(versions.values()) - kept:
            spark.sql(f"drop database {database} cascade")
        return Publication(PUBLISHED_DATABASE, True, fingerprint, row_counts)


def published_versions(spark: Any) -> dict[int, str]:
    """The databases of publications on the server, by number."""
    names = [row[0] for row in spark.sql(f"show databases like '{VERSION_DATABASE_PREFIX}*'").collect()]
    return {
        int(name.removeprefix(VERSION_DATABASE_PREFIX)): name
        for name in names
        if name.removeprefix(VERSION_DATABASE_PREFIX).isdigit()
    }


class SparkTarget(SparkWarehouse):
    name = "spark"
    # dbt's session holds the metastore while its process lives: a process per command releases it
    runs_dbt_in_own_process = True

    def __init__(self, paths: WarehousePaths) -> None:
        super().__init__(paths)
        # the child process of the current steps_in_one_session, whose JVM holds the metastore
        self.steps_process: ProcessPoolExecutor | None = None

    def dbt_environment(self) -> dict[str, str]:
        return {**super().dbt_environment(), "SCOREHOUSE_SPARK_DIR": str(self.paths.spark.resolve())}

    def __getstate__(self) -> dict[str, Any]:
        """What the child receives of this target, with its steps: not the parent's handle on the child."""
        return {**self.__dict__, "steps_process": None}

    def call(self, function: Callable[..., Result], *arguments: Any) -> Result:
        with self.steps_in_one_session():
            assert self.steps_process is not None
            return self.steps_process.submit(run_in_child, self.dbt_environment(), function, arguments).result()

    @contextmanager
    def steps_in_one_session(self) -> Iterator[None]:
        """One child process for the steps inside, each JVM start (some 10 s) saved; its JVM is gone, and the
        metastore free for the next dbt command, when the block ends."""
        if self.steps_process is not None:
            yield
            return
        self.paths.spark.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as executor:
            self.steps_process = executor
            try:
                yield
            finally:
                self.steps_process = None
                with suppress(BrokenProcessPool):  # a child that died took its JVM with it
                    executor.submit(stop_spark).result()

    def session(self) -> Any:
        return spark_session()


def connect_url() -> str:
    url = os.environ.get(CONNECT_URL_VARIABLE, "")
    if not url.startswith("sc://"):
        raise UserFacingError(
            f"The spark_connect target needs the Spark Connect server's URL in {CONNECT_URL_VARIABLE} "
            f"(now {url!r}); set it to sc://<host>:<port>, e.g. sc://spark-master:15002."
        )
    return url


def check_reachable(url: str) -> None:
    """Stops with one sentence naming the URL when nothing accepts a connection there; the Connect client
    itself would retry for minutes before it failed."""
    address = url.removeprefix("sc://").split("/")[0].split(";")[0]
    host, _, port = address.rpartition(":") if ":" in address else (address, ":", "15002")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_SECONDS).close()
    except (OSError, ValueError) as error:
        raise UserFacingError(
            f"The Spark Connect server at {url} cannot be reached ({error}); start it, or correct "
            f"{CONNECT_URL_VARIABLE}."
        ) from error


def release_connect_sessions() -> None:
    """Ends this process's Spark Connect sessions. pyspark releases a session when the process exits and,
    when its server is gone by then, retries for some ten minutes: whoever stops a server first calls this."""
    for session in _connect_sessions.values():
        session.stop()
    _connect_sessions.clear()


class SparkConnectTarget(SparkWarehouse):
    """A Spark cluster through its Spark Connect server at SCOREHOUSE_SPARK_CONNECT_URL. The cluster reads the
    Parquet files of the loads from the warehouse folder, so that folder must lie where every machine of the
    cluster reads it under the same path (docs/spark-cluster.md)."""

    name = "spark_connect"

    def dbt_environment(self) -> dict[str, str]:
        # dbt-spark's session method asks pyspark for a session, which is a Connect one when SPARK_REMOTE is set.
        # pyspark marks Connect mode in the environment for good once it made a Connect session; set here, the
        # mark is gone again after each step, and a local Spark (spark target) of the same process still works.
        return {**super().dbt_environment(), "SPARK_REMOTE": connect_url(), "SPARK_CONNECT_MODE_ENABLED": "1"}

    def call(self, function: Callable[..., Result], *arguments: Any) -> Result:
        # Great Expectations asks pyspark for its session too: SPARK_REMOTE makes it this one
        check_reachable(connect_url())
        with environment_set(self.dbt_environment()):
            return function(*arguments)

    def session(self) -> Any:
        url = connect_url()
        if url not in _connect_sessions:
            from pyspark.sql import SparkSession

            session = SparkSession.builder.remote(url).getOrCreate()
            for key, value in session_settings(self.name).items():
                session.conf.set(key, value)
            _connect_sessions[url] = session
        return _connect_sessions[url]
