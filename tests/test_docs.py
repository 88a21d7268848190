"""`scorehouse docs` on the known-answer warehouse: dbt's static documentation site is written, every model
and seed states its grain, every column of every built table is described, and the exposures name what reads
the published marts. New models are held to the same rule the moment they are added. The project compiles
on a warehouse that holds nothing yet, as on a fresh clone.

The written documentation is held to its own rules: the README stays short and for users, names every
published table and the test command CI runs, every docs page is linked from it, every var is documented
in docs/configuration.md, and no link between the pages points nowhere."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import KNOWN_ANSWER_VARS
from scorehouse import cli
from scorehouse.dbt_runner import run_dbt
from scorehouse.scoring_flow import RefreshResult
from scorehouse.warehouse_targets import PUBLISHED_TABLES, WarehousePaths, target_named

DOCUMENTED_RESOURCE_TYPES = ("model", "seed", "snapshot")
GRAIN_PHRASE = "one row per"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
README = PROJECT_ROOT / "README.md"
DOCS_DIR = PROJECT_ROOT / "docs"
CONFIGURATION_PAGE = DOCS_DIR / "configuration.md"
README_MAX_LINES = 250
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCED_CODE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def documented_nodes(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        unique_id: node for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in DOCUMENTED_RESOURCE_TYPES
    }


def nodes_without_grain(manifest: dict[str, Any]) -> list[str]:
    """Models and seeds whose description does not say what one row is."""
    return sorted(
        node["name"] for node in documented_nodes(manifest).values()
        if GRAIN_PHRASE not in (node["description"] or "").lower()
    )


def undescribed_columns(manifest: dict[str, Any], catalog: dict[str, Any]) -> list[str]:
    """`model.column` for every column, declared in yml or present in the built relation, without a
    description."""
    missing = []
    for unique_id, node in documented_nodes(manifest).items():
        descriptions = {name.lower(): column["description"] for name, column in node["columns"].items()}
        built = catalog["nodes"].get(unique_id, {}).get("columns", {})
        for column in sorted(set(descriptions) | {name.lower() for name in built}):
            if not (descriptions.get(column) or "").strip():
                missing.append(f"{node['name']}.{column}")
    return sorted(missing)


@pytest.fixture(scope="module")
def docs_dir(known_answer_run: RefreshResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`scorehouse docs` on a copy of the known-answer warehouse the session's refresh built (the docs, and a
    test's build below, write into the warehouse directory, which the other tests share)."""
    paths = WarehousePaths(tmp_path_factory.mktemp("docs_warehouse"))
    shutil.copy(known_answer_run.paths.working, paths.working)
    exit_code = cli.main([
        "docs", "--target", "duckdb", "--warehouse-dir", str(paths.directory),
        "--as-of-date", KNOWN_ANSWER_VARS["as_of_date"],
    ])
    assert exit_code == 0
    return paths.dbt_docs


@pytest.fixture(scope="module")
def manifest(docs_dir: Path) -> dict[str, Any]:
    return json.loads((docs_dir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def catalog(docs_dir: Path) -> dict[str, Any]:
    return json.loads((docs_dir / "catalog.json").read_text())


def test_docs_command_writes_one_html_file_with_the_models_and_exposures(docs_dir: Path) -> None:
    page = (docs_dir / "static_index.html").read_text()
    for name in (
        "dim_customer_segments", "fct_customer_score_history", "scorehouse_report", "customer_segments_dashboard"
    ):
        assert name in page


def test_catalog_has_every_built_model(manifest: dict[str, Any], catalog: dict[str, Any]) -> None:
    """Otherwise the column rule below would silently check declared columns only."""
    models = {unique_id for unique_id, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    assert models - catalog["nodes"].keys() == set()


def test_clean_staging_models_keep_every_column_of_their_checked_model(catalog: dict[str, Any]) -> None:
    """A clean staging model selects the columns its yml documents (rows_passing_checks), so a column added to
    the checked model but not documented there would be dropped without a word: the two must differ by
    quarantine_reason alone."""
    calls = re.compile(r"rows_passing_checks\(ref\('(\w+)'\)")
    pairs = {
        model.stem: match[1]
        for model in (PROJECT_ROOT / "models").rglob("*.sql")
        if (match := calls.search(model.read_text()))
    }
    assert len(pairs) == 7

    def columns(name: str) -> list[str]:
        return list(catalog["nodes"][f"model.scorehouse.{name}"]["columns"])

    for clean, checked in pairs.items():
        assert sorted(columns(clean)) == sorted(set(columns(checked)) - {"quarantine_reason"}), clean


def test_every_model_and_seed_states_its_grain(manifest: dict[str, Any]) -> None:
    assert nodes_without_grain(manifest) == [], f'descriptions lacking "{GRAIN_PHRASE} ..."'


def test_every_column_is_described(manifest: dict[str, Any], catalog: dict[str, Any]) -> None:
    assert undescribed_columns(manifest, catalog) == [], "columns without a description in the models' yml"


def test_exposures_read_published_marts_and_name_an_owner(manifest: dict[str, Any]) -> None:
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    published = {table.split(".")[1] for table in PUBLISHED_TABLES}
    assert {"scorehouse_report", "customer_segments_dashboard"} <= exposures.keys()
    for name, exposure in exposures.items():
        assert exposure["description"].strip() and exposure["owner"]["name"], name
        assert "://" not in (exposure.get("url") or ""), f"{name}: a url must be a relative path, not a placeholder"
        read = {manifest["nodes"][unique_id]["name"] for unique_id in exposure["depends_on"]["nodes"]}
        assert read and read <= published, f"{name} reads tables BI does not get: {sorted(read - published)}"
    report_reads = {
        manifest["nodes"][unique_id]["name"] for unique_id in exposures["scorehouse_report"]["depends_on"]["nodes"]
    }
    # what flows/scorehouse/report.py reads
    assert report_reads == {
        "fct_segment_summary", "fct_rfm_grid", "fct_composite_score_histogram", "fct_segment_migrations",
        "fct_score_validation", "fct_customer_value_validation", "fct_fairness_audit", "fct_score_weight_review",
        "fct_lookalike_validation",
    }


def upstream_models(manifest: dict[str, Any], name: str) -> set[str]:
    """The names of the models model `name` reads, directly or through others."""
    models = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    by_id = {node["unique_id"]: name for name, node in models.items()}
    found, pending = set(), [name]
    while pending:
        parents = {by_id[parent] for parent in models[pending.pop()]["depends_on"]["nodes"] if parent in by_id}
        pending += parents - found
        found |= parents
    return found


def test_the_score_history_waits_for_every_published_mart_it_does_not_feed(manifest: dict[str, Any]) -> None:
    """The refresh builds the history in the same dbt build as the marts and publishes only when every test
    passed: each published mart is either upstream of the history (so its tests hold the history back) or
    built from it."""
    history = "fct_customer_score_history"
    before_history = upstream_models(manifest, history)
    neither = [
        table for table in (qualified.split(".")[1] for qualified in PUBLISHED_TABLES)
        if table not in before_history and history not in upstream_models(manifest, table)
    ]
    assert neither == [], f"add these to {history}.sql's depends_on lines"


def test_the_rfm_scores_read_only_customers_and_orders(manifest: dict[str, Any]) -> None:
    """R, F and M come from the orders: the staging of events, NPS answers, items and campaigns does not hold
    the scores back."""
    staged = {name for name in upstream_models(manifest, "fct_customer_rfm_scores") if name.startswith("stg_")}
    assert staged == {
        "stg_shop__customers_checked", "stg_shop__customers", "stg_shop__orders_checked", "stg_shop__orders",
    }


def test_the_rules_name_what_breaks_them() -> None:
    """The two checks on a hand-made manifest: an undeclared built column, a declared column with a blank
    description and a model described without its grain are each named; described ones are not."""
    manifest = {"nodes": {
        "model.scorehouse.good": {
            "resource_type": "model", "name": "good", "description": "One row per customer.",
            "columns": {"customer_id": {"description": "Customer key."}},
        },
        "model.scorehouse.bad": {
            "resource_type": "model", "name": "bad", "description": "Customers.",
            "columns": {"customer_id": {"description": " "}, "Segment_Name": {"description": "Segment."}},
        },
        "test.scorehouse.not_documented": {"resource_type": "test", "name": "x", "description": "", "columns": {}},
    }}
    catalog = {"nodes": {
        "model.scorehouse.good": {"columns": {"customer_id": {}, "as_of_date": {}}},
        "model.scorehouse.bad": {"columns": {"customer_id": {}, "segment_name": {}}},
    }}
    assert nodes_without_grain(manifest) == ["bad"]
    assert undescribed_columns(manifest, catalog) == ["bad.customer_id", "good.as_of_date"]


def test_the_project_compiles_on_an_empty_warehouse(tmp_path: Path) -> None:
    """`dbt compile` (and the SQL lint, which compiles every file) works before anything is loaded: no model
    or test needs a table to exist to be compiled, and a clean staging model still lists its columns."""
    target = target_named("duckdb", WarehousePaths(tmp_path))
    run_dbt(["compile"], target.dbt_environment(), None, logging.getLogger("scorehouse.tests"), tmp_path / "dbt")

    compiled = json.loads((tmp_path / "dbt" / "run_results.json").read_text())["results"]
    models = [result for result in compiled if result["unique_id"].startswith("model.")]
    assert len(models) == len(list((PROJECT_ROOT / "models").rglob("*.sql")))
    assert {result["status"] for result in compiled} == {"success"}
    [staged] = (tmp_path / "dbt" / "compiled").rglob("stg_shop__customers.sql")
    assert '"customer_id",' in staged.read_text()


def test_dbt_build_reports_each_node_as_n_of_m(docs_dir: Path, tmp_path: Path) -> None:
    """A person watching a build sees how far it got: every node's start and result line counts it
    ("3 of 4 START ...", "3 of 4 PASS ..."), numbered 1 to m with m the nodes dbt ran."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("scorehouse.tests.n_of_m")
    logger.setLevel(logging.INFO)
    logger.addHandler(Collect())
    target = target_named("duckdb", WarehousePaths(docs_dir.parent))
    run_dbt(["build", "--select", "order_statuses"], target.dbt_environment(), None, logger, tmp_path)

    ran = json.loads((tmp_path / "run_results.json").read_text())["results"]
    # the project's on-run-start hook is counted apart ("1 of 1 START hook: ..."), and is no node
    counted = [
        re.match(r"(\d+) of (\d+) (START|OK|PASS) (?!hook)", record.getMessage()) for record in records
        if record.levelno == logging.INFO
    ]
    counts = [(int(match[1]), int(match[2]), match[3]) for match in counted if match]
    node_count = len([result for result in ran if not result["unique_id"].startswith("operation.")])
    assert node_count >= 2  # the seed and at least one test on it
    assert sorted(n for n, _, step in counts if step == "START") == list(range(1, node_count + 1))
    assert {m for _, m, _ in counts} == {node_count}
    assert len([step for _, _, step in counts if step != "START"]) == node_count


def without_code_blocks(text: str) -> str:
    return FENCED_CODE.sub("", text)


def heading_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation other than - and _ dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def markdown_anchors(text: str) -> set[str]:
    return {
        heading_anchor(heading) for heading in re.findall(r"^#{1,6} (.+)$", without_code_blocks(text), re.MULTILINE)
    }


def markdown_links(text: str) -> list[str]:
    return MARKDOWN_LINK.findall(without_code_blocks(text))


def broken_links(page: Path) -> list[str]:
    """Relative links of a markdown page whose file, or heading anchor in a markdown file, does not exist."""
    broken = []
    for link in markdown_links(page.read_text()):
        if "://" in link or link.startswith("mailto:"):
            continue
        path, _, anchor = link.partition("#")
        linked = (page.parent / path) if path else page
        if not linked.exists():
            broken.append(link)
        elif anchor and linked.suffix == ".md" and anchor not in markdown_anchors(linked.read_text()):
            broken.append(link)
    return broken


def test_readme_is_short() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move methods to docs/"


def test_links_of_the_readme_and_docs_resolve() -> None:
    pages = [README, PROJECT_ROOT / "bench" / "README.md", *sorted(DOCS_DIR.glob("*.md"))]
    broken = {str(page.relative_to(PROJECT_ROOT)): broken_links(page) for page in pages if page.exists()}
    assert {page: links for page, links in broken.items() if links} == {}


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {link.partition("#")[0] for link in markdown_links(README.read_text())}
    pages = {f"docs/{page.name}" for page in DOCS_DIR.glob("*.md")}
    assert pages - linked == set()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme_commands = re.findall(r"^(make \S+)\s+#", README.read_text(), re.MULTILINE)
    assert readme_commands == ["make demo", "make test"]
    ci_commands = [
        line.strip() for line in (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci_commands == ["make test"]


def test_readme_names_every_published_table() -> None:
    readme = README.read_text()
    missing = [table for table in PUBLISHED_TABLES if f"`{table.split('.')[1]}`" not in readme]
    assert missing == [], "published tables the README's outputs do not list"


def test_every_var_is_documented() -> None:
    project_vars = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"]
    documented = set(re.findall(r"^\| `(\w+)` \|", CONFIGURATION_PAGE.read_text(), re.MULTILINE))
    assert sorted(project_vars.keys() - documented) == [], f"vars missing from {CONFIGURATION_PAGE.name}'s table"
    assert sorted(documented - project_vars.keys()) == [], f"{CONFIGURATION_PAGE.name} documents vars that do not exist"


def test_the_link_check_names_broken_links(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Known `heading`: here\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#known-heading-here) [self](#page) [web](https://example.org/x)\n"
        "[gone](missing.md) [bad anchor](other.md#unknown)\n\n```\n[in code](nowhere.md)\n```\n"
    )
    assert broken_links(page) == ["missing.md", "other.md#unknown"]
