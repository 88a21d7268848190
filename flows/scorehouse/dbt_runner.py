"""Runs dbt commands for the scorehouse project and reports each node as it finishes.

dbt runs in this process through its programmatic runner (dbtRunner): a refresh parses the project once
(DbtProject) and runs each command on that parse, instead of starting dbt and loading its parse for every
step. A later refresh in the same process (a test session, a scheduler, several warehouses) runs on the
same parse while the project's files, the vars and the settings are unchanged. The Spark target is the
exception: its local session holds the Derby metastore, which one JVM at a time may open, so every dbt
command runs in a dbt process of its own there and the flow's Spark steps in theirs
(scorehouse.spark_target).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scorehouse.errors import UserFacingError

if TYPE_CHECKING:
    from dbt.contracts.graph.manifest import Manifest
    from dbt_common.events.base_types import EventMsg

PROJECT_DIR = Path(os.environ.get("SCOREHOUSE_PROJECT_DIR", Path(__file__).resolve().parents[2]))
PROFILES_DIR = PROJECT_DIR / "profiles"
# A refresh builds models, seeds and data tests. dbt's unit tests check the models' logic on fixed rows, not
# the data, so they run with the project's tests (tests/test_targets.py, on DuckDB, PostgreSQL and Spark)
# instead of on every refresh.
REFRESH_BUILD = ["build", "--exclude-resource-type", "unit_test"]
# dbt's saved parse, reused by the next command in the same target folder, and the project folder it was made in
SAVED_PARSE_FILE = "partial_parse.msgpack"
PARSED_PROJECT_FILE = "parsed_project_dir.txt"
# what dbt parses: dbt_project.yml's model, macro, seed, test and analysis paths, and the profile
PARSED_PATHS = ("dbt_project.yml", "models", "macros", "seeds", "data-tests", "analyses", "profiles")
# the settings a parse reads: the profile's and the project's environment variables
SETTINGS_PREFIX = "SCOREHOUSE_"
# the last parses made in this process, by parse_key, oldest first; each holds the whole project in memory
parses: dict[str, Manifest] = {}
KEPT_PARSES = 2


class DbtFailed(UserFacingError, RuntimeError):
    """dbt finished with errors or failing tests; the message names the failing nodes."""

    def __init__(self, message: str, failures: Mapping[str, str]) -> None:
        super().__init__(message)
        # the unique id of each node that errored or failed, with dbt's message for it
        self.failures = dict(failures)

    @property
    def failed_nodes(self) -> list[str]:
        return list(self.failures)


def dbt_executable() -> str:
    """The dbt script installed next to this interpreter, so the project's pinned dbt is the one used."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


class DbtLog:
    """Forwards dbt's log events to a logger at their own level, keeping the error messages to explain a
    failure with. dbt's debug events are left to its log file."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter) -> None:
        self.logger = logger
        self.error_messages: list[str] = []

    def forward(self, level_name: str | None, message: str) -> None:
        level = {"debug": logging.DEBUG, "warn": logging.WARNING, "error": logging.ERROR}.get(level_name, logging.INFO)
        message = message.strip()
        if level == logging.DEBUG or not message:
            return
        self.logger.log(level, message)
        if level >= logging.ERROR:
            self.error_messages.append(message)

    def forward_event(self, event: EventMsg) -> None:
        self.forward(event.info.level, event.info.msg)

    def forward_json_line(self, line: str) -> None:
        try:
            info = json.loads(line).get("info", {})
        except json.JSONDecodeError:
            info = {"msg": line}
        self.forward(info.get("level"), info.get("msg", ""))


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
        for heading, sentence in zip(lines, lines[1:], strict=False):
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


@contextmanager
def environment_set(variables: Mapping[str, str]) -> Iterator[None]:
    """The profile reads its connection settings from the environment (SCOREHOUSE_*): set for one command."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def release_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB instance, and so the warehouse file, open for the life of the process;
    the flow's own steps open that file after each dbt command."""
    duckdb_connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if duckdb_connections is not None:
        duckdb_connections.DuckDBConnectionManager.close_all_connections()


class DbtProject:
    """The scorehouse dbt project as one refresh runs it: against the warehouse that `warehouse_environment`
    selects (the profile's SCOREHOUSE_* variables), with `dbt_vars`, and with its artefacts and logs in
    `target_dir`. The first command parses the project; the later ones run on that parse. With
    `own_process`, each command runs in a dbt process of its own instead (the Spark target)."""

    def __init__(
        self,
        warehouse_environment: Mapping[str, str],
        dbt_vars: Mapping[str, Any] | None,
        target_dir: Path,
        own_process: bool = False,
        location_variables: tuple[str, ...] = (),
    ) -> None:
        self.warehouse_environment = dict(warehouse_environment)
        self.dbt_vars = dict(dbt_vars or {})
        self.target_dir = target_dir
        self.own_process = own_process
        # variables of warehouse_environment that only say in which folder the warehouse lies
        self.location_variables = location_variables
        self.manifest: Manifest | None = None

    def parse_key(self) -> str:
        """Everything a parse of the project depends on: the files dbt reads (by size and modification
        time), the vars and the settings, except the folder the warehouse lies in, which compiled SQL never
        names. Another warehouse with the same key can run on the same parse."""
        settings = {
            name: Path(value).name if name in self.location_variables else value
            for name, value in {**os.environ, **self.warehouse_environment}.items()
            if name.startswith(SETTINGS_PREFIX)
        }
        files = [
            (str(path), status.st_size, status.st_mtime_ns)
            for parsed_path in PARSED_PATHS
            for path in sorted([PROJECT_DIR / parsed_path, *(PROJECT_DIR / parsed_path).rglob("*")])
            if path.is_file() and (status := path.stat())
        ]
        state = json.dumps([settings, self.dbt_vars, files], sort_keys=True, default=str)
        return hashlib.sha256(state.encode()).hexdigest()

    def options(self) -> list[str]:
        options = [
            "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", str(PROFILES_DIR),
            "--target-path", str(self.target_dir),
            "--log-path", str(self.target_dir / "logs"),
            "--no-use-colors",
        ]
        return options + (["--vars", json.dumps(self.dbt_vars)] if self.dbt_vars else [])

    def invoke_in_process(self, arguments: list[str], log: DbtLog) -> bool:
        """Runs one command on the parse of this project, parsing first if none was made yet (`parse` only
        makes sure of that); dbt prints nothing itself (`--log-level none`): its events reach `log`."""
        from dbt.cli.main import dbtRunner  # seconds to import: only commands that run dbt pay for it

        with environment_set(self.warehouse_environment):
            try:
                if self.manifest is None:
                    parse_key = self.parse_key()
                    if parse_key not in parses:
                        parsed = dbtRunner(callbacks=[log.forward_event]).invoke(
                            ["parse", *self.options(), "--log-level", "none"]
                        )
                        if not parsed.success:
                            log.error_messages.append(str(parsed.exception or ""))
                            return False
                        parses[parse_key] = parsed.result
                        while len(parses) > KEPT_PARSES:
                            del parses[next(iter(parses))]
                    self.manifest = parses[parse_key]
                if arguments == ["parse"]:
                    return True
                result = dbtRunner(manifest=self.manifest, callbacks=[log.forward_event]).invoke(
                    [*arguments, *self.options(), "--log-level", "none"]
                )
            finally:
                release_warehouse()
        if result.exception is not None:
            log.error_messages.append(str(result.exception))
        return result.success

    def invoke_in_own_process(self, arguments: list[str], log: DbtLog) -> bool:
        """Runs one command in a dbt process of its own, which parses from dbt's saved parse; its JSON log
        lines reach `log`."""
        command = [dbt_executable(), *arguments, *self.options(), "--log-format", "json"]
        environment = {**os.environ, **self.warehouse_environment}
        with subprocess.Popen(
            command, cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                log.forward_json_line(line)
            return process.wait() == 0

    def run(self, arguments: list[str], logger: logging.Logger | logging.LoggerAdapter) -> None:
        """Runs `dbt <arguments>`; raises DbtFailed unless every node succeeded."""
        results_file = self.target_dir / "run_results.json"
        results_file.unlink(missing_ok=True)  # a failure before dbt writes results must not report an older run's
        forget_parse_of_moved_project(self.target_dir)
        log = DbtLog(logger)
        logger.info("running dbt %s", " ".join(arguments))
        invoke = self.invoke_in_own_process if self.own_process else self.invoke_in_process
        if invoke(arguments, log):
            return
        failures = failed_results(self.target_dir)
        node_messages = {result["unique_id"]: (result.get("message") or "").strip() for result in failures}
        refusal = compilation_error(log.error_messages)
        if refusal is not None:
            raise DbtFailed(refusal, node_messages)
        # run-operation failures carry no message in run_results.json; the error log lines say what happened
        error_messages = log.error_messages
        details = [
            f"{result['unique_id']} ({result['status']}: "
            f"{node_messages[result['unique_id']] or ' '.join(error_messages[-2:])})"
            for result in failures
        ]
        detail = "; ".join(details or error_messages[-3:]) or "see the log above"
        raise DbtFailed(f"dbt {arguments[0]} failed: {detail}", node_messages)


def run_dbt(
    arguments: list[str],
    warehouse_environment: Mapping[str, str],
    dbt_vars: Mapping[str, Any] | None,
    logger: logging.Logger | logging.LoggerAdapter,
    target_dir: Path,
) -> None:
    """One dbt command on its own: `dbt <arguments>` in this process, as DbtProject runs it."""
    DbtProject(warehouse_environment, dbt_vars, target_dir).run(arguments, logger)
