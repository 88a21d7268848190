"""`scorehouse` command line: generate demo data, score a data directory, or both (`demo`); document the
models (`docs`); write the HTML report of what is published (`report`); export a segment or flag as an
audience file (`export`)."""

from __future__ import annotations

import argparse
import atexit
import logging
import math
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml

from scorehouse import demo_data
from scorehouse.audiences import FILE_FORMATS
from scorehouse.dbt_runner import PROJECT_DIR
from scorehouse.errors import UserFacingError
from scorehouse.warehouse_targets import TARGET_NAMES, configured_target_name, target_named

DEMO_DATA_DIR = PROJECT_DIR / "data" / "demo"
DEMO_CUSTOMERS = 100_000
Result = TypeVar("Result")


# How long a local Prefect server may take to answer, unless PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS
# says otherwise. A healthy start takes seconds; Prefect's default of 20 s ran out on a busy 2-core machine
# and failed refreshes for no reason in the data. The allowance only bounds a server that cannot start.
PREFECT_SERVER_STARTUP_ALLOWANCE_SECONDS = 600
# How often `serve --watch` looks at the data directory. A file is read once it is unchanged between two
# looks: long enough that a copy which pauses briefly is not taken for a finished one, short enough that a
# refresh starts well within a minute of the last write.
DEFAULT_POLL_INTERVAL_SECONDS = 10.0


def quiet_prefect_environment() -> None:
    """Prefect reads these at import: keep its state in the project, its local servers silent, and give them
    time to start on a busy machine."""
    os.environ.setdefault("PREFECT_HOME", str(PROJECT_DIR / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault(
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(PREFECT_SERVER_STARTUP_ALLOWANCE_SECONDS)
    )


class UserErrorTracebackFilter(logging.Filter):
    """Drops the traceback from log records of failures the user can cause and fix: their message says what
    to do, and a traceback would bury it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], UserFacingError):
            record.exc_info = None
            record.exc_text = None
        return True


def omit_user_error_tracebacks() -> None:
    """Installs UserErrorTracebackFilter on every logging handler, Prefect's console handlers among them."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for handler in {handler for logger in loggers for handler in getattr(logger, "handlers", [])}:
        handler.addFilter(UserErrorTracebackFilter())


def parse_var(text: str) -> tuple[str, Any]:
    """`name=value` with the value read as YAML, as dbt reads `--vars`."""
    name, separator, text_value = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    value = yaml.safe_load(text_value)
    # YAML reads 2025-06-30 as a date, but vars travel to dbt (and to deployments) as JSON
    return name.strip(), value.isoformat() if isinstance(value, date) else value


def add_scoring_arguments(parser: argparse.ArgumentParser, *, with_as_of_date: bool = True) -> None:
    parser.add_argument(
        "--target", choices=TARGET_NAMES, default=configured_target_name(),
        help="warehouse to build in, a dbt target of profiles/profiles.yml (default: $SCOREHOUSE_TARGET, else duckdb)",
    )
    parser.add_argument(
        "--warehouse-dir", type=Path,
        help="folder of the run log, Data Docs and, for duckdb and spark, the warehouse itself (default: warehouse/)",
    )
    if with_as_of_date:
        parser.add_argument(
            "--as-of-date", help="score as of this date, YYYY-MM-DD (default: dbt var as_of_date, today)"
        )
    parser.add_argument(
        "--var", dest="dbt_vars", type=parse_var, action="append", default=[], metavar="NAME=VALUE",
        help="override a dbt var, e.g. --var rfm_bucket_count=4 (repeatable)",
    )


def positive_whole_number(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")
    return int(text)


def poll_interval_seconds(text: str) -> float:
    seconds = float(text)
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return seconds


def add_published_tables_arguments(parser: argparse.ArgumentParser) -> None:
    """Where a command that reads the published tables (report, export) finds them."""
    parser.add_argument(
        "--target", choices=TARGET_NAMES, default=configured_target_name(),
        help="warehouse whose published tables to read (default: $SCOREHOUSE_TARGET, else duckdb)",
    )
    parser.add_argument(
        "--warehouse-dir", type=Path,
        help="folder of the run log and, for duckdb and spark, the warehouse (default: warehouse/)",
    )


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug", action="store_true", help="log tracebacks of bad data and bad settings too, not only of defects",
    )


def dbt_var_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides = dict(args.dbt_vars)
    if getattr(args, "as_of_date", None):
        overrides["as_of_date"] = args.as_of_date
    return overrides


def print_report(result: Any) -> None:
    paths, publication = result.paths, result.publication
    state = "published" if publication.is_new else "unchanged since the last run, kept"
    print(f"\nFor BI (read-only) on {result.target_name}: {publication.location} ({state})")
    print("  tables: " + ", ".join(publication.row_counts))
    print("Quarantine: staging.stg_shop__quarantined_rows")
    print(f"Run log: {paths.run_log}; Data Docs: {paths.data_docs}")
    if result.report is not None:
        print(f"Report: {result.report.path}")
    else:
        print(f"scorehouse: {result.report_error}; `scorehouse report` writes it again", file=sys.stderr)
    print("Raw rows loaded: " + ", ".join(f"{name} {count:,}" for name, count in result.raw_row_counts.items()))
    quarantined = result.quarantined_row_counts
    print("Rows quarantined: " + (", ".join(f"{name} {count:,}" for name, count in quarantined.items()) or "none"))
    print(f"\n{'segment':<22}{'customers':>11}{'share':>8}{'revenue':>16}{'composite':>11}")
    for row in result.segment_summary:
        composite = row["average_composite_score"]
        print(
            f"{row['segment_name']:<22}{row['customer_count']:>11,}{row['customer_share'] or 0:>8.1%}"
            f"{float(row['window_revenue']):>16,.2f}{'' if composite is None else f'{composite:.1f}':>11}"
        )
    # a segment nobody can be in is a campaign with no audience: say so next to the counts, with the reason
    for row in result.segment_summary:
        if row["empty_reason"]:
            print(f"Empty segment {row['segment_name']}: {row['empty_reason']}")
        if row["unreachable_map_cells"]:
            print(f"Unreachable map cells of {row['segment_name']}: {row['unreachable_map_cells']}")


def print_campaign_results(result: Any) -> None:
    """Each campaign's response rates and uplift, when the data has campaigns."""
    target = target_named(result.target_name, result.paths)
    columns, rows = target.call(target.read_published, "fct_campaign_results")
    campaigns = sorted(
        (dict(zip(columns, row, strict=True)) for row in rows), key=lambda campaign: campaign["campaign_id"]
    )
    if not campaigns:
        return
    print(f"\n{'campaign':<12}{'channel':<9}{'treated':>9}{'control':>9}{'rate':>8}{'control':>9}  uplift (interval)")
    for campaign in campaigns:
        treated_rate, control_rate = campaign["treated_response_rate"], campaign["control_response_rate"]
        uplift = campaign["response_rate_uplift"]
        interval = "" if uplift is None else (
            f"{uplift:+.1%} ({campaign['response_rate_uplift_lower_bound']:+.1%} to "
            f"{campaign['response_rate_uplift_upper_bound']:+.1%})"
        )
        print(
            f"{campaign['campaign_id']:<12}{campaign['channel'] or '':<9}{campaign['treated_customer_count']:>9,}"
            f"{campaign['control_customer_count']:>9,}{'' if treated_rate is None else f'{treated_rate:.1%}':>8}"
            f"{'' if control_rate is None else f'{control_rate:.1%}':>9}  {interval}"
        )
    print("Per segment at send time: marts.fct_campaign_segment_results")


def print_step_log() -> None:
    """Prints the log of a run that no Prefect server records (scorehouse.orchestration) to standard error,
    in the layout of Prefect's console lines."""
    logger = logging.getLogger("scorehouse")
    if not logger.handlers:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d | %(levelname)-7s | %(message)s", "%H:%M:%S"))
        logger.addHandler(console)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def run_flow(args: argparse.Namespace, run: Callable[[Path], Result]) -> Result | None:
    """Runs a flow, `run(warehouse_dir)`; returns its result, or None after printing why it failed."""
    quiet_prefect_environment()
    from scorehouse.scoring_flow import DEFAULT_WAREHOUSE_DIR

    print_step_log()
    if not args.debug:
        omit_user_error_tracebacks()
    try:
        return run((args.warehouse_dir or DEFAULT_WAREHOUSE_DIR).resolve())
    except UserFacingError as error:
        for line in str(error).splitlines():  # a gate names each failed check on a line of its own
            print(f"scorehouse: {line}", file=sys.stderr)
        return None


def refresh(
    data_dir: Path, args: argparse.Namespace, as_of_date: date | None = None, full_refresh: bool = False
) -> Any:
    """Runs the refresh flow; returns its result, or None after printing why it failed."""
    from scorehouse.scoring_flow import refresh_scores

    overrides = dbt_var_overrides(args)
    if as_of_date is not None:
        overrides["as_of_date"] = as_of_date.isoformat()
    return run_flow(
        args,
        lambda warehouse_dir: refresh_scores(
            data_dir=data_dir.resolve(), warehouse_dir=warehouse_dir, dbt_vars=overrides, target_name=args.target,
            full_refresh=full_refresh,
        ),
    )


def backfill(args: argparse.Namespace) -> int:
    """Scores the data directory as of every week or month between two dates, for the score history."""
    from scorehouse.backfill import backfill_scores

    results = run_flow(
        args,
        lambda warehouse_dir: backfill_scores(
            data_dir=args.data_dir.resolve(), first=args.first, last=args.last, every=args.every,
            warehouse_dir=warehouse_dir, dbt_vars=dbt_var_overrides(args), target_name=args.target,
        ),
    )
    if results is None:
        return 1
    print(
        f"Scored as of {len(results)} dates, {args.first} to {args.last}: "
        "score history in history.fct_customer_score_history"
    )
    print_report(results[-1])
    return 0


def score(data_dir: Path, args: argparse.Namespace, full_refresh: bool = False) -> int:
    result = refresh(data_dir, args, full_refresh=full_refresh)
    if result is None:
        return 1
    print_report(result)
    print_campaign_results(result)
    return 0


def demo(args: argparse.Namespace) -> int:
    """Generates the demo data and scores it twice: first as of the day before the first campaign, which
    records every customer's segment at send time in the score history, then as asked (default: today)."""
    # history through yesterday: rows stamped later today would be quarantined as lying in the future
    yesterday = date.today() - timedelta(days=1)
    with demo_data.customer_progress(args.customers) as progress:
        summary = demo_data.generate(
            DEMO_DATA_DIR, customers=args.customers, seed=args.seed, end_date=yesterday, progress=progress,
        )
    print(f"Generated demo data in {DEMO_DATA_DIR}: " + ", ".join(f"{k} {v:,}" for k, v in summary.row_counts.items()))
    before_campaigns = min(demo_data.campaign_send_dates(yesterday).values()) - timedelta(days=1)
    print(f"Scoring as of {before_campaigns}, before the first campaign, for the segments at send time")
    if refresh(DEMO_DATA_DIR, args, as_of_date=before_campaigns) is None:
        return 1
    return score(DEMO_DATA_DIR, args)


def watching_if_asked(args: argparse.Namespace, parameters: dict[str, Any]) -> AbstractContextManager[Any]:
    """With `--watch`, refreshes with the schedule's parameters as files land (scorehouse.delivery_watch), from
    before the Prefect server is up until serving ends."""
    if args.watch is None:
        return nullcontext()
    from scorehouse.delivery_watch import watching_deliveries

    print_step_log()
    return watching_deliveries(parameters, poll_interval_seconds=args.watch)


def serve_on_schedule(args: argparse.Namespace) -> int:
    quiet_prefect_environment()
    from scorehouse.schedule import InvalidSchedule, PrefectServerFailed, refresh_deployment, serve_refreshes
    from scorehouse.scoring_flow import DEFAULT_WAREHOUSE_DIR

    try:
        deployment = refresh_deployment(
            name=args.name,
            data_dir=args.data_dir,
            warehouse_dir=args.warehouse_dir or DEFAULT_WAREHOUSE_DIR,
            dbt_vars=dbt_var_overrides(args),
            cron=args.cron,
            timezone=args.timezone,
            target_name=args.target,
        )
        with watching_if_asked(args, deployment.parameters):
            # a database of its own, apart from PREFECT_HOME's own SQLite file
            serve_refreshes(deployment, server_home=Path(os.environ["PREFECT_HOME"]) / "server")
    except (InvalidSchedule, PrefectServerFailed) as error:
        print(f"scorehouse: {error}", file=sys.stderr)
        return 1
    return 0


def generate_docs(args: argparse.Namespace) -> int:
    """dbt's documentation site as one HTML file that opens without a server: every model, column, test,
    exposure and the lineage graph, with the column types of the tables the last refresh built."""
    quiet_prefect_environment()
    from scorehouse.dbt_runner import DbtFailed, run_dbt
    from scorehouse.scoring_flow import DEFAULT_WAREHOUSE_DIR
    from scorehouse.warehouse_targets import WarehousePaths

    target = target_named(args.target, WarehousePaths((args.warehouse_dir or DEFAULT_WAREHOUSE_DIR).resolve()))
    logger = logging.getLogger("scorehouse.docs")
    logger.setLevel(logging.INFO)
    logger.propagate = False  # Prefect's console handler on the root logger would print every line twice
    if not logger.handlers:
        logger.addHandler(logging.StreamHandler(sys.stderr))
    try:
        run_dbt(
            ["docs", "generate", "--static"], target.dbt_environment(), dbt_var_overrides(args), logger,
            target.paths.dbt_docs,
        )
    except DbtFailed as error:
        print(f"scorehouse: {error}", file=sys.stderr)
        return 1
    print(f"dbt docs: {target.paths.dbt_docs / 'static_index.html'}")
    return 0


def write_html_report(args: argparse.Namespace) -> int:
    """Writes the HTML report of the published tables and the run log, without refreshing anything."""
    from scorehouse.report import PublishedTablesUnreadable, write_report
    from scorehouse.scoring_flow import DEFAULT_WAREHOUSE_DIR, utc_now
    from scorehouse.warehouse_targets import WarehousePaths

    target = target_named(args.target, WarehousePaths((args.warehouse_dir or DEFAULT_WAREHOUSE_DIR).resolve()))
    try:
        report = write_report(target, utc_now(), args.output)
    except PublishedTablesUnreadable as error:
        print(f"scorehouse: {error}", file=sys.stderr)
        return 1
    print(f"Report: {report.path} ({report.chart_count} charts)")
    return 0


def export(args: argparse.Namespace) -> int:
    """Writes the customers of a segment or flag as an audience file and records the export."""
    from scorehouse.audiences import Audience, AudienceError, export_audience
    from scorehouse.scoring_flow import DEFAULT_WAREHOUSE_DIR, utc_now
    from scorehouse.warehouse_targets import WarehousePaths

    target = target_named(args.target, WarehousePaths((args.warehouse_dir or DEFAULT_WAREHOUSE_DIR).resolve()))
    if args.lookalikes is not None:
        audience = Audience("lookalikes", str(args.lookalikes))
    else:
        audience = Audience("segment", args.segment) if args.segment else Audience("flag", args.flag)
    try:
        exported = export_audience(target, audience, args.out, args.format, utc_now())
    except AudienceError as error:
        print(f"scorehouse: {error}", file=sys.stderr)
        return 1
    print(
        f"Audience {audience.label}: {exported.member_count:,} customers written to {exported.path} "
        f"(export {exported.export_id}, from the tables published by run {exported.publication_run_id})"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run_parser = commands.add_parser("run", help="score the CSV/Parquet files of a data directory")
    run_parser.add_argument("--data-dir", type=Path, required=True, help="folder holding customers, orders, ...")
    add_scoring_arguments(run_parser)
    add_debug_argument(run_parser)
    run_parser.add_argument(
        "--full-refresh", action="store_true",
        help="rebuild every model from all raw rows, after editing a model or the order_statuses seed "
        "(otherwise new files are built incrementally)",
    )

    backfill_parser = commands.add_parser(
        "backfill", help="score a data directory as of every week or month between two past dates (score history)",
    )
    backfill_parser.add_argument("--data-dir", type=Path, required=True, help="folder holding customers, orders, ...")
    backfill_parser.add_argument(
        "--from", dest="first", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD", help="first as-of date",
    )
    backfill_parser.add_argument(
        "--to", dest="last", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD",
        help="last as-of date, scored last and left published",
    )
    backfill_parser.add_argument("--every", choices=("week", "month"), required=True, help="step between as-of dates")
    add_scoring_arguments(backfill_parser, with_as_of_date=False)
    add_debug_argument(backfill_parser)

    demo_parser = commands.add_parser("demo", help="generate demo data into data/demo and score it")
    demo_parser.add_argument("--customers", type=int, default=DEMO_CUSTOMERS, help="demo customers to generate")
    demo_parser.add_argument("--seed", type=int, default=7, help="random seed of the demo data")
    add_scoring_arguments(demo_parser)
    add_debug_argument(demo_parser)

    generate_parser = commands.add_parser("generate", help="write a synthetic data set that meets the input contract")
    demo_data.add_arguments(generate_parser)

    serve_parser = commands.add_parser(
        "serve",
        help="refresh a data directory on a cron schedule (a Prefect deployment served by this process) and, with "
        "--watch, as files land",
    )
    serve_parser.add_argument("--data-dir", type=Path, required=True, help="folder holding customers, orders, ...")
    serve_parser.add_argument(
        "--cron", default="0 6 * * *", help="when to refresh, as a cron string (default: 0 6 * * *, daily at 06:00)",
    )
    serve_parser.add_argument("--timezone", default="UTC", help="IANA timezone of the cron string (default: UTC)")
    serve_parser.add_argument(
        "--name", default="scheduled", help="deployment name, refresh-scores/<name> in Prefect (default: scheduled)",
    )
    serve_parser.add_argument(
        "--watch", nargs="?", type=poll_interval_seconds, const=DEFAULT_POLL_INTERVAL_SECONDS, metavar="SECONDS",
        help="also refresh as files land in the data directory, looking every SECONDS "
        f"(default: {DEFAULT_POLL_INTERVAL_SECONDS:g}); a file is read once it is unchanged between two looks",
    )
    add_scoring_arguments(serve_parser)

    docs_parser = commands.add_parser(
        "docs", help="write dbt's documentation of the models, with the warehouse's column types, as one HTML file",
    )
    add_scoring_arguments(docs_parser)

    report_parser = commands.add_parser(
        "report", help="write the static HTML report of the published tables and the run log",
    )
    add_published_tables_arguments(report_parser)
    report_parser.add_argument(
        "--output", type=Path, help="where to write the page (default: <warehouse-dir>/report.html)",
    )

    export_parser = commands.add_parser(
        "export",
        help="write the customers of a segment, a flag or the top lookalikes, with consent, as a file for an ad or "
        "email platform",
    )
    audience = export_parser.add_mutually_exclusive_group(required=True)
    audience.add_argument("--segment", help="a segment name, e.g. champions")
    audience.add_argument("--flag", help="a flag of marts.dim_audience_customers, e.g. is_vip")
    audience.add_argument(
        "--lookalikes", type=positive_whole_number, metavar="TOP_N",
        help="the TOP_N customers who resemble the seed group most (marts.fct_customer_lookalikes)",
    )
    export_parser.add_argument("--out", type=Path, required=True, help="file to write")
    export_parser.add_argument(
        "--format", choices=FILE_FORMATS, help="csv or parquet (default: the --out suffix, else csv)",
    )
    add_published_tables_arguments(export_parser)
    return parser


def silence_standard_error() -> None:
    """Points standard error at /dev/null. Registered once the command has said all it has to say, so that it
    runs first at exit: what would follow is Prefect shutting down and DuckDB's Python module
    listing objects still alive as the interpreter tears down (`nanobind: leaked ...`, in processes that also
    loaded Prefect and GX), noise after the summary about nothing a user can act on."""
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stderr.fileno())
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "generate":
        return demo_data.run(args)
    if args.command == "demo":
        return demo(args)
    if args.command == "backfill":
        return backfill(args)
    if args.command == "serve":
        return serve_on_schedule(args)
    if args.command == "docs":
        return generate_docs(args)
    if args.command == "report":
        return write_html_report(args)
    if args.command == "export":
        return export(args)
    return score(args.data_dir, args, full_refresh=args.full_refresh)


def run_command() -> NoReturn:
    """The `scorehouse` command: `main`, then a quiet exit."""
    exit_code = main()
    atexit.register(silence_standard_error)
    sys.exit(exit_code)


if __name__ == "__main__":
    run_command()
