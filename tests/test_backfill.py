"""`scorehouse backfill`: the score history for past as-of dates in one command."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from scorehouse.backfill import InvalidBackfill, as_of_dates, backfill_scores
from scorehouse.run_log import read_runs
from scorehouse.scoring_flow import RefreshResult, refresh_scores

FIXTURES_DIR = Path(__file__).parent / "fixtures"
# the known-answer set's three bad rows must reach staging's quarantine rather than stop the run; its orders
# are sparse, the newest before 2025-05-31 being of 2025-05-05, so freshness is held to a month
HISTORY_VARS = {"vip_top_percent": 34, "raw_row_defect_tolerance": 0.1, "freshness_sla_hours": 24 * 31}
# run a year after the history ends: freshness is measured from each as-of date, not from this clock
LATER_CLOCK = datetime(2026, 7, 6, 0, 0, 0)
BACKFILLED_DATES = [date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30)]


@pytest.mark.parametrize(
    ("first", "last", "every", "expected"),
    [
        # a week apart, and the last date whether or not it falls on the grid
        (
            date(2025, 6, 1), date(2025, 6, 30), "week",
            [date(2025, 6, 1), date(2025, 6, 8), date(2025, 6, 15), date(2025, 6, 22), date(2025, 6, 29),
             date(2025, 6, 30)],
        ),
        # the same day of each month, or the month's last day when it is shorter
        (
            date(2025, 1, 31), date(2025, 4, 30), "month",
            [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)],
        ),
        (date(2024, 11, 30), date(2025, 1, 15), "month", [date(2024, 11, 30), date(2024, 12, 30), date(2025, 1, 15)]),
        (date(2025, 6, 30), date(2025, 6, 30), "week", [date(2025, 6, 30)]),
    ],
)
def test_as_of_dates_step_from_the_first_and_end_on_the_last(
    first: date, last: date, every: str, expected: list[date]
) -> None:
    assert as_of_dates(first, last, every) == expected


@pytest.mark.parametrize(
    ("first", "last", "every", "message"),
    [
        (date(2025, 7, 1), date(2025, 6, 30), "week", r"^backfill: --from \(2025-07-01\) is after --to \(2025-06-30\)"),
        (date(2025, 6, 1), date(2025, 6, 30), "day", r"^backfill: --every must be one of week, month, got 'day'$"),
        (date(1900, 1, 1), date(2025, 6, 30), "week", r"^backfill: 1900-01-01 to 2025-06-30 every week is more than"),
    ],
)
def test_unusable_backfill_dates_are_refused_in_one_sentence(
    first: date, last: date, every: str, message: str
) -> None:
    with pytest.raises(InvalidBackfill, match=message):
        as_of_dates(first, last, every)


def history_counts(result: RefreshResult) -> list[tuple]:
    with duckdb.connect(str(result.paths.working), read_only=True) as connection:
        return connection.execute(
            "select as_of_date, count(*) from history.fct_customer_score_history group by as_of_date order by all"
        ).fetchall()


def snapshot(warehouse: Path, as_of: date) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select * exclude (as_of_date) from history.fct_customer_score_history where as_of_date = ? order by all",
            [as_of],
        ).fetchall()


def test_a_backfill_records_every_date_and_scores_each_as_a_single_refresh_would(tmp_path: Path) -> None:
    data = Path(shutil.copytree(FIXTURES_DIR / "known_answer", tmp_path / "data"))
    # C12, created on 2025-05-01, is scored from the May date on
    added_customer = (FIXTURES_DIR / "score_history" / "added_customers.csv").read_text().splitlines()[1]
    with (data / "customers.csv").open("a") as customers:
        customers.write(added_customer + "\n")

    results = backfill_scores(
        data_dir=data, first=date(2025, 3, 31), last=date(2025, 6, 30), every="month",
        warehouse_dir=tmp_path / "backfilled", dbt_vars=HISTORY_VARS, now=LATER_CLOCK,
    )

    assert [count for _, count in history_counts(results[-1])] == [11, 11, 12, 12]
    assert [as_of for as_of, _ in history_counts(results[-1])] == BACKFILLED_DATES
    assert [run["status"] for run in read_runs(results[-1].paths.run_log)] == ["published"] * 4
    with duckdb.connect(str(results[-1].paths.published), read_only=True) as connection:
        assert connection.execute("select distinct as_of_date from marts.dim_customer_segments").fetchall() == [
            (date(2025, 6, 30),)
        ]
        migration_pairs = connection.execute(
            "select distinct from_as_of_date, to_as_of_date from marts.fct_segment_migrations order by all"
        ).fetchall()
    assert migration_pairs == [
        (earlier, later) for index, earlier in enumerate(BACKFILLED_DATES) for later in BACKFILLED_DATES[index + 1:]
    ]
    # the last date, reached by incremental refreshes, holds exactly what one refresh as of it gives
    single = refresh_scores(
        data_dir=data, warehouse_dir=tmp_path / "single", dbt_vars={**HISTORY_VARS, "as_of_date": "2025-06-30"},
        now=LATER_CLOCK,
    )
    assert snapshot(results[-1].paths.working, date(2025, 6, 30)) == snapshot(single.paths.working, date(2025, 6, 30))
