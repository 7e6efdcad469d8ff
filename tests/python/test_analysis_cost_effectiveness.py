"""Cost-effectiveness in the analysis package: the table, the text, the
report's section and its figure, on a comparison tipsim compare writes
during the test (docs/output-format.md, `comparison/`, "Cost-effectiveness").
Everything is read from the file, so it must equal the file's variables as
h5py reads them and what `tipsim inspect` prints; a comparison written
before tipsim computed cost-effectiveness has no such section."""

import math
import os
import pathlib
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])

from tipsim_analysis import open_run
from tipsim_analysis import figures as F
from tipsim_analysis import summaries as S
from tipsim_analysis.report import write_report

TINY = ROOT / "scenarios" / "tiny.toml"
SCALE = 10
# Arms of tiny.toml, one lever each: fewer shelter places (cheaper than the
# baseline), more (dearer, nothing averted) and four levels of police, so the
# arms fall on the frontier, off it and extendedly dominated.
ARMS = {
    "fewer_shelters": "[policy.protection]\nshelter_beds_per_100k = 5\n",
    "more_shelters": "[policy.protection]\nshelter_beds_per_100k = 30\n",
    "police_10": "[policy.prosecution]\ninvestigators_per_100k = 10\n",
    "police_30": "[policy.prosecution]\ninvestigators_per_100k = 30\n",
    "police_60": "[policy.prosecution]\ninvestigators_per_100k = 60\n",
    "police_120": "[policy.prosecution]\ninvestigators_per_100k = 120\n",
}
# The comparison/ variables and attributes of cost-effectiveness, which an
# older tipsim compare did not write.
CE_VARIABLES = ("frontier_status", "icer_comparator", "icer_mean", "icer_ci_low", "icer_ci_high",
                "net_monetary_benefit_mean", "net_monetary_benefit_ci_low", "net_monetary_benefit_ci_high",
                "probability_most_cost_effective", "acceptability", "acceptability_baseline", "acceptability_value",
                "value")
CE_ATTRIBUTES = ("value_per_victim_year", "baseline_frontier_status")
HEADING = "Cost-effectiveness (--outcome victim-years), arms by extra cost"


def tipsim(cli, *args):
    result = subprocess.run([cli, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"tipsim {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}"
    return result.stdout


def run_module(*args):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "tipsim_analysis", *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def comparison(tipsim_cli, tmp_path_factory):
    """tiny.toml against the six arms, 4 replicate pairs, one agent for ten
    people; the file and what `tipsim compare` printed."""
    folder = tmp_path_factory.mktemp("ce_comparison")
    arms = []
    for name, levers in ARMS.items():
        arm = folder / f"{name}.toml"
        arm.write_text(f'extends = "{TINY.as_posix()}"\n[scenario]\nname = "{name}"\n{levers}')
        arms.append(arm)
    path = folder / "comparison.h5"
    stdout = tipsim(tipsim_cli, "compare", TINY, *arms, "--replicates", 4, "--set", f"population.scale={SCALE}",
                    "-o", path)
    return path, stdout


@pytest.fixture(scope="module")
def older_comparison(comparison, tmp_path_factory):
    """The same comparison as an older tipsim compare wrote it: no cost-effectiveness."""
    path = tmp_path_factory.mktemp("older_comparison") / "older.h5"
    shutil.copy(comparison[0], path)
    with h5py.File(path, "r+") as f:
        group = f["comparison"]
        for name in CE_VARIABLES:
            del group[name]
        for name in CE_ATTRIBUTES:
            del group.attrs[name]
    return path


def raw(path):
    """The comparison/ group as h5py reads it: arms, attributes and every variable."""
    with h5py.File(path, "r") as f:
        group = f["comparison"]
        variables = {name: (ds.asstr()[()] if h5py.check_string_dtype(ds.dtype) else ds[()])
                     for name, ds in group.items()}
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in group.attrs.items()}
    attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in attrs.items()}
    return list(variables["arm_label"]), attrs, variables


def printed_block(stdout):
    """The cost-effectiveness table a tipsim command (or the summary command) printed: heading to blank line."""
    assert HEADING in stdout, f"no cost-effectiveness table in:\n{stdout}"
    block = stdout[stdout.index(HEADING):]
    return block.split("\n\n", 1)[0].rstrip("\n")


def identical(a, b):
    """Equal as numbers, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


# ---- the table -----------------------------------------------------------------------------------------


def test_the_tables_rows_are_the_files_variables(comparison):
    path, _ = comparison
    arms, attrs, v = raw(path)
    baseline = attrs["baseline"]
    with open_run(path) as run:
        table = S.cost_effectiveness_table(run)
    assert table.attrs["value_per_victim_year"] == attrs["value_per_victim_year"]
    assert table.attrs["baseline"] == baseline and table.attrs["replicates"] == 4
    # One row per arm, the baseline included, ordered by extra cost (the baseline first at equal cost).
    assert sorted(table["arm"]) == sorted([baseline, *arms])
    costs = {baseline: 0.0, **dict(zip(arms, v["spending_mean"]))}
    order = [baseline, *arms]
    assert list(table["arm"]) == sorted(order, key=lambda a: (costs[a], order.index(a)))
    # The file must put the arms in several places, or the order and the statuses test little.
    assert len(set(v["frontier_status"])) >= 2 and min(v["spending_mean"]) < 0 < max(v["spending_mean"])

    rows = table.set_index("arm")
    for i, arm in enumerate(arms):
        row = rows.loc[arm]
        expected = {"extra_cost": "spending_mean", "extra_cost_ci_low": "spending_ci_low",
                    "extra_cost_ci_high": "spending_ci_high", "victim_years_averted": "victim_years_averted_mean",
                    "victim_years_averted_ci_low": "victim_years_averted_ci_low",
                    "victim_years_averted_ci_high": "victim_years_averted_ci_high", "icer": "icer_mean",
                    "icer_ci_low": "icer_ci_low", "icer_ci_high": "icer_ci_high",
                    "net_monetary_benefit": "net_monetary_benefit_mean",
                    "net_monetary_benefit_ci_low": "net_monetary_benefit_ci_low",
                    "net_monetary_benefit_ci_high": "net_monetary_benefit_ci_high",
                    "probability_most_cost_effective": "probability_most_cost_effective"}
        for column, variable in expected.items():
            assert identical(row[column], float(v[variable][i])), (arm, column)
        assert row["status"] == v["frontier_status"][i] and row["comparator"] == v["icer_comparator"][i], arm
        # ICERs exist on the frontier only.
        assert math.isnan(row["icer"]) == (row["status"] != "frontier" or row["comparator"] == ""), arm

    base = rows.loc[baseline]
    assert base["status"] == attrs["baseline_frontier_status"] and base["comparator"] == ""
    for column in ("extra_cost", "victim_years_averted", "net_monetary_benefit"):
        assert (base[column], base[f"{column}_ci_low"], base[f"{column}_ci_high"]) == (0, 0, 0), column
    assert math.isnan(base["icer"]) and math.isnan(base["icer_ci_low"]) and math.isnan(base["icer_ci_high"])
    others = 0.0
    for p in v["probability_most_cost_effective"]:
        others += float(p)
    assert base["probability_most_cost_effective"] == 1 - others
    assert table["probability_most_cost_effective"].sum() == pytest.approx(1, abs=1e-12)


def test_the_text_is_what_tipsim_prints(comparison, tipsim_cli):
    """The table as text equals, character for character, the table `tipsim
    compare` printed and `tipsim inspect` prints from the file; in agents too."""
    path, compare_stdout = comparison
    with open_run(path) as run:
        text = S.cost_effectiveness_text(S.cost_effectiveness_table(run))
    assert text == printed_block(compare_stdout)
    assert text == printed_block(tipsim(tipsim_cli, "inspect", path))
    # Every arm's row, and the numbers in it, as tipsim formats them.
    _, _, v = raw(path)
    for i, arm in enumerate(v["arm_label"]):
        line = next(line for line in text.splitlines() if line.startswith(f"  {arm} "))
        assert S.format_figure(float(v["spending_mean"][i])) in line, arm
        assert S.format_figure(float(v["net_monetary_benefit_mean"][i])) in line, arm

    with open_run(path, agent_units=True) as run:
        in_agents = S.cost_effectiveness_text(S.cost_effectiveness_table(run))
    assert in_agents == printed_block(tipsim(tipsim_cli, "inspect", path, "--agent-units"))
    assert in_agents != text  # victim-years averted differ tenfold


def test_the_summary_command_prints_the_table(comparison, tipsim_cli):
    path, _ = comparison
    result = run_module("summary", path)
    assert result.returncode == 0, result.stderr
    assert printed_block(result.stdout) == printed_block(tipsim(tipsim_cli, "inspect", path))


def test_acceptability_curves_are_the_files(comparison):
    path = comparison[0]
    arms, attrs, v = raw(path)
    with open_run(path) as run:
        curves = S.acceptability_curves(run)
    assert list(curves.columns) == ["value", attrs["baseline"], *arms]
    np.testing.assert_array_equal(curves["value"], v["acceptability_value"])
    np.testing.assert_array_equal(curves[attrs["baseline"]], v["acceptability_baseline"])
    for i, arm in enumerate(arms):
        np.testing.assert_array_equal(curves[arm], v["acceptability"][:, i], err_msg=arm)


# ---- the figure ---------------------------------------------------------------------------------------------


def by_gid(ax, gid):
    found = [line for line in ax.get_lines() if line.get_gid() == gid]
    assert len(found) == 1, f"{len(found)} lines with gid {gid!r}"
    return found[0]


def test_the_acceptability_lines_end_at_the_files_values(comparison):
    path = comparison[0]
    arms, attrs, v = raw(path)
    with open_run(path) as run:
        fig = F.cost_effectiveness_figure(run)
    plane, ceac = fig.axes[:2]
    values = v["acceptability_value"]
    curves = {attrs["baseline"]: v["acceptability_baseline"], **{a: v["acceptability"][:, i]
                                                                for i, a in enumerate(arms)}}
    for arm, curve in curves.items():
        line = by_gid(ceac, f"acceptability:{arm}")
        np.testing.assert_array_equal(line.get_xdata(), values, err_msg=arm)
        np.testing.assert_array_equal(line.get_ydata(), curve, err_msg=arm)
        assert (line.get_xdata()[-1], line.get_ydata()[-1]) == (values[-1], curve[-1]), arm
        assert arm in line.get_label()
    # A log axis that still shows the value 0: linear up to the first value above it.
    assert values[0] == 0 and ceac.get_xscale() == "symlog"
    assert ceac.get_xlim() == (values[0], values[-1])
    assert list(by_gid(ceac, "value_per_victim_year").get_xdata()) == [attrs["value_per_victim_year"]] * 2
    assert "USD" in ceac.get_xlabel() and "USD" in plane.get_ylabel() and "person-years" in plane.get_xlabel()
    F.plt.close(fig)


def test_the_plane_joins_the_frontier_and_marks_dominated_arms(comparison):
    """Each arm at (victim-years averted, extra cost), filled on the frontier
    and open off it; the frontier joined in order of cost."""
    path = comparison[0]
    arms, attrs, v = raw(path)
    with open_run(path) as run:
        fig = F.cost_effectiveness_figure(run)
    plane = fig.axes[0]
    points = {attrs["baseline"]: (0.0, 0.0, attrs["baseline_frontier_status"])}
    points.update({a: (v["victim_years_averted_mean"][i], v["spending_mean"][i], v["frontier_status"][i])
                   for i, a in enumerate(arms)})
    for arm, (x, y, status) in points.items():
        marker = by_gid(plane, f"arm:{arm}")
        assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (x, y), arm
        assert (marker.get_markerfacecolor() == "white") == (status != "frontier"), arm
    frontier = sorted((y, x) for x, y, status in points.values() if status == "frontier")
    line = by_gid(plane, "frontier")
    assert list(zip(line.get_ydata(), line.get_xdata())) == frontier
    F.plt.close(fig)


# ---- the report, and files without cost-effectiveness --------------------------------------------------------


def section(html, sid):
    match = re.search(rf'<section id="{sid}">(.*?)</section>', html, re.S)
    assert match, f"no section {sid}"
    return match.group(1)


def test_the_report_has_the_section_and_the_figure(comparison, tmp_path):
    path = comparison[0]
    arms, attrs, v = raw(path)
    report = write_report(path, tmp_path, targets=None)
    html = report.html.read_text(encoding="utf-8")
    body = section(html, "cost-effectiveness")
    assert body.startswith("<h2>Cost-effectiveness</h2>")
    missing = [snippet for snippet in ('id="figure-cost_effectiveness"', 'data-file="cost_effectiveness.png"',
                                       'href="cost_effectiveness.csv"') if snippet not in body]
    assert missing == []
    for suffix in (".png", ".svg"):
        assert (tmp_path / f"cost_effectiveness{suffix}").stat().st_size > 1000
    # The table: every arm, its status, extra cost and net benefit as tipsim prints them.
    for i, arm in enumerate(arms):
        row = re.search(rf"<tr><td>{arm}</td>(.*?)</tr>", body)
        assert row, arm
        assert f">{S.format_figure(float(v['spending_mean'][i]))}<" in row.group(1), arm
        assert f">{S.format_figure(float(v['net_monetary_benefit_mean'][i]))}<" in row.group(1), arm
        assert f"<td>{v['frontier_status'][i]}</td>" in row.group(1), arm
    assert body.count(f"<tr><td>{attrs['baseline']}</td>") == 1
    csv = pd.read_csv(tmp_path / "cost_effectiveness.csv", float_precision="round_trip")
    with open_run(path) as run:
        table = S.cost_effectiveness_table(run)
    assert list(csv.iloc[:, 0]) == list(table["arm"])
    np.testing.assert_array_equal(csv["extra cost (USD)"], table["extra_cost"])


def test_an_older_comparison_has_no_such_section(older_comparison, tmp_path):
    with open_run(older_comparison) as run:
        assert not S.has_cost_effectiveness(run)
        with pytest.raises(ValueError, match="no cost-effectiveness results"):
            S.cost_effectiveness_table(run)
        assert len(S.comparison_effects(run)) == 6 * 12  # the paired effects are still there
    report = write_report(older_comparison, tmp_path, targets=None)
    html = report.html.read_text(encoding="utf-8")
    # Checked as flags: pytest's diff of a whole report page against a snippet takes minutes.
    leftovers = [snippet for snippet in ('id="cost-effectiveness"', 'id="figure-cost_effectiveness"',
                                         "cost_effectiveness.png", "cost_effectiveness.csv", "Cost-effectiveness")
                 if snippet in html]
    assert leftovers == []
    assert not list(tmp_path.glob("cost_effectiveness*"))
    result = run_module("summary", older_comparison)
    assert result.returncode == 0, result.stderr
    assert HEADING not in result.stdout and "anti-trafficking spending" in result.stdout
