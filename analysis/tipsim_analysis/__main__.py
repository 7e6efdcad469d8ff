"""tipsim-analysis (or python3 -m tipsim_analysis): reports and tables from
tipsim run files.

  report FILE.h5 -o DIR   figures (PNG and SVG), tables (CSV) and a
                          self-contained DIR/report.html (also: tipsim-report)
  summary FILE.h5         the headline figures of each point: mean, median
                          and 10-90 % band over replicates (--csv for all);
                          for a comparison, the arms' cost-effectiveness
  calibrate fit|report    the calibration against real-world targets
                          (tipsim-analysis calibrate --help)

Exit codes: 0 done; 2 bad input (a file that is not a readable tipsim run
file, a bad targets file), with a message naming the file and the reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

from . import __version__
from .io import RunFileError

# The commands write files and never show a window: a library leaves the
# backend to its user (a notebook keeps its inline one), a command does not.
matplotlib.use("Agg")


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    targets = None if args.no_targets else Path(args.targets)
    if targets is not None and not targets.is_file():
        raise ValueError(f"{targets}: no such targets file (give --targets FILE or --no-targets)")
    report = write_report(args.file, args.output, targets=targets, embed=args.embed,
                          log=None if args.quiet else (lambda m: print(f"  {m}", file=sys.stderr)))
    print(f"wrote {report.html} ({len(report.figures)} figures, {len(report.tables)} tables)")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from . import summaries as S
    from .io import open_run
    from .provenance import run_notes

    with open_run(args.file) as run:
        if args.csv:
            S.summary_table(run).to_csv(sys.stdout, index=False)
            return 0
        table = S.summary_table(run, S.HEADLINE_FIGURES)
        print(f"{run.scenario_name}: {run.experiment}, {run.point_count} point(s) x {run.replicate_count} "
              f"replicate(s), measured over {run.measured_years:.2f} years; in real people and real USD "
              f"({S.scale_text(run)})")
        for point, rows in table.groupby("point", sort=True):
            print(f"\n{rows['point_label'].iloc[0]}")
            print(f"  {'':34}{'mean':>14}{'median':>14}{'10-90% band':>27}   unit")
            for _, r in rows.iterrows():
                band = f"{S.format_figure(r['low'])} - {S.format_figure(r['high'])}"
                print(f"  {S.HEADLINE_FIGURES[r['figure']]:34}{S.format_figure(r['mean']):>14}"
                      f"{S.format_figure(r['median']):>14}{band:>27}   {r['units']}")
        if S.has_cost_effectiveness(run):
            print(f"\n{S.cost_effectiveness_text(S.cost_effectiveness_table(run))}")
        print(f"\n{run_notes(run).limitations_text()}")
    return 0


def _report_arguments(r: argparse.ArgumentParser) -> None:
    # The report's default targets, without importing the report (and its figures) for every command.
    from .provenance import CALIBRATION_TARGETS as DEFAULT_TARGETS

    r.add_argument("file", help="a tipsim run file (run, sweep or comparison)")
    r.add_argument("-o", "--output", required=True, help="folder to write into (made when missing)")
    r.add_argument("--targets", default=str(DEFAULT_TARGETS),
                   help="calibration targets for the model against data (default: the package's own, "
                        "analysis/data/calibration_targets.csv)")
    r.add_argument("--no-targets", action="store_true", help="leave out the model against data")
    r.add_argument("--embed", choices=("png", "svg"), default="png",
                   help="how report.html holds the figures: base64 PNG or inline SVG (default: %(default)s)")
    r.add_argument("-q", "--quiet", action="store_true", help="print only the final line")
    r.set_defaults(func=_report)


def _run(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (RunFileError, ValueError, KeyError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # The calibration has its own command line; this one only hands it over.
    if argv[:1] == ["calibrate"]:
        from . import calibrate

        return calibrate.main(argv[1:])
    parser = argparse.ArgumentParser(prog=_program_name("tipsim-analysis"), description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tipsim-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _report_arguments(sub.add_parser("report", help="figures, tables and a self-contained HTML report of a run file"))

    s = sub.add_parser("summary", help="the headline figures of each point (and a comparison's cost-effectiveness)")
    s.add_argument("file")
    s.add_argument("--csv", action="store_true", help="every figure, as CSV on stdout")
    s.set_defaults(func=_summary)

    sub.add_parser("calibrate", help="the calibration against real-world targets (calibrate --help)", add_help=False)
    return _run(parser, argv)


def report_main(argv: list[str] | None = None) -> int:
    """tipsim-report FILE.h5 -o DIR: the report as a command of its own."""
    parser = argparse.ArgumentParser(prog="tipsim-report",
                                     description="Figures (PNG and SVG), tables (CSV) and a self-contained "
                                                 "DIR/report.html of a tipsim run file.")
    parser.add_argument("--version", action="version", version=f"tipsim-report {__version__}")
    _report_arguments(parser)
    return _run(parser, sys.argv[1:] if argv is None else list(argv))


def _program_name(installed: str) -> str:
    """What the user typed: the installed command's name, or python3 -m."""
    return installed if Path(sys.argv[0]).name == installed else "python3 -m tipsim_analysis"


if __name__ == "__main__":
    sys.exit(main())
