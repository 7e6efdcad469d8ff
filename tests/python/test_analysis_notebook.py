"""analysis/examples/comparison.ipynb, executed as a user runs it (with the
python of the analysis package's environment, `python -m nbconvert
--execute`) on a comparison the tipsim command writes: every cell runs,
its own check that the recomputed paired effects equal the file's passes,
and the figures and the cost-effectiveness table are in the output."""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(os.environ.get("TIPSIM_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])
NOTEBOOK = ROOT / "analysis" / "examples" / "comparison.ipynb"
TINY = ROOT / "scenarios" / "tiny.toml"


def test_the_comparison_notebook_runs_and_shows_bands_effects_and_costs(tipsim_cli, tmp_path):
    arm = tmp_path / "more_police.toml"
    arm.write_text(f'extends = "{TINY.as_posix()}"\n[scenario]\nname = "more_police"\n'
                   "[policy.prosecution]\ninvestigators_per_100k = 40\n")
    comparison = tmp_path / "3p.h5"
    made = subprocess.run([tipsim_cli, "compare", TINY, arm, "--replicates", "4", "-o", comparison, "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    # The notebook's saved form carries no outputs: what follows is this run's.
    saved = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert all(not c.get("outputs") for c in saved["cells"] if c["cell_type"] == "code")

    env = dict(os.environ, TIPSIM_RUN=str(comparison))
    env.pop("MPLBACKEND", None)  # the notebook keeps Jupyter's inline figures
    executed = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", NOTEBOOK,
                               "--output-dir", tmp_path, "--ExecutePreprocessor.timeout=300"],
                              capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert executed.returncode == 0, executed.stderr[-4000:]

    cells = [c for c in json.loads((tmp_path / "comparison.ipynb").read_text(encoding="utf-8"))["cells"]
             if c["cell_type"] == "code"]
    outputs = [o for c in cells for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = "".join("".join(o.get("text", "")) for o in outputs if o["output_type"] == "stream")
    assert "arms: tiny, more_police" in text
    assert "3 effects recomputed here equal the ones tipsim compare wrote" in text
    assert "Cost-effectiveness" in text and "more_police" in text.split("Cost-effectiveness", 1)[1]
    # The band figure and the cost-effectiveness plane.
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2
    # The paired effects table: the arm's effect on every headline figure.
    tables = "".join("".join(o["data"].get("text/html", "")) for o in outputs if o["output_type"] == "execute_result")
    for figure in ("mean number of persons in exploitation", "defendants convicted",
                   "total anti-trafficking spending"):
        assert figure in tables, figure
    assert tables.count("<td>more_police</td>") == 11
