#!/usr/bin/env bash
# From a fresh Debian 12 machine: install what is missing, build, install
# the analysis package into .venv (tipsim-report, tipsim-analysis), and run
# the baseline scenario into runs/baseline.h5, printing its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
scripts/install-analysis.sh .venv
build/sim/tipsim run scenarios/baseline.toml -o runs/baseline.h5 "$@"
