"""Shared fixtures. Prefect reads its settings at import, so they are set before any test imports it."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
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

KNOWN_ANSWER_DIR = Path(__file__).parent / "fixtures" / "known_answer"


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect server and database for the whole session, stopped before pytest closes its
    output streams."""
    with prefect_test_harness():
        yield


@pytest.fixture
def known_answer_copy(tmp_path: Path) -> Path:
    """A writable copy of the hand-computed data set, for tests that break it."""
    target = tmp_path / "data"
    shutil.copytree(KNOWN_ANSWER_DIR, target)
    return target
