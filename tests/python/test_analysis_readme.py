"""analysis/README.md's Python examples, run against a comparison and a
sweep the tipsim command writes during the test: what each prints or
leaves behind equals the same figure read from the file with h5py and
computed with NumPy and SciPy, so the worked examples stay correct."""

import csv
import os
import pathlib
import re
import subprocess

import h5py
import numpy as np
import pytest
from scipy import stats

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])
README = ROOT / "analysis" / "README.md"

TINY = ROOT / "scenarios" / "tiny.toml"
# Two arms of tiny.toml: one lever each. More shelter places change spending
# only; more police change what is identified, prosecuted and convicted, so
# the effects the examples print are not all zero.
ARMS = {
    "more_shelters": """[policy.protection]
shelter_beds_per_100k = 60
""",
    "more_police": """[policy.prosecution]
investigators_per_100k = 40
[identification]
police_rate_per_year = 0.5
""",
}
SHELTER_KEY = "policy.protection.shelter_beds_per_100k"
# tiny.toml's two regions and its one route.
REGION_SHARES = {"Home": 0.6, "Away": 0.4}
ROUTE = {"origin": "Home", "destination": "Away", "share": 0.33, "transit_days": 14.0}


def python_examples():
    """(first line number, heading, code) of every ```python block; the
    heading is the ## title the block stands under."""
    text = README.read_text(encoding="utf-8")
    examples = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        headings = re.findall(r"^## (.+)$", text[:match.start()], re.M)
        examples.append((text.count("\n", 0, match.start()) + 2, headings[-1] if headings else "", match.group(1)))
    return examples


EXAMPLES = python_examples()


@pytest.fixture(scope="module")
def files(tipsim_cli, tmp_path_factory):
    """The files the examples name, made small: runs/3p.h5 (a comparison) and runs/shelters.h5 (a sweep)."""
    folder = tmp_path_factory.mktemp("analysis_readme")
    arms = []
    for name, levers in ARMS.items():
        arm = folder / f"{name}.toml"
        arm.write_text(f'extends = "{TINY.as_posix()}"\n[scenario]\nname = "{name}"\n{levers}')
        arms.append(arm)
    made = {"runs/3p.h5": folder / "3p.h5", "runs/shelters.h5": folder / "shelters.h5",
            "runs/allocation.h5": folder / "allocation.h5"}
    commands = [
        ["allocate", TINY, "--budget", 200000, "--resolution", 2, "--levels", 2, "--replicates", 3, "-o",
         made["runs/allocation.h5"]],
        ["compare", TINY, *arms, "--replicates", 3, "-o", made["runs/3p.h5"]],
        ["sweep", TINY, "--vary", f"{SHELTER_KEY}=0:40:3", "--replicates", 3, "-o", made["runs/shelters.h5"]],
    ]
    for command in commands:
        result = subprocess.run([tipsim_cli, *map(str, command), "--quiet"], capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, result.stderr
    made["runs/figures"] = folder / "figures"
    made["analysis/data/calibration_targets.csv"] = ROOT / "analysis" / "data" / "calibration_targets.csv"
    return made


# ---- the same figures, read with h5py and computed with NumPy ------------------------------------

def strings(ds):
    return list(ds.asstr()[()])


def attr(f, name):
    value = f.attrs[name]
    return value.item() if isinstance(value, np.generic) else value


def summary(path, name):
    """summary/NAME as (point, replicate) floats."""
    with h5py.File(path, "r") as f:
        return f["summary"][name][()].astype(float)


def exploited(path):
    """Persons in exploitation, all regions together: (point, replicate, step)."""
    with h5py.File(path, "r") as f:
        states = strings(f["series/state_label"])
        return f["series/persons_by_state"][..., states.index("EXPLOITED")].sum(axis=3)


def type7(values, q):
    """Quantiles over replicates (the last axis), linear between order statistics."""
    return np.quantile(values, q, axis=-1, method="linear")


def mean_and_interval(values):
    """Mean over pairs and the 95 % Student's t interval of the mean; the mean
    itself when every pair is equal."""
    values = np.asarray(values, dtype=float)
    mean = values.mean()
    if np.all(values == values[0]):
        return mean, mean, mean
    low, high = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=stats.sem(values))
    return mean, low, high


def without_names_and_numbers(text):
    return re.sub(r"'\w+'", "'NAME'", re.sub(r"\d+", "N", text))


def same(expected):
    """Equal up to the last bits in which two orders of summing the same values differ."""
    return pytest.approx(expected, rel=1e-12, abs=1e-12)


# ---- what each example must show ------------------------------------------------------------------

def check_opening(example, made):
    path = made["runs/3p.h5"]
    with h5py.File(path, "r") as f:
        arms = strings(f["summary/arm"])
        experiment, steps, step_days = attr(f, "experiment"), attr(f, "steps"), attr(f, "step_days")
        replicates = f["summary/replicate"].shape[0]
        provenance = tuple(attr(f, k) for k in ("program_version", "source_revision", "seed", "command_line"))
        size, scale = attr(f, "population_size"), attr(f, "population_scale")
        convictions = f["summary/convictions"][1]
        regions = strings(f["series/region_label"])
        keys = strings(f["scenario/regional_values/key"])
        shares = f["scenario/regional_values/value"][:, keys.index("population.share")]
        routes = {name: (strings(ds) if h5py.check_string_dtype(ds.dtype) else list(ds[()]))
                  for name, ds in f["scenario/routes"].items() if name != "route"}
        changes = len(f["scenario/interventions/change"])
    assert arms == ["tiny", *ARMS] and experiment == "comparison"

    shown = str(example.one("print(run)"))
    assert shown == (f"<tipsim Run 3p.h5: comparison 'tiny', {len(arms)} point(s) x {replicates} replicate(s) x "
                     f"{steps} steps of {step_days:g} days>")
    # The documented output has the same form, for the README's own command.
    documented = example.comment("print(run)")
    assert documented.endswith(" ...>")
    assert without_names_and_numbers(shown).startswith(without_names_and_numbers(documented[:-len(" ...>")]))

    assert example.printed("run.experiment") == [(experiment, arms)]
    assert example.comment("run.experiment").startswith(f"{experiment} [")
    dims = ("point", "replicate", "step", "region")
    assert example.one("exploited.dims") == dims and example.comment("exploited.dims") == str(dims)
    assert example.one("time_years[-1]") == pytest.approx(steps * step_days / 365, rel=1e-12)
    np.testing.assert_array_equal(example.one("sel(point=1).values"), convictions)
    assert example.printed('p["program_version"]') == [provenance]
    assert example.printed('attrs["basis"]') == [("people", "people")]
    assert example.comment('attrs["basis"]') == "people people"
    assert example.printed("run.population_scale") == [(size, scale)] and size == 20000

    share = example.one('regional_values["population.share"]')
    assert list(share.index) == regions == list(REGION_SHARES)
    np.testing.assert_array_equal(share.values, shares)
    np.testing.assert_allclose(shares, list(REGION_SHARES.values()))
    frame = example.one("print(run.routes)")
    assert len(frame) == 1 and {name: list(frame[name]) for name in routes} == routes
    assert {name: values[0] for name, values in routes.items()} == ROUTE
    interventions = example.one("run.interventions[")
    assert list(interventions.columns) == ["name", "start_step", "key", "op", "value"]
    assert len(interventions) == changes


def check_bands(example, made):
    path = made["runs/3p.h5"]
    with h5py.File(path, "r") as f:
        steps, step_days, burn_in = attr(f, "steps"), attr(f, "step_days"), attr(f, "burn_in_steps")
        # The series count agents; the examples show real people.
        scale = attr(f, "population_scale")
        convictions = f["series/convictions"][()].sum(axis=(3, 4)) * scale  # (point, replicate, step)
        channels = strings(f["series/channel_label"])
        by_channel = f["series/identifications_by_channel"][0, :, burn_in:].sum(axis=(1, 2)).mean(axis=0) * scale
        units = {name: f["summary"][name].attrs.get("unit_label") for name in f["summary"]}
    counts = exploited(path) * scale

    band = example["band"]
    for name, expected in (("low", type7(counts.transpose(0, 2, 1), 0.1)),
                           ("median", type7(counts.transpose(0, 2, 1), 0.5)),
                           ("high", type7(counts.transpose(0, 2, 1), 0.9)), ("mean", counts.mean(axis=1))):
        assert band[name].dims == ("point", "step"), name
        np.testing.assert_allclose(band[name].values, expected, rtol=1e-12, err_msg=name)
    tail = example.one('band["median"].sel(point=0)')
    assert list(tail.index) == list(range(steps - 5, steps))
    np.testing.assert_array_equal(tail.values, np.median(counts[0], axis=0)[-5:])

    # The second year: the steps that start in [365, 730) days.
    starts = np.arange(steps) * step_days
    second = (starts >= 365) & (starts < 730)
    expected = convictions[:, :, second].sum(axis=2).mean(axis=1)
    assert expected.max() > 0  # the police arm convicts
    second_year = example.one('second_year.mean("replicate")')
    assert list(second_year.index) == [0, 1, 2]
    np.testing.assert_allclose(second_year.values, expected, rtol=1e-12)

    per_channel = example.one('by_channel.mean("replicate")')
    assert list(per_channel.index) == channels
    np.testing.assert_allclose(per_channel.values, by_channel, rtol=1e-12)

    table = example["table"]
    assert len(table) == 3 * len(set(table.figure)) and "convictions" in set(table.figure)
    for row in table.itertuples():
        values = summary(path, row.figure)[row.point]
        expected = (values.mean(), *type7(values, [0.5, 0.1, 0.9]))
        assert (row.mean, row.median, row.low, row.high) == same(expected), (row.figure, row.point)
        assert row.units == units[row.figure]
    head = example.one("table[[")
    assert list(head.columns) == ["point_label", "figure", "mean", "median", "low", "high", "units"]
    assert len(head) == 10


def check_comparisons(example, made):
    path = made["runs/3p.h5"]
    with h5py.File(path, "r") as f:
        c = f["comparison"]
        arms = strings(c["arm_label"])
        recorded = [(c["convictions_mean"][i], c["convictions_ci_low"][i], c["convictions_ci_high"][i])
                    for i in range(len(arms))]
        units = {name: f["summary"][name].attrs.get("unit_label") for name in f["summary"]}
    assert arms == list(ARMS)

    shown = example.one('recorded.effect == "convictions"')
    assert list(shown.arm) == arms
    for row, expected in zip(shown.itertuples(), recorded):
        assert (row.mean, row.ci_low, row.ci_high) == expected, row.arm

    effects = example.one('effects[["arm"')
    figures = ["exploited_mean", "recruitments", "identified"]
    assert [(row.arm, row.figure) for row in effects.itertuples()] == [(a, f) for f in figures for a in arms]
    for row in effects.itertuples():
        values = summary(path, row.figure)
        expected = mean_and_interval(values[arms.index(row.arm) + 1] - values[0])
        assert (row.mean, row.ci_low, row.ci_high) == same(expected), (row.arm, row.figure)
        assert row.units == units[row.figure]
    assert effects[effects.arm == "more_police"].figure.tolist() == figures
    assert (effects[effects.arm == "more_police"]["mean"] != 0).all()  # the police arm changes all three

    victim_years = summary(path, "victim_years")
    pairs = example.one('pairs.mean("replicate")')
    assert list(pairs.index) == arms
    np.testing.assert_allclose(pairs.values, (victim_years[1:] - victim_years[0]).mean(axis=1), rtol=1e-12)


def check_cost_effectiveness(example, made):
    path = made["runs/3p.h5"]
    with h5py.File(path, "r") as f:
        c = f["comparison"]
        arms = strings(c["arm_label"])
        value = float(c.attrs["value_per_victim_year"])
        baseline = c.attrs["baseline"]
        baseline = baseline.decode() if isinstance(baseline, bytes) else str(baseline)
        numbers = {name: c[name][()] for name in ("spending_mean", "victim_years_averted_mean", "icer_mean",
                                                   "net_monetary_benefit_mean", "probability_most_cost_effective",
                                                   "acceptability_value", "acceptability_baseline", "acceptability")}
        status, comparator = strings(c["frontier_status"]), strings(c["icer_comparator"])
    assert arms == list(ARMS) and baseline == "tiny"

    columns = ["arm", "extra_cost", "victim_years_averted", "status", "comparator", "icer", "net_monetary_benefit",
               "probability_most_cost_effective"]
    shown = example.one('table[["arm"')
    assert list(shown.columns) == columns
    costs = [0.0, *numbers["spending_mean"]]
    # By extra cost, the baseline first at equal cost.
    assert list(shown.arm) == [name for _, _, name in sorted(zip(costs, range(len(costs)), [baseline, *arms]))]
    rows = shown.set_index("arm")
    for i, arm in enumerate(arms):
        row = rows.loc[arm]
        assert (row.extra_cost, row.victim_years_averted, row.net_monetary_benefit,
                row.probability_most_cost_effective) == (
            numbers["spending_mean"][i], numbers["victim_years_averted_mean"][i],
            numbers["net_monetary_benefit_mean"][i], numbers["probability_most_cost_effective"][i]), arm
        assert (row.status, row.comparator) == (status[i], comparator[i]), arm
        assert row.icer == numbers["icer_mean"][i] or (np.isnan(row.icer) and np.isnan(numbers["icer_mean"][i]))
    base = rows.loc[baseline]
    assert (base.extra_cost, base.victim_years_averted, base.net_monetary_benefit, base.comparator) == (0, 0, 0, "")
    assert base.probability_most_cost_effective == same(1 - numbers["probability_most_cost_effective"].sum())

    assert example.one('attrs["value_per_victim_year"]') == value
    assert example.comment('attrs["value_per_victim_year"]') == repr(value)
    text = example.one("cost_effectiveness_text").splitlines()
    assert text[0].startswith("Cost-effectiveness (--outcome victim-years), arms by extra cost") and len(text) == 5 + 1 + len(arms)
    for i, arm in enumerate(arms):
        line = next(line for line in text if line.startswith(f"  {arm} "))
        for name in ("spending_mean", "net_monetary_benefit_mean"):
            assert summaries_format(numbers[name][i]) in line, (arm, name)

    curves = example.one("curves.iloc")
    assert list(curves.columns) == ["value", baseline, *arms]
    assert list(curves.value) == [numbers["acceptability_value"][0], numbers["acceptability_value"][-1]] == [0, 1e7]
    np.testing.assert_array_equal(curves[baseline], numbers["acceptability_baseline"][[0, -1]])
    for i, arm in enumerate(arms):
        np.testing.assert_array_equal(curves[arm], numbers["acceptability"][[0, -1], i], err_msg=arm)


def summaries_format(value):
    """A number as tipsim prints it (the package's format_figure, which the package's tests check against tipsim)."""
    from tipsim_analysis.summaries import format_figure

    return format_figure(float(value))


def check_sweeps(example, made):
    path = made["runs/shelters.h5"]
    with h5py.File(path, "r") as f:
        levels = f["summary"][SHELTER_KEY][()]
    entries = summary(path, "protection_entries")
    assert list(levels) == [0, 20, 40]  # --vary KEY=0:40:3
    assert example["key"] == SHELTER_KEY and example.comment("key = run.sweep_keys[0]") == repr(SHELTER_KEY)

    curve = example.one('curve[[key')
    assert list(curve.columns) == [SHELTER_KEY, "mean", "ci_low", "ci_high", "median", "low", "high"]
    assert list(curve[SHELTER_KEY]) == list(levels)
    assert entries[1:].sum() > 0  # shelter places admit victims
    for p, row in enumerate(curve.to_dict("records")):
        expected = (*mean_and_interval(entries[p]), *type7(entries[p], [0.5, 0.1, 0.9]))
        shown = (row["mean"], row["ci_low"], row["ci_high"], row["median"], row["low"], row["high"])
        assert shown == same(expected), p

    grid = example.one('grid.mean("replicate")')
    assert grid.index.name == SHELTER_KEY and list(grid.index) == list(levels)
    np.testing.assert_allclose(grid.values, summary(path, "victim_years").mean(axis=1), rtol=1e-12)


def check_model_against_data(example, made):
    path = made["runs/3p.h5"]
    with open(made["analysis/data/calibration_targets.csv"], newline="", encoding="utf-8") as f:
        targets = list(csv.DictReader(f))
    with h5py.File(path, "r") as f:
        years = (attr(f, "steps") - attr(f, "burn_in_steps")) * attr(f, "step_days") / 365
    table = example.one("model_ci_high")
    assert list(table.target) == [t["id"] for t in targets]
    for row, target in zip(table.itertuples(), targets):
        assert (row.data, row.data_low, row.data_high) == tuple(float(target[k]) for k in ("value", "low", "high"))
        assert row.in_band == (row.data_low <= row.model <= row.data_high), row.target
    model = dict(zip(table.target, table.model))
    # Three measures by the targets file's how_to_measure, at the baseline (point 0).
    identified, stock = summary(path, "identified")[0], summary(path, "exploited_mean")[0]
    assert model["prevalence"] == same(summary(path, "prevalence_per_1000")[0].mean())
    assert model["identification_rate"] == same(identified.sum() / years / stock.sum())
    assert model["conviction_per_identified"] == same(summary(path, "convictions")[0].sum() / identified.sum())


def check_figures(example, made):
    folder = made["runs/figures"]
    assert example.lines("paths[") == [f"{folder / 'surge_over_time.png'} {folder / 'surge_over_time.svg'}"]
    for name in ("surge_over_time", "comparison", "cost_effectiveness", "composition", "regions", "model_vs_data",
                 "shelters"):
        assert (folder / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), name
        assert "<svg" in (folder / f"{name}.svg").read_text(encoding="utf-8"), name


def check_allocations(example, made):
    with h5py.File(made["runs/allocation.h5"], "r") as f:
        a = f["allocation"]
        budgets, best = a["frontier_budget"][()], a["frontier_best_point"][()].astype(int)
        weights, averted = a["weight"][()], a["frontier_victim_years_averted_mean"][()]
        better = a["frontier_probability_better_than_even"][()]
        targets = strings(a["target_label"])
    assert targets == ["PROSECUTION", "PROTECTION", "PREVENTION", "PARTNERSHIP"]
    shown = example.one("table[[")
    assert list(shown["budget_usd_per_year"]) == list(budgets) == [100000.0, 200000.0]
    for level in range(len(budgets)):
        assert [shown[t][level] for t in targets] == list(weights[best[level]]), level
    assert list(shown["victim_years_averted_mean"]) == list(averted)
    assert list(shown["probability_better_than_even"]) == list(better)
    frontier = example["fig"].axes[0].lines[0]
    np.testing.assert_array_equal(frontier.get_ydata()[1:], averted)


CHECKS = {
    "Allocations: where the next dollar should go": check_allocations,
    "Opening a run file": check_opening,
    "Bands over replicates, and totals over windows": check_bands,
    "Comparisons: paired effects with 95 % intervals": check_comparisons,
    "Cost-effectiveness of the arms": check_cost_effectiveness,
    "Sweeps: response curves": check_sweeps,
    "The model against data": check_model_against_data,
    "Figures one at a time": check_figures,
}


def test_every_example_is_checked():
    assert sorted(heading for _, heading, _ in EXAMPLES) == sorted(CHECKS)


@pytest.mark.parametrize("line,heading,code", EXAMPLES, ids=[f"line{line}" for line, _, _ in EXAMPLES])
def test_readme_example_shows_what_the_file_holds(files, line, heading, code, run_example):
    for name, path in files.items():
        code = code.replace(f'"{name}"', repr(str(path)))
    assert heading in CHECKS, f"{README.name}:{line}: nothing checks the example under '## {heading}'"
    CHECKS[heading](run_example(code, f"{README.name}:{line}", "readme_example"), files)
