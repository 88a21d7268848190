"""Audience exports: the customers of one segment or flag, or the lookalikes that resemble the seed group
most, read from the published dim_audience_customers (only customers with an email and marketing consent
are there), written as a CSV or Parquet file of customer_id and email_sha256 for an ad or email platform,
and recorded in the run log.

The run log keeps each export (audience, the publication it read, member count, file) in `audience_exports`
and its members in `audience_members`, so what left the warehouse can be told later and sent again.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet

from scorehouse.contract import sql_string
from scorehouse.errors import UserFacingError
from scorehouse.run_log import read_runs
from scorehouse.warehouse_targets import WarehouseTarget

AUDIENCE_TABLE = "dim_audience_customers"
SEGMENT_TABLE = "fct_segment_summary"
EXPORTED_COLUMNS = ("customer_id", "email_sha256")
FLAG_PREFIX = "is_"
FILE_FORMATS = ("csv", "parquet")
EXPORTS_TABLE = "main.audience_exports"
MEMBERS_TABLE = "main.audience_members"


class AudienceError(UserFacingError, ValueError):
    """An audience that cannot be exported: unknown segment or flag, nothing published, a busy run log."""


@dataclass(frozen=True)
class Audience:
    """A segment (`segment_name` = name), a flag column (`is_vip`, ... is true) of dim_audience_customers, or
    the lookalikes ranked 1 to name (fct_customer_lookalikes' resemblance_rank)."""

    kind: str  # segment, flag or lookalikes
    name: str

    @property
    def label(self) -> str:
        return f"lookalikes top {self.name}" if self.kind == "lookalikes" else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class AudienceExport:
    export_id: str
    audience: Audience
    publication_run_id: str
    member_count: int
    path: Path


def file_format_of(path: Path, chosen: str | None) -> str:
    """The chosen format, else the file's suffix when it names one, else csv."""
    return chosen or (path.suffix.lstrip(".") if path.suffix.lstrip(".") in FILE_FORMATS else "csv")


def publication_run_id(run_log: Path) -> str:
    """The run whose tables BI reads now: the last one that published (an unchanged run keeps them)."""
    published = [run for run in read_runs(run_log) if run["status"] == "published"] if run_log.exists() else []
    if not published:
        raise AudienceError(f"nothing is published in {run_log.parent} yet; run a refresh first")
    return published[-1]["run_id"]


def audience_condition(target: WarehouseTarget, audience: Audience) -> str:
    """The SQL condition selecting the audience's rows, once its segment or flag is known to exist."""
    if audience.kind == "lookalikes":
        return f"resemblance_rank <= {int(audience.name)}"
    if audience.kind == "flag":
        columns, _ = target.call(target.read_published, AUDIENCE_TABLE, "false")
        flags = sorted(column for column in columns if column.startswith(FLAG_PREFIX))
        if audience.name not in flags:
            raise AudienceError(f"flag '{audience.name}' is not one of {', '.join(flags)}; choose one of them")
        return f"{audience.name} = true"
    columns, rows = target.call(target.read_published, SEGMENT_TABLE)
    segments = sorted(row[columns.index("segment_name")] for row in rows)
    if audience.name not in segments:
        raise AudienceError(
            f"segment '{audience.name}' is not one of {', '.join(segments)} (marts.{SEGMENT_TABLE}); choose one "
            "of them"
        )
    return f"segment_name = {sql_string(audience.name)}"


def write_members(members: pa.Table, path: Path, file_format: str) -> None:
    """Writes the file whole under a temporary name first, so a reader never sees half an audience."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging_path = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        if file_format == "parquet":
            pyarrow.parquet.write_table(members, staging_path)
        else:
            pyarrow.csv.write_csv(members, staging_path)
        os.replace(staging_path, path)
    finally:
        staging_path.unlink(missing_ok=True)


def record_export(run_log: Path, export: AudienceExport, members: pa.Table, file_format: str, at: datetime) -> None:
    """Adds the export and its members to the run log in one transaction."""
    try:
        with duckdb.connect(str(run_log)) as connection:
            connection.execute(
                f"create table if not exists {EXPORTS_TABLE} (export_id varchar, audience varchar, "
                "publication_run_id varchar, exported_at timestamp, member_count bigint, file_format varchar, "
                "path varchar)"
            )
            connection.execute(
                f"create table if not exists {MEMBERS_TABLE} (export_id varchar, customer_id varchar)"
            )
            connection.execute("begin")
            connection.execute(
                f"insert into {EXPORTS_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
                [
                    export.export_id, export.audience.label, export.publication_run_id, at, export.member_count,
                    file_format, str(export.path),
                ],
            )
            connection.register("exported_members", members.select(["customer_id"]))
            connection.execute(
                f"insert into {MEMBERS_TABLE} select ?, customer_id from exported_members", [export.export_id]
            )
            connection.execute("commit")
    except duckdb.IOException as error:
        raise AudienceError(
            f"the run log {run_log} is in use ({error}); export again once the refresh writing it has finished"
        ) from error


def export_audience(
    target: WarehouseTarget, audience: Audience, path: Path, file_format: str | None, at: datetime
) -> AudienceExport:
    """Writes the audience's customer_id and email_sha256 to `path` and records the export in the run log."""
    run_id = publication_run_id(target.paths.run_log)
    condition = audience_condition(target, audience)
    columns, rows = target.call(target.read_published, AUDIENCE_TABLE, condition)
    values_by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    members = pa.table(
        {name: pa.array(values_by_column[columns.index(name)], pa.string()) for name in EXPORTED_COLUMNS}
    )
    chosen_format = file_format_of(path, file_format)
    write_members(members, path, chosen_format)
    export = AudienceExport(uuid.uuid4().hex, audience, run_id, members.num_rows, path)
    record_export(target.paths.run_log, export, members, chosen_format, at)
    return export
