"""The Great Expectations data-quality gate on the raw tables (any target), before dbt builds anything.

It checks the delivery as loaded: freshness against the moment the run scores as of, duplicates, orders of
unknown customers, plausible amounts. The scored marts are checked by dbt's tests as they are built
(ranges, one segment per customer, segment shares within segment_share_bands), before the score history
records them and before anything is published.
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

from scorehouse.contract import sql_string
from scorehouse.warehouse_targets import WarehouseTarget

RAW_GATE = "raw"
# Result format of every gate: counts plus up to 20 offending values per column check, never the full list.
RESULT_FORMAT = "SUMMARY"


@dataclass(frozen=True)
class GatedQuery:
    """What a gate checks of one table: the query giving its rows, the expectations on them, and the column
    that names an offending row to a person (order_id, customer_id, ...), if the query has one."""

    query: str
    expectations: list[gxe.Expectation]
    key_column: str | None = None


@dataclass(frozen=True)
class GateSettings:
    """Thresholds of the raw gate: the dbt vars of the same names, which dbt's prepare_run has validated
    before anything is loaded."""

    freshness_sla_hours: float
    max_order_amount: float
    # share of raw order rows each row-level raw check lets through (staging quarantines them)
    raw_row_defect_tolerance: float


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation of a gate as GX evaluated it.

    `observed_value` is GX's observed value (a count, a maximum, ...); for row-level checks, which GX
    reports without one, it is the number of offending rows. `unexpected_examples` shows some of them, and
    `example_keys` the keys (order_id, customer_id, ...) of some offending rows. `error` is set when GX
    could not compute the check; such an outcome never succeeds. `problem` and `advice` word a failure for
    a person (failure_sentence).
    """

    expectation_type: str
    table: str
    column: str | None
    description: str | None
    success: bool
    observed_value: Any
    unexpected_examples: list[Any]
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
    rows, and whose result lists those rows at every result format: GX's own lists them only with COMPLETE,
    which would also make every column check fetch all of its unexpected values. GX caps the rows fetched.
    `allowed_offending_rows` lets a tolerated number of rows through, as `mostly` does for column checks."""

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


def trimmed_text(target: WarehouseTarget, column: str) -> str:
    """The raw value as staging reads it: text without surrounding blanks, a blank one as null."""
    return f"nullif(trim(cast({column} as {target.text_type})), '')"


def loaded_at_filter(loaded_at: datetime | None) -> str:
    """`where` clause keeping the rows of one load, or nothing when every row counts."""
    if loaded_at is None:
        return ""
    return f" where _loaded_at = cast({sql_string(loaded_at.isoformat(sep=' '))} as timestamp)"


def ordered_at_scored(target: WarehouseTarget, scored_as_of: datetime) -> str:
    """Column `ordered_at_scored`: ordered_at as a timestamp where it lies before the moment the run scores as
    of, else null. Orders after that moment are not scored (or lie in the future), so they cannot make the
    data look fresh; unreadable ones are left to staging's quarantine."""
    ordered_at = target.utc_timestamp(trimmed_text(target, "ordered_at"))
    scored_as_of_literal = f"cast({sql_string(scored_as_of.isoformat(sep=' '))} as timestamp)"
    return f"case when {ordered_at} < {scored_as_of_literal} then {ordered_at} end as ordered_at_scored"


def raw_orders_query(target: WarehouseTarget, scored_as_of: datetime, loaded_at: datetime | None = None) -> str:
    """Raw orders as delivered (CSV text or Parquet types): ids and required values as trimmed text for the
    presence checks, amount cast for the range check (unreadable ones null, left to staging's quarantine)
    and ordered_at for the freshness check. With `loaded_at`, only the rows of that load."""
    return (
        "select "
        f"{trimmed_text(target, 'order_id')} as order_id, "
        f"{trimmed_text(target, 'customer_id')} as customer_id, "
        f"{trimmed_text(target, 'ordered_at')} as ordered_at, "
        f"{trimmed_text(target, 'amount')} as amount, "
        f"{trimmed_text(target, 'status')} as status, "
        f"{target.try_cast(trimmed_text(target, 'amount'), target.double_type)} as amount_number, "
        f"{ordered_at_scored(target, scored_as_of)} "
        "from raw.orders" + loaded_at_filter(loaded_at)
    )


def raw_order_times_query(target: WarehouseTarget, scored_as_of: datetime) -> str:
    """Only what the table-level checks of raw orders need, from every row."""
    return f"select {ordered_at_scored(target, scored_as_of)} from raw.orders"


def raw_customers_query(target: WarehouseTarget) -> str:
    return (
        f"select {trimmed_text(target, 'customer_id')} as customer_id, "
        f"{trimmed_text(target, 'created_at')} as created_at "
        "from raw.customers"
    )


def raw_orders_table_suite(scored_as_of: datetime, settings: GateSettings) -> list[gxe.Expectation]:
    """Checks of raw orders as a whole: rows present and fresh as of the moment the run scores as of."""
    freshness_floor = scored_as_of - timedelta(hours=settings.freshness_sla_hours)
    return [
        gxe.ExpectTableRowCountToBeBetween(
            min_value=1, description="raw.orders has rows",
            meta=wording("no order was delivered", "put the orders file(s) in the data directory", counted=None),
        ),
        # Only staleness is checked: an order dated after the load is quarantined by staging.
        gxe.ExpectColumnMaxToBeBetween(
            column="ordered_at_scored",
            min_value=freshness_floor,
            description=(
                f"the newest order before {scored_as_of:%Y-%m-%d %H:%M} is at most "
                f"{settings.freshness_sla_hours:g} h older than that"
            ),
            meta=wording(
                f"{settings.freshness_sla_hours:g} h (freshness_sla_hours) before {scored_as_of:%Y-%m-%d %H:%M}, "
                "the moment this run scores as of",
                "deliver the missing orders, score an earlier --as-of-date, or raise freshness_sla_hours",
                counted=None,
            ),
        ),
    ]


def raw_order_rows_suite(
    target: WarehouseTarget, settings: GateSettings, order_row_count: int
) -> list[gxe.Expectation]:
    """Row-level checks of raw orders; `order_row_count` rows are checked, of which the tolerated share may
    fail."""
    mostly = 1 - settings.raw_row_defect_tolerance
    allowed_offending_rows = math.floor(settings.raw_row_defect_tolerance * order_row_count)
    advice = row_defect_advice(settings)
    return [
        gxe.ExpectColumnValuesToBeUnique(
            column="order_id", mostly=mostly, description="every order_id is delivered once",
            meta=wording("repeating an order_id of another row", advice),
        ),
        ExpectNoOffendingRows(
            allowed_offending_rows=allowed_offending_rows,
            description="no order_id belongs to two customers",
            meta=wording("given to two different customers", advice, counted="order_id"),
            unexpected_rows_query=(
                "select order_id, count(distinct customer_id) as customer_count, "
                "min(customer_id) as first_customer_id, max(customer_id) as last_customer_id "
                "from {batch} where order_id is not null "
                "group by order_id having count(distinct customer_id) > 1 order by order_id"
            ),
        ),
        *[
            gxe.ExpectColumnValuesToNotBeNull(
                column=column, mostly=mostly, description=f"every order has {column}",
                meta=wording(f"without {column}", advice),
            )
            for column in ("order_id", "customer_id", "ordered_at", "amount", "status")
        ],
        gxe.ExpectColumnValuesToBeBetween(
            column="amount_number",
            min_value=0,
            max_value=settings.max_order_amount,
            mostly=mostly,
            description=f"amounts lie between 0 and {settings.max_order_amount:g}",
            meta=wording(
                f"with an amount outside 0 to {settings.max_order_amount:g}",
                f"raise max_order_amount if such amounts are real, else {advice}",
            ),
        ),
        ExpectNoOffendingRows(
            allowed_offending_rows=allowed_offending_rows,
            description="every order's customer_id is in raw.customers",
            meta=wording("naming a customer_id that no customer row holds", advice),
            unexpected_rows_query=(
                "select orders.order_id, orders.customer_id "
                "from {batch} as orders "
                f"left join (select distinct {trimmed_text(target, 'customer_id')} as customer_id from raw.customers) "
                "as customers on orders.customer_id = customers.customer_id "
                "where orders.customer_id is not null and customers.customer_id is null "
                "order by orders.customer_id, orders.order_id"
            ),
        ),
    ]


def raw_customers_suite() -> list[gxe.Expectation]:
    return [
        gxe.ExpectTableRowCountToBeBetween(
            min_value=1, description="raw.customers has rows",
            meta=wording(
                "no customer was delivered", "put the customers file(s) in the data directory", counted=None
            ),
        ),
        *[
            gxe.ExpectColumnValuesToNotBeNull(
                column=column, description=f"every customer has {column}",
                meta=wording(f"without {column}", "fix the file: every customer needs one"),
            )
            for column in ("customer_id", "created_at")
        ],
    ]


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


def example_keys(rows: list[Mapping[str, Any]], key_column: str | None) -> list[str]:
    """The first few distinct, non-null keys among offending rows."""
    keys = (row.get(key_column) for row in rows) if key_column else ()
    return list(dict.fromkeys(str(key) for key in keys if key is not None))[:EXAMPLE_KEY_COUNT]


def outcome_of(result: ExpectationValidationResult, table: str, key_column: str | None) -> ExpectationOutcome:
    configuration = result.expectation_config
    details = result.result or {}
    observed_value = details.get("observed_value", details.get("unexpected_count"))
    if "unexpected_rows" in details.get("details", {}):
        examples = list(details["details"]["unexpected_rows"])
        offending_rows = examples
    else:
        examples = list(details.get("partial_unexpected_list", []))
        offending_rows = list(details.get("partial_unexpected_index_list") or [])
    meta = configuration.meta or {}
    messages = error_messages(result)
    if not messages and observed_value is None:
        messages = ["no value could be computed (is the table empty?)"]
    return ExpectationOutcome(
        expectation_type=configuration.type,
        table=table,
        column=configuration.kwargs.get("column"),
        description=configuration.description,
        success=bool(result.success) and not messages,
        observed_value=observed_value,
        unexpected_examples=examples,
        error="; ".join(messages) or None,
        example_keys=example_keys(offending_rows, key_column),
        problem=meta.get("problem"),
        advice=meta.get("advice"),
        counted=meta.get("counted"),
    )


def failure_sentences(result: GateResult) -> list[str]:
    """One sentence per failed check of a gate. Of a table with no rows only that is said: its row checks
    could not be computed, and saying so for each would bury the one thing to fix."""
    empty_tables = {
        outcome.table
        for outcome in result.failures
        if outcome.expectation_type == "expect_table_row_count_to_be_between" and outcome.observed_value == 0
    }
    return [
        failure_sentence(outcome)
        for outcome in result.failures
        if outcome.table not in empty_tables or outcome.expectation_type == "expect_table_row_count_to_be_between"
    ]


def failure_sentence(outcome: ExpectationOutcome) -> str:
    """A failed check as one sentence a person reads: the input, what is wrong, how many rows, a few of
    their keys, and what to do."""
    subject = outcome.table.removeprefix("raw.")
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
    """Validates each `table -> GatedQuery` of `suites` in the warehouse, one GX checkpoint per
    table, since each table's batch may need parameters of its own (Spark passes a DataFrame).

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
                    result_format=(
                        {"result_format": RESULT_FORMAT, "unexpected_index_column_names": [gated.key_column]}
                        if gated.key_column
                        else RESULT_FORMAT
                    ),
                )
            )
            checkpoint_result = checkpoint.run(batch_parameters=batch_parameters)
            outcomes += [
                outcome_of(result, table=suite_result.suite_name, key_column=gated.key_column)
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


def check_raw(
    target: WarehouseTarget,
    now: datetime,
    settings: GateSettings,
    data_docs_folder: Path | None = None,
    appended_at: datetime | None = None,
    has_appended_orders: bool = True,
) -> GateResult:
    """Gate on `raw.orders` and `raw.customers` as loaded, before dbt builds anything.

    `now` is the moment the run scores as of (`scored_as_of`: naive UTC like the loader's `loaded_at`, or
    timezone-aware) for the freshness check, which looks at the orders before it. With `data_docs_folder`,
    GX's HTML Data Docs of this run are written to its `raw/` folder.
    `appended_at` is the load time of the rows a load appended: the row-level order checks then look at
    those rows only (the earlier rows passed an earlier gate), while presence and freshness still look at
    every row. A re-sent order_id in a later delivery is then a new version, which staging applies (last
    write wins), not a duplicate. An appending load that brought no order file (`has_appended_orders`
    false) leaves the row-level order checks nothing to check.
    """
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    order_row_count = 0
    if settings.raw_row_defect_tolerance:  # only a tolerance needs the count; a missing table fails in the gate
        order_row_count = target.query("select count(*) from raw.orders" + loaded_at_filter(appended_at))[0][0]
    order_rows_suite = raw_order_rows_suite(target, settings, order_row_count)
    if appended_at is None:
        order_suites = {
            "raw.orders": GatedQuery(
                raw_orders_query(target, now), raw_orders_table_suite(now, settings) + order_rows_suite, "order_id"
            )
        }
    else:
        order_suites = {
            "raw.orders": GatedQuery(raw_order_times_query(target, now), raw_orders_table_suite(now, settings))
        }
        if has_appended_orders:
            order_suites["raw.orders (new files)"] = GatedQuery(
                raw_orders_query(target, now, appended_at), order_rows_suite, "order_id"
            )
    suites = {
        **order_suites,
        "raw.customers": GatedQuery(raw_customers_query(target), raw_customers_suite(), "customer_id"),
    }
    return run_gate(RAW_GATE, target, suites, data_docs_folder)
