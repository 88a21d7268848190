"""Churn predictions: the warehouse tables Python writes (write_table), point-in-time features, the churn
model fitted by the flow and scored in SQL."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

from conftest import KNOWN_ANSWER_VARS
from scorehouse import demo_data
from scorehouse.churn_model import (
    SKIPPED,
    TrainingSet,
    fit_churn_model,
    fit_pipeline,
    read_training_set,
    version_rows,
    why_not_fittable,
)
from scorehouse.customer_value_fitting import fit_customer_value
from scorehouse.dbt_runner import run_dbt
from scorehouse.scoring_flow import RefreshResult, project_vars, refresh_scores
from scorehouse.warehouse_targets import WarehousePaths, WarehouseTarget, target_named
from test_scoring_flow import KNOWN_ANSWERS

AS_OF = date(2025, 12, 31)
DEMO_VARS = {"as_of_date": AS_OF.isoformat()}
RUN_CLOCK = datetime(2026, 1, 1, 6, 0, 0)
# the default prediction_horizon_days (180): validation and training cutoffs
HORIZON = timedelta(days=180)
CUTOFF_DATES = {"training": AS_OF - 2 * HORIZON, "validation": AS_OF - HORIZON, "scoring": AS_OF}
# the default of var churn_model_features
CHURN_MODEL_FEATURES = [
    "capped_recency_days", "horizon_purchase_count", "horizon_revenue", "prior_horizon_purchase_count",
    "capped_days_since_first_purchase",
]
# the cap of the default day features: twice the horizon, the distance from the training to the scoring cutoff
CAPPED_DAYS = 2 * HORIZON.days
PROBABILITY_TOLERANCE = 1e-9
# the features int_customers_summarized also has, at the as-of date
SUMMARIZED_FEATURE_COLUMNS = (
    "has_purchased", "recency_days", "frequency", "monetary", "purchase_count", "lifetime_revenue",
    "average_order_value", "tenure_days", "event_count",
)
FEATURE_COLUMNS = (*SUMMARIZED_FEATURE_COLUMNS, "days_since_first_purchase", *CHURN_MODEL_FEATURES)
ROUND_TRIP_TABLE = "round_trip_check.fitted_rows"


def round_trip_batch(version: int, names: list[str]) -> pa.Table:
    """Rows of every column type the fitted-model tables use: text, integer, double, boolean, timestamp."""
    return pa.table(
        {
            "model_version": pa.array([version] * len(names), pa.int64()),
            "feature_name": pa.array(names, pa.string()),
            "coefficient": pa.array([0.5 * index - 1.25 for index in range(len(names))], pa.float64()),
            "is_fitted": pa.array([index % 2 == 0 for index in range(len(names))], pa.bool_()),
            "trained_at": pa.array([datetime(2025, 7, 1, 12, 30, 0)] * len(names), pa.timestamp("us")),
        }
    )


# (version, feature names, append) of each write, in order: the first replacing write meets the rows a
# session left, the second must drop them
ROUND_TRIP_WRITES = [
    (9, ["stale"], False), (1, ["recency_days", "frequency"], False), (2, ["tenure_days"], True), (3, [], True),
]


def write_and_read_back(target: WarehouseTarget) -> list[list[tuple]]:
    """Makes ROUND_TRIP_WRITES in turn and reads the table back after each; one step, so Spark starts once."""
    sql = f"select model_version, feature_name, coefficient, is_fitted, trained_at from {ROUND_TRIP_TABLE}"
    read_backs = []
    for version, names, append in ROUND_TRIP_WRITES:
        target.write_table(ROUND_TRIP_TABLE, round_trip_batch(version, names), append=append)
        read_backs.append(sorted(target.query(sql)))
    return read_backs


def check_write_table_round_trip(target: WarehouseTarget) -> None:
    """A new schema and table are created, a replacing write drops the old rows, an appending one keeps
    them, and the values read back as written. Shared with tests/test_targets.py (postgres, spark)."""
    first, after_replacing, after_appending, after_appending_nothing = target.call(write_and_read_back, target)
    assert [row[:2] for row in first] == [(9, "stale")]
    assert after_replacing == [
        (1, "frequency", -0.75, False, datetime(2025, 7, 1, 12, 30)),
        (1, "recency_days", -1.25, True, datetime(2025, 7, 1, 12, 30)),
    ]
    assert [row[:2] for row in after_appending] == [(1, "frequency"), (1, "recency_days"), (2, "tenure_days")]
    assert after_appending_nothing == after_appending


def test_duckdb_write_table_round_trips(tmp_path: Path) -> None:
    check_write_table_round_trip(target_named("duckdb", WarehousePaths(tmp_path)))


def read_working(result: RefreshResult, sql: str) -> list[tuple]:
    with duckdb.connect(str(result.paths.working), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def features_by_customer(result: RefreshResult, cutoff_role: str) -> dict[str, tuple]:
    rows = read_working(
        result,
        f"select customer_id, {', '.join(FEATURE_COLUMNS)} from intermediate.int_customer_features_at_cutoffs "
        f"where cutoff_role = '{cutoff_role}'",
    )
    return {row[0]: row[1:] for row in rows}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("churn_demo") / "data"
    demo_data.generate(data_dir, customers=3_000, seed=7, end_date=AS_OF)
    return data_dir


@pytest.fixture(scope="module")
def demo_run(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RefreshResult:
    return refresh_scores(
        data_dir=demo_dir, warehouse_dir=tmp_path_factory.mktemp("churn_demo_warehouse"), dbt_vars=DEMO_VARS,
        now=RUN_CLOCK,
    )


def late_rows(customer_groups: dict[str, list[str]]) -> tuple[dict[str, list], dict[str, list]]:
    """For each cutoff, an order and an event of each customer of its group, a minute after the midnight
    that ends the cutoff's day (after the scoring cutoff, still before the run clock)."""
    orders: dict[str, list] = {"order_id": [], "customer_id": [], "ordered_at": [], "status": [], "amount": []}
    events: dict[str, list] = {"customer_id": [], "occurred_at": [], "event_type": []}
    for cutoff_role, customer_ids in customer_groups.items():
        moment = datetime.combine(CUTOFF_DATES[cutoff_role] + timedelta(days=1), datetime.min.time())
        for customer_id in customer_ids:
            orders["order_id"].append(f"LATE-{len(orders['order_id'])}")
            orders["customer_id"].append(customer_id)
            orders["ordered_at"].append(moment + timedelta(minutes=1))
            orders["status"].append("completed")
            orders["amount"].append(Decimal("50.00"))
            events["customer_id"].append(customer_id)
            events["occurred_at"].append(moment + timedelta(minutes=1))
            events["event_type"].append("page_view")
    return orders, events


@pytest.fixture(scope="module")
def run_with_late_rows(
    demo_run: RefreshResult, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RefreshResult, dict[str, list[str]]]:
    """The demo data plus orders and events of 100 customers dated just after each cutoff."""
    data_dir = tmp_path_factory.mktemp("churn_demo_late") / "data"
    shutil.copytree(demo_dir, data_dir)
    # persons, each under the customer_id its features are kept by
    customer_ids = [row[0] for row in read_working(
        demo_run, "select customer_id from intermediate.int_customers_summarized order by customer_id limit 300"
    )]
    customer_groups = {role: customer_ids[index::3] for index, role in enumerate(CUTOFF_DATES)}
    orders, events = late_rows(customer_groups)
    for entity, rows in (("orders", orders), ("events", events)):
        schema = pq.read_schema(data_dir / f"{entity}.parquet")
        (data_dir / entity).mkdir()
        (data_dir / f"{entity}.parquet").rename(data_dir / entity / "generated.parquet")
        pq.write_table(pa.table(rows).cast(schema), data_dir / entity / "late.parquet")
    result = refresh_scores(
        data_dir=data_dir, warehouse_dir=tmp_path_factory.mktemp("churn_demo_late_warehouse"),
        dbt_vars=DEMO_VARS, now=RUN_CLOCK,
    )
    return result, customer_groups


def test_cutoffs_are_one_and_two_horizons_before_the_as_of_date(demo_run: RefreshResult) -> None:
    rows = read_working(
        demo_run,
        "select cutoff_role, min(cutoff_date), max(cutoff_date) from intermediate.int_customer_features_at_cutoffs "
        "group by cutoff_role",
    )
    # 2025-12-31 minus 180 days is 2025-07-04; minus 360 days, 2025-01-05
    assert {role: (first, last) for role, first, last in rows} == {
        "training": (date(2025, 1, 5), date(2025, 1, 5)),
        "validation": (date(2025, 7, 4), date(2025, 7, 4)),
        "scoring": (AS_OF, AS_OF),
    }


def test_features_at_the_scoring_cutoff_are_the_scores_inputs(demo_run: RefreshResult) -> None:
    """Same definitions as int_customers_summarized, which the RFM scores read, customer by customer."""
    columns = ", ".join(SUMMARIZED_FEATURE_COLUMNS)
    summarized = read_working(demo_run, f"select customer_id, {columns} from intermediate.int_customers_summarized")
    at_scoring = read_working(
        demo_run,
        f"select customer_id, {columns} from intermediate.int_customer_features_at_cutoffs "
        "where cutoff_role = 'scoring'",
    )
    [(persons,)] = read_working(demo_run, "select count(*) from intermediate.int_customer_identity where is_survivor")
    assert len(summarized) == persons
    assert sorted(at_scoring) == sorted(summarized)


def tables_kept_as_ctes(plan_node: dict) -> set[str]:
    """The tables read by the CTEs a DuckDB plan (EXPLAIN (FORMAT json)) computes once and keeps."""
    children = plan_node.get("children", [])
    kept = tables_scanned(children[0]) if plan_node["name"] == "CTE" else set()
    return kept.union(*(tables_kept_as_ctes(child) for child in children))


def tables_scanned(plan_node: dict) -> set[str]:
    scanned = {plan_node["extra_info"]["Table"].split(".")[-1]} if plan_node["name"] == "SEQ_SCAN" else set()
    return scanned.union(*(tables_scanned(child) for child in plan_node.get("children", [])))


@pytest.mark.parametrize("model", ["int_customer_features_at_cutoffs", "int_customer_purchase_histories"])
def test_the_models_at_the_cutoffs_keep_no_orders_or_events_in_memory(demo_run: RefreshResult, model: str) -> None:
    """They scan the orders (and events) by person once per cutoff. DuckDB keeps a CTE read more than once whose
    query joins, as the by-person views do, and at 100M orders the features at the cutoffs ran out of memory
    so; the models mark those CTEs not_materialized."""
    compiled = demo_run.paths.dbt_target / "compiled" / "scorehouse" / "models" / "intermediate" / "predictions"
    [(_, plan)] = read_working(demo_run, "explain (format json) " + (compiled / f"{model}.sql").read_text())
    kept = set().union(*(tables_kept_as_ctes(node) for node in json.loads(plan)))
    assert not kept & {"stg_shop__orders_checked", "stg_shop__events_checked"}


def test_rows_dated_after_a_cutoff_change_none_of_its_features(
    demo_run: RefreshResult, run_with_late_rows: tuple[RefreshResult, dict[str, list[str]]]
) -> None:
    late_run, customer_groups = run_with_late_rows
    roles = list(CUTOFF_DATES)
    for position, cutoff_role in enumerate(roles):
        # customers whose late rows are dated before this cutoff (after an earlier one) may change; no other
        changed_before = {customer for role in roles[:position] for customer in customer_groups[role]}
        before = features_by_customer(demo_run, cutoff_role)
        after = features_by_customer(late_run, cutoff_role)
        assert after.keys() == before.keys()
        assert {customer: after[customer] for customer in after if customer not in changed_before} == {
            customer: before[customer] for customer in before if customer not in changed_before
        }, cutoff_role
        # ... and the late rows did reach staging: those of earlier cutoffs are features here
        purchases = FEATURE_COLUMNS.index("purchase_count")
        assert all(
            after[customer][purchases] == before[customer][purchases] + 1
            for customer in changed_before if customer in after
        )
    # the rows dated just after the training cutoff are purchases in its outcome window
    outcomes = dict(read_working(
        late_run,
        "select customer_id, has_purchased_after from intermediate.int_customer_features_at_cutoffs "
        "where cutoff_role = 'training'",
    ))
    assert all(outcomes[customer] for customer in customer_groups["training"] if customer in outcomes)


def working_target(result: RefreshResult) -> WarehouseTarget:
    return target_named(result.target_name, result.paths)


def test_sql_churn_probabilities_equal_sklearns_predict_proba(demo_run: RefreshResult) -> None:
    """The same training set fitted again in Python gives the stored parameters, and its predict_proba
    equals the SQL probability of every buyer at every cutoff."""
    target = working_target(demo_run)
    pipeline = fit_pipeline(read_training_set(target, CHURN_MODEL_FEATURES))
    stored = target.query(
        "select feature_name, feature_mean, feature_scale, coefficient, intercept from "
        "fitted_models.churn_model_versions where model_version = 1 order by feature_position"
    )
    scaler, regression = pipeline.named_steps["scale"], pipeline.named_steps["regress"]
    assert [row[0] for row in stored] == CHURN_MODEL_FEATURES
    assert np.array([row[1:4] for row in stored]) == pytest.approx(
        np.column_stack([scaler.mean_, scaler.scale_, regression.coef_[0]]), abs=1e-12
    )
    for cutoff_role in CUTOFF_DATES:
        buyers = read_training_set(target, CHURN_MODEL_FEATURES, (
            "(select * from intermediate.int_customer_features_at_cutoffs "
            f"where cutoff_role = '{cutoff_role}' and has_purchased) as buyers"
        ))
        expected = dict(zip(buyers.customer_ids, pipeline.predict_proba(buyers.features)[:, 1], strict=True))
        scored = dict(target.query(
            "select customer_id, churn_probability from intermediate.int_customer_churn_probabilities "
            f"where cutoff_role = '{cutoff_role}' and has_purchased"
        ))
        assert len(expected) > 1_000 and scored.keys() == expected.keys(), cutoff_role
        assert max(abs(scored[customer] - expected[customer]) for customer in expected) < PROBABILITY_TOLERANCE
    non_buyers = target.query(
        "select count(*), count(churn_probability) from intermediate.int_customer_churn_probabilities "
        "where not has_purchased"
    )
    assert non_buyers[0][0] > 0 and non_buyers[0][1] == 0


def first_by_md5(customer_ids: list[str], count: int) -> set[str]:
    return set(sorted(customer_ids, key=lambda customer_id: hashlib.md5(customer_id.encode()).hexdigest())[:count])


def test_fits_above_model_fit_max_customers_read_the_first_customers_by_md5(
    demo_run: RefreshResult, tmp_path: Path
) -> None:
    """Allowed fewer customers than there are buyers, each fit reads exactly that many, those with the
    smallest MD5 of customer_id (computed here with hashlib), and says so; every history is still predicted."""
    sample_size = 500
    paths = WarehousePaths(tmp_path / "warehouse")
    paths.directory.mkdir()
    shutil.copy(demo_run.paths.working, paths.working)
    target = target_named("duckdb", paths)
    sample_vars = {**DEMO_VARS, "model_fit_max_customers": sample_size}
    run_dbt(
        ["build", "--select", "int_churn_model_training_set", "int_customer_purchase_histories_fit_sample+1",
         "--exclude", "tag:uses_fitted_models"],
        target.dbt_environment(), sample_vars, logging.getLogger(__name__), paths.dbt_target,
    )
    buyers = [row[0] for row in target.query(
        "select customer_id from intermediate.int_customer_features_at_cutoffs "
        "where cutoff_role = 'training' and has_purchased"
    )]
    fit = fit_churn_model(target, CHURN_MODEL_FEATURES, 100, RUN_CLOCK + timedelta(days=1))
    assert fit.message == (
        f"fitted on {sample_size} buyers (a model_fit_max_customers sample of {len(buyers)}) "
        f"at the training cutoff {CUTOFF_DATES['training']}"
    )
    assert set(read_training_set(target, CHURN_MODEL_FEATURES).customer_ids) == first_by_md5(buyers, sample_size)
    outcomes = fit_customer_value(target, project_vars(sample_vars), RUN_CLOCK + timedelta(days=1))
    for cutoff_role in ("validation", "scoring"):
        histories = target.query(
            "select customer_id, frequency, average_repeat_purchase_value from "
            f"intermediate.int_customer_purchase_histories where cutoff_role = '{cutoff_role}'"
        )
        sampled = first_by_md5([row[0] for row in histories], sample_size)
        repeat_buyers = {row[0] for row in histories if row[1] > 0 and row[2] > 0}
        assert len(histories) > 2 * sample_size
        assert {
            (outcome.model_name, outcome.customer_count) for outcome in outcomes if outcome.cutoff_role == cutoff_role
        } == {
            ("bg_nbd", sample_size), ("gamma_gamma", len(sampled & repeat_buyers)),
        }
    predicted = target.query(
        "select count(*), count(predictions.expected_purchases) "
        "from intermediate.int_customer_purchase_histories_grouped as histories "
        "left join fitted_models.customer_value_predictions as predictions "
        "on histories.cutoff_role = predictions.cutoff_role and histories.frequency = predictions.frequency "
        "and histories.recency_days = predictions.recency_days and histories.age_days = predictions.age_days"
    )
    assert predicted[0][0] > 2 * sample_size and predicted[0][1] == predicted[0][0]


def test_fitted_version_records_its_training(demo_run: RefreshResult) -> None:
    target = working_target(demo_run)
    training_set = read_training_set(target, CHURN_MODEL_FEATURES)
    auc = roc_auc_score(training_set.is_churned, fit_pipeline(training_set).predict_proba(training_set.features)[:, 1])
    versions = target.query(
        "select distinct model_version, trained_at, training_cutoff_date, training_row_count, "
        "training_churn_rate, training_auc, status, message from fitted_models.churn_model_versions"
    )
    assert versions == [(
        1, RUN_CLOCK, CUTOFF_DATES["training"], len(training_set.customer_ids),
        pytest.approx(training_set.is_churned.mean()), pytest.approx(auc), "fitted",
        f"fitted on {len(training_set.customer_ids)} buyers at the training cutoff 2025-01-05",
    )]


def test_published_churn_predictions_cover_every_customer_with_deciles(demo_run: RefreshResult) -> None:
    columns, rows = working_target(demo_run).read_published("fct_customer_churn_predictions")
    predictions = [dict(zip(columns, row, strict=True)) for row in rows]
    buyers = [row for row in predictions if row["has_purchased"]]
    [(persons,)] = read_working(demo_run, "select count(*) from intermediate.int_customers_summarized")
    assert len(predictions) == persons
    assert all(row["churn_probability"] is None for row in predictions if not row["has_purchased"])
    assert all(row["churn_model_version"] == 1 and row["churn_probability"] is not None for row in buyers)
    # ntile: the first len % 10 deciles hold one buyer more than the others
    sizes = {decile: sum(1 for row in buyers if row["churn_decile"] == decile) for decile in range(1, 11)}
    smaller, larger_count = divmod(len(buyers), 10)
    assert [sizes[decile] for decile in range(1, 11)] == [smaller + 1] * larger_count + [smaller] * (10 - larger_count)
    by_probability = sorted(buyers, key=lambda row: (-row["churn_probability"], row["customer_id"]))
    assert [row["churn_decile"] for row in by_probability] == sorted(row["churn_decile"] for row in buyers)


def test_churn_deciles_rank_churners_out_of_time(demo_run: RefreshResult) -> None:
    """Fitted at the training cutoff, ranked at the validation cutoff, checked against the 180 days after:
    churn falls from decile to decile (allowing one step of noise), and the top decile churns more often
    than the buyers as a whole."""
    rows = read_working(
        demo_run,
        "select churn_decile, avg(case when is_churned then 1.0 else 0.0 end), "
        "avg(avg(case when is_churned then 1.0 else 0.0 end)) over () "
        "from intermediate.int_customer_churn_probabilities where cutoff_role = 'validation' "
        "and churn_decile is not null group by churn_decile order by churn_decile",
    )
    rates = [rate for _, rate, _ in rows]
    assert [decile for decile, _, _ in rows] == list(range(1, 11))
    assert sum(1 for higher, lower in zip(rates, rates[1:], strict=False) if lower > higher) <= 1, rates
    assert rates[0] > rows[0][2] and rates[0] > rates[-1], rates


def test_training_set_too_small_or_one_sided_gives_a_skipped_version() -> None:
    def training_set(outcomes: list[bool]) -> TrainingSet:
        features = np.arange(len(outcomes) * 2, dtype=float).reshape(len(outcomes), 2)
        return TrainingSet([f"C{index}" for index in range(len(outcomes))], features, np.array(outcomes), None)

    assert why_not_fittable(training_set([True, False] * 50), 100) is None
    assert why_not_fittable(training_set([True, False] * 49), 100) == (
        "only 98 buyers at the training cutoff None, fewer than churn_model_min_training_customers (100); "
        "churn probabilities are left empty"
    )
    assert "every one of the 100 buyers at the training cutoff None churned" in why_not_fittable(
        training_set([True] * 100), 100
    )
    assert "bought again" in why_not_fittable(training_set([False] * 100), 100)
    skipped = version_rows(RUN_CLOCK, training_set([]), ["recency_days"], None, "why").to_pylist()
    assert len(skipped) == 1
    assert skipped[0]["status"] == SKIPPED and skipped[0]["feature_name"] is None and skipped[0]["message"] == "why"


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (["recency_days", "gender"], "var 'churn_model_features' must not use the sensitive attribute \"gender\""),
        (["birth_year"], "var 'churn_model_features' must not use the sensitive attribute \"birth_year\""),
        (["country", "frequency"], "var 'churn_model_features' must not use the sensitive attribute \"country\""),
        (["age"], "var 'churn_model_features' must not use the sensitive attribute \"age\""),
        (["frequency", "shoe_size"], "var 'churn_model_features' names the unknown column \"shoe_size\""),
        (["frequency", "frequency"], "var 'churn_model_features' lists \"frequency\" twice"),
        ([], "var 'churn_model_features' must be a non-empty list"),
    ],
)
def test_sensitive_or_unknown_churn_features_are_refused(
    var_refusal: Callable[[dict], str], features: list, message: str
) -> None:
    assert message in var_refusal({"churn_model_features": features})


def segments_rebuilt_from_validated_predictions(result: RefreshResult, dbt_vars: dict, directory: Path) -> Path:
    """A copy of the run's working warehouse in `directory` with dim_customer_segments rebuilt under
    `segment_flags_source: predictions_when_validated`; the copy's file (the run's own stays as it was)."""
    paths = WarehousePaths(directory / "warehouse")
    paths.directory.mkdir()
    shutil.copy(result.paths.working, paths.working)
    run_dbt(
        ["build", "--select", "dim_customer_segments"], target_named("duckdb", paths).dbt_environment(),
        {**dbt_vars, "segment_flags_source": "predictions_when_validated"}, logging.getLogger(__name__),
        paths.dbt_target,
    )
    return paths.working


def test_tiny_data_skips_the_fit_and_leaves_probabilities_empty(
    known_answer_run: RefreshResult, tmp_path: Path
) -> None:
    """The known-answer data set (a handful of customers) cannot train a model: the run still publishes,
    with a skipped version saying why and no churn probability. Its segments rebuilt to use validated
    predictions find none (no churn or value score is validated) and keep the RFM rules."""
    target = working_target(known_answer_run)
    versions = target.query(
        "select model_version, feature_name, status, message from fitted_models.churn_model_versions"
    )
    assert len(versions) == 1 and versions[0][:3] == (1, None, "skipped")
    assert versions[0][3].startswith("only ") and "churn_model_min_training_customers (100)" in versions[0][3]
    columns, rows = target.read_published("fct_customer_churn_predictions")
    assert rows and all(row[columns.index("churn_probability")] is None for row in rows)
    columns, rows = target.read_published("fct_score_validation")
    assert {row[columns.index("score_name")] for row in rows} == {"rfm_composite"}
    rebuilt = segments_rebuilt_from_validated_predictions(known_answer_run, KNOWN_ANSWER_VARS, tmp_path)
    with duckdb.connect(str(rebuilt), read_only=True) as connection:
        flags = {row[0]: row[1:] for row in connection.execute(
            "select customer_id, is_vip, is_churn_risk, vip_flag_source, churn_risk_flag_source "
            "from marts.dim_customer_segments"
        ).fetchall()}
    # the RFM rules' flags of the known answers (test_scoring_flow), each from the rules
    assert flags == {
        customer_id: (answer[7], answer[8], "rfm_rules", "rfm_rules") for customer_id, answer in KNOWN_ANSWERS.items()
    }


def score_validation(result: RefreshResult) -> dict[str, dict[str, float]]:
    """Per validated score: its lift, AUC, Gini, and its top and bottom deciles' churn rates."""
    rows = read_working(
        result,
        "select distinct score_name, lift, auc, gini, top_decile_outcome_rate, bottom_decile_outcome_rate "
        "from marts.fct_score_validation",
    )
    return {
        row[0]: dict(zip(("lift", "auc", "gini", "top_rate", "bottom_rate"), row[1:], strict=True)) for row in rows
    }


def test_score_validation_covers_every_score_and_the_churn_model_beats_the_rfm_composite(
    demo_run: RefreshResult,
) -> None:
    """In the validation mart, on the same buyers at the validation cutoff: the churn model ranks churners
    better than the RFM composite, and its top decile churns more often than its bottom one."""
    validation = score_validation(demo_run)
    logging.getLogger(__name__).info("score validation on the demo data: %s", validation)
    assert validation.keys() == {"rfm_composite", "churn_probability", "predicted_value", "composite_suggested_weights"}
    assert validation["churn_probability"]["auc"] > validation["rfm_composite"]["auc"]
    assert validation["churn_probability"]["lift"] > 1
    buyers_at_validation = read_working(
        demo_run,
        "select count(*) from intermediate.int_customer_features_at_cutoffs "
        "where cutoff_role = 'validation' and has_purchased",
    )[0][0]
    scored = dict(read_working(
        demo_run, "select score_name, sum(customer_count) from marts.fct_score_validation group by score_name"
    ))
    # every score is validated on the same buyers at the validation cutoff
    assert scored == {name: buyers_at_validation for name in validation}


def test_validated_predictions_switch_the_segment_flags(demo_run: RefreshResult, tmp_path: Path) -> None:
    """The demo warehouse's segments rebuilt with `segment_flags_source: predictions_when_validated`: the
    churn model ranks churners better than the RFM composite, so churn risk is the top churn decile instead
    of the seed's churn-risk segments; VIP uses the predicted value only if that score beats it too."""
    rebuilt = segments_rebuilt_from_validated_predictions(demo_run, DEMO_VARS, tmp_path)
    query = (
        "select segments.customer_id, segments.is_vip, segments.is_churn_risk, segments.vip_flag_source, "
        "segments.churn_risk_flag_source, predictions.churn_decile "
        "from marts.dim_customer_segments as segments "
        "left join marts.fct_customer_churn_predictions as predictions "
        "on segments.customer_id = predictions.customer_id"
    )
    by_rules = {row[0]: row for row in read_working(demo_run, query)}
    with duckdb.connect(str(rebuilt), read_only=True) as connection:
        by_predictions = {row[0]: row for row in connection.execute(query).fetchall()}
    assert by_predictions.keys() == by_rules.keys()
    assert {row[3:5] for row in by_rules.values()} == {("rfm_rules", "rfm_rules")}
    validation = score_validation(demo_run)
    value_passes = validation["predicted_value"]["auc"] > validation["rfm_composite"]["auc"]
    vip_source = "predictions" if value_passes else "rfm_rules"
    assert {row[3:5] for row in by_predictions.values()} == {(vip_source, "predictions")}
    # churn risk is exactly the top decile (churn_risk_top_deciles defaults to 1), and differs from the rules
    assert all(row[2] == (row[5] == 1) for row in by_predictions.values())
    assert any(by_predictions[customer_id][2] != by_rules[customer_id][2] for customer_id in by_rules)
    if not value_passes:
        assert all(by_predictions[customer_id][1] == by_rules[customer_id][1] for customer_id in by_rules)


def test_default_churn_features_neither_repeat_one_another_nor_leave_the_training_range(
    demo_run: RefreshResult,
) -> None:
    """At the training cutoff no default feature is a copy of another (on the model's ln(1 + x) scale no two
    correlate above 0.95), and the capped day counts span exactly 0 to 2H at every cutoff, so the scoring
    cutoff asks about no tenure or recency the model was not fitted on."""
    target = working_target(demo_run)
    training = read_training_set(target, CHURN_MODEL_FEATURES)
    transformed = np.log1p(training.features)
    correlations = np.corrcoef(transformed, rowvar=False)
    for first, second in zip(*np.triu_indices(len(CHURN_MODEL_FEATURES), k=1), strict=True):
        pair = (CHURN_MODEL_FEATURES[first], CHURN_MODEL_FEATURES[second])
        assert not np.array_equal(training.features[:, first], training.features[:, second]), pair
        assert abs(correlations[first, second]) < 0.95, (pair, correlations[first, second])
    ranges = read_working(
        demo_run,
        "select cutoff_role, min(capped_recency_days), max(capped_recency_days), "
        "min(capped_days_since_first_purchase), max(capped_days_since_first_purchase) "
        "from intermediate.int_customer_features_at_cutoffs where has_purchased group by cutoff_role",
    )
    assert {row[0]: row[1:] for row in ranges} == {role: (0, CAPPED_DAYS, 0, CAPPED_DAYS) for role in CUTOFF_DATES}


def churn_validation(working: Path) -> dict[str, float]:
    """The churn model's score-level row of fct_score_validation in the warehouse file `working`."""
    columns = (
        "score_customer_count", "score_outcome_rate", "score_mean_predicted_outcome", "brier_score",
        "expected_calibration_error", "auc", "auc_gain_over_rfm_composite",
    )
    with duckdb.connect(str(working), read_only=True) as connection:
        rows = connection.execute(
            f"select distinct {', '.join(columns)} from marts.fct_score_validation "
            "where score_name = 'churn_probability'"
        ).fetchall()
    assert len(rows) == 1
    return dict(zip(columns, rows[0], strict=True))


def test_churn_probabilities_are_calibrated_at_the_validation_cutoff(demo_run: RefreshResult) -> None:
    """Fitted at the training cutoff and scored at the validation cutoff, the model's mean churn probability
    is within 0.03 of the churn rate observed in the 180 days after it, and its calibration error over the
    deciles within 0.05. The published Brier score and ECE reconcile with the customers' own rows."""
    validation = churn_validation(demo_run.paths.working)
    logging.getLogger(__name__).info("churn model at the validation cutoff: %s", validation)
    assert abs(validation["score_mean_predicted_outcome"] - validation["score_outcome_rate"]) <= 0.03
    assert validation["expected_calibration_error"] <= 0.05
    outcomes = read_working(
        demo_run,
        "select churn_probability, case when is_churned then 1 else 0 end "
        "from intermediate.int_customer_churn_probabilities "
        "where cutoff_role = 'validation' and churn_probability is not null",
    )
    probabilities, churned = np.array(outcomes, dtype=float).T
    assert len(outcomes) == validation["score_customer_count"]
    assert validation["brier_score"] == pytest.approx(np.mean((probabilities - churned) ** 2), abs=1e-8)
    deciles = read_working(
        demo_run,
        "select customer_count, mean_predicted_outcome, outcome_rate from marts.fct_score_validation "
        "where score_name = 'churn_probability'",
    )
    assert validation["expected_calibration_error"] == pytest.approx(
        sum(count * abs(predicted - rate) for count, predicted, rate in deciles) / len(outcomes), abs=1e-8
    )


def test_a_churn_model_no_better_than_the_rfm_composite_warns_and_keeps_the_rfm_churn_flag(
    demo_run: RefreshResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A churn model refitted on average order value alone ranks churners worse than the RFM composite at the
    validation cutoff. With the lift bar lowered to 0, so that only the comparison with the composite can
    hold the flag back, the build warns and churn risk keeps the RFM rule under
    `segment_flags_source: predictions_when_validated`."""
    paths = WarehousePaths(tmp_path / "warehouse")
    paths.directory.mkdir()
    shutil.copy(demo_run.paths.working, paths.working)
    target = target_named("duckdb", paths)
    weak_features = ["average_order_value"]
    assert fit_churn_model(target, weak_features, 100, RUN_CLOCK + timedelta(days=1)).status == "fitted"
    weak_vars = {
        **DEMO_VARS, "churn_model_features": weak_features, "segment_flags_source": "predictions_when_validated",
        "min_score_lift": 0,
    }
    with caplog.at_level(logging.WARNING):
        run_dbt(
            ["build", "--select", "int_customer_churn_probabilities+", "--exclude", "fct_customer_score_history+",
             "--exclude-resource-type", "unit_test"],
            target.dbt_environment(), weak_vars, logging.getLogger(__name__), paths.dbt_target,
        )
    validation = churn_validation(paths.working)
    assert validation["auc_gain_over_rfm_composite"] < 0, validation
    assert "Warning in test churn_model_beats_rfm_composite" in caplog.text
    query = "select customer_id, is_churn_risk, churn_risk_flag_source from marts.dim_customer_segments"
    by_rules = {row[0]: row[1] for row in read_working(demo_run, query)}
    with duckdb.connect(str(paths.working), read_only=True) as connection:
        fallen_back = connection.execute(query).fetchall()
    assert {row[2] for row in fallen_back} == {"rfm_rules"}
    assert {row[0]: row[1] for row in fallen_back} == by_rules



def test_the_weight_review_proposes_rfm_weights_of_the_current_total_and_compares_both(demo_run: RefreshResult) -> None:
    """On the demo data the review fits R, F and M (the default composite) and sets its suggestion beside the
    current equal weights, with each weighting's ranking of the buyers at the validation cutoff. Which weights
    win depends on the data; what must hold is the form of the proposal."""
    rows = read_working(
        demo_run,
        "select criterion, current_weight, suggested_weight, is_reviewed, fit_status, validation_cutoff_date, "
        "current_auc, suggested_auc, current_churn_capture_rate, suggested_churn_capture_rate, "
        "current_revenue_capture_rate, suggested_revenue_capture_rate from marts.fct_score_weight_review "
        "order by criterion",
    )

    assert [row[:2] for row in rows] == [("frequency_score", 1), ("monetary_score", 1), ("recency_score", 1)]
    assert {row[3:6] for row in rows} == {(True, "fitted", CUTOFF_DATES["validation"])}
    suggested = [row[2] for row in rows]
    assert min(suggested) >= 0
    assert sum(suggested) == pytest.approx(3.0, abs=1e-3)
    for metric in rows[0][6:]:
        assert 0 < metric <= 1
    # the current weighting is the RFM composite, validated as such
    (rfm_composite_auc,) = read_working(
        demo_run, "select distinct auc from marts.fct_score_validation where score_name = 'rfm_composite'"
    )[0]
    assert rows[0][6] == rfm_composite_auc
