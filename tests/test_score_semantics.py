"""What R, F and M scores and the VIP flag mean, on a hand-made set with heavy ties
(tests/fixtures/score_semantics/README.md works every answer): under the default `ties_share_score` equal
values share a score, the lowest value scores 1, the highest 5 and every score is used; fixed cut points
score by the rfm_cut_points seed's bands, and a seed whose bands cannot score every value once stops the
build with one sentence naming the seed, the dimension and the rows; VIP is exactly the top
`vip_top_percent` of the buyers, ties at the cut-off broken by spend.

dbt runs as the refresh flow runs it, on a copy of the project whose cut-point seed the tests rewrite."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from conftest import copy_project, run_dbt_in_copy
from scorehouse.dbt_runner import PROJECT_DIR, DbtFailed
from scorehouse.duckdb_target import DuckDBTarget
from scorehouse.scoring_flow import refresh_scores
from scorehouse.warehouse_targets import WarehousePaths

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "score_semantics"
SCORE_VARS = {"as_of_date": "2025-06-30", "lookback_days": 365, "vip_top_percent": 10}
CUT_POINT_VARS = {**SCORE_VARS, "rfm_cut_point_dimensions": ["frequency"]}
# the day after the fixture's latest order (2025-06-29)
REFRESHED_AT = datetime(2025, 6, 30, 12, 0, 0)
CUT_POINTS_SEED = "rfm_cut_points.csv"

# value: score, worked in the fixture's README (recency in days since the last purchase)
EXPECTED_FREQUENCY_SCORES = {0: 1, 1: 2, 2: 3, 3: 4, 4: 4, 5: 5, 7: 5, 9: 5}
EXPECTED_MONETARY_SCORES = {0: 1, 20: 2, 30: 2, 40: 2, 50: 3, 75: 4, 100: 4, 125: 5, 175: 5, 225: 5}
EXPECTED_RECENCY_SCORES = {
    537: 1, 425: 2, 211: 3, 166: 3, 149: 3, 121: 3, 90: 4, 60: 4, 46: 4, 29: 4, 20: 5, 10: 5, 5: 5, 1: 5,
}
# frequency by the shipped bands 0-1 / 2 / 3-4 / 5-9 / 10+
EXPECTED_FREQUENCY_CUT_POINT_SCORES = {0: 1, 1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 7: 4, 9: 4}


@dataclass(frozen=True)
class ScoreProject:
    """A copy of the dbt project whose rfm_cut_points seed the test may rewrite, and a warehouse for it."""

    directory: Path
    warehouse: DuckDBTarget

    def build(self, selection: list[str], dbt_vars: dict) -> None:
        """`dbt build` of the selection as the refresh builds it: the unit tests, written for the default vars,
        are left out."""
        run_dbt_in_copy(
            self.directory,
            ["build", "--select", *selection, "--exclude", "test_type:unit", "--indirect-selection", "cautious"],
            self.warehouse, dbt_vars,
        )

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse.paths.working), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def write_cut_points(self, rows: list[dict[str, str]]) -> None:
        with (self.directory / "seeds" / CUT_POINTS_SEED).open("w", newline="") as seed:
            writer = csv.DictWriter(seed, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def shipped_cut_points() -> list[dict[str, str]]:
    with (PROJECT_DIR / "seeds" / CUT_POINTS_SEED).open(newline="") as seed:
        return list(csv.DictReader(seed))


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> ScoreProject:
    """The flow's refresh of the fixture with the default scoring, and a copy of the project for dbt runs on
    its warehouse."""
    root = tmp_path_factory.mktemp("score_semantics")
    result = refresh_scores(
        data_dir=FIXTURE_DIR, warehouse_dir=root / "warehouse", dbt_vars=SCORE_VARS, now=REFRESHED_AT
    )
    return ScoreProject(copy_project(root / "project"), DuckDBTarget(result.paths))


def scores_by_value(project: ScoreProject, value_column: str, score_column: str) -> dict:
    """{value: score} of the buyers, checking on the way that equal values got equal scores."""
    rows = project.query(
        f"select cast({value_column} as integer), {score_column} from marts.fct_customer_rfm_scores "
        "where has_purchased"
    )
    scores: dict = {}
    for value, score in rows:
        assert scores.setdefault(value, score) == score, f"{value_column} {value} has two scores"
    return scores


def test_heavy_ties_use_every_score_from_the_lowest_value_to_the_highest(scored: ScoreProject) -> None:
    frequency = scores_by_value(scored, "frequency", "frequency_score")
    monetary = scores_by_value(scored, "monetary", "monetary_score")
    recency = scores_by_value(scored, "recency_days", "recency_score")

    assert frequency == EXPECTED_FREQUENCY_SCORES
    assert monetary == EXPECTED_MONETARY_SCORES
    assert recency == EXPECTED_RECENCY_SCORES
    for scores, lowest_is_best in ((frequency, False), (monetary, False), (recency, True)):
        ordered = [scores[value] for value in sorted(scores, reverse=lowest_is_best)]
        assert ordered[0] == 1 and ordered[-1] == 5
        assert ordered == sorted(ordered)
        assert set(ordered) == {1, 2, 3, 4, 5}


def test_the_prospect_has_no_scores(scored: ScoreProject) -> None:
    assert scored.query(
        "select recency_score, frequency_score, monetary_score from marts.fct_customer_rfm_scores "
        "where customer_id = 'H21'"
    ) == [(None, None, None)]


def test_vip_is_exactly_the_top_percent_with_ties_at_the_cut_off_broken_by_spend(scored: ScoreProject) -> None:
    # 10 % of 20 buyers is 2; H18, H19 and H20 all score 100, and H20 (225) and H19 (175) spent the most
    assert scored.query("select customer_id from marts.dim_customer_segments where is_vip order by customer_id") == [
        ("H19",), ("H20",)
    ]
    assert scored.query(
        "select count(*) from marts.dim_customer_segments where composite_score = 100"
    ) == [(3,)]


def test_unit_tests_of_the_scores_and_flags_pass(scored: ScoreProject) -> None:
    """The hand-computed cases in the models' yml: all values equal, one customer, heavy ties, cut points, and
    VIP ties at the cut-off."""
    run_dbt_in_copy(
        scored.directory,
        ["test", "--select", "fct_customer_rfm_scores,test_type:unit", "dim_customer_segments,test_type:unit"],
        scored.warehouse, SCORE_VARS,
    )


@pytest.fixture(scope="module")
def cut_point_variants(scored: ScoreProject, tmp_path_factory: pytest.TempPathFactory) -> ScoreProject:
    """One more project copy and a copy of the built warehouse, for the tests that rewrite the seed."""
    root = tmp_path_factory.mktemp("cut_point_variants")
    project = ScoreProject(copy_project(root / "project"), DuckDBTarget(WarehousePaths(root / "warehouse")))
    project.warehouse.paths.directory.mkdir()
    shutil.copy(scored.warehouse.paths.working, project.warehouse.paths.working)
    return project


def test_fixed_cut_points_score_frequency_by_band(cut_point_variants: ScoreProject) -> None:
    cut_point_variants.write_cut_points(shipped_cut_points())
    cut_point_variants.build(["rfm_cut_points", "fct_customer_rfm_scores"], CUT_POINT_VARS)

    assert scores_by_value(cut_point_variants, "frequency", "frequency_score") == EXPECTED_FREQUENCY_CUT_POINT_SCORES
    # the dimensions not listed are still ranked
    assert scores_by_value(cut_point_variants, "monetary", "monetary_score") == EXPECTED_MONETARY_SCORES


def frequency_bands(changes: dict[str, dict[str, str]], dropped: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The shipped seed with the frequency rows of the given scores changed or dropped."""
    rows = []
    for row in shipped_cut_points():
        if row["dimension"] == "frequency" and row["score"] in dropped:
            continue
        if row["dimension"] == "frequency":
            row = {**row, **changes.get(row["score"], {})}
        rows.append(row)
    return rows


WHERE = "seed rfm_cut_points, dimension frequency: "
# frequency rows by score: the changes and the message the build must stop with
INVALID_CUT_POINTS = [
    pytest.param(
        frequency_bands({"3": {"upper_bound_exclusive": "6"}}),
        WHERE + "row score 3 (3 to below 6) and row score 4 (5 to below 10) overlap; each band must start where "
        "the one below it ends",
        id="overlap",
    ),
    pytest.param(
        frequency_bands({"3": {"upper_bound_exclusive": "4"}}),
        WHERE + "values from 4 to below 5 fall between row score 3 (3 to below 4) and row score 4 (5 to below 10) "
        "and get no score; each band must start where the one below it ends",
        id="gap",
    ),
    pytest.param(
        frequency_bands({
            "2": {"lower_bound_inclusive": "3", "upper_bound_exclusive": "5"},
            "3": {"lower_bound_inclusive": "2", "upper_bound_exclusive": "3"},
        }),
        WHERE + "the scores must rise with the value, but row score 3 (2 to below 3) lies below row score 2 "
        "(3 to below 5)",
        id="unsorted",
    ),
    pytest.param(
        frequency_bands({"5": {"score": "6"}}),
        WHERE + "the scores must run 1, 2, 3, ... with one row each, got 1, 2, 3, 4, 6",
        id="scores-not-1-to-n",
    ),
    pytest.param(
        frequency_bands({"4": {"upper_bound_exclusive": ""}}, dropped=("5",)),
        WHERE + "there are 4 bands (scores 1 to 4) but rfm_bucket_count is 5; give it one row per score from 1 to 5",
        id="band-count-not-bucket-count",
    ),
    pytest.param(
        frequency_bands({"1": {"lower_bound_inclusive": "1"}}),
        WHERE + "values below 1 get no score; the band of the lowest values, row score 1 (1 to below 2), must "
        "start at 0",
        id="no-band-for-zero",
    ),
    pytest.param(
        frequency_bands({"5": {"upper_bound_exclusive": "50"}}),
        WHERE + "values from 50 up get no score; the band of the highest values, row score 5 (10 to below 50), "
        "must leave upper_bound_exclusive empty",
        id="closed-top-band",
    ),
]


@pytest.mark.parametrize(("rows", "message"), INVALID_CUT_POINTS)
def test_cut_points_that_cannot_score_every_value_once_stop_the_build(
    cut_point_variants: ScoreProject, rows: list[dict[str, str]], message: str
) -> None:
    cut_point_variants.write_cut_points(rows)

    with pytest.raises(DbtFailed) as failure:
        cut_point_variants.build(["rfm_cut_points", "fct_customer_rfm_scores"], CUT_POINT_VARS)

    assert failure.value.failed_nodes == ["model.scorehouse.fct_customer_rfm_scores"]
    assert message in str(failure.value)
