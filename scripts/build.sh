#!/usr/bin/env bash
# Configures and builds tipsim (Release) into build/. Extra arguments go to
# the CMake configure step. TIPSIM_WITH_MPI=ON (or OFF) in the environment
# turns the MPI build on (or off); unset, build/ keeps what it had. The same
# for TIPSIM_WERROR=ON (warnings as errors, as in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
options=()
[[ -n ${TIPSIM_WITH_MPI:-} ]] && options+=(-DTIPSIM_WITH_MPI="$TIPSIM_WITH_MPI")
[[ -n ${TIPSIM_WERROR:-} ]] && options+=(-DTIPSIM_WERROR="$TIPSIM_WERROR")
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${options[@]}" "$@" >/dev/null
cmake --build build -j "$jobs"
