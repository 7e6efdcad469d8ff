"""What exists against what is counted: the page docs/observation.md.

Runs the calibrated world baseline and three variants that change either
the agencies' effort (the protection and prosecution surges) or the crime
(demand reduction), with the same seed and replicates, and writes a
Markdown page with tables and figures: identifications by channel and by
who initiated them, false positives and victims not recognised, the forms
agencies record against the forms people were trafficked for, cases
recorded as something else, the share of victims ever identified, and how
the counts respond to effort and to crime.

Run from the repository root, from a clean commit (the page names the
revision it came from):

  PYTHONPATH=analysis /usr/bin/python3 -m tipsim_analysis.observation \\
      --tipsim build/sim/tipsim -o docs/observation.md --images docs/images
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
# The t quantile: scipy.stats.t.ppf is this function, and scipy.special loads
# in a third of the time of scipy.stats (every command pays the import).
from scipy.special import stdtrit

BASELINE = "scenarios/world_baseline.toml"
# (scenario, what it changes, a short label)
VARIANTS = [
    ("scenarios/world_protection_surge.toml", "effort", "protection surge: inspectors and outreach x2"),
    ("scenarios/world_prosecution_surge.toml", "effort", "prosecution surge: investigators x3"),
    ("scenarios/world_demand_reduction.toml", "crime", "demand reduction: less exploitation"),
]
REPLICATES = 16

# Who set an identification going (UNODC 2023 groups cases the same way).
INITIATOR = {
    "SELF_REPORT": "the victim",
    "HOTLINE": "third parties",
    "PRIVATE_SECTOR": "third parties",
    "POLICE": "agencies",
    "LABOUR_INSPECTION": "agencies",
    "NGO_OUTREACH": "agencies",
    "BORDER_SCREENING": "agencies",
    "INVESTIGATION": "agencies",
}


def labels(f: h5py.File, dim: str) -> list[str]:
    """The labels of a categorical axis (`<dim>_label` beside it)."""
    return [v.decode() if isinstance(v, bytes) else str(v) for v in f["series"][dim + "_label"][:]]


class Run:
    """Totals per replicate after the burn-in, in real people per year."""

    def __init__(self, path: Path):
        self.file = h5py.File(path, "r")
        attrs = self.file.attrs
        self.burn_in = int(attrs["burn_in_steps"])
        self.scale = float(attrs["population_scale"])
        steps = int(attrs["steps"])
        self.years = (steps - self.burn_in) * float(attrs["step_days"]) / 365.0
        self.revision = attrs.get("source_revision", "?")
        self.version = attrs.get("program_version", "?")
        self.replicates = int(attrs["replicate_count"])
        self.summary_names = set(self.file["summary"])

    def flow(self, name: str) -> np.ndarray:
        """(replicate, category...) totals per year over regions, real people."""
        data = self.file["series"][name][0, :, self.burn_in:]  # (replicate, step, region[, axis])
        return data.sum(axis=(1, 2)) * self.scale / self.years

    def stock_mean(self, name: str) -> np.ndarray:
        data = self.file["series"][name][0, :, self.burn_in:]
        return data.mean(axis=1).sum(axis=1) * self.scale

    def summary(self, name: str) -> np.ndarray:
        return np.asarray(self.file["summary"][name][0, :], dtype=float)


def run(tipsim: str, scenario: str, folder: Path) -> Path:
    out = folder / (Path(scenario).stem + ".h5")
    subprocess.run([tipsim, "run", scenario, "--replicates", str(REPLICATES), "-o", str(out), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def fmt(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.1f}"
    return f"{x:.3f}"


def mean_interval(values: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its 95 % t interval over replicates."""
    n = len(values)
    half = stdtrit(n - 1, 0.975) * values.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0
    return float(values.mean()), float(half)


def channel_figure(base: Run, channels: list[str], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    identified = base.flow("identifications_by_channel").mean(axis=0)
    false = base.flow("false_identifications").mean(axis=0)
    missed = base.flow("victims_unrecognised").mean(axis=0)
    x = np.arange(len(channels))
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.bar(x, identified - false, color="#2b6ca3", label="victims identified")
    ax.bar(x, false, bottom=identified - false, color="#e08a2c", label="people identified who were not victims")
    ax.bar(x + 0.3, missed, width=0.25, color="#9a9a9a", label="victims met but not recognised")
    ax.set_xticks(x + 0.1, [c.replace("_", " ").lower() for c in channels], rotation=25, ha="right")
    ax.set_ylabel("people per year")
    ax.set_title("What each channel counts, and what it misses (world baseline)")
    ax.legend(frameon=False)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def response_figure(rows: list[tuple[str, tuple[float, float], tuple[float, float], tuple[float, float]]],
                    path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.8))
    y = np.arange(len(rows))
    series = [("people in exploitation (true)", 1, "#7a3d9a"), ("victims truly identified (true)", 2, "#2b6ca3"),
              ("identifications counted (observed)", 3, "#e08a2c")]
    for k, (name, column, colour) in enumerate(series):
        means = [r[column][0] for r in rows]
        halves = [r[column][1] for r in rows]
        ax.barh(y + (k - 1) * 0.26, means, height=0.25, xerr=halves, color=colour, label=name, capsize=3)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_xlabel("change against the world baseline, % (95 % interval over paired replicates)")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def percent_change(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Paired change of a against b, in % of b's mean, with a 95 % t interval."""
    mean, half = mean_interval(a - b)
    return 100 * mean / b.mean(), 100 * half / b.mean()


def page(base: Run, variants: list[tuple[str, str, Run]], images: Path, output: Path) -> str:
    channels = labels(base.file, "channel")
    forms = labels(base.file, "form")
    records = labels(base.file, "record")
    identified = base.flow("identifications_by_channel")
    false = base.flow("false_identifications")
    missed = base.flow("victims_unrecognised")
    total = identified.sum(axis=1).mean()
    false_total = false.sum(axis=1).mean()
    exploited = base.stock_mean("persons_by_state")[:, 2].mean()
    entering = base.flow("exploitations_new").sum(axis=1).mean()
    rel = Path(images.name) if images.parent == output.parent else images

    lines = [
        "# What exists and what is counted",
        "",
        "tipsim keeps two layers apart (`docs/model.md`, section 6): the **true** layer, what exists, and",
        "the **observed** layer, what agencies record. This page shows the difference with figures from",
        f"the calibrated world baseline ({base.replicates} replicates, {base.years:.0f} years after the burn-in,",
        f"in real people per year; tipsim {base.version}, revision {base.revision}). It is generated by:",
        "",
        "```sh",
        "PYTHONPATH=analysis /usr/bin/python3 -m tipsim_analysis.observation \\",
        "    --tipsim build/sim/tipsim -o docs/observation.md --images docs/images",
        "```",
        "",
        f"The world baseline runs one agent for {base.scale:,.0f} people, so a replicate's counts move in steps",
        "of that many people; the means over replicates are what to read.",
        "",
        "## Identifications by channel",
        "",
        f"Agencies record about **{fmt(total)}** people a year as victims of trafficking. Of them",
        f"**{fmt(false_total)}** ({100 * false_total / total:.0f} %) were not victims: people in adjacent",
        "situations (selling sex, irregular migration, labour-rights violations, smuggling) whom a channel took",
        f"for victims. Meanwhile {fmt(missed.sum(axis=1).mean())} victims a year were met by a channel, or came",
        "forward, and were not recognised.",
        "",
        "Only the total share of false positives is constrained by data (the UK's National Referral",
        "Mechanism, `docs/calibration.md`); how it splits across channels follows from the fitted rates. In",
        "the calibrated world the channels that go looking (outreach, hotline, inspection, private sector)",
        "meet far more people in adjacent situations than hidden victims, so most of what they count are",
        "people who were not victims, while investigations and victims who come forward count victims only.",
        "",
        f"![identifications by channel]({(rel / 'observation-channels.png').as_posix()})",
        "",
        "| channel | initiated by | counted as victims | of whom not victims | victims met, not recognised |",
        "|---|---|---|---|---|",
    ]
    for c, name in enumerate(channels):
        lines.append(f"| {name} | {INITIATOR.get(name, '')} | {fmt(identified[:, c].mean())} | "
                     f"{fmt(false[:, c].mean())} | {fmt(missed[:, c].mean())} |")
    by_initiator: dict[str, float] = {}
    for c, name in enumerate(channels):
        by_initiator[INITIATOR.get(name, "?")] = by_initiator.get(INITIATOR.get(name, "?"), 0.0) + identified[:, c].mean()
    lines += [
        "",
        "Who set the identifications going: " + ", ".join(
            f"{who} {100 * v / total:.0f} %" for who, v in sorted(by_initiator.items(), key=lambda kv: -kv[1])) + ".",
        "",
        "## The forms agencies record",
        "",
        "Agencies record some domestic servitude and forced criminality as forced labour, and the people",
        "they take for victims under the form their situation resembles:",
        "",
        "| form | recorded (observed) | victims identified, by their true form | people in exploitation (mean) |",
        "|---|---|---|---|",
    ]
    recorded = base.flow("identified_by_form").mean(axis=0)
    truly = base.flow("victims_identified_by_form").mean(axis=0)
    exploited_form = base.stock_mean("exploited_by_form").mean(axis=0)
    for f, name in enumerate(forms):
        lines.append(f"| {name} | {fmt(recorded[f])} | {fmt(truly[f])} | {fmt(exploited_form[f])} |")
    other = base.flow("other_cases").mean(axis=0)
    other_victims = base.flow("victims_in_other_cases").mean(axis=0)
    lines += [
        "",
        "## Cases recorded as something else",
        "",
        "Agencies record people as offenders, irregular migrants or parties to a labour dispute. Some of",
        "them are victims of trafficking whom nobody recognised:",
        "",
        "| recorded as | people a year (observed) | of whom victims of trafficking (true) | share |",
        "|---|---|---|---|",
    ]
    for r, name in enumerate(records):
        share = other_victims[r] / other[r] if other[r] > 0 else float("nan")
        lines.append(f"| {name} | {fmt(other[r])} | {fmt(other_victims[r])} | {100 * share:.1f} % |")
    truly_identified = total - false_total
    lines += [
        "",
        "## How many victims are ever identified",
        "",
        f"About {fmt(exploited)} people are in exploitation at any time and {fmt(entering)} enter it each year;",
        f"{fmt(truly_identified)} victims a year are identified. In the steady state that is",
        f"**{100 * truly_identified / entering:.1f} %** of the people who enter exploitation, and",
        f"{100 * truly_identified / exploited:.2f} % of those in it, each year. The observed identification rate",
        f"(everyone counted over the people in exploitation) is {100 * total / exploited:.2f} % a year: the",
        "false positives inflate it by a third, while the victims met and not recognised would have raised it",
        f"by {100 * missed.sum(axis=1).mean() / exploited:.2f} points.",
        "",
        "## From leads to verdicts",
        "",
        "Investigations follow leads, and a false identification is a lead like any other: it points",
        "investigators at someone who is not a trafficker (an employer, a partner, a landlord). Courts count",
        "what they decide; the true layer knows which cases were against people who were not traffickers and",
        "which ones a trafficker bought off (`docs/model.md`, section 4.8):",
        "",
        "| stage | cases a year (observed) | of them against people who were not traffickers (true) |",
        "|---|---|---|",
    ]
    for stage, wrongful in (("investigations", "wrongful_investigations"),
                            ("prosecutions", "wrongful_prosecutions"),
                            ("convictions", "wrongful_convictions"),
                            ("acquittals", None)):
        cases = base.flow(stage).sum(axis=1).mean()
        wrong = fmt(base.flow(wrongful).mean()) if wrongful else "—"
        lines.append(f"| {stage} | {fmt(cases)} | {wrong} |")
    bought = base.flow("cases_bought_off").sum(axis=1).mean()
    bribes = base.summary("bribes_paid").mean() / base.years
    lines += [
        "",
        f"Traffickers bought off {fmt(bought)} cases a year (dropped before charge or acquitted at trial),",
        f"paying about {fmt(bribes)} USD a year in bribes out of their profit. A charged case waited",
        f"{base.summary('years_to_verdict').mean():.2f} years for its verdict on average, and",
        f"{fmt(base.summary('court_backlog_final').mean())} cases were waiting at the end. At one agent for",
        f"{base.scale:,.0f} people these counts are a handful of agents: the wrongful cases in particular are",
        "rare events here, and a smaller scale (or a national scenario) shows them better.",
        "",
        "## Do the counts move with the crime or with the effort?",
        "",
        "Each variant below is the world baseline with one change from its measured period on, run with the",
        "same seed and replicates (common random numbers), so the differences are paired:",
        "",
        f"![response to effort and to crime]({(rel / 'observation-response.png').as_posix()})",
        "",
        "| variant | changes | people in exploitation (true) | victims truly identified (true) | "
        "identifications counted (observed) | false share, baseline → variant |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    base_exploited = base.stock_mean("persons_by_state")[:, 2]
    base_identified = base.flow("identifications_by_channel").sum(axis=1)
    base_true = base_identified - base.flow("false_identifications").sum(axis=1)
    for label, what, v in variants:
        v_exploited = v.stock_mean("persons_by_state")[:, 2]
        v_identified = v.flow("identifications_by_channel").sum(axis=1)
        v_true = v_identified - v.flow("false_identifications").sum(axis=1)
        row = (label, percent_change(v_exploited, base_exploited), percent_change(v_true, base_true),
               percent_change(v_identified, base_identified))
        rows.append(row)
        cells = " | ".join(f"{m:+.1f} % ± {h:.1f}" for m, h in row[1:])
        lines.append(f"| {label} | {what} | {cells} | "
                     f"{100 * (base_identified - base_true).sum() / base_identified.sum():.0f} % → "
                     f"{100 * (v_identified - v_true).sum() / v_identified.sum():.0f} % |")
    response_figure(rows, images / "observation-response.png")
    effort = max((r for (scenario, what, label), r in zip(VARIANTS, rows) if what == "effort"),
                 key=lambda r: r[3][0])
    crime = next(r for (scenario, what, label), r in zip(VARIANTS, rows) if what == "crime")
    lines += [
        "",
        f"With more effort ({effort[0]}) the counts rise by {effort[3][0]:+.0f} % while exploitation changes by",
        f"{effort[1][0]:+.1f} %; with less crime ({crime[0]}) exploitation changes by {crime[1][0]:+.0f} % but the",
        f"counts only by {crime[3][0]:+.0f} %, because the people taken wrongly for victims do not fall with the",
        "crime. A series of identifications alone cannot tell effort from crime: the counts measure the",
        "agencies as much as the trafficking.",
        "",
        "## What the observed layer may read",
        "",
        "Every observed series is written in `sim/model/observation.cpp` from a record of what an agency could",
        "know: where and through which channel it met a person, what it recorded them as, and their sex, age",
        "and nationality. Its functions never receive the model's state, and the test",
        "`ObservedLayer.OnlyAgenciesRecordsWriteTheObservedSeries` fails if any other file of the model names an",
        "observed series. The true layer keeps the truth about the same people: `false_identifications`,",
        "`victims_unrecognised`, `victims_identified_by_form`, `victims_in_other_cases`, `victims_punished`,",
        "and about the cases: `wrongful_investigations`, `wrongful_prosecutions`, `wrongful_convictions`,",
        "`cases_bought_off`, `bribes_paid`.",
        "",
        "The model behind these figures (sensitivity and specificity of each channel, the adjacent",
        "situations, the arrest screening, the recorded form) is in `docs/model.md`, section 4.7, with every",
        "default and its source.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tipsim", default="build/sim/tipsim")
    parser.add_argument("-o", "--output", default="docs/observation.md")
    parser.add_argument("--images", default="docs/images")
    args = parser.parse_args(argv)
    output, images = Path(args.output), Path(args.images)
    images.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tipsim-observation-") as tmp:
        folder = Path(tmp)
        base = Run(run(args.tipsim, BASELINE, folder))
        variants = [(label, what, Run(run(args.tipsim, scenario, folder))) for scenario, what, label in VARIANTS]
        channel_figure(base, labels(base.file, "channel"), images / "observation-channels.png")
        text = page(base, variants, images, output)
    output.write_text(text)
    print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
