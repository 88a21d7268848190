"""Shared fixtures. Prefect reads its settings at import, so they are set before any test imports it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorehouse.cli import quiet_prefect_environment

quiet_prefect_environment()

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
