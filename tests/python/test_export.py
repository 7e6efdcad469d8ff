"""`tipsim export`: the CSV tables it writes, read back with pandas, hold
exactly what `tipsim_analysis.open_run` gives for the same file, in real
units (and in agents with --agent-units): a series, the summaries, and a
comparison's effects; and R's read.csv reads a series table to the same
mean as Python."""

import os
import pathlib
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from tipsim_analysis import open_run

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])

TINY = ROOT / "scenarios" / "tiny.toml"
# An arm of tiny.toml with more police, so that the effects are not zero.
MORE_POLICE = f"""extends = "{TINY.as_posix()}"
[scenario]
name = "more police"
[policy.prosecution]
investigators_per_100k = 40
"""
# Each kind of file at a scale other than 1, so that a series left in agents,
# or scaled by another point's scale, differs from open_run's.
KINDS = {
    "run": ["run", TINY, "--replicates", 2, "--steps", 30, "--set", "population.scale=2.5"],
    "sweep": ["sweep", TINY, "--vary", "population.scale=1.5,4", "--vary", "policy.partnership.level=0,1",
              "--replicates", 2, "--steps", 30],
    "comparison": ["compare", TINY, "ARM", "--replicates", 3, "--steps", 30, "--set", "population.scale=3"],
}
# Series of every kind: counts with a category, counts without, money, a rate.
SERIES = ["persons_by_state", "convictions", "exploited_abroad", "spending", "perceived_risk"]


@pytest.fixture(scope="module")
def files(tipsim_cli, tmp_path_factory):
    """One run file of each kind, written by tipsim."""
    folder = tmp_path_factory.mktemp("export_files")
    arm = folder / "more_police.toml"
    arm.write_text(MORE_POLICE)
    paths = {}
    for kind, args in KINDS.items():
        path = folder / f"{kind}.h5"
        args = [str(arm) if a == "ARM" else str(a) for a in args]
        made = subprocess.run([tipsim_cli, *args, "-o", str(path), "--quiet"], capture_output=True, text=True,
                              timeout=600)
        assert made.returncode == 0, made.stderr
        paths[kind] = path
    return paths


def export(tipsim_cli, path, out, *extra):
    result = subprocess.run([tipsim_cli, "export", str(path), "-o", str(out), *extra], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert out.is_dir() and not list(out.parent.glob("*.partial-*"))
    return out


def read_table(path):
    """A CSV table as an analyst reads it exactly: empty fields (and only they)
    missing, and numbers parsed to the double they were written from (pandas'
    default parser may miss it by one unit in the last place)."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], float_precision="round_trip")


def plain(frame, columns):
    """Coordinate columns as int64 or str, so that the CSV's and xarray's compare."""
    for c in columns:
        frame[c] = frame[c].astype("int64") if frame[c].dtype.kind in "iu" else frame[c].astype(str)
    return frame


def expect_series_equal(out, run, name):
    data = run.series[name]
    table = read_table(out / "series" / f"{name}.csv")
    assert len(table) == int(np.prod(data.shape))
    # The labels are the file's: point labels, region names, category labels.
    for label in run.sweep_keys + (["arm"] if run.arms else []):
        by_point = table.groupby("point")[label].first()
        assert list(by_point) == list(run.points[label].values), label
    for dim in data.dims[3:]:
        assert sorted(set(table[dim])) == sorted(str(v) for v in data[dim].values), dim
    dims = list(data.dims)
    expected = plain(data.to_series().rename("expected").reset_index(), dims)
    both = plain(table[dims + ["value"]].copy(), dims).merge(expected, on=dims, how="inner", validate="one_to_one")
    assert len(both) == len(table), f"{name}: rows whose coordinates open_run does not have"
    np.testing.assert_array_equal(both["value"].to_numpy(), both["expected"].to_numpy().astype(float), err_msg=name)
    # Each step's time, as open_run labels the step axis.
    steps = table.groupby("step")[["time_days", "time_years"]].first()
    np.testing.assert_array_equal(steps["time_days"].to_numpy(), run.series.time_days.values)
    np.testing.assert_array_equal(steps["time_years"].to_numpy(), run.series.time_years.values)


@pytest.mark.parametrize("kind", list(KINDS))
def test_series_and_summary_equal_open_run_in_real_units(tipsim_cli, files, tmp_path, kind):
    out = export(tipsim_cli, files[kind], tmp_path / "csv")
    with open_run(files[kind]) as run:
        assert not run.agent_units
        for name in SERIES:
            expect_series_equal(out, run, name)
        summary = read_table(out / "summary.csv")
        assert len(summary) == run.point_count * run.replicate_count * len(run.summary.data_vars)
        for figure in run.summary.data_vars:
            rows = summary[summary["figure"] == figure].set_index(["point", "replicate"])["value"]
            expected = run.summary[figure].to_series()
            np.testing.assert_array_equal(rows.reindex(expected.index).to_numpy(), expected.to_numpy(),
                                          err_msg=figure)
            assert set(rows.index.get_level_values(0)) == set(range(run.point_count))
            assert set(summary.loc[summary["figure"] == figure, "basis"]) == {run.summary[figure].attrs["basis"]}
        # The dictionary says the series now count people.
        dictionary = read_table(out / "dictionary.csv")
        row = dictionary[(dictionary["table"] == "series/convictions.csv") & (dictionary["column"] == "value")]
        assert list(row["basis"]) == ["people"]
        if kind == "sweep":
            assert list(run.point_scales.values) == [1.5, 1.5, 4, 4]


def test_agent_units_equal_open_run_in_agent_units(tipsim_cli, files, tmp_path):
    out = export(tipsim_cli, files["sweep"], tmp_path / "csv", "--agent-units")
    with open_run(files["sweep"], agent_units=True) as run:
        for name in SERIES:
            expect_series_equal(out, run, name)
        summary = read_table(out / "summary.csv")
        for figure in ("exploited_mean", "identified", "spending_total", "prevalence_per_1000"):
            rows = summary[summary["figure"] == figure].set_index(["point", "replicate"])["value"]
            expected = run.summary[figure].to_series()
            np.testing.assert_array_equal(rows.reindex(expected.index).to_numpy(), expected.to_numpy(),
                                          err_msg=figure)
        dictionary = read_table(out / "dictionary.csv")
        row = dictionary[(dictionary["table"] == "series/convictions.csv") & (dictionary["column"] == "value")]
        assert list(row["basis"]) == ["agents"]


def test_comparison_effects_equal_open_run(tipsim_cli, files, tmp_path):
    out = export(tipsim_cli, files["comparison"], tmp_path / "csv")
    effects = read_table(out / "comparison.csv")
    pairs = read_table(out / "comparison_pairs.csv")
    with open_run(files["comparison"]) as run:
        comparison = run.comparison
        arms = [str(a) for a in comparison.arm.values]
        assert arms == ["more police"]
        names = [str(n)[:-5] for n in comparison.data_vars if str(n).endswith("_mean")]
        assert len(effects) == len(arms) * len(names)
        for name in names:
            row = effects[effects["statistic"] == name].set_index("arm")
            for part in ("mean", "ci_low", "ci_high"):
                expected = comparison[f"{name}_{part}"].to_series()
                np.testing.assert_array_equal(row[part].reindex(expected.index).to_numpy(), expected.to_numpy(),
                                              err_msg=f"{name}_{part}")
            assert list(row["unit"]) == [comparison[f"{name}_mean"].attrs["units"]]
        for name in ("victim_years_averted", "convictions", "spending"):
            rows = pairs[pairs["effect"] == name].set_index(["arm", "replicate"])["value"]
            expected = comparison[name].to_series()
            np.testing.assert_array_equal(rows.reindex(expected.index).to_numpy(), expected.to_numpy(), err_msg=name)
        assert effects.loc[effects["statistic"] == "convictions", "mean"].iloc[0] != 0


# R reads the series table with read.csv and prints, for each point, the
# mean over replicates of the persons in exploitation (all regions) at the
# last step. Every value is a whole agent count times the point's scale
# (1.5 or 4), a multiple of 0.5 far below 2^53, so the sums over regions and
# replicates and the mean over two replicates are exact in R and in NumPy
# alike; their few digits are parsed exactly by R's read.csv, and "%.17g"
# prints a double that reads back as itself: the two must agree exactly,
# with no tolerance to argue.
R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
x <- read.csv(args[1])
last <- x[x$step == max(x$step) & x$state == "EXPLOITED", ]
per_run <- aggregate(value ~ point + replicate, data = last, FUN = sum)
per_point <- aggregate(value ~ point, data = per_run, FUN = mean)
for (i in seq_len(nrow(per_point))) cat(sprintf("%d\t%.17g\n", per_point$point[i], per_point$value[i]))
"""


def test_r_reads_a_series_table_to_the_mean_python_gives(tipsim_cli, files, tmp_path):
    rscript = shutil.which("Rscript")
    if not rscript:
        pytest.fail("Rscript is not installed: scripts/setup.sh installs it (Debian's r-base-core)")
    out = export(tipsim_cli, files["sweep"], tmp_path / "csv")
    script = tmp_path / "mean.R"
    script.write_text(R_SCRIPT)
    result = subprocess.run([rscript, str(script), str(out / "series" / "persons_by_state.csv")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    printed = {int(p): float(v) for p, v in (line.split("\t") for line in result.stdout.splitlines())}
    with open_run(files["sweep"]) as run:
        exploited = run.series.persons_by_state.sel(state="EXPLOITED").sum("region").isel(step=-1)
        expected = exploited.mean("replicate").values
    assert sorted(printed) == list(range(len(expected)))
    assert [printed[p] for p in sorted(printed)] == list(expected)
