#!/usr/bin/env bash
# The short fuzz runs (docs/reliability.md): builds the libFuzzer targets
# (CMake preset fuzz: clang, ASan + UBSan) and runs all three at once for
# SECONDS each (default 60), starting from the committed seed corpora.
#
#   scripts/fuzz.sh [SECONDS]
#
#  - scenario_loader_fuzz (TOML text) and run_file_structure_fuzz (run files
#    edited through the HDF5 API) stop at the first defect, which fails.
#  - run_file_reader_fuzz (raw bytes) runs in libFuzzer's fork mode, going
#    on past the crashes inside libhdf5 that damaged bytes cause within
#    seconds (HDF5 1.10.8's defects, not tipsim's); scripts/fuzz_triage.py
#    then replays every input it kept and fails for any that crashes
#    tipsim's own code.
#
# New corpus entries, crash inputs and logs stay under build-fuzz/work/.
# A crash input found here is fixed and copied to fuzz/regressions/ (see
# fuzz/README.md), where the ordinary test suite replays it.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset fuzz >/dev/null || exit 1
cmake --build --preset fuzz -j "$jobs" || exit 1

work=build-fuzz/work
rm -rf "$work"
for target in scenario_loader run_file_reader run_file_structure; do
  mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
done
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
common=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

run() {  # TARGET SEED_CORPUS... -- EXTRA_FLAGS...
  local target=$1; shift
  local seeds=()
  while [[ $# -gt 0 && $1 != -- ]]; do seeds+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  "build-fuzz/fuzz/${target}_fuzz" "${common[@]}" "$@" -artifact_prefix="$work/$target/artifacts/" \
    "$work/$target/corpus" "${seeds[@]}" >"$work/$target/log" 2>&1
}

started=$(date +%s)
run scenario_loader fuzz/corpus/scenario -- -dict=fuzz/scenario.dict &
scenario_pid=$!
run run_file_structure -- &
structure_pid=$!
run run_file_reader fuzz/corpus/run_file -- -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 &
reader_pid=$!
wait $scenario_pid; scenario_status=$?
wait $structure_pid; structure_status=$?
wait $reader_pid
echo "fuzz: ran for $(( $(date +%s) - started )) s"

failed=0
for target_status in "scenario_loader $scenario_status" "run_file_structure $structure_status"; do
  read -r target status <<<"$target_status"
  stats=$(grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$target/log" | tr '\n' ' ')
  if [[ $status -ne 0 ]]; then
    echo "fuzz: $target FOUND A DEFECT (exit $status); the input is in $work/$target/artifacts/:"
    grep -v "^#\|NEW_FUNC" "$work/$target/log" | tail -60
    failed=1
  else
    echo "fuzz: $target clean: $stats"
  fi
done
executed=$(grep -oE "^#[0-9]+" "$work/run_file_reader/log" | tail -1)
echo "fuzz: run_file_reader ran ${executed:-?} inputs; triage of what it kept:"
/usr/bin/python3 scripts/fuzz_triage.py build-fuzz/fuzz/run_file_reader_fuzz "$work/run_file_reader/artifacts" ||
  failed=1
exit $failed
