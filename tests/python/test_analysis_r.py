"""analysis/examples/read_run.R, the R example of analysis/README.md, on a
plain run, a run at ten people per agent and a comparison the tipsim
command writes: the provenance, the band of persons in exploitation and
every headline figure it prints equal the Python package's, in real
people and real USD. R and Debian's r-cran-hdf5r are part of the set-up
(scripts/setup.sh), so a machine without them fails here."""

import functools
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])

from tipsim_analysis import open_run
from tipsim_analysis import summaries as S

EXAMPLE = ROOT / "analysis" / "examples" / "read_run.R"
TINY = ROOT / "scenarios" / "tiny.toml"
# An arm of tiny.toml with more police, so the comparison's two points differ.
MORE_POLICE = f"""extends = "{TINY.as_posix()}"
[scenario]
name = "more_police"
[policy.prosecution]
investigators_per_100k = 40
"""
# The per-run figures the example prints for each point.
FIGURES = ["exploited_mean", "recruitments", "identified", "prosecutions", "convictions", "traffickers_active_final",
           "spending_total"]
# The example prints its summary lines with sprintf("%.15g"), within half a
# unit of the 15th significant digit (5e-15 relative) of R's value; R and
# NumPy may also differ in the last bit of a mean or an interpolated
# quantile (2e-16), so twice the rounding bound holds both.
SUMMARY_REL = 1e-14
# The band table is printed by print(data.frame, digits = 4): every value
# to at least 4 significant digits, within half a unit of the 4th.
BAND_REL = 5e-4


@functools.lru_cache(maxsize=None)
def rscript_with_hdf5r():
    """Rscript, once R has shown it loads hdf5r; fails the test otherwise."""
    rscript = shutil.which("Rscript")
    if not rscript:
        pytest.fail("Rscript is not installed: scripts/setup.sh installs it (Debian's r-base-core and r-cran-hdf5r)")
    probe = subprocess.run([rscript, "-e", "suppressPackageStartupMessages(library(hdf5r))"], capture_output=True,
                           text=True, timeout=120)
    assert probe.returncode == 0, ("R cannot load hdf5r: scripts/setup.sh installs it (Debian's r-cran-hdf5r)\n"
                                   + probe.stderr)
    return rscript


def band_rows(stdout):
    """The rows (years, low, median, high) of the printed band table."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("persons in exploitation,"))
    assert lines[start + 1].split() == ["years", "low", "median", "high"], lines[start + 1]
    rows = []
    for line in lines[start + 2:]:
        if not line.strip():
            break
        rows.append([float(v) for v in line.split()])
    return rows


@pytest.mark.parametrize("kind", ["run", "scaled run", "comparison"])
def test_the_r_example_reads_what_python_reads(tipsim_cli, tmp_path, kind):
    rscript = rscript_with_hdf5r()
    path = tmp_path / f"{kind.replace(' ', '_')}.h5"
    if kind == "run":
        args = ["run", TINY, "--replicates", 3]
    elif kind == "scaled run":
        # The series count agents: R must multiply them by the scale as Python does.
        args = ["run", TINY, "--replicates", 3, "--set", "population.scale=10"]
    else:
        arm = tmp_path / "more_police.toml"
        arm.write_text(MORE_POLICE)
        args = ["compare", TINY, arm, "--replicates", 3]
    made = subprocess.run([tipsim_cli, *map(str, args), "-o", str(path), "--quiet"], capture_output=True, text=True,
                          timeout=600)
    assert made.returncode == 0, made.stderr

    result = subprocess.run([rscript, str(EXAMPLE), str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{EXAMPLE.name} failed:\n{result.stderr}"
    lines = result.stdout.splitlines()
    summary_lines = [line.split("\t") for line in lines if line.startswith("summary\t")]
    assert summary_lines[0] == ["summary", "figure", "point", "mean", "low", "median", "high", "units"]
    rows = summary_lines[1:]

    with open_run(path) as run:
        p = run.provenance
        assert lines[0] == (f"scenario: {run.scenario_name} | tipsim {p['program_version']} "
                            f"({p['source_revision']}) | seed {p['seed']}")
        assert lines[1] == f"command: {p['command_line']}"

        # The band over replicates of persons in exploitation, all regions, the first point.
        band = S.bands(S.headline_series(run, "exploited")).isel(point=0)
        years = run.series.time_years.values
        printed = band_rows(result.stdout)
        assert len(printed) >= 2
        for at, low, median, high in printed:
            step = int(abs(years - at).argmin())
            assert at == pytest.approx(years[step], rel=BAND_REL, abs=0), printed
            for name, value in (("low", low), ("median", median), ("high", high)):
                assert value == pytest.approx(float(band[name][step]), rel=BAND_REL, abs=0), (name, step)

        # Every headline figure of every point, with its units.
        table = S.summary_table(run, FIGURES).set_index(["figure", "point_label"])
        assert [(figure, point) for _, figure, point, *_ in rows] == [
            (figure, label) for figure in FIGURES for label in run.point_labels]
        for _, figure, point, mean, low, median, high, units in rows:
            expected = table.loc[(figure, point)]
            for name, value in (("mean", mean), ("low", low), ("median", median), ("high", high)):
                assert float(value) == pytest.approx(expected[name], rel=SUMMARY_REL, abs=0), (figure, point, name)
            assert units == expected["units"]
        if kind == "scaled run":
            assert run.population_scale == 10 and printed[0][2] % 10 == 0
        if kind == "comparison":
            assert run.point_labels == ["tiny", "more_police"]
            assert table.loc[("convictions", "more_police"), "mean"] != table.loc[("convictions", "tiny"), "mean"]
