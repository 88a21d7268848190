"""The static HTML report: its aggregate marts against the hand-computed known-answer set, the report the
refresh writes after publishing, its sections without data, and the page itself in headless Chromium (no
console errors, every chart drawn, no request leaving the page)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

import scorehouse.report
from conftest import KNOWN_ANSWER_NOW, KNOWN_ANSWER_VARS
from scorehouse.cli import main
from scorehouse.contract import ContractError
from scorehouse.report import (
    REPORT_FILE_NAME,
    Table,
    fairness_section,
    lookalike_section,
    migration_matrix,
    render_report,
    validation_section,
    value_validation_section,
    weight_review_section,
)
from scorehouse.scoring_flow import RefreshResult, refresh_scores, write_report_or_warn
from scorehouse.warehouse_targets import WarehousePaths, target_named

# The charts of a report on one as-of date: no migrations yet, and no validation or fairness charts.
ONE_SNAPSHOT_CHARTS = {"chart-segments", "chart-rfm-grid", "chart-score-histogram"}
RENDERED_CHARTS_SCRIPT = """
return Array.from(document.querySelectorAll('.plotly-graph-div'))
    .filter(chart => chart.querySelector('.main-svg') !== null).map(chart => chart.id);
"""
# every element that could fetch, and every resource the page did fetch
REQUESTS_SCRIPT = """
const fetching = Array.from(document.querySelectorAll('[src], link[href]')).map(node => node.src || node.href);
return fetching.concat(performance.getEntriesByType('resource').map(entry => entry.name));
"""


def published(result: RefreshResult, sql: str) -> list[tuple]:
    with duckdb.connect(str(result.paths.published), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_rfm_grid_counts_each_scored_customer_in_its_cell(known_answer_run: RefreshResult) -> None:
    # (R, F): (customers, their monetary), from tests/fixtures/known_answer/README.md; the prospects C08 and
    # C09 are not scored. C04 and C10 share the cell (3, 3).
    expected = {
        (5, 5): (1, 1000),  # C01
        (4, 4): (1, 200),  # C02
        (4, 2): (1, 500),  # C03
        (3, 3): (2, 400),  # C04 and C10
        (1, 2): (1, 60),  # C05
        (1, 1): (1, 0),  # C06
        (5, 2): (1, 40),  # C07
        (2, 2): (1, 150),  # C11
    }
    rows = published(
        known_answer_run,
        "select recency_score, frequency_score, customer_count, window_revenue from marts.fct_rfm_grid",
    )
    assert {(r, f): (count, float(revenue)) for r, f, count, revenue in rows} == expected


def test_score_histogram_bins_the_composite_scores(known_answer_run: RefreshResult) -> None:
    # composite = 100 * (R + F + M - 3) / 12: C06 0, C05 16.67, C11 25, C07 41.67, C04 and C10 50 (a tie,
    # both in 50-60), C03 58.33, C02 66.67, and C01 100, which the last bin (90-100) holds
    rows = published(
        known_answer_run,
        "select bin_index, bin_start_score, bin_end_score, customer_count "
        "from marts.fct_composite_score_histogram order by bin_index",
    )
    assert rows == [
        (0, 0, 10, 1), (1, 10, 20, 1), (2, 20, 30, 1), (3, 30, 40, 0), (4, 40, 50, 1),
        (5, 50, 60, 3), (6, 60, 70, 1), (7, 70, 80, 0), (8, 80, 90, 0), (9, 90, 100, 1),
    ]


def test_the_refresh_writes_the_report_after_publishing(known_answer_run: RefreshResult) -> None:
    report = known_answer_run.report
    assert known_answer_run.report_error is None
    assert report.path == known_answer_run.paths.directory / REPORT_FILE_NAME
    html = report.path.read_text(encoding="utf-8")
    assert "Scores as of 2025-06-30" in html
    assert "Last run: published" in html and "both quality gates passed" in html
    # segment table rows: champions C01 alone, 1 of 11 customers; need_attention C04 and C10, window
    # revenue 200 + 200
    assert '<td>champions</td>\n<td class="number">1</td>\n<td class="number">9.1%</td>' in html
    assert '<td>need_attention</td>\n<td class="number">2</td>\n<td class="number">18.2%</td>' in html
    assert "400.00" in html
    assert "migrations appear after the next refresh" in html
    # nine buyers cannot fit BG/NBD (tests/test_customer_value.py), so its check has nothing to compare
    assert "BG/NBD was not fitted at the validation cutoff" in html
    for chart_id in ONE_SNAPSHOT_CHARTS:
        assert f'id="{chart_id}"' in html


def copy_warehouse_dir(result: RefreshResult, tmp_path: Path) -> Path:
    warehouse_dir = tmp_path / "warehouse"
    shutil.copytree(result.paths.directory, warehouse_dir, ignore=shutil.ignore_patterns("refresh.lock"))
    return warehouse_dir


def test_a_failed_run_rewrites_the_report_saying_so(
    known_answer_run: RefreshResult, known_answer_copy: Path, tmp_path: Path
) -> None:
    warehouse_dir = copy_warehouse_dir(known_answer_run, tmp_path)
    (known_answer_copy / "customers.csv").unlink()
    with pytest.raises(ContractError):
        refresh_scores(
            data_dir=known_answer_copy, warehouse_dir=warehouse_dir, dbt_vars=KNOWN_ANSWER_VARS, now=KNOWN_ANSWER_NOW,
        )
    html = (warehouse_dir / REPORT_FILE_NAME).read_text(encoding="utf-8")
    assert "Last run: failed" in html and "stopped by input contract" in html
    assert "The tables below are still those of the last publication." in html
    assert "Scores as of 2025-06-30" in html and 'id="chart-rfm-grid"' in html


def test_a_report_that_cannot_be_written_is_a_warning_not_a_failure(
    known_answer_run: RefreshResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse_dir = copy_warehouse_dir(known_answer_run, tmp_path)
    (warehouse_dir / REPORT_FILE_NAME).unlink()

    def broken_render(*arguments: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(scorehouse.report, "render_report", broken_render)
    report, error = write_report_or_warn(target_named("duckdb", WarehousePaths(warehouse_dir)))
    assert report is None and error == "the HTML report was not written: disk full"
    assert not (warehouse_dir / REPORT_FILE_NAME).exists()


def test_the_report_command_writes_a_report_of_the_published_tables(
    known_answer_run: RefreshResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "elsewhere.html"
    warehouse_dir = str(known_answer_run.paths.directory)
    assert main(["report", "--target", "duckdb", "--warehouse-dir", warehouse_dir, "--output", str(output)]) == 0
    assert "Scores as of 2025-06-30" in output.read_text(encoding="utf-8")
    assert f"Report: {output}" in capsys.readouterr().out


def test_the_report_command_without_a_publication_names_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--target", "duckdb", "--warehouse-dir", str(tmp_path)]) == 1
    assert "run a refresh first" in capsys.readouterr().err
    assert not (tmp_path / REPORT_FILE_NAME).exists()


def test_migration_matrix_takes_the_latest_pair_in_display_order() -> None:
    def move(from_date: date, to_date: date, from_name: str, to_name: str, count: int) -> dict:
        return {"from_as_of_date": from_date, "to_as_of_date": to_date, "from_segment_name": from_name,
                "to_segment_name": to_name, "customer_count": count}

    january, february, march = date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)
    moves = [
        move(january, march, "champions", "lost", 9),  # an older pair ending on the same date: left out
        move(january, february, "loyal", "loyal", 8),  # a pair ending earlier: left out
        move(february, march, "loyal", "champions", 2),
        move(february, march, "champions", "champions", 5),
        move(february, march, "new", "loyal", 1),
        move(february, march, "loyal", "gone", 3),
    ]
    from_date, to_date, from_names, to_names, grid = migration_matrix(moves, {"champions": 1, "loyal": 2})
    assert (from_date, to_date) == (february, march)
    assert from_names == ["champions", "loyal", "new"]
    assert to_names == ["champions", "loyal", "gone"]
    assert grid == [[5, 0, 0], [2, 0, 3], [0, 1, 0]]


def synthetic_tables() -> dict[str, Table]:
    """Every section with data, validation and fairness included, as another version may publish them."""
    as_of = date(2025, 3, 31)
    return {
        "fct_segment_summary": Table(
            ["segment_name", "display_order", "as_of_date", "customer_count", "customer_share", "window_revenue",
             "lifetime_revenue", "average_composite_score", "vip_customer_count"],
            [("champions", 1, as_of, 5, 0.5, 1000, 2000, 90.0, 2), ("loyal", 2, as_of, 5, 0.5, 300, 500, 60.0, 0)],
        ),
        "fct_rfm_grid": Table(["recency_score", "frequency_score", "customer_count"], [(5, 5, 4), (1, 2, 6)]),
        "fct_composite_score_histogram": Table(
            ["bin_index", "bin_start_score", "bin_end_score", "customer_count"], [(0, 0, 50, 3), (1, 50, 100, 7)],
        ),
        "fct_segment_migrations": Table(
            ["from_as_of_date", "to_as_of_date", "from_segment_name", "to_segment_name", "customer_count"],
            [(date(2025, 2, 28), as_of, "loyal", "champions", 2), (date(2025, 2, 28), as_of, "new", "loyal", 1)],
        ),
        "fct_score_validation": Table(
            ["score_name", "outcome_name", "validation_cutoff_date", "outcome_end_date", "decile", "outcome_rate",
             "score_customer_count", "score_outcome_rate", "top_decile_outcome_rate", "bottom_decile_outcome_rate",
             "lift", "auc", "gini", "mean_predicted_outcome", "cumulative_customer_share",
             "cumulative_outcome_capture", "top_decile_lift_over_base_rate", "auc_gain_over_rfm_composite",
             "score_mean_predicted_outcome", "brier_score", "expected_calibration_error"],
            [("rfm_composite", "churned", date(2024, 10, 2), as_of, decile, 0.3 - 0.03 * decile, 100, 0.135,
              0.27, 0.0, None, 0.8, 0.6, None, decile / 10, min(1.0, decile / 5), 2.0, None, None, None, None)
             for decile in range(1, 11)]
            + [("churn_probability", "churned", date(2024, 10, 2), as_of, decile, 0.3 - 0.03 * decile, 100, 0.135,
                0.27, 0.0, None, 0.85, 0.7, 0.31 - 0.03 * decile, decile / 10, min(1.0, decile / 4), 2.0, 0.05, 0.14,
                0.1, 0.01) for decile in range(1, 11)],
        ),
        # BG/NBD's check: groups 0, 1 and 7+ only (nobody with 2 to 6 repeat purchase days)
        "fct_customer_value_validation": Table(
            ["repeat_purchase_days_group", "repeat_purchase_days_label", "validation_cutoff_date", "outcome_end_date",
             "customer_count", "mean_predicted_purchase_days", "mean_actual_purchase_days"],
            [(7, "7+", date(2024, 10, 2), as_of, 3, 4.0, 3.0), (0, "0", date(2024, 10, 2), as_of, 50, 0.3, 0.25),
             (1, "1", date(2024, 10, 2), as_of, 20, 0.6, 0.7)],
        ),
        # gender, vip: female 2 of 4, male 1 of 5 compared (ratio 0.2 / 0.5 = 0.4, flagged); unknown not
        # compared; country, vip: one group, no ratio; the composite mean is no rate and is left out
        "fct_fairness_audit": Table(
            ["attribute_name", "group_value", "outcome_name", "outcome_kind", "is_compared",
             "disparate_impact_ratio", "is_disparate_impact"],
            [("gender", "female", "vip", "rate", True, 0.4, True), ("gender", "male", "vip", "rate", True, 0.4, True),
             ("gender", "unknown", "vip", "rate", False, 0.4, None),
             ("country", "DE", "vip", "rate", True, None, None),
             ("gender", "female", "composite_score", "mean", False, None, None)],
        ),
        "fct_score_weight_review": Table(
            ["criterion", "criterion_label", "current_weight", "suggested_weight", "is_reviewed", "outcome_name",
             "fit_status", "fit_message", "training_cutoff_date", "validation_cutoff_date", "current_auc",
             "suggested_auc", "current_lift", "suggested_lift", "current_churn_capture_rate",
             "suggested_churn_capture_rate", "current_revenue_capture_rate", "suggested_revenue_capture_rate"],
            [(criterion, label, current, suggested, reviewed, "churned", "fitted", "fitted on 900 buyers",
              date(2024, 4, 5), date(2024, 10, 2), 0.71, 0.74, 2.5, 3.25, 0.18, 0.2, 0.4, 0.45)
             for criterion, label, current, suggested, reviewed in [
                 ("monetary", "Spend", 2, 0.5, True), ("recency_days", "Recency", 1, 2.5, True),
                 ("latest_nps_score", "NPS", 1, 1, False)]],
        ),
    }


def test_every_section_with_data_gets_its_chart_or_table(tmp_path: Path) -> None:
    html, chart_count = render_report(synthetic_tables(), tmp_path / "no_run_log.duckdb", "duckdb", KNOWN_ANSWER_NOW)
    assert chart_count == 6
    for chart_id in (*ONE_SNAPSHOT_CHARTS, "chart-migrations", "chart-validation", "chart-value-validation"):
        assert f'id="{chart_id}"' in html
    assert "No run log at" in html
    assert "Fairness audit" in html


def test_fairness_summary_lists_compared_pairs_and_leaves_means_out() -> None:
    section = fairness_section(synthetic_tables()["fct_fairness_audit"])
    assert section.table.rows == [("gender", "vip", 2, 0.4, True)]
    assert section.note.startswith("1 of 2 attribute and rate pairs have no disparate-impact ratio")


def test_validation_summary_lists_each_score_once() -> None:
    section = validation_section(synthetic_tables()["fct_score_validation"])
    assert [(row[0], row[8], row[9]) for row in section.table.rows] == [
        ("churn_probability", None, 0.85), ("rfm_composite", None, 0.8),
    ]
    columns = section.table.columns
    assert [row[columns.index("expected_calibration_error")] for row in section.table.rows] == [0.01, None]
    assert [row[columns.index("auc_gain_over_rfm_composite")] for row in section.table.rows] == [0.05, None]


def test_a_validation_table_of_an_older_version_still_gets_its_chart_and_summary() -> None:
    """Published without the gain and calibration columns: no gain chart, the summary of what there is."""
    table = synthetic_tables()["fct_score_validation"]
    kept = table.columns.index("gini") + 1
    section = validation_section(Table(table.columns[:kept], [row[:kept] for row in table.rows]))
    assert section.chart is not None and "Gain" not in section.chart
    assert section.table.columns[-1] == "gini"


def test_value_validation_lists_the_groups_in_order_and_says_when_there_is_no_fit() -> None:
    table = synthetic_tables()["fct_customer_value_validation"]
    section = value_validation_section(table)
    assert section.chart is not None
    assert [row[:4] for row in section.table.rows] == [("0", 50, 0.3, 0.25), ("1", 20, 0.6, 0.7), ("7+", 3, 4.0, 3.0)]
    unfitted = Table(table.columns, [row[:5] + (None,) + row[6:] for row in table.rows])
    assert "BG/NBD was not fitted" in value_validation_section(unfitted).note
    assert value_validation_section(unfitted).chart is None
    assert "is empty" in value_validation_section(Table(table.columns, [])).note
    assert "not published" in value_validation_section(None).note


def test_weight_review_sets_the_suggestion_beside_the_current_weights() -> None:
    table = synthetic_tables()["fct_score_weight_review"]
    section = weight_review_section(table)
    assert section.table.rows == [("Spend", 2, 0.5, True), ("Recency", 1, 2.5, True), ("NPS", 1, 1, False)]
    assert "AUC for churn 0.71 now, 0.74 suggested" in section.note
    assert "churners in the riskiest decile 18.0% now, 20.0% suggested" in section.note
    skipped = Table(table.columns, [row[:6] + ("skipped", "only 9 buyers") + row[8:] for row in table.rows])
    assert weight_review_section(skipped).note == "No suggestion this run: only 9 buyers."


def test_lookalike_section_shows_each_group_s_top_decile() -> None:
    columns = [
        "snapshot_date", "as_of_date", "customer_group", "resemblance_decile", "customer_count",
        "outcome_customer_count", "outcome_rate", "rest_outcome_rate", "lift_over_rest",
    ]
    snapshot, as_of = date(2025, 5, 1), date(2025, 6, 30)
    table = Table(columns, [
        (snapshot, as_of, "buyers", 1, 10, 4, 0.4, 0.1, 4.0),
        (snapshot, as_of, "buyers", 2, 10, 1, 0.1, 0.133, 0.75),
        (snapshot, as_of, "prospects", 1, 5, 0, 0.0, 0.2, 0.0),
    ])
    section = lookalike_section(table)
    assert section.table.rows == [("buyers", 10, 0.4, 0.1, 4.0), ("prospects", 5, 0.0, 0.2, 0.0)]
    assert "Ranked as of 2025-05-01 with the seed group recorded then, followed to 2025-06-30" in section.note
    assert "score a past date first" in lookalike_section(Table(columns, [])).note
    assert "not published by this version" in lookalike_section(None).note


def test_sections_without_data_say_why(tmp_path: Path) -> None:
    tables = synthetic_tables()
    del tables["fct_score_validation"], tables["fct_customer_value_validation"], tables["fct_fairness_audit"]
    del tables["fct_score_weight_review"]
    tables["fct_rfm_grid"] = Table(["recency_score", "frequency_score", "customer_count"], [])
    tables["fct_segment_migrations"] = Table(["from_as_of_date", "to_as_of_date"], [])
    html, chart_count = render_report(tables, tmp_path / "no_run_log.duckdb", "duckdb", KNOWN_ANSWER_NOW)
    assert chart_count == 2  # segments and the score histogram
    assert "No customer is scored yet" in html
    assert "marts.fct_score_validation is not published" in html
    assert "marts.fct_customer_value_validation is not published" in html
    assert "marts.fct_fairness_audit is not published" in html
    assert "marts.fct_score_weight_review is not published" in html


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the module, through Debian's chromedriver at its own path (so Selenium
    Manager never downloads a driver), with every host name unresolvable: a request leaving the page would
    fail and log an error."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.fail("the browser test needs Chromium and chromedriver; run scripts/ensure-chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_report(browser: webdriver.Chrome, page: Path, chart_count: int) -> None:
    """Opens the page, waits until plotly has drawn `chart_count` charts and checks the page is clean."""
    browser.get(page.as_uri())
    WebDriverWait(browser, 30).until(lambda driver: len(driver.execute_script(RENDERED_CHARTS_SCRIPT)) >= chart_count)
    assert len(browser.execute_script(RENDERED_CHARTS_SCRIPT)) == chart_count
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []
    assert [url for url in browser.execute_script(REQUESTS_SCRIPT) if not url.startswith(("file:", "data:"))] == []


def test_the_report_renders_offline_in_chromium(
    known_answer_run: RefreshResult, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    started = time.monotonic()
    report = known_answer_run.report
    open_report(browser, report.path, report.chart_count)
    assert ONE_SNAPSHOT_CHARTS <= set(browser.execute_script(RENDERED_CHARTS_SCRIPT))
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, height)
    screenshot = browser.get_screenshot_as_png()
    (tmp_path / "report.png").write_bytes(screenshot)
    (report.path.parent / "report.png").write_bytes(screenshot)
    assert screenshot.startswith(b"\x89PNG")
    elapsed = time.monotonic() - started
    print(f"report opened, checked and captured in {elapsed:.1f} s: {report.path.parent / 'report.png'}")


def test_every_optional_chart_renders_in_chromium(browser: webdriver.Chrome, tmp_path: Path) -> None:
    html, chart_count = render_report(synthetic_tables(), tmp_path / "no_run_log.duckdb", "duckdb", KNOWN_ANSWER_NOW)
    page = tmp_path / REPORT_FILE_NAME
    page.write_text(html, encoding="utf-8")
    open_report(browser, page, chart_count)
