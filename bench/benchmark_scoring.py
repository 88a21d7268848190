"""Scoring benchmark: generate demo data at a given scale, then score it with `scorehouse run` as a user would.

Run on demand, never by pytest:

    python bench/benchmark_scoring.py                 # 1m: 1,000,000 customers, 10 orders each
    python bench/benchmark_scoring.py 1m 10m
    python bench/benchmark_scoring.py --customers 50000 --orders-per-customer 4

Each scale is scored twice. The first run loads the data without its newest 1 % of orders (by order time,
with their items) and builds everything from scratch; the second adds those orders as a new file, as a daily
delivery would, so its load appends and dbt builds incrementally. The data is laid out as one folder per
input (bench/work/<scale>/deliveries/) for that.

Every stage runs as a child process of the installed `scorehouse` command. Peak memory is the summed RSS of
the child and all its descendants (on Spark, dbt runs as a grandchild), sampled from /proc; shared pages count once per
process, so it errs high. Data goes to bench/work/<scale>/ and is reused when all its files are there
(`--regenerate` makes it anew; data older than the freshness SLA fails the delivery gate). Each run starts from an
empty warehouse directory, bench/work/<scale>/warehouse/. One log per stage and the summary table go to
bench/results/.

On the same data as the full run (the orders without the newest 1 %), it also times the two yardsticks of
bench/rfm_baselines.py: (a) the floor, one hand-written DuckDB query computing R/F/M quintiles straight from
the orders Parquet, and (c) pandas groupby + qcut as a notebook would. Against them it sets (b) the full
run's dbt builds of the scoring models (before and after the model fits), without dbt's fixed start-up
(reported apart), and (d) the same builds of the incremental run. Last, (b') builds the RFM scores alone
from scratch, the part of (b) that computes what (a) and (c) compute. It writes the ratios b'/a, c/b', full
refresh / c, incremental / full refresh and d/b with the project's goals to bench/results/comparison.md, and
the same table into bench/README.md between its "latest results" markers, so the page always shows the
latest measurement.

Flow stage times come from the refresh's log: with no Prefect server configured, each step logs
`<step> finished after <seconds> s` (scorehouse.orchestration).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from scorehouse.contract import CONTRACT
from scorehouse.dbt_runner import PROFILES_DIR, PROJECT_DIR, REFRESH_BUILD, dbt_executable
from scorehouse.warehouse_targets import WarehousePaths, target_named

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_WORK_DIR = BENCH_DIR / "work"
RESULTS_DIR = BENCH_DIR / "results"
README = BENCH_DIR / "README.md"
LATEST_RESULTS_START = "<!-- latest results: written by bench/benchmark_scoring.py -->"
LATEST_RESULTS_END = "<!-- end of latest results -->"
SCALES = {"1m": (1_000_000, 10.0), "10m": (10_000_000, 10.0)}
# share of the orders, the newest ones, that arrive as the incremental run's new file
NEW_ORDER_SHARE = 0.01
HELD_BACK_FRESHNESS_SLA_HOURS = 24 * 90
BASELINES_SCRIPT = BENCH_DIR / "rfm_baselines.py"
BASELINE_SECONDS = re.compile(r"^seconds=(?P<seconds>[\d.]+)$", re.MULTILINE)
# the goals: the RFM path within 5x the floor and no slower than pandas, the full refresh within 5x pandas,
# the incremental refresh under 30 % of the full one, memory under 8 GB
MAX_RFM_PATH_OVER_FLOOR = 5.0
MIN_PANDAS_OVER_RFM_PATH = 1.0
MAX_FULL_REFRESH_OVER_PANDAS = 5.0
MAX_INCREMENTAL_OVER_FULL_REFRESH = 0.3
MAX_PEAK_MEMORY_BYTES = 8 * 1024**3
SEED = 7
SAMPLE_SECONDS = 0.2
SLOWEST_NODES_SHOWN = 5
# every input of the contract, campaigns included, as the generator writes them
RAW_TABLES = tuple(entity.name for entity in CONTRACT)
# the flow's dbt builds of the scoring models, in order; (b) and (d) are their dbt time together
SCORING_BUILD_STAGES = ("build_models", "build_scores")
# (b') the R, F and M scores alone: the staged inputs they read, the customer summaries and the scores, with
# tests. Not the composite: its criteria may be predictions, so it waits for the whole predictive pipeline.
RFM_PATH_SELECTOR = "+fct_customer_rfm_scores"
FLOW_STAGES = (
    "check_inputs", "check_settings", "load_inputs", "build_models",
    "delivery_gate", "fit_models", "build_scores", "publish_outputs",
    "accept_load", "read_results", "write_html_report",
)
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MEBIBYTE = 1024**2

ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
DBT_FINISHED = re.compile(r"Finished running .* \((?P<seconds>[\d.]+)s\)\.")
# e.g. "12 of 127 OK created sql table model staging.stg_shop__orders_checked ..... [OK in 3.21s]"
DBT_NODE = re.compile(r" \d+ of \d+ (?!START )(?P<node>.+?)\s\.*\s*\[[^\]]* in (?P<seconds>[\d.]+)s\]$")
# e.g. "11:26:27.000 | INFO    | build_models finished after 63.2 s"
STEP_LINE = re.compile(r"^[\d:.]+ \| \w+ *\| (?P<step>\w+) (?P<outcome>finished|failed) after (?P<seconds>[\d.]+) s$")
EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception): ")


@dataclass(frozen=True)
class Scale:
    name: str
    customers: int
    orders_per_customer: float


@dataclass(frozen=True)
class Measurement:
    return_code: int
    seconds: float
    peak_rss_bytes: int
    peak_spill_bytes: int
    log_path: Path


@dataclass(frozen=True)
class StageTime:
    outcome: str  # finished or failed
    seconds: float


@dataclass(frozen=True)
class RunResult:
    measurement: Measurement
    dbt_seconds: float | None  # dbt's own time for the scoring builds (models, then scores), without start-up
    slowest_nodes: list[tuple[str, float]]
    # dbt's time in the incremental models, which an incremental run builds for the new rows only: what a
    # refresh would save at most were they free, the rest being rebuilt in full on every run
    incremental_model_seconds: float
    stages: dict[str, StageTime]
    error: str | None


@dataclass(frozen=True)
class BaselineResult:
    measurement: Measurement
    compute_seconds: float | None  # without the interpreter's start-up and imports; None when it failed


@dataclass(frozen=True)
class ScaleResult:
    scale: Scale
    generation: Measurement | None  # None when existing data was reused
    full: RunResult | None  # built from scratch, without the newest orders
    incremental: RunResult | None  # after the newest orders arrived as a new file
    raw_rows: dict[str, int]
    error: str | None
    floor: BaselineResult | None = None  # (a) one DuckDB query on the full run's orders
    pandas: BaselineResult | None = None  # (c) pandas on the same orders
    rfm_path: BaselineResult | None = None  # (b') dbt's build of the RFM scores alone, from scratch
    # a refresh right after the incremental one, with nothing new: what every refresh costs besides its work
    nothing_new: RunResult | None = None


def process_tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (command) state ppid ..."; the command may itself contain spaces and parentheses.
            parent = int(stat_file.read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        children.setdefault(parent, []).append(int(stat_file.parent.name))
    total, pending = 0, [root_pid]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
        except (OSError, IndexError, ValueError):
            continue
    return total


def folder_bytes(folder: Path) -> int:
    """Size of the files in `folder`, 0 when it does not exist; DuckDB may remove files while we look."""
    total = 0
    try:
        for path in folder.rglob("*"):
            total += path.stat().st_size
    except OSError:
        pass  # the folder or a file vanished mid-walk; the next sample catches up
    return total


def run_measured(
    command: list[str], log_path: Path, spill_dir: Path | None = None, environment: dict[str, str] | None = None
) -> Measurement:
    """Runs `command` with its output in `log_path`, sampling memory and DuckDB's spill folder as it goes."""
    peak_rss = peak_spill = 0
    with log_path.open("w") as log:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
        while True:
            peak_rss = max(peak_rss, process_tree_rss_bytes(process.pid))
            if spill_dir is not None:
                peak_spill = max(peak_spill, folder_bytes(spill_dir))
            try:
                return_code = process.wait(timeout=SAMPLE_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
        seconds = time.monotonic() - started
    return Measurement(return_code, seconds, peak_rss, peak_spill, log_path)


def node_timings(log_text: str) -> list[tuple[str, float]]:
    return [
        (match["node"], float(match["seconds"]))
        for line in log_text.splitlines()
        if (match := DBT_NODE.search(line))
    ]


def slowest_nodes(timings: list[tuple[str, float]]) -> list[tuple[str, float]]:
    return sorted(timings, key=lambda timing: timing[1], reverse=True)[:SLOWEST_NODES_SHOWN]


def stage_times(log_text: str) -> dict[str, StageTime]:
    """Seconds per flow step, from the lines each step logs when it ends."""
    return {
        match["step"]: StageTime(match["outcome"], float(match["seconds"]))
        for line in log_text.splitlines()
        if (match := STEP_LINE.match(line))
    }


def run_error(measurement: Measurement, log_text: str) -> str | None:
    """What stopped a failed run: the CLI's own message, else the last exception, else the last log line."""
    if measurement.return_code == 0:
        return None
    if measurement.return_code < 0:
        return f"killed by signal {-measurement.return_code}"
    lines = [line for line in log_text.splitlines() if line.strip()]
    for matches in (lambda line: line.startswith("scorehouse: "), EXCEPTION_LINE.match):
        if found := [line for line in lines if matches(line)]:
            return found[-1]
    return lines[-1] if lines else "no output"


def raw_row_counts(warehouse: Path) -> dict[str, int]:
    """Rows per raw table, or as many as the warehouse holds (none when the run stopped before loading)."""
    counts: dict[str, int] = {}
    if not warehouse.exists():
        return counts
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            for table in RAW_TABLES:
                counts[table] = connection.execute(f"select count(*) from raw.{table}").fetchone()[0]
    except duckdb.Error:
        pass  # a table that was never loaded
    return counts


def has_data(data_dir: Path) -> bool:
    return all((data_dir / f"{table}.parquet").is_file() for table in RAW_TABLES)


def generate(scale: Scale, data_dir: Path, scorehouse: str) -> Measurement:
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    # History through yesterday, as `scorehouse demo` does: rows stamped later today would be quarantined.
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    print(f"[{scale.name}] generating {scale.customers:,} customers", file=sys.stderr)
    return run_measured(
        [
            scorehouse, "generate", "--customers", str(scale.customers),
            "--orders-per-customer", str(scale.orders_per_customer),
            "--out", str(data_dir), "--seed", str(SEED), "--end-date", yesterday,
        ],
        RESULTS_DIR / f"scoring-{scale.name}-generate.log",
    )


def lay_out_deliveries(data_dir: Path, deliveries_dir: Path) -> Path:
    """One folder per input holding the generated file, except that the newest NEW_ORDER_SHARE of orders
    and their items go to `new-orders.parquet`, returned apart for the incremental run to add."""
    shutil.rmtree(deliveries_dir, ignore_errors=True)
    held_back = deliveries_dir / "held_back"
    held_back.mkdir(parents=True)
    with duckdb.connect() as connection:
        connection.execute(
            f"""create view newest_orders as
            select order_id from read_parquet('{data_dir / "orders.parquet"}')
            where ordered_at >= (
                select quantile_disc(ordered_at, {1 - NEW_ORDER_SHARE})
                from read_parquet('{data_dir / "orders.parquet"}')
            )"""
        )
        for table in RAW_TABLES:
            (deliveries_dir / table).mkdir()
            source = f"read_parquet('{data_dir / f'{table}.parquet'}')"
            if table in ("orders", "order_items"):
                newest = "order_id in (select order_id from newest_orders)"
                connection.execute(
                    f"copy (select * from {source} where not {newest}) "
                    f"to '{deliveries_dir / table / 'part-1.parquet'}'"
                )
                connection.execute(
                    f"copy (select * from {source} where {newest}) to '{held_back / f'{table}.parquet'}'"
                )
            else:
                (deliveries_dir / table / "part-1.parquet").symlink_to(data_dir / f"{table}.parquet")
    return held_back


def run_baseline(scale: Scale, method: str, orders: Path, work_dir: Path) -> BaselineResult:
    print(f"[{scale.name}] baseline: {method}", file=sys.stderr)
    measurement = run_measured(
        [
            sys.executable, str(BASELINES_SCRIPT), method, str(orders),
            "--out", str(work_dir / f"{method}-scores.parquet"),
        ],
        RESULTS_DIR / f"scoring-{scale.name}-{method}.log",
    )
    found = BASELINE_SECONDS.search(measurement.log_path.read_text()) if measurement.return_code == 0 else None
    return BaselineResult(measurement, None if found is None else float(found["seconds"]))


def score(scale: Scale, label: str, deliveries_dir: Path, warehouse_dir: Path, scorehouse: str) -> RunResult:
    print(f"[{scale.name}] scoring: {label}", file=sys.stderr)
    measurement = run_measured(
        [
            scorehouse, "run", "--data-dir", str(deliveries_dir), "--warehouse-dir", str(warehouse_dir),
            # without its newest orders the first delivery ends days before the run: not a stale feed
            "--var", f"freshness_sla_hours={HELD_BACK_FRESHNESS_SLA_HOURS}",
        ],
        RESULTS_DIR / f"scoring-{scale.name}-{label}.log",
        warehouse_dir / "scorehouse.duckdb.tmp",  # DuckDB's default temp_directory for the working file
    )
    log_text = ANSI_COLOUR.sub("", measurement.log_path.read_text())
    finished = DBT_FINISHED.findall(log_text)
    # builds report in order: the models, the scores after the fits, then the history
    scoring_builds = [float(seconds) for seconds in finished[:len(SCORING_BUILD_STAGES)]]
    scoring_seconds = sum(scoring_builds) if len(scoring_builds) == len(SCORING_BUILD_STAGES) else None
    timings = node_timings(log_text)
    return RunResult(
        measurement,
        scoring_seconds,
        slowest_nodes(timings),
        sum(seconds for node, seconds in timings if " incremental model " in node),
        stage_times(log_text),
        run_error(measurement, log_text),
    )


def build_rfm_path(scale: Scale, warehouse_dir: Path) -> BaselineResult:
    """(b') `dbt build --full-refresh` of the RFM scores and what they read, nothing else, on the warehouse
    the runs left, as a refresh builds (without unit tests): the part of (b) that computes what (a) and (c)
    compute. Its seconds are dbt's own."""
    print(f"[{scale.name}] RFM path build", file=sys.stderr)
    warehouse = target_named("duckdb", WarehousePaths(warehouse_dir))
    measurement = run_measured(
        [
            dbt_executable(), *REFRESH_BUILD, "--select", RFM_PATH_SELECTOR, "--full-refresh",
            # only the tests of what the path builds: eager selection would add every test that also reads
            # a model outside it (campaign sends against the customers, say)
            "--indirect-selection", "cautious",
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR),
            "--target-path", str(warehouse_dir / "rfm-path-target"),
        ],
        RESULTS_DIR / f"scoring-{scale.name}-rfm-path.log",
        warehouse_dir / "scorehouse.duckdb.tmp",
        {**os.environ, **warehouse.dbt_environment()},
    )
    finished = DBT_FINISHED.search(ANSI_COLOUR.sub("", measurement.log_path.read_text()))
    return BaselineResult(
        measurement, float(finished["seconds"]) if measurement.return_code == 0 and finished else None
    )


def benchmark(scale: Scale, work_dir: Path, scorehouse: str, regenerate: bool) -> ScaleResult:
    data_dir = work_dir / scale.name
    deliveries_dir = data_dir / "deliveries"
    warehouse_dir = data_dir / "warehouse"

    generation = None
    if regenerate or not has_data(data_dir):
        generation = generate(scale, data_dir, scorehouse)
        if generation.return_code != 0:
            return ScaleResult(scale, generation, None, None, {}, "generation failed")
    else:
        print(f"[{scale.name}] reusing the data in {data_dir}", file=sys.stderr)
    held_back = lay_out_deliveries(data_dir, deliveries_dir)
    full_run_orders = deliveries_dir / "orders" / "part-1.parquet"
    floor = run_baseline(scale, "floor", full_run_orders, data_dir)
    pandas = run_baseline(scale, "pandas", full_run_orders, data_dir)

    shutil.rmtree(warehouse_dir, ignore_errors=True)  # the first run loads, builds and publishes from scratch
    full = score(scale, "full", deliveries_dir, warehouse_dir, scorehouse)
    if full.error:
        return ScaleResult(
            scale, generation, full, None, raw_row_counts(warehouse_dir / "scorehouse.duckdb"), full.error,
            floor, pandas,
        )
    for table in ("orders", "order_items"):
        (held_back / f"{table}.parquet").rename(deliveries_dir / table / "part-2-new-orders.parquet")
    incremental = score(scale, "incremental", deliveries_dir, warehouse_dir, scorehouse)
    raw_rows = raw_row_counts(warehouse_dir / "scorehouse.duckdb")
    nothing_new = None if incremental.error else score(scale, "nothing-new", deliveries_dir, warehouse_dir, scorehouse)
    rfm_path = None if incremental.error else build_rfm_path(scale, warehouse_dir)
    return ScaleResult(
        scale, generation, full, incremental, raw_rows, incremental.error, floor, pandas, rfm_path, nothing_new
    )


def stage_cell(measurement: Measurement | None, missing: str = "not run") -> str:
    if measurement is None:
        return missing
    if measurement.return_code != 0:
        return f"failed (exit {measurement.return_code}, see {measurement.log_path.name})"
    return f"{measurement.seconds:,.1f}"


def report(results: list[ScaleResult]) -> str:
    memory = os.sysconf("SC_PHYS_PAGES") * PAGE_BYTES / 1024**3
    lines = [
        "# Scoring benchmark",
        "",
        f"{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, {memory:.0f} GiB RAM; seed {SEED}. "
        "Times in seconds, memory in MiB (peak summed RSS of the process tree); "
        "spill is the peak size of DuckDB's temp folder next to the working warehouse. "
        f"The full run lacks the newest {NEW_ORDER_SHARE:.0%} of orders; the incremental run adds them.",
        "",
        "| scale | customers | orders/customer asked | generate s | generate peak MiB | run | run s | dbt build s "
        "| run peak MiB | DuckDB spill MiB | " + " | ".join(f"raw {table}" for table in RAW_TABLES) + " |",
        "|---" * (10 + len(RAW_TABLES)) + "|",
    ]
    for result in results:
        for label, run in (
            ("full", result.full), ("incremental", result.incremental), ("nothing new", result.nothing_new)
        ):
            measurement = None if run is None else run.measurement
            first_row = label == "full"
            cells = [
                result.scale.name if first_row else "",
                f"{result.scale.customers:,}" if first_row else "",
                f"{result.scale.orders_per_customer:g}" if first_row else "",
                stage_cell(result.generation, "reused") if first_row else "",
                (
                    "" if result.generation is None or not first_row
                    else f"{result.generation.peak_rss_bytes / MEBIBYTE:,.0f}"
                ),
                label,
                stage_cell(measurement),
                "" if run is None or run.dbt_seconds is None else f"{run.dbt_seconds:,.1f}",
                "" if measurement is None else f"{measurement.peak_rss_bytes / MEBIBYTE:,.0f}",
                "" if measurement is None else f"{measurement.peak_spill_bytes / MEBIBYTE:,.0f}",
                *(
                    f"{result.raw_rows[table]:,}" if table in result.raw_rows and not first_row else ""
                    for table in RAW_TABLES
                ),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    runs = [(f"{result.scale.name} {label}", run) for result in results
            for label, run in (("full", result.full), ("incremental", result.incremental),
                               ("nothing new", result.nothing_new)) if run is not None]
    lines += [
        "",
        "Flow stages, seconds:",
        "",
        "| stage | " + " | ".join(name for name, _ in runs) + " |",
        "|---" * (1 + len(runs)) + "|",
    ]
    for stage in FLOW_STAGES:
        cells = [
            "" if (stage_time := run.stages.get(stage)) is None
            else f"{stage_time.seconds:,.1f}" + ("" if stage_time.outcome == "finished" else f" ({stage_time.outcome})")
            for _, run in runs
        ]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    outside_steps = [
        f"{run.measurement.seconds - sum(stage.seconds for stage in run.stages.values()):,.1f}" for _, run in runs
    ]
    lines.append("| outside the steps: start-up, imports, exit | " + " | ".join(outside_steps) + " |")
    lines.append(
        "| of the builds: the incremental models | "
        + " | ".join(f"{run.incremental_model_seconds:,.1f}" for _, run in runs) + " |"
    )
    for result in results:
        if result.error:
            lines += ["", f"{result.scale.name} failed: {result.error}"]
    for name, run in runs:
        if run.slowest_nodes:
            lines += ["", f"Slowest dbt nodes, {name}:", ""]
            lines += [f"- {seconds:,.1f} s {node}" for node, seconds in run.slowest_nodes]
    return "\n".join(lines) + "\n"


def seconds_cell(seconds: float | None) -> str:
    return "failed" if seconds is None else f"{seconds:,.1f}"


def ratio_cell(numerator: float | None, denominator: float | None, goal: str, is_met: bool | None) -> str:
    if numerator is None or denominator is None or denominator == 0:
        return f"n/a ({goal})"
    if is_met is None:
        return f"{numerator / denominator:.2f}"
    return f"{numerator / denominator:.2f} ({goal}: {'met' if is_met else 'missed'})"


def dbt_startup_seconds(run: RunResult | None) -> float | None:
    """dbt's fixed start-up in the scoring builds: their stages minus dbt's own running time."""
    if run is None or run.dbt_seconds is None or not all(stage in run.stages for stage in SCORING_BUILD_STAGES):
        return None
    return sum(run.stages[stage].seconds for stage in SCORING_BUILD_STAGES) - run.dbt_seconds


def comparison(results: list[ScaleResult]) -> str:
    """The side-by-side table of the floor (a), scorehouse's full build (b), pandas (c) and the incremental
    build (d), with the goals' ratios."""
    lines = [
        f"{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores. (a) one DuckDB query computing R/F/M quintiles "
        "from the orders Parquet; (b) the full refresh's dbt builds of every scoring model (before and after "
        "the model fits), without dbt's start-up; "
        "(c) pandas groupby + qcut; (d) the same builds of the incremental refresh after the newest 1 % of orders. "
        "(a) and (c) score the orders of the full run. (b') is the part of (b) that computes what (a) and (c) "
        f"compute, built on its own afterwards (`dbt build --select {RFM_PATH_SELECTOR} --full-refresh "
        "--indirect-selection cautious`, all orders): the staging of customers and orders with its checks and "
        "quarantine, the identities, the order summaries and the R/F/M scores, with their tests. A refresh "
        "with nothing new follows the incremental one on the same files: the fixed cost of a refresh "
        "(start-up, orchestration, the delivery gate, the report). "
        "Peak memory: (a), (c) of their process, (b), (d) of the whole refresh.",
        "",
        "| scale | (a) floor s | (b) full build s | dbt start-up s | (b') RFM path s | (c) pandas s "
        "| (d) incremental build s | b'/a | c/b' | full refresh / c | incremental / full refresh | d/b "
        "| full refresh s | incremental refresh s | refresh with nothing new s | peak MiB a / b / c / d |",
        "|---" * 16 + "|",
    ]
    for result in results:
        floor = None if result.floor is None else result.floor.compute_seconds
        pandas = None if result.pandas is None else result.pandas.compute_seconds
        build = None if result.full is None else result.full.dbt_seconds
        incremental = None if result.incremental is None else result.incremental.dbt_seconds
        rfm_path = None if result.rfm_path is None else result.rfm_path.compute_seconds
        full_refresh = None if result.full is None else result.full.measurement.seconds
        incremental_refresh = None if result.incremental is None else result.incremental.measurement.seconds
        peaks = [
            None if measured is None else measured.peak_rss_bytes
            for measured in (
                None if result.floor is None else result.floor.measurement,
                None if result.full is None else result.full.measurement,
                None if result.pandas is None else result.pandas.measurement,
                None if result.incremental is None else result.incremental.measurement,
            )
        ]
        refresh_peak = max((peak for peak in peaks[1::2] if peak is not None), default=None)
        cells = [
            result.scale.name,
            seconds_cell(floor),
            seconds_cell(build),
            seconds_cell(dbt_startup_seconds(result.full)),
            seconds_cell(rfm_path),
            seconds_cell(pandas),
            seconds_cell(incremental),
            ratio_cell(rfm_path, floor, f"goal <= {MAX_RFM_PATH_OVER_FLOOR:g}",
                       None if None in (rfm_path, floor) else rfm_path <= MAX_RFM_PATH_OVER_FLOOR * floor),
            ratio_cell(pandas, rfm_path, f"goal >= {MIN_PANDAS_OVER_RFM_PATH:g}",
                       None if None in (rfm_path, pandas) else pandas >= MIN_PANDAS_OVER_RFM_PATH * rfm_path),
            ratio_cell(full_refresh, pandas, f"goal <= {MAX_FULL_REFRESH_OVER_PANDAS:g}",
                       None if None in (full_refresh, pandas)
                       else full_refresh <= MAX_FULL_REFRESH_OVER_PANDAS * pandas),
            ratio_cell(incremental_refresh, full_refresh, f"goal <= {MAX_INCREMENTAL_OVER_FULL_REFRESH:g}",
                       None if None in (full_refresh, incremental_refresh)
                       else incremental_refresh <= MAX_INCREMENTAL_OVER_FULL_REFRESH * full_refresh),
            ratio_cell(incremental, build, "no goal", None),
            seconds_cell(full_refresh),
            seconds_cell(incremental_refresh),
            seconds_cell(None if result.nothing_new is None else result.nothing_new.measurement.seconds),
            " / ".join("n/a" if peak is None else f"{peak / MEBIBYTE:,.0f}" for peak in peaks)
            + ("" if refresh_peak is None else
               f" (refresh goal < 8 GiB: {'met' if refresh_peak < MAX_PEAK_MEMORY_BYTES else 'missed'})"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_latest_results(side_by_side: str) -> None:
    """Replaces the table between bench/README.md's latest-results markers with this run's; the prose around
    it, which explains the numbers, stays as written."""
    text = README.read_text()
    if LATEST_RESULTS_START not in text or LATEST_RESULTS_END not in text:
        sys.exit(f"{README}: the markers {LATEST_RESULTS_START} and {LATEST_RESULTS_END} are missing; put them "
                 "back around the latest results table.")
    before, rest = text.split(LATEST_RESULTS_START, 1)
    after = rest.split(LATEST_RESULTS_END, 1)[1]
    README.write_text(f"{before}{LATEST_RESULTS_START}\n{side_by_side}{LATEST_RESULTS_END}{after}")


def scale_name(text: str) -> str:
    if text not in SCALES:
        raise argparse.ArgumentTypeError(f"unknown scale {text!r}, choose from {', '.join(SCALES)}")
    return text


def parse_scales(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[Scale]:
    scales = [Scale(name, *SCALES[name]) for name in args.scales]
    if (args.customers is None) != (args.orders_per_customer is None):
        parser.error("--customers and --orders-per-customer go together")
    if args.customers is not None:
        scales.append(
            Scale(f"{args.customers}-x{args.orders_per_customer:g}", args.customers, args.orders_per_customer)
        )
    return scales or [Scale("1m", *SCALES["1m"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scales", nargs="*", type=scale_name, metavar="SCALE", help=f"{', '.join(SCALES)} (default: 1m)"
    )
    parser.add_argument("--customers", type=int, help="also run this many customers ...")
    parser.add_argument("--orders-per-customer", type=float, help="... at this many orders per customer")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR, help="where data and warehouses go")
    parser.add_argument("--regenerate", action="store_true", help="generate the data even when it is there")
    args = parser.parse_args(argv)
    scales = parse_scales(args, parser)

    scorehouse = Path(sys.executable).with_name("scorehouse")
    if not scorehouse.exists():
        parser.error(f"{scorehouse} is missing: install the project into this environment with `make setup`")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    results = [benchmark(scale, args.work_dir.resolve(), str(scorehouse), args.regenerate) for scale in scales]
    table = report(results)
    (RESULTS_DIR / "scoring.md").write_text(table)
    side_by_side = comparison(results)
    (RESULTS_DIR / "comparison.md").write_text("# scorehouse against the raw-SQL floor and pandas\n\n" + side_by_side)
    write_latest_results(side_by_side)
    print(table)
    print(side_by_side)
    return 0 if all(result.incremental is not None and not result.error for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
