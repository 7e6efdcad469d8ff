"""Every report and every figure says what the results are not (a forecast),
the calibration they rest on, the scale and the replicates, and where they
come from: tipsim_analysis.provenance, the report's Limitations block, the
figures' footer and `python3 -m tipsim_analysis summary`."""

import dataclasses
import os
import pathlib
import re
import subprocess
import sys
import warnings

import h5py
import pytest

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])

from tipsim_analysis import allocation as A
from tipsim_analysis import calibrate, open_run
from tipsim_analysis import figures as F
from tipsim_analysis import provenance as P
from tipsim_analysis import summaries as S
from tipsim_analysis.report import write_report

SCENARIOS = ROOT / "scenarios"
TARGETS = ROOT / "analysis" / "data" / "calibration_targets.csv"

# The calibrated world, made small enough for a test: a scenario extends it
# (as the world_* library does) with few agents and steps; the scale stays.
SMALL_WORLD = """extends = "world_baseline.toml"
[scenario]
name = "small_world"
steps = 30
burn_in_steps = 5
[population]
size = 4000
"""

# An arm on the small world, so that there is a comparison to draw.
SMALL_WORLD_ARM = """extends = "small_world.toml"
[scenario]
name = "small_world_police"
[[intervention]]
name = "more police"
start_step = 5
end_step = 30
[intervention.scale]
"policy.prosecution.investigators_per_100k" = 5.0
"""


def tipsim(cli, *args, cwd=None):
    result = subprocess.run([cli, *map(str, args), "--quiet"], capture_output=True, text=True, timeout=600, cwd=cwd)
    assert result.returncode == 0, f"tipsim {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}"


@pytest.fixture(scope="module")
def illustrative_run(tipsim_cli, tmp_path_factory):
    """scenarios/tiny.toml, short: an illustrative scenario (invented regions)."""
    path = tmp_path_factory.mktemp("illustrative") / "tiny.h5"
    tipsim(tipsim_cli, "run", SCENARIOS / "tiny.toml", "--steps", 20, "--replicates", 2, "-o", path)
    return path


@pytest.fixture(scope="module")
def world_folder(tmp_path_factory):
    """A folder with a copy of the calibrated world and the small scenarios built on it."""
    folder = tmp_path_factory.mktemp("small_world")
    (folder / "world_baseline.toml").write_text((SCENARIOS / "world_baseline.toml").read_text(encoding="utf-8"))
    (folder / "small_world.toml").write_text(SMALL_WORLD)
    (folder / "small_world_police.toml").write_text(SMALL_WORLD_ARM)
    return folder


@pytest.fixture(scope="module")
def world_comparison(tipsim_cli, world_folder):
    """The small world against its police arm, 3 replicate pairs, at the world's scale."""
    path = world_folder / "comparison.h5"
    tipsim(tipsim_cli, "compare", world_folder / "small_world.toml", world_folder / "small_world_police.toml",
           "--replicates", 3, "-o", path)
    return path


@pytest.fixture(scope="module")
def world_itself(tipsim_cli, tmp_path_factory):
    """world_baseline.toml itself, made small on the command line."""
    path = tmp_path_factory.mktemp("world_itself") / "world.h5"
    tipsim(tipsim_cli, "run", SCENARIOS / "world_baseline.toml", "--steps", 20, "--replicates", 2, "--set",
           "population.size=3000", "--set", "scenario.burn_in_steps=2", "-o", path)
    return path


@pytest.fixture(scope="module")
def allocation_file(tipsim_cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("allocation")
    path = folder / "allocation.h5"
    tipsim(tipsim_cli, "allocate", SCENARIOS / "tiny.toml", "--steps", 30, "--budget", "2000", "--over",
           "policy.prevention.demand_reduction", "--over", "policy.protection.border_screening", "--resolution", 2,
           "--levels", 1, "--replicates", 2, "-o", path)
    return path


def section(html, name):
    """One <section id=NAME> of a report, extracted, so assertions look at a small piece."""
    match = re.search(rf'<section id="{name}"[^>]*>.*?</section>', html, re.S)
    assert match, f"no section {name} in the report"
    return match.group(0)


def plain(block):
    """A block's text without tags or entities' escapes, for reading sentences."""
    return re.sub(r"<[^>]+>", " ", block).replace("&#x27;", "'").replace("&amp;", "&")


def target_count():
    return len(calibrate.read_targets(TARGETS))


# ---- which calibration a scenario rests on ----------------------------------------------------------


def test_the_calibrated_world_is_told_by_its_fitted_values(world_itself):
    with open_run(world_itself) as run:
        notes = P.run_notes(run)
    assert notes.calibration.status == P.CALIBRATED
    text = dict(notes.limitations)["Calibration"]
    assert "world_baseline is the calibrated world" in text
    assert f"the {target_count()} real-world targets" in text and "docs/calibration.md" in text
    # Its size was changed on the command line, which the calibration does not cover.
    assert notes.calibration.changed_by == ("--set",)
    assert "(--set), which the calibration does not cover" in text


def test_a_scenario_extending_the_calibrated_world_rests_on_it(world_comparison):
    with open_run(world_comparison) as run:
        notes = P.run_notes(run)
    c = notes.calibration
    assert (c.status, c.base, c.chain) == (P.BUILT_ON_CALIBRATED, "world_baseline",
                                            ("small_world.toml", "world_baseline.toml"))
    text = dict(notes.limitations)["Calibration"]
    assert "small_world is built on world_baseline" in text
    assert "what small_world changes (its own values, interventions and size) is not calibrated" in text
    assert "The arms' changes to it are not calibrated either." in text


def test_what_decides_calibration(illustrative_run, monkeypatch):
    """The scenario text decides; the name only when the text cannot. An
    `extends` is looked for in scenarios/ of the working directory, the
    repository root (the installed package is not in the source tree)."""
    monkeypatch.chdir(ROOT)
    with open_run(illustrative_run) as run:
        assert P.calibration_of(run).status == P.NOT_CALIBRATED

        def as_if(text, name="mine", source=None):
            provenance = dict(run.provenance, scenario_name=name)
            provenance.pop("scenario_source_path", None)
            if source:
                provenance["scenario_source_path"] = source
            return P.calibration_of(dataclasses.replace(run, source_text=text, provenance=provenance))

        # A name is not enough when the text says otherwise.
        assert as_if('[scenario]\nname = "world_mine"\n', "world_mine").status == P.NOT_CALIBRATED
        # Through the library: world_prosecution_with_protection extends world_prosecution_surge, which
        # extends world_baseline.
        deep = as_if('extends = "world_prosecution_with_protection.toml"\n')
        assert deep.status == P.BUILT_ON_CALIBRATED
        assert deep.chain == ("mine", "world_prosecution_with_protection.toml", "world_prosecution_surge.toml",
                              "world_baseline.toml")
        assert as_if('extends = "baseline.toml"\n').status == P.NOT_CALIBRATED
        missing = as_if('extends = "nowhere.toml"\n')
        assert missing.status == P.NOT_CALIBRATED and "nowhere.toml, which was not found" in missing.evidence
        # No text at all (a built-in scenario): the name is all there is.
        assert as_if("", "world_baseline").status == P.CALIBRATED
        assert as_if("", "world_fee_ban").status == P.BUILT_ON_CALIBRATED
        assert as_if("", "tiny").status == P.NOT_CALIBRATED


# ---- the report ------------------------------------------------------------------------------------------


def test_the_report_of_an_illustrative_run_says_so(illustrative_run, tmp_path):
    report = write_report(illustrative_run, tmp_path / "report", targets=None)
    html = report.html.read_text(encoding="utf-8")
    block = section(html, "limitations")
    # Near the top: before the provenance and before the first figure.
    assert html.index(block) < html.index('<section id="provenance"') < html.index("<figure")
    text = plain(block)
    assert "Limitations" in text
    assert "not a forecast of what will happen and not an estimate of how many people are trafficked" in text
    assert "tiny is illustrative" in text and "not calibrated to any country or to real-world data" in text
    assert "is the calibrated world" not in text and "built on world_baseline" not in text
    assert "calibration_targets.csv" not in text
    assert "One agent is one person" in text
    assert "2 replicates per point" in text and "only the simulation's randomness" in text
    with h5py.File(illustrative_run, "r") as f:
        revision = f.attrs["source_revision"]
        revision = revision.decode() if isinstance(revision, bytes) else str(revision)
    # The provenance table is there once, with the revision.
    assert html.count('<section id="provenance"') == 1
    assert f"<td>{revision}</td>" in section(html, "provenance")


def test_the_report_of_a_calibrated_world_names_its_calibration_and_scale(world_comparison, tmp_path):
    report = write_report(world_comparison, tmp_path / "report", targets=None)
    html = report.html.read_text(encoding="utf-8")
    block = section(html, "limitations")
    assert html.index(block) < html.index("<figure")
    text = plain(block)
    assert "small_world is built on world_baseline" in text
    assert f"calibrated to the {target_count()} real-world targets of analysis/data/calibration_targets.csv" in text
    assert "docs/calibration.md" in text
    assert "illustrative" not in text
    assert "The model ran one agent for 1,000 people" in text and "integer noise" in text
    assert "3 replicates per point" in text
    with open_run(world_comparison) as run:
        revision = run.provenance["source_revision"]
    assert f"<td>{revision}</td>" in section(html, "provenance")


# ---- the figures -----------------------------------------------------------------------------------------


def footers(fig):
    return [t for t in fig.texts if t.get_gid() == F.FOOTER_GID]


def check_footer(fig, notes):
    """The figure carries the run's footer once, inside the figure, clear of every axes and legend."""
    found = footers(fig)
    assert len(found) == 1, f"{len(found)} footers"
    footer = found[0]
    # Wrapping breaks a line at its ' · ' separators or at spaces: every part must be there.
    flat = footer.get_text().replace("\n", " ")
    for line in notes.footer:
        for part in line.split(" · "):
            assert part in flat, part
    assert "Simulation, not a forecast" in flat
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    box = footer.get_window_extent(renderer)
    assert box.y0 >= 0 and box.x0 >= 0 and box.x1 <= fig.bbox.width + 1, "the footer leaves the figure"
    others = [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
    others += [legend.get_window_extent(renderer) for legend in fig.legends]
    for other in others:
        assert other.y0 >= -1, "a legend or axes is cut off at the bottom"
        assert not box.overlaps(other), f"the footer overlaps {other}"


FIGURES_OF_A_COMPARISON = {
    "time_series": F.time_series_figure,
    "state_composition": F.state_composition_figure,
    "survivor_pathways": F.survivor_pathways_figure,
    "comparison": F.comparison_figure,
    "cost_effectiveness": F.cost_effectiveness_figure,
    "regional_map": F.regional_map_figure,
    "model_vs_data": lambda run: F.model_vs_data_figure(S.model_vs_data(run, TARGETS, points=[0])),
}


@pytest.mark.parametrize("name", list(FIGURES_OF_A_COMPARISON))
def test_every_figure_carries_the_footer(world_comparison, name):
    with open_run(world_comparison) as run:
        notes = P.run_notes(run)
        fig = FIGURES_OF_A_COMPARISON[name](run)
    assert "built on world_baseline, calibrated to" in notes.footer[0]
    assert "1 agent = 1,000 people" in notes.footer[0]
    assert notes.footer[1].startswith(f"tipsim {run.provenance['program_version']} "
                                      f"(rev {run.provenance['source_revision']})")
    assert "seed 20221" in notes.footer[1] and "2 points × 3 replicates" in notes.footer[1]
    check_footer(fig, notes)
    F.plt.close(fig)


def test_the_response_curves_carry_the_footer(sweep_file):
    with open_run(sweep_file) as run:
        notes = P.run_notes(run)
        fig = F.response_curves_figure(run)
    assert "illustrative scenario, not calibrated to any country" in notes.footer[0]
    check_footer(fig, notes)
    F.plt.close(fig)


def test_the_allocation_frontier_carries_the_footer(allocation_file):
    with open_run(allocation_file) as run:
        notes = P.run_notes(run)
    fig = A.frontier_figure(allocation_file)
    check_footer(fig, notes)
    # Its own caveat stays, in the footer's strip.
    assert "biased upwards" in footers(fig)[0].get_text().replace("\n", " ")
    F.plt.close(fig)


def test_the_footer_keeps_clear_where_the_layout_gives_up(allocation_file):
    """The arms of an allocation have long names: the cost-effectiveness
    figure's constrained layout gives up (matplotlib warns), and the footer
    still finds room."""
    with open_run(allocation_file) as run:
        notes = P.run_notes(run)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "constrained_layout not applied", UserWarning)
            fig = F.cost_effectiveness_figure(run)
    check_footer(fig, notes)
    F.plt.close(fig)


def test_a_saved_figure_holds_the_footer(world_comparison, tmp_path):
    with open_run(world_comparison) as run:
        paths = F.save_figure(F.state_composition_figure(run), tmp_path, "composition")
    svg = paths["svg"].read_text(encoding="utf-8")
    assert 'id="tipsim-footer' in svg
    match = re.search(r'<g id="tipsim-footer[^"]*">.*?</g>', svg, re.S)
    assert match and "Simulation, not a forecast" in match.group(0)


# ---- the summary command ----------------------------------------------------------------------------------


def test_the_summary_command_ends_with_the_limitations(illustrative_run):
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-m", "tipsim_analysis", "summary", str(illustrative_run)],
                            capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Limitations" in lines, result.stdout[-2000:]
    heading = lines.index("Limitations")
    table = next(i for i, line in enumerate(lines) if line.strip().startswith("convictions"))
    assert heading > table
    after = " ".join(line.strip() for line in lines[heading:])
    assert "not a forecast" in after and "tiny is illustrative" in after and "One agent is one person" in after
