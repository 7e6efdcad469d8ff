"""tipsim_analysis.allocation against a `tipsim allocate` file written by the binary."""

import pathlib
import subprocess

import h5py
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

from tipsim_analysis import allocation as A

# One region, no routes: border screening can do nothing, demand reduction a lot.
TOY = """[scenario]
name = "no borders"
steps = 120
seed = 3
burn_in_steps = 10
[population]
size = 20000
[traffickers]
initial_per_100k = 600
[market]
demand_sexual_per_100k = 1500
demand_domestic_per_100k = 1000
"""


@pytest.fixture(scope="module")
def allocation_file(tipsim_cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("allocation")
    (folder / "toy.toml").write_text(TOY)
    out = folder / "toy.h5"
    subprocess.run([tipsim_cli, "allocate", str(folder / "toy.toml"), "--budget", "2000", "--over",
                    "policy.prevention.demand_reduction", "--over", "policy.protection.border_screening",
                    "--resolution", "2", "--levels", "2", "--replicates", "3", "-o", str(out), "--quiet"],
                   check=True, capture_output=True, text=True)
    return out


def test_the_frontier_table_is_the_files_frontier(allocation_file):
    table = A.frontier_table(allocation_file)
    with h5py.File(allocation_file, "r") as f:
        a = f["allocation"]
        np.testing.assert_array_equal(table["budget_usd_per_year"], a["frontier_budget"][()])
        np.testing.assert_array_equal(table["victim_years_averted_mean"], a["frontier_victim_years_averted_mean"][()])
        np.testing.assert_array_equal(table["probability_better_than_even"],
                                      a["frontier_probability_better_than_even"][()])
        weights = a["weight"][()]
        for level, best in enumerate(a["frontier_best_point"][()].astype(int)):
            assert table["policy.prevention.demand_reduction"][level] == weights[best, 0]
    # The known best split of the toy world: everything to demand reduction.
    assert list(table["policy.prevention.demand_reduction"]) == [1.0, 1.0]
    assert list(table["budget_usd_per_year"]) == [1000.0, 2000.0]


def test_the_frontier_figure_draws_the_table(allocation_file):
    table = A.frontier_table(allocation_file)
    fig = A.frontier_figure(allocation_file)
    best = fig.axes[0].lines[0]
    np.testing.assert_allclose(best.get_xdata()[1:], table["budget_usd_per_year"] / 1e6)
    np.testing.assert_allclose(best.get_ydata()[1:], table["victim_years_averted_mean"])
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "ahead of even in" in texts


def test_other_files_are_refused(tiny_run_file):
    assert A.read_allocation(tiny_run_file) is None
    with pytest.raises(ValueError, match="not a tipsim allocate file"):
        A.frontier_table(tiny_run_file)


# An allocation's arms are named by their splits, long names that once squeezed the cost-effectiveness
# plane's axes to nothing (matplotlib then gives up the layout and says so).
@pytest.mark.filterwarnings("error:constrained_layout not applied")
def test_the_report_draws_the_frontier(allocation_file, tmp_path):
    from tipsim_analysis import report

    written = report.write_report(allocation_file, tmp_path / "report", targets=None)
    text = written.html.read_text(encoding="utf-8")
    assert text.count('id="allocation"') == 1
    assert [f.name for f in written.figures].count("allocation") == 1
    frontier = [t for t in written.tables if t.name == "allocation"]
    assert len(frontier) == 1
    np.testing.assert_array_equal(frontier[0].frame["probability_better_than_even"],
                                  A.frontier_table(allocation_file)["probability_better_than_even"])


def test_long_arm_names_are_numbered_on_the_plane(allocation_file):
    from tipsim_analysis import figures as F, open_run

    with open_run(allocation_file) as run:
        fig = F.cost_effectiveness_figure(run)
    plane, ceac = fig.axes[:2]
    # The baseline (0) and the six splits, numbered where they stand; the legend says which is which.
    assert sorted(t.get_text() for t in plane.texts) == [str(i) for i in range(7)]
    legend = [t.get_text().replace("\n", " ") for t in ceac.get_legend().get_texts()]
    assert legend[0] == "0: no borders (baseline)"
    assert legend[1].startswith("1: 1,000 USD/yr:") and "policy.prevention.demand_reduction 1," in legend[1]
