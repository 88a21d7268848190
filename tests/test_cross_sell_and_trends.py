"""Cross-sell candidates and recommendations, and segment trends, through the refresh flow on a small data
set whose answers are worked by hand in tests/fixtures/cross_sell_and_trends/README.md."""

from __future__ import annotations

import logging
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from scorehouse.dbt_runner import run_dbt
from scorehouse.scoring_flow import RefreshResult, refresh_scores

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "cross_sell_and_trends"
# The fixture's newest order before the end of the as-of date is of 2025-06-25: fresh enough for a week's SLA.
# Its L group scores 3 on every dimension (three value groups score 1, 3 and 5), so candidates need FM 3.
AS_OF_VARS = {"as_of_date": "2025-06-30", "freshness_sla_hours": 24 * 7, "cross_sell_min_frequency_monetary_score": 3}
RUN_CLOCK = datetime(2025, 7, 6, 0, 0, 0)
# A second setting of every cross-sell and trend var, applied by rebuilding their models.
WIDER_VARS = {
    **AS_OF_VARS,
    "cross_sell_min_frequency_monetary_score": 1,
    "cross_sell_max_categories": 3,
    "cross_sell_recommendation_count": 2,
    "trend_window_days": 60,
}
CROSS_SELL_AND_TREND_MODELS = ["int_customers_cross_sell_qualified+", "fct_segment_trends"]

SEGMENTS = {
    **{f"L{number}": "need_attention" for number in range(1, 8)},
    **{f"H{number}": "lost" for number in range(1, 7)},
    "T1": "champions",
    "P1": "prospect",
}
# customer: (is candidate, categories bought, recommendations, top recommendation)
CANDIDATES = {
    "L1": (True, 1, 3, "electronics"),
    "L2": (True, 2, 3, "electronics"),
    "L3": (True, 2, 3, "garden"),
    "L4": (False, 5, 0, None),  # too many categories
    "L5": (False, 3, 0, None),  # too many categories
    "L6": (True, 2, 3, "garden"),  # the item without a category is not a third one
    "L7": (False, 0, 0, None),  # purchases without items: nothing known of what L7 buys
    "H1": (False, 1, 0, None),  # FM 1 is below 3
    "H2": (False, 1, 0, None),
    "H3": (False, 0, 0, None),
    "H4": (False, 0, 0, None),
    "H5": (False, 0, 0, None),
    "H6": (False, 0, 0, None),
    "T1": (True, 1, 0, None),  # has bought every category bought in champions
    "P1": (False, 0, 0, None),
}
L_GROUP_BUYERS = {"electronics": 4, "garden": 3, "apparel": 2, "books": 2, "home": 2, "toys": 2}
# customer: recommended categories, best first; ties at 2 of 7 go to the first name
RECOMMENDATIONS = {
    "L1": ["electronics", "garden", "apparel"],
    "L2": ["electronics", "apparel", "home"],
    "L3": ["garden", "apparel", "books"],
    "L6": ["garden", "apparel", "books"],
}
WIDER_RECOMMENDATIONS = {
    "H1": [("books", 1, 6)],
    "H2": [("beauty", 1, 6)],
    "L1": [("electronics", 4, 7), ("garden", 3, 7)],
    "L2": [("electronics", 4, 7), ("apparel", 2, 7)],
    "L3": [("garden", 3, 7), ("apparel", 2, 7)],
    "L5": [("books", 2, 7), ("home", 2, 7)],
    "L6": [("garden", 3, 7), ("apparel", 2, 7)],
}
TREND_COLUMNS = (
    "customer_count",
    "current_purchase_count", "current_purchasing_customer_count", "current_net_revenue",
    "current_average_basket", "current_purchases_per_customer",
    "prior_purchase_count", "prior_purchasing_customer_count", "prior_net_revenue",
    "prior_average_basket", "prior_purchases_per_customer",
    "average_basket_change", "purchase_frequency_change",
)
EMPTY_SEGMENT_TREND = (0, 0, 0, 0, None, None, 0, 0, 0, None, None, None, None)
TRENDS = {
    # T1's purchase at 2025-04-01 23:59:59, exactly 90 days before the as-of date, is the prior window's
    "champions": (1, 2, 1, 900, 450, 2, 1, 1, 100, 100, 1, 3.5, 1),
    # L1's refund and its purchase after the as-of date count nowhere; an empty prior window: null changes
    "need_attention": (7, 14, 7, 1400, 100, 2, 0, 0, 0, None, 0, None, None),
    "lost": (6, 0, 0, 0, None, 0, 6, 6, 300, 50, 1, None, -1),
    "prospect": (1, 0, 0, 0, None, 0, 0, 0, 0, None, 0, None, None),
}


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def trends_by_segment(warehouse: Path) -> dict[str, tuple]:
    rows = query(warehouse, f"select segment_name, {', '.join(TREND_COLUMNS)} from marts.fct_segment_trends")
    return {row[0]: row[1:] for row in rows}


def assert_trend(actual: tuple, expected: tuple, segment: str) -> None:
    assert len(actual) == len(expected), segment
    for column, value, wanted in zip(TREND_COLUMNS, actual, expected, strict=True):
        if wanted is None:
            assert value is None, (segment, column)
        else:
            assert value == pytest.approx(wanted, abs=1e-12), (segment, column)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> RefreshResult:
    return refresh_scores(
        data_dir=FIXTURE_DIR,
        warehouse_dir=tmp_path_factory.mktemp("cross_sell_and_trends"),
        dbt_vars=AS_OF_VARS,
        now=RUN_CLOCK,
    )


@pytest.fixture(scope="module")
def rebuilt_with_wider_vars(refreshed: RefreshResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the working warehouse whose cross-sell and trend models are rebuilt with WIDER_VARS."""
    directory = tmp_path_factory.mktemp("wider_vars")
    warehouse = directory / "scorehouse.duckdb"
    warehouse.write_bytes(refreshed.paths.working.read_bytes())
    run_dbt(
        ["build", "--select", *CROSS_SELL_AND_TREND_MODELS],
        {"SCOREHOUSE_TARGET": "duckdb", "SCOREHOUSE_DUCKDB_PATH": str(warehouse)},
        WIDER_VARS,
        logging.getLogger("test"),
        target_dir=directory / "target",
    )
    return warehouse


def test_segments_are_the_ones_worked_by_hand(refreshed: RefreshResult) -> None:
    rows = query(refreshed.paths.published, "select customer_id, segment_name from marts.dim_customer_segments")
    assert dict(rows) == SEGMENTS


def test_categories_come_from_purchases_up_to_the_as_of_date(refreshed: RefreshResult) -> None:
    rows = query(
        refreshed.paths.working,
        "select customer_id, category, purchase_count, item_quantity, item_revenue "
        "from intermediate.int_customer_categories_summarized where customer_id in ('L1', 'L6') order by all",
    )
    # L1's `Books` and `books` are one category (1 x 100 + 2 x 50); its refunded toys and its home bought
    # after the as-of date are not there; L6's item without a category is not either
    assert rows == [
        ("L1", "books", 2, 3, 200),
        ("L6", "electronics", 1, 1, 90),
        ("L6", "toys", 1, 1, 100),
    ]


def test_candidates_and_their_top_recommendation(refreshed: RefreshResult) -> None:
    rows = query(
        refreshed.paths.published,
        "select customer_id, is_cross_sell_candidate, categories_bought_count, recommended_category_count, "
        "top_recommended_category from marts.fct_cross_sell_candidates",
    )
    assert {row[0]: row[1:] for row in rows} == CANDIDATES


def test_recommendations_rank_by_penetration_in_the_segment_then_name(refreshed: RefreshResult) -> None:
    rows = query(
        refreshed.paths.published,
        """
        select customer_id, recommendation_rank, category, segment_name, category_customer_count,
               segment_customer_count, category_penetration, frequency_score, monetary_score,
               segment_frequency_monetary_score, categories_bought_count
        from marts.fct_cross_sell_recommendations
        order by customer_id, recommendation_rank
        """,
    )
    ranked: dict[str, list[str]] = {}
    for customer_id, rank, category, segment, buyers, segment_size, penetration, *scores, bought in rows:
        ranked.setdefault(customer_id, []).append(category)
        assert rank == len(ranked[customer_id]), customer_id
        assert (segment, buyers, segment_size) == ("need_attention", L_GROUP_BUYERS[category], 7), (
            customer_id, category
        )
        assert penetration == pytest.approx(float(Fraction(L_GROUP_BUYERS[category], 7)), abs=1e-12)
        assert tuple(scores) == (3, 3, 3), customer_id
        assert bought == CANDIDATES[customer_id][1], customer_id
    assert ranked == RECOMMENDATIONS


def test_segment_trends_compare_the_two_windows(refreshed: RefreshResult) -> None:
    windows = query(
        refreshed.paths.published,
        "select distinct as_of_date, current_window_start_date, prior_window_start_date, prior_window_end_date "
        "from marts.fct_segment_trends",
    )
    assert windows == [(date(2025, 6, 30), date(2025, 4, 2), date(2025, 1, 2), date(2025, 4, 1))]
    trends = trends_by_segment(refreshed.paths.published)
    assert len(trends) == 12
    for segment, actual in trends.items():
        assert_trend(actual, TRENDS.get(segment, EMPTY_SEGMENT_TREND), segment)


def test_cross_sell_vars_widen_candidates_and_shorten_recommendations(rebuilt_with_wider_vars: Path) -> None:
    rows = query(
        rebuilt_with_wider_vars,
        "select customer_id, category, category_customer_count, segment_customer_count "
        "from marts.fct_cross_sell_recommendations order by customer_id, recommendation_rank",
    )
    ranked: dict[str, list[tuple[str, int, int]]] = {}
    for customer_id, *recommendation in rows:
        ranked.setdefault(customer_id, []).append(tuple(recommendation))
    assert ranked == WIDER_RECOMMENDATIONS
    candidates = query(
        rebuilt_with_wider_vars,
        "select customer_id from marts.fct_cross_sell_candidates where is_cross_sell_candidate order by customer_id",
    )
    assert [row[0] for row in candidates] == ["H1", "H2", "L1", "L2", "L3", "L5", "L6", "T1"]


def test_trend_window_var_moves_both_windows(rebuilt_with_wider_vars: Path) -> None:
    windows = query(
        rebuilt_with_wider_vars,
        "select distinct current_window_start_date, prior_window_start_date, prior_window_end_date "
        "from marts.fct_segment_trends",
    )
    assert windows == [(date(2025, 5, 2), date(2025, 3, 3), date(2025, 5, 1))]
    trends = trends_by_segment(rebuilt_with_wider_vars)
    assert_trend(trends["champions"], (1, 1, 1, 600, 600, 1, 2, 1, 400, 200, 2, 2, -0.5), "champions")
    assert_trend(trends["need_attention"], TRENDS["need_attention"], "need_attention")
    assert_trend(trends["lost"], (6, 0, 0, 0, None, 0, 0, 0, 0, None, 0, None, None), "lost")
