#!/usr/bin/env bash
# Continuous integration (.ci/run): the checks of style, the README's test
# command, the sanitizer builds and the short fuzz runs. Each stage builds
# only what it runs, with warnings as errors, and has a deadline; a failed
# stage does not stop the later ones, and the exit status is 1 when any
# failed. Every stage's time is printed at the end, and each test's time is
# in the stage's JUnit file (build*/junit*.xml; for the sanitizer stages,
# which run a GoogleTest suite per process, build-*/gtest/PROGRAM/SUITE.xml).
#
#   scripts/ci.sh [STAGE...]     STAGE: lint release asan tsan fuzz (default: all)
#
#  lint     clang-format --dry-run --Werror over the C++; pyflakes over the
#           Python (analysis/, scripts/, tests/python/)
#  release  scripts/test.sh: Release build (build/) and every test (ctest);
#           the MPI build (TIPSIM_WITH_MPI=ON unless set otherwise), so the
#           MPI tests run too
#  asan     AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/,
#           preset asan) of tipsim and the GoogleTest suites; every one of
#           their tests (not the calibration label, not the Python tests)
#  tsan     ThreadSanitizer build (build-tsan/, preset tsan); the parallel
#           core's tests and the viewer's window-free tests
#  fuzz     scripts/fuzz.sh: the three libFuzzer targets, a minute each, at once
#
# After each test stage, scripts/check_skips.py fails the stage for a
# skipped test that tests/allowed_skips.txt does not list with its reason.
# FUZZ_SECONDS overrides the minute. See docs/reliability.md.
#
# The builds compile through the machine's compiler cache (ccache, which
# scripts/setup.sh installs; CMakeLists.txt: TIPSIM_CCACHE): a fresh clone
# compiles only what no earlier checkout on the machine compiled with the
# same flags. The summary says how many objects it reused.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
export TIPSIM_WITH_MPI=${TIPSIM_WITH_MPI:-ON}
export TIPSIM_WERROR=ON
stages=("$@")
((${#stages[@]} == 0)) && stages=(lint release asan tsan fuzz)

# Seconds each stage may take on the 2-core machine before it is stopped
# (about twice what it takes there; the README gives the measured times).
declare -A deadline=([lint]=120 [release]=780 [asan]=840 [tsan]=340 [fuzz]=250)

names=() times=() cpus=() results=()
# CPU seconds (user + system) of this shell's finished children so far, in
# $cpu (times must run in this shell: a command substitution's subshell has
# no children).
cpu_file=$(mktemp) && trap 'rm -f "$cpu_file"' EXIT
children_cpu() {
  times >"$cpu_file"
  cpu=$(awk 'NR == 2 {n = 0; for (i = 1; i <= 2; ++i) {split($i, t, /[ms]/); n += t[1] * 60 + t[2]} printf "%d", n}' "$cpu_file")
}
stage() {  # NAME SECONDS COMMAND...
  local name=$1 seconds=$2; shift 2
  echo "==== ci: $name: $*"
  local started status cpu_before
  started=$(date +%s)
  children_cpu && cpu_before=$cpu
  # A stage is a function of this script, run in a child shell under the
  # deadline (timeout stops the child's whole process group).
  timeout --kill-after=30 "$seconds" bash -c '"$@"' stage "$@"
  status=$?
  [[ $status -eq 124 ]] && echo "==== ci: $name: stopped at its deadline of $seconds s"
  children_cpu
  names+=("$name") times+=("$(($(date +%s) - started))") cpus+=("$((cpu - cpu_before))") results+=("$([[ $status -eq 0 ]] && echo ok || echo FAILED)")
  return $status
}

lint() {
  local status=0
  git ls-files -z '*.cpp' '*.hpp' '*.h' | xargs -0 clang-format --dry-run --Werror || status=1
  git ls-files -z 'analysis/*.py' 'scripts/*.py' 'tests/*.py' | xargs -0 pyflakes3 || status=1
  return $status
}

# The test stage of a sanitizer preset: build, ctest with JUnit (a line per
# suite, which runs in one process; GoogleTest's report of each suite's
# tests is in build-PRESET/gtest/), skips.
sanitized() {  # PRESET
  local preset=$1 junit=$PWD/build-$1/junit.xml reports=$PWD/build-$1/gtest
  cmake --preset "$preset" >/dev/null && cmake --build --preset "$preset" -j "$jobs" || return 1
  rm -rf "$junit" "$reports"
  local status=0
  ctest --preset "$preset" -j "$jobs" --output-junit "$junit" || status=1
  /usr/bin/python3 scripts/check_skips.py "$preset" "$junit" "$reports"/*/*.xml || status=1
  return $status
}

release() {
  rm -f build/junit.xml build/tests/junit-*.xml
  local status=0
  scripts/test.sh --output-junit "$PWD/build/junit.xml" || status=1
  /usr/bin/python3 scripts/check_skips.py release build/junit.xml build/tests/junit-*.xml || status=1
  return $status
}

# The compiler cache's objects reused and compiled so far: "HITS MISSES".
cache_counts() {
  ccache --print-stats 2>/dev/null |
    awk '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" {h += $2} $1 == "cache_miss" {m += $2}
         END {print h + 0, m + 0}'
}

export jobs
export -f lint sanitized release
total_started=$(date +%s)
scripts/setup.sh || exit 1
read -r hits_before misses_before < <(cache_counts)
for s in "${stages[@]}"; do
  case $s in
    lint) stage "lint: clang-format, pyflakes" "${deadline[lint]}" lint ;;
    release) stage "release: build and every test" "${deadline[release]}" release ;;
    asan) stage "asan+ubsan: build and GoogleTest suites" "${deadline[asan]}" sanitized asan ;;
    tsan) stage "tsan: build and parallel tests" "${deadline[tsan]}" sanitized tsan ;;
    fuzz) stage "fuzz: build and ${FUZZ_SECONDS:-60} s per target" "${deadline[fuzz]}" scripts/fuzz.sh "${FUZZ_SECONDS:-60}" ;;
    *)
      echo "ci: unknown stage '$s' (lint, release, asan, tsan, fuzz)" >&2
      exit 2
      ;;
  esac
done

echo
echo "==== ci: summary ($jobs cores; wall time, and CPU time of user and system)"
failed=0
for i in "${!names[@]}"; do
  printf '  %-42s %5d s  %5d s CPU  %s\n' "${names[$i]}" "${times[$i]}" "${cpus[$i]}" "${results[$i]}"
  [[ ${results[$i]} == ok ]] || failed=1
done
printf '  %-42s %5d s\n' "total" "$(($(date +%s) - total_started))"
if command -v ccache >/dev/null; then
  read -r hits misses < <(cache_counts)
  echo "  compiler cache: $((hits - hits_before)) objects reused, $((misses - misses_before)) compiled"
fi
exit $failed
