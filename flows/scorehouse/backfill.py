"""Score history for past dates in one command: the refresh run as of every week or month between two
dates, oldest first, on the same warehouse. Each date's scores join the score history (and so the
migrations, stability and segment-at-send-time marts); the last date's scores are what stays published.

The files are loaded, checked and built in full once; every later date reuses them and only recomputes
what its as-of date changes. Freshness is measured from each as-of date, so a history of years ago
backfills without raising freshness_sla_hours, as long as the orders run up to each date.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import flow

from scorehouse.errors import UserFacingError
from scorehouse.orchestration import recorded_by_prefect_when_configured
from scorehouse.scoring_flow import DEFAULT_WAREHOUSE_DIR, RefreshResult, refresh_scores

INTERVALS = ("week", "month")
# A backfill this long would take days of refreshes; more likely a typo in a date.
MAX_AS_OF_DATES = 1000


class InvalidBackfill(UserFacingError, ValueError):
    """The dates or the interval of a backfill cannot be used."""


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def as_of_dates(first: date, last: date, every: str) -> list[date]:
    """`first`, then every week or month after it (a month: the same day of the month, or the month's last
    day when it is shorter), and `last`, which ends the list whether or not it falls on that grid."""
    if every not in INTERVALS:
        raise InvalidBackfill(f"backfill: --every must be one of {', '.join(INTERVALS)}, got {every!r}")
    if first > last:
        raise InvalidBackfill(f"backfill: --from ({first}) is after --to ({last}); give the earlier date first")
    dates, step = [], 0
    while True:
        day = add_months(first, step) if every == "month" else date.fromordinal(first.toordinal() + 7 * step)
        if day >= last:
            break
        dates.append(day)
        step += 1
        if len(dates) >= MAX_AS_OF_DATES:
            raise InvalidBackfill(
                f"backfill: {first} to {last} every {every} is more than {MAX_AS_OF_DATES} as-of dates; "
                "check the dates, or backfill in parts"
            )
    return [*dates, last]


@flow(name="backfill-scores")
def backfill_flow(
    data_dir: Path,
    first: date,
    last: date,
    every: str,
    warehouse_dir: Path = DEFAULT_WAREHOUSE_DIR,
    dbt_vars: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    target_name: str | None = None,
) -> list[RefreshResult]:
    """Refreshes `data_dir` as of each of `as_of_dates(first, last, every)`, oldest first; stops at the
    first date whose refresh fails, leaving the dates before it in the history and published."""
    return [
        refresh_scores(
            data_dir=data_dir,
            warehouse_dir=warehouse_dir,
            dbt_vars={**(dbt_vars or {}), "as_of_date": as_of.isoformat()},
            now=now,
            target_name=target_name,
        )
        for as_of in as_of_dates(first, last, every)
    ]


backfill_scores = recorded_by_prefect_when_configured(backfill_flow)
