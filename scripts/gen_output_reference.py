#!/usr/bin/python3
"""Regenerates the tables of docs/output-format.md that come from the metric table.

Only the blocks between
  <!-- BEGIN GENERATED: NAME -->
  <!-- END GENERATED: NAME -->
are rewritten: output-series (sim/model/metrics.def), output-summary
(sim/model/metrics.cpp's kSummaries), output-axes (the label arrays of
sim/model/metrics.cpp), output-events (sim/model/events.def) and output-effects
(sim/experiments/comparison.cpp's kEffects). Everything else is hand-written. The tables are read with
scripts/gen_param_reference.py's parser, so both documents agree.

Usage (from anywhere):
  /usr/bin/python3 scripts/gen_output_reference.py          # rewrite the file
  /usr/bin/python3 scripts/gen_output_reference.py --check  # exit 1 if stale
Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_param_reference as tables  # noqa: E402  (the shared parser of the .def files)

OUTPUT_MD = tables.ROOT / "docs" / "output-format.md"
EVENTS_DEF = tables.ROOT / "sim" / "model" / "events.def"
COMPARISON_CPP = tables.ROOT / "sim" / "experiments" / "comparison.cpp"
# How each value type is stored in a run file (sim/output/run_file_layout.cpp).
STORED_TYPE = {"Count": "int64", "Amount": "float64"}


def dimension(axis: str) -> str:
    name = tables.AXIS_DIMENSION[axis]
    return "—" if name == "—" else f"`{name}`"


def series_block(metrics) -> str:
    rows = ["| variable | 5th dimension | type | units | stock/flow | layer | long_name |",
            "|---|---|---|---|---|---|---|"]
    for m in metrics:
        rows.append(f"| `{m.name}` | {dimension(m.axis)} | {STORED_TYPE[m.type]} | {tables.cell(m.units)} | "
                    f"{m.nature.lower()} | {m.layer} | {tables.cell(m.long_name)} |")
    return "\n".join(rows)


def summary_block(summaries) -> str:
    rows = ["| variable | units | layer | long_name |", "|---|---|---|---|"]
    for name, units, long_name, layer in summaries:
        rows.append(f"| `{name}` | {tables.cell(units)} | {layer} | {tables.cell(long_name)} |")
    return "\n".join(rows)


def axes_block(axes) -> str:
    rows = ["| dimension | labels, in index order |", "|---|---|"]
    for axis, labels in axes.items():
        rows.append(f"| {dimension(axis)} | {', '.join(f'`{x}`' for x in labels)} |")
    return "\n".join(rows)


_EVENT_RE = re.compile(r'^TIPSIM_EVENT\((\w+),\s*"([A-Z_]+)",\s*(\w+),\s*"([^"]*)"\)\s*$')

# What each mechanism of sim/model/events.def means for the intervention column.
MECHANISM_TEXT = {"None": "—", "Recruitment": "recruitment", "Channel": "the channel's",
                  "Shelter": "shelter", "NonPunishment": "non-punishment", "Services": "services",
                  "Justice": "justice", "Entry": "entry", "Sentence": "sentence"}


def read_event_kinds() -> list[tuple[str, str, str]]:
    kinds = []
    for number, line in enumerate(EVENTS_DEF.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line.startswith("TIPSIM_EVENT("):
            continue
        m = _EVENT_RE.match(line)
        if not m:
            sys.exit(f"{EVENTS_DEF}:{number}: cannot parse this TIPSIM_EVENT line")
        _, name, mechanism, doc = m.groups()
        if mechanism not in MECHANISM_TEXT:
            sys.exit(f"{EVENTS_DEF}:{number}: unknown mechanism {mechanism}")
        kinds.append((name, mechanism, doc))
    if not kinds:
        sys.exit(f"{EVENTS_DEF}: no events found")
    return kinds


def events_block(kinds) -> str:
    rows = ["| `kind` | meaning | levers read (intervention column) |", "|---|---|---|"]
    for value, (name, mechanism, doc) in enumerate(kinds):
        rows.append(f"| {value} `{name}` | {tables.cell(doc)} | {MECHANISM_TEXT[mechanism]} |")
    return "\n".join(rows)


def read_effects() -> list[tuple[str, str, str, str, str]]:
    cpp = COMPARISON_CPP.read_text(encoding="utf-8")
    block = re.search(r"kEffects\[\]\s*=\s*\{(.*?)\n\};", cpp, re.S)
    if not block:
        sys.exit(f"{COMPARISON_CPP}: cannot find kEffects[]")
    effects = []
    for m in re.finditer(r'\{\s*"(\w+)",\s*"([^"]*)",\s*"(\w+)",\s*EffectSign::(\w+),\s*"([^"]*)",\s*'
                         r'((?:"[^"]*"\s*)+)\}', block.group(1)):
        name, label, summary, sign, units, long_parts = m.groups()
        long_name = "".join(re.findall(r'"([^"]*)"', long_parts))
        effects.append((name, summary, sign, units, long_name))
    if not effects:
        sys.exit(f"{COMPARISON_CPP}: no effects found in kEffects[]")
    return effects


SIGN_TEXT = {"BaselineMinusArm": "baseline − arm", "ArmMinusBaseline": "arm − baseline",
             "CostPerAverted": "Δ `spending_total` / victim-years averted"}


def effects_block(effects) -> str:
    rows = ["| effect `E` | from `summary/` | formed as | units | long_name |", "|---|---|---|---|---|"]
    for name, summary, sign, units, long_name in effects:
        source = "`victim_years`, `spending_total`" if sign == "CostPerAverted" else f"`{summary}`"
        rows.append(f"| `{name}` | {source} | {SIGN_TEXT[sign]} | {tables.cell(units)} | {tables.cell(long_name)} |")
    return "\n".join(rows)


def fill(text: str, blocks: dict[str, str]) -> str:
    seen = set()

    def replace(m: re.Match) -> str:
        name = m.group(1)
        if name not in blocks:
            sys.exit(f"{OUTPUT_MD}: unknown generated block '{name}'")
        seen.add(name)
        return f"<!-- BEGIN GENERATED: {name} -->\n{blocks[name]}\n<!-- END GENERATED: {name} -->"

    pattern = r"<!-- BEGIN GENERATED: ([\w-]+) -->.*?<!-- END GENERATED: \1 -->"
    new = re.sub(pattern, replace, text, flags=re.S)
    missing = set(blocks) - seen
    if missing:
        sys.exit(f"{OUTPUT_MD}: no place for the generated blocks {sorted(missing)}")
    return new


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the file is out of date")
    args = parser.parse_args()

    metrics, summaries, axes = tables.read_metrics()
    blocks = {"output-series": series_block(metrics), "output-summary": summary_block(summaries),
              "output-axes": axes_block(axes), "output-events": events_block(read_event_kinds()),
              "output-effects": effects_block(read_effects())}
    old = OUTPUT_MD.read_text(encoding="utf-8")
    new = fill(old, blocks)
    if args.check:
        if new != old:
            print(f"out of date (run /usr/bin/python3 scripts/gen_output_reference.py): {OUTPUT_MD}")
            return 1
        return 0
    if new != old:
        OUTPUT_MD.write_text(new, encoding="utf-8")
        print(f"wrote {OUTPUT_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
