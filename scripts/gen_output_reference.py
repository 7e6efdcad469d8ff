#!/usr/bin/python3
"""Regenerates the tables of docs/output-format.md that come from the model's tables.

Only the blocks between
  <!-- BEGIN GENERATED: NAME -->
  <!-- END GENERATED: NAME -->
are rewritten: output-series (sim/model/metrics.def), output-summary
(sim/model/metrics.cpp's summaries), output-axes (the axis labels),
output-events (sim/model/events.def), output-effects
(sim/experiments/comparison.cpp's effects) and output-export (the tables of
`tipsim export`, declared in sim/output/export.cpp). Everything else is
hand-written.
The tables are those `tipsim reference --json` prints, read as
scripts/gen_param_reference.py reads them, so both documents agree.

Usage (from anywhere, once tipsim is built):
  /usr/bin/python3 scripts/gen_output_reference.py          # rewrite the file
  /usr/bin/python3 scripts/gen_output_reference.py --check  # exit 1 if stale
  --tipsim PATH   the tipsim program to ask (default: $TIPSIM_CLI, else
                  build/sim/tipsim)
Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_param_reference as tables  # noqa: E402  (the shared reader of the model's tables)

OUTPUT_MD = tables.ROOT / "docs" / "output-format.md"
# How each value type is stored in a run file (sim/output/run_file_layout.cpp).
STORED_TYPE = {"Count": "int64", "Amount": "float64"}


def dimension(axis: str) -> str:
    name = tables.AXIS_DIMENSION[axis]
    return "—" if name == "—" else f"`{name}`"


def series_block(metrics) -> str:
    rows = ["| variable | 5th dimension | type | units | basis | stock/flow | layer | long_name |",
            "|---|---|---|---|---|---|---|---|"]
    for m in metrics:
        rows.append(f"| `{m.name}` | {dimension(m.axis)} | {STORED_TYPE[m.type]} | {tables.cell(m.units)} | "
                    f"{m.basis} | {m.nature.lower()} | {m.layer} | {tables.cell(m.long_name)} |")
    return "\n".join(rows)


def summary_block(summaries) -> str:
    rows = ["| variable | units | basis | layer | long_name |", "|---|---|---|---|---|"]
    for name, units, long_name, layer, basis in summaries:
        rows.append(f"| `{name}` | {tables.cell(units)} | {basis} | {layer} | {tables.cell(long_name)} |")
    return "\n".join(rows)


def axes_block(axes) -> str:
    rows = ["| dimension | labels, in index order |", "|---|---|"]
    for axis, labels in axes.items():
        rows.append(f"| {dimension(axis)} | {', '.join(f'`{x}`' for x in labels)} |")
    return "\n".join(rows)


# What each mechanism of sim/model/events.def means for the intervention column.
MECHANISM_TEXT = {"None": "—", "Recruitment": "recruitment", "Channel": "the channel's",
                  "Shelter": "shelter", "NonPunishment": "non-punishment", "Services": "services",
                  "Justice": "justice", "Trial": "trial", "Entry": "entry", "Sentence": "sentence"}


def read_event_kinds(reference: dict) -> list[tuple[str, str, str]]:
    kinds = []
    for kind in reference["event_kinds"]:
        if kind["mechanism"] not in MECHANISM_TEXT:
            sys.exit(f"{Path(__file__).name}: event {kind['name']} has an unknown mechanism {kind['mechanism']}")
        kinds.append((kind["name"], kind["mechanism"], kind["doc"]))
    if not kinds:
        sys.exit(f"{Path(__file__).name}: the program lists no event kinds")
    return kinds


def events_block(kinds) -> str:
    rows = ["| `kind` | meaning | levers read (intervention column) |", "|---|---|---|"]
    for value, (name, mechanism, doc) in enumerate(kinds):
        rows.append(f"| {value} `{name}` | {tables.cell(doc)} | {MECHANISM_TEXT[mechanism]} |")
    return "\n".join(rows)


def read_effects(reference: dict) -> list[tuple[str, str, str, str, str]]:
    effects = [(e["name"], e["summary"], e["sign"], e["units"], e["long_name"]) for e in reference["effects"]]
    if not effects:
        sys.exit(f"{Path(__file__).name}: the program lists no comparison effects")
    return effects


SIGN_TEXT = {"BaselineMinusArm": "baseline − arm", "ArmMinusBaseline": "arm − baseline",
             "CostPerAverted": "Δ `spending_total` / victim-years averted"}


def effects_block(effects) -> str:
    rows = ["| effect `E` | from `summary/` | formed as | units | long_name |", "|---|---|---|---|---|"]
    for name, summary, sign, units, long_name in effects:
        source = "`victim_years`, `spending_total`" if sign == "CostPerAverted" else f"`{summary}`"
        rows.append(f"| `{name}` | {source} | {SIGN_TEXT[sign]} | {tables.cell(units)} | {tables.cell(long_name)} |")
    return "\n".join(rows)


def read_export_tables(reference: dict) -> list[dict]:
    tables_ = reference.get("export_tables", [])
    if not tables_:
        sys.exit(f"{Path(__file__).name}: the program lists no export tables")
    return tables_


def column_text(column: str) -> str:
    """A column as the table shows it: `name`, a placeholder (LABELS, CATEGORY) in
    italics, an optional one in brackets."""
    optional = column.startswith("[") and column.endswith("]")
    name = column.strip("[]")
    text = f"*{name}*" if name.isupper() else f"`{name}`"
    return f"[{text}]" if optional else text


def export_block(export_tables) -> str:
    rows = ["| table | in | one row per | columns |", "|---|---|---|---|"]
    for t in export_tables:
        columns = ", ".join(column_text(c.strip()) for c in t["columns"].split(","))
        rows.append(f"| `{t['name']}` | {tables.cell(t['present'])} | {tables.cell(t['row'])} | {columns} |")
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
    tables.add_tipsim_option(parser)
    args = parser.parse_args()

    reference = tables.read_reference(args.tipsim)
    metrics, summaries, axes = tables.read_metrics(reference)
    blocks = {"output-series": series_block(metrics), "output-summary": summary_block(summaries),
              "output-axes": axes_block(axes), "output-events": events_block(read_event_kinds(reference)),
              "output-effects": effects_block(read_effects(reference)),
              "output-export": export_block(read_export_tables(reference))}
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
