"""Runs dbt commands for the scorehouse project in a child process and reports each node as it finishes.

A child process (rather than dbt's in-process runner) releases the DuckDB file, or Spark's metastore, the
moment dbt exits and keeps dbt's global state out of long-lived flow processes.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scorehouse.errors import UserFacingError

PROJECT_DIR = Path(os.environ.get("SCOREHOUSE_PROJECT_DIR", Path(__file__).resolve().parents[2]))
PROFILES_DIR = PROJECT_DIR / "profiles"
# A refresh builds models, seeds and data tests. dbt's unit tests check the models' logic on fixed rows, not
# the data, so they run with the project's tests (tests/test_targets.py, on every target) instead of on
# every refresh.
REFRESH_BUILD = ["build", "--exclude-resource-type", "unit_test"]
# dbt's saved parse, reused by the next command in the same target folder, and the project folder it was made in
SAVED_PARSE_FILE = "partial_parse.msgpack"
PARSED_PROJECT_FILE = "parsed_project_dir.txt"


class DbtFailed(UserFacingError, RuntimeError):
    """dbt finished with errors or failing tests; the message names the failing nodes."""

    def __init__(self, message: str, failed_nodes: list[str]) -> None:
        super().__init__(message)
        self.failed_nodes = failed_nodes


def dbt_executable() -> str:
    """The dbt script installed next to this interpreter, so the project's pinned dbt is the one used."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def log_dbt_line(line: str, logger: logging.Logger) -> tuple[int, str]:
    """Forwards one JSON log line of dbt to the logger at its own level; returns that level and message."""
    try:
        info = json.loads(line).get("info", {})
    except json.JSONDecodeError:
        info = {"msg": line}
    message = info.get("msg", "").strip()
    level = {"debug": logging.DEBUG, "warn": logging.WARNING, "error": logging.ERROR}.get(info.get("level"), logging.INFO)
    if message:
        logger.log(level, message)
    return level, message


def failed_results(target_dir: Path) -> list[dict[str, Any]]:
    """The results of the nodes that errored or failed, from dbt's run_results.json."""
    results_file = target_dir / "run_results.json"
    if not results_file.exists():
        return []
    results = json.loads(results_file.read_text())["results"]
    return [result for result in results if result["status"] in ("error", "fail", "runtime error")]


def compilation_error(error_messages: list[str]) -> str | None:
    """The sentence of the first compilation error among dbt's error lines: what a var or seed check of the
    project (`exceptions.raise_compiler_error`) says is wrong, without dbt's frame around it."""
    for message in error_messages:
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        for heading, sentence in zip(lines, lines[1:]):
            if heading.startswith("Compilation Error"):
                return sentence
    return None


def forget_parse_of_moved_project(target_dir: Path) -> None:
    """Deletes dbt's saved parse in `target_dir` when it was made in another project folder. The parse keeps
    absolute file paths, and dbt does not notice the project moving: after a move, a warehouse folder kept
    with it would load the seeds from the old folder, or fail when that is gone."""
    parsed_project = target_dir / PARSED_PROJECT_FILE
    if parsed_project.exists() and parsed_project.read_text() == str(PROJECT_DIR):
        return
    (target_dir / SAVED_PARSE_FILE).unlink(missing_ok=True)
    target_dir.mkdir(parents=True, exist_ok=True)
    parsed_project.write_text(str(PROJECT_DIR))


def run_dbt(
    arguments: list[str],
    warehouse_environment: Mapping[str, str],
    dbt_vars: Mapping[str, Any] | None,
    logger: logging.Logger,
    target_dir: Path,
) -> None:
    """Runs `dbt <arguments>` against the warehouse that `warehouse_environment` selects (the profile's
    SCOREHOUSE_* variables), with its artefacts and logs in `target_dir`; raises DbtFailed unless every
    node succeeded."""
    command = [
        dbt_executable(),
        *arguments,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROFILES_DIR),
        "--target-path", str(target_dir),
        "--log-format", "json",
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dict(dbt_vars))]
    environment = {**os.environ, **warehouse_environment, "DBT_LOG_PATH": str(target_dir / "logs")}
    results_file = target_dir / "run_results.json"
    results_file.unlink(missing_ok=True)  # a failure before dbt writes results must not report an older run's
    forget_parse_of_moved_project(target_dir)
    error_messages = []
    logger.info("running dbt %s", " ".join(arguments))
    with subprocess.Popen(
        command, cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            level, message = log_dbt_line(line, logger)
            if level >= logging.ERROR and message:
                error_messages.append(message)
        return_code = process.wait()
    if return_code != 0:
        failures = failed_results(target_dir)
        refusal = compilation_error(error_messages)
        if refusal is not None:
            raise DbtFailed(refusal, [result["unique_id"] for result in failures])
        # run-operation failures carry no message in run_results.json; the error log lines say what happened
        details = [
            f"{result['unique_id']} ({result['status']}: {(result.get('message') or '').strip() or ' '.join(error_messages[-2:])})"
            for result in failures
        ]
        detail = "; ".join(details or error_messages[-3:]) or "see the log above"
        raise DbtFailed(f"dbt {arguments[0]} failed: {detail}", [result["unique_id"] for result in failures])
