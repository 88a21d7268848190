"""What a person at a terminal sees during the long steps: the demo data generation counts customers per
chunk (a bar on a terminal, plain lines elsewhere), and the load names each file as it reads it, counted
against the files it has to read, with those lines forwarded to the refresh's log."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime
from pathlib import Path

import pytest

from scorehouse import demo_data
from scorehouse.contract import check_data_dir
from scorehouse.loading import accept_loaded_files, load_raw_tables
from scorehouse.loading import logger as loading_logger
from scorehouse.scoring_flow import forwarded_to_run_log

END_DATE = date(2026, 11, 23)


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def generate_in_chunks_of_1000(out_dir: Path, stream: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    """2,500 customers in chunks of 1,000: chunks end at 1,000, 2,000 and 2,500 customers."""
    monkeypatch.setattr(demo_data, "CHUNK_CUSTOMERS", 1_000)
    with demo_data.customer_progress(2_500, stream) as progress:
        demo_data.generate(out_dir, 2_500, end_date=END_DATE, progress=progress)


def test_generation_prints_one_line_per_chunk_when_not_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    generate_in_chunks_of_1000(tmp_path, stream, monkeypatch)
    assert stream.getvalue().splitlines() == [
        "generated 1,000 of 2,500 customers",
        "generated 2,000 of 2,500 customers",
        "generated 2,500 of 2,500 customers",
    ]


def test_generation_draws_a_bar_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = TerminalStream()
    generate_in_chunks_of_1000(tmp_path, stream, monkeypatch)
    # tqdm redraws the line in place (carriage returns), ending at the total, with no line per chunk
    redraws = stream.getvalue().split("\r")
    assert "1.00k/2.50k" in stream.getvalue()
    assert "2.50k/2.50k" in redraws[-1]
    assert "generated 1,000" not in stream.getvalue()


def test_load_names_each_file_counted_against_the_files_to_read(
    known_answer_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Orders come as a folder of two files; the second arrives after the first load, which then appends
    only that one file."""
    orders_folder = known_answer_copy / "orders"
    orders_folder.mkdir()
    header, *rows = (known_answer_copy / "orders.csv").read_text().splitlines()
    (known_answer_copy / "orders.csv").unlink()
    (orders_folder / "part_1.csv").write_text("\n".join([header, *rows[:10]]) + "\n")
    warehouse = tmp_path / "warehouse.duckdb"

    with caplog.at_level(logging.INFO, logger=loading_logger.name):
        load_raw_tables(warehouse, check_data_dir(known_answer_copy), datetime(2025, 7, 6))
    first_load = [record.getMessage() for record in caplog.records]
    accept_loaded_files(warehouse, datetime(2025, 7, 6))
    assert first_load == [
        f"loading customers, file 1 of 4: {known_answer_copy / 'customers.csv'}",
        f"loading orders, file 2 of 4: {orders_folder / 'part_1.csv'}",
        f"loading events, file 3 of 4: {known_answer_copy / 'events.csv'}",
        f"loading nps_responses, file 4 of 4: {known_answer_copy / 'nps_responses.csv'}",
    ]

    caplog.clear()
    (orders_folder / "part_2.csv").write_text("\n".join([header, *rows[10:]]) + "\n")
    with caplog.at_level(logging.INFO, logger=loading_logger.name):
        raw_load = load_raw_tables(warehouse, check_data_dir(known_answer_copy), datetime(2025, 7, 7))
    assert raw_load.is_append_only
    assert [record.getMessage() for record in caplog.records] == [
        f"loading orders, file 1 of 1: {orders_folder / 'part_2.csv'}"
    ]


def test_forwarded_lines_reach_the_run_log_only_while_forwarding() -> None:
    run_log: list[tuple[int, str]] = []

    class RunLogger(logging.Logger):
        def log(self, level: int, message: object, *args: object, **kwargs: object) -> None:
            run_log.append((level, str(message)))

    source = logging.getLogger("scorehouse.tests.forwarded")
    with forwarded_to_run_log(source, RunLogger("run")):
        assert source.propagate is False  # the run log's console shows it; the root logger's must not again
        source.info("loading %s, file %d of %d", "orders", 1, 2)
        source.debug("too detailed for the run log")
    source.warning("after the task")
    assert run_log == [(logging.INFO, "loading orders, file 1 of 2")]
    assert source.propagate is True and source.level == logging.NOTSET
