"""analysis/README.md's Python examples, run against a comparison and a
sweep the tipsim command writes during the test, so the worked examples
stay correct."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])
README = ROOT / "analysis" / "README.md"
sys.path.insert(0, str(ROOT / "analysis"))

TINY = ROOT / "scenarios" / "tiny.toml"
ARM = f"""extends = "{TINY.as_posix()}"
[scenario]
name = "more_shelters"
[policy.protection]
shelter_beds_per_100k = 60
"""


def python_examples():
    text = README.read_text(encoding="utf-8")
    examples = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        examples.append((text.count("\n", 0, match.start()) + 2, match.group(1)))
    return examples


EXAMPLES = python_examples()


@pytest.fixture(scope="module")
def files(tipsim_cli, tmp_path_factory):
    """The files the examples name, made small: runs/3p.h5 (a comparison) and runs/shelters.h5 (a sweep)."""
    folder = tmp_path_factory.mktemp("analysis_readme")
    arm = folder / "more_shelters.toml"
    arm.write_text(ARM)
    made = {"runs/3p.h5": folder / "3p.h5", "runs/shelters.h5": folder / "shelters.h5"}
    commands = [
        ["compare", TINY, arm, "--replicates", 3, "-o", made["runs/3p.h5"]],
        ["sweep", TINY, "--vary", "policy.protection.shelter_beds_per_100k=0:40:3", "--replicates", 3, "-o",
         made["runs/shelters.h5"]],
    ]
    for command in commands:
        result = subprocess.run([tipsim_cli, *map(str, command), "--quiet"], capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, result.stderr
    made["runs/figures"] = folder / "figures"
    made["analysis/data/calibration_targets.csv"] = ROOT / "analysis" / "data" / "calibration_targets.csv"
    return made


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("line,code", EXAMPLES, ids=[f"line{line}" for line, _ in EXAMPLES])
def test_readme_example_runs(files, line, code, capsys):
    for name, path in files.items():
        code = code.replace(f'"{name}"', repr(str(path)))
    exec(compile(code, f"{README.name}:{line}", "exec"), {"__name__": "readme_example"})
    assert capsys.readouterr().out.strip(), "the example printed nothing"
