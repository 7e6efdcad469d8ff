#!/usr/bin/env bash
# The short fuzz runs (docs/reliability.md): builds the libFuzzer targets
# (CMake preset fuzz: clang, ASan + UBSan) and runs all three at once for
# SECONDS each (default 60), starting from the committed seed corpora.
#
#   scripts/fuzz.sh [SECONDS]
#
#  - scenario_loader_fuzz (TOML text) and run_file_structure_fuzz (run files
#    edited through the HDF5 API) stop at the first defect, which fails.
#  - run_file_reader_fuzz (raw bytes) meets crashes inside libhdf5 within
#    seconds (HDF5 1.10.8's defects on damaged bytes, not tipsim's). It runs
#    in libFuzzer's fork mode, restarted after each crash until SECONDS are
#    up, so that every crash input is kept with the log libFuzzer printed
#    for it; scripts/fuzz_triage.py then replays each input alone and fails
#    for any crash whose first stack frame is not in libhdf5 (for an input
#    that does not crash alone, the frame of its recorded log).
#
# A fuzzer that does not start, runs no input, or ends with a status that
# is neither success nor libFuzzer's report of a defect fails the script.
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
common=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -error_exitcode=77 -timeout_exitcode=70)

# Whether a fuzzer that ended with STATUS stopped at a defect: a sanitizer's
# report (1), libFuzzer's crash (77), timeout (70) or out-of-memory (71),
# with the input written. Any other non-zero status means it did not run
# properly.
stopped_at_defect() {  # STATUS LOG
  [[ $1 =~ ^(1|70|71|77)$ ]] && grep -q "Test unit written to" "$2"
}

run() {  # TARGET SEED_CORPUS... -- EXTRA_FLAGS...
  local target=$1; shift
  local seeds=()
  while [[ $# -gt 0 && $1 != -- ]]; do seeds+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  "build-fuzz/fuzz/${target}_fuzz" "${common[@]}" -max_total_time="$seconds" "$@" \
    -artifact_prefix="$work/$target/artifacts/" "$work/$target/corpus" "${seeds[@]}" >"$work/$target/log" 2>&1
}

# The reader fuzzer in fork mode until SECONDS are up: each crash stops it
# with the crashed job's whole log (the report and the input's name) in
# the log, and it starts again on the grown corpus. Prints "ok" when every
# stop was the time limit or a defect, else the status that was not.
run_reader() {
  local target=run_file_reader log=$work/run_file_reader/log status left
  local until=$(( $(date +%s) + seconds ))
  : >"$log"
  local kept_before kept_after
  while left=$(( until - $(date +%s) )); (( left > 0 )); do
    kept_before=$(find "$work/$target/artifacts" -type f | wc -l)
    "build-fuzz/fuzz/${target}_fuzz" "${common[@]}" -max_total_time="$left" -fork=1 \
      -artifact_prefix="$work/$target/artifacts/" "$work/$target/corpus" fuzz/corpus/run_file >"$log.run" 2>&1
    status=$?
    cat "$log.run" >>"$log"
    kept_after=$(find "$work/$target/artifacts" -type f | wc -l)
    if ! grep -q "^INFO: -fork=1: .* seed inputs, starting to fuzz" "$log.run"; then
      echo "did not start (exit $status)"; return
    fi
    # A job that timed out as the time ran out ends fork mode with its exit
    # code (70) while its input's name stays in the job's own log: the new
    # input in artifacts/ is what shows a defect stopped it (triaged below).
    if [[ $status -ne 0 ]] && ! stopped_at_defect "$status" "$log.run" &&
       ! { [[ $status =~ ^(1|70|71|77)$ ]] && (( kept_after > kept_before )); }; then
      echo "exit $status"; return
    fi
  done
  echo ok
}

# The number of inputs a fuzzer ran: its final statistics.
executed_units() {
  grep -oE "stat::number_of_executed_units: *[0-9]+" "$1" | grep -oE "[0-9]+$" | tail -1 | grep . || echo 0
}

# The same in fork mode: the sum over its starts of each one's last
# "#N: cov: ..." line.
executed_units_forked() {
  awk '/^#[0-9]+: cov:/ { n = substr($1, 2) + 0 } /seed inputs, starting to fuzz/ { total += n; n = 0 }
       END { print total + n }' "$1"
}

started=$(date +%s)
run scenario_loader fuzz/corpus/scenario -- -dict=fuzz/scenario.dict &
scenario_pid=$!
run run_file_structure -- &
structure_pid=$!
reader_result=$work/run_file_reader/result
run_reader >"$reader_result" &
reader_pid=$!
wait $scenario_pid; scenario_status=$?
wait $structure_pid; structure_status=$?
wait $reader_pid
echo "fuzz: ran for $(( $(date +%s) - started )) s"

failed=0
for target_status in "scenario_loader $scenario_status" "run_file_structure $structure_status"; do
  read -r target status <<<"$target_status"
  stats=$(grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$target/log" | tr '\n' ' ')
  if [[ $status -ne 0 ]] && stopped_at_defect "$status" "$work/$target/log"; then
    echo "fuzz: $target FOUND A DEFECT (exit $status); the input is in $work/$target/artifacts/:"
    grep -v "^#\|NEW_FUNC" "$work/$target/log" | tail -60
    failed=1
  elif [[ $status -ne 0 ]]; then
    echo "fuzz: $target DID NOT RUN PROPERLY (exit $status):"
    grep -v NEW_FUNC "$work/$target/log" | tail -30
    failed=1
  elif (( $(executed_units "$work/$target/log") == 0 )); then
    echo "fuzz: $target RAN NO INPUT:"
    grep -v NEW_FUNC "$work/$target/log" | tail -30
    failed=1
  else
    echo "fuzz: $target clean: $stats"
  fi
done
reader=$(cat "$reader_result")
executed=$(executed_units_forked "$work/run_file_reader/log")
if [[ $reader != ok ]]; then
  echo "fuzz: run_file_reader DID NOT RUN PROPERLY ($reader):"
  grep -v NEW_FUNC "$work/run_file_reader/log" | tail -30
  failed=1
elif (( executed == 0 )); then
  echo "fuzz: run_file_reader RAN NO INPUT:"
  grep -v NEW_FUNC "$work/run_file_reader/log" | tail -30
  failed=1
fi
echo "fuzz: run_file_reader ran $executed inputs in $(grep -c "^INFO: -fork=1: .* starting to fuzz" \
  "$work/run_file_reader/log") start(s); triage of what it kept:"
/usr/bin/python3 scripts/fuzz_triage.py build-fuzz/fuzz/run_file_reader_fuzz "$work/run_file_reader/artifacts" \
  "$work/run_file_reader/log" || failed=1
exit $failed
