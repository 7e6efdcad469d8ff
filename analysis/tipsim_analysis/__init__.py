"""Tools for tipsim run files: labelled data, summaries, figures, reports and calibration.

    from tipsim_analysis import open_run, summaries, figures

    with open_run("runs/comparison.h5") as run:
        print(summaries.paired_effects(run))

Command line (from the repository root, with PYTHONPATH=analysis):

    /usr/bin/python3 -m tipsim_analysis report FILE.h5 -o DIR     # figures and an HTML report
    /usr/bin/python3 -m tipsim_analysis summary FILE.h5           # the headline figures as a table
    /usr/bin/python3 -m tipsim_analysis.calibrate report ...      # the calibration report
"""

__version__ = "0.1.0"

# Opening a run file is the one call most analyses need.
from .io import Run, RunFileError, open_run  # noqa: E402

__all__ = ["Run", "RunFileError", "open_run", "__version__"]
