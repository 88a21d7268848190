"""dbt runs of a project that moved: the warehouse folder, dbt's saved parse with it, outlives the move."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from conftest import copy_project, run_dbt_in_copy
from scorehouse import dbt_runner
from scorehouse.duckdb_target import DuckDBTarget
from scorehouse.warehouse_targets import WarehousePaths

SEED = "age_bands"


def load_seed(project_dir: Path, warehouse: DuckDBTarget) -> None:
    run_dbt_in_copy(project_dir, ["seed", "--select", SEED], warehouse, None)


def test_a_moved_project_reloads_its_seeds_from_where_it_is_now(tmp_path: Path) -> None:
    warehouse = DuckDBTarget(WarehousePaths(tmp_path / "warehouse"))
    warehouse.paths.directory.mkdir()
    first_place = copy_project(tmp_path / "first_place")
    load_seed(first_place, warehouse)
    assert (warehouse.paths.dbt_target / dbt_runner.SAVED_PARSE_FILE).exists()

    moved = first_place.rename(tmp_path / "moved")
    load_seed(moved, warehouse)

    with (moved / "seeds" / f"{SEED}.csv").open(newline="") as seed_file:
        seed_row_count = len(list(csv.DictReader(seed_file)))
    with duckdb.connect(str(warehouse.paths.working), read_only=True) as connection:
        assert connection.execute(f"select count(*) from reference.{SEED}").fetchone() == (seed_row_count,)
    assert (warehouse.paths.dbt_target / dbt_runner.PARSED_PROJECT_FILE).read_text() == str(moved)
