"""Shared fixtures for the Python tests: the tipsim binary, the source tree
and tiny files of every kind (run, sweep, comparison) written by the binary
during the test session.

ctest sets TIPSIM_CLI (the tipsim binary), TIPSIM_SOURCE_DIR (the
repository root) and TIPSIM_ANALYSIS_VENV (the virtual environment the
analysis package was installed into, whose python runs the tests). Run by
hand, TIPSIM_RUN_FILE may name an existing run file to test instead of
writing one.
"""

import ast
import os
import pathlib
import subprocess
import sys

import pytest

# The smallest scenario that exercises every series: one region, 20 steps.
# Twenty weeks of 2 000 people, with courts that decide a case within a few
# weeks of the charge, so that the files have convictions.
TINY_SCENARIO = ("[scenario]\nsteps = 20\n[population]\nsize = 2000\n"
                 "[policy.prosecution]\ntrials_per_100k_per_year = 2000\n[prosecution]\ntrial_preparation_years = 0.05\n")


@pytest.fixture(scope="session")
def source_dir():
    given = os.environ.get("TIPSIM_SOURCE_DIR")
    return pathlib.Path(given) if given else pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def analysis_package_is_the_installed_one():
    """Under ctest the tests judge the analysis package as a user installs
    it: the copy in TIPSIM_ANALYSIS_VENV, not analysis/ of the source tree
    (checked after every test module has been imported)."""
    venv = os.environ.get("TIPSIM_ANALYSIS_VENV")
    if not venv:
        return
    import tipsim_analysis

    where = pathlib.Path(tipsim_analysis.__file__).resolve()
    assert pathlib.Path(sys.prefix).resolve() == pathlib.Path(venv).resolve(), (
        f"the tests run under {sys.prefix}, not the analysis package's environment {venv}")
    assert pathlib.Path(venv).resolve() in where.parents, (
        f"tipsim_analysis was imported from {where}, not from the installed package in {venv}")


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


@pytest.fixture(scope="session")
def busy_run_file(tmp_path_factory):
    """The tiny world's surge arm (two lever changes from step 5), 2 replicates,
    with the event log and snapshots every 5 steps and police busy enough that
    victims are identified, prosecuted and their traffickers convicted: the
    figures documentation examples print from it are not all zero."""
    return _write_with_tipsim(tmp_path_factory.mktemp("busy_run"), "run.h5",
                              ["run", "surge.toml", "--replicates", "2", "--events", "--snapshot-every", "5",
                               *BUSIER, "--set", "policy.prosecution.investigators_per_100k=50"])


class Example:
    """A documentation example that has run: the names it left behind, and what
    each of its print calls printed (the objects, not only their text)."""

    def __init__(self, code, namespace, calls):
        self.code = code
        self.namespace = namespace
        self._calls = calls
        self._prints = [node for node in ast.walk(ast.parse(code))
                        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"]

    def __getitem__(self, name):
        return self.namespace[name]

    def _print_call(self, snippet):
        found = [node for node in self._prints if snippet in ast.get_source_segment(self.code, node)]
        assert len(found) == 1, f"the example has {len(found)} print calls containing {snippet!r}, not one"
        return found[0]

    def printed(self, snippet):
        """The arguments of each call of the print whose source contains `snippet`, in order."""
        node = self._print_call(snippet)
        return [args for line, args in self._calls if node.lineno <= line <= node.end_lineno]

    def one(self, snippet):
        """The one object the print containing `snippet` printed, once."""
        calls = self.printed(snippet)
        assert len(calls) == 1 and len(calls[0]) == 1, f"{snippet!r} printed {calls}, not one object once"
        return calls[0][0]

    def lines(self, snippet):
        """What the print containing `snippet` wrote, one string per call."""
        return [" ".join(map(str, args)) for args in self.printed(snippet)]

    def comment(self, snippet):
        """The comment closing the print (or else the one line) that contains
        `snippet`: what the documentation says it prints or holds."""
        if any(snippet in ast.get_source_segment(self.code, node) for node in self._prints):
            node = self._print_call(snippet)
            rest = self.code.splitlines()[node.end_lineno - 1][node.end_col_offset:].strip()
        else:
            lines = [line for line in self.code.splitlines() if snippet in line]
            assert len(lines) == 1, f"the example has {len(lines)} lines containing {snippet!r}, not one"
            rest = lines[0].split(snippet, 1)[1].strip()
        assert rest.startswith("#"), f"no comment after {snippet!r}"
        return rest[1:].strip()


@pytest.fixture
def run_example():
    """Runs a code example as an analyst would (a fresh namespace, printing
    as it goes) and returns it as an `Example`."""

    def run(code, filename, name="__main__"):
        calls = []

        def recording_print(*args, **kwargs):
            calls.append((sys._getframe(1).f_lineno, args))
            print(*args, **kwargs)

        namespace = {"__name__": name, "print": recording_print}
        exec(compile(code, filename, "exec"), namespace)
        return Example(code, namespace, calls)

    return run
