"""The Great Expectations gate on a delivery (any target), after dbt has staged it and before anything that
reads the model fits is built or anything is published.

Staging checks every raw row once and quarantines each row that breaks the input contract with its reason
(stg_shop__*_checked); the seed row_checks says which reasons stop a delivery. The gate reads that verdict
instead of checking the rows again: for every `stop` check, the rows of this load quarantined for it, of
which `raw_row_defect_tolerance` of the input's rows in this load may pass. It also checks that orders and
customers were delivered at all, and that the newest staged order is fresh as of the moment the run scores
as of. The scored marts are checked by dbt's tests as they are built (ranges, one segment per customer,
segment shares within segment_share_bands), before the score history records them and before anything is
published.
Suites are defined here in code and run in an ephemeral GX context, so nothing is generated on disk except
the optional Data Docs. Every expectation is computed by the warehouse (SQL, or Spark); GX fetches only
aggregates and at most a few sample rows.

A gate that cannot compute an expectation (missing table or column, SQL error) fails: an unanswered
check is never a pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.core import ExpectationValidationResult
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig

from scorehouse.contract import sql_string, timestamp_literal
from scorehouse.warehouse_targets import WarehouseTarget

DELIVERY_GATE = "delivery"
# Result format of every gate: counts plus a few offending rows per check, never the full list.
RESULT_FORMAT = "SUMMARY"


@dataclass(frozen=True)
class GatedQuery:
    """What a gate checks of one query's rows: the input a failure names to a person (orders, customers, ...),
    the query, and the expectations on its rows."""

    subject: str
    query: str
    expectations: list[gxe.Expectation]


@dataclass(frozen=True)
class GateSettings:
    """Thresholds of the delivery gate: the dbt vars of the same names, which dbt's prepare_run has validated
    before anything is loaded."""

    freshness_sla_hours: float
    # share of an input's rows in this load that each `stop` row check lets through to the quarantine
    raw_row_defect_tolerance: float


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation of a gate as GX evaluated it.

    `subject` is the input it checks (orders, customers, ...) and `table` the relation it reads.
    `observed_value` is GX's observed value (a count, a maximum, ...); for row checks, the number of
    offending rows, of which `example_keys` names a few (their key, or their file and row). `error` is set
    when GX could not compute the check; such an outcome never succeeds. `problem` and `advice` word a
    failure for a person (failure_sentence).
    """

    expectation_type: str
    subject: str
    table: str
    description: str | None
    success: bool
    observed_value: Any
    error: str | None
    example_keys: list[str] = field(default_factory=list)
    problem: str | None = None
    advice: str | None = None
    counted: str | None = None


@dataclass(frozen=True)
class GateResult:
    gate: str
    success: bool
    expectations: list[ExpectationOutcome]
    data_docs_index: Path | None = None

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.expectations if not outcome.success]


class ExpectNoOffendingRows(gxe.UnexpectedRowsExpectation):
    """A custom SQL check (GX's documented UnexpectedRowsExpectation) that passes when its query returns no
    rows, and whose result lists those rows at every result format (GX's own lists them only with COMPLETE,
    which fetches them all; GX caps the rows fetched here). `allowed_offending_rows` lets a tolerated number
    of rows through."""

    allowed_offending_rows: int = 0

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> dict:
        offending_row_count = metrics["unexpected_rows_query.row_count"]
        return {
            "success": offending_row_count <= self.allowed_offending_rows,
            "result": {
                "observed_value": offending_row_count,
                "details": {"unexpected_rows": metrics["unexpected_rows_query.table"]},
            },
        }


# How many offending keys a failure sentence names.
EXAMPLE_KEY_COUNT = 3


def wording(problem: str, advice: str, counted: str | None = "row") -> dict[str, str | None]:
    """An expectation's `meta`: how its failure reads to a person (failure_sentence). A check that counts
    offending rows reads `<input>: <n> <counted>s <problem> (<keys>); <advice>`; one that does not
    (counted None) reads `<input>: <problem>; <advice>`."""
    return {"counted": counted, "problem": problem, "advice": advice}


def row_defect_advice(settings: GateSettings) -> str:
    return (
        "fix the file, or set raw_row_defect_tolerance (now "
        f"{settings.raw_row_defect_tolerance:g}) to the share of such rows to quarantine instead of stopping"
    )


def presence_suite(subject: str) -> GatedQuery:
    """The input was delivered: its raw table has rows."""
    return GatedQuery(
        subject,
        f"select _loaded_at from raw.{subject}",
        [
            gxe.ExpectTableRowCountToBeBetween(
                min_value=1, description=f"raw.{subject} has rows",
                meta=wording(
                    f"no {subject.removesuffix('s')} was delivered",
                    f"put the {subject} file(s) in the data directory", counted=None,
                ),
            )
        ],
    )


def freshness_suite(scored_as_of: datetime, settings: GateSettings) -> GatedQuery:
    """The newest staged order before the moment the run scores as of is at most freshness_sla_hours older.
    Orders after that moment are not scored, so they cannot make the data look fresh; only staleness is
    checked, since staging quarantines an order dated after its load."""
    freshness_floor = scored_as_of - timedelta(hours=settings.freshness_sla_hours)
    return GatedQuery(
        "orders",
        "select case when ordered_at < "
        f"{timestamp_literal(scored_as_of)} then ordered_at end as ordered_at_scored from staging.stg_shop__orders",
        [
            gxe.ExpectColumnMaxToBeBetween(
                column="ordered_at_scored",
                min_value=freshness_floor,
                description=(
                    f"the newest order before {scored_as_of:%Y-%m-%d %H:%M} is at most "
                    f"{settings.freshness_sla_hours:g} h older than that"
                ),
                meta=wording(
                    f"{settings.freshness_sla_hours:g} h (freshness_sla_hours) before "
                    f"{scored_as_of:%Y-%m-%d %H:%M}, the moment this run scores as of",
                    "deliver the missing orders, score an earlier --as-of-date, or raise freshness_sla_hours",
                    counted=None,
                ),
            )
        ],
    )


def row_checks_suite(
    source_table: str, stop_reasons: list[str], loaded_at: datetime, allowed_offending_rows: int,
    settings: GateSettings,
) -> GatedQuery:
    """The `stop` row checks of one input: the rows of this load staging quarantined for each reason, of
    which `allowed_offending_rows` may pass."""
    advice = row_defect_advice(settings)
    return GatedQuery(
        source_table,
        "select quarantine_reason, record_key, source_file, source_row_number "
        "from staging.stg_shop__quarantined_rows "
        f"where source_table = {sql_string(source_table)} and loaded_at = {timestamp_literal(loaded_at)}",
        [
            ExpectNoOffendingRows(
                allowed_offending_rows=allowed_offending_rows,
                description=f"no {source_table} row of this load is quarantined for {reason}",
                meta=wording(f"with {reason}", advice),
                unexpected_rows_query=(
                    "select record_key, source_file, source_row_number from {batch} "
                    f"where quarantine_reason = {sql_string(reason)} "
                    "order by source_file, source_row_number"
                ),
            )
            for reason in stop_reasons
        ],
    )


def error_messages(result: ExpectationValidationResult) -> list[str]:
    """The first line of each distinct GX exception message for one expectation, whether GX reports it flat
    or per metric (a failing query is reported once for every metric that needed it)."""
    info = result.exception_info or {}
    reports = [info] if "raised_exception" in info else list(info.values())
    messages = [
        (str(report.get("exception_message") or "").strip() or "metric could not be computed").splitlines()[0]
        for report in reports
        if isinstance(report, Mapping) and report.get("raised_exception")
    ]
    return list(dict.fromkeys(messages))


def example_keys(rows: list[Mapping[str, Any]]) -> list[str]:
    """The first few offending rows as a person finds them: by their key (order_id, customer_id, ...), or by
    file and row when the key itself is missing."""
    keys = (
        str(row["record_key"]) if row.get("record_key") is not None
        else f"{row['source_file']} row {row['source_row_number']}"
        for row in rows
    )
    return list(dict.fromkeys(keys))[:EXAMPLE_KEY_COUNT]


def outcome_of(result: ExpectationValidationResult, gated: GatedQuery, table: str) -> ExpectationOutcome:
    configuration = result.expectation_config
    details = result.result or {}
    meta = configuration.meta or {}
    messages = error_messages(result)
    observed_value = details.get("observed_value")
    if not messages and observed_value is None:
        messages = ["no value could be computed (is the table empty?)"]
    return ExpectationOutcome(
        expectation_type=configuration.type,
        subject=gated.subject,
        table=table,
        description=configuration.description,
        success=bool(result.success) and not messages,
        observed_value=observed_value,
        error="; ".join(messages) or None,
        example_keys=example_keys(list(details.get("details", {}).get("unexpected_rows", []))),
        problem=meta.get("problem"),
        advice=meta.get("advice"),
        counted=meta.get("counted"),
    )


def failure_sentences(result: GateResult) -> list[str]:
    """One sentence per failed check of a gate. Of an input with no rows only that is said: its other checks
    could not be computed, and saying so for each would bury the one thing to fix."""
    undelivered = {
        outcome.subject
        for outcome in result.failures
        if outcome.expectation_type == "expect_table_row_count_to_be_between" and outcome.observed_value == 0
    }
    return [
        failure_sentence(outcome)
        for outcome in result.failures
        if outcome.subject not in undelivered or outcome.expectation_type == "expect_table_row_count_to_be_between"
    ]


def failure_sentence(outcome: ExpectationOutcome) -> str:
    """A failed check as one sentence a person reads: the input, what is wrong, how many rows, a few of
    their keys, and what to do."""
    subject = outcome.subject
    if outcome.error is not None or outcome.problem is None:
        return (
            f"{subject}: the check that {outcome.description} could not be computed ({outcome.error}); the "
            "published tables were kept, see the gate's Data Docs"
        )
    if outcome.expectation_type == "expect_column_max_to_be_between":
        newest = outcome.observed_value
        what = (
            f"the newest order, of {newest:%Y-%m-%d %H:%M}, is more than {outcome.problem}"
            if isinstance(newest, datetime)
            else f"no order with a readable date lies within {outcome.problem}"
        )
        return f"{subject}: {what}; {outcome.advice}"
    if outcome.counted is None:
        return f"{subject}: {outcome.problem}; {outcome.advice}"
    count = outcome.observed_value
    counted = outcome.counted if count == 1 else f"{outcome.counted}s"
    keys = f" ({', '.join(outcome.example_keys)})" if outcome.example_keys else ""
    return f"{subject}: {count:,} {counted} {outcome.problem}{keys}; {outcome.advice}"


def add_data_docs_site(context: AbstractDataContext, folder: Path) -> str:
    """A local Data Docs site (GX's documented SiteBuilder with a filesystem store) writing to `folder`."""
    site_name = "scorehouse_quality_gates"
    folder.mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(
        site_name=site_name,
        site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)},
        },
    )
    return site_name


def run_gate(
    gate: str,
    target: WarehouseTarget,
    suites: Mapping[str, GatedQuery],
    data_docs_folder: Path | None,
) -> GateResult:
    """Validates each `name -> GatedQuery` of `suites` in the warehouse, one GX checkpoint per query,
    since each batch may need parameters of its own (Spark passes a DataFrame).

    Tables are read through queries, not table assets: with DuckDB 2.0, duckdb-engine's column reflection
    fails (pg_catalog.pg_collation is missing) and GX's fallback then drops the schema name.
    """
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm bars on the flow's stderr
    site_folder = data_docs_folder / gate if data_docs_folder is not None else None
    site_names = [add_data_docs_site(context, site_folder)] if site_folder is not None else []
    outcomes = []
    with target.gate_data_source(context) as add_batch:
        for table, gated in suites.items():
            batch_definition, batch_parameters = add_batch(table, gated.query)
            suite = context.suites.add(gx.ExpectationSuite(name=table, expectations=gated.expectations))
            validation_definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=table, data=batch_definition, suite=suite)
            )
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name=f"{gate} {table}",
                    validation_definitions=[validation_definition],
                    actions=(
                        [UpdateDataDocsAction(name="update_data_docs", site_names=site_names)] if site_names else []
                    ),
                    result_format=RESULT_FORMAT,
                )
            )
            checkpoint_result = checkpoint.run(batch_parameters=batch_parameters)
            outcomes += [
                outcome_of(result, gated, table=suite_result.suite_name)
                for suite_result in checkpoint_result.run_results.values()
                for result in suite_result.results
            ]
    return GateResult(
        gate=gate,
        success=all(outcome.success for outcome in outcomes),
        expectations=outcomes,
        data_docs_index=site_folder / "index.html" if site_folder is not None else None,
    )


def scored_as_of(now: datetime, as_of_date: date | None) -> datetime:
    """The moment a run scores as of: the end of the as-of date when that lies in the past, else the run's
    clock. Freshness is measured from it, so a past as-of date asks for data fresh relative to that date,
    not to the wall clock."""
    if as_of_date is None:
        return now
    return min(now, datetime.combine(as_of_date + timedelta(days=1), time()))


def stop_checks(target: WarehouseTarget) -> dict[str, list[str]]:
    """The row checks that stop a delivery (seed row_checks), as input -> quarantine reasons."""
    checks: dict[str, list[str]] = {}
    for source_table, reason in target.query(
        "select source_table, quarantine_reason from reference.row_checks where on_failure = 'stop' "
        "order by source_table, quarantine_reason"
    ):
        checks.setdefault(source_table, []).append(reason)
    return checks


def check_delivery(
    target: WarehouseTarget,
    now: datetime,
    loaded_at: datetime,
    settings: GateSettings,
    data_docs_folder: Path | None = None,
) -> GateResult:
    """Gate on the delivery loaded at `loaded_at`, once dbt has staged it.

    `now` is the moment the run scores as of (`scored_as_of`: naive UTC like the loader's `loaded_at`, or
    timezone-aware) for the freshness check, which looks at the staged orders before it. The row checks
    look at the rows of this load only: after an appending load the earlier rows passed an earlier gate.
    With `data_docs_folder`, GX's HTML Data Docs of this run are written to its `delivery/` folder.
    """
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    suites = {
        "raw.orders": presence_suite("orders"),
        "raw.customers": presence_suite("customers"),
        "staging.stg_shop__orders": freshness_suite(now, settings),
    }
    for source_table, reasons in stop_checks(target).items():
        allowed_offending_rows = 0
        if settings.raw_row_defect_tolerance:  # only a tolerance needs the count of this load's rows
            loaded_row_count = target.query(
                f"select count(*) from raw.{source_table} where _loaded_at = {timestamp_literal(loaded_at)}"
            )[0][0]
            allowed_offending_rows = math.floor(settings.raw_row_defect_tolerance * loaded_row_count)
        suites[f"staging.stg_shop__quarantined_rows ({source_table})"] = row_checks_suite(
            source_table, reasons, loaded_at, allowed_offending_rows, settings
        )
    return run_gate(DELIVERY_GATE, target, suites, data_docs_folder)
