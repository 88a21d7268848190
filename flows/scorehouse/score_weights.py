"""Suggested weights for the composite score's criteria, learnt from what buyers did after the training cutoff.

The composite is a weighted mean of normalised criteria (fct_customer_score_contributions). The fit looks for
the weights, 0 or more, under which that mean best predicts the outcome of var `weight_review_outcome`:
`churned`, a logistic regression of buying again in the horizon; `revenue`, least squares on the horizon's
revenue; each with an intercept. The coefficients, rescaled to the current weights' total, are the
suggestion, stored as a version in the warehouse; fct_score_weight_review sets it beside the current weights
at the validation cutoff. Nothing is applied: the analyst edits seeds/score_criteria.csv.

It reads the criteria of the buyers in the churn model's training sample (at most `model_fit_max_customers`),
one row per buyer, and writes one row per criterion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.optimize import lsq_linear, minimize

from scorehouse.model_versions import latest_version, record_version
from scorehouse.warehouse_targets import WarehouseTarget, first_cutoff_date, float_columns, sorted_by_customer_id

CRITERIA_AT_CUTOFFS = "intermediate.int_score_criteria_at_cutoffs"
TRAINING_SAMPLE = "intermediate.int_churn_model_training_set"
SCORE_WEIGHT_VERSIONS = "fitted_models.score_weight_versions"
FITTED = "fitted"
SKIPPED = "skipped"
CHURNED = "churned"
REVENUE = "revenue"
# suggestions are for people to read and copy into a seed
WEIGHT_DECIMALS = 4
# A refit of the same data may differ from the last in the solver's float noise (thread timing in the linear
# algebra), which rounding can turn into a different last decimal: a suggestion this close to the latest
# keeps it, so an unchanged refresh publishes unchanged tables.
WEIGHT_NOISE = 1e-3
VERSION_SCHEMA = pa.schema(
    [
        ("fitted_at", pa.timestamp("us")),
        ("training_cutoff_date", pa.date32()),
        ("outcome_name", pa.string()),
        ("criterion", pa.string()),
        ("current_weight", pa.float64()),
        ("suggested_weight", pa.float64()),
        ("training_row_count", pa.int64()),
        ("status", pa.string()),
        ("message", pa.string()),
    ]
)


@dataclass(frozen=True)
class WeightTrainingSet:
    criteria: list[str]
    current_weights: np.ndarray
    normalised_values: np.ndarray  # one row per buyer, columns in the order of `criteria`
    is_churned: np.ndarray
    revenue_after: np.ndarray
    cutoff_date: date | None


@dataclass(frozen=True)
class WeightFit:
    model_version: int
    status: str
    message: str


def read_weight_training_set(target: WarehouseTarget) -> WeightTrainingSet:
    """The training sample's buyers with one column per criterion, sorted by customer_id
    (sorted_by_customer_id), so that every warehouse hands the solver the same rows in the same order."""
    criteria_weights = target.query(
        f"select criterion, max(weight) from {CRITERIA_AT_CUTOFFS} where cutoff_role = 'training' "
        "group by criterion order by criterion"
    )
    criteria = [criterion for criterion, _ in criteria_weights]
    criterion_columns = [f"criterion_{position}" for position in range(len(criteria))]
    # criterion names are column names that macro score_criteria has checked
    pivoted = "".join(
        f", max(case when criteria.criterion = '{criterion}' then criteria.normalised_value end) as {column}"
        for criterion, column in zip(criteria, criterion_columns, strict=True)
    )
    table = sorted_by_customer_id(target.query_table(
        "select criteria.customer_id, max(criteria.cutoff_date) as cutoff_date,"
        " max(case when criteria.is_churned then 1 else 0 end) as is_churned,"
        " coalesce(max(criteria.revenue_after), 0) as revenue_after"
        f"{pivoted} from {CRITERIA_AT_CUTOFFS} as criteria"
        f" inner join (select distinct customer_id from {TRAINING_SAMPLE}) as sample"
        " on criteria.customer_id = sample.customer_id"
        " where criteria.cutoff_role = 'training' group by criteria.customer_id"
    ))
    is_churned, revenue_after, *normalised_values = float_columns(
        table, ["is_churned", "revenue_after", *criterion_columns]
    )
    return WeightTrainingSet(
        criteria=criteria,
        current_weights=np.array([float(weight) for _, weight in criteria_weights], dtype=np.float64),
        normalised_values=np.array(normalised_values, dtype=np.float64).T.reshape(table.num_rows, len(criteria)),
        is_churned=is_churned.astype(bool),
        revenue_after=revenue_after,
        cutoff_date=first_cutoff_date(table),
    )


def outcome_coefficients(normalised_values: np.ndarray, outcome: np.ndarray, outcome_name: str) -> np.ndarray:
    """The coefficients, 0 or more, of the criteria in the model of the outcome (with a free intercept):
    buying again in the horizon (logistic) for `churned`, the horizon's revenue (least squares) for `revenue`."""
    buyer_count, criterion_count = normalised_values.shape
    design = np.column_stack([np.ones(buyer_count), normalised_values])
    if outcome_name == REVENUE:
        lower = np.array([-np.inf] + [0.0] * criterion_count)
        return lsq_linear(design, outcome, bounds=(lower, np.full(criterion_count + 1, np.inf))).x[1:]
    bought_again = outcome.astype(np.float64)

    def mean_log_loss(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        linear = design @ parameters
        loss = float(np.mean(np.logaddexp(0.0, linear) - bought_again * linear))
        gradient = design.T @ (1.0 / (1.0 + np.exp(-linear)) - bought_again) / buyer_count
        return loss, gradient

    bounds = [(None, None)] + [(0.0, None)] * criterion_count
    # converged far past what rounding shows: the log loss is convex, so the optimum does not depend on the
    # solver's path, only on stopping close enough to it
    solution = minimize(
        mean_log_loss, np.zeros(criterion_count + 1), jac=True, method="L-BFGS-B", bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10_000},
    )
    return solution.x[1:]


def suggested_weights(coefficients: np.ndarray, current_weights: np.ndarray) -> np.ndarray | None:
    """The coefficients rescaled to the current weights' total, or None when no criterion has any."""
    total = coefficients.sum()
    if total <= 1e-12:
        return None
    return np.round(coefficients * current_weights.sum() / total, WEIGHT_DECIMALS)


def latest_suggestion(target: WarehouseTarget) -> dict[str, float]:
    """The suggested weights of the latest version by criterion; empty when it was skipped or none exists."""
    _, rows = latest_version(target, SCORE_WEIGHT_VERSIONS, VERSION_SCHEMA, ["criterion", "suggested_weight", "status"])
    return {criterion: float(weight) for criterion, weight, status in rows if status == FITTED}


def settled(suggestion: np.ndarray, criteria: list[str], latest: dict[str, float]) -> np.ndarray:
    """The latest suggestion when the new one differs from it by float noise only, else the new one."""
    if latest.keys() == set(criteria) and all(
        abs(latest[criterion] - weight) <= WEIGHT_NOISE for criterion, weight in zip(criteria, suggestion, strict=True)
    ):
        return np.array([latest[criterion] for criterion in criteria])
    return suggestion


def why_not_fittable(training_set: WeightTrainingSet, outcome_name: str, min_customers: int) -> str | None:
    """Why the training set cannot give a suggestion, or None when it can."""
    buyer_count = len(training_set.is_churned)
    if not training_set.criteria:
        return "no criterion of the composite has a value at past cutoffs, so no weight can be learnt"
    if buyer_count < min_customers:
        return (
            f"only {buyer_count} buyers at the training cutoff {training_set.cutoff_date}, fewer than "
            f"weight_review_min_customers ({min_customers})"
        )
    if outcome_name == CHURNED and int(training_set.is_churned.sum()) in (0, buyer_count):
        return f"every buyer at the training cutoff {training_set.cutoff_date} had the same outcome"
    return None


def version_rows(
    fitted_at: datetime, training_set: WeightTrainingSet, outcome_name: str, suggestion: np.ndarray | None,
    status: str, message: str,
) -> pa.Table:
    """One row per criterion; a single row without one when there is no criterion to review."""
    common: dict[str, Any] = {
        "fitted_at": fitted_at,
        "training_cutoff_date": training_set.cutoff_date,
        "outcome_name": outcome_name,
        "training_row_count": len(training_set.is_churned),
        "status": status,
        "message": message,
    }
    rows = [
        {
            **common,
            "criterion": criterion,
            "current_weight": float(current_weight),
            "suggested_weight": None if suggestion is None else float(suggestion[position]),
        }
        for position, (criterion, current_weight) in enumerate(
            zip(training_set.criteria, training_set.current_weights, strict=True)
        )
    ]
    return pa.Table.from_pylist(rows or [common], schema=VERSION_SCHEMA)


def fit_score_weights(target: WarehouseTarget, settings: Mapping[str, Any], fitted_at: datetime) -> WeightFit:
    """Fits the suggested weights and records them as a version of fitted_models.score_weight_versions (the
    latest version again when nothing changed); a training set that cannot give one is recorded as skipped."""
    outcome_name = settings["weight_review_outcome"]
    training_set = read_weight_training_set(target)
    reason = why_not_fittable(training_set, outcome_name, settings["weight_review_min_customers"])
    suggestion = None
    if reason is None:
        outcome = training_set.revenue_after if outcome_name == REVENUE else ~training_set.is_churned
        coefficients = outcome_coefficients(training_set.normalised_values, outcome, outcome_name)
        suggestion = suggested_weights(coefficients, training_set.current_weights)
        if suggestion is None:
            reason = f"no criterion predicts {outcome_name} at the training cutoff {training_set.cutoff_date}"
        else:
            suggestion = settled(suggestion, training_set.criteria, latest_suggestion(target))
    status = SKIPPED if reason else FITTED
    message = (
        f"{reason}; the current weights stand" if reason
        else f"fitted on {len(training_set.is_churned)} buyers at the training cutoff {training_set.cutoff_date}"
    )
    model_version = record_version(
        target, SCORE_WEIGHT_VERSIONS,
        version_rows(fitted_at, training_set, outcome_name, suggestion, status, message), fitted_at_column="fitted_at",
    )
    return WeightFit(model_version, status, message)
