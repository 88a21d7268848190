"""The refresh's customer value step: fit BG/NBD and Gamma-Gamma at each customer-value cutoff on the
distinct histories SQL grouped from the fit sample (at most `model_fit_max_customers` customers), and write
the fitted parameters and the predictions for every distinct history to the warehouse, where SQL joins them
back to customers (models tagged `uses_fitted_models`).

A fit that cannot run or does not converge is recorded with its status and message and logged as a
warning; its predictions are null and the refresh goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from scorehouse import customer_value
from scorehouse.customer_value import BgNbdFit, FitNotConverged, GammaGammaFit, TooFewCustomers
from scorehouse.model_versions import record_version
from scorehouse.warehouse_targets import WarehouseTarget, first_cutoff_date, float_columns

HISTORIES_TABLE = "intermediate.int_customer_purchase_histories_grouped"
SPEND_HISTORIES_TABLE = "intermediate.int_customer_purchase_histories_spend_grouped"
VERSIONS_TABLE = "fitted_models.customer_value_model_versions"
PREDICTIONS_TABLE = "fitted_models.customer_value_predictions"
# The cutoffs of int_customer_purchase_histories: validation (A - H) and scoring (the as-of date A).
CUTOFF_ROLES = ("validation", "scoring")
BG_NBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "gamma")

VERSIONS_SCHEMA = pa.schema([
    ("fitted_at", pa.timestamp("us")),
    ("model_name", pa.string()),
    ("cutoff_role", pa.string()),
    ("cutoff_date", pa.date32()),
    ("status", pa.string()),
    ("is_converged", pa.bool_()),
    ("message", pa.string()),
    ("customer_count", pa.int64()),
    ("log_likelihood", pa.float64()),
    *((name, pa.float64()) for name in BG_NBD_PARAMETERS + GAMMA_GAMMA_PARAMETERS),
])
PREDICTIONS_SCHEMA = pa.schema([
    ("model_version", pa.int64()),
    ("cutoff_role", pa.string()),
    ("frequency", pa.int64()),
    ("recency_days", pa.int64()),
    ("age_days", pa.int64()),
    ("horizon_days", pa.int64()),
    ("expected_purchases", pa.float64()),
    ("probability_alive", pa.float64()),
    ("discounted_expected_purchases", pa.float64()),
    ("spend_population_weight", pa.float64()),
    ("population_mean_spend", pa.float64()),
])


@dataclass(frozen=True)
class CustomerValueSettings:
    horizon_days: int
    yearly_discount_rate: float
    min_repeat_customers: int

    @classmethod
    def from_vars(cls, dbt_vars: Mapping[str, Any]) -> CustomerValueSettings:
        """The settings from dbt vars as a run sees them (defaults with overrides), already validated by the
        run's settings step."""
        return cls(
            horizon_days=int(dbt_vars["prediction_horizon_days"]),
            yearly_discount_rate=float(dbt_vars["value_discount_rate_yearly"]),
            min_repeat_customers=int(dbt_vars["value_min_repeat_customers"]),
        )


@dataclass(frozen=True)
class FitOutcome:
    """One model fitted at one cutoff: a row of customer_value_model_versions."""

    model_name: str
    cutoff_role: str
    cutoff_date: date | None
    status: str
    message: str | None
    customer_count: int | None
    log_likelihood: float | None
    parameters: dict[str, float]

    @property
    def is_converged(self) -> bool:
        return self.status == "converged"


def failure_status(error: FitNotConverged) -> str:
    return "too_few_customers" if isinstance(error, TooFewCustomers) else "not_converged"


def outcome_of(
    model_name: str, cutoff_role: str, cutoff_date: date | None, fit: BgNbdFit | GammaGammaFit | FitNotConverged
) -> FitOutcome:
    if isinstance(fit, FitNotConverged):
        return FitOutcome(model_name, cutoff_role, cutoff_date, failure_status(fit), str(fit), None, None, {})
    return FitOutcome(
        model_name, cutoff_role, cutoff_date, "converged", None, fit.customer_count, fit.log_likelihood,
        dict(vars(fit.parameters)),
    )


def fit_or_failure(
    fit: Callable[..., BgNbdFit | GammaGammaFit], *arguments: Any, **options: Any
) -> BgNbdFit | GammaGammaFit | FitNotConverged:
    try:
        return fit(*arguments, **options)
    except FitNotConverged as error:
        return error


def predictions_at_cutoff(
    model_version: int,
    cutoff_role: str,
    histories: list[np.ndarray],
    bg_nbd: BgNbdFit | FitNotConverged,
    gamma_gamma: GammaGammaFit | FitNotConverged,
    settings: CustomerValueSettings,
) -> pa.Table:
    """One row per distinct history: BG/NBD's predictions and Gamma-Gamma's shrinkage of the customer's own
    mean spend toward the population mean, null where that fit failed. Expected spend is linear in the
    customer's mean spend m_x, E[M] = w * population mean + (1 - w) * m_x, so SQL finishes it per customer
    without a row per spend value here."""
    frequency, recency, age, _ = histories
    count = frequency.size
    missing = np.full(count, np.nan)
    if isinstance(bg_nbd, BgNbdFit):
        parameters = bg_nbd.parameters
        purchases = customer_value.expected_purchases(parameters, settings.horizon_days, frequency, recency, age)
        alive = customer_value.probability_alive(parameters, frequency, recency, age)
        discounted = customer_value.discounted_expected_purchases(
            parameters, settings.horizon_days, settings.yearly_discount_rate, frequency, recency, age
        )
    else:
        purchases = alive = discounted = missing
    if isinstance(gamma_gamma, GammaGammaFit):
        weight = customer_value.spend_population_weight(gamma_gamma.parameters, frequency)
        population_mean = np.full(count, gamma_gamma.parameters.population_mean_spend)
    else:
        weight = population_mean = missing
    return pa.table(
        {
            "model_version": pa.array(np.full(count, model_version, dtype=np.int64)),
            "cutoff_role": pa.array([cutoff_role] * count, pa.string()),
            "frequency": pa.array(frequency.astype(np.int64)),
            "recency_days": pa.array(recency.astype(np.int64)),
            "age_days": pa.array(age.astype(np.int64)),
            "horizon_days": pa.array(np.full(count, settings.horizon_days, dtype=np.int64)),
            # a value the closed forms could not evaluate is null rather than infinite
            **{
                name: pa.array(values, pa.float64(), mask=~np.isfinite(values))
                for name, values in (
                    ("expected_purchases", purchases),
                    ("probability_alive", alive),
                    ("discounted_expected_purchases", discounted),
                    ("spend_population_weight", weight),
                    ("population_mean_spend", population_mean),
                )
            },
        },
        schema=PREDICTIONS_SCHEMA,
    )


def versions_table(fitted_at: datetime, outcomes: list[FitOutcome]) -> pa.Table:
    """One row per fit; the version number is record_version's to give."""
    return pa.Table.from_pylist(
        [
            {
                "fitted_at": fitted_at,
                "model_name": outcome.model_name,
                "cutoff_role": outcome.cutoff_role,
                "cutoff_date": outcome.cutoff_date,
                "status": outcome.status,
                "is_converged": outcome.is_converged,
                "message": outcome.message,
                "customer_count": outcome.customer_count,
                "log_likelihood": outcome.log_likelihood,
                **{name: outcome.parameters.get(name) for name in BG_NBD_PARAMETERS + GAMMA_GAMMA_PARAMETERS},
            }
            for outcome in outcomes
        ],
        schema=VERSIONS_SCHEMA,
    )


def fit_customer_value(
    target: WarehouseTarget, dbt_vars: Mapping[str, Any], fitted_at: datetime
) -> list[FitOutcome]:
    """Fits both models at every cutoff as the next version (or the latest one when nothing changed),
    appends one row per fit to customer_value_model_versions and replaces customer_value_predictions; a
    failed fit is a row with its status, not an error. Needs the grouped history models built; `dbt_vars`
    are the run's vars with the defaults of dbt_project.yml. Run it through `target.call` (Spark runs it in
    a process of its own)."""
    settings = CustomerValueSettings.from_vars(dbt_vars)
    outcomes: list[FitOutcome] = []
    fits = []
    for cutoff_role in CUTOFF_ROLES:
        role = f"cutoff_role = '{cutoff_role}'"
        history_columns = ("frequency", "recency_days", "age_days", "fit_customer_count")
        history_table = target.query_table(
            f"select {', '.join(history_columns)}, cutoff_date from {HISTORIES_TABLE} "
            f"where {role} order by frequency, recency_days, age_days"
        )
        spend_columns = ("frequency", "average_repeat_purchase_value", "customer_count")
        spend_table = target.query_table(
            f"select {', '.join(spend_columns)} from {SPEND_HISTORIES_TABLE} "
            # ordered, so that every run and every warehouse sums the likelihood in the same order
            f"where {role} order by frequency, average_repeat_purchase_value"
        )
        cutoff_date = first_cutoff_date(history_table)
        # every distinct history, weighted by its customers in the fit sample (none for some)
        histories = float_columns(history_table, history_columns)
        sampled = histories[3] > 0
        bg_nbd = fit_or_failure(
            customer_value.fit_bg_nbd, *(column[sampled] for column in histories),
            min_repeat_customers=settings.min_repeat_customers,
        )
        gamma_gamma = fit_or_failure(
            customer_value.fit_gamma_gamma, *float_columns(spend_table, spend_columns),
            min_repeat_customers=settings.min_repeat_customers,
        )
        outcomes += [
            outcome_of("bg_nbd", cutoff_role, cutoff_date, bg_nbd),
            outcome_of("gamma_gamma", cutoff_role, cutoff_date, gamma_gamma),
        ]
        fits.append((cutoff_role, histories, bg_nbd, gamma_gamma))
    # versions count up from 1, as the churn model's do; refitting the same model keeps its version
    model_version = record_version(target, VERSIONS_TABLE, versions_table(fitted_at, outcomes), "fitted_at")
    predictions = [predictions_at_cutoff(model_version, *fit, settings) for fit in fits]
    target.write_table(PREDICTIONS_TABLE, pa.concat_tables(predictions), append=False)
    return outcomes


def log_fit_outcomes(outcomes: list[FitOutcome], logger: logging.Logger | logging.LoggerAdapter) -> None:
    """One line per fit: its parameters, or a warning that its predictions are null and why."""
    for outcome in outcomes:
        if outcome.is_converged:
            parameters = ", ".join(f"{name}={value:.4g}" for name, value in outcome.parameters.items())
            logger.info(
                "customer value: %s at the %s cutoff fitted: %s", outcome.model_name, outcome.cutoff_role, parameters
            )
        else:
            logger.warning(
                "customer value: %s at the %s cutoff not fitted (%s), its predictions are null: %s",
                outcome.model_name, outcome.cutoff_role, outcome.status, outcome.message,
            )
