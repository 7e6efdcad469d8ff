"""Real units in the analysis package: a run file written at
population.scale = 10 holds its series in agents and its summaries, effects
and money in real people and real USD (docs/output-format.md, "Units").
open_run gives everything in real units by default, agents with
agent_units=True, and the report and figures say real people and real USD,
never agent units."""

import os
import pathlib
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])

from tipsim_analysis import open_run
from tipsim_analysis import figures as F
from tipsim_analysis import summaries as S
from tipsim_analysis.report import write_report

TINY = ROOT / "scenarios" / "tiny.toml"
SCALE = 10
# One agent for ten people, a burn-in the summaries leave out, and police busy
# enough that victims are identified and traffickers prosecuted and convicted.
SCALED = ["--set", f"population.scale={SCALE}", "--set", "scenario.burn_in_steps=26", "--set",
          "identification.police_rate_per_year=0.5", "--set", "policy.prosecution.investigators_per_100k=50"]
MORE_POLICE = f"""extends = "{TINY.as_posix()}"
[scenario]
name = "more_police"
[policy.prosecution]
investigators_per_100k = 80
"""
# A flow series and the summary figure that is its total over the measured
# steps, all regions and categories.
FLOW_TOTALS = {"identified_by_form": "identified", "recruitments_by_method": "recruitments",
               "convictions": "convictions", "prosecutions": "prosecutions", "protection_entries":
               "protection_entries", "spending": "spending_total", "trafficker_profit": "trafficker_profit"}


def tipsim(cli, *args):
    result = subprocess.run([cli, *map(str, args), "--quiet"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"tipsim {' '.join(map(str, args))} failed:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def scaled_run(tipsim_cli, tmp_path_factory):
    path = tmp_path_factory.mktemp("units_run") / "scaled.h5"
    tipsim(tipsim_cli, "run", TINY, "--replicates", 3, *SCALED, "-o", path)
    return path


@pytest.fixture(scope="module")
def scaled_comparison(tipsim_cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("units_comparison")
    arm = folder / "more_police.toml"
    arm.write_text(MORE_POLICE)
    path = folder / "comparison.h5"
    tipsim(tipsim_cli, "compare", TINY, arm, "--replicates", 3, *SCALED, "-o", path)
    return path


@pytest.fixture(scope="module")
def scale_sweep(tipsim_cli, tmp_path_factory):
    """A sweep whose points differ in population.scale only: 1 and 10."""
    path = tmp_path_factory.mktemp("units_sweep") / "sweep.h5"
    tipsim(tipsim_cli, "sweep", TINY, "--vary", f"population.scale=1,{SCALE}", "--replicates", 2, "-o", path)
    return path


@pytest.fixture(scope="module")
def scale_factor_sweep(tipsim_cli, tmp_path_factory):
    """A sweep of a factor on the scenario's scale (--vary 'population.scale*=...'): 2.5 and 10 people per agent."""
    path = tmp_path_factory.mktemp("units_factor_sweep") / "sweep.h5"
    tipsim(tipsim_cli, "sweep", TINY, "--set", "population.scale=2.5", "--vary", "population.scale*=1,4",
           "--replicates", 2, "-o", path)
    return path


def raw_group(path, group):
    """{name: (values, basis)} of every variable of a group that has a basis, as h5py reads it."""
    with h5py.File(path, "r") as f:
        return {name: (ds[()], ds.attrs["basis"].decode() if isinstance(ds.attrs["basis"], bytes)
                       else str(ds.attrs["basis"]))
                for name, ds in f[group].items() if "basis" in ds.attrs}


def test_series_come_back_in_real_people_and_money_unchanged(scaled_run):
    raw = raw_group(scaled_run, "series")
    assert {basis for _, basis in raw.values()} == {"agents", "USD", "none"}
    with h5py.File(scaled_run, "r") as f:
        assert f.attrs["population_scale"] == SCALE
    with open_run(scaled_run) as run:
        assert not run.agent_units and run.population_scale == SCALE
        for name, (values, basis) in raw.items():
            data = run.series[name]
            # Still read lazily: nothing is in memory until selected.
            assert not data.variable._in_memory, name
            if basis == "agents":
                np.testing.assert_array_equal(data.values, values * SCALE, err_msg=name)
                assert data.attrs["basis"] == "people", name
            else:
                np.testing.assert_array_equal(data.values, values, err_msg=name)
                assert data.attrs["basis"] == basis, name
        assert run.series["spending"].attrs["units"] == "USD"
        assert run.series["persons_by_state"].attrs["units"] == "persons"
        assert raw["identified_by_form"][0].sum() > 0 and raw["convictions"][0].sum() > 0

        # A selection reads only its part, scaled the same way.
        counts = raw["persons_by_state"][0]
        part = run.series["persons_by_state"].isel(replicate=[2, 0], step=slice(5, 40, 3), state=2)
        np.testing.assert_array_equal(part.values, counts[:, [2, 0]][:, :, 5:40:3][..., 2] * SCALE)
        one = run.series["convictions"].isel(point=0, replicate=1, step=-1, region=0, case_type=0)
        assert float(one) == raw["convictions"][0][0, 1, -1, 0, 0] * SCALE

        # The summaries are real already: read as the file holds them.
        for name, (values, basis) in raw_group(scaled_run, "summary").items():
            np.testing.assert_array_equal(run.summary[name].values, values, err_msg=name)
            assert run.summary[name].attrs["basis"] == basis, name


def test_agent_units_keep_the_files_counts(scaled_run):
    with open_run(scaled_run, agent_units=True) as run:
        assert run.agent_units
        for name, (values, basis) in raw_group(scaled_run, "series").items():
            data = run.series[name]
            np.testing.assert_array_equal(data.values, values, err_msg=name)
            assert data.dtype == values.dtype and data.attrs["basis"] == basis, name
        for name, (values, basis) in raw_group(scaled_run, "summary").items():
            if basis == "people":
                np.testing.assert_allclose(run.summary[name].values, values / SCALE, rtol=1e-15, err_msg=name)
                assert run.summary[name].attrs["basis"] == "agents", name
            else:
                np.testing.assert_array_equal(run.summary[name].values, values, err_msg=name)
                assert run.summary[name].attrs["basis"] == basis, name
        assert run.region_populations().sum() == pytest.approx(20000)
    with open_run(scaled_run) as run:
        assert run.region_populations().sum() == pytest.approx(20000 * SCALE)


@pytest.mark.parametrize("agent_units", [False, True])
def test_summaries_are_the_sums_of_the_series(scaled_run, agent_units):
    """In either unit, each flow summed over the measured steps, regions and
    categories is its summary figure, and a stock's mean is its mean."""
    raw = raw_group(scaled_run, "series")
    with open_run(scaled_run, agent_units=agent_units) as run:
        burn_in = run.burn_in_steps
        assert burn_in == 26
        for series, figure in FLOW_TOTALS.items():
            total = S.window_total(run, series)
            np.testing.assert_allclose(total.values, run.summary[figure].values, rtol=1e-12, err_msg=series)
        np.testing.assert_allclose(S.window_mean(run, "persons_by_state", select={"state": "EXPLOITED"}).values,
                                   run.summary["exploited_mean"].values, rtol=1e-12)
        np.testing.assert_allclose(S.window_total(run, "victim_steps").values * run.step_days / 365,
                                   run.summary["victim_years"].values, rtol=1e-12)
        # The identity in the file's own numbers: people = scale x agents, money as it is.
        identified = raw["identified_by_form"][0][:, :, burn_in:].sum(axis=(2, 3, 4))
        people = identified * (1 if agent_units else SCALE)
        np.testing.assert_array_equal(run.summary["identified"].values, people)
        spending = raw["spending"][0][:, :, burn_in:].sum(axis=(2, 3, 4))
        np.testing.assert_allclose(run.summary["spending_total"].values, spending, rtol=1e-12)


def test_a_sweep_over_the_scale_scales_each_point_by_its_own(scale_sweep):
    raw = raw_group(scale_sweep, "series")
    with open_run(scale_sweep) as run:
        np.testing.assert_array_equal(run.point_scales.values, [1, SCALE])
        for name in ("recruitments_by_method", "persons_by_state"):
            values = raw[name][0]
            np.testing.assert_array_equal(run.series[name].isel(point=0).values, values[0], err_msg=name)
            np.testing.assert_array_equal(run.series[name].isel(point=1).values, values[1] * SCALE, err_msg=name)
            np.testing.assert_array_equal(run.series[name].isel(point=[1, 0], step=3).values,
                                          values[[1, 0], :, 3] * np.array([SCALE, 1])[:, None, None, None])
        np.testing.assert_allclose(S.window_total(run, "recruitments_by_method").values,
                                   run.summary["recruitments"].values, rtol=1e-12)
        assert [run.region_populations(p).sum() for p in range(2)] == pytest.approx([20000, 20000 * SCALE])
    with open_run(scale_sweep, agent_units=True) as run:
        np.testing.assert_allclose(S.window_total(run, "recruitments_by_method").values,
                                   run.summary["recruitments"].values, rtol=1e-12)


def test_a_sweep_of_a_factor_on_the_scale_scales_each_point_by_its_own(scale_factor_sweep):
    """The file names the axis population.scale*, whose values are factors: the
    points' scales are the first point's (the root attribute) times them."""
    raw = raw_group(scale_factor_sweep, "series")
    with open_run(scale_factor_sweep) as run:
        np.testing.assert_array_equal(run.point_scales.values, [2.5, 10])
        values = raw["persons_by_state"][0]
        np.testing.assert_array_equal(run.series["persons_by_state"].isel(point=1).values, values[1] * 10)
        np.testing.assert_allclose(S.window_total(run, "recruitments_by_method").values,
                                   run.summary["recruitments"].values, rtol=1e-12)


def test_comparison_effects_in_agents_are_divided_by_the_scale(scaled_comparison):
    raw = raw_group(scaled_comparison, "comparison")
    assert {basis for _, basis in raw.values()} == {"people", "USD", "none"}
    with open_run(scaled_comparison) as run:
        for name, (values, basis) in raw.items():
            np.testing.assert_array_equal(run.comparison[name].values, values, err_msg=name)
    with open_run(scaled_comparison, agent_units=True) as run:
        for name, (values, basis) in raw.items():
            expected = values / SCALE if basis == "people" else values
            np.testing.assert_allclose(run.comparison[name].values, expected, rtol=1e-15, err_msg=name)
            assert run.comparison[name].attrs["basis"] == ("agents" if basis == "people" else basis), name


def test_the_comparison_figure_shows_real_spending(scaled_comparison):
    """The spending bars are a year's real USD: the series' spending (real
    money in the file) over the measured years, not multiplied again."""
    with open_run(scaled_comparison) as run:
        fig = F.comparison_figure(run)
        bars = fig.axes[0].patches
        per_year = run.summary["spending_total"].mean("replicate").values / run.measured_years
        drawn = np.zeros(run.point_count)
        for bar in bars:
            drawn[int(round(bar.get_y() + bar.get_height() / 2))] += bar.get_width()
        np.testing.assert_allclose(drawn, per_year, rtol=1e-9)
        assert any("the model ran one agent for 10 people" in text.get_text() for text in fig.texts)
        F.plt.close(fig)


def test_report_and_figures_say_real_units(scaled_comparison, tmp_path):
    out = tmp_path / "report"
    report = write_report(scaled_comparison, out, targets=None, embed="svg")
    html = report.html.read_text(encoding="utf-8")
    assert "real people and real USD" in html
    assert "the model ran one agent for 10 people" in html
    texts = {"report.html": html}
    texts.update({p.name: p.read_text(encoding="utf-8") for p in out.glob("*.svg")})
    texts.update({p.name: p.read_text(encoding="utf-8") for p in out.glob("*.csv")})
    assert len(texts) > 5
    for name, text in texts.items():
        assert not re.search(r"agent[- ]units?", text, re.I), name
        assert "counts in agents" not in text and "Counts are in agents" not in text, name
    # The figures' own titles say the units (SVG text is kept as text).
    assert "the model ran one agent for 10 people" in (out / "time_series.svg").read_text(encoding="utf-8")


def test_summary_command_says_real_units(scaled_run):
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-m", "tipsim_analysis", "summary", str(scaled_run)],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert "in real people and real USD (the model ran one agent for 10 people)" in first
    assert "agent" not in first.replace("one agent for", "")
