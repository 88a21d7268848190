"""The static HTML report: one self-contained page (plotly.js inlined, no request leaves it) drawn from the
published tables, so it shows exactly what BI reads, on every target.

Only aggregated tables are read (fct_segment_summary, fct_rfm_grid, fct_composite_score_histogram, ...); the
customer-level work stays in the warehouse. Sections whose table is not published, or is empty, are
replaced by a note saying why. The data-quality section comes from the run log.
"""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.colors import DEFAULT_PLOTLY_COLORS
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from scorehouse.errors import UserFacingError
from scorehouse.run_log import read_runs
from scorehouse.warehouse_targets import PUBLISHED_TABLES, WarehouseTarget

REPORT_FILE_NAME = "report.html"
# Read when published; the last five are optional: their sections say so when a version lacks them.
REPORT_TABLES = (
    "fct_segment_summary",
    "fct_rfm_grid",
    "fct_composite_score_histogram",
    "fct_segment_migrations",
    "fct_score_validation",
    "fct_customer_value_validation",
    "fct_fairness_audit",
    "fct_score_weight_review",
    "fct_lookalike_validation",
)
# (column of fct_score_weight_review without its current_/suggested_ prefix, how the report names it)
WEIGHTING_METRICS = (
    ("auc", "AUC for churn"),
    ("lift", "churn lift, riskiest ÷ safest decile"),
    ("churn_capture_rate", "churners in the riskiest decile"),
    ("revenue_capture_rate", "revenue of the top decile"),
)
RECENT_RUN_COUNT = 10


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Section:
    """One part of the page: a chart (plotly's HTML), a table, or a note saying why it is missing."""

    title: str
    chart: Markup | None = None
    table: Table | None = None
    note: str | None = None


def read_report_tables(target: WarehouseTarget) -> dict[str, Table]:
    """The report's tables among the published ones, read as BI reads them (run through `target.call`)."""
    published = {name.split(".", 1)[1] for name in PUBLISHED_TABLES}
    return {name: Table(*target.read_published(name)) for name in REPORT_TABLES if name in published}


def plain(value: Any) -> Any:
    """Warehouse values as plotly and the page take them: decimals as floats, dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return value


def chart_html(figure: go.Figure, chart_id: str) -> Markup:
    """The figure's div and script; plotly.js itself is inlined once in the page head."""
    figure.update_layout(margin={"l": 60, "r": 20, "t": 40, "b": 60}, height=420, template="plotly_white")
    return Markup(figure.to_html(full_html=False, include_plotlyjs=False, div_id=chart_id,
                                 config={"displaylogo": False, "responsive": True}))


def segment_section(table: Table) -> Section:
    segments = sorted(table.records(), key=lambda segment: segment["display_order"])
    names = [segment["segment_name"] for segment in segments]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Customers", "Window revenue"))
    figure.add_trace(go.Bar(x=names, y=[plain(s["customer_count"]) for s in segments], name="customers"), 1, 1)
    figure.add_trace(go.Bar(x=names, y=[plain(s["window_revenue"]) for s in segments], name="revenue"), 1, 2)
    figure.update_layout(showlegend=False)
    columns = ["segment_name", "customer_count", "customer_share", "window_revenue", "lifetime_revenue",
               "average_composite_score", "vip_customer_count"]
    summary = Table(columns, [tuple(segment[column] for column in columns) for segment in segments])
    return Section("Segments: size and revenue", chart_html(figure, "chart-segments"), summary,
                   note=segment_coverage_note(segments))


def segment_coverage_note(segments: list[dict[str, Any]]) -> str | None:
    """Names the empty segments of the map and the map cells the current scores cannot reach, with why: an
    empty segment is a campaign with nobody to send to."""
    findings = [f"{segment['segment_name']} is empty: {segment['empty_reason']}."
                for segment in segments if segment.get("empty_reason")]
    findings += [f"Unreachable cells of {segment['segment_name']}: {segment['unreachable_map_cells']}."
                 for segment in segments if segment.get("unreachable_map_cells")]
    return " ".join(findings) or None


def rfm_grid_section(table: Table) -> Section:
    title = "Recency x frequency scores"
    cells = table.records()
    if not cells:
        return Section(title, note="No customer is scored yet (no purchase up to the as-of date).")
    top_score = max(max(cell["recency_score"], cell["frequency_score"]) for cell in cells)
    scores = list(range(1, top_score + 1))
    counts = {(cell["recency_score"], cell["frequency_score"]): plain(cell["customer_count"]) for cell in cells}
    grid = [[counts.get((recency, frequency), 0) for recency in scores] for frequency in scores]
    figure = go.Figure(go.Heatmap(
        x=scores, y=scores, z=grid, colorscale="Blues", text=grid, texttemplate="%{text}",
        hovertemplate="R %{x}, F %{y}: %{z} customers<extra></extra>",
    ))
    figure.update_xaxes(title_text="recency score", dtick=1)
    figure.update_yaxes(title_text="frequency score", dtick=1)
    return Section(title, chart_html(figure, "chart-rfm-grid"))


def score_histogram_section(table: Table) -> Section:
    bins = sorted(table.records(), key=lambda score_bin: score_bin["bin_index"])
    labels = [f"{plain(b['bin_start_score']):g}-{plain(b['bin_end_score']):g}" for b in bins]
    figure = go.Figure(go.Bar(x=labels, y=[plain(b["customer_count"]) for b in bins]))
    figure.update_xaxes(title_text="composite score (the last bin includes 100)")
    figure.update_yaxes(title_text="customers")
    title = "Composite score distribution"
    if not any(plain(b["customer_count"]) for b in bins):
        return Section(title, chart_html(figure, "chart-score-histogram"),
                       note="No customer has a composite score yet; every bin is empty.")
    return Section(title, chart_html(figure, "chart-score-histogram"))


def migration_matrix(
    moves: list[dict[str, Any]], segment_order: dict[str, int]
) -> tuple[Any, Any, list[str], list[str], list[list[int]]]:
    """From date, to date, from-segments, to-segments and customer counts (a row per from-segment) of the
    moves from the previous snapshot to the latest one: the pair of the latest to-date with the latest
    from-date before it. Segments in display order; the placeholders for customers who arrived or left (not
    segments of fct_segment_summary) come last."""
    to_date = max(move["to_as_of_date"] for move in moves)
    from_date = max(move["from_as_of_date"] for move in moves if move["to_as_of_date"] == to_date)
    latest = [move for move in moves if (move["from_as_of_date"], move["to_as_of_date"]) == (from_date, to_date)]

    def in_display_order(names: set[str]) -> list[str]:
        return sorted(names, key=lambda name: (segment_order.get(name, math.inf), name))

    from_names = in_display_order({move["from_segment_name"] for move in latest})
    to_names = in_display_order({move["to_segment_name"] for move in latest})
    counts = {(move["from_segment_name"], move["to_segment_name"]): plain(move["customer_count"]) for move in latest}
    grid = [[counts.get((from_name, to_name), 0) for to_name in to_names] for from_name in from_names]
    return from_date, to_date, from_names, to_names, grid


def migration_section(table: Table, segment_order: dict[str, int]) -> Section:
    title = "Segment migrations since the previous snapshot"
    if not table.rows:
        return Section(title, note="The score history holds one as-of date so far; migrations appear after the "
                                   "next refresh with a later as-of date.")
    from_date, to_date, from_names, to_names, grid = migration_matrix(table.records(), segment_order)
    figure = go.Figure(go.Heatmap(
        x=to_names, y=from_names, z=grid, colorscale="Purples", text=grid, texttemplate="%{text}",
        hovertemplate="%{y} to %{x}: %{z} customers<extra></extra>",
    ))
    figure.update_xaxes(title_text=f"segment on {plain(to_date)}")
    figure.update_yaxes(title_text=f"segment on {plain(from_date)}", autorange="reversed")
    return Section(title, chart_html(figure, "chart-migrations"))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


# each score's summary under the validation chart; an older version publishes only the first eleven
VALIDATION_SUMMARY_COLUMNS = (
    "score_name", "outcome_name", "validation_cutoff_date", "outcome_end_date", "score_customer_count",
    "score_outcome_rate", "top_decile_outcome_rate", "bottom_decile_outcome_rate", "lift", "auc", "gini",
    "top_decile_lift_over_base_rate", "auc_gain_over_rfm_composite", "score_mean_predicted_outcome", "brier_score",
    "expected_calibration_error",
)


def validation_section(table: Table | None) -> Section:
    """Per decile of each score (fct_score_validation): the outcome rate with the mean prediction of scores
    that are probabilities (calibration), the lift, the decile's rate over the score's base rate, and the
    cumulative share of the outcomes captured (gain); under the chart, each score's lifts, AUC, Gini and
    calibration measures."""
    title = "Score validation: outcome rate, lift, gain and calibration by decile"
    if table is None:
        return Section(title, note="marts.fct_score_validation is not published by this version; nothing to show.")
    if not table.rows:
        return Section(title, note="marts.fct_score_validation is empty: no customer was scored at the validation "
                                   "cutoff (as-of date minus prediction_horizon_days).")
    deciles = sorted(table.records(), key=lambda row: (row["score_name"], row["decile"]))
    has_gain = "cumulative_outcome_capture" in table.columns
    titles = ("Outcome rate (dashed: predicted)", "Lift (decile rate / base rate)", "Gain (outcomes captured)")
    column_count = 3 if has_gain else 2
    figure = make_subplots(rows=1, cols=column_count, subplot_titles=titles[:column_count])
    for index, score_name in enumerate(sorted({row["score_name"] for row in deciles})):
        line = {"color": DEFAULT_PLOTLY_COLORS[index % len(DEFAULT_PLOTLY_COLORS)]}
        rows = [row for row in deciles if row["score_name"] == score_name]
        x = [row["decile"] for row in rows]
        rates = [plain(row["outcome_rate"]) for row in rows]
        base_rate = plain(rows[0]["score_outcome_rate"])
        lifts = [None if rate is None or not base_rate else rate / base_rate for rate in rates]
        figure.add_trace(go.Scatter(x=x, y=rates, mode="lines+markers", name=score_name, legendgroup=score_name,
                                    line=line), 1, 1)
        figure.add_trace(go.Scatter(x=x, y=lifts, mode="lines+markers", name=score_name, legendgroup=score_name,
                                    line=line, showlegend=False), 1, 2)
        predictions = [plain(row.get("mean_predicted_outcome")) for row in rows]
        if any(prediction is not None for prediction in predictions):
            figure.add_trace(go.Scatter(x=x, y=predictions, mode="lines", name=f"{score_name} predicted",
                                        legendgroup=score_name, line={**line, "dash": "dash"}, showlegend=False), 1, 1)
        if has_gain:
            # the gain curve starts at the origin: no customer taken, no outcome captured
            shares = [0.0] + [plain(row["cumulative_customer_share"]) for row in rows]
            captured = [0.0] + [plain(row["cumulative_outcome_capture"]) for row in rows]
            figure.add_trace(go.Scatter(x=shares, y=captured, mode="lines+markers", name=score_name,
                                        legendgroup=score_name, line=line, showlegend=False), 1, 3)
    figure.add_hline(y=1, line_dash="dot", line_color="grey", row=1, col=2)
    for column in (1, 2):
        figure.update_xaxes(title_text="decile (1 = most likely)", dtick=1, row=1, col=column)
    figure.update_yaxes(tickformat=".0%", row=1, col=1)
    if has_gain:
        # a score no better than chance captures the outcomes in proportion to the customers taken
        figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "grey", "dash": "dot"},
                                    showlegend=False, hoverinfo="skip"), 1, 3)
        figure.update_xaxes(title_text="share of customers, top first", tickformat=".0%", row=1, col=3)
        figure.update_yaxes(tickformat=".0%", row=1, col=3)
    columns = [column for column in VALIDATION_SUMMARY_COLUMNS if column in table.columns]
    first_rows = {row["score_name"]: row for row in reversed(deciles)}
    scores = Table(columns, [tuple(row[column] for column in columns) for _, row in sorted(first_rows.items())])
    return Section(title, chart_html(figure, "chart-validation"), scores)


def value_validation_section(table: Table | None) -> Section:
    """BG/NBD's classic check (fct_customer_value_validation): per group of repeat purchase days before the
    validation cutoff, the mean purchase days predicted there for the period up to the as-of date against
    the mean made."""
    title = "Customer value: predicted against actual purchases after the validation cutoff"
    if table is None:
        return Section(title, note="marts.fct_customer_value_validation is not published by this version; "
                                   "nothing to show.")
    groups = sorted(table.records(), key=lambda group: group["repeat_purchase_days_group"])
    if not groups:
        return Section(title, note="marts.fct_customer_value_validation is empty: no customer had bought by the "
                                   "validation cutoff (as-of date minus prediction_horizon_days).")
    if all(group["mean_predicted_purchase_days"] is None for group in groups):
        return Section(title, note="BG/NBD was not fitted at the validation cutoff, so there is nothing to check; "
                                   "fitted_models.customer_value_model_versions says why.")
    labels = [group["repeat_purchase_days_label"] for group in groups]
    figure = go.Figure([
        go.Bar(x=labels, y=[plain(group["mean_predicted_purchase_days"]) for group in groups], name="BG/NBD"),
        go.Bar(x=labels, y=[plain(group["mean_actual_purchase_days"]) for group in groups], name="actual"),
    ])
    figure.update_layout(barmode="group")
    figure.update_xaxes(title_text="repeat purchase days up to the validation cutoff", type="category")
    figure.update_yaxes(title_text="mean purchase days after it")
    columns = ["repeat_purchase_days_label", "customer_count", "mean_predicted_purchase_days",
               "mean_actual_purchase_days", "validation_cutoff_date", "outcome_end_date"]
    summary = Table(columns, [tuple(group[column] for column in columns) for group in groups])
    return Section(title, chart_html(figure, "chart-value-validation"), summary)


def fairness_section(table: Table | None) -> Section:
    """The disparate-impact ratio of each attribute and rate (fct_fairness_audit), flagged ones first; the
    per-group rows stay in the table."""
    title = "Fairness audit: disparate impact"
    if table is None:
        return Section(title, note="marts.fct_fairness_audit is not published by this version; nothing to show.")
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for row in table.records():
        if row["outcome_kind"] != "rate":
            continue
        pair = pairs.setdefault((row["attribute_name"], row["outcome_name"]), {
            "disparate_impact_ratio": row["disparate_impact_ratio"], "is_disparate_impact": False, "groups": 0,
        })
        pair["groups"] += 1 if row["is_compared"] else 0
        pair["is_disparate_impact"] = pair["is_disparate_impact"] or bool(row["is_disparate_impact"])
    if not pairs:
        return Section(title, note="marts.fct_fairness_audit holds no rates to compare.")
    uncompared = sum(pair["disparate_impact_ratio"] is None for pair in pairs.values())
    note = (f"{uncompared} of {len(pairs)} attribute and rate pairs have no disparate-impact ratio (fewer than two "
            "groups of at least fairness_min_group_customers customers, or no group with the outcome) and are left "
            "out. Each group's rates are in marts.fct_fairness_audit.")
    if uncompared == len(pairs):
        return Section(title, note=note)
    columns = ["attribute_name", "outcome_name", "compared_group_count", "disparate_impact_ratio",
               "is_disparate_impact"]
    rows = sorted(
        ((attribute, outcome, pair["groups"], pair["disparate_impact_ratio"], pair["is_disparate_impact"])
         for (attribute, outcome), pair in pairs.items() if pair["disparate_impact_ratio"] is not None),
        key=lambda row: (not row[4], plain(row[3]), row[0], row[1]),
    )
    return Section(title, table=Table(columns, rows), note=note)


def weight_review_section(table: Table | None) -> Section:
    """The composite's current weights beside the suggested ones (fct_score_weight_review), and how the
    composite ranks the buyers at the validation cutoff under each: the analyst decides."""
    title = "Score weights: current and suggested"
    if table is None:
        return Section(title, note="marts.fct_score_weight_review is not published by this version; nothing to show.")
    criteria = table.records()
    if not criteria:
        return Section(title, note="marts.fct_score_weight_review is empty: the composite has no criterion.")
    review = criteria[0]
    if review["fit_status"] != "fitted":
        return Section(title, note=f"No suggestion this run: {review['fit_message']}.")
    weights = Table(
        ["criterion_label", "current_weight", "suggested_weight", "is_reviewed"],
        [(row["criterion_label"], row["current_weight"], row["suggested_weight"], row["is_reviewed"])
         for row in criteria],
    )
    comparison = "; ".join(
        f"{name} {format_cell(metric, review[f'current_{metric}'])} now, "
        f"{format_cell(metric, review[f'suggested_{metric}'])} suggested"
        for metric, name in WEIGHTING_METRICS
    )
    note = (f"Fitted to predict {review['outcome_name']} after the training cutoff "
            f"{plain(review['training_cutoff_date'])}; the composite at the validation cutoff "
            f"{plain(review['validation_cutoff_date'])}: {comparison}. "
            "Nothing is applied: copy the weights you choose into seeds/score_criteria.csv.")
    return Section(title, table=weights, note=note)


def lookalike_section(table: Table | None) -> Section:
    """How the lookalike ranking, redone at an earlier snapshot, found the customers who became like the seed
    group (fct_lookalike_validation): each group's top decile against the rest of it."""
    title = "Lookalikes: did the closest resemblance come true?"
    if table is None:
        return Section(title, note="marts.fct_lookalike_validation is not published by this version; nothing to show.")
    deciles = table.records()
    if not deciles:
        return Section(title, note="No score-history snapshot is old enough to check the lookalikes against; "
                                   "score a past date first (scorehouse backfill).")
    top = Table(
        ["customer_group", "customer_count", "outcome_rate", "rest_outcome_rate", "lift_over_rest"],
        [(row["customer_group"], row["customer_count"], row["outcome_rate"], row["rest_outcome_rate"],
          row["lift_over_rest"]) for row in deciles if row["resemblance_decile"] == 1],
    )
    note = (f"Ranked as of {plain(deciles[0]['snapshot_date'])} with the seed group recorded then, followed to "
            f"{plain(deciles[0]['as_of_date'])}: the tenth of each group who resembled the seed group most. A "
            "buyer's outcome is joining the seed group, a prospect's buying; a lift above 1 means the top "
            "decile did better than the rest of its group. Every decile: marts.fct_lookalike_validation.")
    return Section(title, table=top, note=note)


def gate_outcome(run: dict[str, Any]) -> str:
    """What the quality gates said in one run: a run that published passed both, since each gate stops the
    run on failure; a failed run names the check that stopped it (a gate or another step)."""
    if run["status"] in ("published", "unchanged"):
        return "both quality gates passed"
    return f"stopped by {run['failed_check']}"


def quality_section(run_log_path: Path) -> Section:
    title = "Data quality of the last runs"
    if not run_log_path.exists():
        return Section(title, note=f"No run log at {run_log_path}.")
    runs = list(reversed(read_runs(run_log_path)))[:RECENT_RUN_COUNT]
    columns = ["started_at", "status", "gates", "raw_rows", "staged_rows", "quarantined_rows", "published_rows",
               "message"]
    rows = [tuple(gate_outcome(run) if column == "gates" else run[column] for column in columns) for run in runs]
    return Section(title, table=Table(columns, rows))


def format_cell(column: str, value: Any) -> str:
    """A value as the page shows it: thousands separators, shares and rates (0-1) as percentages."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and column.endswith(("_share", "_rate")):
        return f"{value:.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>scorehouse report, as of {{ as_of_date }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; }
.status { padding: 0.6em 1em; border-radius: 4px; }
.status.ok { background: #e6f4ea; } .status.failed { background: #fce8e6; }
.note { color: #555; font-style: italic; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.7em; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
</style>
<script>{{ plotly_js }}</script>
</head>
<body>
<h1>scorehouse report</h1>
<p>Scores as of {{ as_of_date }} from the published tables of the {{ target_name }} target;
written {{ written_at }} UTC.</p>
{% if last_run %}
<p class="status {{ 'ok' if last_run.status in ('published', 'unchanged') else 'failed' }}" id="last-run">
Last run: {{ last_run.status }} (started {{ last_run.started_at }}), {{ last_gates }}.
{% if last_run.status not in ('published', 'unchanged') -%}
The tables below are still those of the last publication.{% endif %}
</p>
{% endif %}
{% for section in sections %}
<section>
<h2>{{ section.title }}</h2>
{% if section.note %}<p class="note">{{ section.note }}</p>{% endif %}
{% if section.chart %}{{ section.chart }}{% endif %}
{% if section.table and section.table.rows %}
<table>
<tr>{% for column in section.table.columns %}<th>{{ column }}</th>{% endfor %}</tr>
{% for row in section.table.rows %}
<tr>{% for column, value in zip(section.table.columns, row) %}
<td{% if is_number(value) %} class="number"{% endif %}>{{ format_cell(column, value) }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% endif %}
</section>
{% endfor %}
</body>
</html>
""")


def render_report(
    tables: dict[str, Table], run_log_path: Path, target_name: str, written_at: datetime
) -> tuple[str, int]:
    """The page's HTML, and how many charts it holds."""
    segment_order = {segment["segment_name"]: segment["display_order"]
                     for segment in tables["fct_segment_summary"].records()}
    sections = [
        quality_section(run_log_path),
        segment_section(tables["fct_segment_summary"]),
        rfm_grid_section(tables["fct_rfm_grid"]),
        score_histogram_section(tables["fct_composite_score_histogram"]),
        migration_section(tables["fct_segment_migrations"], segment_order),
        validation_section(tables.get("fct_score_validation")),
        value_validation_section(tables.get("fct_customer_value_validation")),
        fairness_section(tables.get("fct_fairness_audit")),
        weight_review_section(tables.get("fct_score_weight_review")),
        lookalike_section(tables.get("fct_lookalike_validation")),
    ]
    runs = read_runs(run_log_path) if run_log_path.exists() else []
    last_run = runs[-1] if runs else None
    as_of_dates = {plain(segment["as_of_date"]) for segment in tables["fct_segment_summary"].records()}
    html = TEMPLATE.render(
        plotly_js=Markup(get_plotlyjs()),
        as_of_date=", ".join(sorted(as_of_dates)) or "unknown",
        target_name=target_name,
        written_at=written_at.isoformat(sep=" ", timespec="seconds"),
        last_run=last_run,
        last_gates=gate_outcome(last_run) if last_run else "",
        sections=sections,
        is_number=is_number,
        format_cell=format_cell,
        zip=zip,
    )
    return html, sum(section.chart is not None for section in sections)


class PublishedTablesUnreadable(UserFacingError, RuntimeError):
    """The report's tables could not be read from the published warehouse (nothing published yet, or it is
    unreachable)."""


@dataclass(frozen=True)
class Report:
    path: Path
    chart_count: int


def write_report(target: WarehouseTarget, written_at: datetime, path: Path | None = None) -> Report:
    """Writes the report (default: <warehouse_dir>/report.html) from the published tables; the file is
    replaced whole, so a reader never sees half a page and a failed write leaves the previous report."""
    path = path or target.paths.directory / REPORT_FILE_NAME
    try:
        tables = target.call(read_report_tables, target)
    except Exception as error:  # noqa: BLE001 - each target raises its own client's errors
        raise PublishedTablesUnreadable(
            f"could not read the published tables on {target.name} ({error}); run a refresh first"
        ) from error
    html, chart_count = render_report(tables, target.paths.run_log, target.name, written_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging_path = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        staging_path.write_text(html, encoding="utf-8")
        os.replace(staging_path, path)
    finally:
        staging_path.unlink(missing_ok=True)
    return Report(path, chart_count)
