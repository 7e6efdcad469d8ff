"""The analysis package takes the project's version from CMakeLists.txt
(project(tipsim VERSION ...)), so the package and the program never
disagree; pyproject.toml holds everything else."""

import re
from pathlib import Path

from setuptools import setup


def project_version() -> str:
    cmake = Path(__file__).resolve().parent.parent / "CMakeLists.txt"
    if not cmake.is_file():
        raise SystemExit(f"{cmake}: not found; install the analysis package from a tipsim source tree")
    found = re.search(r"project\(\s*tipsim\s+VERSION\s+([0-9][0-9.]*)", cmake.read_text(encoding="utf-8"))
    if not found:
        raise SystemExit(f"{cmake}: no 'project(tipsim VERSION x.y.z)' line to take the version from")
    return found.group(1)


setup(version=project_version())
