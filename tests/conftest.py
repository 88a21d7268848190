"""Shared fixtures. Prefect reads its settings at import, so they are set before any test imports it."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from datetime import datetime
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

from scorehouse.scoring_flow import RefreshResult, refresh_scores  # noqa: E402

KNOWN_ANSWER_DIR = Path(__file__).parent / "fixtures" / "known_answer"
# The settings its README works the answers with (VIP = top 34 %). Its three bad rows of 24 must reach
# staging's quarantine rather than stop the run, and the fairness audit compares groups of two customers so
# that the eleven customers have ratios to check (only fct_fairness_audit reads that var).
KNOWN_ANSWER_VARS = {
    "as_of_date": "2025-06-30", "vip_top_percent": 34, "raw_row_defect_tolerance": 0.1,
    "fairness_min_group_customers": 2,
}
# loaded the day after the fixture's latest order (2025-07-05)
KNOWN_ANSWER_NOW = datetime(2025, 7, 6, 0, 0, 0)


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect server and database for the whole session, stopped before pytest closes its
    output streams."""
    with prefect_test_harness():
        yield


@pytest.fixture(scope="session")
def known_answer_run(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> RefreshResult:
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
def known_answer_copy(tmp_path: Path) -> Path:
    """A writable copy of the hand-computed data set, for tests that break it."""
    target = tmp_path / "data"
    shutil.copytree(KNOWN_ANSWER_DIR, target)
    return target
