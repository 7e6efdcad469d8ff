#!/usr/bin/env bash
# Configures and builds tipsim (Release) into build/. Extra arguments go to
# the CMake configure step. TIPSIM_WITH_MPI=ON (or OFF) in the environment
# turns the MPI build on (or off); unset, build/ keeps what it had.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
mpi=()
[[ -n ${TIPSIM_WITH_MPI:-} ]] && mpi=(-DTIPSIM_WITH_MPI="$TIPSIM_WITH_MPI")
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${mpi[@]}" "$@" >/dev/null
cmake --build build -j "$jobs"
