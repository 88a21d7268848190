"""Shared fixtures. Prefect reads its settings at import, so they are set before any test imports it."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from scorehouse.cli import quiet_prefect_environment

quiet_prefect_environment()
# pyspark.sql.connect, which Great Expectations imports, takes a process whose __main__ has neither a spec
# nor a file for a doctest run and exits. pytest-xdist's workers (`make test`) are such processes, so the
# import happens here with a stand-in file name, removed again because multiprocessing's spawn would try to
# run it. (The Spark target's own steps still fail to start from a worker, so `make test` runs the target
# comparison outside the workers.)
_main_module = sys.modules["__main__"]
if getattr(_main_module, "__spec__", None) is None and not hasattr(_main_module, "__file__"):
    _main_module.__file__ = "pytest-xdist worker"
    try:
        import great_expectations.compatibility.pyspark  # noqa: F401
    finally:
        del _main_module.__file__

from prefect.testing.utilities import prefect_test_harness  # noqa: E402  (after the settings above)

from scorehouse import dbt_runner, demo_data  # noqa: E402
from scorehouse.dbt_runner import PROFILES_DIR, PROJECT_DIR  # noqa: E402
from scorehouse.duckdb_target import DuckDBTarget  # noqa: E402
from scorehouse.scoring_flow import RefreshResult, refresh_scores  # noqa: E402
from scorehouse.warehouse_targets import WarehousePaths  # noqa: E402

KNOWN_ANSWER_DIR = Path(__file__).parent / "fixtures" / "known_answer"
# The settings its README works the answers with (a 365-day window, VIP = top 34 %). Its three bad rows of 24 must reach
# staging's quarantine rather than stop the run, and the fairness audit compares groups of two customers so
# that the eleven customers have ratios to check (only fct_fairness_audit reads that var).
KNOWN_ANSWER_VARS = {
    "as_of_date": "2025-06-30", "lookback_days": 365, "vip_top_percent": 34, "raw_row_defect_tolerance": 0.1,
    "fairness_min_group_customers": 2,
}
# loaded the day after the fixture's latest order (2025-07-05)
KNOWN_ANSWER_NOW = datetime(2025, 7, 6, 0, 0, 0)
PROJECT_FOLDERS = ("models", "macros", "seeds", "data-tests", "profiles")
# the data of the target comparisons (comparison_data)
COMPARISON_CUSTOMERS = 1_500
COMPARISON_END_DATE = date(2025, 12, 31)


def copy_project(directory: Path) -> Path:
    """A copy of the dbt project's files in `directory`, for tests that edit or move them."""
    for folder in PROJECT_FOLDERS:
        shutil.copytree(PROJECT_DIR / folder, directory / folder)
    shutil.copy(PROJECT_DIR / "dbt_project.yml", directory)
    return directory


def run_dbt_in_copy(directory: Path, arguments: list[str], warehouse: DuckDBTarget, dbt_vars: dict | None) -> None:
    """`dbt <arguments>` in the project copy at `directory` against `warehouse`, as the flow runs dbt."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dbt_runner, "PROJECT_DIR", directory)
        patch.setattr(dbt_runner, "PROFILES_DIR", directory / "profiles")
        dbt_runner.run_dbt(
            arguments, warehouse.dbt_environment(), dbt_vars, logging.getLogger(__name__), warehouse.paths.dbt_target
        )


@pytest.fixture
def prefect_server() -> Iterator[None]:
    """A temporary Prefect server and database that record the test's flow runs (PREFECT_API_URL points to
    it), stopped after the test: the other tests run their flows without one, as `scorehouse run` does. It
    may take as long to start as the project allows a local server (quiet_prefect_environment), not the
    harness's 30 s, which a busy machine exceeds."""
    with prefect_test_harness(server_startup_timeout=None):
        yield


@pytest.fixture(scope="session")
def var_refusal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[dict], str]]:
    """Runs the project's var validation (the macro every dbt run and the refresh's settings step start with)
    for given vars and returns dbt's error message, or "" when it accepts them. dbt parses the project once,
    in this process, and each check reuses that parse: the dozens of bad-var cases would otherwise re-parse
    the project each, since changed vars make dbt parse again."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.base_types import EventMsg

    work_dir = tmp_path_factory.mktemp("var_validation")
    options = [
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR), "--target", "duckdb",
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"), "--quiet",
    ]

    def refusal(dbt_vars: dict) -> str:
        errors: list[str] = []

        def collect_errors(event: EventMsg) -> None:
            if event.info.level == "error":
                errors.append(event.info.msg)

        runner = dbtRunner(manifest=parsed.result, callbacks=[collect_errors])
        result = runner.invoke(["run-operation", "validate_vars", *options, "--vars", json.dumps(dbt_vars)])
        assert result.success == (not errors), errors
        return "\n".join(errors)

    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("SCOREHOUSE_DUCKDB_PATH", str(work_dir / "warehouse.duckdb"))
        parsed = dbtRunner().invoke(["parse", *options])
        assert parsed.success, parsed.exception
        yield refusal


@pytest.fixture(scope="session")
def known_answer_run(tmp_path_factory: pytest.TempPathFactory) -> RefreshResult:
    """The flow's refresh of the hand-computed data set, made once per session (once per pytest-xdist
    worker) for every test that checks its answers. Its warehouse is shared: a test that writes to it or
    refreshes it again works on a copy."""
    return refresh_scores(
        data_dir=KNOWN_ANSWER_DIR,
        warehouse_dir=tmp_path_factory.mktemp("known_answer"),
        dbt_vars=KNOWN_ANSWER_VARS,
        now=KNOWN_ANSWER_NOW,
    )


@pytest.fixture
def known_answer_warehouse(known_answer_run: RefreshResult, tmp_path: Path) -> DuckDBTarget:
    """A writable copy of the known-answer warehouse, whose data tests all passed in the refresh that built it."""
    shutil.copytree(known_answer_run.paths.directory, tmp_path / "warehouse")
    return DuckDBTarget(WarehousePaths(tmp_path / "warehouse"))


@pytest.fixture
def known_answer_copy(tmp_path: Path) -> Path:
    """A writable copy of the hand-computed data set, for tests that break it."""
    target = tmp_path / "data"
    shutil.copytree(KNOWN_ANSWER_DIR, target)
    return target


@pytest.fixture(scope="session")
def comparison_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated data, with defective rows, that the target comparisons refresh on every target
    (tests/target_comparison.py)."""
    data_dir = tmp_path_factory.mktemp("targets") / "data"
    demo_data.generate(
        data_dir, customers=COMPARISON_CUSTOMERS, seed=11, end_date=COMPARISON_END_DATE, file_format="csv",
        with_defects=True,
    )
    return data_dir
