"""Audience exports on the known-answer customers (tests/fixtures/known_answer, segments and VIPs worked in
its README) with marketing consent and emails written the ways deliveries write them: only consenting
customers with an email are exportable, their email leaves only as the SHA-256 of its trimmed, lower-case
form, and each export is recorded with its members."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.csv
import pyarrow.parquet
import pytest

from conftest import KNOWN_ANSWER_DIR, KNOWN_ANSWER_NOW, KNOWN_ANSWER_VARS
from scorehouse import cli
from scorehouse.scoring_flow import RefreshResult, refresh_scores

# the known-answer customers with consent: missing (C04, blank), unreadable ("yes" for C05: treated as
# missing), and each way a boolean may be written; emails with blanks and capitals
CUSTOMERS_CSV = """customer_id,created_at,email,country,birth_year,gender,acquisition_channel,marketing_consent
C01,2023-01-01 09:00:00, Ann.Lee@Example.COM ,US,1980,female,organic,true
C02,2023-01-01 09:00:00,c02@example.com,GB,1975,male,paid_search,false
C03,2023-01-01 09:00:00,,DE,,female,social,true
C04,2023-01-01 09:00:00,c04@example.com,US,1990,male,email,
C05,2023-01-01 09:00:00,c05@example.com,FR,1985,,referral,yes
C06,2023-01-01 09:00:00,C06@EXAMPLE.COM,US,1960,female,organic,1
C07,2023-01-01 09:00:00,c07@example.com,NL,2000,nonbinary,affiliate,t
C08,2023-01-01 09:00:00,c08@example.com,US,1995,male,organic,TRUE
C09,2024-06-01 09:00:00,c09@example.com,ES,1999,female,social,f
C10,2023-01-01 09:00:00,c10@example.com,US,1970,male,organic,True
C11,2023-01-01 09:00:00,c11@example.com,GB,1988,female,paid_search,0
"""
# sha256sum of each normalised address, worked outside the project (e.g. `printf %s ann.lee@example.com |
# sha256sum`)
EXPORTABLE = {
    "C01": "b7e0d8372a47f54bbefeb251ab9ac1e9e6b2d1983263de10196101be3961ed23",  # ann.lee@example.com
    "C06": "8881884bdd4d0f24751008e306397d86dc252516c71a6af102348a225c65f185",  # c06@example.com
    "C07": "e0ca7b8a9a44f36906fd9aabafdc79bed64f3c440c942827b796949a50e7acea",  # c07@example.com
    "C08": "e1aebc2bcd478a0be060cc536c047e9a50ecdbce81d5c10a6f6d6f8ffdc80b98",  # c08@example.com
    "C10": "d821d9eaba58222319a343d74063e3cc5af949add9e713b1a9188db2edd2318a",  # c10@example.com
}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> RefreshResult:
    root = tmp_path_factory.mktemp("audiences")
    data_dir = root / "data"
    shutil.copytree(KNOWN_ANSWER_DIR, data_dir, ignore=shutil.ignore_patterns("*.md"))
    (data_dir / "customers.csv").write_text(CUSTOMERS_CSV)
    return refresh_scores(
        data_dir=data_dir, warehouse_dir=root / "warehouse", dbt_vars=KNOWN_ANSWER_VARS, now=KNOWN_ANSWER_NOW
    )


def export(result: RefreshResult, *arguments: str) -> int:
    return cli.main(["export", *arguments, "--warehouse-dir", str(result.paths.directory), "--target", "duckdb"])


def test_only_consenting_customers_with_an_email_are_exportable(published: RefreshResult) -> None:
    with duckdb.connect(str(published.paths.published), read_only=True) as connection:
        rows = connection.execute(
            "select customer_id, email_sha256, segment_name, is_vip from marts.dim_audience_customers"
        ).fetchall()
    assert {customer_id: email_sha256 for customer_id, email_sha256, _, _ in rows} == EXPORTABLE
    # the known answer's segments and VIPs
    assert {(customer_id, segment, is_vip) for customer_id, _, segment, is_vip in rows} == {
        ("C01", "champions", True), ("C06", "lost", False), ("C07", "potential_loyalists", False),
        ("C08", "prospect", False), ("C10", "need_attention", False),
    }


def test_a_segment_export_writes_its_exportable_customers_and_records_them(
    published: RefreshResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "loyalists.csv"
    assert export(published, "--segment", "potential_loyalists", "--out", str(out)) == 0

    # C03 is a potential loyalist too, without an email
    assert pyarrow.csv.read_csv(out).to_pylist() == [{"customer_id": "C07", "email_sha256": EXPORTABLE["C07"]}]
    assert "Audience segment potential_loyalists: 1 customers written to" in capsys.readouterr().out
    with duckdb.connect(str(published.paths.run_log), read_only=True) as connection:
        exports = connection.execute(
            "select export_id, audience, publication_run_id, member_count, file_format from audience_exports "
            "where path = ?", [str(out)]
        ).fetchall()
        (export_id, *recorded), = exports
        members = connection.execute(
            "select customer_id from audience_members where export_id = ?", [export_id]
        ).fetchall()
    assert recorded == ["segment potential_loyalists", published.run_id, 1, "csv"]
    assert members == [("C07",)]


def test_a_flag_export_as_parquet_leaves_out_the_customers_without_consent(
    published: RefreshResult, tmp_path: Path
) -> None:
    out = tmp_path / "vip.parquet"
    assert export(published, "--flag", "is_vip", "--out", str(out)) == 0

    # the VIPs are C01, C02 and C03: C02 refused marketing, C03 has no email
    assert pyarrow.parquet.read_table(out).to_pylist() == [{"customer_id": "C01", "email_sha256": EXPORTABLE["C01"]}]


def test_a_lookalike_export_holds_the_exportable_customers_among_the_top_ranks(
    published: RefreshResult, tmp_path: Path
) -> None:
    with duckdb.connect(str(published.paths.published), read_only=True) as connection:
        ranks = dict(connection.execute(
            "select customer_id, resemblance_rank from marts.fct_customer_lookalikes"
        ).fetchall())
    # the seed group (champions, VIPs: C01, C02, C03) is not ranked; the other eight are
    assert sorted(ranks) == ["C04", "C05", "C06", "C07", "C08", "C09", "C10", "C11"]
    assert sorted(ranks.values()) == list(range(1, 9))
    out = tmp_path / "lookalikes.csv"
    assert export(published, "--lookalikes", "4", "--out", str(out)) == 0

    # customers without consent or email are ranked but never leave
    expected = {customer_id for customer_id in EXPORTABLE if customer_id in ranks and ranks[customer_id] <= 4}
    assert {row["customer_id"] for row in pyarrow.csv.read_csv(out).to_pylist()} == expected


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("--segment", "champion"),
            "scorehouse: segment 'champion' is not one of about_to_sleep, at_risk, cant_lose_them, champions, "
            "hibernating, lost, loyal, need_attention, potential_loyalists, promising, prospect, recent "
            "(marts.fct_segment_summary); choose one of them\n",
        ),
        (
            ("--flag", "vip"),
            "scorehouse: flag 'vip' is not one of is_ambassador, is_churn_risk, is_detractor_to_save, is_vip; "
            "choose one of them\n",
        ),
    ],
)
def test_an_unknown_audience_is_one_sentence_and_writes_nothing(
    published: RefreshResult, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: tuple, message: str
) -> None:
    out = tmp_path / "audience.csv"
    assert export(published, *arguments, "--out", str(out)) == 1
    assert capsys.readouterr().err == message
    assert not out.exists()


def test_no_plain_email_is_published_or_exported(published: RefreshResult, tmp_path: Path) -> None:
    exported = [tmp_path / "champions.csv", tmp_path / "lost.parquet"]
    assert export(published, "--segment", "champions", "--out", str(exported[0])) == 0
    assert export(published, "--segment", "lost", "--out", str(exported[1])) == 0

    with duckdb.connect(str(published.paths.published), read_only=True) as connection:
        text_columns = connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        assert text_columns
        with_at_sign = [
            f"{schema}.{table}.{column}"
            for schema, table, column in text_columns
            if connection.execute(f'select count(*) from {schema}.{table} where "{column}" like \'%@%\'').fetchone()[0]
        ]
    assert with_at_sign == []
    assert b"example.com" not in exported[0].read_bytes().lower()
    # Parquet may compress text: its values are checked instead
    assert not [value for value in pyarrow.parquet.read_table(exported[1]).to_pylist() if "@" in str(value)]
