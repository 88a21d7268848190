"""Identity reconciliation on the hand-computed data set: a second account with the email of C01 (in other
case and with blanks) is scored as C01's person, with both accounts' orders, and leaves it again, in an
incremental refresh, when a newer version of the account brings an email of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import KNOWN_ANSWER_NOW, KNOWN_ANSWER_VARS
from scorehouse.scoring_flow import RefreshResult, refresh_scores

SECOND_ACCOUNT = "C12,2024-03-01 09:00:00, C01@Example.COM ,US,1980,female,organic"
# dated within the 365-day window before the as-of date, 2025-06-30
SECOND_ACCOUNT_ORDER = "O101,C12,2025-06-10 10:00:00,completed,60.00"
SUMMARY_COLUMNS = "purchase_count, frequency, monetary, lifetime_revenue, recency_days, order_count"


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def summaries(result: RefreshResult) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in query(
            result.paths.working, f"select customer_id, {SUMMARY_COLUMNS} from intermediate.int_customers_summarized"
        )
    }


@pytest.fixture(scope="module")
def second_account_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The known-answer files, with customers as a folder of deliveries, C12 in the first of them and C12's
    order among the orders."""
    known_answer = Path(__file__).parent / "fixtures" / "known_answer"
    data_dir = tmp_path_factory.mktemp("identity_data")
    for name in ("events", "nps_responses"):
        (data_dir / f"{name}.csv").write_text((known_answer / f"{name}.csv").read_text())
    (data_dir / "orders.csv").write_text((known_answer / "orders.csv").read_text() + SECOND_ACCOUNT_ORDER + "\n")
    (data_dir / "customers").mkdir()
    (data_dir / "customers" / "part-1.csv").write_text(
        (known_answer / "customers.csv").read_text() + SECOND_ACCOUNT + "\n"
    )
    return data_dir


@pytest.fixture(scope="module")
def second_account_run(second_account_data: Path, tmp_path_factory: pytest.TempPathFactory) -> RefreshResult:
    return refresh_scores(
        data_dir=second_account_data,
        warehouse_dir=tmp_path_factory.mktemp("identity_warehouse"),
        dbt_vars=KNOWN_ANSWER_VARS,
        now=KNOWN_ANSWER_NOW,
    )


def test_a_second_account_is_scored_once_with_its_persons_orders(
    second_account_run: RefreshResult, known_answer_run: RefreshResult
) -> None:
    with_second_account, known = summaries(second_account_run), summaries(known_answer_run)
    purchases, frequency, monetary, revenue, recency_days, orders = known["C01"]
    assert with_second_account["C01"] == (
        purchases + 1, frequency + 1, monetary + 60, revenue + 60, recency_days, orders + 1
    )
    assert "C12" not in with_second_account
    assert {customer: row for customer, row in with_second_account.items() if customer != "C01"} == {
        customer: row for customer, row in known.items() if customer != "C01"
    }
    segmented = query(second_account_run.paths.working, "select customer_id from marts.dim_customer_segments")
    assert {customer for customer, in segmented} == set(known)


def test_customers_are_persons_plus_merged_customer_ids(second_account_run: RefreshResult) -> None:
    identities = query(
        second_account_run.paths.working,
        "select customer_id, person_id, is_survivor, person_customer_count from marts.dim_customer_identities "
        "where person_customer_count > 1 order by customer_id",
    )
    assert identities == [("C01", "C01", True, 2), ("C12", "C01", False, 2)]
    customers, persons, merged = query(
        second_account_run.paths.working,
        """
        select
            (select count(*) from staging.stg_shop__customers),
            (select count(*) from marts.dim_customer_segments),
            (select count(*) from marts.dim_customer_identities where not is_survivor)
        """,
    )[0]
    assert (customers, persons, merged) == (12, 11, 1)


def test_an_incremental_refresh_moves_a_customer_whose_email_changed(
    second_account_data: Path,
    second_account_run: RefreshResult,
    known_answer_run: RefreshResult,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """C12's newer version has its own email: C01 gets back exactly its known-answer row, C12 one of its own,
    both recomputed by an incremental build (only the new customers file was loaded)."""
    warehouse_dir = tmp_path_factory.mktemp("identity_incremental")
    for path in second_account_run.paths.directory.glob("*.duckdb"):
        (warehouse_dir / path.name).write_bytes(path.read_bytes())
    header = (second_account_data / "customers" / "part-1.csv").read_text().splitlines()[0]
    (second_account_data / "customers" / "part-2.csv").write_text(
        f"{header}\n{SECOND_ACCOUNT.replace(' C01@Example.COM ', 'c12@example.com')}\n"
    )
    incremental = refresh_scores(
        data_dir=second_account_data,
        warehouse_dir=warehouse_dir,
        dbt_vars=KNOWN_ANSWER_VARS,
        now=KNOWN_ANSWER_NOW + timedelta(hours=6),
    )
    moved, known = summaries(incremental), summaries(known_answer_run)
    assert moved.pop("C12") == (1, 1, 60, 60, 20, 1)
    assert moved == known
    assert query(
        incremental.paths.working,
        "select count(*) from marts.dim_customer_identities where person_customer_count > 1",
    ) == [(0,)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"identity_reconciliation": "yes"}, "var 'identity_reconciliation' must be true or false, got \"yes\""),
        (
            {"identity_email_provider_rules": {"gmail.com": ["ignore_case"]}},
            "var 'identity_email_provider_rules' must map lower-case email domains to lists of ignore_dots and "
            "ignore_plus_suffix",
        ),
        ({"identity_email_provider_rules": {"Gmail.com": ["ignore_dots"]}}, "identity_email_provider_rules"),
        ({"identity_email_provider_rules": {"gmail.com": "ignore_dots"}}, "identity_email_provider_rules"),
        ({"identity_email_provider_rules": ["gmail.com"]}, "identity_email_provider_rules"),
    ],
)
def test_invalid_identity_var_is_named(var_refusal: Callable[[dict], str], overrides: dict, message: str) -> None:
    assert message in var_refusal(overrides)


def test_the_provider_rules_are_accepted(var_refusal: Callable[[dict], str]) -> None:
    rules = {"gmail.com": ["ignore_dots", "ignore_plus_suffix"], "googlemail.com": ["ignore_dots"]}
    assert var_refusal({"identity_email_provider_rules": rules, "identity_reconciliation": False}) == ""
