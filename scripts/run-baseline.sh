#!/usr/bin/env bash
# From a fresh Debian 12 machine: install what is missing, build, and run the
# baseline scenario into runs/baseline.h5, printing its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/sim/tipsim run scenarios/baseline.toml -o runs/baseline.h5 "$@"
