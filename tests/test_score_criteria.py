"""The composite score on criteria a marketing team chooses (seed score_criteria): points per customer and
criterion worked out by hand, the explanations and NPS flags they lead to, the default R, F and M weighting,
criteria seeds that cannot be applied, which stop the build with one sentence naming the criterion, and the
weight review's fit on data where one criterion predicts the outcome and another is noise.

The data set is the known-answer one (tests/fixtures/known_answer/README.md has its R, F and M facts) with
a customer_attributes file and two more NPS answers; the refresh runs on a copy of the project whose
score_criteria seed the tests write."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import duckdb
import numpy as np
import pytest

from conftest import KNOWN_ANSWER_DIR, KNOWN_ANSWER_NOW, KNOWN_ANSWER_VARS, copy_project, run_dbt_in_copy
from scorehouse import dbt_runner
from scorehouse.dbt_runner import DbtFailed
from scorehouse.duckdb_target import DuckDBTarget
from scorehouse.score_weights import CHURNED, REVENUE, outcome_coefficients, settled, suggested_weights
from scorehouse.scoring_flow import RefreshResult, refresh_scores
from scorehouse.warehouse_targets import WarehousePaths

SEED_HEADER = [
    "criterion", "label", "weight", "direction", "normalisation", "lower_bound", "upper_bound",
    "missing_value_counts_as", "description",
]
# Total weight 5, so a criterion's points are 100 x weight x normalised value / 5 = 20 x weight x value.
CRITERIA = [
    # the M score's buckets (README): C01 5, C03 4, C02/C04/C10 3, C05/C11 2, C06/C07 1
    {"criterion": "monetary", "label": "Spend", "weight": "2", "direction": "higher_is_better",
     "normalisation": "bucket"},
    # mid-rank share, most days first: (s - 1 + e) / 18 over the nine buyers' recency positions
    {"criterion": "recency_days", "label": "Recency", "weight": "1", "direction": "lower_is_better",
     "normalisation": "percentile_rank"},
    # score / 10; no answer up to the as-of date counts as 0.5
    {"criterion": "latest_nps_score", "label": "NPS", "weight": "1", "direction": "higher_is_better",
     "normalisation": "min_max", "lower_bound": "0", "upper_bound": "10", "missing_value_counts_as": "0.5"},
    # an attribute of the customer_attributes file; no row counts as 0
    {"criterion": "is_loyalty_member", "label": "Loyalty member", "weight": "1", "direction": "higher_is_better",
     "normalisation": "boolean"},
]
CRITERIA_VARS = {**KNOWN_ANSWER_VARS, "high_composite_min_score": 50}
# C03 answers 5 (a detractor; 5 / 10 scores as a missing answer would), C10 a 10 older than 365 days
EXTRA_NPS_ANSWERS = ["C03,2025-05-01 10:00:00,5", "C10,2024-05-01 10:00:00,10"]
LOYALTY = "customer_id,is_loyalty_member\nC01,true\nC03,false\nC05,true\n"

# buyer: points of Spend, Recency, NPS, Loyalty member
EXPECTED_POINTS = {
    "C01": (40, 20 * Fraction(16, 18), 18, 20),
    "C02": (20, 20 * Fraction(12, 18), 10, 0),
    "C03": (30, 20 * Fraction(12, 18), 10, 0),
    "C04": (20, 20 * Fraction(7, 18), 10, 0),
    "C05": (10, 20 * Fraction(3, 18), 10, 20),
    "C06": (0, 20 * Fraction(1, 18), 10, 0),
    "C07": (0, 20 * Fraction(16, 18), 10, 0),
    "C10": (20, 20 * Fraction(9, 18), 20, 0),
    "C11": (10, 20 * Fraction(5, 18), 10, 0),
}
LABELS = ("Spend", "Recency", "NPS", "Loyalty member")


@dataclass(frozen=True)
class CriteriaProject:
    """A copy of the dbt project whose score_criteria seed the test writes, and the refresh made with it."""

    directory: Path
    result: RefreshResult

    def write_criteria(self, rows: list[dict[str, str]]) -> None:
        with (self.directory / "seeds" / "score_criteria.csv").open("w", newline="") as seed:
            writer = csv.DictWriter(seed, fieldnames=SEED_HEADER)
            writer.writeheader()
            writer.writerows(rows)

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.result.paths.published), read_only=True) as connection:
            return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def criteria_run(tmp_path_factory: pytest.TempPathFactory) -> CriteriaProject:
    root = tmp_path_factory.mktemp("score_criteria")
    data_dir = root / "data"
    shutil.copytree(KNOWN_ANSWER_DIR, data_dir)
    with (data_dir / "nps_responses.csv").open("a") as answers:
        answers.write("\n".join(EXTRA_NPS_ANSWERS) + "\n")
    (data_dir / "customer_attributes.csv").write_text(LOYALTY)
    directory = copy_project(root / "project")
    project = CriteriaProject(directory, result=None)  # type: ignore[arg-type]
    project.write_criteria(CRITERIA)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dbt_runner, "PROJECT_DIR", directory)
        patch.setattr(dbt_runner, "PROFILES_DIR", directory / "profiles")
        result = refresh_scores(
            data_dir=data_dir, warehouse_dir=root / "warehouse", dbt_vars=CRITERIA_VARS, now=KNOWN_ANSWER_NOW
        )
    return CriteriaProject(directory, result)


def test_points_match_the_hand_computed_answers_and_add_up_to_the_composite(criteria_run: CriteriaProject) -> None:
    points = criteria_run.query(
        "select customer_id, criterion_label, points from marts.fct_customer_score_contributions"
    )
    composites = dict(criteria_run.query(
        "select customer_id, composite_score from marts.fct_customer_scores where has_purchased"
    ))

    assert {(customer, label): float(value) for customer, label, value in points} == pytest.approx({
        (customer, label): float(value)
        for customer, values in EXPECTED_POINTS.items()
        for label, value in zip(LABELS, values, strict=True)
    }, abs=1e-9)
    assert composites == pytest.approx({customer: float(sum(values)) for customer, values in EXPECTED_POINTS.items()},
                                       abs=1e-9)


def test_segments_explain_the_score_and_flag_promoters_and_detractors(criteria_run: CriteriaProject) -> None:
    rows = criteria_run.query(
        "select customer_id, top_contributing_criterion, second_contributing_criterion, is_ambassador, "
        "is_detractor_to_save, is_vip from marts.dim_customer_segments order by customer_id"
    )

    assert rows == [
        # C01 promotes (9) with a composite of 95.8: an ambassador
        ("C01", "Spend (40.0 points)", "Loyalty member (20.0 points)", True, False, True),
        ("C02", "Spend (20.0 points)", "Recency (13.3 points)", False, False, False),
        # a detractor (5) with 53.3 >= high_composite_min_score 50
        ("C03", "Spend (30.0 points)", "Recency (13.3 points)", False, True, True),
        ("C04", "Spend (20.0 points)", "NPS (10.0 points)", False, False, False),
        # equal points are ordered by criterion: latest_nps_score before monetary
        ("C05", "Loyalty member (20.0 points)", "NPS (10.0 points)", False, False, False),
        ("C06", "NPS (10.0 points)", "Recency (1.1 points)", False, False, False),
        ("C07", "Recency (17.8 points)", "NPS (10.0 points)", False, False, False),
        ("C08", None, None, False, False, False),
        ("C09", None, None, False, False, False),
        # a promoter with 50 points, but the answer is 425 days old: no ambassador
        ("C10", "NPS (20.0 points)", "Spend (20.0 points)", False, False, True),
        ("C11", "NPS (10.0 points)", "Spend (10.0 points)", False, False, False),
    ]


def test_without_criteria_the_contributions_explain_the_rfm_composite(known_answer_run: RefreshResult) -> None:
    with duckdb.connect(str(known_answer_run.paths.published), read_only=True) as connection:
        rows = connection.execute(
            "select criterion, points from marts.fct_customer_score_contributions where customer_id = 'C02'"
        ).fetchall()
        explanation = connection.execute(
            "select top_contributing_criterion, second_contributing_criterion from marts.dim_customer_segments "
            "where customer_id = 'C02'"
        ).fetchone()

    # R 4, F 4, M 3 with equal weights: 100 x (score - 1) / 4 / 3 points each, 66.67 in all (README)
    assert {criterion: float(points) for criterion, points in rows} == pytest.approx(
        {"recency_score": 25.0, "frequency_score": 25.0, "monetary_score": 100 * 2 / 12}, abs=1e-9
    )
    assert explanation == ("Frequency (25.0 points)", "Recency (25.0 points)")


INVALID_CRITERIA = [
    pytest.param(
        {"criterion": "shoe_size"}, "criterion 'shoe_size': criterion must be one of ", id="unknown-column"
    ),
    pytest.param(
        {"criterion": "country", "normalisation": "bucket"},
        "criterion 'country': the column holds text; a criterion must be a numeric or boolean column",
        id="text-column",
    ),
    pytest.param({"weight": "-1"}, "criterion 'monetary': weight must be a number of 0 or more, got -1", id="negative"),
    pytest.param(
        {"normalisation": "zscore"},
        "criterion 'monetary': normalisation must be one of bucket, percentile_rank, min_max, boolean, got \"zscore\"",
        id="unknown-normalisation",
    ),
    pytest.param(
        {"normalisation": "min_max", "lower_bound": "10", "upper_bound": "10"},
        "criterion 'monetary': min_max needs lower_bound below upper_bound", id="empty-range",
    ),
    pytest.param(
        {"normalisation": "boolean"},
        "criterion 'monetary': normalisation boolean is for boolean columns only", id="boolean-of-number",
    ),
]


@pytest.mark.parametrize(("changes", "message"), INVALID_CRITERIA)
def test_a_criterion_that_cannot_be_applied_stops_the_build_naming_it(
    criteria_run: CriteriaProject, changes: dict[str, str], message: str
) -> None:
    bad_row = {"criterion": "monetary", "weight": "1", "direction": "higher_is_better", "normalisation": "bucket",
               **changes}
    criteria_run.write_criteria([bad_row])

    with pytest.raises(DbtFailed) as failure:
        build_contributions(criteria_run)

    assert failure.value.failed_nodes == ["model.scorehouse.fct_customer_score_contributions"]
    assert message in str(failure.value)


def test_criteria_of_weight_zero_only_stop_the_build(criteria_run: CriteriaProject) -> None:
    criteria_run.write_criteria([{**row, "weight": "0"} for row in CRITERIA])

    with pytest.raises(DbtFailed) as failure:
        build_contributions(criteria_run)

    assert "score_criteria: at least one criterion needs a weight above 0; every weight is 0" in str(failure.value)


def build_contributions(project: CriteriaProject) -> None:
    """The seed and the contributions rebuilt in the project copy, on the working warehouse of its run."""
    run_dbt_in_copy(
        project.directory, ["build", "--select", "score_criteria", "fct_customer_score_contributions"],
        DuckDBTarget(WarehousePaths(project.result.paths.directory)), CRITERIA_VARS,
    )


def test_the_weight_review_of_too_few_buyers_suggests_nothing_and_says_why(criteria_run: CriteriaProject) -> None:
    rows = criteria_run.query(
        "select criterion, current_weight, suggested_weight, is_reviewed, fit_status, fit_message "
        "from marts.fct_score_weight_review order by criterion"
    )

    # one buyer at the training cutoff (2024-07-05); NPS and the attribute have no value at past cutoffs
    message = (
        "only 1 buyers at the training cutoff 2024-07-05, fewer than weight_review_min_customers (100); "
        "the current weights stand"
    )
    assert rows == [
        ("is_loyalty_member", 1, None, False, "skipped", message),
        ("latest_nps_score", 1, None, False, "skipped", message),
        ("monetary", 2, None, True, "skipped", message),
        ("recency_days", 1, None, True, "skipped", message),
    ]


@pytest.mark.parametrize("outcome_name", [CHURNED, REVENUE])
def test_the_weight_fit_weights_the_criterion_that_predicts_the_outcome(outcome_name: str) -> None:
    """Two criteria on 4,000 made-up buyers: the first drives the outcome, the second is noise. The
    suggestion, rescaled to the current total of 2, must put nearly all the weight on the first."""
    generator = np.random.default_rng(5)
    values = generator.uniform(size=(4_000, 2))
    if outcome_name == CHURNED:
        outcome = generator.uniform(size=4_000) < 1 / (1 + np.exp(-(6 * values[:, 0] - 3)))
    else:
        outcome = 100 * values[:, 0] + generator.normal(scale=5, size=4_000)

    suggestion = suggested_weights(outcome_coefficients(values, outcome, outcome_name), np.array([1.0, 1.0]))

    assert suggestion is not None
    assert suggestion.sum() == pytest.approx(2.0, abs=1e-3)
    assert suggestion[0] > 1.8
    assert suggestion.min() >= 0


def test_a_criterion_that_only_hurts_gets_no_weight() -> None:
    """A criterion whose higher values mean more churn cannot get a negative weight: it gets 0; with no
    criterion that helps, there is no suggestion at all."""
    generator = np.random.default_rng(9)
    values = generator.uniform(size=(3_000, 1))
    bought_again = generator.uniform(size=3_000) < 1 / (1 + np.exp(-(1 - 4 * values[:, 0])))

    coefficients = outcome_coefficients(values, bought_again, CHURNED)

    assert coefficients[0] == pytest.approx(0.0, abs=1e-6)
    assert suggested_weights(coefficients, np.array([1.0])) is None


def test_a_refit_that_differs_by_float_noise_keeps_the_latest_suggestion() -> None:
    latest = {"monetary": 1.2004, "recency_days": 0.7996}
    criteria = ["monetary", "recency_days"]

    assert list(settled(np.array([1.2003, 0.7997]), criteria, latest)) == [1.2004, 0.7996]
    assert list(settled(np.array([1.25, 0.75]), criteria, latest)) == [1.25, 0.75]
    assert list(settled(np.array([1.2003, 0.7997]), ["monetary", "frequency"], latest)) == [1.2003, 0.7997]
