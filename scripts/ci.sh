#!/usr/bin/env bash
# Continuous integration (.ci/run): the README's test command, then the
# sanitizer builds and the short fuzz runs. Each stage builds only what it
# runs; a failed stage does not stop the later ones, and the exit status
# is 1 when any failed. Every stage's time is printed at the end.
#
#   scripts/ci.sh [STAGE...]     STAGE: release asan tsan fuzz (default: all)
#
#  release  scripts/test.sh: Release build (build/) and every test (ctest);
#           with TIPSIM_WITH_MPI=ON (as .ci/run sets it) the MPI build, so
#           the MPI tests run too
#  asan     AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/,
#           preset asan) of tipsim and tipsim_tests; the GoogleTest suite
#           (not the calibration label, not the Python tests)
#  tsan     ThreadSanitizer build (build-tsan/, preset tsan) of tipsim_tests;
#           the parallel core's tests (determinism, invariants, the step
#           phases, experiments, sweeps, comparisons, events, snapshots)
#  fuzz     scripts/fuzz.sh: the three libFuzzer targets, a minute each, at once
#
# FUZZ_SECONDS overrides the minute. See docs/reliability.md.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
stages=("$@")
((${#stages[@]} == 0)) && stages=(release asan tsan fuzz)

names=() times=() results=()
stage() {  # NAME COMMAND...
  local name=$1; shift
  echo "==== ci: $name: $*"
  local started status
  started=$(date +%s)
  "$@"
  status=$?
  names+=("$name") times+=("$(( $(date +%s) - started ))") results+=("$([[ $status -eq 0 ]] && echo ok || echo FAILED)")
  return $status
}

total_started=$(date +%s)
scripts/setup.sh || exit 1
for s in "${stages[@]}"; do
  case $s in
    release)
      stage "release: build and every test" scripts/test.sh ;;
    asan)
      stage "asan+ubsan: build" bash -c "cmake --preset asan >/dev/null && cmake --build --preset asan -j $jobs" &&
        stage "asan+ubsan: GoogleTest suite" ctest --preset asan -j "$jobs" ;;
    tsan)
      stage "tsan: build" bash -c "cmake --preset tsan >/dev/null && cmake --build --preset tsan -j $jobs" &&
        stage "tsan: parallel core tests" ctest --preset tsan -j "$jobs" ;;
    fuzz)
      stage "fuzz: build and ${FUZZ_SECONDS:-60} s per target" scripts/fuzz.sh "${FUZZ_SECONDS:-60}" ;;
    *)
      echo "ci: unknown stage '$s' (release, asan, tsan, fuzz)" >&2
      exit 2 ;;
  esac
done

echo
echo "==== ci: summary ($jobs cores)"
failed=0
for i in "${!names[@]}"; do
  printf '  %-42s %5d s  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
  [[ ${results[$i]} == ok ]] || failed=1
done
printf '  %-42s %5d s\n' "total" "$(( $(date +%s) - total_started ))"
exit $failed
