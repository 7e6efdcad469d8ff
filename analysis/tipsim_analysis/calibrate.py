"""Calibrating a tipsim scenario against real-world targets.

Two commands:

  fit     searches named parameters so that the scenario's figures fall in
          the targets' bands; deterministic (same seed, same replicates,
          same search), interruptible and resumable from its state file.
  report  runs the scenario on the held-out seed (HELD_OUT_SEED, which
          `fit` never uses), compares every target with the model (mean or
          pooled value and a 95 % interval over replicates), and writes a
          Markdown report such as docs/calibration.md. With --check it exits
          1 when a target falls outside its band. --run FILE judges a run
          file made before (with that seed) instead of running.

Run from the repository root:

  PYTHONPATH=analysis /usr/bin/python3 -m tipsim_analysis.calibrate report \\
      scenarios/world_baseline.toml --targets analysis/data/calibration_targets.csv \\
      --validation analysis/data/validation_figures.csv -o docs/calibration.md
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

# The seed the calibration is judged on. `fit` searches on the scenario's
# own seed and refuses this one, so the report's figures are out of sample
# with respect to the simulation's randomness.
HELD_OUT_SEED = 9001
# The program as scripts/build.sh leaves it, run from the repository root.
DEFAULT_TIPSIM = Path("build") / "sim" / "tipsim"


# How each target of a targets file is measured from a run file's summary
# group. "mean" = mean over replicates of the per-replicate figure;
# ("pooled", a, b) = sum over replicates of a / sum of b, which is the
# unbiased way to form ratios of small counts (a replicate with no
# prosecutions has no conviction rate, but still contributes to the pool).
MEASURES: dict[str, object] = {
    "prevalence": "prevalence_per_1000",
    "sexual_share_of_prevalence": "sexual_share_of_exploited",
    "identification_rate": ("rate", "identified", "exploited_mean"),
    "conviction_per_prosecution": ("pooled", "convictions", "prosecutions"),
    "conviction_per_identified": ("pooled", "convictions", "identified"),
    "labour_share_identified": ("weighted", "labour_share_identified", "identified"),
    "labour_share_prosecutions": ("weighted", "labour_share_prosecutions", "prosecutions"),
    "profit_ratio_sexual_to_labour": "profit_ratio_sexual_to_labour",
    "profit_per_victim_year": "profit_per_victim_year",
    "debt_bondage_share": "debt_bonded_share_of_labour",
    "female_share_identified": ("weighted", "female_share_identified", "identified"),
    "child_share_identified": ("weighted", "child_share_identified", "identified"),
    "forced_criminality_share_identified": ("weighted", "forced_criminality_share_identified", "identified"),
    "self_report_share_identified": ("weighted", "self_report_share_identified", "identified"),
    "false_share_identified": ("weighted", "false_share_identified", "identified"),
    "abroad_share_identified": ("weighted", "abroad_share_identified", "identified"),
    "law_enforcement_share_identified": ("weighted", "law_enforcement_share_identified", "identified"),
}


@dataclass
class Target:
    id: str
    quantity: str
    value: float
    low: float
    high: float
    unit: str
    how_to_measure: str
    source: str


def read_targets(path: Path) -> list[Target]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    targets = []
    for row in rows:
        targets.append(
            Target(row["id"], row["quantity"], float(row["value"]), float(row["low"]), float(row["high"]),
                   row["unit"], row["how_to_measure"], row["source"]))
    unknown = [t.id for t in targets if t.id not in MEASURES]
    if unknown:
        raise SystemExit(f"calibrate: no measure for target(s) {', '.join(unknown)}; known: {', '.join(MEASURES)}")
    return targets


def measure(summary: dict[str, np.ndarray], how: object, replicates: np.ndarray | None = None,
            years: float = 1.0) -> float:
    """The figure `how` over the given replicates (all when None)."""
    pick = (lambda a: a) if replicates is None else (lambda a: a[replicates])
    if isinstance(how, str):
        return float(np.mean(pick(summary[how])))
    kind, a, b = how
    if kind == "pooled":
        den = float(np.sum(pick(summary[b])))
        return float(np.sum(pick(summary[a]))) / den if den > 0 else math.nan
    if kind == "weighted":
        w = pick(summary[b])
        return float(np.sum(pick(summary[a]) * w) / np.sum(w)) if np.sum(w) > 0 else math.nan
    if kind == "rate":
        den = float(np.sum(pick(summary[b]))) * years
        return float(np.sum(pick(summary[a]))) / den if den > 0 else math.nan
    raise ValueError(kind)


def read_summary(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    with h5py.File(path, "r") as f:
        summary = {name: np.asarray(f["summary"][name][0, :], dtype=float) for name in f["summary"]
                   if name not in ("point", "replicate")}
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    return summary, attrs


def measured_years(attrs: dict) -> float:
    steps = float(attrs["steps"])
    burn_in = float(attrs.get("burn_in_steps", 0))
    return (steps - burn_in) * float(attrs["step_days"]) / 365.0


def evaluate(targets: list[Target], summary: dict[str, np.ndarray], attrs: dict) -> dict[str, float]:
    years = measured_years(attrs)
    return {t.id: measure(summary, MEASURES[t.id], years=years) for t in targets}


def interval(summary: dict[str, np.ndarray], how: object, years: float, draws: int = 2000) -> tuple[float, float]:
    """95 % bootstrap interval over replicates (a fixed generator: the
    report is reproducible)."""
    n = len(next(iter(summary.values())))
    rng = np.random.default_rng(12345)
    values = []
    for _ in range(draws):
        sample = rng.integers(0, n, size=n)
        v = measure(summary, how, sample, years)
        if not math.isnan(v):
            values.append(v)
    if not values:
        return math.nan, math.nan
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def loss(targets: list[Target], values: dict[str, float]) -> float:
    """Sum of squared distances to the targets in units of half their band."""
    total = 0.0
    for t in targets:
        v = values[t.id]
        half = (t.high - t.low) / 2 or abs(t.value) or 1.0
        total += ((v - t.value) / half) ** 2 if not math.isnan(v) else 1e6
    return total


def run_tipsim(tipsim: Path, scenario: Path, overrides: dict[str, float], replicates: int | None,
               extra: list[str], workdir: Path) -> Path:
    out = workdir / "calibration-run.h5"
    cmd = [str(tipsim), "run", str(scenario), "-o", str(out), "--quiet"]
    if replicates:
        cmd += ["--replicates", str(replicates)]
    for key, value in overrides.items():
        cmd += ["--set", f"{key}={value!r}"]
    cmd += extra
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"calibrate: tipsim failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    return out


# ---- fit -------------------------------------------------------------------


@dataclass
class Free:
    key: str
    low: float
    high: float


def parse_free(spec: str) -> Free:
    try:
        key, bounds = spec.split("=", 1)
        low, high = (float(x) for x in bounds.split(":"))
    except ValueError:
        raise SystemExit(f"calibrate: --param wants KEY=LOW:HIGH, got {spec!r}")
    if not 0 < low < high:
        raise SystemExit(f"calibrate: --param {key}: need 0 < LOW < HIGH (the search is in log space)")
    return Free(key, low, high)


def save_state(path: Path, state: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, path)


def fit(args: argparse.Namespace) -> int:
    targets = read_targets(Path(args.targets))
    free = [parse_free(p) for p in args.param]
    if not free:
        raise SystemExit("calibrate fit: name at least one --param KEY=LOW:HIGH")
    if args.seed == HELD_OUT_SEED:
        raise SystemExit(f"calibrate fit: seed {HELD_OUT_SEED} is held out for the report; fit on another")
    state_path = Path(args.state)
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    cache: dict[str, dict] = state.get("evaluations", {})
    start = {f.key: float(x) for f, x in zip(free, args.start)} if args.start else None

    workdir = Path(tempfile.mkdtemp(prefix="tipsim-calibrate-"))

    def cost(x: dict[str, float]) -> float:
        # Parameters are rounded to 4 significant digits: the cache key, the
        # scenario and the report all see the same numbers.
        x = {k: float(f"{v:.4g}") for k, v in x.items()}
        key = json.dumps(x, sort_keys=True)
        if key not in cache:
            seed = [] if args.seed is None else ["--seed", str(args.seed)]
            out = run_tipsim(Path(args.tipsim), Path(args.scenario), x, args.replicates, seed, workdir)
            summary, attrs = read_summary(out)
            if int(attrs["seed"]) == HELD_OUT_SEED:
                raise SystemExit(f"calibrate fit: the scenario's seed is {HELD_OUT_SEED}, held out for the "
                                 "report; fit with --seed another")
            values = evaluate(targets, summary, attrs)
            cache[key] = {"parameters": x, "values": values, "loss": loss(targets, values)}
            state["evaluations"] = cache
            save_state(state_path, state)
            print(f"  loss {cache[key]['loss']:9.3f}  " + "  ".join(f"{k}={v:.4g}" for k, v in x.items()),
                  flush=True)
        return cache[key]["loss"]

    # Coordinate pattern search in log space: deterministic, derivative-free,
    # robust to the noise of a finite number of replicates (which common
    # random numbers keep the same at every evaluation).
    x = start or {f.key: math.sqrt(f.low * f.high) for f in free}
    best = cost(x)
    step = args.initial_step
    evaluations = 0
    try:
        while step >= args.final_step and evaluations < args.max_evaluations:
            improved = False
            for f in free:
                for direction in (+1, -1):
                    trial = dict(x)
                    trial[f.key] = min(f.high, max(f.low, x[f.key] * math.exp(direction * step)))
                    if trial[f.key] == x[f.key]:
                        continue
                    c = cost(trial)
                    evaluations += 1
                    if c < best:
                        x, best, improved = trial, c, True
                        break
            if not improved:
                step /= 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    state["best"] = {"parameters": {k: float(f"{v:.4g}") for k, v in x.items()}, "loss": best}
    save_state(state_path, state)
    print(f"best loss {best:.3f}")
    for k, v in state["best"]["parameters"].items():
        print(f"  {k} = {v:.4g}")
    return 0


# ---- report ----------------------------------------------------------------


def fmt(v: float) -> str:
    if math.isnan(v):
        return "n/a"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.4f}" if abs(v) < 0.01 else f"{v:.3f}"


def fitted_lines(scenario: Path) -> list[tuple[str, str, str]]:
    """The keys marked "# fitted" in the scenario file, with their table."""
    return fitted_lines_in(scenario.read_text(encoding="utf-8"))


def fitted_lines_in(text: str) -> list[tuple[str, str, str]]:
    """The keys marked "# fitted" in a scenario's text: (dotted key, value, note).
    The mark is what makes a scenario the calibrated one (docs/calibration.md lists them)."""
    out = []
    table = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            table = stripped.strip("[]")
        elif stripped.startswith("[["):
            table = ""
        if "# fitted" in line and "=" in line:
            key, rest = stripped.split("=", 1)
            value = rest.split("#", 1)[0].strip()
            note = rest.split("# fitted", 1)[1].strip(" :")
            out.append((f"{table}.{key.strip()}" if table else key.strip(), value, note))
    return out


def table_row(t: Target, v: float, lo: float, hi: float, ok: bool) -> str:
    """A target or validation figure against the model, as a row of the report's tables."""
    return (f"| `{t.id}` | {t.quantity} ({t.unit}) | {fmt(t.value)} | {fmt(t.low)} – {fmt(t.high)} | "
            f"{fmt(v)} | {fmt(lo)} – {fmt(hi)} | {'yes' if ok else '**no**'} | {t.source} |")


def report(args: argparse.Namespace) -> int:
    targets = read_targets(Path(args.targets))
    scenario = Path(args.scenario)
    if args.run:
        summary, attrs = read_summary(Path(args.run))
    else:
        workdir = Path(tempfile.mkdtemp(prefix="tipsim-calibrate-"))
        try:
            out = run_tipsim(Path(args.tipsim), scenario, {}, args.replicates, ["--seed", str(args.seed)], workdir)
            summary, attrs = read_summary(out)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    if int(attrs["seed"]) != args.seed:
        raise SystemExit(f"calibrate report: {args.run} was run with seed {int(attrs['seed'])}, not the "
                         f"seed {args.seed} the report is judged on")
    years = measured_years(attrs)

    def judged(figures: list[Target]) -> list[tuple[Target, float, float, float, bool]]:
        out = []
        for t in figures:
            how = MEASURES[t.id]
            v = measure(summary, how, years=years)
            lo, hi = interval(summary, how, years)
            out.append((t, v, lo, hi, t.low <= v <= t.high))
        return out

    rows = judged(targets)
    failures = sum(not ok for *_, ok in rows)
    validation = judged(read_targets(Path(args.validation))) if args.validation else []

    replicates = int(attrs["replicate_count"])
    lines = [
        "# Calibration",
        "",
        f"The calibrated world scenario `{scenario.as_posix()}` against every target of",
        f"`{Path(args.targets).name}` ({len(targets)} targets), generated by:",
        "",
        "```sh",
        f"PYTHONPATH=analysis /usr/bin/python3 -m tipsim_analysis.calibrate report {scenario.as_posix()} \\",
        f"    --targets analysis/data/{Path(args.targets).name}"
        + (f" --validation analysis/data/{Path(args.validation).name}" if args.validation else "")
        + f" -o {args.output}",
        "```",
        "",
        f"Model figures: {replicates} replicates of {attrs['steps']} steps of {attrs['step_days']} days "
        f"(seed {attrs['seed']}, which the fit never used), measured over the {years:.1f} years after a burn-in of "
        f"{attrs.get('burn_in_steps', 0)} steps, in real people and real USD (the model ran one agent for "
        f"{float(attrs['population_scale']):,.0f} people); tipsim {attrs.get('program_version', '?')} "
        f"({attrs.get('source_revision', '?')}).",
        "Shares and ratios of counts are pooled over replicates (sum of numerators over sum of",
        "denominators, or shares weighted by their denominators); the other figures are means over",
        "replicates. The interval is a 95 % bootstrap interval over replicates.",
        "",
        f"**{len(targets) - failures} of {len(targets)} targets inside their band.**",
        "",
        "| target | what | data | band | model | 95 % interval | in band | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t, v, lo, hi, ok in rows:
        lines.append(table_row(t, v, lo, hi, ok))
    if validation:
        inside = sum(ok for *_, ok in validation)
        lines += ["", "## Figures the fit did not use", "",
                  f"Real-world figures from `{Path(args.validation).name}` that no parameter was tuned to: how",
                  "far the calibrated model is from them judges its realism. They are reported, not enforced",
                  f"(`--check` looks at the targets above only). **{inside} of {len(validation)} inside their band.**",
                  "", "| figure | what | data | band | model | 95 % interval | in band | source |",
                  "|---|---|---|---|---|---|---|---|"]
        for t, v, lo, hi, ok in validation:
            lines.append(table_row(t, v, lo, hi, ok))
    fitted = fitted_lines(scenario)
    if fitted:
        lines += ["", "## Calibrated parameters", "",
                  f"The values of `{scenario.name}` marked `# fitted`: the parameters tuned against these",
                  "targets (`python3 -m tipsim_analysis.calibrate fit` searches them; see analysis/README.md).",
                  "Every other value is a default, or set from data as the scenario's comments say.", "",
                  "| key | value | note |", "|---|---|---|"]
        for key, value, note in fitted:
            lines.append(f"| `{key}` | {value} | {note} |")
    lines += ["", "## Sources", "",
              "- ILO, Walk Free and IOM (2022). *Global Estimates of Modern Slavery: Forced Labour and Forced "
              "Marriage.* Geneva.",
              "- ILO, Walk Free and IOM (2017). *Global Estimates of Modern Slavery.* Geneva.",
              "- US Department of State (2024). *Trafficking in Persons Report*, global law enforcement data "
              "2017-2023.",
              "- UNODC (2024). *Global Report on Trafficking in Persons 2024.* Vienna.",
              "- ILO (2024). *Profits and Poverty: The Economics of Forced Labour.* Geneva.",
              "- UNODC (2012, 2018, 2023). *Global Report on Trafficking in Persons* 2012, 2018 and 2022. Vienna.",
              "- Home Office (2024). *Modern Slavery: National Referral Mechanism and Duty to Notify statistics UK*, "
              "2023 and quarterly bulletins 2023-2024. London.", ""]
    text = "\n".join(lines)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: {len(targets) - failures} of {len(targets)} targets in band")
    for t, v, lo, hi, ok in rows:
        if not ok:
            print(f"  outside band: {t.id} = {fmt(v)} (band {fmt(t.low)} – {fmt(t.high)})", file=sys.stderr)
    for t, v, lo, hi, ok in validation:
        print(f"  validation: {t.id} = {fmt(v)} (band {fmt(t.low)} – {fmt(t.high)}): {'inside' if ok else 'outside'}",
              file=sys.stderr)
    return 1 if (args.check and failures) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tipsim_analysis.calibrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tipsim", default=os.environ.get("TIPSIM_CLI", str(DEFAULT_TIPSIM)),
                        help="the tipsim program (default: build/sim/tipsim, or $TIPSIM_CLI)")
    sub = parser.add_subparsers(dest="command", required=True)

    f = sub.add_parser("fit", help="search parameters against the targets")
    f.add_argument("scenario")
    f.add_argument("--targets", required=True)
    f.add_argument("--param", action="append", default=[], metavar="KEY=LOW:HIGH")
    f.add_argument("--start", nargs="*", type=float, help="start values, one per --param (default: geometric mid-points)")
    f.add_argument("--replicates", type=int, default=None)
    f.add_argument("--seed", type=int, default=None, help="default: the scenario's own; never the held-out seed")
    f.add_argument("--state", default="calibration-state.json",
                   help="evaluations so far; a rerun resumes from it (default: %(default)s)")
    f.add_argument("--initial-step", type=float, default=0.4, help="first log-step (default: %(default)s)")
    f.add_argument("--final-step", type=float, default=0.05, help="stop below this log-step (default: %(default)s)")
    f.add_argument("--max-evaluations", type=int, default=200)
    f.set_defaults(func=fit)

    r = sub.add_parser("report", help="compare the scenario with every target and write Markdown")
    r.add_argument("scenario")
    r.add_argument("--targets", required=True)
    r.add_argument("--replicates", type=int, default=None, help="default: the scenario's own")
    r.add_argument("--validation", help="figures the fit did not use, reported beside the targets (same columns)")
    r.add_argument("-o", "--output", default="docs/calibration.md")
    r.add_argument("--seed", type=int, default=HELD_OUT_SEED, help="default: the held-out seed %(default)s")
    r.add_argument("--run", help="judge this run file (made with --seed) instead of running the scenario")
    r.add_argument("--check", action="store_true", help="exit 1 when a target is outside its band")
    r.set_defaults(func=report)

    args = parser.parse_args(argv)
    if not Path(args.tipsim).exists():
        raise SystemExit(f"calibrate: no tipsim program at {args.tipsim}; build first (scripts/build.sh) or pass --tipsim")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
