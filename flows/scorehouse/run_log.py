"""The run log: one row per refresh, kept in its own small DuckDB file next to the warehouse.

It lives apart from both warehouses on purpose: a failed run must not touch the published file, and the
working warehouse is locked while dbt builds, but analysts should be able to read the history at any time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

import duckdb

RUN_LOG_TABLE = "main.run_log"
SQL_TYPES = {"str": "varchar", "datetime": "timestamp", "int": "bigint"}


RUNNING = "running"
INTERRUPTED = "interrupted"
INTERRUPTED_MESSAGE = (
    "the run stopped before it finished (killed, or the machine went down); the published tables stayed as they "
    "were, and the next run loaded and checked every file again"
)


@dataclass(frozen=True)
class RunRecord:
    """status: 'published' (new outputs), 'unchanged' (outputs equal the published ones), 'failed',
    'running' while the run goes on, or 'interrupted' for a run that never finished."""

    run_id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    data_dir: str
    raw_rows: int | None
    staged_rows: int | None
    quarantined_rows: int | None
    published_rows: int | None
    failed_check: str | None
    message: str | None
    # what the published tables follow from besides the raw rows (scoring_flow.publication_key), for a run
    # that published or kept them
    publication_key: str | None = None


def column_definitions() -> str:
    """`name type, ...` of the run log table, from RunRecord's annotations (e.g. 'int | None' -> bigint)."""
    return ", ".join(f"{field.name} {SQL_TYPES[str(field.type).split(' | ')[0]]}" for field in fields(RunRecord))


def record_run(run_log_path: Path, record: RunRecord) -> None:
    """Writes the run's row, replacing what an earlier call wrote for the same run: a run is recorded as
    running when it starts, so that a run killed on the way still leaves its row."""
    run_log_path.parent.mkdir(parents=True, exist_ok=True)
    values = asdict(record)
    with duckdb.connect(str(run_log_path)) as connection:
        connection.execute(f"create table if not exists {RUN_LOG_TABLE} ({column_definitions()})")
        # a run log from before a column existed gains it, at the end, where RunRecord has it
        for column in column_definitions().split(", "):
            connection.execute(f"alter table {RUN_LOG_TABLE} add column if not exists {column}")
        connection.execute("begin")
        connection.execute(f"delete from {RUN_LOG_TABLE} where run_id = ?", [record.run_id])
        connection.execute(
            f"insert into {RUN_LOG_TABLE} values ({', '.join('?' for _ in values)})", list(values.values())
        )
        connection.execute("commit")


def mark_interrupted_runs(run_log_path: Path) -> None:
    """Marks as interrupted the runs still recorded as running. Called by a run holding the warehouse's
    refresh lock, so no other run of it is alive."""
    if not run_log_path.exists():
        return
    with duckdb.connect(str(run_log_path)) as connection:
        connection.execute(
            f"update {RUN_LOG_TABLE} set status = ?, failed_check = coalesce(failed_check, ?), message = ? "
            "where status = ?",
            [INTERRUPTED, "a kill or a machine stop", INTERRUPTED_MESSAGE, RUNNING],
        )


def read_runs(run_log_path: Path) -> list[dict]:
    with duckdb.connect(str(run_log_path), read_only=True) as connection:
        cursor = connection.execute(f"select * from {RUN_LOG_TABLE} order by started_at, run_id")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def last_publication_key(run_log_path: Path) -> str | None:
    """The publication key of the last finished run when it published or kept the BI tables; None when it
    failed or was interrupted (what it left in the working warehouse is unknown) or there was none."""
    finished = [run for run in read_runs(run_log_path) if run["status"] != RUNNING] if run_log_path.exists() else []
    if not finished or finished[-1]["status"] not in ("published", "unchanged"):
        return None
    return finished[-1].get("publication_key")


def has_publication(run_log_path: Path) -> bool:
    """Whether any recorded run published (or kept) the BI tables, so that there is a publication to report
    on."""
    return any(run["status"] in ("published", "unchanged") for run in read_runs(run_log_path))
