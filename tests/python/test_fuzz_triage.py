"""scripts/fuzz_triage.py sorts what a fuzzer kept into tipsim's defects
and HDF5's (docs/reliability.md). Each case here replays inputs through a
stand-in for a libFuzzer binary that prints the reports libFuzzer prints
(the same lines, the same stack frames' form) for what the input says it
does, so that every rule of the triage is exercised without a fuzzer
build or a damaged HDF5 file.
"""

import subprocess
import sys

import pytest

# The input's text says what replaying it alone does:
#   crash FRAME              a crash whose first frame outside the runtime is FRAME
#   takes SECONDS FRAME      a run of SECONDS spent in FRAME (a timeout report when over -timeout)
#   grows FRAME              the process's memory grows past -rss_limit_mb in allocations of 100 MB
#                            made by FRAME (a malloc report when -malloc_limit_mb is under 100)
#   fine                     nothing fails
STAND_IN = r'''#!/usr/bin/python3
import re, sys
flags = dict(re.match(r"-(\w+)=(.*)", a).groups() for a in sys.argv[1:] if a.startswith("-"))
what = open([a for a in sys.argv[1:] if not a.startswith("-")][0]).read().split(maxsplit=1)
if what[0] == "takes":
    what = [what[0], *what[1].split(maxsplit=1)]
def stack(frame):
    return ("    #0 0x4a1b2c in __sanitizer_print_stack_trace (/fuzz+0x4a1b2c)\n"
            "    #1 0x4a1b2d in fuzzer::PrintStackTrace() (/fuzz+0x4a1b2d)\n"
            "    #2 0x4a1b2e in malloc (/fuzz+0x4a1b2e)\n"
            f"    #3 0x7f0000001000 in {frame}\n"
            "    #4 0x4a1b2f in LLVMFuzzerTestOneInput (/fuzz+0x4a1b2f)\n")
if what[0] == "crash":
    print("==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000011\n" + stack(what[1])
          + "SUMMARY: AddressSanitizer: heap-buffer-overflow (/x) in f", file=sys.stderr)
    sys.exit(1)
if what[0] == "takes" and float(what[1]) > float(flags["timeout"]):
    print(f"==1== ERROR: libFuzzer: timeout after {flags['timeout']} seconds\n" + stack(what[2])
          + "SUMMARY: libFuzzer: timeout", file=sys.stderr)
    sys.exit(70)
if what[0] == "grows":
    if int(flags.get("malloc_limit_mb", 1 << 30)) < 100:
        print("==1== ERROR: libFuzzer: out-of-memory (malloc(104857600))\n" + stack(what[1])
              + "SUMMARY: libFuzzer: out-of-memory", file=sys.stderr)
    else:
        print(f"==1== ERROR: libFuzzer: out-of-memory (used: 2049Mb; exceeds: {flags['rss_limit_mb']}Mb)\n"
              "Live Heap Allocations: 27000000 bytes in 9000 chunks\n" + stack("fuzzer::Fuzzer::RssLimitCallback()")
              + "SUMMARY: libFuzzer: out-of-memory", file=sys.stderr)
    sys.exit(71)
print("Executed input in 0 ms")
'''

HDF5_FRAME = "H5HG_read (/usr/lib/x86_64-linux-gnu/hdf5/serial/libhdf5.so.103+0x1f2e3)"
TIPSIM_FRAME = "tipsim::h5::read_strings(long) /src/sim/output/h5.cpp:211:9"


@pytest.fixture
def triage(tmp_path, source_dir):
    """Runs the triage on the given inputs ({file name: text}, optionally a fuzzer log): (exit status, output)."""
    fuzzer = tmp_path / "fuzzer"
    fuzzer.write_text(STAND_IN)
    fuzzer.chmod(0o755)

    runs = iter(range(100))

    def run(inputs, log_text=None):
        folder = tmp_path / f"artifacts-{next(runs)}"
        folder.mkdir()
        for name, text in inputs.items():
            (folder / name).write_text(text)
        command = [sys.executable, str(source_dir / "scripts" / "fuzz_triage.py"), str(fuzzer), str(folder)]
        if log_text is not None:
            log = tmp_path / "log"
            log.write_text(log_text)
            command.append(str(log))
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        print(done.stdout, done.stderr)
        return done.returncode, done.stdout

    return run


def test_crashes_in_hdf5_are_tolerated_and_crashes_in_tipsim_fail(triage):
    status, out = triage({"crash-1": f"crash {HDF5_FRAME}"})
    assert status == 0 and "HDF5 defect (not tipsim's; tolerated):    1 x" in out
    status, out = triage({"crash-2": f"crash {TIPSIM_FRAME}"})
    assert status == 1 and "TIPSIM DEFECT: crash-2" in out and "tipsim::h5::read_strings" in out


def test_an_input_that_does_not_fail_alone_is_judged_by_its_recorded_report(triage):
    log = ("INFO: -fork=1: fuzzing in separate process(s)\n==1==ERROR: AddressSanitizer: SEGV\n"
           f"    #0 0x7f in {HDF5_FRAME}\nSUMMARY: AddressSanitizer: SEGV\n"
           "Test unit written to build-fuzz/work/run_file_reader/artifacts/crash-recorded\n")
    status, out = triage({"crash-recorded": "fine"}, log)
    assert status == 0 and "not reproducible alone, recorded AddressSanitizer: SEGV in H5HG_read" in out
    status, out = triage({"crash-unrecorded": "fine"}, log)
    assert status == 1 and "TIPSIM DEFECT: crash-unrecorded: not reproducible alone, and no report" in out


def test_slow_units_are_judged_by_where_they_spend_two_seconds_alone(triage):
    # Slow among other inputs but quick alone: the machine's load, listed with its time alone.
    status, out = triage({"slow-unit-quick": f"takes 0.5 {TIPSIM_FRAME}"})
    assert status == 0 and "slow only among other inputs (not a defect; tolerated): slow-unit-quick" in out
    # Slow alone: judged by the frame the two-second limit's report names.
    status, out = triage({"slow-unit-hdf5": f"takes 5 {HDF5_FRAME}"})
    assert status == 0 and "libFuzzer: timeout in H5HG_read" in out
    status, out = triage({"slow-unit-tipsim": f"takes 5 {TIPSIM_FRAME}"})
    assert status == 1 and "TIPSIM DEFECT: slow-unit-tipsim: libFuzzer: timeout at tipsim::h5" in out
    # A timeout is the same: one that is slow alone in tipsim's code fails.
    status, out = triage({"timeout-tipsim": f"takes 5 {TIPSIM_FRAME}"})
    assert status == 1 and "TIPSIM DEFECT: timeout-tipsim" in out


def test_memory_growth_is_judged_by_the_first_large_allocation(triage):
    status, out = triage({"timeout-grows-in-hdf5": f"grows {HDF5_FRAME}"})
    assert status == 0 and "libFuzzer: out-of-memory in H5HG_read" in out
    status, out = triage({"oom-grows-in-tipsim": f"grows {TIPSIM_FRAME}"})
    assert status == 1 and "TIPSIM DEFECT: oom-grows-in-tipsim: libFuzzer: out-of-memory at tipsim::h5" in out
