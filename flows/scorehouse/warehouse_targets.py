"""The warehouses a refresh can build in, one per dbt target (duckdb, postgres, spark), and what the Python
steps do in each: load the raw files, run the quality gates' queries, publish the BI tables and read small
results back.

The models are the same on every target; only these steps and a few dispatched macros differ. Connection
settings are read from the dbt profile, rendered with the environment, so dbt and Python never disagree.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import jinja2
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from scorehouse.contract import EntityFiles
from scorehouse.dbt_runner import PROFILES_DIR, DbtProject
from scorehouse.errors import UserFacingError
from scorehouse.loading import RawLoad

TARGET_VARIABLE = "SCOREHOUSE_TARGET"
TARGET_NAMES = ("duckdb", "postgres", "spark", "spark_connect")
DEFAULT_TARGET = "duckdb"
# The BI tables, by their schema-qualified names in the working warehouse.
PUBLISHED_TABLES = (
    "marts.dim_customer_segments",
    "marts.fct_customer_scores",
    "marts.fct_customer_score_contributions",
    "marts.fct_customer_rfm_scores",
    "marts.fct_segment_summary",
    "marts.fct_cross_sell_candidates",
    "marts.fct_cross_sell_recommendations",
    "marts.fct_segment_trends",
    "marts.fct_segment_migrations",
    "marts.fct_customer_segment_moves",
    "marts.fct_segment_history",
    "marts.fct_score_stability",
    "marts.fct_lead_scores",
    "marts.fct_lead_score_rule_hits",
    "marts.fct_campaign_results",
    "marts.fct_campaign_segment_results",
    "marts.fct_customer_best_channels",
    "marts.fct_fairness_audit",
    "marts.fct_score_validation",
    "marts.fct_score_weight_review",
    "marts.fct_customer_value_validation",
    "marts.fct_rfm_grid",
    "marts.fct_composite_score_histogram",
    "marts.fct_customer_churn_predictions",
    "marts.fct_customer_value_predictions",
    "marts.dim_audience_customers",
    "marts.fct_customer_lookalikes",
    "marts.fct_lookalike_validation",
    "marts.dim_customer_identities",
)
Result = TypeVar("Result")


@dataclass(frozen=True)
class WarehousePaths:
    """The local folder of one warehouse: the DuckDB files (duckdb target), Spark's metastore and tables
    (spark target), and on every target the run log, Data Docs, refresh lock and dbt's artefacts."""

    directory: Path

    @property
    def working(self) -> Path:
        return self.directory / "scorehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.directory / "published.duckdb"

    @property
    def spark(self) -> Path:
        return self.directory / "spark"

    @property
    def run_log(self) -> Path:
        return self.directory / "run_log.duckdb"

    @property
    def data_docs(self) -> Path:
        return self.directory / "data_docs"

    @property
    def lock(self) -> Path:
        return self.directory / "refresh.lock"

    @property
    def dbt_target(self) -> Path:
        """dbt's artefacts and logs, per warehouse so refreshes of different warehouses never share them."""
        return self.directory / "dbt_target"

    @property
    def dbt_docs(self) -> Path:
        """dbt's documentation site (`scorehouse docs`), apart from the refreshes' artefacts."""
        return self.directory / "dbt_docs"


@dataclass(frozen=True)
class Publication:
    location: str  # where BI reads the tables: a file path, or a schema
    is_new: bool  # False when the outputs equal what is already published, which is then left untouched
    fingerprint: str
    row_counts: dict[str, int]


def env_var(name: str, default: str | None = None) -> str:
    """dbt's env_var(): the variable's value, else the default, else an error naming the variable."""
    value = os.environ.get(name, default)
    if value is None:
        raise KeyError(f"environment variable {name} is required by the dbt profile and not set")
    return value


def render(value: Any, environment: jinja2.Environment) -> Any:
    if isinstance(value, dict):
        return {key: render(item, environment) for key, item in value.items()}
    if isinstance(value, str):
        return environment.from_string(value).render()
    return value


def profile_output(target_name: str) -> dict[str, Any]:
    """The settings of one output of profiles/profiles.yml, rendered as dbt renders them."""
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.globals["env_var"] = env_var
    environment.filters["as_number"] = int
    profile = yaml.safe_load((PROFILES_DIR / "profiles.yml").read_text())["scorehouse"]
    outputs = profile["outputs"]
    if target_name not in outputs:
        raise ValueError(f"unknown target {target_name!r}; the profile has {', '.join(outputs)}")
    return render(outputs[target_name], environment)


def sorted_by_customer_id(table: pa.Table) -> pa.Table:
    """The rows of a query_table result sorted by customer_id, by code point: whatever a warehouse's
    collation, every warehouse then hands a solver the same rows in the same order and all fit the same
    model."""
    return table.take(pc.sort_indices(table, sort_keys=[("customer_id", "ascending")]))


def first_cutoff_date(table: pa.Table) -> date | None:
    """The cutoff_date of a query_table result's first row (every row of a fit sample has the same one), or
    None when the sample is empty."""
    return table.column("cutoff_date")[0].as_py() if table.num_rows else None


def float_columns(table: pa.Table, names: Sequence[str]) -> list[np.ndarray]:
    """The named columns of a query_table result as float arrays, nulls as NaN."""
    return [table.column(name).cast(pa.float64()).to_numpy() for name in names]


class WarehouseTarget(ABC):
    """One dbt target and the Python steps' way into it."""

    name: ClassVar[str]
    # whether each dbt command runs in a dbt process of its own rather than in the flow's (DbtProject)
    runs_dbt_in_own_process: ClassVar[bool] = False
    # variables of dbt_environment that only say in which folder the warehouse lies (DbtProject.parse_key)
    location_variables: ClassVar[tuple[str, ...]] = ()

    def __init__(self, paths: WarehousePaths) -> None:
        self.paths = paths

    def dbt_environment(self) -> dict[str, str]:
        """The environment dbt's profile reads this warehouse's connection settings from."""
        return {TARGET_VARIABLE: self.name}

    def dbt_project(self, dbt_vars: Mapping[str, Any] | None) -> DbtProject:
        """The dbt project as a refresh of this warehouse runs it, with `dbt_vars`."""
        return DbtProject(
            self.dbt_environment(), dbt_vars, self.paths.dbt_target, own_process=self.runs_dbt_in_own_process,
            location_variables=self.location_variables,
        )

    def explained_failure(self, error: BaseException) -> UserFacingError | None:
        """The sentence for a failure of this warehouse itself that its settings can fix, or None."""
        return None

    def call(self, function: Callable[..., Result], *arguments: Any) -> Result:
        """Runs one Python step that uses this warehouse; local Spark runs it in a process of its own."""
        return function(*arguments)

    @contextmanager
    def steps_in_one_session(self) -> Iterator[None]:
        """The `call`s inside share one session of the warehouse, where each would otherwise open its own
        (local Spark: a process with a JVM). No dbt command may run inside: it opens a session of its own."""
        yield

    @abstractmethod
    def load_raw_tables(self, inputs: list[EntityFiles], loaded_at: datetime) -> RawLoad:
        """Loads the files into raw.<entity> for every contract entity, appending when only new files came
        (where the warehouse supports it) and replacing the tables otherwise."""

    def accept_load(self, accepted_at: datetime) -> None:  # noqa: B027  (an optional hook, empty by default)
        """Records that the files loaded last passed every check and were published, so the next load may
        append to them. A target whose every load replaces the raw tables whole checks every row on every
        run and keeps no such record."""

    @abstractmethod
    def write_table(self, qualified_name: str, rows: pa.Table, *, append: bool) -> None:
        """Writes `rows` to the table `schema.table` of the working warehouse, creating the schema and the
        table when missing: appended to what it holds when `append`, replacing it otherwise. For the small
        tables Python computes (fitted models), never for customer-level data."""

    @abstractmethod
    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of a small query on the working warehouse (counts, summaries)."""

    @abstractmethod
    def query_table(self, sql: str) -> pa.Table:
        """The rows of a query on the working warehouse as an Arrow table: what the model fits read (a sample
        of at most `model_fit_max_customers` buyers, or one row per distinct purchase history), handed over
        column by column where the driver can."""

    @abstractmethod
    def read_published(self, table_name: str, where: str = "true") -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of one published table (`dim_customer_segments`, ...) as BI reads it, the
        rows for which the SQL condition `where` holds."""

    @abstractmethod
    def gate_data_source(self, context: Any) -> AbstractContextManager[Callable[[str, str], tuple[Any, dict]]]:
        """Adds the warehouse to a GX context; yields `add_batch(name, query)`, which returns a GX batch
        definition of the query's rows and the batch parameters to validate it with."""

    @abstractmethod
    def publish(self, run_id: str, published_at: datetime) -> Publication:
        """Makes the audited BI tables what BI reads, all at once, unless they equal what it reads now."""


def tables_fingerprint(
    tables: Iterable[str], count_and_digest: Callable[[str], tuple[int, int]]
) -> tuple[str, dict[str, int]]:
    """Order-independent digest of the tables' contents, and their row counts. `count_and_digest(table)`
    is the warehouse's row count and sum of row hashes of one table."""
    parts, row_counts = [], {}
    for table in tables:
        count, digest = count_and_digest(table)
        parts.append(f"{table}:{count}:{digest}")
        row_counts[table] = count
    return "|".join(parts), row_counts


def query_asset_batches(data_source: Any) -> Callable[[str, str], tuple[Any, dict]]:
    """`add_batch` of a GX SQL data source: each query a query asset, validated whole, with no parameters."""

    def add_batch(name: str, query: str) -> tuple[Any, dict]:
        asset = data_source.add_query_asset(name=name, query=query)
        return asset.add_batch_definition_whole_table("whole table"), {}

    return add_batch


def split_qualified_name(qualified_name: str) -> tuple[str, str]:
    """(schema, table) of `schema.table`; anything else is a programming error."""
    schema, separator, table = qualified_name.partition(".")
    if not (schema and separator and table) or "." in table:
        raise ValueError(f"table name {qualified_name!r} must be written schema.table")
    return schema, table


def target_named(name: str, paths: WarehousePaths) -> WarehouseTarget:
    # imported here: each module imports its warehouse's client library
    if name == "duckdb":
        from scorehouse.duckdb_target import DuckDBTarget

        return DuckDBTarget(paths)
    if name == "postgres":
        from scorehouse.postgres_target import PostgresTarget

        return PostgresTarget(paths)
    if name == "spark":
        from scorehouse.spark_target import SparkTarget

        return SparkTarget(paths)
    if name == "spark_connect":
        from scorehouse.spark_target import SparkConnectTarget

        return SparkConnectTarget(paths)
    raise ValueError(f"unknown target {name!r}; choose one of {', '.join(TARGET_NAMES)}")


def configured_target_name() -> str:
    return os.environ.get(TARGET_VARIABLE, DEFAULT_TARGET)
