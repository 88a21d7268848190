"""The refresh job as one Prefect flow: check the input contract and the settings, load the raw files,
`dbt build` (models and their tests together; staging checks and quarantines every row), gate the delivery
with Great Expectations, fit the predictive models on what dbt built and `dbt build` the scores that read
them with the score history, publish the BI tables all at once, and record the run. All customer-level
work happens in the warehouse, on any of the dbt targets (scorehouse.warehouse_targets). It is a Prefect
flow run when a Prefect server records it, and plain calls in this process otherwise
(scorehouse.orchestration).

A warehouse directory holds the run log, the Data Docs of the last run, the lock that keeps two refreshes
of it from overlapping and, for the duckdb and spark targets, the warehouse itself.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import sysconfig
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import yaml
from prefect import flow
from prefect.runtime import flow_run

from scorehouse.contract import ContractError, EntityFiles, check_data_dir
from scorehouse.customer_value_fitting import fit_customer_value, log_fit_outcomes
from scorehouse.dbt_runner import PROJECT_DIR, REFRESH_BUILD, DbtFailed, DbtProject
from scorehouse.errors import UserFacingError
from scorehouse.loading import RawLoad
from scorehouse.loading import logger as loading_logger
from scorehouse.orchestration import recorded_by_prefect_when_configured, run_logger, step
from scorehouse.quality_gates import (
    ExpectationOutcome,
    GateResult,
    GateSettings,
    check_delivery,
    failure_sentences,
    scored_as_of,
)
from scorehouse.report import Report, write_report
from scorehouse.run_log import (
    RUNNING,
    RunRecord,
    has_publication,
    last_publication_key,
    mark_interrupted_runs,
    record_run,
)
from scorehouse.warehouse_targets import (
    Publication,
    WarehousePaths,
    WarehouseTarget,
    configured_target_name,
    target_named,
)

if TYPE_CHECKING:
    from scorehouse.churn_model import ChurnModelFit

DEFAULT_WAREHOUSE_DIR = PROJECT_DIR / "warehouse"
STAGED_TABLES = {
    "customers": "staging.stg_shop__customers",
    "orders": "staging.stg_shop__orders",
    "order_items": "staging.stg_shop__order_items",
    "events": "staging.stg_shop__events",
    "nps_responses": "staging.stg_shop__nps_responses",
    "campaign_sends": "staging.stg_shop__campaign_sends",
    "campaign_responses": "staging.stg_shop__campaign_responses",
    "customer_attributes": "staging.stg_shop__customer_attributes",
}
# Models that read what fit_models writes, and everything downstream of them, are built after it; so is the
# score history with the marts built on it, which dbt orders after the tests of every other published mart.
FITTED_MODELS_SELECTOR = "tag:uses_fitted_models+"
HISTORY_SELECTOR = "fct_customer_score_history+"


def describe_outcome(outcome: ExpectationOutcome) -> str:
    """`expectation(relation: what it expects)`, the name under which a failed check is logged."""
    return f"{outcome.expectation_type}({outcome.table}: {outcome.description})"


class GateFailed(UserFacingError, RuntimeError):
    """A Great Expectations gate found bad data or could not compute a check."""

    def __init__(self, result: GateResult) -> None:
        self.result = result
        # one sentence per failed check, each on its own line
        super().__init__("\n".join(failure_sentences(result)))


class RefreshAlreadyRunning(UserFacingError, RuntimeError):
    """Another refresh holds the lock of this warehouse directory."""


@dataclass(frozen=True)
class RefreshResult:
    run_id: str
    target_name: str
    paths: WarehousePaths
    publication: Publication
    raw_row_counts: dict[str, int]
    staged_row_counts: dict[str, int]
    quarantined_row_counts: dict[str, int]
    segment_summary: list[dict[str, Any]]
    # None when the report could not be written (report_error says why); the publication stands either way
    report: Report | None
    report_error: str | None


def is_transient(error: BaseException) -> bool:
    """A file lock or I/O hiccup that a retry can clear, as opposed to bad data or bad settings."""
    message = str(error)
    if isinstance(error, DbtFailed):
        return "Could not set lock on file" in message
    return isinstance(error, duckdb.IOException) and "lock" in message.lower()


def failed_check(error: BaseException) -> str:
    """The name of the check that stopped a run, for the run log."""
    if isinstance(error, GateFailed):
        return f"{error.result.gate} gate: " + ", ".join(describe_outcome(outcome) for outcome in error.result.failures)
    if isinstance(error, DbtFailed):
        return "dbt: " + (", ".join(error.failed_nodes) or "see the message")
    if isinstance(error, ContractError):
        return "input contract"
    return type(error).__name__


def project_vars(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """dbt vars as a run sees them: the defaults of dbt_project.yml with the run's overrides on top."""
    defaults = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    return {**defaults, **(overrides or {})}


def installed_code() -> list[tuple[str, int, int]]:
    """scorehouse's own modules, which load and fit, and the folder of the installed packages, whose
    modification time changes when a package is installed, upgraded or removed: by size and modification
    time."""
    paths = [*sorted(Path(__file__).parent.glob("*.py")), Path(sysconfig.get_paths()["purelib"])]
    return [(str(path), (status := path.stat()).st_size, status.st_mtime_ns) for path in paths]


def publication_key(dbt: DbtProject, target_name: str, dbt_vars: Mapping[str, Any] | None) -> str:
    """What a refresh's outputs follow from besides the raw rows: the target, the as-of date ('today' is the
    UTC date, as dbt resolves it), the project's files, vars and settings (dbt's parse key) and the installed
    code. Two runs with the same key on the same rows publish the same tables."""
    as_of = configured_as_of_date(dbt_vars) or datetime.now(UTC).date()
    code = hashlib.sha256(json.dumps(installed_code()).encode()).hexdigest()
    return f"{target_name}:{as_of.isoformat()}:{dbt.parse_key()}:{code}"


def gate_settings(dbt_vars: Mapping[str, Any]) -> GateSettings:
    """The delivery gate's thresholds: the vars of the same names."""
    return GateSettings(**{setting.name: dbt_vars[setting.name] for setting in fields(GateSettings)})


@contextmanager
def refresh_lock(lock_path: Path, wait: bool = False) -> Iterator[None]:
    """Refuses to start while another refresh of the same warehouse directory runs or, with `wait`, starts
    once it has finished."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            if not wait:
                raise RefreshAlreadyRunning(
                    f"another refresh of {lock_path.parent} is running; wait for it or use another warehouse "
                    "directory"
                ) from error
            run_logger().info("another refresh of %s is running; starting when it has finished", lock_path.parent)
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def refresh_running(lock_path: Path) -> bool:
    """Whether a refresh of the warehouse directory holds its lock now. The probe takes a shared lock, which
    only a refresh's exclusive lock blocks, and lets go at once."""
    if not lock_path.exists():
        return False
    with lock_path.open("a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        return False


@step()
def check_inputs(data_dir: Path) -> list[EntityFiles]:
    """Stops the run before anything is written when the files break the input contract."""
    inputs = check_data_dir(data_dir)
    run_logger().info(
        "input contract met: %s",
        ", ".join(f"{files.entity.name} ({len(files.paths)} file(s))" for files in inputs if files.paths),
    )
    return inputs


@step(is_transient)
def check_settings(dbt: DbtProject) -> None:
    """Parses the project, which validates every dbt var before anything is loaded, so a bad setting leaves
    the warehouse untouched: dbt renders the on-run-start hook (prepare_run, which validates them) while it
    parses. The builds run on this parse."""
    dbt.run(["parse"], run_logger())


class RunLogForwarder(logging.Handler):
    """Re-logs a module's records on the run's logger, so they reach the console and the Prefect UI."""

    def __init__(self, run_logger: logging.Logger | logging.LoggerAdapter) -> None:
        super().__init__()
        self.run_logger = run_logger

    def emit(self, record: logging.LogRecord) -> None:
        self.run_logger.log(record.levelno, record.getMessage())


@contextmanager
def forwarded_to_run_log(
    source: logging.Logger, run_logger: logging.Logger | logging.LoggerAdapter
) -> Iterator[None]:
    """While open, `source`'s info lines go to the run's log, and only there (not also to the root logger's
    console)."""
    forwarder = RunLogForwarder(run_logger)
    level, propagate = source.level, source.propagate
    source.addHandler(forwarder)
    source.setLevel(logging.INFO)
    source.propagate = False
    try:
        yield
    finally:
        source.removeHandler(forwarder)
        source.setLevel(level)
        source.propagate = propagate


@step(is_transient)
def load_inputs(target: WarehouseTarget, inputs: list[EntityFiles], loaded_at: datetime) -> RawLoad:
    # Spark loads in a process of its own, whose per-file lines stay there
    with forwarded_to_run_log(loading_logger, run_logger()):
        raw_load = target.call(target.load_raw_tables, inputs, loaded_at)
    run_logger().info(
        "%s raw rows in %s: %s", "appended new files;" if raw_load.is_append_only else "reloaded all;",
        target.name, raw_load.row_counts,
    )
    return raw_load


def enforce(result: GateResult) -> None:
    """Logs a gate's outcome and stops the run when it failed."""
    met = len(result.expectations) - len(result.failures)
    run_logger().info("%s quality gate: %d of %d expectations met", result.gate, met, len(result.expectations))
    if not result.success:
        raise GateFailed(result)


def configured_as_of_date(dbt_vars: Mapping[str, Any] | None) -> date | None:
    """The as-of date the run scores as of, or None for 'today' (the run's own date). dbt has validated the
    var before anything was loaded."""
    as_of_date = str(project_vars(dbt_vars)["as_of_date"])
    return None if as_of_date == "today" else date.fromisoformat(as_of_date)


@step()
def delivery_gate(target: WarehouseTarget, now: datetime, as_of_date: date | None, settings: GateSettings) -> None:
    """Gates the rows this run loaded (their load time is the run's clock) as staging checked them, and the
    freshness of the staged orders as of the moment the run scores as of."""
    enforce(
        target.call(check_delivery, target, scored_as_of(now, as_of_date), now, settings, target.paths.data_docs)
    )


def refresh_build(selection: list[str], full_refresh: bool) -> list[str]:
    """The arguments of one of the refresh's `dbt build`s: `selection`, rebuilt in full when `full_refresh`."""
    return [*REFRESH_BUILD, *selection, *(["--full-refresh"] if full_refresh else [])]


@step(is_transient)
def build_models(dbt: DbtProject, full_refresh: bool) -> None:
    """`dbt build` of everything but the score history and the models that read fitted models: seeds,
    models and data tests in DAG order, so nothing downstream of a failing test is built. Incremental
    models take only the new rows unless `full_refresh`."""
    dbt.run(refresh_build(["--exclude", FITTED_MODELS_SELECTOR, HISTORY_SELECTOR], full_refresh), run_logger())


@step(is_transient)
def fit_models(target: WarehouseTarget, dbt_vars: Mapping[str, Any] | None, trained_at: datetime) -> ChurnModelFit:
    """Fits the churn model on the training set build_models made and stores it as a new version. A
    training set too small or with one outcome only is recorded as a skipped version and logged as a
    warning: the run goes on with empty churn probabilities. Then fits the customer value models
    (scorehouse.customer_value_fitting) and the suggested score weights (scorehouse.score_weights), whose
    failed fits are warnings too. The three fits share one session of the warehouse."""
    # scikit-learn and SciPy take seconds to import: a run with nothing to rebuild does not pay for them
    from scorehouse.churn_model import FITTED, fit_churn_model
    from scorehouse.score_weights import FITTED as WEIGHTS_FITTED
    from scorehouse.score_weights import fit_score_weights

    settings = project_vars(dbt_vars)
    logger = run_logger()
    with target.steps_in_one_session():
        fit = target.call(
            fit_churn_model, target, list(settings["churn_model_features"]),
            settings["churn_model_min_training_customers"], trained_at,
        )
        if fit.status == FITTED:
            logger.info("churn model version %d: %s", fit.model_version, fit.message)
        else:
            logger.warning("churn model version %d %s: %s", fit.model_version, fit.status, fit.message)
        log_fit_outcomes(target.call(fit_customer_value, target, settings, trained_at), logger)
        weight_fit = target.call(fit_score_weights, target, settings, trained_at)
    log = logger.info if weight_fit.status == WEIGHTS_FITTED else logger.warning
    log("score weight review version %d %s: %s", weight_fit.model_version, weight_fit.status, weight_fit.message)
    return fit


@step(is_transient)
def build_scores(dbt: DbtProject, full_refresh: bool) -> None:
    """`dbt build` of the models that read fitted models (scored from the versions fit_models wrote), of
    what depends on them, and of the score history with the marts built on it. The history depends on every
    other published mart (fct_customer_score_history.sql), so dbt records it only once their tests have
    passed: it only ever records scores that are about to be published."""
    dbt.run(refresh_build(["--select", FITTED_MODELS_SELECTOR, HISTORY_SELECTOR], full_refresh), run_logger())


@step(is_transient)
def publish_outputs(target: WarehouseTarget, run_id: str, published_at: datetime) -> Publication:
    publication = target.call(target.publish, run_id, published_at)
    run_logger().info(
        "%s %s", "published" if publication.is_new else "outputs unchanged, kept", publication.location
    )
    return publication


@step(is_transient)
def accept_load(target: WarehouseTarget, accepted_at: datetime) -> None:
    """Only now may the next load append to this one's files: until a run gets here, every later run
    reloads and checks all rows again, so a refused or half-processed delivery is never published by a
    re-run."""
    target.call(target.accept_load, accepted_at)


def summarize(target: WarehouseTarget) -> tuple[dict[str, int], dict[str, int], list[dict[str, Any]]]:
    """Staged and quarantined counts per input, and the published segment summary (a dozen rows), for the
    report."""
    staged = {name: target.query(f"select count(*) from {table}")[0][0] for name, table in STAGED_TABLES.items()}
    quarantined = dict(
        target.query("select source_table, count(*) from staging.stg_shop__quarantined_rows group by source_table")
    )
    columns, rows = target.read_published("fct_segment_summary")
    summary = sorted(
        (dict(zip(columns, row, strict=True)) for row in rows), key=lambda segment: segment["display_order"]
    )
    return staged, dict(sorted(quarantined.items())), summary


@step()
def write_html_report(target: WarehouseTarget, written_at: datetime) -> Report:
    report = write_report(target, written_at)
    run_logger().info("report written to %s (%d charts)", report.path, report.chart_count)
    return report


def write_report_or_warn(target: WarehouseTarget) -> tuple[Report | None, str | None]:
    """The report, or why it was not written. The published tables are BI's contract and are already in
    place (or, after a failure, untouched): a report that cannot be written is logged, never a failed run."""
    try:
        return write_html_report(target, utc_now()), None
    except Exception as error:  # noqa: BLE001 - any failure of this last, secondary step
        message = f"the HTML report was not written: {error}"
        run_logger().warning(message)
        return None, message


@step()
def read_results(target: WarehouseTarget) -> tuple[dict[str, int], dict[str, int], list[dict[str, Any]]]:
    return target.call(summarize, target)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@flow(name="refresh-scores")
def refresh_flow(
    data_dir: Path,
    warehouse_dir: Path = DEFAULT_WAREHOUSE_DIR,
    dbt_vars: dict[str, Any] | None = None,
    now: datetime | None = None,
    target_name: str | None = None,
    full_refresh: bool = False,
    wait_for_running_refresh: bool = False,
) -> RefreshResult:
    """Scores every customer in `data_dir` and publishes the BI tables when every check passes.

    `dbt_vars` overrides dbt vars (as_of_date, weights, gate thresholds, ...). `now` (naive UTC) is the
    run's clock: rows dated after it are quarantined, and freshness is measured from it or from the end of
    an earlier as-of date; injectable for tests. `target_name` is the dbt target (duckdb, postgres, spark;
    default: $SCOREHOUSE_TARGET, else duckdb). The build is incremental when the load only appended new
    files to a load an earlier run published; `full_refresh` rebuilds every model from all raw rows (needed
    after editing a model or a seed that staging reads, such as order_statuses). A load that adds no row,
    with the publication key of the last run, which published, rebuilds nothing (publication_key). With
    `wait_for_running_refresh` (the runs `scorehouse serve` starts), a refresh of the same warehouse directory
    that is running delays this one rather than refusing it.
    """
    paths = WarehousePaths(Path(warehouse_dir))
    target = target_named(target_name or configured_target_name(), paths)
    run_id = flow_run.get_id() or uuid.uuid4().hex
    raw_counts: dict[str, int] = {}
    with refresh_lock(paths.lock, wait=wait_for_running_refresh), ExitStack() as last_steps:
        # the clock starts once the lock is held: a run that waited loads after the run it waited for
        started_at = utc_now()
        now = now or started_at
        mark_interrupted_runs(paths.run_log)
        last_key = last_publication_key(paths.run_log)
        record_run(
            paths.run_log,
            RunRecord(run_id, started_at, None, RUNNING, str(data_dir), None, None, None, None, None, None),
        )
        try:
            inputs = check_inputs(Path(data_dir))
            dbt = target.dbt_project(dbt_vars)
            key = publication_key(dbt, target.name, dbt_vars)
            # the last run published with the same project, vars, settings and as-of date, which its parse
            # validated, and its outputs are what is published
            as_last_published = not full_refresh and key == last_key
            if not as_last_published:
                check_settings(dbt)
            raw_load = load_inputs(target, inputs, now)
            raw_counts = raw_load.row_counts
            nothing_to_rebuild = as_last_published and not raw_load.has_new_rows
            rebuild_in_full = full_refresh or not raw_load.is_append_only
            if nothing_to_rebuild:
                run_logger().info(
                    "no new rows, and the same project, settings and as-of date as the last run, which published: "
                    "nothing to rebuild; its tables stand once the delivery gate passes"
                )
            else:
                build_models(dbt, rebuild_in_full)
            with target.steps_in_one_session():
                delivery_gate(target, now, configured_as_of_date(dbt_vars), gate_settings(project_vars(dbt_vars)))
                if not nothing_to_rebuild:
                    fit_models(target, dbt_vars, now)
            if not nothing_to_rebuild:
                build_scores(dbt, rebuild_in_full)
            # no dbt command follows: publishing, the results and the report share one session
            last_steps.enter_context(target.steps_in_one_session())
            publication = publish_outputs(target, run_id, now)
            accept_load(target, now)
            staged, quarantined, summary = read_results(target)
        except Exception as error:
            explained = target.explained_failure(error)
            record_run(
                paths.run_log,
                RunRecord(
                    run_id, started_at, utc_now(), "failed", str(data_dir), sum(raw_counts.values()) or None,
                    None, None, None, failed_check(error), str(explained or error),
                ),
            )
            # the report of the last publication, now saying that this run failed and where
            if has_publication(paths.run_log):
                write_report_or_warn(target)
            if explained is not None:
                raise explained from error
            raise
        record_run(
            paths.run_log,
            RunRecord(
                run_id, started_at, utc_now(), "published" if publication.is_new else "unchanged", str(data_dir),
                sum(raw_counts.values()), sum(staged.values()), sum(quarantined.values()),
                sum(publication.row_counts.values()), None, None, key,
            ),
        )
        # after the run log, so the report shows this run
        report, report_error = write_report_or_warn(target)
    return RefreshResult(
        run_id, target.name, paths, publication, raw_counts, staged, quarantined, summary, report, report_error
    )


refresh_scores = recorded_by_prefect_when_configured(refresh_flow)
