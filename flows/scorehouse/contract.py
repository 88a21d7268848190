"""The input data contract: which files a data directory holds and what their columns must look like, as
the dbt source `shop` declares it (models/staging/shop/_shop__sources.yml).

Checks run on the files themselves, through DuckDB, before anything is loaded or built, so a broken
delivery stops the run with one sentence naming the file and the column and the warehouse is untouched.
Row-level problems (one unreadable amount, a null id) are not contract errors: those rows are loaded and
quarantined with a reason by the staging models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import yaml

from scorehouse.dbt_runner import PROJECT_DIR
from scorehouse.errors import UserFacingError

# How many leading rows the type check reads. A column whose sampled values all fail to parse is of the
# wrong type; isolated bad values further down are row defects, quarantined in staging.
TYPE_SAMPLE_ROWS = 1000

# DuckDB type each column kind must parse as; timestamps as staging reads them, a UTC offset allowed.
PARSE_TYPES = {"timestamp": "TIMESTAMPTZ", "number": "DECIMAL(38, 6)", "integer": "BIGINT"}
# How a boolean may be written, in any letter case (staging reads them the same way: macro boolean_from_text).
BOOLEAN_TEXTS = ("true", "false", "t", "f", "1", "0")
KIND_DESCRIPTIONS = {
    "timestamp": "an ISO 8601 timestamp such as 2025-05-01 13:45:00 (UTC) or 2025-05-01T15:45:00+02:00",
    "number": "a number such as 19.99",
    "integer": "a whole number",
    "boolean": "true or false (t/f and 1/0 are read the same way)",
}
FORMATS = ("csv", "parquet")


class ContractError(UserFacingError, ValueError):
    """The input files do not meet the contract; the message names the file and column to fix."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, timestamp, number, integer or boolean (the source column's data_type)
    required: bool = True


@dataclass(frozen=True)
class Entity:
    name: str
    required: bool
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def load_contract(sources_file: Path) -> tuple[Entity, ...]:
    """The inputs as the dbt source `shop` declares them: the one definition of the contract, which dbt's
    documentation shows and staging reads."""
    [shop] = yaml.safe_load(sources_file.read_text())["sources"]
    return tuple(
        Entity(
            table["name"],
            required=table["meta"]["required"],
            columns=tuple(
                Column(column["name"], column["data_type"], column.get("meta", {}).get("required", True))
                for column in table["columns"]
            ),
        )
        for table in shop["tables"]
    )


CONTRACT = load_contract(PROJECT_DIR / "models" / "staging" / "shop" / "_shop__sources.yml")


@dataclass(frozen=True)
class EntityFiles:
    """The files delivering one entity; empty `paths` means an absent optional entity."""

    entity: Entity
    file_format: str | None
    paths: tuple[Path, ...]


def scan_source(file_format: str, path: Path) -> str:
    """DuckDB table function reading one file with its values as written (CSV as text)."""
    if file_format == "csv":
        return f"read_csv({sql_string(str(path))}, all_varchar = true, header = true)"
    return f"read_parquet({sql_string(str(path))})"


def parsed_value(column: Column) -> str:
    """DuckDB expression that is non-null exactly when the column's value reads as the column's kind."""
    text = f"cast({quote_identifier(column.name)} as varchar)"
    if column.kind == "boolean":
        accepted = ", ".join(sql_string(value) for value in BOOLEAN_TEXTS)
        return f"case when lower(trim({text})) in ({accepted}) then true end"
    return f"try_cast({text} as {PARSE_TYPES[column.kind]})"


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def timestamp_literal(moment: datetime) -> str:
    """SQL for a naive (UTC) timestamp, read the same way on every warehouse."""
    return f"cast({sql_string(moment.isoformat(sep=' '))} as timestamp)"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def candidate_files(data_dir: Path, entity: Entity) -> list[Path]:
    """The files in `data_dir` that may deliver `entity`: `<name>.csv`, `<name>.parquet` and the CSV or Parquet
    files of a folder `<name>/`; other files (a delivery still being written under another name) are not read."""
    candidates = [data_dir / f"{entity.name}.{file_format}" for file_format in FORMATS]
    candidates = [path for path in candidates if path.is_file()]
    folder = data_dir / entity.name
    if folder.is_dir():
        candidates += sorted(path for path in folder.iterdir() if path.suffix.lstrip(".") in FORMATS)
    return candidates


def find_entity_files(data_dir: Path, entity: Entity) -> EntityFiles:
    """`<name>.csv`, `<name>.parquet` or a folder `<name>/` of files in one of those formats."""
    candidates = candidate_files(data_dir, entity)
    folder = data_dir / entity.name
    expected = f"{entity.name}.csv, {entity.name}.parquet or a folder {entity.name}/ of such files"
    if not candidates:
        if entity.required:
            raise ContractError(f"{data_dir}: required input '{entity.name}' is missing; expected {expected}.")
        return EntityFiles(entity, None, ())
    formats = {path.suffix.lstrip(".") for path in candidates}
    if len(formats) > 1 or (folder.is_dir() and any(path.parent == data_dir for path in candidates)):
        names = ", ".join(str(path.relative_to(data_dir)) for path in candidates)
        raise ContractError(
            f"{data_dir}: '{entity.name}' is delivered more than once ({names}); keep one of {expected}."
        )
    return EntityFiles(entity, formats.pop(), tuple(candidates))


def check_file(connection: duckdb.DuckDBPyConnection, entity_files: EntityFiles, path: Path) -> None:
    """Raises ContractError when one file lacks a column, has no rows or holds a column of the wrong type."""
    entity = entity_files.entity
    if path.stat().st_size == 0:
        raise ContractError(f"{path}: the file is empty; '{entity.name}' needs a header and at least one row.")
    source = scan_source(entity_files.file_format, path)
    try:
        described = connection.execute(f"describe select * from {source}").fetchall()
    except duckdb.Error as error:
        raise ContractError(f"{path}: cannot be read as {entity_files.file_format.upper()} ({error}).") from error
    present = {row[0] for row in described}
    for column in entity.columns:
        if column.required and column.name not in present:
            raise ContractError(f"{path}: required column '{column.name}' is missing.")
    if connection.execute(f"select count(*) from (select 1 from {source} limit 1)").fetchone()[0] == 0:
        raise ContractError(f"{path}: the file has no rows; '{entity.name}' needs at least one.")

    typed_columns = [c for c in entity.columns if c.kind in KIND_DESCRIPTIONS and c.name in present]
    if not typed_columns:
        return
    counts = ", ".join(f"count({quote_identifier(c.name)}), count({parsed_value(c)})" for c in typed_columns)
    sampled = connection.execute(
        f"select {counts} from (select * from {source} limit {TYPE_SAMPLE_ROWS})"
    ).fetchone()
    for index, column in enumerate(typed_columns):
        non_null, parsed = sampled[2 * index], sampled[2 * index + 1]
        if non_null > 0 and parsed == 0:
            raise ContractError(
                f"{path}: column '{column.name}' has the wrong type; "
                f"every value must be {KIND_DESCRIPTIONS[column.kind]}."
            )


def check_data_dir(data_dir: Path) -> list[EntityFiles]:
    """Checks every contract file in `data_dir` and returns what to load, or raises ContractError."""
    if not data_dir.is_dir():
        raise ContractError(f"{data_dir}: the data directory does not exist.")
    found = [find_entity_files(data_dir, entity) for entity in CONTRACT]
    with duckdb.connect() as connection:
        for entity_files in found:
            for path in entity_files.paths:
                check_file(connection, entity_files, path)
    return found
