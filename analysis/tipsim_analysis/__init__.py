"""Tools for tipsim run files: labelled data, summaries, figures, reports and calibration.

    from tipsim_analysis import open_run, summaries, figures

    with open_run("runs/comparison.h5") as run:
        print(summaries.paired_effects(run))

Installed (scripts/install-analysis.sh, or pip into a virtual environment
that sees Debian's packages; analysis/README.md), it gives two commands:

    tipsim-report FILE.h5 -o DIR          # figures and an HTML report
    tipsim-analysis summary FILE.h5       # the headline figures as a table
    tipsim-analysis calibrate report ...  # the calibration report
"""

from importlib import metadata as _metadata
from pathlib import Path as _Path
import re as _re


def _project_version() -> str:
    """The project's version: CMakeLists.txt's when this is the source tree
    (PYTHONPATH=analysis), else the installed package's, which setup.py
    took from the same line."""
    cmake = _Path(__file__).resolve().parents[2] / "CMakeLists.txt"
    if cmake.is_file():
        found = _re.search(r"project\(\s*tipsim\s+VERSION\s+([0-9][0-9.]*)", cmake.read_text(encoding="utf-8"))
        if found:
            return found.group(1)
    try:
        return _metadata.version("tipsim-analysis")
    except _metadata.PackageNotFoundError:
        return "unknown"


__version__ = _project_version()

# Opening a run file is the one call most analyses need.
from .io import Run, RunFileError, open_run  # noqa: E402

__all__ = ["Run", "RunFileError", "open_run", "__version__"]
