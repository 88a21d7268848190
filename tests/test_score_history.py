"""The score history and its marts end to end: refreshes of the same warehouse as of 2025-03-31 (twice),
2025-06-30 and 2025-07-01 through the Prefect flow, checked against the answers worked out by hand in
tests/fixtures/score_history/README.md."""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scorehouse.run_log import read_runs
from scorehouse.scoring_flow import RefreshResult, refresh_scores

FIXTURES_DIR = Path(__file__).parent / "fixtures"
# the known-answer set's three bad rows must reach staging's quarantine rather than stop the run; its orders
# are sparse, the newest before 2025-03-31 being of 2025-03-15, so freshness is held to a month; the known-answer
# README pins a 365-day window (the default, 36500 days, would count C06's 2023-2024 purchases)
HISTORY_VARS = {
    "vip_top_percent": 34, "lookback_days": 365, "raw_row_defect_tolerance": 0.1, "freshness_sla_hours": 24 * 31,
}
HISTORY_NOW = datetime(2025, 7, 6, 0, 0, 0)
STABILITY_WARNING = "test.scorehouse.latest_score_stability_within_warning_threshold"
MARCH, JUNE, JULY = date(2025, 3, 31), date(2025, 6, 30), date(2025, 7, 1)
SCORE_NAMES = ("recency_score", "frequency_score", "monetary_score", "composite_score")
EMPTY_BIN_SHARE = 0.0001


@dataclass(frozen=True)
class Refresh:
    """What one refresh left behind: its result, the whole score history, a copy of the published BI
    tables and dbt's results of the history build (the flow's last dbt command)."""

    result: RefreshResult
    history: list[tuple]
    published: Path
    run_results: dict[str, Any]


def data_dir(target: Path, added_customers: set[str]) -> Path:
    """The known-answer files plus `added_customers` from the fixture's added_customers.csv."""
    shutil.copytree(FIXTURES_DIR / "known_answer", target)
    added_rows = (FIXTURES_DIR / "score_history" / "added_customers.csv").read_text().splitlines()[1:]
    with (target / "customers.csv").open("a") as customers:
        for row in added_rows:
            if row.split(",")[0] in added_customers:
                customers.write(row + "\n")
    return target


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def refresh(data: Path, warehouse_dir: Path, as_of: date, copy_dir: Path) -> Refresh:
    result = refresh_scores(
        data_dir=data, warehouse_dir=warehouse_dir, dbt_vars={**HISTORY_VARS, "as_of_date": as_of.isoformat()},
        now=HISTORY_NOW,
    )
    copy_dir.mkdir()
    published = copy_dir / "published.duckdb"
    shutil.copyfile(result.paths.published, published)
    history = query(result.paths.working, "select * from history.fct_customer_score_history order by all")
    run_results = json.loads((result.paths.dbt_target / "run_results.json").read_text())
    return Refresh(result, history, published, run_results)


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Refresh]:
    base = tmp_path_factory.mktemp("score_history")
    # C13 is erased from the customer data after March; C12 joins on 2025-05-01 and is first delivered in June
    march_data = data_dir(base / "data_march", added_customers={"C13"})
    june_data = data_dir(base / "data_june", added_customers={"C12"})
    warehouse_dir = base / "warehouse"
    runs = {}
    for name, data, as_of in [
        ("march", march_data, MARCH),
        ("march_again", march_data, MARCH),
        ("june", june_data, JUNE),
        ("july", june_data, JULY),
    ]:
        runs[name] = refresh(data, warehouse_dir, as_of, base / name)
    return runs


def published(run: Refresh, table: str, columns: str) -> list[tuple]:
    return query(run.published, f"select {columns} from marts.{table} order by all")


def node_result(run: Refresh, unique_id: str) -> dict[str, Any]:
    (result,) = [result for result in run.run_results["results"] if result["unique_id"] == unique_id]
    return result


# ---------------------------------------------------------------- history idempotence


def test_rerunning_a_date_leaves_its_history_rows_as_they_were(refreshes: dict[str, Refresh]) -> None:
    march, again = refreshes["march"], refreshes["march_again"]
    # C01-C11 and C13; C12 is first delivered in June
    assert len(march.history) == 12
    # the rerun rebuilt the history, replacing the date's rows by equal ones rather than adding them
    assert node_result(again, "model.scorehouse.fct_customer_score_history")["status"] == "success"
    assert again.history == march.history
    # every mart built from the history is the same too, so the rerun publishes nothing new
    assert not again.result.publication.is_new


def test_a_later_date_adds_rows_and_keeps_the_earlier_ones(refreshes: dict[str, Refresh]) -> None:
    march, june, july = refreshes["march"], refreshes["june"], refreshes["july"]
    assert len(june.history) == 24 and len(july.history) == 36
    assert set(march.history) < set(june.history) < set(july.history)
    customers_by_date = {}
    for row in july.history:
        customers_by_date.setdefault(row[-1], set()).add(row[0])
    known_answer_customers = {f"C{number:02d}" for number in range(1, 12)}
    assert customers_by_date == {
        MARCH: known_answer_customers | {"C13"},
        JUNE: known_answer_customers | {"C12"},
        JULY: known_answer_customers | {"C12"},
    }


def test_vip_flags_on_each_date(refreshes: dict[str, Refresh]) -> None:
    july = refreshes["july"]
    vips = query(
        july.result.paths.working,
        "select as_of_date, customer_id from history.fct_customer_score_history where is_vip order by all",
    )
    # floor(34 % x 6) = 2 in March (both composites of 91.67), floor(34 % x 9) = 3 afterwards
    assert vips == [
        (MARCH, "C01"), (MARCH, "C04"),
        (JUNE, "C01"), (JUNE, "C02"), (JUNE, "C03"),
        (JULY, "C01"), (JULY, "C02"), (JULY, "C03"),
    ]


# ---------------------------------------------------------------- a single as-of date


def test_a_single_date_has_no_migrations_and_no_previous_snapshot(refreshes: dict[str, Refresh]) -> None:
    march = refreshes["march"]
    assert published(march, "fct_segment_migrations", "*") == []
    moves = published(
        march, "fct_customer_segment_moves",
        "customer_id, previous_as_of_date, previous_segment_name, is_new_since_previous_snapshot, "
        "has_changed_segment, composite_score_change",
    )
    assert len(moves) == 12
    assert {row[1:] for row in moves} == {(None, None, False, False, None)}
    assert published(
        march, "fct_score_stability", "score_name, previous_as_of_date, purchaser_count, population_stability_index"
    ) == sorted((score_name, None, 6, None) for score_name in SCORE_NAMES)
    assert node_result(march, STABILITY_WARNING)["status"] == "pass"


def test_segment_sizes_on_a_single_date(refreshes: dict[str, Refresh]) -> None:
    rows = published(
        refreshes["march"], "fct_segment_history",
        "segment_name, customer_count, window_revenue, average_order_value, average_composite_score",
    )
    assert len(rows) == 12  # every segment of the seed, empty ones included
    nonempty = {row[0]: row[1:] for row in rows if row[1]}
    assert nonempty == {
        "champions": (2, 900, 225, pytest.approx(91.666666667, abs=1e-9)),
        "need_attention": (2, 250, 125, 50),
        "at_risk": (1, 60, 60, pytest.approx(33.333333333, abs=1e-9)),
        "lost": (1, 0, 250, 0),
        "prospect": (6, 0, None, None),
    }
    assert {row[1:] for row in rows if not row[1]} == {(0, 0, None, None)}


# ---------------------------------------------------------------- two dates, worked out by hand


def test_migration_matrix_from_march_to_june(refreshes: dict[str, Refresh]) -> None:
    rows = published(
        refreshes["june"], "fct_segment_migrations",
        "from_as_of_date, to_as_of_date, from_segment_name, to_segment_name, customer_count, "
        "from_window_revenue, to_window_revenue",
    )
    assert {row[:2] for row in rows} == {(MARCH, JUNE)}
    assert sorted(row[2:] for row in rows) == sorted([
        ("champions", "champions", 1, 700, 1000),
        ("champions", "need_attention", 1, 200, 200),
        ("need_attention", "loyal", 1, 100, 200),
        ("need_attention", "hibernating", 1, 150, 150),
        ("at_risk", "hibernating", 1, 60, 60),
        ("lost", "lost", 1, 0, 0),
        ("prospect", "potential_loyalists", 2, 0, 540),
        ("prospect", "need_attention", 1, 0, 200),
        ("prospect", "prospect", 2, 0, 0),
        ("prospect", "gone", 1, 0, 0),
        ("new", "prospect", 1, 0, 0),
    ])


def test_migrations_reconcile_with_each_dates_customers(refreshes: dict[str, Refresh]) -> None:
    july = refreshes["july"]
    customers = Counter(row[-1] for row in july.history)  # history rows per as-of date
    assert customers == {MARCH: 12, JUNE: 12, JULY: 12}
    segment_sizes = query(
        july.published, "select as_of_date, sum(customer_count) from marts.fct_segment_history group by as_of_date"
    )
    assert dict(segment_sizes) == customers
    pairs = query(
        july.published,
        """
        select from_as_of_date, to_as_of_date,
               sum(case when from_segment_name <> 'new' then customer_count else 0 end),
               sum(case when to_segment_name <> 'gone' then customer_count else 0 end)
        from marts.fct_segment_migrations
        group by 1, 2
        order by 1, 2
        """,
    )
    # every ordered pair of the three dates, well within the default bound of 13 dates
    assert pairs == [
        (MARCH, JUNE, customers[MARCH], customers[JUNE]),
        (MARCH, JULY, customers[MARCH], customers[JULY]),
        (JUNE, JULY, customers[JUNE], customers[JULY]),
    ]
    # nothing moved in the one day between June and July
    assert query(
        july.published,
        f"select count(*) from marts.fct_segment_migrations where from_as_of_date = '{JUNE}' "
        "and from_segment_name <> to_segment_name",
    ) == [(0,)]


def test_who_moved_since_the_previous_snapshot(refreshes: dict[str, Refresh]) -> None:
    june = refreshes["june"]
    moves = {
        row[0]: row[1:]
        for row in published(
            june, "fct_customer_segment_moves",
            "customer_id, segment_name, previous_as_of_date, previous_segment_name, "
            "is_new_since_previous_snapshot, has_changed_segment, composite_score_change",
        )
    }
    sixth = pytest.approx(100 / 6, abs=1e-9)
    assert moves == {
        "C01": ("champions", MARCH, "champions", False, False, pytest.approx(100 / 12, abs=1e-9)),
        "C02": ("loyal", MARCH, "need_attention", False, True, sixth),
        "C03": ("potential_loyalists", MARCH, "prospect", False, True, None),
        "C04": ("need_attention", MARCH, "champions", False, True, pytest.approx(-500 / 12, abs=1e-9)),
        "C05": ("hibernating", MARCH, "at_risk", False, True, pytest.approx(-100 / 6, abs=1e-9)),
        "C06": ("lost", MARCH, "lost", False, False, 0),
        "C07": ("potential_loyalists", MARCH, "prospect", False, True, None),
        "C08": ("prospect", MARCH, "prospect", False, False, None),
        "C09": ("prospect", MARCH, "prospect", False, False, None),
        "C10": ("need_attention", MARCH, "prospect", False, True, None),
        "C11": ("hibernating", MARCH, "need_attention", False, True, -25),
        "C12": ("prospect", MARCH, None, True, False, None),
    }
    left_champions = query(
        june.published,
        "select customer_id from marts.fct_customer_segment_moves "
        "where previous_segment_name = 'champions' and has_changed_segment",
    )
    assert left_champions == [("C04",)]


def test_segment_sizes_over_time(refreshes: dict[str, Refresh]) -> None:
    rows = published(
        refreshes["june"], "fct_segment_history",
        "as_of_date, segment_name, customer_count, customer_share, window_revenue, average_order_value",
    )
    assert len(rows) == 2 * 12
    nonempty = {(row[0], row[1]): row[2:] for row in rows if row[2]}
    share = {count: pytest.approx(count / 12) for count in (1, 2, 3, 6)}
    assert nonempty == {
        (MARCH, "champions"): (2, share[2], 900, 225),
        (MARCH, "need_attention"): (2, share[2], 250, 125),
        (MARCH, "at_risk"): (1, share[1], 60, 60),
        (MARCH, "lost"): (1, share[1], 0, 250),
        (MARCH, "prospect"): (6, share[6], 0, None),
        (JUNE, "champions"): (1, share[1], 1000, 250),
        (JUNE, "loyal"): (1, share[1], 200, pytest.approx(200 / 3)),
        (JUNE, "potential_loyalists"): (2, share[2], 540, 270),
        (JUNE, "need_attention"): (2, share[2], 400, 100),
        (JUNE, "hibernating"): (2, share[2], 210, 105),
        (JUNE, "lost"): (1, share[1], 0, 250),
        (JUNE, "prospect"): (3, share[3], 0, None),
    }


# ---------------------------------------------------------------- score stability


def population_stability_index(expected: dict[int, int], actual: dict[int, int]) -> float:
    """Σ (actual% - expected%) * ln(actual% / expected%) over the bins of either, an empty bin as 0.0001."""
    expected_total, actual_total = sum(expected.values()), sum(actual.values())
    index = 0.0
    for score_bin in expected.keys() | actual.keys():
        expected_share = expected.get(score_bin, 0) / expected_total or EMPTY_BIN_SHARE
        actual_share = actual.get(score_bin, 0) / actual_total or EMPTY_BIN_SHARE
        index += (actual_share - expected_share) * math.log(actual_share / expected_share)
    return index


def test_population_stability_index_known_answer(refreshes: dict[str, Refresh]) -> None:
    # purchasers per bin, 2025-03-31 -> 2025-06-30, from the fixture README
    bins = {
        "recency_score": ({1: 1, 2: 1, 3: 2, 4: 1, 5: 1}, {1: 2, 2: 1, 3: 2, 4: 2, 5: 2}),
        "frequency_score": ({1: 1, 3: 3, 5: 2}, {1: 1, 2: 4, 3: 2, 4: 1, 5: 1}),
        "monetary_score": ({1: 1, 2: 1, 3: 2, 4: 1, 5: 1}, {1: 2, 2: 2, 3: 3, 4: 1, 5: 1}),
        "composite_score": ({0: 1, 3: 1, 5: 2, 9: 2}, {0: 1, 1: 1, 2: 1, 4: 1, 5: 3, 6: 1, 9: 1}),
    }
    # by hand (README): recency (1/6) ln 2, monetary (1/9) ln 2, frequency about 5.0027, composite about 4.6165
    assert population_stability_index(*bins["recency_score"]) == pytest.approx(math.log(2) / 6)
    assert population_stability_index(*bins["monetary_score"]) == pytest.approx(math.log(2) / 9)
    assert population_stability_index(*bins["frequency_score"]) == pytest.approx(5.0027, abs=1e-4)
    assert population_stability_index(*bins["composite_score"]) == pytest.approx(4.6165, abs=1e-4)
    june = refreshes["june"]
    rows = {
        row[0]: row[1:]
        for row in query(
            june.published,
            "select score_name, previous_as_of_date, purchaser_count, previous_purchaser_count, "
            f"population_stability_index from marts.fct_score_stability where as_of_date = '{JUNE}'",
        )
    }
    assert set(rows) == set(SCORE_NAMES)
    for score_name, (expected, actual) in bins.items():
        previous_as_of_date, purchasers, previous_purchasers, index = rows[score_name]
        assert (previous_as_of_date, purchasers, previous_purchasers) == (MARCH, 9, 6)
        # each of at most 10 terms is rounded to 12 decimals before the sum
        assert float(index) == pytest.approx(population_stability_index(expected, actual), abs=1e-11), score_name


def test_a_jump_in_the_scores_is_reported_as_a_warning_and_still_published(refreshes: dict[str, Refresh]) -> None:
    june = refreshes["june"]
    warning = node_result(june, STABILITY_WARNING)
    # frequency (about 5.00) and the composite (about 4.62) exceed the default threshold of 0.25; recency
    # ((1/6) ln 2, about 0.12) and monetary ((1/9) ln 2, about 0.08) stay below it
    assert (warning["status"], warning["failures"]) == ("warn", 2)
    assert "Got 2 results, configured to warn if != 0" in warning["message"]
    unstable = query(
        june.published,
        f"select score_name from marts.fct_score_stability where as_of_date = '{JUNE}' "
        "and population_stability_index > 0.25 order by score_name",
    )
    assert unstable == [("composite_score",), ("frequency_score",)]
    # a warning does not stop the refresh: June's scores are published and the run is logged as such
    assert june.result.publication.is_new
    (june_run,) = [run for run in read_runs(june.result.paths.run_log) if run["run_id"] == june.result.run_id]
    assert june_run["status"] == "published"


def test_identical_distributions_have_zero_psi_and_no_warning(refreshes: dict[str, Refresh]) -> None:
    july = refreshes["july"]
    rows = query(
        july.published,
        f"select score_name, previous_as_of_date, population_stability_index from marts.fct_score_stability "
        f"where as_of_date = '{JULY}' order by score_name",
    )
    assert rows == sorted((score_name, JUNE, 0.0) for score_name in SCORE_NAMES)
    assert node_result(july, STABILITY_WARNING)["status"] == "pass"
    assert published(july, "fct_customer_segment_moves", "distinct has_changed_segment") == [(False,)]
