"""Publication figures from an opened run file (matplotlib, PNG and SVG).

Each function takes a `Run` (see io.open_run) and returns a matplotlib
Figure; `save_figure` writes it as PNG and SVG.

- `time_series_figure`: headline series over time, median and 10-90 % band
  over replicates, one colour per point (run, sweep point or arm);
- `state_composition_figure`: people recruited, exploited and in
  protection, and exploitation by form, stacked (means over replicates);
- `comparison_figure`: the 3P comparison of arms: spending and the policy
  index by P, and each arm's paired effects with 95 % intervals;
- `cost_effectiveness_figure`: a comparison's cost-effectiveness plane
  (frontier, dominated arms, 95 % intervals) and acceptability curves;
- `response_curves_figure`: per-run figures over the varied key of a sweep;
- `regional_map_figure`: regions placed by the scenario's map.x and map.y
  (a circle when absent), sized by exploitation, joined by routes;
- `model_vs_data_figure`: the model against calibration targets.

Figures say which layer they show: TRUE (what exists, never observed in
the real world), OBSERVED (what agencies see) or POLICY (the response).
Every figure ends with a footer (`add_footer`): the run's limitations and
provenance in two short lines, from `provenance.run_notes`.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path
from typing import Sequence

import matplotlib
import matplotlib.cm
import matplotlib.colors
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from matplotlib.path import Path as CurvePath
from matplotlib.text import Text

from . import summaries as S
from .io import DAYS_PER_YEAR, Run
from .provenance import RunNotes, run_notes

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")

STATE_COLOURS = {"RECRUITED": "#E69F00", "EXPLOITED": "#D55E00", "IN_PROTECTION": "#009E73"}
FORM_COLOURS = {"SEXUAL": "#CC79A7", "LABOUR": "#0072B2", "DOMESTIC_SERVITUDE": "#56B4E9",
                "FORCED_CRIMINALITY": "#000000"}
PILLAR_COLOURS = {"PROSECUTION": "#0072B2", "PROTECTION": "#009E73", "PREVENTION": "#E69F00",
                  "PARTNERSHIP": "#CC79A7"}
LAYER_TAGS = {"true": "TRUE", "observed": "OBSERVED", "policy": "POLICY"}

STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#dddddd", "grid.linewidth": 0.6, "axes.axisbelow": True,
    "figure.dpi": 100, "savefig.dpi": 150, "svg.fonttype": "none", "svg.hashsalt": "tipsim",
}

# The per-run figures a sweep's response curves show by default.
RESPONSE_FIGURES = ("exploited_mean", "victim_years", "recruitments", "identified", "convictions",
                    "traffickers_active_final", "spending_total")


def _label(text: str) -> str:
    return text.replace("_", " ").capitalize()


def _human(value: float) -> str:
    """A number for people: thousands separated, a few significant digits."""
    if value is None or not np.isfinite(value):
        return "n/a"
    value = float(value) + 0.0  # no "-0"
    magnitude = abs(value)
    if magnitude < 1e-12:
        return "0"
    if magnitude >= 1e9:
        return f"{value / 1e9:.3g} bn"
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g} M"
    if magnitude >= 100 or value == round(value):
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def units_phrase(run: Run) -> str:
    """What the numbers count, for a title: real people and real USD, or agents
    when the run was opened with agent_units=True."""
    if run.agent_units:
        return f"counts in agents, one for {_human(run.population_scale)} people; money in real USD"
    return f"real people and real USD; {S.scale_text(run)}"


def _layer_tag(ax: plt.Axes, layer: str) -> None:
    """Names the layer a panel shows (TRUE, OBSERVED, POLICY) at its top right."""
    tag = LAYER_TAGS.get(str(layer), "")
    if tag:
        ax.set_title(tag, loc="right", fontsize=7, color="#666666")


def _title(ax: plt.Axes, text: str, width: int = 40, **kwargs) -> None:
    """A panel title on the left, wrapped so it leaves room for the layer tag."""
    ax.set_title(textwrap.fill(text, width), loc="left", **kwargs)


def _human_axis(axis) -> None:
    """Tick labels with thousands separated (1,000; 2 M; 1 bn), small ones as they are."""
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _: _human(v) if abs(v) >= 1000 else f"{v:g}"))


def _shade_burn_in(ax: plt.Axes, run: Run) -> None:
    if run.burn_in_steps > 0:
        end = run.burn_in_steps * run.step_days / DAYS_PER_YEAR
        ax.axvspan(0, end, color="#eeeeee", zorder=0, lw=0)


def points_to_show(run: Run, points: Sequence[int] | None, most: int) -> list[int]:
    """The points a figure draws: those given, else all, else `most` spread evenly."""
    if points is not None:
        return list(points)
    if run.point_count <= most:
        return list(range(run.point_count))
    # Evenly spread over the sweep, first and last included.
    return sorted({int(round(x)) for x in np.linspace(0, run.point_count - 1, most)})


def flow_bin_steps(run: Run) -> int:
    """Steps per bin when a flow is charted: about a quarter, so counts are
    readable, but never fewer than 16 bins over the run."""
    quarter = int(round(DAYS_PER_YEAR / 4 / run.step_days))
    return max(1, min(quarter, run.steps // 16))


def _bin_label(run: Run, steps: int) -> str:
    if steps == 1:
        return "per step"
    if run.step_days == 7:
        return f"per {steps} weeks"
    return f"per {steps * run.step_days:g} days"


def binned(run: Run, data, steps: int):
    """A flow summed over bins of `steps` steps (the last partial bin dropped);
    the time coordinates become those of each bin's last step."""
    if steps <= 1:
        return data
    whole = (data.sizes["step"] // steps) * steps
    trimmed = data.isel(step=slice(0, whole))
    out = trimmed.coarsen(step=steps).sum(keep_attrs=True)
    last = trimmed["step"].values[steps - 1::steps]
    return out.assign_coords(step=last, time_years=("step", (last + 1) * run.step_days / DAYS_PER_YEAR))


# ---- the footer: limitations and provenance --------------------------------------------------

FOOTER_GID = "tipsim-footer"
FOOTER_SIZE = 6.5
FOOTER_COLOUR = "#555555"
# Inches of space above and below the footer.
FOOTER_PAD = 0.06
# Without the run, a figure can still say what it is not.
UNKNOWN_RUN_FOOTER = ("Simulation, not a forecast · the run file it comes from is not known, "
                      "nor the calibration and scale it rests on",)


def _wrap_segments(line: str, chars: int) -> list[str]:
    """A footer line in lines of at most `chars` characters, broken at its ' · ' separators where it can."""
    out: list[str] = []
    current = ""
    for segment in line.split(" · "):
        joined = f"{current} · {segment}" if current else segment
        if len(joined) <= chars:
            current = joined
            continue
        if current:
            out.append(current)
        pieces = textwrap.wrap(segment, chars, break_long_words=False) or [segment]
        out.extend(pieces[:-1])
        current = pieces[-1]
    if current:
        out.append(current)
    return out


def _footer_text(fig: plt.Figure, text: Text, lines: Sequence[str], renderer) -> None:
    """Sets the footer's lines, wrapped until they fit the figure's width."""
    width = fig.get_figwidth() * (1 - 2 * text.get_position()[0]) * fig.dpi
    chars = max(40, int(fig.get_figwidth() * 72 / (FOOTER_SIZE * 0.5)))
    while True:
        text.set_text("\n".join(w for line in lines for w in _wrap_segments(line, chars)))
        if text.get_window_extent(renderer).width <= width or chars <= 40:
            return
        chars = int(chars * 0.9)


def _shift_up(fig: plt.Figure, strip: float, old_height: float, new_height: float, footer: Text) -> None:
    """Moves what the figure holds up by `strip` inches once it is `new_height` tall: its axes, fixed
    where its layout put them, its texts in figure coordinates and the legends anchored to it."""
    def lifted(y: float) -> float:
        return (y * old_height + strip) / new_height

    # The layout is done: laid out again, the figure would not leave the footer its strip (and saving it
    # would lay it out twice per file).
    fig.set_layout_engine(None)
    for ax in fig.axes:
        box = ax.get_position()
        ax.set_position([box.x0, lifted(box.y0), box.width, box.height * old_height / new_height])
    for text in fig.texts:
        if text is not footer and text.get_transform() == fig.transFigure:
            x, y = text.get_position()
            text.set_position((x, lifted(y)))
    for legend in fig.legends:
        if legend._bbox_to_anchor is None:
            continue
        # The anchor in inches from the figure's bottom left, before the figure grows.
        anchor = legend.get_bbox_to_anchor().transformed(fig.dpi_scale_trans.inverted())
        legend.set_bbox_to_anchor((anchor.x0 / fig.get_figwidth(), (anchor.y0 + strip) / new_height,
                                   anchor.width / fig.get_figwidth(), anchor.height / new_height),
                                  transform=fig.transFigure)


def add_footer(fig: plt.Figure, source: Run | RunNotes | None, note: str = "") -> Text:
    """Writes the run's limitations and provenance (`provenance.run_notes`) at the bottom of `fig`.

    The footer gets a strip of its own: the figure grows by its height and
    by whatever hangs below the figure's bottom edge (legends anchored
    there), its axes keep their size, and those legends move into the
    strip above the footer, so nothing overlaps it and nothing is cut off.
    `note`: a line of the figure's own, written first. Every figure
    function calls this last, once the figure is complete; a figure
    without its run (None) says only that it is a simulation.
    The figure keeps the layout it has then (its layout engine is removed),
    so saving it draws it as it is, without laying it out again.
    Returns the footer's Text (its gid is FOOTER_GID).
    """
    notes = run_notes(source) if isinstance(source, Run) else source
    lines = ([note] if note else []) + list(notes.footer if notes is not None else UNKNOWN_RUN_FOOTER)
    footer = fig.text(0.01, 0.0, "", ha="left", va="bottom", fontsize=FOOTER_SIZE, color=FOOTER_COLOUR,
                      gid=FOOTER_GID, linespacing=1.35)
    renderer = fig.canvas.get_renderer()
    _footer_text(fig, footer, lines, renderer)
    # What the figure holds, without the footer: how far it hangs below the bottom edge.
    footer.set_visible(False)
    fig.draw_without_rendering()
    below = max(0.0, -fig.get_tightbbox(renderer).y0)
    footer.set_visible(True)
    height = footer.get_window_extent(renderer).height / fig.dpi
    strip = below + height + 2 * FOOTER_PAD
    old_height = fig.get_figheight()
    new_height = old_height + strip
    _shift_up(fig, strip, old_height, new_height, footer)
    fig.set_figheight(new_height)
    footer.set_position((0.01, FOOTER_PAD / new_height))
    return footer


def save_figure(fig: plt.Figure, directory: str | Path, name: str) -> dict[str, Path]:
    """Writes `name`.png and `name`.svg into `directory`; returns their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"png": directory / f"{name}.png", "svg": directory / f"{name}.svg"}
    # Laid out once, for both files: with a layout engine, matplotlib lays a figure out twice per file saved.
    if fig.get_layout_engine() is not None:
        fig.draw_without_rendering()
        fig.set_layout_engine(None)
    # No dates in the files: the same run gives the same figures.
    fig.savefig(paths["png"], metadata={"Software": None})
    fig.savefig(paths["svg"], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


# ---- time series -------------------------------------------------------------------------


def time_series_figure(run: Run, headlines: Sequence[S.Headline] = S.HEADLINE_SERIES,
                       points: Sequence[int] | None = None, max_points: int = 6, columns: int = 3) -> plt.Figure:
    """The headline series over time: median over replicates and the 10-90 % band.

    Stocks are drawn step by step; flows are summed over bins of up to a
    quarter (`flow_bin_steps`). One colour per point; the burn-in, which
    the summaries leave out, is shaded grey.
    """
    shown = points_to_show(run, points, max_points)
    labels = run.point_labels
    rows = math.ceil(len(headlines) / columns)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.6 * rows + 0.6), squeeze=False,
                                 layout="constrained")
        for ax, headline in zip(axes.flat, headlines):
            data = S.headline_series(run, headline)
            source = run.series[headline.variable]
            title = headline.label
            if S.is_flow(source):
                bin_steps = flow_bin_steps(run)
                data = binned(run, data, bin_steps)
                title = title.replace("per step", _bin_label(run, bin_steps))
            band = S.bands(data)
            years = data["time_years"].values
            for i, p in enumerate(shown):
                colour = PALETTE[i % len(PALETTE)]
                ax.fill_between(years, band["low"].isel(point=p), band["high"].isel(point=p), color=colour,
                                alpha=0.18, lw=0)
                ax.plot(years, band["median"].isel(point=p), color=colour, lw=1.5,
                        marker="o" if len(years) < 3 else None, ms=3)
            _shade_burn_in(ax, run)
            _title(ax, title, 34)
            _layer_tag(ax, source.attrs.get("layer", ""))
            ax.set_xlabel("years")
            ax.set_ylabel(source.attrs.get("units", ""))
            _human_axis(ax.yaxis)
            ax.set_ylim(bottom=0)
            ax.set_xlim(0, run.steps * run.step_days / DAYS_PER_YEAR)
        for ax in list(axes.flat)[len(headlines):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color=PALETTE[i % len(PALETTE)], lw=1.5, label=labels[p])
                   for i, p in enumerate(shown)]
        handles.append(Patch(color="#888888", alpha=0.3, label=f"{S.BAND[0]:.0%}-{S.BAND[1]:.0%} of "
                                                                f"{run.replicate_count} replicates"))
        if run.burn_in_steps:
            handles.append(Patch(color="#eeeeee", label="burn-in (not in the summaries)"))
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=min(len(handles), 4),
                   frameon=False)
        fig.suptitle(f"{run.scenario_name}: median over replicates ({units_phrase(run)})", x=0.01, ha="left")
        add_footer(fig, run)
    return fig


# ---- composition -------------------------------------------------------------------------


def state_composition_figure(run: Run, points: Sequence[int] | None = None, max_points: int = 4) -> plt.Figure:
    """People by state (FREE left out) and people in exploitation by form, stacked.

    Means over replicates, which add up (medians would not); one column per point.
    """
    shown = points_to_show(run, points, max_points)
    labels = run.point_labels
    states = [s for s in STATE_COLOURS if s in run.series["state"].values]
    forms = [f for f in FORM_COLOURS if f in run.series["form"].values]
    by_state = S.series_total(run, "persons_by_state", keep=("state",)).mean("replicate")
    by_form = S.series_total(run, "exploited_by_form", keep=("form",)).mean("replicate")
    years = by_state["time_years"].values
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, len(shown), figsize=(3.8 * len(shown) + 1.6, 5.6), squeeze=False,
                                 sharex=True, sharey="row", layout="constrained")
        for column, p in enumerate(shown):
            top, bottom = axes[0, column], axes[1, column]
            top.stackplot(years, [by_state.isel(point=p).sel(state=s).values for s in states],
                          colors=[STATE_COLOURS[s] for s in states], labels=[_label(s) for s in states], lw=0)
            bottom.stackplot(years, [by_form.isel(point=p).sel(form=f).values for f in forms],
                             colors=[FORM_COLOURS[f] for f in forms], labels=[_label(f) for f in forms], lw=0,
                             alpha=0.9)
            top.set_title(labels[p] if len(shown) > 1 else "people outside freedom, by state", loc="left")
            bottom.set_xlabel("years")
            for ax in (top, bottom):
                _shade_burn_in(ax, run)
                ax.set_xlim(0, years[-1])
                _layer_tag(ax, "true")
        axes[0, 0].set_ylabel("persons (mean over replicates)")
        axes[1, 0].set_ylabel("persons in exploitation")
        axes[0, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="state")
        axes[1, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="form")
        fig.suptitle(f"{run.scenario_name}: who is recruited, exploited and protected (FREE not shown)",
                     x=0.01, ha="left")
        add_footer(fig, run)
    return fig


# ---- survivors' pathways ------------------------------------------------------------------

ROUTE_COLOURS = {"ESCAPED": "#E69F00", "RELEASED": "#F0E442", "PROTECTED": "#009E73", "TURNED_AWAY": "#56B4E9",
                 "PUNISHED": "#000000"}
OUTCOME_COLOURS = {"RETRAFFICKED": "#D55E00", "IN_PROTECTION": "#009E73", "RECOVERING": "#CC79A7",
                   "RECOVERED": "#0072B2"}


def _ribbon(ax: plt.Axes, left: tuple[float, float], right: tuple[float, float], x0: float, x1: float,
            colour: str) -> None:
    """A band from [left] at x0 to [right] at x1, its edges S-curves."""
    xs = np.linspace(x0, x1, 40)
    t = (xs - x0) / (x1 - x0)
    ease = t * t * (3 - 2 * t)
    low = left[0] + (right[0] - left[0]) * ease
    high = left[1] + (right[1] - left[1]) * ease
    ax.fill_between(xs, low, high, color=colour, alpha=0.45, lw=0)


# The routes out of trafficking that pass through an agency's hands.
IDENTIFIED_ROUTES = ("PROTECTED", "TURNED_AWAY", "PUNISHED")


def _pathway_panel(ax: plt.Axes, table: pd.DataFrame, title: str) -> None:
    """One flow: routes (left) to outcomes (right), bands as wide as the
    survivors who took each path, as shares of the panel's total."""
    total = float(table.values.sum())
    ax.set_axis_off()
    if total <= 0:
        ax.text(0.5, 0.5, "no survivor reviewed", ha="center", va="center", transform=ax.transAxes)
        _title(ax, title, 55)
        return
    share = table / total
    gap = 0.02
    # Left: routes, top to bottom; right: outcomes, top to bottom.
    left_top, right_top = {}, {}
    y = 1.0
    for r in share.index:
        left_top[r] = y
        y -= float(share.loc[r].sum()) + gap
    y = 1.0
    for o in share.columns:
        right_top[o] = y
        y -= float(share[o].sum()) + gap
    left_fill, right_fill = dict(left_top), dict(right_top)
    for r in share.index:
        for o in share.columns:
            h = float(share.loc[r, o])
            if h <= 0:
                continue
            _ribbon(ax, (left_fill[r] - h, left_fill[r]), (right_fill[o] - h, right_fill[o]), 0.08, 0.92,
                    OUTCOME_COLOURS[o])
            left_fill[r] -= h
            right_fill[o] -= h

    def bars(x: float, tops: dict[str, float], heights: dict[str, float], colours: dict[str, str], text_x: float,
             ha: str) -> None:
        # Labels at least 0.05 apart, pushed down in order where bars are thin.
        below = math.inf
        for key, top in tops.items():
            h = heights[key]
            if h <= 0:
                continue
            ax.add_patch(Rectangle((x, top - h), 0.08, h, color=colours[key]))
            y = min(top - h / 2, below - 0.05)
            below = y
            ax.text(text_x, y, f"{_label(key)} {100 * h:.1f} %" if h < 0.1 else f"{_label(key)} {100 * h:.0f} %",
                    ha=ha, va="center", fontsize=8)

    bars(0.0, left_top, {r: float(share.loc[r].sum()) for r in share.index}, ROUTE_COLOURS, -0.01, "right")
    bars(0.92, right_top, {o: float(share[o].sum()) for o in share.columns}, OUTCOME_COLOURS, 1.01, "left")
    ax.set_xlim(-0.45, 1.45)
    ax.set_ylim(min(min(left_fill.values()), min(right_fill.values())) - 0.05, 1.05)
    _title(ax, f"{title}: {S.format_figure(total)} survivors", 55)
    _layer_tag(ax, "true")


def survivor_pathways_figure(run: Run, points: Sequence[int] | None = None, max_points: int = 3,
                             abroad: bool = False) -> plt.Figure:
    """Where survivors are a year on: for each point (a column), a flow from
    how their trafficking ended (left) to where they were
    survivors.followup_years later (right), each band as wide as the
    survivors who took that path (real people over the measured period, mean
    over replicates; true layer). The top row holds every survivor; the
    bottom row those whose trafficking ended in an agency's hands (protected,
    turned away, punished), where protection policy acts."""
    shown = points_to_show(run, points, max_points)
    labels = run.point_labels
    years = run.scenario_value("survivors.followup_years")
    later = "a year later" if years == 1 else f"{format(years, 'g')} years later"
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, len(shown), figsize=(5.2 * len(shown), 8.4), squeeze=False,
                                 layout="constrained")
        for column, p in enumerate(shown):
            table = S.survivor_pathways(run, p, abroad=abroad)
            _pathway_panel(axes[0, column], table, f"{labels[p]}: every survivor")
            _pathway_panel(axes[1, column], table.loc[list(IDENTIFIED_ROUTES)],
                           f"{labels[p]}: survivors identified by agencies")
        fig.suptitle(f"{run.scenario_name}: survivors' pathways, how trafficking ended -> where they are {later}"
                     + (" (trafficked abroad)" if abroad else ""), x=0.01, ha="left")
        add_footer(fig, run)
    return fig


# ---- 3P comparison -----------------------------------------------------------------------


def _effects_for_figure(run: Run) -> pd.DataFrame:
    """The file's own paired effects (a comparison), else paired effects of the
    headline figures against point 0."""
    if run.comparison is not None:
        return S.comparison_effects(run).rename(columns={"effect": "figure"})
    return S.paired_effects(run, ["victim_years", "identified", "prosecutions", "convictions",
                                  "traffickers_active_final", "spending_total"])


def comparison_figure(run: Run, window: tuple[int, int] | None = None) -> plt.Figure:
    """The 3P comparison of arms.

    Top: each arm's anti-trafficking spending by P (a year's spending over
    the measured window, in real USD) and its 3P policy index by P (mean
    over the window and the regions). Below: each arm's paired effect
    against the baseline on every effect the file records, with the 95 %
    t-interval over replicate pairs; an interval that excludes zero is an
    effect the replicates can tell apart from chance.
    """
    labels = run.point_labels
    arms = list(range(run.point_count))
    span = S.window_steps(run, steps=window)
    window_years = (span.stop - span.start) * run.step_days / DAYS_PER_YEAR
    spending = S.window_total(run, "spending", steps=span, keep=("pillar",)).mean("replicate") / window_years
    index = run.series["policy_index"].isel(step=span).mean(["step", "region", "replicate"]).load()
    pillars = [str(p) for p in run.series["pillar"].values]
    effects = _effects_for_figure(run)
    effect_names = list(dict.fromkeys(effects["figure"]))
    arm_names = list(dict.fromkeys(effects["arm"]))
    effect_columns = 4
    effect_rows = math.ceil(len(effect_names) / effect_columns)
    height_arm = 0.32
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(12, 2.2 + height_arm * len(arms) + effect_rows * (1.2 + height_arm * len(arm_names))),
                         layout="constrained")
        grid = fig.add_gridspec(1 + effect_rows, effect_columns,
                                height_ratios=[1.2 + height_arm * len(arms)]
                                + [0.9 + height_arm * len(arm_names)] * effect_rows)
        ax_spend = fig.add_subplot(grid[0, :2])
        ax_index = fig.add_subplot(grid[0, 2:])
        y = np.arange(len(arms))
        left = np.zeros(len(arms))
        for pillar in pillars:
            values = spending.sel(pillar=pillar).values
            ax_spend.barh(y, values, left=left, color=PILLAR_COLOURS.get(pillar, "#999999"), label=_label(pillar),
                          height=0.6)
            left += values
        ax_spend.set_yticks(y, [labels[p] for p in arms])
        ax_spend.invert_yaxis()
        ax_spend.set_xlabel("USD per year (real money)")
        _title(ax_spend, "anti-trafficking spending by P, mean over the measured period", 60)
        _human_axis(ax_spend.xaxis)
        _layer_tag(ax_spend, "policy")
        height = 0.8 / max(1, len(pillars))
        for i, pillar in enumerate(pillars):
            ax_index.barh(y + (i - (len(pillars) - 1) / 2) * height, index.sel(pillar=pillar).values - 1, left=1,
                          height=height * 0.95, color=PILLAR_COLOURS.get(pillar, "#999999"), label=_label(pillar))
        ax_index.set_yticks(y, [""] * len(arms))
        ax_index.set_ylim(ax_spend.get_ylim())
        ax_index.set_xlim(1, 5)
        ax_index.set_xlabel("score 1-5")
        _title(ax_index, "3P policy index by P (mean over steps and regions)", 60)
        ax_index.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="the four Ps")
        _layer_tag(ax_index, "policy")

        for k, name in enumerate(effect_names):
            ax = fig.add_subplot(grid[1 + k // effect_columns, k % effect_columns])
            rows = effects[effects["figure"] == name].set_index("arm").reindex(arm_names)
            yy = np.arange(len(arm_names))
            for j, arm in enumerate(arm_names):
                mean, lo, hi = rows.loc[arm, ["mean", "ci_low", "ci_high"]]
                # Dark where the interval excludes zero: an effect the replicates tell apart from chance.
                clear = bool(np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0))
                colour = "#0072B2" if clear else "#999999"
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.plot([lo, hi], [j, j], color=colour, lw=2.2, solid_capstyle="butt")
                if np.isfinite(mean):
                    ax.plot([mean], [j], "o", color=colour, ms=5)
                else:
                    ax.text(0.5, j, "n/a", ha="center", va="center", fontsize=7, color="#666666",
                            transform=ax.get_yaxis_transform())
            ax.axvline(0, color="#444444", lw=0.8)
            ax.set_yticks(yy, arm_names if k % effect_columns == 0 else [""] * len(arm_names))
            ax.set_ylim(len(arm_names) - 0.5, -0.5)
            _title(ax, _effect_title(rows["long_name"].iloc[0], name), 34, fontsize=8.5)
            ax.set_xlabel(str(rows["units"].iloc[0]))
            _human_axis(ax.xaxis)
            ax.grid(axis="y", visible=False)
        handles = [Line2D([], [], color="#0072B2", marker="o", lw=2.2, label="95 % interval excludes 0"),
                   Line2D([], [], color="#999999", marker="o", lw=2.2, label="95 % interval includes 0")]
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=2, frameon=False)
        baseline = labels[0]
        fig.suptitle(f"3P comparison against '{baseline}': effort by P, and paired effects with 95 % intervals "
                     f"over {run.replicate_count} replicate pairs\n(arm minus baseline; victim-years averted: "
                     f"baseline minus arm; {units_phrase(run)})", x=0.01, ha="left")
        add_footer(fig, run)
    return fig


def _effect_title(long_name: str, name: str) -> str:
    """A long name shortened for a panel: no parenthesised remark such as "(arm minus baseline)"."""
    text = re.sub(r"\s*\([^)]*\)", "", str(long_name or name))
    return re.sub(r"^change in ", "", text).strip()


# ---- cost-effectiveness ---------------------------------------------------------------------

# How the plane marks each frontier status: filled on the frontier, open off it.
STATUS_MARKERS = {"frontier": ("o", True), "dominated": ("o", False), "extendedly dominated": ("D", False)}
BASELINE_COLOUR = "#444444"
# Arms take the palette less black (too close to the baseline's grey) and yellow (faint on white).
ARM_PALETTE = tuple(c for c in PALETTE if c not in ("#000000", "#F0E442"))


def _arm_colours(baseline: str, arms: Sequence[str]) -> dict[str, str]:
    """The baseline dark grey; the arms the palette's colours in the file's arm order."""
    colours = {a: ARM_PALETTE[i % len(ARM_PALETTE)] for i, a in enumerate(arms)}
    colours[baseline] = BASELINE_COLOUR
    return colours


# Arm names longer than this are numbered on the cost-effectiveness plane.
ARM_NAME_ON_PLANE = 28


def _decades(low: float, high: float) -> list[float]:
    """The powers of ten from `low` to `high`, both rounded outwards."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [10.0 ** k for k in range(first, last + 1)]


def cost_effectiveness_figure(run: Run) -> plt.Figure:
    """A comparison's cost-effectiveness, as `tipsim compare` wrote it.

    Left, the cost-effectiveness plane: each arm's extra spending against
    the victim-years it averts (means over replicate pairs, with their 95 %
    t-intervals as bars), the baseline at the origin; the frontier arms are
    filled and joined in order of cost, dominated arms are open circles and
    extendedly dominated ones open diamonds; the dashed line is the value
    per victim-year (below it the net monetary benefit is positive).
    Right, the acceptability curves: the probability that each arm (and the
    baseline) is the most cost-effective against the value of one
    victim-year averted, on a log axis whose first stretch, from 0 to the
    smallest value above 0, is linear; the dotted line is the value the
    file's net monetary benefit uses.
    """
    table = S.cost_effectiveness_table(run)
    curves = S.acceptability_curves(run)
    baseline = table.attrs["baseline"]
    value, effect, unit = table.attrs["value"], table.attrs["effect"], table.attrs["unit"]
    # The curves' columns: the value, the baseline, then the arms in the file's order.
    arms = [str(c) for c in curves.columns[2:]]
    colours = _arm_colours(baseline, arms)
    # Long arm names (an allocation's splits) would crowd the plane out: there the arms are numbered,
    # and the legend, wrapped, says which is which.
    numbered = any(len(a) > ARM_NAME_ON_PLANE for a in arms)
    on_plane = {a: (str(i + 1) if numbered else a) for i, a in enumerate(arms)}
    on_plane[baseline] = "0" if numbered else baseline
    in_legend = {a: textwrap.fill(f"{on_plane[a]}: {a}" if numbered else a, 44, subsequent_indent="   ")
                 for a in [baseline, *arms]}
    effect_units = table.attrs["units"][effect] + (", in agents" if run.agent_units else "")
    with plt.rc_context(STYLE):
        fig, (plane, ceac) = plt.subplots(1, 2, figsize=(11.5, 4.8), layout="constrained")

        plane.axhline(0, color="#999999", lw=0.8)
        plane.axvline(0, color="#999999", lw=0.8)
        for row in table.itertuples(index=False):
            colour = colours[row.arm]
            x, y = getattr(row, effect), row.extra_cost
            xerr = [[x - getattr(row, effect + "_ci_low")], [getattr(row, effect + "_ci_high") - x]]
            yerr = [[y - row.extra_cost_ci_low], [row.extra_cost_ci_high - y]]
            if np.all(np.isfinite(xerr)) and np.all(np.isfinite(yerr)):
                plane.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt="none", ecolor=colour, elinewidth=1.0,
                               alpha=0.55, capsize=2)
            marker, filled = STATUS_MARKERS.get(row.status, ("s", False))
            plane.plot([x], [y], marker, ms=7, color=colour, mfc=colour if filled else "white", mew=1.4,
                       zorder=3, gid=f"arm:{row.arm}")
            plane.annotate(on_plane[row.arm], (x, y), xytext=(5, 4), textcoords="offset points", fontsize=7, color="#333333")
        frontier = table[table["status"] == "frontier"].sort_values("extra_cost", kind="stable")
        plane.plot(frontier[effect], frontier["extra_cost"], color="#333333", lw=1.2, zorder=2,
                   gid="frontier")
        # The value line is drawn inside the limits the arms set, never widening them.
        x_low, x_high = plane.get_xlim()
        plane.plot([x_low, x_high], [value * x_low, value * x_high], color="#888888", lw=1.0, ls="--",
                   scalex=False, scaley=False, gid="value_line")
        plane.set_xlabel(f"{unit}s averted ({effect_units})")
        plane.set_ylabel("extra spending (real USD over the measured period)")
        _human_axis(plane.yaxis)
        _human_axis(plane.xaxis)
        _title(plane, f"(a) cost-effectiveness plane against '{baseline}': means and 95 % intervals over "
                      f"{table.attrs['replicates']} replicate pairs", 50)

        values = curves["value"].to_numpy(dtype=float)
        positive = values[values > 0]
        lowest = float(positive.min()) if positive.size else 1.0
        ceac.set_xscale("symlog", linthresh=lowest, linscale=0.5)
        # Past the palette's length the colours repeat: a second line style tells those arms apart.
        styles = {baseline: "--", **{a: "-" if i < len(ARM_PALETTE) else "-." for i, a in enumerate(arms)}}
        for arm in [baseline, *arms]:
            ceac.plot(values, curves[arm].to_numpy(dtype=float), color=colours[arm], lw=1.6, ls=styles[arm],
                      label=f"{in_legend[arm]} (baseline)" if arm == baseline else in_legend[arm],
                      gid=f"acceptability:{arm}")
        ceac.axvline(value, color="#888888", lw=1.0, ls=":", gid="value_per_victim_year",
                     label=f"value used: {_human(value)} USD")
        ticks = ([0.0] if values.min() <= 0 else []) + _decades(lowest, float(values.max()))
        ceac.set_xticks(ticks)
        ceac.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _human(v)))
        ceac.set_xlim(float(values.min()), float(values.max()))
        ceac.set_ylim(-0.02, 1.02)
        ceac.set_xlabel("value of one victim-year averted (real USD; log scale, linear from 0 to "
                        f"{_human(lowest)})")
        ceac.set_ylabel("probability most cost-effective")
        _title(ceac, "(b) acceptability: share of replicate pairs in which each arm has the highest net "
                     "monetary benefit", 50)
        ceac.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="arm")

        handles = [Line2D([], [], color="#333333", marker="o", ms=6, lw=1.2, label="frontier (joined by cost)"),
                   Line2D([], [], color="#333333", marker="o", ms=6, mfc="white", lw=0, label="dominated"),
                   Line2D([], [], color="#333333", marker="D", ms=5.5, mfc="white", lw=0,
                          label="extendedly dominated"),
                   Line2D([], [], color="#888888", ls="--", lw=1.0,
                          label=f"{_human(value)} USD per victim-year (net benefit > 0 below)")]
        plane.legend(handles=handles, loc="best", fontsize=7, frameon=True, framealpha=0.9, edgecolor="none")
        fig.suptitle(f"{run.scenario_name}: cost-effectiveness of the arms against '{baseline}' ({units_phrase(run)})",
                     x=0.01, ha="left")
        add_footer(fig, run)
    return fig


# ---- sweeps -------------------------------------------------------------------------------


def response_curves_figure(run: Run, figures: Sequence[str] = RESPONSE_FIGURES, columns: int = 4) -> plt.Figure:
    """Per-run figures over the first varied key of a sweep.

    The line is the mean over replicates with its 95 % t-interval; the
    shaded band holds the middle 80 % of replicates (10-90 %). With a
    second varied key, one line per its value (further keys: one line per
    combination).
    """
    keys = run.sweep_keys
    if not keys:
        raise ValueError(f"{run.path}: not a sweep: response curves need varied keys")
    figures = [f for f in figures if f in run.summary]
    x_key, group_keys = keys[0], keys[1:]
    x_units = str(run.points[x_key].attrs.get("units", ""))
    x_label = textwrap.fill(f"{x_key} ({x_units})" if x_units and x_units != "1" else x_key, 40)
    rows = math.ceil(len(figures) / columns)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(rows, columns, figsize=(3.3 * columns, 2.7 * rows + 0.6), squeeze=False,
                                 layout="constrained")
        groups: dict[tuple, list[int]] = {}
        for p in range(run.point_count):
            groups.setdefault(tuple(run.points[k].values[p] for k in group_keys), []).append(p)
        for ax, figure in zip(axes.flat, figures):
            curve = S.response_curve(run, figure)
            for g, (group, members) in enumerate(groups.items()):
                part = curve.iloc[members].sort_values(x_key)
                colour = PALETTE[g % len(PALETTE)]
                x = part[x_key].values.astype(float)
                ax.fill_between(x, part["low"], part["high"], color=colour, alpha=0.15, lw=0)
                ax.errorbar(x, part["mean"], yerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
                            color=colour, lw=1.5, marker="o", ms=3.5, capsize=2)
            _title(ax, _effect_title(curve.attrs["long_name"], figure), 34, fontsize=8.5)
            ax.set_xlabel(x_label)
            ax.set_ylabel(curve.attrs["units"])
            _human_axis(ax.yaxis)
            _layer_tag(ax, run.summary[figure].attrs.get("layer", ""))
        for ax in list(axes.flat)[len(figures):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color="#444444", marker="o", ms=3.5, lw=1.5, label="mean, 95 % interval"),
                   Patch(color="#444444", alpha=0.15, label=f"{S.BAND[0]:.0%}-{S.BAND[1]:.0%} of replicates")]
        if group_keys:
            for g, group in enumerate(groups):
                text = ", ".join(f"{k} = {v:g}" if isinstance(v, (float, np.floating)) else f"{k} = {v}"
                                 for k, v in zip(group_keys, group))
                handles.append(Line2D([], [], color=PALETTE[g % len(PALETTE)], lw=1.5, label=text))
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=min(4, len(handles)),
                   frameon=False)
        fig.suptitle(f"{run.scenario_name}: response over {x_key} "
                     f"({run.replicate_count} replicates per point, after the burn-in)", x=0.01, ha="left")
        add_footer(fig, run)
    return fig


# ---- regional map ---------------------------------------------------------------------------


def region_positions(run: Run) -> dict[str, tuple[float, float]]:
    """Each region's place in the unit square, y downwards, as the viewer
    places it: map.x and map.y when both are in [0, 1], otherwise spread
    on a circle, the first on the left, clockwise; one region alone sits
    in the middle."""
    regions = run.regions
    rv = run.regional_values
    placed: dict[str, tuple[float, float]] = {}
    automatic = []
    for r in regions:
        x = float(rv.loc[r, "map.x"]) if "map.x" in rv.columns and r in rv.index else -1.0
        y = float(rv.loc[r, "map.y"]) if "map.y" in rv.columns and r in rv.index else -1.0
        if 0 <= x <= 1 and 0 <= y <= 1:
            placed[r] = (x, y)
        else:
            automatic.append(r)
    if len(automatic) == 1 and len(regions) == 1:
        placed[automatic[0]] = (0.5, 0.5)
        return placed
    for i, r in enumerate(automatic):
        angle = math.pi + 2 * math.pi * i / len(automatic)
        placed[r] = (0.5 + 0.5 * math.cos(angle), 0.5 + 0.5 * math.sin(angle))
    return placed


def _fit_positions(positions: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Positions scaled (the same on both axes) and centred to fill the unit
    square, so a scenario using only part of its map still fills the panel."""
    if len(positions) < 2:
        return {k: (0.5, 0.5) for k in positions}
    xy = np.array(list(positions.values()), dtype=float)
    low, high = xy.min(axis=0), xy.max(axis=0)
    extent = float((high - low).max()) or 1.0
    centred = (xy - (low + high) / 2) / extent + 0.5
    return {k: (float(x), float(y)) for k, (x, y) in zip(positions, centred)}


def regional_map_figure(run: Run, points: Sequence[int] | None = None, max_points: int = 3) -> plt.Figure:
    """Regions on a map-like panel (one per point), and each region's figures as bars.

    On the map each region is a disc whose area is the mean number of
    people in exploitation there (region of exploitation, measured period,
    mean over replicates) and whose colour is that number per 1000
    residents; arrows are the scenario's cross-border routes, their width
    and label the share of the origin's recruits sent along them. Below:
    the people in exploitation (TRUE) and the victims identified per year
    (OBSERVED) in each region, one bar per point.
    """
    shown = points_to_show(run, points, max_points)
    labels = run.point_labels
    positions = _fit_positions(region_positions(run))
    regions = run.regions
    exploited = S.window_mean(run, "exploited_by_form", keep=("region",)).mean("replicate")
    identified = S.window_total(run, "identified_by_form", keep=("region",)).mean("replicate") / run.measured_years
    # Residents of each point in the series' units (a sweep may vary the population or its scale).
    residents = xr.DataArray([run.region_populations(p).reindex(regions).values for p in range(run.point_count)],
                             dims=("point", "region"),
                             coords={"point": exploited["point"].values, "region": exploited["region"].values})
    per_1000 = exploited / residents * 1000
    colour_max = float(np.nanmax(per_1000.values)) or 1.0
    size_max = float(np.nanmax(exploited.values)) or 1.0
    cmap = plt.get_cmap("YlOrRd")
    norm = matplotlib.colors.Normalize(0, colour_max)
    routes = run.routes
    # Discs never overlap: the largest is a bit less than half the closest distance.
    places = np.array(list(positions.values()))
    closest = min((float(np.hypot(*(a - b))) for i, a in enumerate(places) for b in places[i + 1:]), default=1.0)
    radius_max = min(0.16, 0.45 * closest)
    radius_min = radius_max / 4
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(max(7.5, 4.2 * len(shown) + 1.2), 4.2 + 0.28 * len(regions) * 2),
                         layout="constrained")
        grid = fig.add_gridspec(2, 2 * len(shown), height_ratios=[4.0, 0.8 + 0.28 * len(regions)])
        maps = [fig.add_subplot(grid[0, 2 * i:2 * i + 2]) for i in range(len(shown))]
        for ax, p in zip(maps, shown):
            ax.set_xlim(-0.22, 1.22)
            ax.set_ylim(1.22, -0.22)  # y grows downwards, as on the viewer's map
            ax.set_aspect("equal")
            ax.axis("off")
            radii = {region: radius_min + (radius_max - radius_min) *
                     math.sqrt(max(float(exploited.isel(point=p, region=i)), 0) / size_max)
                     for i, region in enumerate(regions)}
            for _, route in routes.iterrows():
                if route["origin"] == route["destination"]:
                    continue
                _route_arrow(ax, positions[route["origin"]], positions[route["destination"]],
                             radii[route["origin"]], radii[route["destination"]], float(route["share"]))
            for r_index, region in enumerate(regions):
                x, y = positions[region]
                disc = plt.Circle((x, y), radii[region],
                                  color=cmap(norm(float(per_1000.isel(point=p, region=r_index)))),
                                  ec="#333333", lw=0.8, zorder=2)
                ax.add_patch(disc)
                ax.text(x, y + radii[region] + 0.02, region, ha="center", va="top", fontsize=8, weight="bold",
                        zorder=3, bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
            _title(ax, labels[p] if len(shown) > 1 else "where people are exploited", 50)
            _layer_tag(ax, "true")
        bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=maps, shrink=0.8, pad=0.02)
        bar.set_label("persons in exploitation\nper 1000 residents")

        half = len(shown)
        for k, (values, what, layer, unit) in enumerate((
                (exploited, "persons in exploitation (mean)", "true", "persons"),
                (identified, "victims identified per year", "observed", "persons per year"))):
            ax = fig.add_subplot(grid[1, k * half:(k + 1) * half] if half > 1 else grid[1, k])
            y = np.arange(len(regions))
            height = 0.8 / len(shown)
            for i, p in enumerate(shown):
                ax.barh(y + (i - (len(shown) - 1) / 2) * height, values.isel(point=p).values, height=height * 0.95,
                        color=PALETTE[i % len(PALETTE)], label=labels[p])
            ax.set_yticks(y, regions if k == 0 else [""] * len(regions))
            ax.invert_yaxis()
            _title(ax, what)
            _layer_tag(ax, layer)
            _human_axis(ax.xaxis)
            ax.set_xlabel(unit)
            if k == 1 and len(shown) > 1:
                ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        fig.suptitle(f"{run.scenario_name}: regions (disc area: persons in exploitation) and routes "
                     "(share of recruits)", x=0.01, ha="left")
        add_footer(fig, run)
    return fig


def _route_arrow(ax: plt.Axes, start: tuple[float, float], end: tuple[float, float], start_radius: float,
                 end_radius: float, share: float, bend: float = 0.15) -> None:
    """A curved arrow between two discs' edges, its width the route's share,
    labelled with the share; routes both ways between two regions bend apart."""
    p0, p2 = np.array(start, dtype=float), np.array(end, dtype=float)
    d = p2 - p0
    length = float(np.hypot(*d)) or 1.0
    control = (p0 + p2) / 2 + bend * np.array([-d[1], d[0]])
    # Leave each disc along the direction to the control point.
    a = p0 + (control - p0) / np.hypot(*(control - p0)) * (start_radius + 0.015)
    b = p2 + (control - p2) / np.hypot(*(control - p2)) * (end_radius + 0.015)
    path = CurvePath([tuple(a), tuple(control), tuple(b)], [CurvePath.MOVETO, CurvePath.CURVE3, CurvePath.CURVE3])
    ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=10 + 8 * share,
                                 lw=0.8 + 5 * share, color="#555555", alpha=0.7, zorder=1))
    middle = (a + 2 * control + b) / 4
    normal = np.array([-d[1], d[0]]) / length
    label = middle + 0.035 * normal
    ax.text(label[0], label[1], f"{share:.0%}", fontsize=7, color="#444444", ha="center", va="center", zorder=3)


# ---- model against data ---------------------------------------------------------------------


def model_vs_data_figure(table: pd.DataFrame, title: str = "model against data") -> plt.Figure:
    """Each calibration target: its band and the model, in half-bands from the target.

    x = (model - data) / half the band's width, the scale of calibrate.py's
    loss: the band is [-1, 1] when symmetric; off-scale values sit at the
    edge as triangles. One colour per point; the whisker is the model's
    95 % bootstrap interval. The numbers at the right are the model and
    the data in their own units. The footer is that of the run the table
    measured (`summaries.model_vs_data` keeps it in `table.attrs`).
    """
    targets = list(dict.fromkeys(table["target"]))
    points = list(dict.fromkeys(table["point_label"]))
    limit = 5.0
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(9.5, 0.8 + 0.3 * len(targets) * (1 + 0.2 * (len(points) - 1))),
                               layout="constrained")
        for i, target in enumerate(targets):
            rows = table[table["target"] == target]
            first = rows.iloc[0]
            half = (first["data_high"] - first["data_low"]) / 2 or abs(first["data"]) or 1.0
            scale = lambda v: (v - first["data"]) / half  # noqa: E731
            ax.barh(i, scale(first["data_high"]) - scale(first["data_low"]), left=scale(first["data_low"]),
                    height=0.7, color="#cfe3f3", lw=0)
            ax.plot([0, 0], [i - 0.35, i + 0.35], color="#0072B2", lw=1.2)
            texts = []
            for j, (_, row) in enumerate(rows.iterrows()):
                offset = (j - (len(rows) - 1) / 2) * min(0.5 / max(1, len(rows)), 0.18)
                colour = PALETTE[(j + 1) % len(PALETTE)]
                if not np.isfinite(row["model"]):
                    texts.append("n/a")
                    continue
                x = scale(row["model"])
                if np.isfinite(row["model_ci_low"]) and np.isfinite(row["model_ci_high"]):
                    ax.plot(np.clip([scale(row["model_ci_low"]), scale(row["model_ci_high"])], -limit, limit),
                            [i + offset] * 2, color=colour, lw=1.2)
                marker = "o" if abs(x) <= limit else (">" if x > 0 else "<")
                ax.plot([np.clip(x, -limit, limit)], [i + offset], marker, color=colour, ms=5,
                        mfc=colour if row["in_band"] else "white")
                texts.append(_human(row["model"]))
            ax.text(limit * 1.08, i, f"{' / '.join(texts)}  vs  {_human(first['data'])} {first['unit']}",
                    va="center", fontsize=7, color="#333333")
        ax.set_yticks(range(len(targets)), [t.replace("_", " ") for t in targets])
        ax.set_ylim(len(targets) - 0.5, -0.5)
        ax.set_xlim(-limit, limit)
        ax.set_xlabel("distance from the target, in half-widths of its band (band shaded; filled = inside)")
        handles = [Patch(color="#cfe3f3", label="data band"), Line2D([], [], color="#0072B2", label="data")]
        handles += [Line2D([], [], color=PALETTE[(j + 1) % len(PALETTE)], marker="o", label=f"model: {p}")
                    for j, p in enumerate(points)]
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=min(4, len(handles)),
                   frameon=False)
        ax.grid(axis="y", visible=False)
        ax.set_title(title, loc="left")
        add_footer(fig, table.attrs.get("run_notes"))
    return fig
