"""The analysis package as a user installs it (scripts/install-analysis.sh,
the README's command): a virtual environment that sees Debian's packages,
the package copied into it with the project's version and its data, and
the two commands it gives, tipsim-report and tipsim-analysis."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])
BIN = pathlib.Path(sys.executable).parent


def installed():
    venv = os.environ.get("TIPSIM_ANALYSIS_VENV")
    if not venv:
        pytest.fail("TIPSIM_ANALYSIS_VENV is not set: run the tests through ctest, which installs the analysis "
                    "package (scripts/install-analysis.sh) and runs them with its python")
    return pathlib.Path(venv)


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    return re.search(r"project\(\s*tipsim\s+VERSION\s+([0-9.]+)", text).group(1)


def test_the_package_is_installed_with_the_projects_version_and_data(tipsim_cli):
    import tipsim_analysis
    from tipsim_analysis.report import DEFAULT_TARGETS

    venv = installed()
    package = pathlib.Path(tipsim_analysis.__file__).resolve().parent
    assert venv.resolve() in package.parents and (ROOT / "analysis").resolve() not in package.parents
    # The version is CMakeLists.txt's, as the program reports it.
    assert tipsim_analysis.__version__ == project_version()
    program = subprocess.run([tipsim_cli, "--version"], capture_output=True, text=True, timeout=60)
    assert program.stdout.split()[1] == tipsim_analysis.__version__, program.stdout
    metadata = subprocess.run([sys.executable, "-m", "pip", "show", "tipsim-analysis"], capture_output=True,
                              text=True, timeout=120)
    assert f"Version: {project_version()}" in metadata.stdout, metadata.stdout + metadata.stderr
    # The calibration targets travel with the package.
    assert DEFAULT_TARGETS.resolve().parent == package / "data"
    assert DEFAULT_TARGETS.read_bytes() == (ROOT / "analysis" / "data" / "calibration_targets.csv").read_bytes()
    # Every module of the source tree was installed, and nothing else.
    source = {p.name for p in (ROOT / "analysis" / "tipsim_analysis").glob("*.py")}
    assert {p.name for p in package.glob("*.py")} == source


def test_the_commands_are_installed_and_answer(tiny_run_file, tmp_path):
    installed()
    report = BIN / "tipsim-report"
    assert report.is_file() and os.access(report, os.X_OK), f"{report}: the installed command is missing"
    version = subprocess.run([report, "--version"], capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.split() == ["tipsim-report", project_version()]
    # The reports themselves are made by both commands in test_analysis.py.
    summary = subprocess.run([BIN / "tipsim-analysis", "summary", tiny_run_file], capture_output=True, text=True,
                             timeout=300)
    assert summary.returncode == 0, summary.stderr
    assert "persons in exploitation" in summary.stdout and "in real people and real USD" in summary.stdout
    # Bad input: exit 2 with the command's name, the file and the reason.
    missing = subprocess.run([report, tmp_path / "none.h5", "-o", tmp_path / "x"], capture_output=True, text=True,
                             timeout=120)
    assert missing.returncode == 2 and missing.stderr.startswith("tipsim-report: error: ")
    assert "none.h5" in missing.stderr and "no such file" in missing.stderr
    # The calibration is reached through the same command.
    calibrate = subprocess.run([BIN / "tipsim-analysis", "calibrate", "--help"], capture_output=True, text=True,
                               timeout=120)
    assert calibrate.returncode == 0 and "held-out seed" in calibrate.stdout
