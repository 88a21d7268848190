"""Customer value by the "buy till you die" models, fitted by maximum likelihood.

* BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive, a customer buys
  at rate ``lambda ~ Gamma(r, alpha)``; after each purchase they drop out with probability
  ``p ~ Beta(a, b)``. A customer's history is ``frequency`` x (repeat purchases after the first),
  ``recency`` t_x (first to last purchase) and ``age`` T (first purchase to the cutoff), all in days.
* Gamma-Gamma (Colombo & Jiang 1999; Fader, Hardie & Lee 2005, "RFM and CLV"): each repeat purchase's value
  is ``Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)`` per customer, independent of the purchase process. It is
  fitted on customers with repeat purchases, from their average repeat-purchase value m_x.

Every function takes arrays of distinct histories; fits also take ``customer_count``, how many customers
share each history, so a fit never needs one row per customer. All of it is vectorised numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

# Fits run on days divided by the mean age and spend divided by the mean spend, so that every parameter is
# of order 1 whatever the shop's pace and currency. They are searched on a log scale within [1e-4, 1e4]; an
# optimum on that edge means the data do not identify the parameter (e.g. every customer spending the same
# drives Gamma-Gamma's p and q to infinity).
LOG_PARAMETER_BOUND = math.log(1e4)
BOUND_TOLERANCE = 1e-3
# What the optimiser sees where the likelihood is not finite, so that it steps back instead of following.
NON_FINITE_OBJECTIVE = 1e300
DAYS_PER_YEAR = 365.0
# Predicted value discounts the expected purchases of each period of this many days at its end.
DISCOUNT_PERIOD_DAYS = 30

FloatArray = NDArray[np.float64]


class FitNotConverged(RuntimeError):
    """A model could not be fitted to the histories; the message names the model and the reason."""


class TooFewCustomers(FitNotConverged):
    """Too few customers with repeat purchases for a fit to mean anything, so none was tried."""


@dataclass(frozen=True)
class BgNbdParameters:
    """BG/NBD parameters: purchase rate ``Gamma(r, alpha)`` (alpha in days), dropout ``Beta(a, b)``."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParameters:
    """Gamma-Gamma parameters: a purchase's value is ``Gamma(p, nu)``, ``nu ~ Gamma(q, gamma)``."""

    p: float
    q: float
    gamma: float

    @property
    def population_mean_spend(self) -> float:
        """Mean value of a purchase over all customers, ``p * gamma / (q - 1)`` (finite as q > 1)."""
        return self.p * self.gamma / (self.q - 1.0)


@dataclass(frozen=True)
class BgNbdFit:
    parameters: BgNbdParameters
    log_likelihood: float
    customer_count: int
    iterations: int


@dataclass(frozen=True)
class GammaGammaFit:
    parameters: GammaGammaParameters
    log_likelihood: float
    customer_count: int
    iterations: int


def as_float_arrays(*values: ArrayLike) -> list[FloatArray]:
    arrays = np.broadcast_arrays(*(np.asarray(value, dtype=np.float64) for value in values))
    return [np.asarray(array, dtype=np.float64) for array in arrays]


def bg_nbd_log_likelihood(
    parameters: BgNbdParameters, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """Log-likelihood of each history (the paper's equation 6)."""
    return bg_nbd_log_likelihood_and_gradient(parameters, frequency, recency, age)[0]


def bg_nbd_log_likelihood_and_gradient(
    parameters: BgNbdParameters, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood of each history (the paper's equation 6), and its derivatives by r, alpha, a and b, one
    row per history: the fit needs them exact, since finite differences cost five evaluations a step."""
    x, t_x, big_t = as_float_arrays(frequency, recency, age)
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    log_alpha_t = np.log(alpha + big_t)
    log_alpha_t_x = np.log(alpha + t_x)
    # B(a, b + x) / B(a, b) and B(a + 1, b + x - 1) / B(a, b) through log-gamma, which is several times
    # faster than log-beta and shares Gamma(a + b + x) between them
    log_gamma_a_b_x = gammaln(a + b + x)
    log_beta_a_b = gammaln(b) - gammaln(a + b)
    log_a1 = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
    log_a2 = gammaln(b + x) - log_gamma_a_b_x - log_beta_a_b - (r + x) * log_alpha_t
    # the dropout-after-last-purchase term exists only with repeat purchases; x = 0 would give B(a+1, b-1)
    repeat = x > 0
    b_x_less_1 = b + np.where(repeat, x, 1.0) - 1.0
    log_a3 = np.where(
        repeat, math.log(a) + gammaln(b_x_less_1) - log_gamma_a_b_x - log_beta_a_b - (r + x) * log_alpha_t_x, -np.inf
    )
    log_a2_plus_a3 = np.logaddexp(log_a2, log_a3)
    # each term's share of A2 + A3 weighs its derivatives; A3's is 0 without repeat purchases
    share_2 = np.exp(log_a2 - log_a2_plus_a3)
    share_3 = np.exp(log_a3 - log_a2_plus_a3)
    digamma_a_b_x = digamma(a + b + x)
    digamma_b_a_b = digamma(b) - digamma(a + b)
    gradient = np.column_stack([
        digamma(r + x) - digamma(r) + math.log(alpha) - share_2 * log_alpha_t - share_3 * log_alpha_t_x,
        r / alpha - (r + x) * (share_2 / (alpha + big_t) + share_3 / (alpha + t_x)),
        digamma(a + b) - digamma_a_b_x + share_3 / a,
        share_2 * digamma(b + x) + share_3 * digamma(b_x_less_1) - digamma_a_b_x - digamma_b_a_b,
    ])
    return log_a1 + log_a2_plus_a3, gradient


def gamma_gamma_log_likelihood(
    parameters: GammaGammaParameters, frequency: ArrayLike, average_spend: ArrayLike
) -> FloatArray:
    """Log-density of each customer's average spend m_x over x purchases (x > 0, m_x > 0)."""
    return gamma_gamma_log_likelihood_and_gradient(parameters, frequency, average_spend)[0]


def gamma_gamma_log_likelihood_and_gradient(
    parameters: GammaGammaParameters, frequency: ArrayLike, average_spend: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Log-density of each customer's average spend m_x over x purchases (x > 0, m_x > 0), and its
    derivatives by p, q and gamma, one row per customer."""
    x, m_x = as_float_arrays(frequency, average_spend)
    p, q, gamma = parameters.p, parameters.q, parameters.gamma
    log_total_spend_scale = np.log(gamma + x * m_x)
    log_density = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1.0) * np.log(m_x)
        + p * x * np.log(x)
        - (p * x + q) * log_total_spend_scale
    )
    digamma_px_q = digamma(p * x + q)
    gradient = np.column_stack([
        x * (digamma_px_q - digamma(p * x) + np.log(m_x) + np.log(x) - log_total_spend_scale),
        digamma_px_q - digamma(q) + math.log(gamma) - log_total_spend_scale,
        q / gamma - (p * x + q) / (gamma + x * m_x),
    ])
    return log_density, gradient


def maximize(
    model: str,
    names: tuple[str, ...],
    log_likelihood_and_gradient: Callable[[FloatArray], tuple[FloatArray, FloatArray]],
    weights: FloatArray,
    start: FloatArray,
) -> tuple[FloatArray, int]:
    """Maximises the weighted mean log-likelihood over log-parameters, given each history's log-likelihood
    and its derivatives by the parameters, and returns the parameters and the iteration count; raises
    FitNotConverged when the optimiser fails or ends on the edge of the search."""
    total_weight = float(weights.sum())

    def objective_and_gradient(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        parameters = np.exp(log_parameters)
        log_likelihoods, gradients = log_likelihood_and_gradient(parameters)
        value = -float(np.dot(weights, log_likelihoods)) / total_weight
        # by the chain rule, d/d(log theta) = theta d/d(theta)
        gradient = -(weights @ gradients) * parameters / total_weight
        if not (math.isfinite(value) and np.all(np.isfinite(gradient))):
            return NON_FINITE_OBJECTIVE, np.zeros_like(log_parameters)
        return value, gradient

    result = minimize(
        objective_and_gradient,
        np.clip(start, -LOG_PARAMETER_BOUND, LOG_PARAMETER_BOUND),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_PARAMETER_BOUND, LOG_PARAMETER_BOUND)] * len(start),
        options={"maxiter": 1000},
    )
    values = np.exp(result.x)
    if not result.success:
        raise FitNotConverged(f"The {model} fit did not converge: {result.message}.")
    if not np.all(np.isfinite(values)) or not result.fun < NON_FINITE_OBJECTIVE:
        raise FitNotConverged(f"The {model} fit ended on a non-finite likelihood or parameter.")
    at_bound = [
        name for name, value in zip(names, result.x, strict=True)
        if abs(value) > LOG_PARAMETER_BOUND - BOUND_TOLERANCE
    ]
    if at_bound:
        raise FitNotConverged(
            f"The {model} fit ran {', '.join(at_bound)} to the edge of its search range: the histories do not "
            "identify it."
        )
    return values, int(result.nit)


def check_customers(model: str, customer_count: FloatArray, has_repeat: NDArray[np.bool_], minimum: int) -> None:
    if np.any(customer_count < 0) or not np.all(np.isfinite(customer_count)):
        raise ValueError(f"The {model} fit needs non-negative customer counts.")
    repeat_customers = int(customer_count[has_repeat].sum())
    if repeat_customers < max(minimum, 1):
        raise TooFewCustomers(
            f"The {model} fit needs at least {max(minimum, 1)} customers with repeat purchases and has "
            f"{repeat_customers} (of {int(customer_count.sum())})."
        )


def fit_bg_nbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    customer_count: ArrayLike,
    *,
    min_repeat_customers: int,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters for histories shared by ``customer_count`` customers each; fewer
    than ``min_repeat_customers`` customers with repeat purchases raise TooFewCustomers."""
    x, t_x, big_t, weights = as_float_arrays(frequency, recency, age, customer_count)
    model = "BG/NBD"
    if np.any((x < 0) | (t_x < 0) | (t_x > big_t)) or np.any((x > 0) & (t_x <= 0)):
        raise ValueError(f"The {model} fit needs 0 <= recency <= age and a positive recency for repeat purchases.")
    check_customers(model, weights, x > 0, min_repeat_customers)

    days_scale = float(np.dot(weights, big_t) / weights.sum())

    def log_likelihood_and_gradient(values: FloatArray) -> tuple[FloatArray, FloatArray]:
        return bg_nbd_log_likelihood_and_gradient(
            BgNbdParameters(*values), x, t_x / days_scale, big_t / days_scale
        )

    # start with the mean rate r / alpha at the repeat purchases per mean age, the dropout parameters at 1
    repeat_purchases_per_mean_age = float(np.dot(weights, x) / weights.sum())
    start = np.log(np.array([1.0, 1.0 / repeat_purchases_per_mean_age, 1.0, 1.0]))
    values, iterations = maximize(model, ("r", "alpha", "a", "b"), log_likelihood_and_gradient, weights, start)
    r, alpha_scaled, a, b = map(float, values)
    parameters = BgNbdParameters(r=r, alpha=alpha_scaled * days_scale, a=a, b=b)
    log_likelihood_value = float(np.dot(weights, bg_nbd_log_likelihood(parameters, x, t_x, big_t)))
    return BgNbdFit(parameters, log_likelihood_value, int(weights.sum()), iterations)


def fit_gamma_gamma(
    frequency: ArrayLike, average_spend: ArrayLike, customer_count: ArrayLike, *, min_repeat_customers: int
) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from the customers with repeat purchases of positive value
    (the others are left out, as the model describes repeat purchases only); fewer than
    ``min_repeat_customers`` of them raise TooFewCustomers."""
    x, m_x, weights = as_float_arrays(frequency, average_spend, customer_count)
    model = "Gamma-Gamma"
    usable = (x > 0) & (m_x > 0)
    check_customers(model, weights, usable, min_repeat_customers)
    x, m_x, weights = x[usable], m_x[usable], weights[usable]

    spend_scale = float(np.dot(weights, m_x) / weights.sum())

    def log_likelihood_and_gradient(values: FloatArray) -> tuple[FloatArray, FloatArray]:
        return gamma_gamma_log_likelihood_and_gradient(GammaGammaParameters(*values), x, m_x / spend_scale)

    values, iterations = maximize(
        model, ("p", "q", "gamma"), log_likelihood_and_gradient, weights, np.log([1.0, 2.0, 1.0])
    )
    p, q, gamma_scaled = map(float, values)
    parameters = GammaGammaParameters(p=p, q=q, gamma=gamma_scaled * spend_scale)
    if parameters.q <= 1.0:
        raise FitNotConverged(
            f"The {model} fit gave q = {parameters.q:.3g} <= 1, for which the mean spend is infinite."
        )
    log_likelihood_value = float(np.dot(weights, gamma_gamma_log_likelihood(parameters, x, m_x)))
    return GammaGammaFit(parameters, log_likelihood_value, int(weights.sum()), iterations)


def expected_purchases_of_new_customer(parameters: BgNbdParameters, t: ArrayLike) -> FloatArray:
    """E[X(t)]: purchases in the first t days of a randomly chosen new customer (the paper's equation 7)."""
    (t,) = as_float_arrays(t)
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    return (a + b - 1.0) / (a - 1.0) * (
        1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
    )


def probability_alive(
    parameters: BgNbdParameters, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """P(alive at the cutoff | history); 1 without repeat purchases, as BG/NBD only drops out after one."""
    x, t_x, big_t = as_float_arrays(frequency, recency, age)
    return 1.0 / (1.0 + alive_odds_term(parameters, x, t_x, big_t))


def alive_odds_term(parameters: BgNbdParameters, x: FloatArray, t_x: FloatArray, big_t: FloatArray) -> FloatArray:
    """``delta(x > 0) a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)``, the odds of having dropped out."""
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    x_repeat = np.where(x > 0, x, 1.0)
    odds = a / (b + x_repeat - 1.0) * np.exp((r + x_repeat) * (np.log(alpha + big_t) - np.log(alpha + t_x)))
    return np.where(x > 0, odds, 0.0)


def expected_purchases(
    parameters: BgNbdParameters, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """E[Y(t) | history]: purchases expected in the t days after the cutoff (the paper's equation 10)."""
    t, x, t_x, big_t = as_float_arrays(t, frequency, recency, age)
    r, alpha, a, b = parameters.r, parameters.alpha, parameters.a, parameters.b
    shape = r + x
    tail = (
        1.0
        - ((alpha + big_t) / (alpha + big_t + t)) ** shape
        * hyp2f1(shape, b + x, a + b + x - 1.0, t / (alpha + big_t + t))
    )
    return (a + b + x - 1.0) / (a - 1.0) * tail / (1.0 + alive_odds_term(parameters, x, t_x, big_t))


def spend_population_weight(parameters: GammaGammaParameters, frequency: ArrayLike) -> FloatArray:
    """Weight of the population mean in a customer's expected spend, ``(q - 1) / (p x + q - 1)``: 1 without
    repeat purchases, shrinking as they add up."""
    (x,) = as_float_arrays(frequency)
    p, q = parameters.p, parameters.q
    return (q - 1.0) / (p * x + q - 1.0)


def expected_average_spend(
    parameters: GammaGammaParameters, frequency: ArrayLike, average_spend: ArrayLike
) -> FloatArray:
    """E[M | x, m_x] = w * population mean + (1 - w) * m_x with w = spend_population_weight; the population
    mean for customers without repeat purchases (their m_x is not used)."""
    x, m_x = as_float_arrays(frequency, average_spend)
    weight = spend_population_weight(parameters, x)
    own_spend = np.where(x > 0, m_x, 0.0)
    return weight * parameters.population_mean_spend + (1.0 - weight) * own_spend


def discounted_expected_purchases(
    parameters: BgNbdParameters,
    horizon_days: int,
    yearly_discount_rate: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
) -> FloatArray:
    """Expected purchases over the horizon, each period's discounted to the cutoff:

        sum over k = 1..n of (E[Y(t_k) | history] - E[Y(t_(k-1)) | history]) / (1 + d) ^ (t_k / 365)

    with t_k = min(30 k, H) days, t_0 = 0, n = ceil(H / 30), H the horizon and d the yearly discount rate
    (a period's purchases are discounted at its end). Predicted value is this times the expected spend.
    """
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be positive, got {horizon_days}.")
    x, t_x, big_t = as_float_arrays(frequency, recency, age)
    period_count = math.ceil(horizon_days / DISCOUNT_PERIOD_DAYS)
    period_ends = np.minimum(DISCOUNT_PERIOD_DAYS * np.arange(1, period_count + 1), horizon_days).astype(np.float64)
    # a last axis of period ends: (histories..., periods)
    cumulative = expected_purchases(
        parameters, period_ends, x[..., np.newaxis], t_x[..., np.newaxis], big_t[..., np.newaxis]
    )
    per_period = np.diff(cumulative, axis=-1, prepend=0.0)
    discount = (1.0 + yearly_discount_rate) ** (-period_ends / DAYS_PER_YEAR)
    return per_period @ discount
