"""Shared fixtures for the Python tests: the tipsim binary, the source tree
and a tiny run file written by the binary during the test session.

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


@pytest.fixture(scope="session")
def tiny_run_file(tmp_path_factory):
    """A run file of the tiny scenario, 2 replicates, written by `tipsim run`."""
    given = os.environ.get("TIPSIM_RUN_FILE")
    if given:
        return pathlib.Path(given)
    cli = os.environ.get("TIPSIM_CLI")
    if not cli:
        pytest.fail("TIPSIM_CLI is not set: run the tests through ctest, or set it to the tipsim binary "
                    "(or TIPSIM_RUN_FILE to an existing run file)")
    folder = tmp_path_factory.mktemp("tiny_run")
    scenario = folder / "tiny.toml"
    scenario.write_text(TINY_SCENARIO)
    path = folder / "run.h5"
    result = subprocess.run([cli, "run", str(scenario), "-o", str(path), "--replicates", "2", "--quiet"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"tipsim run failed ({result.returncode}):\n{result.stderr}"
    assert path.is_file()
    assert not list(folder.glob("*.partial-*")), "the temporary file was left behind"
    return path
