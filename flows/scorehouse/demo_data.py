"""Deterministic synthetic shop data: the input contract scorehouse scores.

Writes ``customers``, ``orders``, ``order_items``, ``events``,
``nps_responses``, ``campaign_sends``, ``campaign_responses`` and
``customer_attributes`` as Parquet or CSV, with optional bad order rows for
quarantine tests. Customers are simulated in fixed-size chunks with numpy and
streamed to disk, so memory stays flat from a thousand to ten million
customers, and the same arguments always give the same rows.

The behaviour follows the stories the scoring models assume, so their scores
mean something. Two profiles (``PROFILES``, ``--profile``) set how customers
are acquired and behave:

* ``retail`` (default): a growing shop, sign-ups rising over three years; like
  real retail, most buyers order once and a tenth of the buyers bring half the
  revenue.
* ``lapsed_cohort``: one cohort signed up in the first 60 days, followed for
  three years; most of it has long lapsed, and a fifth of the cohort makes a
  first purchase at any time later (reactivated sign-ups), so new customers
  still appear among the few recent ones.

Both follow the same stories:

* Purchases (BG/NBD): purchase rate per day ``lambda ~ Gamma(r=0.6,
  scale=1/40)`` (``1/30`` in the cohort), dropout probability after each
  purchase ``p ~ Beta(1.6, 2.0)``, purchases until dropout ``~ Geometric(p)``
  capped at 300, exponential gaps between purchases, first purchase an
  exponential delay (mean 10 days) after sign-up. 11 % of customers are
  prospects who never buy; late sign-ups add to them.
* Spend (Gamma-Gamma): each customer has a spend rate ``nu ~ Gamma(2.2,
  scale=1/24)``, a shape near 2 for a long tail; an order's value is
  ``Gamma(4, scale=1/nu)``, at most 50,000, split over 1-4 items whose cents
  add up to the order amount exactly (minimum 1.00 each).
* Events arrive at 4 x the purchase rate while a customer is active, then
  decay with a 45-day time constant after dropout; prospects get a fading
  stream of mostly email events after sign-up.
* NPS: 20 % of buyers answer once or twice; the score follows satisfaction
  ``1 - p``, so loyal customers score higher.
* Demographics barely matter: acquisition channel scales the purchase rate by
  0.9-1.15, age scales spend by at most 15 %.
* Campaigns: three (email, sms, push) go out 60, 40 and 20 days before the end
  date, each to a random share of the customers signed up by then, with 10-20 %
  of them held out as a control group. A customer still active at the send
  (bought, not yet dropped out) responds (a purchase, valued like an order) at
  their own purchase rate; a treated one also at that rate times the
  campaign's lift during the 14 days after it. Lapsed customers and those yet
  to buy respond rarely, and a campaign adds almost nothing for them. So the
  uplift is largest for frequent active buyers and near zero for lapsed ones.
  Responses are recorded for 30 days after a send; they are simulated apart
  from the orders, which they leave unchanged.
* Customer attributes (the contract's shipped example): 85 % of customers have
  a row, the others none. A quarter are loyalty members, the odds rising with
  the orders they placed (about 10 % of prospects, 20 % of one-order buyers,
  over half of those with five orders or more); events attended is mostly 0
  with a long tail (negative binomial, five times the mean for members); a
  social engagement score, log-normal around 4, is empty for 40 % of rows.
  They are drawn from a stream of their own, so the other files are the same
  with or without them.
* Second accounts: 2 % of customers signed up with the email of another
  customer of their chunk, typed in upper case; scoring counts both as one
  person. They come from a stream of their own too.

Measured with seed 7 and 100,000 customers of ``retail``: 12.1 % prospects,
1.80 orders per customer (2.05 per buyer; 61 % of buyers order once, 19 %
twice, 1.7 % ten times or more, at most 129), mean order 79.55 (median 46.70),
the tenth of buyers who spend most bring about half the revenue, 6.5 events
per customer. ``lapsed_cohort``: 10.8 % prospects, 2.38 orders per customer
(52 % of buyers order once), over 80 % of buyers without an order in the last
year.

``orders_per_customer`` asks for another order volume. Each buyer's purchase
rate is multiplied by one volume factor and their dropout probability divided
by it: the rate of dropping out per day (rate x probability) stays the same,
so customers stay active about as long as before but buy more often while
they are. The factor is solved from the BG/NBD expected number of orders over
a sample of customers. Events and NPS follow the unscaled traits, so scaling
orders barely changes them. Chunks hold fewer customers as the factor grows,
which keeps the orders per chunk, and so memory, level. Measured with seed 7
and 100,000 customers of ``retail``, asking for 10 gives 10.06 orders per
customer (17 % of buyers order once, 11 % twice, 35 % ten times or more,
median 6, 0.01 % at the cap of 300) and 8.0 events per customer; asking for 50
gives 47.0, held back by the cap.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from tqdm import tqdm

# Fixed so that output depends only on the arguments; changing it changes the data.
CHUNK_CUSTOMERS = 200_000
HISTORY_YEARS = 3
FILE_FORMATS = ("parquet", "csv")

# Customer ids have 8 digits, and ids from C90000000 up are reserved for
# unknown-customer defects.
UNKNOWN_CUSTOMER_FIRST_NUMBER = 90_000_000
MAX_CUSTOMERS = UNKNOWN_CUSTOMER_FIRST_NUMBER - 1

COUNTRY_SHARES = {
    "US": 0.35, "GB": 0.14, "DE": 0.12, "FR": 0.10, "CA": 0.05,
    "NL": 0.06, "ES": 0.06, "IT": 0.05, "SE": 0.04, "AU": 0.03,
}
GENDER_SHARES = {"female": 0.49, "male": 0.47, "nonbinary": 0.04}
# Acquisition channel -> (share, purchase-rate multiplier).
CHANNELS = {
    "organic": (0.30, 1.00),
    "paid_search": (0.22, 0.95),
    "social": (0.18, 0.90),
    "email": (0.10, 1.05),
    "referral": (0.12, 1.15),
    "affiliate": (0.08, 0.90),
}
EMAIL_NULL_SHARE = 0.03
# marketing consent: true, false, and the rest unanswered
CONSENT_TRUE_SHARE = 0.72
CONSENT_FALSE_SHARE = 0.18
# customers whose account repeats another customer's email (a second sign-up)
SECOND_ACCOUNT_SHARE = 0.02
GENDER_NULL_SHARE = 0.08
BIRTH_YEAR_NULL_SHARE = 0.05
AGE_MEAN, AGE_SD, AGE_MIN, AGE_MAX = 40.0, 13.0, 18, 85
PROSPECT_SHARE = 0.11
FIRST_ORDER_DELAY_MEAN_DAYS = 10.0
MAX_ORDERS_PER_CUSTOMER = 300
ORDER_VALUE_SHAPE = 4.0
# the largest basket: Gamma-Gamma spend has no upper end, and at 100M orders eleven went above the default
# max_order_amount (100,000), a check that stops the delivery
MAX_ORDER_VALUE = 50_000.0
AGE_SPEND_SLOPE = 0.005
AGE_SPEND_LIMIT = 0.15
ITEMS_PER_ORDER_SHARES = (0.55, 0.25, 0.13, 0.07)
QUANTITY_GEOMETRIC_P = 0.75
MAX_QUANTITY = 6
MIN_UNIT_PRICE_CENTS = 100
STATUS_SHARES = {"completed": 0.92, "cancelled": 0.05, "refunded": 0.03}
CATEGORY_SHARES = {
    "electronics": 0.14, "home": 0.13, "beauty": 0.11, "fashion": 0.16,
    "sports": 0.08, "toys": 0.07, "books": 0.09, "grocery": 0.10,
    "garden": 0.05, "pets": 0.07,
}
PRODUCTS_PER_CATEGORY = 10_000
# Product rank is PRODUCTS_PER_CATEGORY * u ** this: a few best sellers, a long tail.
PRODUCT_POPULARITY_EXPONENT = 3.0

EVENTS_PER_PURCHASE_RATE = 4.0
EVENT_DECAY_DAYS = 45.0
PROSPECT_EVENT_RATE_PER_DAY = 0.1
PROSPECT_EVENT_DECAY_DAYS = 30.0
ENGAGED_EVENT_SHARES = {"page_view": 0.55, "email_open": 0.25, "add_to_cart": 0.13, "email_click": 0.07}
# Once interest fades, marketing email keeps arriving but browsing stops.
FADING_EVENT_SHARES = {"page_view": 0.25, "email_open": 0.55, "add_to_cart": 0.05, "email_click": 0.15}

NPS_RESPONSE_SHARE = 0.20
NPS_SECOND_RESPONSE_SHARE = 0.30
NPS_RESPONSE_WINDOW_AFTER_LAST_ORDER_DAYS = 60.0
NPS_BASE_SCORE = 1.5
NPS_SATISFACTION_SLOPE = 8.5
NPS_NOISE_SD = 1.5

ATTRIBUTE_ROW_SHARE = 0.85
# Membership log-odds = base + slope * ln(1 + orders placed): about a quarter of all customers.
LOYALTY_BASE_LOG_ODDS = -2.2
LOYALTY_ORDERS_LOG_ODDS = 1.2
# Events attended ~ negative binomial with this dispersion (small: mostly 0, a long tail) and these means.
EVENTS_ATTENDED_DISPERSION = 0.35
EVENTS_ATTENDED_MEAN = 0.3
EVENTS_ATTENDED_MEMBER_MEAN = 1.5
SOCIAL_ENGAGEMENT_MEDIAN = 4.0
SOCIAL_ENGAGEMENT_LOG_SD = 1.1
SOCIAL_ENGAGEMENT_NULL_SHARE = 0.40


@dataclass(frozen=True)
class Profile:
    """How a customer base is acquired and behaves; each profile is a shop history the segments must describe."""

    description: str
    # Sign-up day is window_days * signup_span_share * u ** signup_growth_exponent: an exponent below 1 puts
    # more sign-ups late (a growing shop), a span share below 1 acquires everyone early (one cohort).
    signup_span_share: float
    signup_growth_exponent: float
    # Share of buyers whose first purchase comes at any time after sign-up (uniform up to the end date)
    # rather than an exponential FIRST_ORDER_DELAY_MEAN_DAYS later: reactivated sign-ups of an old cohort.
    late_first_order_share: float
    purchase_rate_shape: float
    purchase_rate_scale: float
    dropout_beta_a: float
    dropout_beta_b: float
    # Spend rate nu ~ Gamma(shape, scale), mean order value ORDER_VALUE_SHAPE / nu: a shape near 2 gives
    # the long tail of spend of real retail (1 / nu has no variance at 2).
    spend_rate_shape: float
    spend_rate_scale: float


PROFILES = {
    "retail": Profile(
        description="a growing shop: sign-ups rise over the history, most buyers order once, spend has a long tail",
        signup_span_share=1.0,
        signup_growth_exponent=2 / 3,
        late_first_order_share=0.0,
        purchase_rate_shape=0.6,
        purchase_rate_scale=1 / 40,
        dropout_beta_a=1.6,
        dropout_beta_b=2.0,
        spend_rate_shape=2.2,
        spend_rate_scale=1 / 24,
    ),
    "lapsed_cohort": Profile(
        description="one acquisition cohort in the first 60 days, followed for three years: most of it has lapsed",
        signup_span_share=60 / 1096,
        signup_growth_exponent=1.0,
        late_first_order_share=0.2,
        purchase_rate_shape=0.6,
        purchase_rate_scale=1 / 30,
        dropout_beta_a=1.6,
        dropout_beta_b=2.0,
        spend_rate_shape=2.2,
        spend_rate_scale=1 / 24,
    ),
}
DEFAULT_PROFILE = "retail"


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    channel: str
    days_before_end: int  # sent on the end date minus this many days
    audience_share: float  # of the customers signed up before the send day
    control_share: float  # of the audience, held out
    rate_lift: float  # extra purchase rate of treated active customers, as a multiple of their own


CAMPAIGNS = (
    Campaign("CMP01", "email", 60, 0.50, 0.15, 1.0),
    Campaign("CMP02", "sms", 40, 0.25, 0.10, 1.5),
    Campaign("CMP03", "push", 20, 0.35, 0.20, 0.6),
)
SEND_HOUR = 9.0
SEND_SPREAD_HOURS = 2.0
CAMPAIGN_LIFT_DAYS = 14.0
CAMPAIGN_RESPONSE_HORIZON_DAYS = 30.0
# Response rate per day of customers not active at the send (lapsed, or yet to buy), and what a campaign adds.
DORMANT_RESPONSE_RATE = 0.0005
DORMANT_LIFT_RATE = 0.0002
RESPONSE_TYPE = "purchase"

DEFECT_KINDS = ("duplicate_order", "null_customer_id", "negative_amount", "future_ordered_at", "unknown_customer")
DEFECT_SHARE_OF_ORDERS = 0.001
MIN_DEFECTS_PER_KIND = 3
FUTURE_ORDER_MAX_DAYS = 30.0
DEFECTS_FILE = "defects.json"

# Mean orders per customer that --orders-per-customer accepts; towards 50 the
# cap on purchases per customer holds the mean below the request (-9 % at 50).
ORDERS_PER_CUSTOMER_RANGE = (1.0, 50.0)
# Where the volume factor is searched; that range needs about 0.17 to 24.
VOLUME_FACTOR_RANGE = (1 / 64, 64.0)
# Enough for factors solved from different seeds to agree within 1 %.
CALIBRATION_CUSTOMERS = 100_000
CALIBRATION_STEPS = 40

# spawn_key roots: one independent stream per chunk, one for defects, one for
# the sample that calibrates the order volume, one per chunk for campaigns, one
# per chunk for customer attributes and one per chunk for marketing consent (so
# that adding them left the other files as they were).
CHUNK_STREAM = 0
DEFECT_STREAM = 1
CALIBRATION_STREAM = 2
CAMPAIGN_STREAM = 3
ATTRIBUTE_STREAM = 4
CONSENT_STREAM = 5
DUPLICATE_STREAM = 6

SECONDS_PER_DAY = 86_400
MONEY = pa.decimal128(12, 2)
TIMESTAMP = pa.timestamp("s")

SCHEMAS = {
    "customers": pa.schema([
        ("customer_id", pa.string()),
        ("created_at", TIMESTAMP),
        ("email", pa.string()),
        ("country", pa.string()),
        ("birth_year", pa.int32()),
        ("gender", pa.string()),
        ("acquisition_channel", pa.string()),
        ("marketing_consent", pa.bool_()),
    ]),
    "orders": pa.schema([
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("ordered_at", TIMESTAMP),
        ("status", pa.string()),
        ("amount", MONEY),
    ]),
    "order_items": pa.schema([
        ("order_id", pa.string()),
        ("product_id", pa.string()),
        ("category", pa.string()),
        ("quantity", pa.int32()),
        ("unit_price", MONEY),
    ]),
    "events": pa.schema([
        ("customer_id", pa.string()),
        ("occurred_at", TIMESTAMP),
        ("event_type", pa.string()),
    ]),
    "nps_responses": pa.schema([
        ("customer_id", pa.string()),
        ("responded_at", TIMESTAMP),
        ("score", pa.int32()),
    ]),
    "campaign_sends": pa.schema([
        ("campaign_id", pa.string()),
        ("customer_id", pa.string()),
        ("sent_at", TIMESTAMP),
        ("channel", pa.string()),
        ("is_control", pa.bool_()),
    ]),
    "campaign_responses": pa.schema([
        ("campaign_id", pa.string()),
        ("customer_id", pa.string()),
        ("responded_at", TIMESTAMP),
        ("response_type", pa.string()),
        ("revenue", MONEY),
    ]),
    "customer_attributes": pa.schema([
        ("customer_id", pa.string()),
        ("is_loyalty_member", pa.bool_()),
        ("events_attended", pa.int32()),
        ("social_engagement_score", pa.float64()),
    ]),
}

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class GenerationSummary:
    """Rows written per file (defect rows included) and defect rows injected per kind."""

    row_counts: dict[str, int]
    defects: dict[str, int]


@dataclass(frozen=True)
class _TimeWindow:
    """The history covered: from end_date minus HISTORY_YEARS to the end of end_date."""

    end_date: date
    start_seconds: int
    end_seconds: int

    @classmethod
    def ending_on(cls, end_date: date) -> _TimeWindow:
        try:
            start = end_date.replace(year=end_date.year - HISTORY_YEARS)
        except ValueError:  # 29 February
            start = end_date.replace(year=end_date.year - HISTORY_YEARS, day=28)
        epoch = datetime(1970, 1, 1)
        start_seconds = int((datetime.combine(start, datetime.min.time()) - epoch).total_seconds())
        end = datetime.combine(end_date + timedelta(days=1), datetime.min.time())
        return cls(end_date, start_seconds, int((end - epoch).total_seconds()))

    @property
    def days(self) -> float:
        return (self.end_seconds - self.start_seconds) / SECONDS_PER_DAY

    def timestamps(self, days: np.ndarray) -> pa.Array:
        """Timestamps for offsets in days from the window start, clipped inside the window."""
        seconds = self.start_seconds + np.floor(days * SECONDS_PER_DAY).astype(np.int64)
        return pa.array(np.clip(seconds, self.start_seconds, self.end_seconds - 1), TIMESTAMP)


@dataclass(frozen=True)
class _Customers:
    """Observed attributes and latent traits of one chunk of customers."""

    ids: pa.Array
    signup_day: np.ndarray
    age: np.ndarray  # NaN where birth year is unknown
    is_prospect: np.ndarray
    purchase_rate: np.ndarray
    dropout_probability: np.ndarray
    spend_rate: np.ndarray


@dataclass(frozen=True)
class _Purchases:
    """Order times of one chunk, sorted by customer then time."""

    customer_index: np.ndarray
    day: np.ndarray
    orders_per_customer: np.ndarray
    has_dropped_out: np.ndarray
    first_order_day: np.ndarray  # NaN for customers without orders
    last_order_day: np.ndarray  # NaN for customers without orders


def generate(
    out_dir: Path,
    customers: int,
    seed: int = 7,
    end_date: date | None = None,
    file_format: str = "parquet",
    with_defects: bool = False,
    progress: ProgressCallback | None = None,
    orders_per_customer: float | None = None,
    profile: str = DEFAULT_PROFILE,
) -> GenerationSummary:
    """Write the eight input tables for `customers` simulated customers of `profile` (PROFILES) to `out_dir`.

    With `with_defects`, bad order rows are appended afterwards and counted in
    `out_dir/defects.json`; the normal rows are the same either way. With
    `orders_per_customer`, purchases are scaled to about that many orders per
    customer on average; without it, the profile's natural mix is kept (about 1.8 for retail).
    """
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise ValueError(f"customers must be between 1 and {MAX_CUSTOMERS:,}, got {customers:,}.")
    if seed < 0:
        raise ValueError(f"seed must be zero or positive, got {seed}.")
    if file_format not in FILE_FORMATS:
        raise ValueError(f"file format must be one of {', '.join(FILE_FORMATS)}, got {file_format!r}.")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}.")
    shop = PROFILES[profile]
    lowest, highest = ORDERS_PER_CUSTOMER_RANGE
    if orders_per_customer is not None and not lowest <= orders_per_customer <= highest:
        raise ValueError(
            f"orders per customer must be between {lowest:g} and {highest:g}, got {orders_per_customer:g}."
        )
    window = _TimeWindow.ending_on(end_date or date.today())
    volume = 1.0 if orders_per_customer is None else _volume_factor(orders_per_customer, seed, window, shop)
    chunk_customers = min(CHUNK_CUSTOMERS, math.ceil(CHUNK_CUSTOMERS / volume))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    row_counts = dict.fromkeys(SCHEMAS, 0)
    defect_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DEFECT_STREAM,)))
    defect_templates: list[pa.Table] = []
    with ExitStack() as stack:
        writers = {
            name: stack.enter_context(_open_writer(out_dir / f"{name}.{file_format}", schema, file_format))
            for name, schema in SCHEMAS.items()
        }
        for chunk_index, first_customer in enumerate(range(0, customers, chunk_customers)):
            chunk_size = min(chunk_customers, customers - first_customer)
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(CHUNK_STREAM, chunk_index)))
            campaign_rng, attribute_rng, consent_rng, duplicate_rng = (
                np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, chunk_index)))
                for stream in (CAMPAIGN_STREAM, ATTRIBUTE_STREAM, CONSENT_STREAM, DUPLICATE_STREAM)
            )
            tables = _generate_chunk(
                rng, campaign_rng, attribute_rng, first_customer + 1, chunk_size, row_counts["orders"] + 1, window,
                volume, shop,
            )
            customers_table = tables["customers"].append_column(
                SCHEMAS["customers"].field("marketing_consent"), _marketing_consent(consent_rng, chunk_size)
            )
            email_index = customers_table.schema.get_field_index("email")
            tables["customers"] = customers_table.set_column(
                email_index, "email", _with_second_accounts(duplicate_rng, customers_table["email"].combine_chunks())
            )
            for name, table in tables.items():
                writers[name].write_table(table)
                row_counts[name] += table.num_rows
            if with_defects:
                defect_templates.append(_sample_defect_templates(tables["orders"], defect_rng))
            if progress is not None:
                progress(first_customer + chunk_size, customers)

        defects: dict[str, int] = {}
        if with_defects:
            defect_rows, defects = _defect_rows(
                pa.concat_tables(defect_templates), row_counts["orders"], defect_rng, window
            )
            writers["orders"].write_table(defect_rows)
            row_counts["orders"] += defect_rows.num_rows

    defects_path = out_dir / DEFECTS_FILE
    if with_defects:
        defects_path.write_text(json.dumps(defects, indent=2) + "\n")
    else:
        defects_path.unlink(missing_ok=True)
    return GenerationSummary(row_counts=row_counts, defects=defects)


def _open_writer(path: Path, schema: pa.Schema, file_format: str) -> pq.ParquetWriter | pa_csv.CSVWriter:
    if file_format == "parquet":
        return pq.ParquetWriter(path, schema)
    return pa_csv.CSVWriter(path, schema)


def _volume_factor(orders_per_customer: float, seed: int, window: _TimeWindow, shop: Profile) -> float:
    """The factor on purchase rates (and divisor of dropout probabilities) giving `orders_per_customer` on average.

    A buyer with purchase rate `rate`, dropout probability `p` and `days` left
    after the first order expects ``(1 / p - 1) * (1 - exp(-rate * p * days))``
    repeat orders (the BG/NBD mean, without the cap on purchases). Averaged over
    a sample of customers this grows with the factor, so bisection finds it.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(CALIBRATION_STREAM,)))
    sample, _ = _simulate_customers(rng, 1, CALIBRATION_CUSTOMERS, window, shop)
    first_order_day = _first_order_days(rng, sample.signup_day, window, shop)
    is_buyer = ~sample.is_prospect & (first_order_day < window.days)
    rate = sample.purchase_rate[is_buyer]
    dropout = sample.dropout_probability[is_buyer]
    days = window.days - first_order_day[is_buyer]

    def mean_orders(volume: float) -> float:
        scaled_dropout = np.minimum(dropout / volume, 1.0)
        repeats = (1.0 / scaled_dropout - 1.0) * -np.expm1(-rate * volume * scaled_dropout * days)
        return (len(rate) + repeats.sum()) / CALIBRATION_CUSTOMERS

    low, high = VOLUME_FACTOR_RANGE
    for _ in range(CALIBRATION_STEPS):
        middle = math.sqrt(low * high)
        if mean_orders(middle) < orders_per_customer:
            low = middle
        else:
            high = middle
    return math.sqrt(low * high)


def _generate_chunk(
    rng: np.random.Generator,
    campaign_rng: np.random.Generator,
    attribute_rng: np.random.Generator,
    first_customer_number: int,
    size: int,
    first_order_number: int,
    window: _TimeWindow,
    volume: float,
    shop: Profile,
) -> dict[str, pa.Table]:
    customers, customers_table = _simulate_customers(rng, first_customer_number, size, window, shop)
    purchases = _simulate_purchases(rng, customers, window, volume, shop)
    orders, order_items = _order_tables(rng, customers, purchases, first_order_number, window)
    tables = {
        "customers": customers_table,
        "orders": orders,
        "order_items": order_items,
        "events": _events_table(rng, customers, purchases, window),
        "nps_responses": _nps_table(rng, customers, purchases, window),
    }
    tables["campaign_sends"], tables["campaign_responses"] = _campaign_tables(
        campaign_rng, customers, purchases, window, volume
    )
    tables["customer_attributes"] = _customer_attributes_table(attribute_rng, customers, purchases)
    return tables


def _simulate_customers(
    rng: np.random.Generator, first_customer_number: int, size: int, window: _TimeWindow, shop: Profile
) -> tuple[_Customers, pa.Table]:
    ids = _prefixed_ids("C", np.arange(first_customer_number, first_customer_number + size), 8)
    signup_day = window.days * shop.signup_span_share * rng.random(size) ** shop.signup_growth_exponent
    country = _pick(rng, COUNTRY_SHARES, size)
    age = np.clip(np.round(rng.normal(AGE_MEAN, AGE_SD, size)), AGE_MIN, AGE_MAX)
    age[rng.random(size) < BIRTH_YEAR_NULL_SHARE] = np.nan
    birth_year = pa.array(window.end_date.year - age, pa.int32(), from_pandas=True)
    gender = _with_nulls(_pick(rng, GENDER_SHARES, size), rng.random(size) < GENDER_NULL_SHARE)
    channel_index = rng.choice(len(CHANNELS), size, p=[share for share, _ in CHANNELS.values()])
    channel = pc.take(pa.array(list(CHANNELS)), channel_index)
    email = pc.binary_join_element_wise(pc.utf8_lower(ids), "@example.com", "")
    email = _with_nulls(email, rng.random(size) < EMAIL_NULL_SHARE)

    rate_multiplier = np.array([multiplier for _, multiplier in CHANNELS.values()])[channel_index]
    # Beta draws can round to exactly 0, which Geometric rejects.
    dropout = np.clip(rng.beta(shop.dropout_beta_a, shop.dropout_beta_b, size), 1e-9, 1.0)
    customers = _Customers(
        ids=ids,
        signup_day=signup_day,
        age=age,
        is_prospect=rng.random(size) < PROSPECT_SHARE,
        purchase_rate=rng.gamma(shop.purchase_rate_shape, shop.purchase_rate_scale, size) * rate_multiplier,
        dropout_probability=dropout,
        spend_rate=rng.gamma(shop.spend_rate_shape, shop.spend_rate_scale, size),
    )
    # marketing consent comes from a stream of its own, added by the caller
    table = pa.table(
        [ids, window.timestamps(signup_day), email, country, birth_year, gender, channel],
        schema=SCHEMAS["customers"].remove(SCHEMAS["customers"].get_field_index("marketing_consent")),
    )
    return customers, table


def _first_order_days(
    rng: np.random.Generator, signup_day: np.ndarray, window: _TimeWindow, shop: Profile
) -> np.ndarray:
    """Day of each customer's first purchase if they buy: soon after sign-up, or for the profile's late share
    at any time up to the end date (possibly after it, so never)."""
    size = len(signup_day)
    soon = signup_day + rng.exponential(FIRST_ORDER_DELAY_MEAN_DAYS, size)
    late = signup_day + rng.random(size) * (window.days - signup_day)
    return np.where(rng.random(size) < shop.late_first_order_share, late, soon)


def _simulate_purchases(
    rng: np.random.Generator, customers: _Customers, window: _TimeWindow, volume: float, shop: Profile
) -> _Purchases:
    size = len(customers.signup_day)
    first_order_day = _first_order_days(rng, customers.signup_day, window, shop)
    is_buyer = ~customers.is_prospect & (first_order_day < window.days)
    dropout_probability = np.minimum(customers.dropout_probability / volume, 1.0)
    purchases_until_dropout = np.minimum(rng.geometric(dropout_probability), MAX_ORDERS_PER_CUSTOMER)

    # Draw every repeat purchase the customer would make before dropping out,
    # then keep those that fall inside the window (a prefix per customer).
    repeat_candidates = np.where(is_buyer, purchases_until_dropout - 1, 0)
    candidate_owner = np.repeat(np.arange(size), repeat_candidates)
    # Gaps longer than the window all mean "no more purchases"; capping them keeps cumsum precise.
    gaps = rng.exponential(1.0, len(candidate_owner)) / (volume * customers.purchase_rate[candidate_owner])
    gaps = np.minimum(gaps, window.days)
    elapsed = _cumsum_within_groups(gaps, repeat_candidates)
    is_kept = first_order_day[candidate_owner] + elapsed < window.days
    kept_repeats = np.bincount(candidate_owner[is_kept], minlength=size)

    orders_per_customer = is_buyer.astype(np.int64) + kept_repeats
    customer_index = np.repeat(np.arange(size), orders_per_customer)
    position = _position_within_groups(orders_per_customer)
    candidate_start = np.cumsum(repeat_candidates) - repeat_candidates
    repeat_offset = np.zeros(len(customer_index))
    is_repeat = position > 0
    repeat_offset[is_repeat] = elapsed[candidate_start[customer_index[is_repeat]] + position[is_repeat] - 1]
    day = first_order_day[customer_index] + repeat_offset

    last_order_day = np.full(size, np.nan)
    last_order_day[is_buyer] = day[np.cumsum(orders_per_customer)[is_buyer] - 1]
    return _Purchases(
        customer_index=customer_index,
        day=day,
        orders_per_customer=orders_per_customer,
        has_dropped_out=is_buyer & (orders_per_customer == purchases_until_dropout),
        first_order_day=np.where(is_buyer, first_order_day, np.nan),
        last_order_day=last_order_day,
    )


def _order_tables(
    rng: np.random.Generator,
    customers: _Customers,
    purchases: _Purchases,
    first_order_number: int,
    window: _TimeWindow,
) -> tuple[pa.Table, pa.Table]:
    order_count = len(purchases.day)
    owner = purchases.customer_index
    order_value = _order_values(rng, customers, owner)

    items_per_order = 1 + rng.choice(len(ITEMS_PER_ORDER_SHARES), order_count, p=ITEMS_PER_ORDER_SHARES)
    item_order = np.repeat(np.arange(order_count), items_per_order)
    item_count = len(item_order)
    # Split each order's value over its items with Dirichlet(1, ..., 1) weights.
    weight = rng.exponential(1.0, item_count)
    item_start = np.cumsum(items_per_order) - items_per_order
    weight /= np.add.reduceat(weight, item_start)[item_order]
    quantity = np.minimum(rng.geometric(QUANTITY_GEOMETRIC_P, item_count), MAX_QUANTITY)
    unit_price_cents = np.maximum(
        np.round(order_value[item_order] * weight / quantity * 100).astype(np.int64), MIN_UNIT_PRICE_CENTS
    )
    # Items first, amount derived, so an order's items always add up to it exactly.
    amount_cents = np.add.reduceat(quantity * unit_price_cents, item_start)

    category_index = rng.choice(len(CATEGORY_SHARES), item_count, p=list(CATEGORY_SHARES.values()))
    product_rank = (PRODUCTS_PER_CATEGORY * rng.random(item_count) ** PRODUCT_POPULARITY_EXPONENT).astype(np.int64)

    order_ids = _prefixed_ids("O", np.arange(first_order_number, first_order_number + order_count), 10)
    orders = pa.table(
        [
            order_ids,
            pc.take(customers.ids, owner),
            window.timestamps(purchases.day),
            _pick(rng, STATUS_SHARES, order_count),
            _money(amount_cents),
        ],
        schema=SCHEMAS["orders"],
    )
    order_items = pa.table(
        [
            pc.take(order_ids, item_order),
            _prefixed_ids("P", category_index * PRODUCTS_PER_CATEGORY + product_rank, 5),
            pc.take(pa.array(list(CATEGORY_SHARES)), category_index),
            pa.array(quantity, pa.int32()),
            _money(unit_price_cents),
        ],
        schema=SCHEMAS["order_items"],
    )
    return orders, order_items


def _order_values(rng: np.random.Generator, customers: _Customers, owner: np.ndarray) -> np.ndarray:
    """The value of one purchase by each customer in `owner` (Gamma-Gamma spend, scaled a little by age), at most
    MAX_ORDER_VALUE."""
    age_effect = np.clip(AGE_SPEND_SLOPE * (customers.age - AGE_MEAN), -AGE_SPEND_LIMIT, AGE_SPEND_LIMIT)
    spend_multiplier = 1.0 + np.nan_to_num(age_effect)
    values = rng.gamma(ORDER_VALUE_SHAPE, 1.0, len(owner)) / customers.spend_rate[owner] * spend_multiplier[owner]
    return np.minimum(values, MAX_ORDER_VALUE)


def campaign_send_dates(end_date: date) -> dict[str, date]:
    """The day each demo campaign goes out, for data ending on `end_date`."""
    return {campaign.campaign_id: end_date - timedelta(days=campaign.days_before_end) for campaign in CAMPAIGNS}


def _campaign_tables(
    rng: np.random.Generator, customers: _Customers, purchases: _Purchases, window: _TimeWindow, volume: float
) -> tuple[pa.Table, pa.Table]:
    """Sends of every campaign to one chunk's customers, and the responses within the horizon and the window.

    A response is the first of two competing events after the send: the customer's own purchase (at
    their purchase rate while active, rarely otherwise) and, for the treated, the campaign's extra rate,
    which only lasts CAMPAIGN_LIFT_DAYS.
    """
    size = len(customers.signup_day)
    sends, responses = [], []
    for campaign in CAMPAIGNS:
        send_day = window.days - 1 - campaign.days_before_end  # midnight of the send date
        owner = np.flatnonzero((customers.signup_day < send_day) & (rng.random(size) < campaign.audience_share))
        is_control = rng.random(len(owner)) < campaign.control_share
        sent_day = send_day + (SEND_HOUR + SEND_SPREAD_HOURS * rng.random(len(owner))) / 24

        # NaN first or last order days (no purchase at all) compare as False
        has_bought = purchases.first_order_day[owner] < sent_day
        has_lapsed = purchases.has_dropped_out[owner] & (purchases.last_order_day[owner] < sent_day)
        is_active = has_bought & ~has_lapsed
        own_rate = np.where(is_active, volume * customers.purchase_rate[owner], DORMANT_RESPONSE_RATE)
        lift_rate = np.where(is_active, campaign.rate_lift * own_rate, DORMANT_LIFT_RATE)
        own_delay = rng.exponential(1.0, len(owner)) / own_rate
        lift_delay = rng.exponential(1.0, len(owner)) / lift_rate
        lift_delay[is_control | (lift_delay > CAMPAIGN_LIFT_DAYS)] = np.inf
        delay = np.minimum(own_delay, lift_delay)
        responds = (delay <= CAMPAIGN_RESPONSE_HORIZON_DAYS) & (sent_day + delay < window.days)
        responder = owner[responds]
        revenue_cents = np.maximum(
            np.round(_order_values(rng, customers, responder) * 100).astype(np.int64), MIN_UNIT_PRICE_CENTS
        )

        sends.append(pa.table(
            [
                pa.array([campaign.campaign_id] * len(owner), pa.string()),
                pc.take(customers.ids, owner),
                window.timestamps(sent_day),
                pa.array([campaign.channel] * len(owner), pa.string()),
                pa.array(is_control),
            ],
            schema=SCHEMAS["campaign_sends"],
        ))
        responses.append(pa.table(
            [
                pa.array([campaign.campaign_id] * len(responder), pa.string()),
                pc.take(customers.ids, responder),
                window.timestamps(sent_day[responds] + delay[responds]),
                pa.array([RESPONSE_TYPE] * len(responder), pa.string()),
                _money(revenue_cents),
            ],
            schema=SCHEMAS["campaign_responses"],
        ))
    return pa.concat_tables(sends), pa.concat_tables(responses)


def _events_table(
    rng: np.random.Generator, customers: _Customers, purchases: _Purchases, window: _TimeWindow
) -> pa.Table:
    is_buyer = purchases.orders_per_customer > 0
    active_end = np.where(purchases.has_dropped_out, purchases.last_order_day, window.days)
    engaged_rate = EVENTS_PER_PURCHASE_RATE * customers.purchase_rate
    engaged_days = np.where(is_buyer, active_end - customers.signup_day, 0.0)
    engaged_owner, engaged_day = _uniform_events(rng, engaged_rate, customers.signup_day, engaged_days)

    # After dropout (and for prospects, after sign-up) interest fades exponentially.
    fade_start = np.where(is_buyer, active_end, customers.signup_day)
    fade_rate = np.where(is_buyer, engaged_rate, PROSPECT_EVENT_RATE_PER_DAY)
    fade_decay_days = np.where(is_buyer, EVENT_DECAY_DAYS, PROSPECT_EVENT_DECAY_DAYS)
    fades = purchases.has_dropped_out | ~is_buyer
    fade_owner, fade_day = _decaying_events(
        rng, np.where(fades, fade_rate, 0.0), fade_start, window.days - fade_start, fade_decay_days
    )

    event_type = pa.concat_arrays([
        _pick(rng, ENGAGED_EVENT_SHARES, len(engaged_owner)),
        _pick(rng, FADING_EVENT_SHARES, len(fade_owner)),
    ])
    return pa.table(
        [
            pc.take(customers.ids, np.concatenate([engaged_owner, fade_owner])),
            window.timestamps(np.concatenate([engaged_day, fade_day])),
            event_type,
        ],
        schema=SCHEMAS["events"],
    )


def _nps_table(
    rng: np.random.Generator, customers: _Customers, purchases: _Purchases, window: _TimeWindow
) -> pa.Table:
    size = len(customers.signup_day)
    is_buyer = purchases.orders_per_customer > 0
    responds = is_buyer & (rng.random(size) < NPS_RESPONSE_SHARE)
    responses = np.where(responds, 1 + (rng.random(size) < NPS_SECOND_RESPONSE_SHARE), 0)
    owner = np.repeat(np.arange(size), responses)

    window_start = purchases.first_order_day[owner]
    window_end = np.minimum(
        purchases.last_order_day[owner] + NPS_RESPONSE_WINDOW_AFTER_LAST_ORDER_DAYS, window.days
    )
    day = window_start + rng.random(len(owner)) * (window_end - window_start)

    satisfaction = 1.0 - customers.dropout_probability[owner]
    score = NPS_BASE_SCORE + NPS_SATISFACTION_SLOPE * satisfaction + rng.normal(0.0, NPS_NOISE_SD, len(owner))
    return pa.table(
        [
            pc.take(customers.ids, owner),
            window.timestamps(day),
            pa.array(np.clip(np.round(score), 0, 10).astype(np.int32)),
        ],
        schema=SCHEMAS["nps_responses"],
    )


def _marketing_consent(rng: np.random.Generator, size: int) -> pa.Array:
    """Most customers agreed to marketing, some refused, a few never answered (null)."""
    answer = rng.random(size)
    return pa.array(answer < CONSENT_TRUE_SHARE, mask=answer >= CONSENT_TRUE_SHARE + CONSENT_FALSE_SHARE)


def _with_second_accounts(rng: np.random.Generator, emails: pa.Array) -> pa.Array:
    """The emails with SECOND_ACCOUNT_SHARE of them replaced by another customer's email in upper case, as
    someone signing up again types it; a customer whose chosen original has no email keeps its own."""
    size = len(emails)
    original = rng.integers(0, size, size)
    is_second_account = (rng.random(size) < SECOND_ACCOUNT_SHARE) & (original != np.arange(size))
    second_email = pc.utf8_upper(pc.take(emails, pa.array(original)))
    return pc.if_else(pa.array(is_second_account), pc.coalesce(second_email, emails), emails)


def _customer_attributes_table(rng: np.random.Generator, customers: _Customers, purchases: _Purchases) -> pa.Table:
    """The attributes of the customers of one chunk who have a row: loyalty membership, likelier the more
    they ordered; events attended, mostly none; a skewed social engagement score, often unknown."""
    size = len(customers.signup_day)
    log_odds = LOYALTY_BASE_LOG_ODDS + LOYALTY_ORDERS_LOG_ODDS * np.log1p(purchases.orders_per_customer)
    is_member = rng.random(size) < 1.0 / (1.0 + np.exp(-log_odds))
    events_mean = np.where(is_member, EVENTS_ATTENDED_MEMBER_MEAN, EVENTS_ATTENDED_MEAN)
    events_attended = rng.negative_binomial(
        EVENTS_ATTENDED_DISPERSION, EVENTS_ATTENDED_DISPERSION / (EVENTS_ATTENDED_DISPERSION + events_mean)
    )
    social = np.round(rng.lognormal(math.log(SOCIAL_ENGAGEMENT_MEDIAN), SOCIAL_ENGAGEMENT_LOG_SD, size), 2)
    has_social = rng.random(size) >= SOCIAL_ENGAGEMENT_NULL_SHARE
    owner = np.flatnonzero(rng.random(size) < ATTRIBUTE_ROW_SHARE)
    return pa.table(
        [
            pc.take(customers.ids, owner),
            pa.array(is_member[owner]),
            pa.array(events_attended[owner], pa.int32()),
            pa.array(social[owner], mask=~has_social[owner]),
        ],
        schema=SCHEMAS["customer_attributes"],
    )


def _uniform_events(
    rng: np.random.Generator, rate: np.ndarray, start_day: np.ndarray, duration_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events at a constant rate per customer over [start, start + duration)."""
    counts = rng.poisson(rate * np.maximum(duration_days, 0.0))
    owner = np.repeat(np.arange(len(rate)), counts)
    return owner, start_day[owner] + rng.random(len(owner)) * duration_days[owner]


def _decaying_events(
    rng: np.random.Generator,
    initial_rate: np.ndarray,
    start_day: np.ndarray,
    duration_days: np.ndarray,
    decay_days: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events at rate initial_rate * exp(-t / decay_days) over [start, start + duration)."""
    reached_share = 1.0 - np.exp(-np.maximum(duration_days, 0.0) / decay_days)
    counts = rng.poisson(initial_rate * decay_days * reached_share)
    owner = np.repeat(np.arange(len(initial_rate)), counts)
    # Inverse CDF of the exponential truncated at the window end.
    offset = -decay_days[owner] * np.log1p(-rng.random(len(owner)) * reached_share[owner])
    return owner, start_day[owner] + offset


def _sample_defect_templates(orders: pa.Table, rng: np.random.Generator) -> pa.Table:
    """A few completed orders per chunk, enough in total to copy into every defect kind."""
    completed = orders.filter(pc.equal(orders["status"], "completed"))
    wanted = math.ceil(DEFECT_SHARE_OF_ORDERS * orders.num_rows) + MIN_DEFECTS_PER_KIND
    picked = rng.choice(completed.num_rows, min(wanted, completed.num_rows), replace=False)
    return completed.take(np.sort(picked))


def _defect_rows(
    templates: pa.Table, order_count: int, rng: np.random.Generator, window: _TimeWindow
) -> tuple[pa.Table, dict[str, int]]:
    """Bad order rows, each with exactly one defect, and how many of each kind."""
    per_kind = max(MIN_DEFECTS_PER_KIND, round(DEFECT_SHARE_OF_ORDERS * order_count))
    if templates.num_rows == 0:
        return templates, dict.fromkeys(DEFECT_KINDS, 0)

    duplicates = templates.take(rng.choice(templates.num_rows, min(per_kind, templates.num_rows), replace=False))
    next_order_number = order_count + 1
    rows = [duplicates]
    defects = {"duplicate_order": duplicates.num_rows}
    for kind in DEFECT_KINDS[1:]:
        base = templates.take(rng.choice(templates.num_rows, per_kind))
        order_ids = _prefixed_ids("O", np.arange(next_order_number, next_order_number + per_kind), 10)
        next_order_number += per_kind
        base = base.set_column(0, "order_id", order_ids)
        if kind == "null_customer_id":
            base = base.set_column(1, "customer_id", pa.nulls(per_kind, pa.string()))
        elif kind == "negative_amount":
            base = base.set_column(4, "amount", pc.negate(base["amount"]))
        elif kind == "future_ordered_at":
            future_day = window.days + 1 + rng.random(per_kind) * FUTURE_ORDER_MAX_DAYS
            seconds = window.start_seconds + np.floor(future_day * SECONDS_PER_DAY).astype(np.int64)
            base = base.set_column(2, "ordered_at", pa.array(seconds, TIMESTAMP))
        elif kind == "unknown_customer":
            unknown = rng.integers(UNKNOWN_CUSTOMER_FIRST_NUMBER, 10**8, per_kind)
            base = base.set_column(1, "customer_id", _prefixed_ids("C", unknown, 8))
        rows.append(base)
        defects[kind] = per_kind

    defect_rows = pa.concat_tables(rows)
    return defect_rows.take(rng.permutation(defect_rows.num_rows)), defects


def _prefixed_ids(prefix: str, numbers: np.ndarray, digits: int) -> pa.Array:
    """Ids like C00000042, zero-padded so text order matches numeric order."""
    padded = pc.utf8_lpad(pa.array(numbers, pa.int64()).cast(pa.string()), digits, "0")
    return pc.binary_join_element_wise(prefix, padded, "")


def _pick(rng: np.random.Generator, shares: dict[str, float], size: int) -> pa.Array:
    index = rng.choice(len(shares), size, p=list(shares.values()))
    return pc.take(pa.array(list(shares)), index)


def _with_nulls(values: pa.Array, is_null: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(is_null), pa.scalar(None, values.type), values)


def _money(cents: np.ndarray) -> pa.Array:
    """decimal(12,2) from integer cents, built from the raw 128-bit values to stay exact."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)  # sign extension into the high word
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words)])


def _cumsum_within_groups(values: np.ndarray, group_sizes: np.ndarray) -> np.ndarray:
    """Running sum restarting at each group of consecutive values."""
    running = np.cumsum(values)
    group_start = np.cumsum(group_sizes) - group_sizes
    before_group = np.concatenate([[0.0], running])[group_start]
    return running - np.repeat(before_group, group_sizes)


def _position_within_groups(group_sizes: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each group of consecutive rows."""
    group_start = np.cumsum(group_sizes) - group_sizes
    return np.arange(group_sizes.sum()) - np.repeat(group_start, group_sizes)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the generator, shared by `python -m scorehouse.demo_data` and `scorehouse generate`."""
    parser.add_argument(
        "--customers", type=_customer_count, required=True,
        help=f"number of customers to simulate (1 to {MAX_CUSTOMERS:,})",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory for the output files")
    parser.add_argument("--seed", type=_seed, default=7, help="random seed; same seed, same data (default: 7)")
    parser.add_argument(
        "--end-date", type=_iso_date, default=None,
        help="last day of history, YYYY-MM-DD (default: today)",
    )
    parser.add_argument(
        "--format", choices=FILE_FORMATS, default="parquet", help="output format (default: parquet)"
    )
    parser.add_argument("--defects", action="store_true", help="append bad order rows and write defects.json")
    lowest, highest = ORDERS_PER_CUSTOMER_RANGE
    parser.add_argument(
        "--orders-per-customer", type=_orders_per_customer, default=None, metavar="X",
        help=f"scale purchases to about X orders per customer on average, {lowest:g} to {highest:g} "
        "(default: the profile's natural mix, about 1.8 for retail)",
    )
    parser.add_argument(
        "--profile", choices=list(PROFILES), default=DEFAULT_PROFILE,
        help="shop history to simulate: " + "; ".join(f"{name}, {shop.description}" for name, shop in PROFILES.items())
        + f" (default: {DEFAULT_PROFILE})",
    )


def _customer_count(text: str) -> int:
    count = int(text)
    if not 1 <= count <= MAX_CUSTOMERS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_CUSTOMERS:,}")
    return count


def _seed(text: str) -> int:
    seed = int(text)
    if seed < 0:
        raise argparse.ArgumentTypeError("must be zero or positive")
    return seed


def _orders_per_customer(text: str) -> float:
    value = float(text)
    lowest, highest = ORDERS_PER_CUSTOMER_RANGE
    if not lowest <= value <= highest:
        raise argparse.ArgumentTypeError(f"must be between {lowest:g} and {highest:g}")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date like 2026-11-23, got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """Generate from parsed options, reporting progress on stderr and a summary on stdout."""
    with customer_progress(args.customers) as progress:
        summary = generate(
            out_dir=args.out,
            customers=args.customers,
            seed=args.seed,
            end_date=args.end_date,
            file_format=args.format,
            with_defects=args.defects,
            progress=progress,
            orders_per_customer=args.orders_per_customer,
            profile=args.profile,
        )
    for name, rows in summary.row_counts.items():
        print(f"{name}: {rows:,} rows")
    for kind, rows in summary.defects.items():
        print(f"defect {kind}: {rows:,} rows")
    return 0


@contextmanager
def customer_progress(customers: int, stream: TextIO | None = None) -> Iterator[ProgressCallback]:
    """A progress callback for `generate` that reports on `stream` (default: stderr) after every chunk: on a
    terminal one bar redrawn in place, with customers done, rate and time left; otherwise (a log file, CI)
    one plain line per chunk, since a redrawn bar leaves carriage-return debris there."""
    stream = stream or sys.stderr
    if stream.isatty():
        # redrawn after every chunk, a few seconds of work each, rather than at tqdm's own pace
        with tqdm(
            total=customers, desc="generating", unit=" customers", unit_scale=True, file=stream,
            mininterval=0, miniters=1,
        ) as bar:
            yield lambda done, _total: bar.update(done - bar.n)
    else:
        yield lambda done, total: print(f"generated {done:,} of {total:,} customers", file=stream, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scorehouse.demo_data", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
