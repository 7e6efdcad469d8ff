#!/usr/bin/env python3
"""Fails when a test was skipped without a listed reason.

    scripts/check_skips.py STAGE JUNIT.xml...

Reads the JUnit files of one CI stage (ctest --output-junit, pytest
--junitxml, and GoogleTest's --gtest_output=xml reports of the sanitizer
builds, which run a suite per process) and lists every skipped test. A skip is allowed only when a line
of tests/allowed_skips.txt names the stage (or *) and a pattern matching the
test, with its reason; any other skip fails the stage (exit 1), as does a
missing JUnit file. Prints every skip it saw, allowed or not.
"""

from __future__ import annotations

import fnmatch
import pathlib
import re
import sys
import xml.etree.ElementTree as ElementTree

ROOT = pathlib.Path(__file__).resolve().parents[1]
ALLOWED = ROOT / "tests" / "allowed_skips.txt"


def allowed_skips() -> list[tuple[str, str, str]]:
    """(stage, test pattern, reason) for every line of the list."""
    rules = []
    for number, line in enumerate(ALLOWED.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            raise SystemExit(f"{ALLOWED}:{number}: want 'STAGE PATTERN REASON', got {line!r}")
        rules.append((parts[0], parts[1], parts[2]))
    return rules


def skipped_tests(junit: pathlib.Path) -> list[tuple[str, str]]:
    """(test name, skip message) of every skipped test case in the file."""
    found = []
    for case in ElementTree.parse(junit).iter("testcase"):
        skipped = case.find("skipped")
        if skipped is None and case.get("status") not in ("skipped", "disabled", "notrun"):
            continue
        name = case.get("name", "?")
        classname = case.get("classname", "")
        # pytest names a case by module and function; ctest by the test's name;
        # GoogleTest (whose cases have a result) by suite and test.
        if case.get("result") is not None:
            full = f"{classname}.{name}"
        elif classname and classname != name and "." in classname:
            full = f"{classname}::{name}"
        else:
            full = name
        message = "" if skipped is None else (skipped.get("message") or skipped.text or "").strip()
        lines = message.splitlines()
        # GoogleTest's message starts with the file:line of the skip; the reason follows.
        if len(lines) > 1 and re.fullmatch(r"\S+:\d+", lines[0]):
            lines = lines[1:]
        found.append((full, lines[0] if lines else ""))
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    stage, files = argv[0], [pathlib.Path(f) for f in argv[1:]]
    rules = allowed_skips()
    unlisted = 0
    for junit in files:
        if not junit.is_file():
            print(f"check_skips: {stage}: no JUnit file {junit}: the tests did not run", file=sys.stderr)
            unlisted += 1
            continue
        for name, message in skipped_tests(junit):
            reason = next((r for s, p, r in rules if s in (stage, "*") and fnmatch.fnmatchcase(name, p)), None)
            if reason is None:
                unlisted += 1
                print(f"check_skips: {stage}: UNLISTED SKIP {name}: {message}", file=sys.stderr)
            else:
                print(f"check_skips: {stage}: skipped {name} (listed: {reason})")
    if unlisted:
        print(f"check_skips: {stage}: {unlisted} skip(s) not in {ALLOWED.relative_to(ROOT)}: a skipped test is a "
              "failure unless the list gives its reason", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
