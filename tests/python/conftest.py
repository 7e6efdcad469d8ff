"""Shared fixtures for the Python tests: the tipsim binary, the source tree
and tiny files of every kind (run, sweep, comparison) written by the binary
during the test session.

ctest sets TIPSIM_CLI (the tipsim binary) and TIPSIM_SOURCE_DIR (the
repository root). Run by hand, TIPSIM_RUN_FILE may name an existing run
file to test instead of writing one.
"""

import os
import pathlib
import subprocess

import pytest

# The smallest scenario that exercises every series: one region, 20 steps.
TINY_SCENARIO = "[scenario]\nsteps = 20\n[population]\nsize = 2000\n"


@pytest.fixture(scope="session")
def source_dir():
    given = os.environ.get("TIPSIM_SOURCE_DIR")
    return pathlib.Path(given) if given else pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tipsim_cli():
    cli = os.environ.get("TIPSIM_CLI")
    if not cli:
        pytest.fail("TIPSIM_CLI is not set: run the tests through ctest, or set it to the tipsim binary")
    if not os.access(cli, os.X_OK):
        pytest.fail(f"TIPSIM_CLI={cli} is not an executable file")
    return cli


# More traffickers, demand and police in the tiny world, so that its event
# log has recruitments and identifications in every replicate.
BUSIER = ["--set", "traffickers.initial_per_100k=600", "--set", "market.demand_sexual_per_100k=1500", "--set",
          "market.demand_domestic_per_100k=1000", "--set", "policy.protection.shelter_beds_per_100k=20", "--set",
          "identification.police_rate_per_year=0.5"]

# An arm of the tiny world: more investigators and shelter places from step 5.
TINY_ARM = """extends = "tiny.toml"
[scenario]
name = "surge"
[[intervention]]
name = "police and shelters"
start_step = 5
end_step = 20
[intervention.scale]
"policy.prosecution.investigators_per_100k" = 5.0
"policy.protection.shelter_beds_per_100k" = 4.0
"""


def _cli():
    cli = os.environ.get("TIPSIM_CLI")
    if not cli:
        pytest.fail("TIPSIM_CLI is not set: run the tests through ctest, or set it to the tipsim binary "
                    "(or TIPSIM_RUN_FILE to an existing run file)")
    return cli


def _write_with_tipsim(folder, name, args):
    """Runs `tipsim ARGS -o FOLDER/NAME --quiet` in a folder holding the tiny scenario and its arm."""
    (folder / "tiny.toml").write_text(TINY_SCENARIO)
    (folder / "surge.toml").write_text(TINY_ARM)
    path = folder / name
    result = subprocess.run([_cli(), *args, "-o", str(path), "--quiet"], cwd=folder, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"tipsim {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
    assert path.is_file()
    assert not list(folder.glob("*.partial-*")), "the temporary file was left behind"
    return path


@pytest.fixture(scope="session")
def tiny_run_file(tmp_path_factory):
    """A run file of the tiny scenario, 2 replicates, with the event log and
    snapshots every 5 steps, written by `tipsim run`."""
    given = os.environ.get("TIPSIM_RUN_FILE")
    if given:
        return pathlib.Path(given)
    return _write_with_tipsim(tmp_path_factory.mktemp("tiny_run"), "run.h5",
                              ["run", "tiny.toml", "--replicates", "2", "--events", "--snapshot-every", "5",
                               *BUSIER])


@pytest.fixture(scope="session")
def plain_run_file(tmp_path_factory):
    """A run file of the tiny scenario without event log or snapshots."""
    return _write_with_tipsim(tmp_path_factory.mktemp("plain_run"), "plain.h5", ["run", "tiny.toml"])


@pytest.fixture(scope="session")
def sweep_file(tmp_path_factory):
    """A 3 x 2 sweep of the tiny scenario, 2 replicates per point."""
    return _write_with_tipsim(tmp_path_factory.mktemp("sweep"), "sweep.h5",
                              ["sweep", "tiny.toml", "--vary", "policy.partnership.level=0:1:3", "--vary",
                               "policy.protection.non_punishment=false,true", "--replicates", "2"])


@pytest.fixture(scope="session")
def comparison_file(tmp_path_factory):
    """The tiny scenario (baseline) against its surge arm, 3 replicate pairs,
    with the event log."""
    return _write_with_tipsim(tmp_path_factory.mktemp("comparison"), "comparison.h5",
                              ["compare", "tiny.toml", "surge.toml", "--replicates", "3", "--events"])


@pytest.fixture(scope="session")
def every_kind_of_file(tiny_run_file, plain_run_file, sweep_file, comparison_file):
    """One file of each kind, by name."""
    return {"run with events and snapshots": tiny_run_file, "plain run": plain_run_file, "sweep": sweep_file,
            "comparison": comparison_file}
