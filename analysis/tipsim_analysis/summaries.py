"""The summaries every paper needs, from an opened run file.

- `bands`: median and 10-90 % bands over replicates (any figure, any dims);
- `series_total` / `headline_series`: a series summed over regions and
  categories, ready to plot;
- `window_total` / `window_mean`: totals of flows (means of stocks) over a
  window of steps or years;
- `summary_table`: every per-run figure of every point: mean, median, band;
- `paired_effects` / `comparison_effects`: effects of each arm against the
  baseline, replicate r paired with replicate r (common random numbers),
  with 95 % t-intervals;
- `cost_effectiveness_table` / `cost_effectiveness_text`: the arms by extra
  cost with their frontier status, ICER, net monetary benefit and
  probability of being the most cost-effective, as `tipsim compare` wrote
  them, and the same as `tipsim` prints them;
- `response_curve`: a figure over the points of a sweep;
- `model_vs_data`: the model against a calibration_targets.csv-style file,
  measured as `calibrate.MEASURES` says.

Quantiles are linear between order statistics (Hyndman and Fan type 7),
as `tipsim`'s own tables compute them, so the numbers agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import xarray as xr
# The t quantile: scipy.stats.t.ppf is this function, and scipy.special loads
# in a third of the time of scipy.stats (every command pays the import).
from scipy.special import stdtrit

from . import calibrate
from .io import CATEGORY_DIMS, DAYS_PER_YEAR, Run

# The band the reports draw: 10 % and 90 % quantiles over replicates.
BAND = (0.1, 0.9)


# ---- bands over replicates ---------------------------------------------------


def bands(data: xr.DataArray, dim: str = "replicate", low: float = BAND[0], high: float = BAND[1]) -> xr.Dataset:
    """Median, mean and the [low, high] quantile band of `data` over `dim`.

    Returns a Dataset with variables `median`, `low`, `high` and `mean`,
    each with the dims of `data` less `dim`, and the data's attributes.
    Read them by item, `band["median"]`: `band.median` is xarray's method.
    """
    if dim not in data.dims:
        raise ValueError(f"bands: '{data.name}' has no dimension '{dim}' (it has {', '.join(data.dims)})")
    q = data.quantile([low, 0.5, high], dim=dim, keep_attrs=True)
    out = xr.Dataset({
        "low": q.sel(quantile=low, drop=True),
        "median": q.sel(quantile=0.5, drop=True),
        "high": q.sel(quantile=high, drop=True),
        "mean": data.mean(dim, keep_attrs=True),
    })
    out.attrs = dict(data.attrs, band=f"{low:.0%}-{high:.0%} over {dim}")
    return out


# ---- series summed to what a chart shows ---------------------------------------


@dataclass(frozen=True)
class Headline:
    """A figure the reports chart over time: a series, what to select, how to say it."""

    name: str
    variable: str
    select: tuple[tuple[str, str], ...]
    label: str


# The series the report's time-series figure shows, TRUE layer first.
HEADLINE_SERIES: tuple[Headline, ...] = (
    Headline("exploited", "persons_by_state", (("state", "EXPLOITED"),), "persons in exploitation"),
    Headline("recruitments", "recruitments_by_method", (), "recruitments per step"),
    Headline("traffickers_active", "traffickers_active", (), "active traffickers"),
    Headline("identifications", "identifications_by_channel", (), "victims identified per step"),
    Headline("prosecutions", "prosecutions", (), "prosecutions per step"),
    Headline("convictions", "convictions", (), "convictions per step"),
)


def _category_dims(data: xr.DataArray) -> list[str]:
    return [d for d in data.dims if d in CATEGORY_DIMS]


def series_total(run: Run, variable: str, select: dict[str, str] | None = None,
                 keep: Sequence[str] = ()) -> xr.DataArray:
    """One series summed over regions and its category, except the dims in `keep`.

    `select` picks labels first, e.g. {"state": "EXPLOITED"}. Returns
    (point, replicate, step[, kept dims]) with the time coordinates.
    """
    if variable not in run.series:
        raise KeyError(f"{run.path}: no series '{variable}'; the series are: {', '.join(run.series.data_vars)}")
    data = run.series[variable]
    if select:
        data = data.sel(select)
    over = [d for d in ["region", *_category_dims(data)] if d in data.dims and d not in keep]
    total = data.sum(over, keep_attrs=True) if over else data
    return total.load()


def headline_series(run: Run, headline: Headline | str) -> xr.DataArray:
    """A `HEADLINE_SERIES` entry (or its name) as (point, replicate, step)."""
    if isinstance(headline, str):
        found = [h for h in HEADLINE_SERIES if h.name == headline]
        if not found:
            raise KeyError(f"no headline series '{headline}'; known: {', '.join(h.name for h in HEADLINE_SERIES)}")
        headline = found[0]
    total = series_total(run, headline.variable, dict(headline.select))
    total.attrs["long_name"] = headline.label
    return total


# ---- windows of steps or years -------------------------------------------------


def window_steps(run: Run, steps: tuple[int, int] | slice | None = None,
                 years: tuple[float, float] | None = None) -> slice:
    """The steps of a window, as a slice of step indices.

    `steps=(a, b)` is steps a to b-1; `years=(a, b)` is every step that
    starts in [a, b) years (a step s starts at s·step_days days). With
    neither, the measured period: the steps after the burn-in, which is the
    window the file's summary/ figures cover.
    """
    if steps is not None and years is not None:
        raise ValueError("give steps or years, not both")
    if isinstance(steps, slice):
        return steps
    if steps is not None:
        first, stop = steps
    elif years is not None:
        start_days = np.arange(run.steps) * run.step_days
        inside = np.nonzero((start_days >= years[0] * DAYS_PER_YEAR) & (start_days < years[1] * DAYS_PER_YEAR))[0]
        if inside.size == 0:
            raise ValueError(f"no step starts in years [{years[0]}, {years[1]}) of a run of "
                             f"{run.steps * run.step_days / DAYS_PER_YEAR:.2f} years")
        first, stop = int(inside[0]), int(inside[-1]) + 1
    else:
        first, stop = min(run.burn_in_steps, run.steps - 1), run.steps
    if not 0 <= first < stop <= run.steps:
        raise ValueError(f"window of steps [{first}, {stop}) is not inside the run's {run.steps} steps")
    return slice(first, stop)


def is_flow(data: xr.DataArray) -> bool:
    """True for a flow (a sum over each step, CF cell_methods "step: sum"), False for a stock."""
    return str(data.attrs.get("cell_methods", "")).strip() == "step: sum"


def window_total(run: Run, variable: str, steps: tuple[int, int] | slice | None = None,
                 years: tuple[float, float] | None = None, select: dict[str, str] | None = None,
                 keep: Sequence[str] = ()) -> xr.DataArray:
    """The total of a flow over a window (see `window_steps`), per (point, replicate).

    Summed over regions and categories except `keep`. A stock (a value at
    the end of each step) has no total over steps: use `window_mean`.
    """
    data = series_total(run, variable, select, keep)
    if not is_flow(run.series[variable]):
        raise ValueError(f"'{variable}' is a stock (the value at the end of each step), so a total over steps "
                         "means nothing; use window_mean")
    window = window_steps(run, steps, years)
    total = data.isel(step=window).sum("step", keep_attrs=True)
    total.attrs["window"] = f"steps {window.start} to {window.stop - 1}"
    return total


def window_mean(run: Run, variable: str, steps: tuple[int, int] | slice | None = None,
                years: tuple[float, float] | None = None, select: dict[str, str] | None = None,
                keep: Sequence[str] = ()) -> xr.DataArray:
    """The mean over the steps of a window of any series, per (point, replicate)."""
    data = series_total(run, variable, select, keep)
    window = window_steps(run, steps, years)
    mean = data.isel(step=window).mean("step", keep_attrs=True)
    mean.attrs["window"] = f"steps {window.start} to {window.stop - 1}"
    return mean


# ---- survivors ----------------------------------------------------------------------

SURVIVOR_ROUTES = ("ESCAPED", "RELEASED", "PROTECTED", "TURNED_AWAY", "PUNISHED")
SURVIVOR_OUTCOMES = ("RETRAFFICKED", "IN_PROTECTION", "RECOVERING", "RECOVERED")


def survivor_pathways(run: Run, point: int = 0, steps: tuple[int, int] | slice | None = None,
                      years: tuple[float, float] | None = None, abroad: bool = False) -> pd.DataFrame:
    """Survivors' pathways: how their trafficking ended (rows, `SURVIVOR_ROUTES`)
    and where they were survivors.followup_years later (columns,
    `SURVIVOR_OUTCOMES`), from the `survivor_pathways` series (reviews in the
    window, by default the measured period), summed over regions, mean over
    replicates, for one point. With `abroad`, the survivors trafficked
    outside their home region only (`survivor_pathways_abroad`)."""
    variable = "survivor_pathways_abroad" if abroad else "survivor_pathways"
    total = window_total(run, variable, steps, years, keep=("pathway",)).isel(point=point).mean("replicate")
    cells = {str(label): float(value) for label, value in zip(total["pathway"].values, total.values)}
    return pd.DataFrame([[cells.get(f"{r}:{o}", 0.0) for o in SURVIVOR_OUTCOMES] for r in SURVIVOR_ROUTES],
                        index=list(SURVIVOR_ROUTES), columns=list(SURVIVOR_OUTCOMES))


# ---- per-run figures -------------------------------------------------------------

# The per-run figures `tipsim run` prints, in its order, with its labels.
HEADLINE_FIGURES: dict[str, str] = {
    "exploited_mean": "persons in exploitation (mean)",
    "prevalence_per_1000": "prevalence per 1000 population",
    "recruitments": "recruitments",
    "traffickers_active_final": "traffickers active at the end",
    "trafficker_profit": "trafficker profit",
    "identified": "victims identified",
    "protection_entries": "admitted to protection",
    "protection_turned_away": "turned away for lack of a place",
    "prosecutions": "prosecutions",
    "convictions": "convictions",
    "spending_total": "anti-trafficking spending",
}


def format_figure(value: float) -> str:
    """A figure as `tipsim`'s tables print it: thousands separated, a few
    significant digits, "n/a" for NaN (sim/programs/cli/summary_table.cpp)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    # The digits follow the magnitude the figure rounds to: 0.99996 prints as 1.00, 9.996 as 10.0.
    magnitude = max(abs(value), abs(float(f"{value:.3g}")))
    if magnitude >= 100 or value == round(value):
        if magnitude >= 1e15:
            return f"{value:.3g}"
        whole = int(math.floor(abs(value) + 0.5))  # llround: halves away from zero
        return f"{-whole if value < 0 else whole:,}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def scale_text(run: Run) -> str:
    """How many real people one agent stood for, as reports say it: "the model
    ran one agent for N people" (a range when a sweep varies population.scale)."""
    scales = sorted({float(v) for v in run.point_scales.values})
    if scales == [1.0]:
        return "the model ran one agent for each person"
    ran = format_figure(scales[0]) if len(scales) == 1 else f"{format_figure(scales[0])} to {format_figure(scales[-1])}"
    return f"the model ran one agent for {ran} people"


def summary_figures(run: Run) -> list[str]:
    """Names of the per-run figures in the file's summary/ group, in file order."""
    return [name for name in run.summary.data_vars if run.summary[name].dims == ("point", "replicate")]


def summary_table(run: Run, figures: Iterable[str] | None = None, low: float = BAND[0],
                  high: float = BAND[1]) -> pd.DataFrame:
    """Each per-run figure of each point over replicates: mean, median and band.

    One row per (point, figure), with the point's label, the figure's
    long name, units and layer (true, observed, policy).
    """
    names = list(figures) if figures is not None else summary_figures(run)
    labels = run.point_labels
    rows = []
    for name in names:
        if name not in run.summary:
            raise KeyError(f"{run.path}: no summary figure '{name}'")
        data = run.summary[name].astype(float)
        b = bands(data, low=low, high=high)
        for p in range(run.point_count):
            rows.append({
                "point": p, "point_label": labels[p], "figure": name,
                "long_name": data.attrs.get("long_name", ""), "units": data.attrs.get("units", ""),
                "layer": data.attrs.get("layer", ""),
                "mean": float(b["mean"].values[p]), "median": float(b["median"].values[p]),
                "low": float(b["low"].values[p]), "high": float(b["high"].values[p]),
            })
    return pd.DataFrame(rows)


# ---- paired effects ----------------------------------------------------------------


def t_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of `values` and Student's t interval of the mean at `level`.

    NaN bounds for fewer than two values; exactly (mean, mean) when every
    value is equal. The same rule as `tipsim compare`.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan
    se = float(x.std(ddof=1)) / math.sqrt(n)
    if se == 0:
        return mean, mean, mean
    half = float(stdtrit(n - 1, 0.5 + level / 2)) * se
    return mean, mean - half, mean + half


def _arm_points(run: Run, baseline: int) -> list[int]:
    if not 0 <= baseline < run.point_count:
        raise ValueError(f"baseline point {baseline} is not one of the file's {run.point_count} points")
    arms = [p for p in range(run.point_count) if p != baseline]
    if not arms:
        raise ValueError(f"{run.path}: one point only; a paired effect needs an arm besides the baseline "
                         "(a comparison or a sweep)")
    return arms


def paired_differences(run: Run, figure: str, baseline: int = 0) -> xr.DataArray:
    """Arm minus baseline of a per-run figure, replicate by replicate: (arm, replicate).

    Replicate r of every point ran on the same random streams (common
    random numbers), so each difference is the effect of the arm alone.
    `baseline` is a point index (0: a comparison's baseline, a sweep's
    first point).
    """
    if figure not in run.summary:
        raise KeyError(f"{run.path}: no summary figure '{figure}'")
    data = run.summary[figure].astype(float)
    arms = _arm_points(run, baseline)
    values = data.transpose("point", "replicate").values
    labels = run.point_labels
    return xr.DataArray(
        values[arms] - values[baseline][np.newaxis, :], dims=("arm", "replicate"),
        coords={"arm": [labels[p] for p in arms], "arm_point": ("arm", arms),
                "replicate": data["replicate"].values},
        name=figure,
        attrs={"long_name": f"change in {data.attrs.get('long_name', figure)} (arm minus {labels[baseline]})",
               "units": data.attrs.get("units", "")})


def paired_effects(run: Run, figures: Iterable[str] | None = None, baseline: int = 0,
                   level: float = 0.95) -> pd.DataFrame:
    """The mean paired effect of each arm on each figure, with its t-interval.

    One row per (arm, figure): `mean`, `ci_low`, `ci_high` (the `level`
    interval over replicate pairs), `replicates`, `units`, `long_name`.
    Effects are arm minus baseline; a scenario compared with itself gives
    zero with a zero-width interval.
    """
    names = list(figures) if figures is not None else list(HEADLINE_FIGURES)
    rows = []
    for name in names:
        diff = paired_differences(run, name, baseline)
        for i, arm in enumerate(diff["arm"].values):
            mean, lo, hi = t_interval(diff.isel(arm=i).values, level)
            rows.append({"arm": str(arm), "arm_point": int(diff["arm_point"].values[i]), "figure": name,
                         "long_name": run.summary[name].attrs.get("long_name", name),
                         "units": diff.attrs["units"], "mean": mean, "ci_low": lo, "ci_high": hi,
                         "replicates": int(diff.sizes["replicate"])})
    return pd.DataFrame(rows)


def comparison_effects(run: Run) -> pd.DataFrame:
    """The paired effects `tipsim compare` wrote (comparison/ group): one row per
    (arm, effect) with `mean`, `ci_low`, `ci_high`, `units` and `long_name`."""
    c = run.comparison
    if c is None:
        raise ValueError(f"{run.path}: not a comparison (no comparison/ group); "
                         "use paired_effects() to pair any points")
    effects = [name for name in c.data_vars if c[name].dims == ("arm", "replicate")]
    rows = []
    for arm_index, arm in enumerate(c["arm"].values):
        for name in effects:
            long_name = str(c[name].attrs.get("long_name", name)).split(", per replicate pair")[0]
            rows.append({"arm": str(arm), "effect": name, "long_name": long_name,
                         "units": c[name].attrs.get("units", ""),
                         "mean": float(c[f"{name}_mean"].values[arm_index]),
                         "ci_low": float(c[f"{name}_ci_low"].values[arm_index]),
                         "ci_high": float(c[f"{name}_ci_high"].values[arm_index]),
                         "replicates": int(c.sizes["replicate"])})
    return pd.DataFrame(rows)


# ---- cost-effectiveness ------------------------------------------------------------------

# The comparison/ variables cost-effectiveness needs; files written before
# tipsim compare computed it lack them.
COST_EFFECTIVENESS_VARIABLES = (
    "frontier_status", "icer_comparator", "icer_mean", "icer_ci_low", "icer_ci_high",
    "net_monetary_benefit_mean", "net_monetary_benefit_ci_low", "net_monetary_benefit_ci_high",
    "probability_most_cost_effective", "acceptability_value", "acceptability", "acceptability_baseline",
)


def has_cost_effectiveness(run: Run) -> bool:
    """True when the file's comparison/ group holds the cost-effectiveness
    results (`tipsim compare` of this version and later)."""
    c = run.comparison
    return (c is not None and _value_attribute(c) in c.attrs
            and all(name in c for name in COST_EFFECTIVENESS_VARIABLES))


# What a comparison's cost-effectiveness counts as averted (its `outcome`
# attribute; victim-years in files written before it existed): the effect
# variable, the attribute holding the value of one unit, and the unit.
OUTCOMES = {"victim_years": ("victim_years_averted", "value_per_victim_year", "victim-year"),
            "harm_qalys": ("harm_averted", "value_per_qaly", "QALY")}


def _outcome(c: xr.Dataset) -> str:
    return _text(c.attrs.get("outcome", "victim_years"))


def _value_attribute(c: xr.Dataset) -> str:
    return OUTCOMES[_outcome(c)][1]


def _require_cost_effectiveness(run: Run) -> xr.Dataset:
    if run.comparison is None:
        raise ValueError(f"{run.path}: not a comparison (no comparison/ group): cost-effectiveness needs "
                         "tipsim compare")
    if not has_cost_effectiveness(run):
        raise ValueError(f"{run.path}: its comparison/ group has no cost-effectiveness results (written by an "
                         "older tipsim compare); run the comparison again")
    return run.comparison


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def cost_effectiveness_table(run: Run) -> pd.DataFrame:
    """The cost-effectiveness of each arm as `tipsim compare` wrote it (comparison/ group).

    One row per arm, the baseline included (extra cost 0, victim-years
    averted 0, net monetary benefit 0, no ICER), ordered by extra cost
    (stable: the baseline, then the arms in file order, at equal cost):
    `arm`, `extra_cost` (USD: extra spending over the measured period)
    and `victim_years_averted` (person-years), each with its 95 % interval
    (`_ci_low`, `_ci_high`); `status` (frontier, dominated or extendedly
    dominated); `comparator` (the arm the ICER is taken against, empty off
    the frontier); `icer` (USD per victim-year, NaN off the frontier) and
    `net_monetary_benefit` (USD, at the file's value per victim-year),
    each with its interval; `probability_most_cost_effective`. Read from
    the file, not recomputed; the baseline's probability is 1 minus the
    arms'. `frame.attrs` holds `baseline`, `value_per_victim_year`,
    `replicates` and each column's `units`.
    """
    c = _require_cost_effectiveness(run)
    baseline = _text(c.attrs.get("baseline", run.point_labels[0]))

    def values(name: str) -> list[float]:
        return [float(v) for v in c[name].values]

    def texts(name: str) -> list[str]:
        return [_text(v) for v in c[name].values]

    arms = [_text(a) for a in c["arm"].values]
    probability = values("probability_most_cost_effective")
    # Summed one by one, as tipsim does, so the baseline's share is the same number.
    others = 0.0
    for p in probability:
        others += p
    zero = {"": 0.0, "_ci_low": 0.0, "_ci_high": 0.0}
    columns: dict[str, list] = {"arm": [baseline, *arms]}
    outcome = _outcome(c)
    effect, value_name, unit = OUTCOMES[outcome]
    for column, variable in (("extra_cost", "spending"), (effect, effect)):
        for suffix in ("", "_ci_low", "_ci_high"):
            columns[column + suffix] = [zero[suffix], *values(f"{variable}{suffix or '_mean'}")]
    columns["status"] = [_text(c.attrs.get("baseline_frontier_status", "frontier")), *texts("frontier_status")]
    columns["comparator"] = ["", *texts("icer_comparator")]
    for suffix in ("", "_ci_low", "_ci_high"):
        columns["icer" + suffix] = [math.nan, *values(f"icer{suffix or '_mean'}")]
    for suffix in ("", "_ci_low", "_ci_high"):
        columns["net_monetary_benefit" + suffix] = [zero[suffix], *values(f"net_monetary_benefit{suffix or '_mean'}")]
    columns["probability_most_cost_effective"] = [1.0 - others, *probability]
    frame = pd.DataFrame(columns).sort_values("extra_cost", kind="stable").reset_index(drop=True)
    frame.attrs = {
        "baseline": baseline, value_name: float(c.attrs[value_name]), "value": float(c.attrs[value_name]),
        "outcome": outcome, "effect": effect, "unit": unit,
        "replicates": int(c.sizes["replicate"]),
        "units": {"extra_cost": str(c["spending_mean"].attrs.get("units", "USD")),
                  effect: str(c[f"{effect}_mean"].attrs.get("units", "person-years")),
                  "icer": str(c["icer_mean"].attrs.get("units", f"USD per {unit}")),
                  "net_monetary_benefit": str(c["net_monetary_benefit_mean"].attrs.get("units", "USD")),
                  "probability_most_cost_effective": "1"},
    }
    return frame


def acceptability_curves(run: Run) -> pd.DataFrame:
    """The cost-effectiveness acceptability curves `tipsim compare` wrote: one
    row per value per victim-year (`value`, USD), one column per arm and one
    for the baseline (first), each the share of replicate pairs in which
    that arm has the highest net monetary benefit at that value."""
    c = _require_cost_effectiveness(run)
    baseline = _text(c.attrs.get("baseline", run.point_labels[0]))
    frame = pd.DataFrame({"value": c["acceptability_value"].values.astype(float),
                          baseline: c["acceptability_baseline"].values.astype(float)})
    curves = c["acceptability"].transpose("value", "arm")
    for i, arm in enumerate(c["arm"].values):
        frame[_text(arm)] = curves.values[:, i].astype(float)
    value_name = _value_attribute(c)
    frame.attrs = {"baseline": baseline, value_name: float(c.attrs[value_name]), "value": float(c.attrs[value_name]),
                   "outcome": _outcome(c), "unit": OUTCOMES[_outcome(c)][2]}
    return frame


def cost_effectiveness_text(table: pd.DataFrame) -> str:
    """A `cost_effectiveness_table` as `tipsim compare` and `tipsim inspect`
    print it: the same heading, columns and numbers
    (sim/programs/cli/summary_table.cpp, print_cost_effectiveness)."""
    value = table.attrs["value"]
    replicates = table.attrs["replicates"]
    unit, effect = table.attrs["unit"], table.attrs["effect"]
    option = "victim-years" if table.attrs["outcome"] == "victim_years" else "harm"
    value_option = "--value-per-victim-year" if option == "victim-years" else "--value-per-qaly"
    lines = [
        f"Cost-effectiveness (--outcome {option}), arms by extra cost (USD over the period) against the baseline;",
        f"ICER = extra cost per extra {unit} averted against the next cheaper arm on the frontier; net benefit",
        f"at {format_figure(value)} USD per {unit} averted ({value_option}); P(best) = share of the "
        f"{replicates} replicate pairs in",
        "which the arm has the highest net benefit.",
    ]
    w = max(4, *(len(str(a)) for a in table["arm"]))

    def interval(mean: float, low: float, high: float) -> str:
        if math.isnan(mean):
            return "-"
        text = format_figure(mean)
        if not math.isnan(low):
            text += f" ({format_figure(low)} to {format_figure(high)})"
        return text

    lines.append(f"  {'arm':<{w}} {'extra cost':>16} {unit + 's':>14} {'status':<22} "
                 f"{'ICER (95% interval)':>34} {'net benefit (95% interval)':>34} {'P(best)':>8}")
    for row in table.itertuples(index=False):
        status = f"{row.status} vs {row.comparator}" if row.comparator else row.status
        icer = interval(row.icer, row.icer_ci_low, row.icer_ci_high)
        benefit = interval(row.net_monetary_benefit, row.net_monetary_benefit_ci_low, row.net_monetary_benefit_ci_high)
        lines.append(
            f"  {row.arm:<{w}} {format_figure(row.extra_cost):>16} {format_figure(getattr(row, effect)):>14} "
            f"{status:<22} {icer:>34} {benefit:>34} {format_figure(row.probability_most_cost_effective):>8}")
    return "\n".join(lines)


# ---- sweeps ------------------------------------------------------------------------


def response_curve(run: Run, figure: str, level: float = 0.95, low: float = BAND[0],
                   high: float = BAND[1]) -> pd.DataFrame:
    """A per-run figure over the points of a sweep.

    One row per point: the value of every varied key, then over replicates
    the `mean` with its t-interval (`ci_low`, `ci_high`), the `median` and
    the `low`-`high` band.
    """
    if figure not in run.summary:
        raise KeyError(f"{run.path}: no summary figure '{figure}'")
    data = run.summary[figure].astype(float)
    b = bands(data, low=low, high=high)
    keys = run.sweep_keys
    rows = []
    for p in range(run.point_count):
        mean, lo, hi = t_interval(data.isel(point=p).values, level)
        row = {"point": p}
        for k in keys:
            row[k] = run.points[k].values[p]
        if run.arms:
            row["arm"] = run.arms[p]
        row.update({"mean": mean, "ci_low": lo, "ci_high": hi, "median": float(b["median"].values[p]),
                    "low": float(b["low"].values[p]), "high": float(b["high"].values[p])})
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs = {"figure": figure, "long_name": data.attrs.get("long_name", figure),
                   "units": data.attrs.get("units", "")}
    return frame


# ---- the model against data ------------------------------------------------------------


def read_targets(path: str | Path) -> list[calibrate.Target]:
    """A calibration_targets.csv-style file (id, quantity, value, low, high, unit,
    how_to_measure, source); every id must be a key of `calibrate.MEASURES`."""
    try:
        return calibrate.read_targets(Path(path))
    except SystemExit as e:  # calibrate's command-line style error, as an exception
        raise ValueError(str(e)) from None
    except (KeyError, ValueError) as e:
        raise ValueError(f"{path}: not a calibration targets file ({e})") from None


def _summary_arrays(run: Run, point: int) -> dict[str, np.ndarray]:
    return {name: run.summary[name].isel(point=point).values.astype(float) for name in summary_figures(run)}


def model_vs_data(run: Run, targets: str | Path | list[calibrate.Target],
                  points: Iterable[int] | None = None) -> pd.DataFrame:
    """Each target against the model at each point, measured as calibrate.py does.

    One row per (point, target): the data value and band, the model's
    value (mean over replicates, or pooled over replicates for shares
    and ratios of counts, per `calibrate.MEASURES`), its 95 % bootstrap
    interval over replicates, and whether it falls in the band.
    `attrs["run_notes"]` holds the run's limitations and provenance
    (provenance.run_notes), which the figure of the table carries.
    """
    # provenance reads summaries' wording, so it is imported here, not at the top.
    from .provenance import run_notes

    target_list = read_targets(targets) if isinstance(targets, (str, Path)) else list(targets)
    attrs = dict(run.provenance, steps=run.steps)
    years = calibrate.measured_years(attrs)
    labels = run.point_labels
    rows = []
    for p in (range(run.point_count) if points is None else points):
        summary = _summary_arrays(run, p)
        for t in target_list:
            how = calibrate.MEASURES[t.id]
            value = calibrate.measure(summary, how, years=years)
            lo, hi = calibrate.interval(summary, how, years) if run.replicate_count > 1 else (math.nan, math.nan)
            rows.append({"point": p, "point_label": labels[p], "target": t.id, "quantity": t.quantity,
                         "unit": t.unit, "data": t.value, "data_low": t.low, "data_high": t.high,
                         "model": value, "model_ci_low": lo, "model_ci_high": hi,
                         "in_band": bool(t.low <= value <= t.high) if not math.isnan(value) else False,
                         "source": t.source})
    table = pd.DataFrame(rows)
    table.attrs["run_notes"] = run_notes(run)
    return table
