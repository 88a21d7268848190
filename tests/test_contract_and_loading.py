"""The input contract check and the raw loader, on small files written by each test; and the staging of the
optional customer_attributes input, whose attribute columns the contract declares."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import copy_project, run_dbt_in_copy
from scorehouse.contract import CONTRACT, KIND_DESCRIPTIONS, ContractError, check_data_dir
from scorehouse.dbt_runner import PROJECT_DIR, DbtFailed, run_dbt
from scorehouse.duckdb_target import DuckDBTarget
from scorehouse.loading import RawLoad, accept_loaded_files, load_raw_tables
from scorehouse.warehouse_targets import WarehousePaths

LOADED_AT = datetime(2026, 1, 1, 12, 0, 0)
CUSTOMERS_CSV = "customer_id,created_at,country\nA,2025-01-01 10:00:00,US\nB,2025-02-01 10:00:00,GB\n"
ORDERS_CSV = (
    "order_id,customer_id,ordered_at,status,amount\n"
    "O1,A,2025-03-01 10:00:00,completed,10.50\n"
    "O2,B,2025-03-02 10:00:00,completed,oops\n"
)


def write_minimal_inputs(data_dir: Path) -> None:
    data_dir.mkdir(exist_ok=True)
    (data_dir / "customers.csv").write_text(CUSTOMERS_CSV)
    (data_dir / "orders.csv").write_text(ORDERS_CSV)


def test_every_contract_column_has_a_kind_the_check_knows() -> None:
    assert {column.kind for entity in CONTRACT for column in entity.columns} <= {"text", *KIND_DESCRIPTIONS}


def test_the_readme_shows_the_contract_the_dbt_source_declares() -> None:
    """The README's input table lists every input, whether it is required, and its columns in order, the
    optional ones in italics."""
    readme = (PROJECT_DIR / "README.md").read_text()
    shown = {
        name: (required == "yes", re.findall(r"(\*?)(\w+)\*?(?: \([^)]*\))?(?:, |$)", columns.strip()))
        for name, required, columns in re.findall(r"^\| `(\w+)` \| (yes|no) \| (.*) \|$", readme, re.MULTILINE)
    }
    assert shown == {
        entity.name: (entity.required, [("" if column.required else "*", column.name) for column in entity.columns])
        for entity in CONTRACT
    }


def test_optional_inputs_may_be_absent_and_optional_columns_missing(tmp_path: Path) -> None:
    write_minimal_inputs(tmp_path)
    found = {files.entity.name: files for files in check_data_dir(tmp_path)}
    assert found["customers"].paths == (tmp_path / "customers.csv",)
    assert found["events"].paths == ()


def test_an_isolated_unreadable_value_is_left_for_quarantine(tmp_path: Path) -> None:
    write_minimal_inputs(tmp_path)
    check_data_dir(tmp_path)  # 'oops' in one amount is a row defect, not a contract breach


def test_wrong_parquet_column_type_is_named(tmp_path: Path) -> None:
    write_minimal_inputs(tmp_path)
    (tmp_path / "customers.csv").unlink()
    duckdb.execute(
        f"copy (select 'A' as customer_id, true as created_at, 'US' as country) to '{tmp_path / 'customers.parquet'}'"
    )
    with pytest.raises(ContractError, match=r"customers.parquet: column 'created_at' has the wrong type"):
        check_data_dir(tmp_path)


def test_an_input_delivered_twice_is_refused(tmp_path: Path) -> None:
    write_minimal_inputs(tmp_path)
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "part-1.csv").write_text(ORDERS_CSV)
    with pytest.raises(ContractError, match="'orders' is delivered more than once"):
        check_data_dir(tmp_path)


def test_missing_data_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="the data directory does not exist"):
        check_data_dir(tmp_path / "nowhere")


def test_loading_keeps_values_lineage_and_absent_inputs(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_minimal_inputs(data_dir)
    (data_dir / "orders.csv").unlink()
    (data_dir / "orders").mkdir()
    (data_dir / "orders" / "part-1.csv").write_text(ORDERS_CSV)
    (data_dir / "orders" / "part-2.csv").write_text(
        "order_id,customer_id,ordered_at,status,amount\nO3,A,2025-04-01 10:00:00,refunded,5\n"
    )
    warehouse = tmp_path / "warehouse.duckdb"

    first_load = load_raw_tables(warehouse, check_data_dir(data_dir), LOADED_AT)
    assert first_load == RawLoad(
        {
            "customers": 2, "orders": 3, "order_items": 0, "events": 0, "nps_responses": 0,
            "campaign_sends": 0, "campaign_responses": 0, "customer_attributes": 0,
        }, is_append_only=False, loaded_file_count=3
    )
    # a second load of the same files keeps the rows, never duplicates them
    accept_loaded_files(warehouse, LOADED_AT)
    assert load_raw_tables(warehouse, check_data_dir(data_dir), LOADED_AT) == RawLoad(
        first_load.row_counts, is_append_only=True, loaded_file_count=0
    )

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        orders = connection.execute(
            "select order_id, amount, _source_file, _source_row_number, _loaded_at from raw.orders order by order_id"
        ).fetchall()
        customers_columns = [row[0] for row in connection.execute("describe raw.customers").fetchall()]
    assert orders == [
        ("O1", "10.50", str(data_dir / "orders" / "part-1.csv"), 1, LOADED_AT),
        ("O2", "oops", str(data_dir / "orders" / "part-1.csv"), 2, LOADED_AT),
        ("O3", "5", str(data_dir / "orders" / "part-2.csv"), 1, LOADED_AT),
    ]
    # optional columns absent from the file still exist, as nulls
    assert customers_columns[:8] == [
        "customer_id", "created_at", "email", "country", "birth_year", "gender", "acquisition_channel",
        "marketing_consent",
    ]


def raw_order_loads(warehouse: Path) -> list[tuple[str, datetime]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute("select order_id, _loaded_at from raw.orders order by order_id").fetchall()


def accepted_load_of_an_orders_folder(tmp_path: Path) -> tuple[Path, Path]:
    """The minimal inputs with orders as a folder of one file, loaded and accepted: the data directory and the
    warehouse, ready for a new orders file to be appended."""
    data_dir = tmp_path / "data"
    write_minimal_inputs(data_dir)
    (data_dir / "orders.csv").unlink()
    (data_dir / "orders").mkdir()
    (data_dir / "orders" / "part-1.csv").write_text(ORDERS_CSV)
    warehouse = tmp_path / "warehouse.duckdb"
    load_raw_tables(warehouse, check_data_dir(data_dir), LOADED_AT)
    accept_loaded_files(warehouse, LOADED_AT)
    return data_dir, warehouse


def test_a_raw_table_loaded_before_the_contract_gained_a_column_gains_it_on_the_next_append(tmp_path: Path) -> None:
    data_dir, warehouse = accepted_load_of_an_orders_folder(tmp_path)
    # as a warehouse loaded by a version whose contract had no marketing_consent
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("alter table raw.customers drop column marketing_consent")

    (data_dir / "orders" / "part-2.csv").write_text(
        "order_id,customer_id,ordered_at,status,amount\nO3,A,2025-04-01 10:00:00,refunded,5\n"
    )
    appended = load_raw_tables(warehouse, check_data_dir(data_dir), LOADED_AT + timedelta(days=1))

    assert appended.is_append_only
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        consent = connection.execute("select count(*), count(marketing_consent) from raw.customers").fetchone()
    assert consent == (appended.row_counts["customers"], 0)


def test_new_files_are_appended_and_any_other_change_reloads_everything(tmp_path: Path) -> None:
    data_dir, warehouse = accepted_load_of_an_orders_folder(tmp_path)

    # a new file: its rows are appended with the new load time, the others keep theirs
    later, latest = LOADED_AT + timedelta(days=1), LOADED_AT + timedelta(days=2)
    (data_dir / "orders" / "part-2.csv").write_text(
        "order_id,customer_id,ordered_at,status,amount\nO3,A,2025-04-01 10:00:00,refunded,5\n"
    )
    appended = load_raw_tables(warehouse, check_data_dir(data_dir), later)
    assert appended.is_append_only
    assert raw_order_loads(warehouse) == [("O1", LOADED_AT), ("O2", LOADED_AT), ("O3", later)]
    accept_loaded_files(warehouse, later)

    # a new file stamped no later than the rows already loaded could not be told apart from them
    (data_dir / "orders" / "part-3.csv").write_text(
        "order_id,customer_id,ordered_at,status,amount\nO4,A,2025-04-02 10:00:00,completed,7\n"
    )
    assert not load_raw_tables(warehouse, check_data_dir(data_dir), later).is_append_only
    assert raw_order_loads(warehouse) == [("O1", later), ("O2", later), ("O3", later), ("O4", later)]

    # a changed file, and a removed one, replace every raw table
    (data_dir / "orders" / "part-1.csv").write_text(ORDERS_CSV.replace("10.50", "11.50"))
    (data_dir / "orders" / "part-2.csv").unlink()
    reload = load_raw_tables(warehouse, check_data_dir(data_dir), latest)
    assert reload == RawLoad(
        {
            "customers": 2, "orders": 3, "order_items": 0, "events": 0, "nps_responses": 0,
            "campaign_sends": 0, "campaign_responses": 0, "customer_attributes": 0,
        }, is_append_only=False, loaded_file_count=3
    )
    assert raw_order_loads(warehouse) == [("O1", latest), ("O2", latest), ("O4", latest)]


def test_a_load_no_refresh_accepted_is_loaded_again_in_full(tmp_path: Path) -> None:
    """Until a refresh accepts a load (its checks passed and it was published), the next load replaces
    every raw table, so that a refused or half-processed delivery is checked again in full."""
    data_dir = tmp_path / "data"
    write_minimal_inputs(data_dir)
    warehouse = tmp_path / "warehouse.duckdb"
    assert not load_raw_tables(warehouse, check_data_dir(data_dir), LOADED_AT).is_append_only

    later = LOADED_AT + timedelta(days=1)
    reload = load_raw_tables(warehouse, check_data_dir(data_dir), later)
    assert not reload.is_append_only
    assert {loaded_at for _, loaded_at in raw_order_loads(warehouse)} == {later}

    accept_loaded_files(warehouse, later)
    assert load_raw_tables(warehouse, check_data_dir(data_dir), later + timedelta(days=1)).is_append_only
    assert {loaded_at for _, loaded_at in raw_order_loads(warehouse)} == {later}


ATTRIBUTES_HEADER = "customer_id,is_loyalty_member,events_attended,social_engagement_score"


def test_customer_attributes_are_typed_checked_and_versioned(tmp_path: Path) -> None:
    """A hand-made delivery in two files, staged by dbt: each row staged or quarantined with its reason, the
    later file's row of a customer winning, an empty value staged as null."""
    data_dir = tmp_path / "data"
    write_minimal_inputs(data_dir)
    (data_dir / "customers.csv").write_text(
        CUSTOMERS_CSV + "C,2025-03-01 10:00:00,DE\nD,2025-04-01 10:00:00,FR\n"
    )
    attributes_dir = data_dir / "customer_attributes"
    attributes_dir.mkdir()
    (attributes_dir / "part-1.csv").write_text(
        f"{ATTRIBUTES_HEADER}\nA,true,3,12.5\nZ,false,0,1\n,true,1,2\nB,maybe,1,2\nC,f,0,0.25\nD,T,,\n"
    )
    (attributes_dir / "part-2.csv").write_text(f"{ATTRIBUTES_HEADER}\nC,1,2,7.5\n")
    warehouse = tmp_path / "warehouse.duckdb"
    raw_rows = load_raw_tables(warehouse, check_data_dir(data_dir), LOADED_AT).row_counts["customer_attributes"]
    # the staging of every input, and the data tests that it loses no row and knows every reason's policy
    run_dbt(
        [
            "build", "--select", "+path:models/staging/shop", "row_checks", "raw_rows_are_staged_or_quarantined",
            "quarantine_reasons_have_a_row_check", "--indirect-selection", "cautious",
        ],
        {"SCOREHOUSE_TARGET": "duckdb", "SCOREHOUSE_DUCKDB_PATH": str(warehouse)},
        None,
        logging.getLogger(__name__),
        target_dir=tmp_path / "dbt",
    )

    first, second = str(attributes_dir / "part-1.csv"), str(attributes_dir / "part-2.csv")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        staged_types = connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'staging' and table_name = 'stg_shop__customer_attributes' order by ordinal_position"
        ).fetchall()
        staged = connection.execute(
            "select customer_id, is_loyalty_member, events_attended, social_engagement_score, source_file, "
            "source_row_number from staging.stg_shop__customer_attributes order by customer_id"
        ).fetchall()
        quarantined = connection.execute(
            "select source_file, source_row_number, record_key, quarantine_reason "
            "from staging.stg_shop__quarantined_rows where source_table = 'customer_attributes' "
            "order by source_file, source_row_number"
        ).fetchall()
    assert staged_types == [
        ("customer_id", "VARCHAR"), ("is_loyalty_member", "BOOLEAN"), ("events_attended", "BIGINT"),
        ("social_engagement_score", "DECIMAL(28,6)"), ("source_file", "VARCHAR"), ("source_row_number", "BIGINT"),
        ("loaded_at", "TIMESTAMP"),
    ]
    assert staged == [
        ("A", True, 3, Decimal("12.5"), first, 1),
        ("C", True, 2, Decimal("7.5"), second, 1),
        ("D", True, None, None, first, 6),
    ]
    assert quarantined == [
        (first, 2, "Z", "unknown customer_id"),
        (first, 3, None, "missing customer_id"),
        (first, 4, "B", "invalid attribute value"),
        (first, 5, "C", "older version of customer_id"),
    ]
    assert raw_rows == 7 == len(staged) + len(quarantined)


def test_columns_customer_attributes_does_not_declare_are_ignored(tmp_path: Path) -> None:
    """As for every input: an extra column is neither a contract error nor loaded, and a declared attribute the
    file leaves out is loaded as null."""
    data_dir = tmp_path / "data"
    write_minimal_inputs(data_dir)
    (data_dir / "customer_attributes.csv").write_text("customer_id,favourite_colour,is_loyalty_member\nA,blue,t\n")
    warehouse = tmp_path / "warehouse.duckdb"
    load_raw_tables(warehouse, check_data_dir(data_dir), LOADED_AT)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        raw = connection.execute("select * from raw.customer_attributes")
        columns = [column[0] for column in raw.description]
        rows = raw.fetchall()
    assert columns == [
        "customer_id", "is_loyalty_member", "events_attended", "social_engagement_score",
        "_source_file", "_source_row_number", "_loaded_at",
    ]
    assert rows == [("A", "t", None, None, str(data_dir / "customer_attributes.csv"), 1, LOADED_AT)]


def test_an_attribute_declared_as_text_stops_the_build_naming_it(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    sources = project / "models" / "staging" / "shop" / "_shop__sources.yml"
    declared = "          - name: events_attended\n            data_type: integer\n"
    assert declared in sources.read_text()
    sources.write_text(sources.read_text().replace(declared, declared.replace("integer", "text")))
    warehouse = DuckDBTarget(WarehousePaths(tmp_path / "warehouse"))
    warehouse.paths.directory.mkdir()
    with pytest.raises(DbtFailed) as failure:
        run_dbt_in_copy(project, ["compile", "--select", "stg_shop__customer_attributes_checked"], warehouse, None)
    assert str(failure.value) == (
        "customer_attributes column 'events_attended' is declared as text in "
        "models/staging/shop/_shop__sources.yml; declare it integer, number or boolean, the kinds a score can use."
    )
