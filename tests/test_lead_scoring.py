"""Lead scoring: test-only rule seeds scored against answers worked by hand
(tests/fixtures/lead_scoring/README.md), a rule set with no rules, and rule seeds that cannot be applied,
which must stop the build with one sentence naming the rule, the column and the allowed values.

dbt runs as the refresh flow runs it, on a copy of the project whose lead scoring seeds the tests replace.
The flow itself, with the shipped seeds and publishing, is exercised by test_scoring_flow.py."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import copy_project, run_dbt_in_copy
from scorehouse.contract import check_data_dir
from scorehouse.dbt_runner import DbtFailed
from scorehouse.duckdb_target import DuckDBTarget
from scorehouse.warehouse_targets import WarehousePaths

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "lead_scoring"
LEAD_VARS = {"as_of_date": "2025-06-30", "lead_behaviour_window_days": 30, "lead_qualifying_points": 20}
LOADED_AT = datetime(2025, 7, 4, 0, 0, 0)
RULES_SEED = "lead_scoring_rules.csv"
GROUPS_SEED = "lead_scoring_groups.csv"
SEED_KEYS = {RULES_SEED: "rule_id", GROUPS_SEED: "rule_group"}

# customer: (lead_score, is_qualified, fired_rule_count, fired_rules)
EXPECTED_SCORES = {
    "L01": (
        Decimal("21.50"), True, 5,
        "country_gb: 10; email_click: 3; new_signup: 5 (capped from 8); organic: 0 (capped from 5); page_view: 3.50",
    ),
    "L02": (Decimal("20.00"), True, 3, "add_to_cart: 6; buyer: 4; purchase: 10"),
    "L03": (Decimal("0.00"), False, 0, None),
    "L04": (Decimal("19.75"), False, 3, "buyer: 4; nps_promoter: 6; purchase: 9.75"),
    "L05": (Decimal("18.00"), False, 3, "country_gb: 10; email_click: 5; page_view: 3 (capped from 10)"),
    "L06": (Decimal("0.00"), False, 1, "email_click: 0"),
}
# (customer, rule): (occurrence_count, raw_points, decayed_points, kept_points)
EXPECTED_HITS = {
    ("L01", "country_gb"): (1, "10", "10", "10"),
    ("L01", "email_click"): (1, "5", "3", "3"),
    ("L01", "new_signup"): (1, "8", "8", "5"),
    ("L01", "organic"): (1, "5", "5", "0"),
    ("L01", "page_view"): (3, "6", "3.5", "3.5"),
    ("L02", "add_to_cart"): (1, "6", "6", "6"),
    ("L02", "buyer"): (1, "4", "4", "4"),
    ("L02", "purchase"): (1, "10", "10", "10"),
    ("L04", "buyer"): (1, "4", "4", "4"),
    ("L04", "nps_promoter"): (1, "6", "6", "6"),
    ("L04", "purchase"): (1, "10", "9.75", "9.75"),
    ("L05", "country_gb"): (1, "10", "10", "10"),
    ("L05", "email_click"): (1, "5", "5", "5"),
    ("L05", "page_view"): (5, "10", "10", "3"),
    ("L06", "email_click"): (1, "5", "0", "0"),
}
ATTRIBUTES = (
    "acquisition_channel, add_to_cart_count, average_order_value, birth_year, cancelled_order_count, country, "
    "email_click_count, email_open_count, event_count, frequency, gender, has_purchased, latest_nps_score, "
    "lifetime_revenue, monetary, order_count, page_view_count, purchase_count, recency_days, "
    "refunded_order_count, tenure_days"
)


@dataclass(frozen=True)
class LeadProject:
    """A copy of the dbt project whose lead scoring seeds the test may rewrite, and a warehouse for it."""

    directory: Path
    warehouse: DuckDBTarget

    def write_seed(self, name: str, rows: list[dict[str, str]]) -> None:
        header = (FIXTURE_DIR / "seeds" / name).read_text().splitlines()[0].split(",")
        with (self.directory / "seeds" / name).open("w", newline="") as seed:
            writer = csv.DictWriter(seed, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)

    def build(self, selection: list[str]) -> None:
        """`dbt build` of the selection in this copy, as the flow runs dbt, with the tests whose models are all
        selected. The score history, which waits for the lead marts among all published ones, is left out."""
        run_dbt_in_copy(
            self.directory,
            ["build", "--select", *selection, "--exclude", "fct_customer_score_history+", "--indirect-selection",
             "cautious"],
            self.warehouse, LEAD_VARS,
        )


def fixture_seed(name: str) -> list[dict[str, str]]:
    with (FIXTURE_DIR / "seeds" / name).open(newline="") as seed:
        return list(csv.DictReader(seed))


def copy_lead_project(directory: Path, warehouse_dir: Path) -> LeadProject:
    """The dbt project with the fixture's lead scoring seeds in place of the shipped ones."""
    copy_project(directory)
    for seed in (RULES_SEED, GROUPS_SEED):
        shutil.copy(FIXTURE_DIR / "seeds" / seed, directory / "seeds" / seed)
    return LeadProject(directory, DuckDBTarget(WarehousePaths(warehouse_dir)))


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def lead_build(tmp_path_factory: pytest.TempPathFactory) -> LeadProject:
    """The fixture's files loaded as the flow loads them, and the lead scores built with the fixture's rules."""
    root = tmp_path_factory.mktemp("leads")
    project = copy_lead_project(root / "project", root / "warehouse")
    project.warehouse.paths.directory.mkdir()
    project.warehouse.load_raw_tables(check_data_dir(FIXTURE_DIR / "data"), LOADED_AT)
    project.build(["+fct_lead_scores"])
    return project


@pytest.fixture(scope="module")
def rule_variants(lead_build: LeadProject, tmp_path_factory: pytest.TempPathFactory) -> LeadProject:
    """One more project copy and a copy of the built warehouse, for the tests that rewrite the rules; they
    share both, so dbt reparses only the rewritten seed."""
    root = tmp_path_factory.mktemp("lead_rule_variants")
    project = copy_lead_project(root / "project", root / "warehouse")
    project.warehouse.paths.directory.mkdir()
    shutil.copy(lead_build.warehouse.paths.working, project.warehouse.paths.working)
    return project


def test_lead_scores_match_the_hand_computed_answers(lead_build: LeadProject) -> None:
    rows = query(
        lead_build.warehouse.paths.working,
        "select customer_id, lead_score, is_qualified, fired_rule_count, fired_rules from marts.fct_lead_scores",
    )
    assert {row[0]: row[1:] for row in rows} == EXPECTED_SCORES


def test_rule_hits_show_decay_and_caps_and_add_up_to_the_score(lead_build: LeadProject) -> None:
    hits = query(
        lead_build.warehouse.paths.working,
        "select customer_id, rule_id, occurrence_count, raw_points, decayed_points, kept_points "
        "from marts.fct_lead_score_rule_hits",
    )
    assert {(customer, rule): tuple(values) for customer, rule, *values in hits} == {
        key: (count, *(Decimal(points) for points in points_columns))
        for key, (count, *points_columns) in EXPECTED_HITS.items()
    }
    kept_per_customer = dict(
        query(
            lead_build.warehouse.paths.working,
            "select customer_id, sum(kept_points) from marts.fct_lead_score_rule_hits group by customer_id",
        )
    )
    assert kept_per_customer == {
        customer: score for customer, (score, _, count, _) in EXPECTED_SCORES.items() if count
    }


def test_no_rules_give_every_lead_zero_points(rule_variants: LeadProject) -> None:
    rule_variants.write_seed(RULES_SEED, [])
    rule_variants.write_seed(GROUPS_SEED, fixture_seed(GROUPS_SEED))
    # the lead marts only: the composite's contributions, downstream too, may read lead scores
    rule_variants.build(["lead_scoring_rules", "lead_scoring_groups", "fct_lead_score_rule_hits", "fct_lead_scores"])

    working = rule_variants.warehouse.paths.working
    assert query(working, "select count(*) from marts.fct_lead_score_rule_hits") == [(0,)]
    assert query(
        working,
        "select customer_id, lead_score, is_qualified, fired_rule_count, fired_rules "
        "from marts.fct_lead_scores order by customer_id",
    ) == [(customer, Decimal("0.00"), False, 0, None) for customer in sorted(EXPECTED_SCORES)]


# (seed, row key, changes): the message the build must stop with
INVALID_SEEDS = [
    pytest.param(
        RULES_SEED, "organic", {"attribute": "colour"},
        f"lead_scoring_rules rule 'organic': attribute of an attribute rule must be one of {ATTRIBUTES}, "
        "got \"colour\"",
        id="unknown-attribute",
    ),
    pytest.param(
        RULES_SEED, "page_view", {"attribute": "page_visit"},
        "lead_scoring_rules rule 'page_view': attribute of a behaviour rule must be one of page_view, add_to_cart, "
        "email_open, email_click, purchase, got \"page_visit\"",
        id="unknown-event-type",
    ),
    pytest.param(
        RULES_SEED, "new_signup", {"operator": "=<"},
        "lead_scoring_rules rule 'new_signup': operator must be one of =, !=, <, <=, >, >=, in, got \"=<\"",
        id="unknown-operator",
    ),
    pytest.param(
        RULES_SEED, "buyer", {"rule_type": "behavior"},
        "lead_scoring_rules rule 'buyer': rule_type must be one of attribute, behaviour, got \"behavior\"",
        id="unknown-rule-type",
    ),
    pytest.param(
        RULES_SEED, "purchase", {"rule_group": "loyalty"},
        "lead_scoring_rules rule 'purchase': rule_group must be one of the groups of lead_scoring_groups "
        "(engagement, intent, profile), got \"loyalty\"",
        id="group-missing-from-groups",
    ),
    pytest.param(
        RULES_SEED, "new_signup", {"value": "thirty"},
        "lead_scoring_rules rule 'new_signup': value must be a number such as 30 or 4.5 for the attribute "
        "tenure_days, got \"thirty\"",
        id="text-value-for-a-number",
    ),
    pytest.param(
        RULES_SEED, "country_gb", {"operator": ">="},
        "lead_scoring_rules rule 'country_gb': operator >= does not apply to the text attribute country; "
        "use one of =, !=, in",
        id="ordering-a-text-attribute",
    ),
    pytest.param(
        RULES_SEED, "buyer", {"value": "yes"},
        "lead_scoring_rules rule 'buyer': value must be true or false for the attribute has_purchased, got \"yes\"",
        id="boolean-value",
    ),
    pytest.param(
        RULES_SEED, "country_gb", {"value": "GB|"},
        "lead_scoring_rules rule 'country_gb': value must not be empty (in takes values separated by |)",
        id="empty-item-in-a-list",
    ),
    pytest.param(
        RULES_SEED, "purchase", {"operator": ">=", "value": "100"},
        "lead_scoring_rules rule 'purchase': operator and value must be empty for a behaviour rule: every "
        "purchase earns its points",
        id="condition-on-a-behaviour",
    ),
    pytest.param(
        RULES_SEED, "organic", {"decay_per_day": "1"},
        "lead_scoring_rules rule 'organic': decay_per_day must be empty for an attribute rule, which fires once; "
        "only behaviour rules decay",
        id="decay-on-an-attribute",
    ),
    pytest.param(
        RULES_SEED, "email_click", {"points": "0"},
        "lead_scoring_rules rule 'email_click': points must be a number above 0, got 0.00",
        id="zero-points",
    ),
    pytest.param(
        GROUPS_SEED, "engagement", {"max_points": "-8"},
        "lead_scoring_groups group 'engagement': max_points must be above 0, or empty for no cap, got -8.00",
        id="negative-cap",
    ),
]


@pytest.mark.parametrize(("seed", "key", "changes", "message"), INVALID_SEEDS)
def test_invalid_rule_seed_stops_the_build_naming_the_rule(
    rule_variants: LeadProject, seed: str, key: str, changes: dict[str, str], message: str
) -> None:
    for name in (RULES_SEED, GROUPS_SEED):
        rows = fixture_seed(name)
        if name == seed:
            rows = [{**row, **changes} if row[SEED_KEYS[name]] == key else row for row in rows]
        rule_variants.write_seed(name, rows)

    with pytest.raises(DbtFailed) as failure:
        rule_variants.build(["lead_scoring_rules", "lead_scoring_groups", "fct_lead_score_rule_hits"])

    assert failure.value.failed_nodes == ["model.scorehouse.fct_lead_score_rule_hits"]
    assert message in str(failure.value)
