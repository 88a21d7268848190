"""The churn model: a logistic regression on standardised log features, fitted by the flow on the training set
dbt builds (buyers at the training cutoff, at most `model_fit_max_customers` of them, labelled churned when
they made no purchase in the horizon after it) and stored in the warehouse as a new version, one row per
feature. SQL scores every customer from the stored version (int_customer_churn_probabilities), so Python
never touches customer-level outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from scorehouse.model_versions import record_version
from scorehouse.warehouse_targets import WarehouseTarget, first_cutoff_date, float_columns, sorted_by_customer_id

CHURN_MODEL_VERSIONS = "fitted_models.churn_model_versions"
FEATURES_AT_CUTOFFS = "intermediate.int_customer_features_at_cutoffs"
TRAINING_SET = "intermediate.int_churn_model_training_set"
# every feature is a count, amount or number of days, never negative, and matters by its order of magnitude
# (a third purchase says more than a thirtieth): the model sees ln(1 + value)
FEATURE_TRANSFORM = "log1p"
FITTED = "fitted"
SKIPPED = "skipped"
VERSION_SCHEMA = pa.schema(
    [
        ("trained_at", pa.timestamp("us")),
        ("training_cutoff_date", pa.date32()),
        ("feature_position", pa.int64()),
        ("feature_name", pa.string()),
        ("feature_transform", pa.string()),
        ("feature_mean", pa.float64()),
        ("feature_scale", pa.float64()),
        ("coefficient", pa.float64()),
        ("intercept", pa.float64()),
        ("training_row_count", pa.int64()),
        ("training_churn_rate", pa.float64()),
        ("training_auc", pa.float64()),
        ("status", pa.string()),
        ("message", pa.string()),
    ]
)


@dataclass(frozen=True)
class TrainingSet:
    customer_ids: list[str]
    features: np.ndarray  # one row per customer, columns in the order of the feature list
    is_churned: np.ndarray
    cutoff_date: date | None


@dataclass(frozen=True)
class ChurnModelFit:
    model_version: int
    status: str
    message: str


def read_training_set(target: WarehouseTarget, features: Sequence[str], relation: str = TRAINING_SET) -> TrainingSet:
    """The rows of `relation` (the training set; checks pass other buyers' features), sorted by customer_id
    (sorted_by_customer_id), so every warehouse fits the same model. The training set holds at most
    `model_fit_max_customers` rows."""
    table = sorted_by_customer_id(
        target.query_table(f"select customer_id, cutoff_date, is_churned, {', '.join(features)} from {relation}")
    )
    return TrainingSet(
        customer_ids=table.column("customer_id").to_pylist(),
        features=np.array(float_columns(table, features)).T.reshape(table.num_rows, len(features)),
        is_churned=table.column("is_churned").to_numpy(zero_copy_only=False).astype(bool),
        cutoff_date=first_cutoff_date(table),
    )


def fit_pipeline(training_set: TrainingSet) -> Pipeline:
    """ln(1 + feature), standardised, in an L2-regularised logistic regression (scikit-learn's defaults)."""
    pipeline = Pipeline(
        [
            ("transform", FunctionTransformer(np.log1p)),
            ("scale", StandardScaler()),
            ("regress", LogisticRegression(max_iter=1000)),
        ]
    )
    return pipeline.fit(training_set.features, training_set.is_churned)


def why_not_fittable(training_set: TrainingSet, min_training_customers: int) -> str | None:
    """Why the training set cannot give a model, or None when it can."""
    row_count = len(training_set.customer_ids)
    if row_count < min_training_customers:
        return (
            f"only {row_count} buyers at the training cutoff {training_set.cutoff_date}, fewer than "
            f"churn_model_min_training_customers ({min_training_customers}); churn probabilities are left empty"
        )
    churned = int(training_set.is_churned.sum())
    if churned in (0, row_count):
        outcome = "churned" if churned else "bought again"
        return (
            f"every one of the {row_count} buyers at the training cutoff {training_set.cutoff_date} {outcome}; "
            "a churn model needs both outcomes, so churn probabilities are left empty"
        )
    return None


def fitted_message(target: WarehouseTarget, training_set: TrainingSet) -> str:
    """What the fit read: all buyers at the training cutoff, or the sample of them and out of how many."""
    (buyer_count,) = target.query(
        f"select count(*) from {FEATURES_AT_CUTOFFS} where cutoff_role = 'training' and has_purchased"
    )[0]
    fitted_count = len(training_set.customer_ids)
    sample = "" if fitted_count == buyer_count else f" (a model_fit_max_customers sample of {buyer_count})"
    return f"fitted on {fitted_count} buyers{sample} at the training cutoff {training_set.cutoff_date}"


def version_rows(
    trained_at: datetime, training_set: TrainingSet, features: Sequence[str], pipeline: Pipeline | None, message: str
) -> pa.Table:
    """One row per feature of a fitted version; a single row without a feature for a skipped one. The version
    number is record_version's to give."""
    row_count = len(training_set.customer_ids)
    common: dict[str, Any] = {
        "trained_at": trained_at,
        "training_cutoff_date": training_set.cutoff_date,
        "training_row_count": row_count,
        "training_churn_rate": float(training_set.is_churned.mean()) if row_count else None,
        "message": message,
    }
    if pipeline is None:
        return pa.Table.from_pylist([{**common, "status": SKIPPED}], schema=VERSION_SCHEMA)
    scaler, regression = pipeline.named_steps["scale"], pipeline.named_steps["regress"]
    auc = float(roc_auc_score(training_set.is_churned, pipeline.predict_proba(training_set.features)[:, 1]))
    rows = [
        {
            **common,
            "status": FITTED,
            "feature_position": position + 1,
            "feature_name": feature,
            "feature_transform": FEATURE_TRANSFORM,
            "feature_mean": float(scaler.mean_[position]),
            "feature_scale": float(scaler.scale_[position]),
            "coefficient": float(regression.coef_[0, position]),
            "intercept": float(regression.intercept_[0]),
            "training_auc": auc,
        }
        for position, feature in enumerate(features)
    ]
    return pa.Table.from_pylist(rows, schema=VERSION_SCHEMA)


def fit_churn_model(
    target: WarehouseTarget, features: list[str], min_training_customers: int, trained_at: datetime
) -> ChurnModelFit:
    """Fits the churn model on the training set and appends it to fitted_models.churn_model_versions as
    the next version (or keeps the latest version when the fit gives exactly its model); a training set that
    cannot give a model is recorded as a skipped version."""
    training_set = read_training_set(target, features)
    reason = why_not_fittable(training_set, min_training_customers)
    pipeline = None if reason else fit_pipeline(training_set)
    message = reason or fitted_message(target, training_set)
    model_version = record_version(
        target, CHURN_MODEL_VERSIONS,
        version_rows(trained_at, training_set, features, pipeline, message), fitted_at_column="trained_at",
    )
    return ChurnModelFit(model_version, SKIPPED if reason else FITTED, message)
