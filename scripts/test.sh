#!/usr/bin/env bash
# From a fresh Debian 12 machine: install what is missing, build, and run
# every test (GoogleTest and pytest, through ctest). With TIPSIM_WITH_MPI=ON
# in the environment: the MPI build, with the MPI tests (docs/cluster.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir build --output-on-failure -j "$jobs" "$@"
