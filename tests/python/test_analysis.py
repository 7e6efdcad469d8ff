"""The analyst's toolkit (analysis/tipsim_analysis) on run files the tipsim
command writes during the test: what it reads equals what tipsim printed,
bands bracket medians, a scenario compared with itself has no effect, and
`python3 -m tipsim_analysis report` writes every figure into its HTML."""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])

from tipsim_analysis import RunFileError, calibrate, open_run
from tipsim_analysis import summaries as S
from tipsim_analysis.io import FORMAT_VERSION, by_sweep_keys

TINY = ROOT / "scenarios" / "tiny.toml"
TARGETS = ROOT / "analysis" / "data" / "calibration_targets.csv"
SHELTER_KEY = "policy.protection.shelter_beds_per_100k"

# An arm that differs from tiny.toml in one lever, so the comparison has effects.
MORE_POLICE = f"""extends = "{TINY.as_posix()}"
[scenario]
name = "more_police"
[policy.prosecution]
investigators_per_100k = 40
"""


def tipsim(cli, *args):
    result = subprocess.run([cli, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"tipsim {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def tiny_run(tipsim_cli, tmp_path_factory):
    """tiny.toml, 3 replicates, and what `tipsim run` printed."""
    path = tmp_path_factory.mktemp("analysis_run") / "tiny.h5"
    stdout = tipsim(tipsim_cli, "run", TINY, "--replicates", 3, "-o", path, "--quiet")
    return path, stdout


@pytest.fixture(scope="session")
def tiny_sweep(tipsim_cli, tmp_path_factory):
    """tiny.toml over three shelter levels, 3 replicates, and the printed table."""
    path = tmp_path_factory.mktemp("analysis_sweep") / "sweep.h5"
    stdout = tipsim(tipsim_cli, "sweep", TINY, "--vary", f"{SHELTER_KEY}=0:40:3", "--replicates", 3, "-o", path,
                    "--quiet")
    return path, stdout


@pytest.fixture(scope="session")
def tiny_comparison(tipsim_cli, tmp_path_factory):
    """tiny.toml against a prosecution arm, 5 replicate pairs, and the printed effects."""
    folder = tmp_path_factory.mktemp("analysis_comparison")
    arm = folder / "more_police.toml"
    arm.write_text(MORE_POLICE)
    path = folder / "comparison.h5"
    stdout = tipsim(tipsim_cli, "compare", TINY, arm, "--replicates", 5, "-o", path, "--quiet")
    return path, stdout


@pytest.fixture(scope="session")
def tiny_against_itself(tipsim_cli, tmp_path_factory):
    """tiny.toml compared with itself, 4 replicate pairs."""
    path = tmp_path_factory.mktemp("analysis_self") / "self.h5"
    tipsim(tipsim_cli, "compare", TINY, TINY, "--replicates", 4, "-o", path, "--quiet")
    return path


# ---- what tipsim printed -------------------------------------------------------------------------


def printed_run_table(stdout):
    """{label: (mean, low, high)} of `tipsim run`'s summary table, as printed."""
    rows = {}
    for label in S.HEADLINE_FIGURES.values():
        match = re.search(rf"^  {re.escape(label)}\s+(\S+)\s+(\S+) - (\S+)\s+\S", stdout, re.M)
        assert match, f"no row '{label}' in tipsim's table:\n{stdout}"
        rows[label] = match.groups()
    return rows


def printed_effects(stdout, arm, baseline):
    """{label: (mean, low, high)} of one arm's effect table from `tipsim compare`."""
    block = stdout.split(f"{arm} vs {baseline}\n", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in block.splitlines()[1:]:
        match = re.match(r"^  (.+?)\s{2,}(\S+)\s+(\S+) to (\S+)\s+", line)
        if match:
            rows[match.group(1)] = match.groups()[1:]
    return rows


def number(text):
    return float(text.replace(",", ""))


# ---- open_run ----------------------------------------------------------------------------------


def test_format_figure_digits_follow_the_magnitude_the_figure_rounds_to():
    """The same rule as tipsim's (FormatFigure test in tests/programs/cli_test.cpp): 0.99996 reads
    1.00 beside 1.01, not 1; 9.996 reads 10.0, not 10.00."""
    cases = {0.5: "0.5", 0.123456: "0.123", 0.0999996: "0.1", 0.99996: "1.00", -0.99996: "-1.00",
             1.5: "1.50", 1.005: "1.00", 9.996: "10.0", -9.996: "-10.0", 12.34: "12.3", 99.96: "100",
             99.94: "99.9", 1234.5: "1,235", 3.0: "3", 1e15: "1e+15", float("nan"): "n/a"}
    for value, text in cases.items():
        assert S.format_figure(value) == text, value


def test_open_run_gives_labelled_arrays_tables_and_provenance(tiny_run):
    path, _ = tiny_run
    with open_run(path) as run, h5py.File(path, "r") as f:
        assert run.experiment == "run" and run.point_count == 1 and run.replicate_count == 3
        exploited = run.series["persons_by_state"]
        assert exploited.dims == ("point", "replicate", "step", "region", "state")
        assert list(run.series["state"].values) == ["FREE", "RECRUITED", "EXPLOITED", "IN_PROTECTION"]
        assert run.regions == ["Home", "Away"]
        # Time in days and years at the end of each step.
        days = run.series["time_days"].values
        np.testing.assert_allclose(days, (np.arange(run.steps) + 1) * f.attrs["step_days"])
        np.testing.assert_allclose(run.series["time_years"].values, days / 365)
        # The same numbers as a plain h5py read.
        np.testing.assert_array_equal(exploited.values, f["series/persons_by_state"][()])
        np.testing.assert_array_equal(run.summary["victim_years"].values, f["summary/victim_years"][()])
        assert run.summary["victim_years"].attrs["units"] == "person-years"
        # Provenance as plain Python values.
        assert run.provenance["seed"] == int(f.attrs["seed"]) and isinstance(run.provenance["seed"], int)
        assert run.provenance["command_line"] == f.attrs["command_line"]
        assert run.provenance["scenario_source_path"].endswith("tiny.toml")
        # Scenario tables as data frames.
        assert run.scenario_value("population.size") == 20000
        assert list(run.routes.columns[:3]) == ["origin", "destination", "share"]
        assert run.regional_values.loc["Home", "population.share"] == pytest.approx(0.6)
        assert run.region_populations().sum() == pytest.approx(20000)
        assert "[population]" in run.resolved_toml and "tiny" in run.source_text
        assert run.events is None and run.snapshots is None


def test_sweep_points_are_labelled_by_the_varied_key(tiny_sweep):
    path, _ = tiny_sweep
    with open_run(path) as run:
        assert run.experiment == "sweep" and run.sweep_keys == [SHELTER_KEY]
        np.testing.assert_array_equal(run.summary[SHELTER_KEY].values, [0, 20, 40])
        np.testing.assert_array_equal(run.series[SHELTER_KEY].values, [0, 20, 40])
        assert run.point_labels == ["shelter_beds_per_100k=0", "shelter_beds_per_100k=20",
                                    "shelter_beds_per_100k=40"]
        grid = by_sweep_keys(run.summary["exploited_mean"], run)
        assert SHELTER_KEY in grid.dims and grid.sizes[SHELTER_KEY] == 3


def test_events_come_back_with_labels(tipsim_cli, tmp_path):
    path = tmp_path / "events.h5"
    tipsim(tipsim_cli, "run", TINY, "--replicates", 2, "--events", "-o", path, "--quiet")
    with open_run(path) as run, h5py.File(path, "r") as f:
        events = run.events
        assert len(events) == f["events/kind"].shape[0] > 0
        assert set(events["kind"].cat.categories) == set(f["events/kind"].attrs["flag_meanings"].split())
        assert set(events["region"].astype(str)) <= set(run.regions)
        assert set(events["replicate"]) <= {0, 1}


# ---- values equal what tipsim printed ----------------------------------------------------------------


def test_run_summary_equals_what_tipsim_printed(tiny_run):
    """Every mean and 10-90 % range of `tipsim run`'s table, recomputed from the
    file, prints the same."""
    path, stdout = tiny_run
    printed = printed_run_table(stdout)
    with open_run(path) as run:
        table = S.summary_table(run, S.HEADLINE_FIGURES)
    for _, row in table.iterrows():
        label = S.HEADLINE_FIGURES[row["figure"]]
        mean, low, high = printed[label]
        assert S.format_figure(row["mean"]) == mean, label
        assert S.format_figure(row["low"]) == low and S.format_figure(row["high"]) == high, label
        assert number(mean) == pytest.approx(row["mean"], rel=5e-3, abs=5e-3)


def test_sweep_means_equal_what_tipsim_printed(tiny_sweep):
    path, stdout = tiny_sweep
    columns = ["exploited_mean", "victim_years", "identified", "prosecutions", "convictions",
               "traffickers_active_final", "spending_total"]
    with open_run(path) as run:
        rows = [line.split() for line in stdout.splitlines() if re.match(r"^\s+\d+\s", line)]
        assert len(rows) == run.point_count
        for p, row in enumerate(rows):
            assert int(row[0]) == p and float(row[1]) == run.summary[SHELTER_KEY].values[p]
            curve_means = [S.response_curve(run, name)["mean"].iloc[p] for name in columns]
            assert row[2:] == [S.format_figure(v) for v in curve_means]


def test_comparison_effects_equal_what_tipsim_printed(tiny_comparison):
    path, stdout = tiny_comparison
    with open_run(path) as run:
        baseline, arm = run.arms
        printed = printed_effects(stdout, arm, baseline)
        effects = S.comparison_effects(run)
        assert len(effects) == len(printed) == len(run.comparison["arm"]) * 12
        for _, effect in effects.iterrows():
            label = next(k for k in printed if _same_effect(k, effect["long_name"], effect["effect"]))
            mean, low, high = printed[label]
            assert S.format_figure(effect["mean"]) == mean, label
            assert (S.format_figure(effect["ci_low"]), S.format_figure(effect["ci_high"])) == (low, high), label


def _same_effect(label, long_name, name):
    words = {"victim-years of exploitation averted": "victim_years_averted", "victims identified":
             "victims_identified", "prosecutions": "prosecutions", "convictions": "convictions",
             "active traffickers at the end": "traffickers_active_final", "anti-trafficking spending": "spending",
             "cost per victim-year averted": "cost_per_victim_year_averted", "harm averted (QALYs)": "harm_averted",
             "harm averted (USD)": "harm_averted_usd",
             "survivor-years not recovered averted": "survivor_years_recovering_averted",
             "victims punished": "victims_punished", "cost per QALY averted": "cost_per_qaly_averted"}
    return words.get(label) == name


def test_our_paired_effects_equal_the_files(tiny_comparison):
    """Pairing replicate r of the arm with replicate r of the baseline and a
    t-interval reproduces what tipsim compare wrote."""
    path, _ = tiny_comparison
    same = {"victims_identified": "identified", "prosecutions": "prosecutions", "convictions": "convictions",
            "traffickers_active_final": "traffickers_active_final", "spending": "spending_total"}
    with open_run(path) as run:
        ours = S.paired_effects(run, list(same.values())).set_index("figure")
        for effect, figure in same.items():
            c = run.comparison
            np.testing.assert_allclose(S.paired_differences(run, figure).values, c[effect].values)
            for stat in ("mean", "ci_low", "ci_high"):
                assert ours.loc[figure, stat] == pytest.approx(float(c[f"{effect}_{stat}"].values[0]), abs=1e-9)
        # Victim-years averted is baseline minus arm.
        averted = -S.paired_differences(run, "victim_years")
        np.testing.assert_allclose(averted.values, run.comparison["victim_years_averted"].values)


# ---- bands, windows, self-comparison -------------------------------------------------------------------


def test_bands_bracket_the_median(tiny_run, tiny_sweep, tiny_comparison):
    for path in (tiny_run[0], tiny_sweep[0], tiny_comparison[0]):
        with open_run(path) as run:
            table = S.summary_table(run)
            assert (table["low"] <= table["median"] + 1e-12).all() and (table["median"] <= table["high"] + 1e-12).all()
            for headline in S.HEADLINE_SERIES:
                b = S.bands(S.headline_series(run, headline))
                assert b["median"].dims == ("point", "step")
                assert bool((b["low"] <= b["median"]).all()) and bool((b["median"] <= b["high"]).all())
                assert bool((b["low"] <= b["mean"]).all()) or run.replicate_count < 3


def test_window_totals_equal_the_summaries(tiny_run):
    """Flows summed over the measured window are the file's summary figures."""
    path, _ = tiny_run
    with open_run(path) as run:
        pairs = {"convictions": "convictions", "prosecutions": "prosecutions", "investigations": "investigations",
                 "identified_by_form": "identified", "recruitments_by_method": "recruitments",
                 "protection_entries": "protection_entries", "spending": "spending_total"}
        for series, figure in pairs.items():
            np.testing.assert_allclose(S.window_total(run, series).values, run.summary[figure].values, rtol=1e-12)
        steps_to_years = run.step_days / 365
        np.testing.assert_allclose(S.window_total(run, "victim_steps").values * steps_to_years,
                                   run.summary["victim_years"].values, rtol=1e-12)
        np.testing.assert_allclose(S.window_mean(run, "persons_by_state", select={"state": "EXPLOITED"}).values,
                                   run.summary["exploited_mean"].values, rtol=1e-12)
        # A window in years is the steps that start in it; the two halves add up.
        first = S.window_total(run, "recruitments_by_method", years=(0, 1))
        second = S.window_total(run, "recruitments_by_method", years=(1, 100))
        assert S.window_steps(run, years=(0, 1)) == slice(0, 53)  # weekly steps starting before day 365
        np.testing.assert_array_equal((first + second).values, run.summary["recruitments"].values)
        with pytest.raises(ValueError, match="stock"):
            S.window_total(run, "persons_by_state")


def test_a_scenario_against_itself_has_no_effect(tiny_against_itself):
    with open_run(tiny_against_itself) as run:
        assert run.experiment == "comparison" and len(run.arms) == 2
        effects = S.paired_effects(run, S.summary_figures(run))
        assert (effects["mean"] == 0).all()
        assert (effects["ci_low"] == 0).all() and (effects["ci_high"] == 0).all()
        recorded = S.comparison_effects(run)
        costs = recorded["effect"].isin(["cost_per_victim_year_averted", "cost_per_qaly_averted"])
        finite = recorded[~costs]
        assert (finite[["mean", "ci_low", "ci_high"]] == 0).all().all()
        # Nothing averted: the costs per victim-year and per QALY averted are undefined.
        assert recorded[costs]["mean"].isna().all()


def test_t_interval_matches_the_rule():
    mean, low, high = S.t_interval([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and low == pytest.approx(2.5 - 3.182446305284263 * np.std([1, 2, 3, 4], ddof=1) / 2)
    assert S.t_interval([5.0, 5.0, 5.0]) == (5.0, 5.0, 5.0)
    assert np.isnan(S.t_interval([1.0])[1])


def test_response_curve_follows_the_sweep(tiny_sweep):
    path, _ = tiny_sweep
    with open_run(path) as run:
        curve = S.response_curve(run, "spending_total")
        assert list(curve[SHELTER_KEY]) == [0, 20, 40]
        np.testing.assert_allclose(curve["mean"], run.summary["spending_total"].mean("replicate").values)
        # Shelter places cost money: spending rises with them.
        assert curve["mean"].is_monotonic_increasing and curve["mean"].iloc[-1] > curve["mean"].iloc[0]
        assert (curve["ci_low"] <= curve["mean"]).all() and (curve["mean"] <= curve["ci_high"]).all()


def test_model_vs_data_measures_as_calibrate_does(tiny_run):
    path, _ = tiny_run
    with open_run(path) as run:
        table = S.model_vs_data(run, TARGETS).set_index("target")
    summary, attrs = calibrate.read_summary(path)
    targets = calibrate.read_targets(TARGETS)
    expected = calibrate.evaluate(targets, summary, attrs)
    assert set(table.index) == set(expected)
    for target, value in expected.items():
        got = table.loc[target, "model"]
        assert (np.isnan(got) and np.isnan(value)) or got == pytest.approx(value, rel=1e-12), target
        assert table.loc[target, "in_band"] == (table.loc[target, "data_low"] <= value <= table.loc[target,
                                                                                                     "data_high"])


def test_validation_figures_are_reported_beside_the_targets_and_never_fail_the_check(tiny_run, tmp_path):
    # One target in its band; two validation figures, one inside and one far outside theirs: the report
    # lists both under their own heading and --check still passes, as it looks at the targets only.
    path, _ = tiny_run
    summary, attrs = calibrate.read_summary(path)
    years = calibrate.measured_years(attrs)
    header = "id,quantity,value,low,high,unit,how_to_measure,source\n"

    def row(name, low, high):
        return f"{name},{name},{(low + high) / 2},{low},{high},1,see the code,test\n"

    prevalence = calibrate.measure(summary, calibrate.MEASURES["prevalence"], years=years)
    rate = calibrate.measure(summary, calibrate.MEASURES["identification_rate"], years=years)
    targets = tmp_path / "targets.csv"
    targets.write_text(header + row("prevalence", prevalence - 1, prevalence + 1))
    validation = tmp_path / "validation.csv"
    validation.write_text(header + row("identification_rate", rate / 2, rate * 2 + 1e-9)
                          + row("false_share_identified", 2.0, 3.0))
    out = tmp_path / "calibration.md"
    code = calibrate.main(["report", str(TINY), "--targets", str(targets), "--validation",
                           str(validation), "--run", str(path), "--seed", str(int(attrs["seed"])), "-o", str(out),
                           "--check"])
    assert code == 0
    text = out.read_text()
    assert "**1 of 1 targets inside their band.**" in text
    section = text.split("## Figures the fit did not use", 1)[1]
    assert "**1 of 2 inside their band.**" in section
    lines = {line.split("|")[1].strip(): line for line in section.splitlines() if line.startswith("| `")}
    assert lines["`identification_rate`"].rstrip().split("|")[7].strip() == "yes"
    assert lines["`false_share_identified`"].rstrip().split("|")[7].strip() == "**no**"


# ---- files that are not run files ------------------------------------------------------------------------


def test_foreign_and_newer_files_are_refused_with_a_clear_message(tipsim_cli, tiny_run, tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not a run file\n")
    with pytest.raises(RunFileError, match=r"notes\.h5: not a tipsim run file \(not an HDF5 file\)"):
        open_run(text)

    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(RunFileError, match="without a 'format' attribute"):
        open_run(foreign)

    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["format"] = "somebody-else"
    with pytest.raises(RunFileError, match="its format is 'somebody-else'"):
        open_run(other)

    newer = tmp_path / "newer.h5"
    shutil.copy(tiny_run[0], newer)
    with h5py.File(newer, "r+") as f:
        f.attrs["format_version"] = np.int64(FORMAT_VERSION + 1)
    with pytest.raises(RunFileError, match=rf"format version {FORMAT_VERSION + 1} cannot be read .* reads format "
                                           rf"version {FORMAT_VERSION}"):
        open_run(newer)

    # Format version 3 gave transit times in whole steps; they are read in days.
    older = tmp_path / "v3.h5"
    shutil.copy(tiny_run[0], older)
    with h5py.File(older, "r+") as f:
        f.attrs["format_version"] = np.int64(3)
        routes = f["scenario/routes"]
        rows = len(routes["transit_days"])
        del routes["transit_days"]
        routes.create_dataset("transit_steps", data=np.full(rows, 3, dtype=np.int64))
        routes["transit_steps"].dims[0].attach_scale(routes["route"])
        step_days = float(f.attrs["step_days"])
    read = open_run(older).routes
    assert "transit_steps" not in read and rows > 0
    assert list(read["transit_days"]) == [3 * step_days] * rows

    truncated = tmp_path / "truncated.h5"
    data = tiny_run[0].read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(RunFileError, match="damaged or incomplete"):
        open_run(truncated)

    with pytest.raises(RunFileError, match="no such file"):
        open_run(tmp_path / "missing.h5")

    # An unfinished file (an interrupted run kept it to be resumed) is not
    # taken for a run: a missing run would read as zeros.
    unfinished = tmp_path / "run.h5.incomplete"
    shutil.copy(tiny_run[0], unfinished)
    with h5py.File(unfinished, "r+") as f:
        complete = f["campaign/run_complete"]
        assert complete.shape == (1, 3) and (complete[()] == 1).all()
        complete[0, 1] = 0
    with pytest.raises(RunFileError, match=r"unfinished run file: it holds 2 of its 3 runs .* --resume"):
        open_run(unfinished)
    inspect = subprocess.run([tipsim_cli, "inspect", str(unfinished)], capture_output=True, text=True)
    assert inspect.returncode == 2, inspect.stderr
    assert "holds 2 of its 3 runs" in inspect.stderr


def run_module(*args, cwd=ROOT, command="tipsim-analysis"):
    """One of the installed package's commands (tipsim-analysis, tipsim-report), beside this python."""
    env = dict(os.environ, MPLBACKEND="Agg")
    program = pathlib.Path(sys.executable).parent / command
    assert program.is_file(), f"{program}: the analysis package's command is not installed beside {sys.executable}"
    return subprocess.run([str(program), *map(str, args)], capture_output=True, text=True, timeout=600, env=env,
                          cwd=cwd)


def test_the_command_refuses_a_foreign_file_with_exit_code_2(tmp_path):
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
    result = run_module("report", foreign, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert "tipsim-analysis: error:" in result.stderr and "foreign.h5" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "report.html").exists()


# ---- survivors ---------------------------------------------------------------------------------------------


def test_survivor_pathways_are_the_reviews_of_the_measured_period(tiny_comparison):
    """The table holds every review of the measured period, by route and
    outcome, averaged over replicates: its cells add up to the series' total,
    and each cell is the series' own label."""
    path, _ = tiny_comparison
    with open_run(path) as run:
        for point in range(len(run.point_labels)):
            table = S.survivor_pathways(run, point)
            assert list(table.index) == list(S.SURVIVOR_ROUTES)
            assert list(table.columns) == list(S.SURVIVOR_OUTCOMES)
            reviews = S.window_total(run, "survivor_pathways", keep=("pathway",)).isel(point=point)
            assert table.values.sum() == pytest.approx(float(reviews.sum("pathway").mean("replicate")))
            one = float(reviews.sel(pathway="RELEASED:RECOVERING").mean("replicate"))
            assert table.loc["RELEASED", "RECOVERING"] == pytest.approx(one)
            assert table.values.sum() > 0, "no survivor reviewed: the tiny world is too small to test this"


# ---- the report command ------------------------------------------------------------------------------------


def check_report(folder, expected_figures):
    html = (folder / "report.html").read_text(encoding="utf-8")
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert sorted(f"{name}.png" for name in expected_figures) == pngs
    for name in expected_figures:
        for suffix in (".png", ".svg"):
            assert (folder / f"{name}{suffix}").stat().st_size > 1000, f"{name}{suffix} is empty"
        # Every figure is embedded in the page, and named.
        assert f'data-file="{name}.png"' in html, f"report.html does not embed {name}.png"
        assert f'id="figure-{name}"' in html
    assert html.count('src="data:image/png;base64,') == len(expected_figures)
    # Self-contained: nothing fetched from elsewhere.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html
    for csv in folder.glob("*.csv"):
        assert f'href="{csv.name}"' in html
    return html


def test_report_of_a_comparison(tiny_comparison, tmp_path):
    path, _ = tiny_comparison
    out = tmp_path / "report"
    result = run_module("report", path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "report.html" in result.stdout
    html = check_report(out, ["comparison", "cost_effectiveness", "time_series", "state_composition",
                              "survivor_pathways", "regional_map", "model_vs_data"])
    with open_run(path) as run:
        assert all(arm in html for arm in run.arms)
        assert run.provenance["source_revision"] in html
    assert "Paired effects" in html and "Provenance" in html
    assert html.count('<section id="cost-effectiveness"><h2>Cost-effectiveness</h2>') == 1


def test_report_of_a_sweep_and_a_run(tiny_sweep, tiny_run, tmp_path):
    out = tmp_path / "sweep"
    result = run_module("report", tiny_sweep[0], "-o", out, "--no-targets", "--quiet")
    assert result.returncode == 0, result.stderr
    check_report(out, ["response_curves", "time_series", "state_composition", "survivor_pathways", "regional_map"])

    # tipsim-report, the report as a command of its own.
    out = tmp_path / "run"
    result = run_module(tiny_run[0], "-o", out, "--embed", "svg", "--quiet", command="tipsim-report")
    assert result.returncode == 0, result.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    names = ["time_series", "state_composition", "survivor_pathways", "regional_map", "model_vs_data"]
    assert sorted(p.stem for p in out.glob("*.svg")) == sorted(names)
    for name in names:
        assert f'data-file="{name}.svg"' in html
    assert html.count("<svg") == len(names)


def test_summary_command_prints_the_headline_figures(tiny_run):
    path, stdout = tiny_run
    result = run_module("summary", path)
    assert result.returncode == 0, result.stderr
    for label, (mean, _, _) in printed_run_table(stdout).items():
        assert re.search(rf"^  {re.escape(label)}\s+{re.escape(mean)}\s", result.stdout, re.M), label


def test_every_kind_of_file_opens_and_reports(every_kind_of_file, tmp_path):
    """The shared files of conftest.py (one region, 20 steps, a two-key sweep
    with a boolean, a comparison with an intervention, events and snapshots).
    Plain runs, sweeps and comparisons are reported by the command in the
    tests above; here the report is made of the run with events and
    snapshots, which they do not cover."""
    from tipsim_analysis.report import write_report

    for kind, path in every_kind_of_file.items():
        with open_run(path) as run:
            table = S.summary_table(run)
            assert len(table) == run.point_count * len(S.summary_figures(run)), kind
            assert (table["low"] <= table["median"] + 1e-12).all(), kind
            assert len(run.point_labels) == run.point_count, kind
        if kind != "run with events and snapshots":
            continue
        folder = tmp_path / kind.replace(" ", "_")
        report = write_report(path, folder, targets=None)
        html = report.html.read_text(encoding="utf-8")
        for figure in report.figures:
            assert f'data-file="{figure.name}.png"' in html, (kind, figure.name)
