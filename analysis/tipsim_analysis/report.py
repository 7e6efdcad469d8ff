"""A self-contained HTML report of a run file: figures, tables, provenance.

    python3 -m tipsim_analysis report runs/comparison.h5 -o report/

writes into the folder every figure as PNG and SVG, every table as CSV,
and `report.html`, which embeds the figures (base64 PNG, or inline SVG
with --embed svg) so it opens in a browser from anywhere, with no server
and no other file. What it holds depends on the file:

- every file: the limitations of its results (a simulation, not a forecast;
  the calibration it rests on; the scale; what the replicates measure)
  and its provenance, above everything else, and on every figure in a
  footer (provenance.run_notes); the headline figures of each point (mean, median
  and 10-90 % band over replicates), time series with bands, the state
  composition, the regional map, the scenario's interventions and routes,
  and the resolved scenario;
- a comparison: the 3P comparison of arms and the paired effects with
  95 % intervals, as `tipsim compare` computed them, and (files from a
  tipsim that computes it) the cost-effectiveness of the arms: their
  frontier, ICERs, net monetary benefit, the cost-effectiveness plane and
  the acceptability curves;
- a sweep: response curves and their table;
- with a targets file (by default analysis/data/calibration_targets.csv):
  the model against data.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from . import __version__
from . import allocation as A
from . import figures as F
from . import summaries as S
from .io import Run, open_run
from .provenance import CALIBRATION_TARGETS, RunNotes, run_notes

# The model against data uses the targets the world is calibrated to, unless told otherwise.
DEFAULT_TARGETS = CALIBRATION_TARGETS


@dataclass
class ReportFigure:
    """A figure of the report: its file stem, heading and caption, and files written."""

    name: str
    heading: str
    caption: str
    files: dict[str, Path] = field(default_factory=dict)


@dataclass
class ReportTable:
    """A table of the report: its file stem, heading, caption and data."""

    name: str
    heading: str
    caption: str
    frame: pd.DataFrame
    file: Path | None = None


@dataclass
class Report:
    """What `write_report` wrote."""

    html: Path
    figures: list[ReportFigure]
    tables: list[ReportTable]


# ---- numbers and HTML ----------------------------------------------------------------------


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "<strong>no</strong>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        if math.isnan(v):
            return "n/a"
        if abs(v) < 1 and v != 0:
            return html.escape(f"{v:.3g}")
        return html.escape(S.format_figure(v))
    return html.escape(str(value))


def table_html(frame: pd.DataFrame, caption: str = "") -> str:
    """A data frame as an HTML table: numbers as tipsim prints them, text escaped."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cells.append(f'<td class="num">{_cell(value)}</td>' if numeric else f"<td>{_cell(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<div class="table"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#222;
background:#fafafa;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:1.5em 2em 4em;background:#fff}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.lead{color:#555;margin-top:0}
nav ul{columns:2;padding-left:1.2em}
figure{margin:1.2em 0}figure img,figure svg{max-width:100%;height:auto}
figcaption{color:#444;font-size:.92em;margin-top:.4em}
.table{overflow-x:auto}
table{border-collapse:collapse;font-size:.86em;margin:.8em 0}
caption{text-align:left;color:#444;padding-bottom:.3em}
th,td{border-bottom:1px solid #e4e4e4;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.85em}
.note{background:#f4f8fb;border-left:3px solid #0072B2;padding:.5em 1em;font-size:.92em}
.limitations{background:#fdf6e8;border-left:3px solid #E69F00;padding:.2em 1em .4em;margin-top:1.2em}
.limitations h2{border:none;margin-top:.6em}.limitations ul{padding-left:1.2em}
code{background:#f3f3f3;padding:0 .2em}
"""


# ---- building the report ----------------------------------------------------------------------


def _population_text(run: Run) -> str:
    """The simulated population in real people (point 0), and how many each agent stood for."""
    size = run.provenance.get("population_size")
    if size is None:
        return ""
    return f"{S.format_figure(float(size) * run.population_scale)} people ({S.scale_text(run)})"


def _provenance_frame(run: Run, notes: RunNotes) -> pd.DataFrame:
    rows = [("file", str(run.path)), *notes.provenance]
    if _population_text(run):
        rows.append(("population", _population_text(run)))
    rows.append(("measured period", f"{run.measured_years:.2f} years (steps {run.burn_in_steps} to {run.steps - 1})"))
    rows.append(("report made by", f"tipsim_analysis {__version__}"))
    return pd.DataFrame(rows, columns=["", "value"])


def _headline_frame(run: Run) -> pd.DataFrame:
    table = S.summary_table(run, S.HEADLINE_FIGURES)
    frame = pd.DataFrame({
        "point": table["point_label"],
        "figure": [S.HEADLINE_FIGURES[f] for f in table["figure"]],
        "layer": table["layer"].str.upper(),
        "mean": table["mean"], "median": table["median"],
        f"{S.BAND[0]:.0%}": table["low"], f"{S.BAND[1]:.0%}": table["high"],
        "units": table["units"],
    })
    return frame


# The cost-effectiveness table's columns as the report shows them, with their units.
COST_EFFECTIVENESS_COLUMNS = {
    "arm": "arm",
    "extra_cost": "extra cost (USD)",
    "victim_years_averted": "victim-years averted (person-years)",
    "status": "status",
    "comparator": "ICER against",
    "icer": "ICER (USD per victim-year)",
    "icer_ci_low": "ICER 95 % low",
    "icer_ci_high": "ICER 95 % high",
    "net_monetary_benefit": "net monetary benefit (USD)",
    "net_monetary_benefit_ci_low": "NMB 95 % low",
    "net_monetary_benefit_ci_high": "NMB 95 % high",
    "probability_most_cost_effective": "P(most cost-effective)",
}


def _cost_effectiveness_frame(run: Run) -> pd.DataFrame:
    table = S.cost_effectiveness_table(run)
    if table.attrs["outcome"] == "victim_years":
        return table[list(COST_EFFECTIVENESS_COLUMNS)].rename(columns=COST_EFFECTIVENESS_COLUMNS)
    # The harm-weighted outcome: QALYs averted, and the ICER per QALY.
    columns = {("harm_averted" if k == "victim_years_averted" else k):
               v.replace("victim-years averted (person-years)", "harm averted (QALYs)").replace("victim-year", "QALY")
               for k, v in COST_EFFECTIVENESS_COLUMNS.items()}
    return table[list(columns)].rename(columns=columns)


def _model_points(run: Run, most: int = 4) -> list[int]:
    return F.points_to_show(run, None, most)


def write_report(path: str | Path, out_dir: str | Path, targets: str | Path | None = DEFAULT_TARGETS,
                 embed: str = "png", log: Callable[[str], None] | None = None) -> Report:
    """Writes the figures (PNG and SVG), the tables (CSV) and `report.html` for a run file.

    `targets` is a calibration_targets.csv-style file for the model
    against data (None: no such section). `embed` is "png" (base64) or
    "svg" (inline). Raises io.RunFileError for a file that is not a
    readable tipsim run file.
    """
    if embed not in ("png", "svg"):
        raise ValueError(f"embed must be 'png' or 'svg', not {embed!r}")
    say = log or (lambda _: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open_run(path) as run:
        figures: list[ReportFigure] = []
        tables: list[ReportTable] = []

        def figure(name: str, heading: str, caption: str, make: Callable[[], object]) -> None:
            say(f"figure {name}")
            figures.append(ReportFigure(name, heading, caption, F.save_figure(make(), out, name)))

        def table(name: str, heading: str, caption: str, frame: pd.DataFrame) -> None:
            file = out / f"{name}.csv"
            frame.to_csv(file, index=False)
            tables.append(ReportTable(name, heading, caption, frame, file))

        band = f"{S.BAND[0]:.0%}-{S.BAND[1]:.0%}"
        table("headline_figures", "Headline figures",
              f"Over the measured period, per point: mean, median and the {band} band over "
              f"{run.replicate_count} replicates, in real people and real USD. TRUE is what exists, OBSERVED "
              "what agencies see, POLICY the response.",
              _headline_frame(run))
        table("summary_all", "Every per-run figure",
              f"Every figure of the file's summary/ group, per point: mean, median and {band} band over replicates.",
              S.summary_table(run).drop(columns=["point"]).rename(columns={"point_label": "point"}))

        if run.experiment == "comparison" or run.comparison is not None:
            figure("comparison", "3P comparison of arms",
                   "Top: each arm's spending by P (real USD per year over the measured period) and its 3P policy "
                   "index. Below: each arm's effect against the baseline, replicate r of the arm paired with "
                   "replicate r of the baseline (common random numbers); dot = mean over pairs, bar = 95 % "
                   "t-interval. Effects are arm minus baseline, except victim-years averted (baseline minus arm).",
                   lambda: F.comparison_figure(run))
            if run.comparison is not None:
                effects = S.comparison_effects(run)
                table("paired_effects", "Paired effects",
                      f"As `tipsim compare` computed them: mean over {run.replicate_count} replicate pairs and "
                      "95 % t-interval; cost per victim-year averted is a ratio of means with a delta-method "
                      "interval.", effects[["arm", "effect", "mean", "ci_low", "ci_high", "units", "long_name"]])
            if S.has_cost_effectiveness(run):
                ce_attrs = S.cost_effectiveness_table(run).attrs
                value, unit = S.format_figure(ce_attrs["value"]), ce_attrs["unit"]
                averted = "victim-years of exploitation" if unit == "victim-year" else "QALYs of harm"
                table("cost_effectiveness", "Cost-effectiveness",
                      "The arms by extra cost against the baseline (real USD over the measured period) and the "
                      f"{averted} they avert, means over "
                      f"{run.replicate_count} replicate pairs, as `tipsim compare` computed them. Status: on the "
                      "frontier, dominated (another arm costs no more and averts no less) or extendedly dominated "
                      "(a mix of two frontier arms averts more for the same cost). ICER: extra cost per extra "
                      f"{unit} averted against the next cheaper frontier arm, with its 95 % delta-method "
                      f"interval. Net monetary benefit at {value} USD per {unit} averted, with its 95 % "
                      "t-interval; P(most cost-effective): the share of replicate pairs in which the arm has the "
                      "highest net monetary benefit (the baseline's: 1 minus the arms').",
                      _cost_effectiveness_frame(run))
                figure("cost_effectiveness", "Cost-effectiveness plane and acceptability",
                       f"(a) Each arm's extra spending against the {unit}s it averts, with 95 % t-intervals; "
                       "filled and joined: the frontier; open circles: dominated; open diamonds: extendedly "
                       f"dominated; dashed: {value} USD per {unit} (below it, net monetary benefit above 0). "
                       "(b) The probability that each arm is the most cost-effective, against the value of one "
                       f"{unit} averted (log scale, linear from 0 to the first value above 0); dotted: the "
                       "value the table uses.", lambda: F.cost_effectiveness_figure(run))
            if A.read_allocation(run.path) is not None:
                frontier = A.frontier_table(run.path)
                table("allocation", "Allocation frontier",
                      "tipsim allocate: at each added budget level, the best split (shares of the added money), "
                      "the victim-years of exploitation it averts against the scenario as it is (mean and 95 % "
                      f"t-interval over {run.replicate_count} replicate pairs), its paired lead over the even split "
                      "and the share of pairs in which it leads. The best split is chosen from the same runs, so "
                      "its lead is biased upwards: confirm it with tipsim compare on fresh seeds.",
                      frontier.drop(columns=["best_point", "even_point"]))
                figure("allocation", "Allocation frontier",
                       "(a) Victim-years averted against the added budget: the best split at each level (95 % "
                       "interval) and the even split, with the share of pairs in which the best leads; (b) the "
                       "best split at each level.", lambda: A.frontier_figure(run.path))
            effects = S.paired_effects(run, S.HEADLINE_FIGURES)
            table("paired_effects_headline", "Paired effects on the headline figures",
                  "Arm minus baseline for every headline figure, paired by replicate, with 95 % t-intervals.",
                  effects[["arm", "figure", "mean", "ci_low", "ci_high", "units"]])

        if run.sweep_keys:
            figure("response_curves", "Response curves",
                   f"Per-run figures over {run.sweep_keys[0]}: mean over replicates with its 95 % t-interval "
                   f"(line and whiskers) and the {band} band of replicates (shaded).",
                   lambda: F.response_curves_figure(run))
            frames = []
            for name in F.RESPONSE_FIGURES:
                if name in run.summary:
                    curve = S.response_curve(run, name)
                    curve.insert(1, "figure", name)
                    curve["units"] = curve.attrs["units"]
                    frames.append(curve)
            table("response_curves", "Response over the sweep",
                  "Each point's varied keys, then over replicates: mean with 95 % t-interval, median and band.",
                  pd.concat(frames, ignore_index=True))

        figure("time_series", "Over time",
               f"Median over replicates (line) and the {band} band (shaded) of the headline series, summed over "
               "regions; flows are summed over bins of up to a quarter (the panel says how long). Grey: the "
               "burn-in, which the summaries leave out.", lambda: F.time_series_figure(run))
        figure("state_composition", "Who is where",
               "People recruited, in exploitation and in protection (stacked; FREE not shown), and people in "
               "exploitation by form: means over replicates.", lambda: F.state_composition_figure(run))
        if "survivor_pathways" in run.series:
            figure("survivor_pathways", "Survivors' pathways",
                   "Survivors reviewed a follow-up period (survivors.followup_years) after their trafficking ended, "
                   "over the measured period: how it ended (left) and where they were then (right), each band as "
                   "wide as the survivors who took that path; means over replicates, true layer.",
                   lambda: F.survivor_pathways_figure(run))
        figure("regional_map", "Regions",
               "Regions placed by the scenario's map.x and map.y (on a circle when absent). Disc area: people in "
               "exploitation there; colour: per 1000 residents; arrows: routes and the share of the origin's "
               "recruits sent along them. Bars: the same by region, and victims identified per year.",
               lambda: F.regional_map_figure(run))

        if targets is not None:
            targets_path = Path(targets)
            mvd = S.model_vs_data(run, targets_path, points=_model_points(run))
            table("model_vs_data", "Model against data",
                  f"Every target of {targets_path.name} against the model, measured as calibrate.py's MEASURES "
                  "say (means over replicates; shares and ratios of counts pooled over replicates), with 95 % "
                  "bootstrap intervals over replicates.",
                  mvd[["point_label", "target", "quantity", "data", "data_low", "data_high", "model",
                       "model_ci_low", "model_ci_high", "in_band", "unit", "source"]]
                  .rename(columns={"point_label": "point"}))
            figure("model_vs_data", "Model against data",
                   "Each target's band (shaded) and value (line), and the model (dots, filled when inside the "
                   "band, with 95 % bootstrap intervals), in half-widths of the band from the target: the scale "
                   "of the calibration loss. At the right, the model and the data in their units.",
                   lambda: F.model_vs_data_figure(mvd, f"{run.scenario_name} against {targets_path.name}"))

        if not run.interventions.empty:
            table("interventions", "Interventions", "The scenario's lever changes (of point 0).",
                  run.interventions)
        if not run.routes.empty:
            table("routes", "Routes", "Share of the origin's recruits exploited in the destination, and steps in "
                  "transit.", run.routes)

        html_path = out / "report.html"
        html_path.write_text(_render(run, figures, tables, embed, run_notes(run)), encoding="utf-8")
        say(f"wrote {html_path}")
        return Report(html_path, figures, tables)


def _embed(fig: ReportFigure, embed: str) -> str:
    alt = html.escape(f"{fig.heading} ({fig.files['png'].name})")
    if embed == "svg":
        svg = fig.files["svg"].read_text(encoding="utf-8")
        start = svg.find("<svg")
        return (f'<div class="svg" role="img" aria-label="{alt}" data-file="{html.escape(fig.files["svg"].name)}">'
                f"{svg[start:]}</div>")
    data = base64.b64encode(fig.files["png"].read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{alt}" data-file="{html.escape(fig.files["png"].name)}">'


def limitations_html(notes: RunNotes) -> str:
    """The report's Limitations block: one item per topic of `notes.limitations`."""
    items = "".join(f"<li><strong>{html.escape(topic)}:</strong> {html.escape(text)}</li>"
                    for topic, text in notes.limitations)
    return (f'<section id="limitations" class="limitations" data-calibration="{html.escape(notes.calibration.status)}">'
            f"<h2>Limitations</h2><ul>{items}</ul></section>")


def _render(run: Run, figures: Sequence[ReportFigure], tables: Sequence[ReportTable], embed: str,
            notes: RunNotes) -> str:
    by_name = {t.name: t for t in tables}
    figs = {f.name: f for f in figures}
    sections: list[tuple[str, str, str]] = []  # (id, heading, body)

    def figure_body(name: str) -> str:
        f = figs[name]
        return (f'<figure id="figure-{f.name}">{_embed(f, embed)}<figcaption>{html.escape(f.caption)} '
                f'Files: <a href="{html.escape(f.files["png"].name)}">{html.escape(f.files["png"].name)}</a>, '
                f'<a href="{html.escape(f.files["svg"].name)}">{html.escape(f.files["svg"].name)}</a>.'
                "</figcaption></figure>")

    def add_figure(name: str) -> None:
        if name in figs:
            sections.append((f"figure-{name}-section", figs[name].heading, figure_body(name)))

    def table_body(name: str) -> str:
        t = by_name[name]
        return table_html(t.frame, t.caption) + (
            f'<p class="note">As CSV: <a href="{html.escape(t.file.name)}">{html.escape(t.file.name)}</a></p>'
            if t.file else "")

    def add_table(name: str) -> None:
        if name in by_name:
            sections.append((f"table-{name}", by_name[name].heading, table_body(name)))

    sections.append(("provenance", "Provenance",
                     table_html(_provenance_frame(run, notes), "What made this file: repeat it with "
                                                         f"tipsim run --from {run.path.name}.")))
    add_table("headline_figures")
    add_figure("comparison")
    add_table("paired_effects")
    add_table("paired_effects_headline")
    # The table and its figure under one heading.
    if "cost_effectiveness" in by_name:
        sections.append(("cost-effectiveness", "Cost-effectiveness",
                         table_body("cost_effectiveness")
                         + (figure_body("cost_effectiveness") if "cost_effectiveness" in figs else "")))
    if "allocation" in by_name:
        sections.append(("allocation", "Allocation frontier",
                         table_body("allocation") + (figure_body("allocation") if "allocation" in figs else "")))
    add_figure("response_curves")
    add_table("response_curves")
    add_figure("time_series")
    add_figure("state_composition")
    add_figure("survivor_pathways")
    add_figure("regional_map")
    add_figure("model_vs_data")
    add_table("model_vs_data")
    add_table("interventions")
    add_table("routes")
    add_table("summary_all")
    sections.append(("scenario", "Resolved scenario",
                     "<details><summary>Every key as the run used it (point 0; "
                     "<code>tipsim run --from</code> repeats it)</summary><pre>"
                     f"{html.escape(run.resolved_toml)}</pre></details>"))

    kind = {"comparison": "Comparison", "sweep": "Sweep", "run": "Run"}.get(run.experiment, run.experiment)
    title = f"{kind}: {run.scenario_name}"
    lead = (f"{run.point_count} point{'s' if run.point_count != 1 else ''} "
            f"({html.escape(', '.join(run.point_labels))}) &times; {run.replicate_count} replicates &times; "
            f"{run.steps} steps of {run.step_days:g} days; summaries over the {run.measured_years:.2f} years after "
            f"a burn-in of {run.burn_in_steps} steps. Numbers are in real people and real USD "
            f"({S.scale_text(run)}).")
    nav = "".join(f'<li><a href="#{sid}">{html.escape(heading)}</a></li>' for sid, heading, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{html.escape(heading)}</h2>{content}</section>'
                   for sid, heading, content in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} — tipsim report</title><style>{_CSS}</style></head>"
            f"<body><main><h1>{html.escape(title)}</h1><p class=\"lead\">{lead}</p>"
            f"<p class=\"lead\">{html.escape(str(run.provenance.get('summary', '')))}</p>"
            f"{limitations_html(notes)}<nav><ul>{nav}</ul></nav>{body}"
            f"<p class=\"lead\">Made by tipsim_analysis {__version__} from {html.escape(run.path.name)}.</p>"
            "</main></body></html>\n")
