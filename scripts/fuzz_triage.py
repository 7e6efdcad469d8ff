#!/usr/bin/python3
"""Sorts the crash inputs a fuzzer left into tipsim's defects and HDF5's.

    scripts/fuzz_triage.py FUZZER ARTIFACT_FOLDER [FUZZER_LOG]

Replays every input in ARTIFACT_FOLDER (crash-*, leak-*, oom-*, timeout-*)
alone through FUZZER and reads the report (an oom-* input with a limit of
512 MB on one allocation, so that its big allocation is reported with the
stack that made it). A report whose first stack frame
outside the sanitizer runtime, libFuzzer and libc lies in libhdf5 is a
defect of HDF5 1.10.8 on damaged files, which tipsim cannot fix. An input
that does not fail when replayed alone (HDF5 keeps state between files:
heap damage from an earlier input shows up later) is judged by the report
FUZZER_LOG recorded when it failed (libFuzzer's log of the run that wrote
it: "Test unit written to .../NAME"): HDF5's when that report's first frame
is in libhdf5. A timeout that does not recur alone within ten seconds (it
ran among other inputs on a loaded machine) is replayed with a limit of two
seconds, and judged by where that replay spends its time; so is a slow
unit (one that took ten seconds without timing out), which libFuzzer writes
without a report: one that takes under two seconds alone was slow only
among other inputs on a loaded machine, is listed with its time alone and
does not fail. A replay that grows the process past the memory limit
without one allocation to blame (many small ones, in fork mode or alone)
is replayed again with a limit of 64 MB on one allocation, which no tipsim
reader makes from a fuzzer's small file, and judged by that allocation's
stack. Frames of the
runtime include glibc's (memset called by libhdf5 is libhdf5's work).
Anything else — another first frame, or no recorded report
— is a defect in tipsim's code (or one that cannot be told from it): it is
listed with its report and the exit status is 1. Used by scripts/fuzz.sh;
see docs/reliability.md.
"""
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import time

RUNTIME = re.compile(
    r"libsanitizer|compiler-rt|__interceptor|__asan|__lsan|__ubsan|__sanitizer|fuzzer::|libFuzzer"
    r"|libc\.so|libc-start|libc_start|\bmalloc\b|\bcalloc\b|\brealloc\b|\bfree\b|operator new|operator delete"
    r"|\babort\b|\braise\b|pthread_kill|__assert"
    # glibc's string functions, named by their source path (memset called from libhdf5 is libhdf5's)
    r"|sysdeps/"
)
FRAME = re.compile(r"^\s*#\d+\s+0x[0-9a-f]+\s+(?:in\s+)?(.*)$")


def first_frame(report):
    """The first stack frame of the first report that is not runtime."""
    for line in report.splitlines():
        match = FRAME.match(line)
        if match and not RUNTIME.search(match.group(1)):
            return match.group(1).strip()
    return None


# libFuzzer's two out-of-memory reports: the process's resident memory, and one allocation's size.
RSS_EXCEEDED = re.compile(r"ERROR: libFuzzer: out-of-memory \(used: ")
MALLOC_EXCEEDED = re.compile(r"ERROR: libFuzzer: out-of-memory \(malloc\(")

UNIT_WRITTEN = re.compile(r"Test unit written to (\S+)")


def recorded_reports(log_path):
    """The report libFuzzer logged before writing each input, by input name.

    A run stops at a crash and prints what led to it, ending with the line
    naming the input it wrote; the report is what came before that line,
    back to the previous input's (or the start of that run's log)."""
    reports = {}
    if not log_path:
        return reports
    with open(log_path, errors="replace") as log:
        lines = log.read().splitlines()
    start = 0
    for number, line in enumerate(lines):
        if line.startswith("INFO: -fork=") and "fuzzing in separate process" in line:
            start = number
        match = UNIT_WRITTEN.search(line)
        if match:
            reports[os.path.basename(match.group(1))] = "\n".join(lines[start:number + 1])
            start = number + 1
    return reports


def kind_of(report):
    for line in report.splitlines():
        if line.startswith("SUMMARY:"):
            return re.sub(r"\s*\(.*", "", line[len("SUMMARY:"):]).strip()
    return "no report"


def main():
    fuzzer, folder = sys.argv[1], sys.argv[2]
    recorded = recorded_reports(sys.argv[3] if len(sys.argv) > 3 else None)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":fast_unwind_on_malloc=0"
    names = sorted(n for n in os.listdir(folder) if re.match(r"(crash|leak|oom|timeout|slow-unit)-", n))

    def replay(name):
        """Runs the fuzzer on one input alone: (what it printed, whether it failed, seconds it took).
        A timeout or slow unit that does not recur alone within libFuzzer's ten seconds (it ran among
        other inputs on a loaded machine) is replayed with a two-second limit, so that where it
        spends its time is reported."""
        # An input that ran a process out of memory is replayed with a limit on one allocation, so
        # that the allocation it makes from a damaged header is reported with its stack: in fork mode
        # the process's memory also holds what earlier inputs left, and alone it may stay under the
        # memory limit. No allocation of half a gigabyte is tipsim's own: its reader caps what a
        # dataset may claim by the file's size (docs/reliability.md).
        report, failed, seconds = replay_with(name, 10, 512 if name.startswith("oom-") else None)
        if not failed and name.startswith(("timeout-", "slow-unit-")):
            slow, failed, _ = replay_with(name, 2, None)
            if failed:
                report = slow
        if failed and RSS_EXCEEDED.search(report):
            # Growth without one allocation to blame: the first allocation of 64 MB names who asks.
            small, small_failed, _ = replay_with(name, 10, 64)
            if small_failed and MALLOC_EXCEEDED.search(small):
                report = small
        return report, failed, seconds

    def replay_with(name, seconds, malloc_limit_mb):
        path = os.path.join(folder, name)
        limit = [f"-malloc_limit_mb={malloc_limit_mb}"] if malloc_limit_mb else []
        started = time.monotonic()
        try:
            run = subprocess.run([fuzzer, "-runs=1", f"-timeout={seconds}", "-rss_limit_mb=2048", *limit, path],
                                 capture_output=True, text=True, errors="replace", env=env, timeout=120)
            return run.stdout + run.stderr, run.returncode != 0, time.monotonic() - started
        except subprocess.TimeoutExpired as e:
            output = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
            return output, True, time.monotonic() - started

    # The inputs are replayed side by side, one per core (a timeout's replay waits out its ten seconds).
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        replays = list(pool.map(replay, names))
    hdf5 = collections.Counter()
    slow_under_load = []
    defects = []
    for name, (report, failed, seconds) in zip(names, replays):
        alone = ""
        if not failed and name.startswith("slow-unit-"):
            slow_under_load.append((name, seconds))
            continue
        if not failed:
            # Judged by what was recorded when it failed among other inputs.
            report = recorded.get(name, "")
            alone = "not reproducible alone, recorded "
        frame = first_frame(report)
        kind = kind_of(report)
        if frame is not None and "libhdf5" in frame:
            function = frame.split()[0] if not frame.startswith("(") else "(libhdf5)"
            hdf5[f"{alone}{kind} in {function}"] += 1
        elif alone and not report:
            defects.append((name, "not reproducible alone, and no report recorded for it", None, ""))
        else:
            defects.append((name, alone + kind, frame, report))
    print(f"fuzz triage: {len(names)} inputs from {folder}")
    for what, count in hdf5.most_common():
        print(f"  HDF5 defect (not tipsim's; tolerated): {count:4d} x {what}")
    for name, seconds in slow_under_load:
        print(f"  slow only among other inputs (not a defect; tolerated): {name}: {seconds:.2f} s alone")
    for name, kind, frame, report in defects:
        print(f"  TIPSIM DEFECT: {name}: {kind}" + (f" at {frame}" if frame else ""))
        print("    " + "\n    ".join(report.splitlines()[-60:]))
    if defects:
        print(f"fuzz triage: {len(defects)} input(s) crash tipsim's own code, or crashed where it cannot be "
              f"told; fix them and add each to fuzz/regressions/run_file/")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
