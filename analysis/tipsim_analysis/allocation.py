"""Files of `tipsim allocate`: where an added yearly budget does most.

- `read_allocation(path)`: the `allocation/` group (None for other files);
- `frontier_table(path)`: one row per budget level: the best split, the
  victim-years it averts with their interval, and its lead over the even
  split with the share of replicate pairs in which it leads;
- `frontier_figure(path)`: the frontier (victim-years averted against the
  added budget, best and even split) and the best split at each level,
  with the run's limitations and provenance as every figure has them.

Everything is in real people and real USD, as the file holds it.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from .figures import PALETTE, PILLAR_COLOURS, STYLE, _human_axis, add_footer
from .io import _open_group, check_run_file, open_run
from .provenance import run_notes


def read_allocation(path: str | Path) -> xr.Dataset | None:
    """The `allocation/` group of a `tipsim allocate` file, or None."""
    p = Path(path)
    check_run_file(p)
    with h5py.File(p, "r") as f:
        if "allocation" not in f:
            return None
    return _open_group(p, "allocation")


def frontier_table(path: str | Path) -> pd.DataFrame:
    """One row per budget level, from the file (nothing is recomputed)."""
    a = read_allocation(path)
    if a is None:
        raise ValueError(f"{path}: not a tipsim allocate file (no allocation/ group)")
    targets = [str(t) for t in a["target"].values]
    rows = []
    for level in range(a.sizes["level"]):
        best = int(a["frontier_best_point"].values[level])
        row = {"budget_usd_per_year": float(a["frontier_budget"].values[level])}
        for t, target in enumerate(targets):
            row[target] = float(a["weight"].values[best, t])
        for name in ("frontier_victim_years_averted", "frontier_best_minus_even"):
            short = name.removeprefix("frontier_")
            for suffix in ("_mean", "_ci_low", "_ci_high"):
                row[short + suffix] = float(a[name + suffix].values[level])
        row["probability_better_than_even"] = float(a["frontier_probability_better_than_even"].values[level])
        row["best_point"] = best
        row["even_point"] = int(a["frontier_even_point"].values[level])
        rows.append(row)
    return pd.DataFrame(rows)


def frontier_figure(path: str | Path) -> plt.Figure:
    """Victim-years averted against the added budget (best split with its
    95 % interval, even split), and the best split's shares by level."""
    a = read_allocation(path)
    if a is None:
        raise ValueError(f"{path}: not a tipsim allocate file (no allocation/ group)")
    table = frontier_table(path)
    comparison = _open_group(Path(path), "comparison")
    # comparison/ holds every point but point 0, the scenario as it is.
    even_averted = [float(comparison["victim_years_averted_mean"].values[p - 1]) for p in table["even_point"]]
    targets = [str(t) for t in a["target"].values]
    budget_m = table["budget_usd_per_year"].to_numpy() / 1e6
    with open_run(path) as run:
        notes = run_notes(run)
    with plt.rc_context(STYLE):
        fig, (frontier, shares) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [3, 2]},
                                               layout="constrained")
        low = table["victim_years_averted_mean"] - table["victim_years_averted_ci_low"]
        high = table["victim_years_averted_ci_high"] - table["victim_years_averted_mean"]
        frontier.errorbar(np.concatenate([[0], budget_m]),
                          np.concatenate([[0], table["victim_years_averted_mean"]]),
                          yerr=[np.concatenate([[0], low]), np.concatenate([[0], high])],
                          color=PALETTE[0], marker="o", capsize=3, label="best split (95 % interval)")
        frontier.plot(np.concatenate([[0], budget_m]), np.concatenate([[0], even_averted]), color=PALETTE[1],
                      marker="s", linestyle="--", label="even split")
        frontier.axhline(0, color="#888888", linewidth=0.8)
        frontier.set_xlabel("added budget (million USD a year)")
        frontier.set_ylabel("victim-years of exploitation averted")
        frontier.set_title("Frontier: what the added money averts (TRUE layer)")
        _human_axis(frontier.yaxis)
        frontier.legend(loc="upper left")
        for i, p in enumerate(table["probability_better_than_even"]):
            frontier.annotate(f"ahead of even in {100 * p:.0f} %", (budget_m[i], table["victim_years_averted_mean"][i]),
                              textcoords="offset points", xytext=(4, -12), fontsize=7, color=PALETTE[0])
        bottom = np.zeros(len(table))
        for t, target in enumerate(targets):
            colour = PILLAR_COLOURS.get(target, PALETTE[t % len(PALETTE)])
            shares.bar(budget_m, table[target], bottom=bottom, width=0.6 * (budget_m[0] if len(budget_m) else 1),
                       color=colour, label=target)
            bottom += table[target].to_numpy()
        shares.set_xlabel("added budget (million USD a year)")
        shares.set_ylabel("share of the added budget")
        shares.set_ylim(0, 1)
        shares.set_title("The best split at each level")
        shares.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        add_footer(fig, notes, note="The best split is chosen from the runs that estimate it, so its lead over "
                                    "the even split is biased upwards; confirm it with tipsim compare on fresh seeds.")
    return fig
