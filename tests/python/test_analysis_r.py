"""analysis/examples/read_run.R, the R example of analysis/README.md, on a
comparison file the tipsim command writes: its figures equal the Python
package's. Runs only where Rscript and Debian's r-cran-hdf5r are installed
(the project does not require R)."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])
sys.path.insert(0, str(ROOT / "analysis"))

from tipsim_analysis import open_run  # noqa: E402
from tipsim_analysis import summaries as S  # noqa: E402

EXAMPLE = ROOT / "analysis" / "examples" / "read_run.R"


def r_with_hdf5r():
    rscript = shutil.which("Rscript")
    if not rscript:
        return None
    probe = subprocess.run([rscript, "-e", "suppressPackageStartupMessages(library(hdf5r))"], capture_output=True,
                           timeout=120)
    return rscript if probe.returncode == 0 else None


RSCRIPT = r_with_hdf5r()


@pytest.mark.skipif(RSCRIPT is None, reason="Rscript with hdf5r is not installed (apt-get install r-cran-hdf5r)")
@pytest.mark.parametrize("kind", ["run", "comparison"])
def test_the_r_example_reads_what_python_reads(tipsim_cli, tmp_path, kind):
    path = tmp_path / f"{kind}.h5"
    tiny = ROOT / "scenarios" / "tiny.toml"
    if kind == "run":
        args = ["run", tiny, "--replicates", 3]
    else:
        args = ["compare", tiny, ROOT / "scenarios" / "tiny.toml", "--replicates", 3]
    made = subprocess.run([tipsim_cli, *map(str, args), "-o", str(path), "--quiet"], capture_output=True, text=True,
                          timeout=600)
    assert made.returncode == 0, made.stderr

    result = subprocess.run([RSCRIPT, str(EXAMPLE), str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{EXAMPLE.name} failed:\n{result.stderr}"
    rows = [line.split("\t") for line in result.stdout.splitlines() if line.startswith("summary\t")][1:]
    with open_run(path) as run:
        table = S.summary_table(run).set_index(["figure", "point_label"])
        assert len(rows) == 7 * run.point_count
        for _, figure, point, mean, low, median, high, units in rows:
            expected = table.loc[(figure, point)]
            assert float(mean) == pytest.approx(expected["mean"], rel=1e-12), (figure, point)
            assert float(low) == pytest.approx(expected["low"], rel=1e-12, abs=1e-12)
            assert float(median) == pytest.approx(expected["median"], rel=1e-12, abs=1e-12)
            assert float(high) == pytest.approx(expected["high"], rel=1e-12, abs=1e-12)
            assert units == expected["units"]
    assert "persons in exploitation" in result.stdout
