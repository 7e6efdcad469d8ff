#!/usr/bin/env bash
# Installs the analysis package (analysis/) into a virtual environment that
# sees Debian's Python packages, offline: numpy, pandas, xarray, h5py,
# matplotlib, scipy and Jupyter come from Debian (scripts/setup.sh), the
# package itself from this source tree. Afterwards VENV/bin has the
# commands tipsim-report and tipsim-analysis, and VENV/bin/python imports
# tipsim_analysis; notebooks run by VENV/bin/python -m jupyter use it too.
#
#   scripts/install-analysis.sh [VENV]     (default: .venv)
#
# Run again after changing analysis/: it reinstalls the package.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$root/.venv}
if [[ ! -x $venv/bin/python ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
# setuptools builds in analysis/build/, whose copies of removed modules
# would otherwise be installed again: start from none, leave none behind.
rm -rf "$root/analysis/build" "$root/analysis/tipsim_analysis.egg-info"
"$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation --no-index --disable-pip-version-check \
  --force-reinstall "$root/analysis"
rm -rf "$root/analysis/build" "$root/analysis/tipsim_analysis.egg-info"
# A kernel of the environment's own, so that Jupyter started from it runs
# notebooks with this package rather than with Debian's bare python3.
PYDEVD_DISABLE_FILE_VALIDATION=1 "$venv/bin/python" -Xfrozen_modules=off -m ipykernel install --sys-prefix \
  --name python3 --display-name "Python 3 (tipsim-analysis)" >/dev/null
# Without frozen modules the kernel's debugger does not warn on every start.
"$venv/bin/python" - "$venv/share/jupyter/kernels/python3/kernel.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["argv"][1:1] = ["-Xfrozen_modules=off"]
json.dump(spec, open(sys.argv[1], "w"), indent=1)
PY
echo "install-analysis: tipsim_analysis $("$venv/bin/python" -c 'import tipsim_analysis as t; print(t.__version__)') in $venv (commands: $venv/bin/tipsim-report, $venv/bin/tipsim-analysis)"
