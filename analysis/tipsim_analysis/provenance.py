"""What a run file's results can and cannot say, and where they come from.

    from tipsim_analysis import open_run
    from tipsim_analysis.provenance import run_notes

    with open_run("runs/3p.h5") as run:
        notes = run_notes(run)
        print(notes.limitations_text())   # simulation, calibration, scale, replicates
        print(notes.provenance)           # (label, value) pairs: version, revision, seed, ...
        print(notes.footer)               # the two short lines every figure carries

`run_notes` is the one place the report, the figures and `python3 -m
tipsim_analysis summary` take these words from.

Whether the scenario is calibrated is read from the scenario text the run
file holds (`scenario/source_text`): the calibrated world marks its fitted
values `# fitted` (the mark calibrate.py and docs/calibration.md go by); a
scenario that `extends` it, directly or through other scenarios, is built
on the calibrated world. Bases are looked for beside the scenario file and
in the repository's scenarios/ folder; the scenario's name (world_baseline,
world_*) decides only where the file holds no text or a base cannot be found.
"""

from __future__ import annotations

import functools
import shlex
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import calibrate
from . import summaries as S
from .io import Run

# The calibrated world and the files that describe its calibration.
CALIBRATED_SCENARIO = "world_baseline"
CALIBRATED_PREFIX = "world_"
# The real-world targets: the installed package's data, or analysis/data/
# when this is the source tree (pyproject.toml maps one onto the other).
CALIBRATION_TARGETS = next((d / "calibration_targets.csv" for d in (Path(__file__).resolve().parent / "data",
                                                                   Path(__file__).resolve().parents[1] / "data")
                            if (d / "calibration_targets.csv").is_file()),
                           Path(__file__).resolve().parents[1] / "data" / "calibration_targets.csv")
CALIBRATION_DOC = "docs/calibration.md"
# The bundled scenarios: the source tree's when the package runs from it,
# and scenarios/ of the working directory (the repository root) when installed.
SCENARIOS = (Path(__file__).resolve().parents[2] / "scenarios", Path("scenarios"))

# What the scenario is, as far as calibration goes.
CALIBRATED = "calibrated"
BUILT_ON_CALIBRATED = "built on the calibrated world"
NOT_CALIBRATED = "not calibrated"

# Command-line options that change the scenario's values after it was written.
_CHANGING_OPTIONS = ("--set", "--scale", "--vary")

# Root attributes shown as provenance, in this order, with a label.
PROVENANCE_FIELDS = (
    ("experiment", "experiment"),
    ("scenario_name", "scenario"),
    ("summary", "description"),
    ("command_line", "command line"),
    ("program_version", "tipsim version"),
    ("source_revision", "source revision"),
    ("created", "created (UTC)"),
    ("format_version", "run file format version"),
    ("seed", "master seed"),
    ("steps", "steps per run"),
    ("step_days", "days per step"),
    ("burn_in_steps", "burn-in steps (left out of the summaries)"),
    ("replicate_count", "replicates per point"),
    ("point_count", "points"),
    ("threads", "worker threads (never changes results)"),
    ("scenario_source_path", "scenario file"),
    ("sweep_definition", "sweep (--vary)"),
)


@dataclass(frozen=True)
class Calibration:
    """What calibration a run's scenario rests on.

    `status` is CALIBRATED (the scenario is the calibrated world),
    BUILT_ON_CALIBRATED (it extends the calibrated world, whose name is
    `base`) or NOT_CALIBRATED. `chain` is the extends chain followed, the
    scenario's own file first; `evidence` says how the status was decided.
    `changed_by` lists the command-line options (--set, --scale, --vary)
    that changed the scenario's values for this run.
    """

    status: str
    scenario: str
    base: str = ""
    chain: tuple[str, ...] = ()
    evidence: str = ""
    changed_by: tuple[str, ...] = ()
    targets: int | None = None


@dataclass(frozen=True)
class RunNotes:
    """The limitations of a run's results and its provenance, in words.

    `limitations`: (topic, sentence) pairs: Simulation, Calibration, Scale,
    Uncertainty. `provenance`: (label, value) pairs from the file's root
    attributes. `footer`: two short lines, the limitations and the
    provenance, for the bottom of a figure.
    """

    calibration: Calibration
    limitations: tuple[tuple[str, str], ...]
    provenance: tuple[tuple[str, str], ...]
    footer: tuple[str, ...]

    def limitations_text(self, width: int = 100) -> str:
        """The limitations as plain text under a heading, one topic a paragraph, wrapped at `width`."""
        return "Limitations\n" + "\n".join(
            textwrap.fill(f"{topic}: {text}", width, initial_indent="  ", subsequent_indent="    ",
                          break_long_words=False, break_on_hyphens=False)
            for topic, text in self.limitations)


# ---- calibration ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _target_count(path: Path) -> int | None:
    """How many targets the calibration targets file holds (None when it cannot be read)."""
    try:
        return len(calibrate.read_targets(path))
    except (OSError, SystemExit, KeyError, ValueError):
        return None


def _parse(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _name_of(data: dict[str, Any], fallback: str) -> str:
    scenario = data.get("scenario")
    name = scenario.get("name") if isinstance(scenario, dict) else None
    return str(name) if name else fallback


def _find_base(name: str, beside: Path | None) -> Path | None:
    """A scenario an `extends` names: beside the file that names it, else in the repository's scenarios/."""
    candidates = [beside / name] if beside is not None else []
    candidates += [folder / Path(name).name for folder in SCENARIOS]
    return next((c for c in candidates if c.is_file()), None)


def _changing_options(command_line: str) -> tuple[str, ...]:
    try:
        words = shlex.split(command_line)
    except ValueError:
        words = command_line.split()
    found = {w.split("=", 1)[0] for w in words if w.split("=", 1)[0] in _CHANGING_OPTIONS}
    return tuple(o for o in _CHANGING_OPTIONS if o in found)


def calibration_of(run: Run) -> Calibration:
    """Decides what calibration the run's scenario (point 0's: a comparison's baseline) rests on."""
    name = run.scenario_name or "the scenario"
    common = {"scenario": name, "changed_by": _changing_options(str(run.provenance.get("command_line", ""))),
              "targets": _target_count(CALIBRATION_TARGETS)}
    text = run.source_text
    if not text.strip():
        # No scenario text in the file (a built-in scenario): only the name can tell.
        if name == CALIBRATED_SCENARIO:
            return Calibration(CALIBRATED, base=name, evidence="by its name", **common)
        if name.startswith(CALIBRATED_PREFIX):
            return Calibration(BUILT_ON_CALIBRATED, base=CALIBRATED_SCENARIO, evidence="by its name", **common)
        return Calibration(NOT_CALIBRATED, evidence="the file holds no scenario text", **common)
    if calibrate.fitted_lines_in(text):
        return Calibration(CALIBRATED, base=name, evidence="its values marked '# fitted'", **common)

    source = run.provenance.get("scenario_source_path")
    chain = [Path(str(source)).name if source else name]
    beside = Path(str(source)).parent if source else None
    data = _parse(text)
    seen: set[Path] = set()
    while isinstance(data.get("extends"), str) and data["extends"]:
        extends = data["extends"]
        chain.append(Path(extends).name)
        found = _find_base(extends, beside)
        if found is None or found.resolve() in seen:
            stem = Path(extends).stem
            if stem == CALIBRATED_SCENARIO or stem.startswith(CALIBRATED_PREFIX):
                return Calibration(BUILT_ON_CALIBRATED, base=CALIBRATED_SCENARIO, chain=tuple(chain),
                                   evidence=f"by the name of {Path(extends).name}, which was not found to read",
                                   **common)
            return Calibration(NOT_CALIBRATED, chain=tuple(chain),
                               evidence=f"it extends {Path(extends).name}, which was not found to read", **common)
        seen.add(found.resolve())
        base_text = found.read_text(encoding="utf-8")
        data = _parse(base_text)
        if calibrate.fitted_lines_in(base_text):
            return Calibration(BUILT_ON_CALIBRATED, base=_name_of(data, found.stem), chain=tuple(chain),
                               evidence=f"{found.name} marks its values '# fitted'", **common)
        beside = found.parent
    return Calibration(NOT_CALIBRATED, chain=tuple(chain), **common)


def _targets_phrase(c: Calibration) -> str:
    count = f"the {c.targets} real-world targets" if c.targets else "the real-world targets"
    return f"{count} of analysis/data/{CALIBRATION_TARGETS.name}"


def _calibration_sentence(c: Calibration, experiment: str) -> str:
    sources = ("(Global Estimates of Modern Slavery, TIP Report, ILO, UNODC; judged on a seed the fit never "
               f"used, {CALIBRATION_DOC})")
    validity = "Matching these levels does not validate the policy effects the model predicts."
    changed = (f" This run changed its values on the command line ({', '.join(c.changed_by)}), which the "
               "calibration does not cover." if c.changed_by else "")
    arms = " The arms' changes to it are not calibrated either." if experiment == "comparison" else ""
    if c.status == CALIBRATED:
        return (f"{c.scenario} is the calibrated world: its values marked '# fitted' were fitted so that "
                f"{_targets_phrase(c)} fall in their bands {sources}. {validity}{changed}{arms}")
    if c.status == BUILT_ON_CALIBRATED:
        via = f" ({c.chain[0]} extends {', which extends '.join(c.chain[1:])})" if len(c.chain) > 1 else ""
        return (f"{c.scenario} is built on {c.base}{via}, the world calibrated to {_targets_phrase(c)} "
                f"{sources}; what {c.scenario} changes (its own values, interventions and size) is not "
                f"calibrated. {validity}{changed}{arms}")
    unknown = f" ({c.evidence})" if c.evidence else ""
    return (f"none. {c.scenario} is illustrative: it is neither the calibrated {CALIBRATED_SCENARIO} nor built "
            f"on it{unknown}, so it is not calibrated to any country or to real-world data (the bundled "
            "scenarios outside the world_* library have invented regions); its numbers show how the model "
            "behaves, not how large anything is in the world.")


def _calibration_fragment(c: Calibration) -> str:
    targets = f"{c.targets} targets" if c.targets else "real-world targets"
    changed = f", changed by {'/'.join(c.changed_by)}" if c.changed_by else ""
    if c.status == CALIBRATED:
        return f"{c.scenario} calibrated to {targets} ({CALIBRATION_DOC}){changed}"
    if c.status == BUILT_ON_CALIBRATED:
        return f"built on {c.base}, calibrated to {targets} ({CALIBRATION_DOC}); its changes are not{changed}"
    return "illustrative scenario, not calibrated to any country"


# ---- scale, replicates and provenance ------------------------------------------------------


def _scales(run: Run) -> list[float]:
    return sorted({float(v) for v in run.point_scales.values})


def _scale_sentence(run: Run) -> str:
    scales = _scales(run)
    size = run.provenance.get("population_size")
    world = ""
    if size is not None:
        people = float(size) * run.population_scale
        world = f"The simulated world holds {S.format_figure(people)} people ({S.format_figure(float(size))} agents). "
    if run.agent_units:
        return (f"{world}Counts are in agents (opened with agent_units=True): multiply by the scale "
                f"({S.scale_text(run)}) for real people; money is in real USD.")
    if scales == [1.0]:
        return f"{world}One agent is one person: counts are simulated people and money is in real USD."
    step = S.format_figure(scales[0]) if len(scales) == 1 else f"{S.format_figure(scales[0])} or more"
    return (f"{world}{S.scale_text(run).capitalize()}: counts are in real people and money in real USD, but every "
            f"count moves in steps of {step} people, so small counts (a few identifications or convictions) "
            "are integer noise at this scale.")


def _replicate_sentence(run: Run) -> str:
    n = run.replicate_count
    if n < 2:
        return ("one replicate per point: no band or interval can be given, and nothing measures how much "
                "another draw of the simulation's randomness would change the numbers, nor the parameters' "
                "uncertainty.")
    return (f"{n} replicates per point: the bands and 95 % intervals show only the simulation's randomness "
            "over these replicates, not the uncertainty of the parameters, of the calibration targets or of the "
            "model's structure.")


def _provenance_value(key: str, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Counts with thousands separated; the seed exactly as given.
        value = (str(value) if key == "seed" else f"{value:,}") if isinstance(value, int) else f"{value:g}"
    return str(value).strip()


def provenance_rows(run: Run) -> tuple[tuple[str, str], ...]:
    """The root attributes of PROVENANCE_FIELDS the file has, as (label, value) text."""
    rows = []
    for key, label in PROVENANCE_FIELDS:
        value = run.provenance.get(key)
        if value is None or value == "":
            continue
        rows.append((label, _provenance_value(key, value)))
    return tuple(rows)


def _footer(run: Run, c: Calibration) -> tuple[str, str]:
    p = run.provenance
    scales = _scales(run)
    scale = S.format_figure(scales[0]) if len(scales) == 1 else \
        f"{S.format_figure(scales[0])} to {S.format_figure(scales[-1])}"
    per = "person" if scales == [1.0] else "people"
    units = " (counts in agents)" if run.agent_units else ""
    replicates = run.replicate_count
    limitations = " · ".join([
        "Simulation, not a forecast", _calibration_fragment(c), f"1 agent = {scale} {per}{units}",
        f"{replicates} replicate{'s' if replicates != 1 else ''} (randomness only)"])
    revision = f" (rev {p['source_revision']})" if p.get("source_revision") else ""
    parts = [f"tipsim {p.get('program_version', '?')}{revision}", run.scenario_name or "scenario",
             f"seed {p.get('seed', '?')}",
             f"{run.point_count} point{'s' if run.point_count != 1 else ''} × {replicates} replicate"
             f"{'s' if replicates != 1 else ''}"]
    if p.get("created"):
        parts.append(f"created {p['created']}")
    parts.append(run.path.name)
    return limitations, " · ".join(parts)


def run_notes(run: Run) -> RunNotes:
    """The limitations of an open run's results and its provenance (see RunNotes)."""
    c = calibration_of(run)
    name = run.scenario_name or "(unnamed)"
    what = {"comparison": f"a comparison of policy arms against the baseline {name}",
            "sweep": f"a sweep over values of the scenario {name}"}.get(run.experiment, f"a run of the scenario {name}")
    limitations = (
        ("Simulation", f"{what}: the model's results under "
                       "its assumptions (docs/model.md, whose section 8 lists its simplifications), not a forecast of what will happen and not an estimate "
                       "of how many people are trafficked."),
        ("Calibration", _calibration_sentence(c, run.experiment)),
        ("Scale", _scale_sentence(run)),
        ("Uncertainty", _replicate_sentence(run)),
    )
    return RunNotes(calibration=c, limitations=limitations, provenance=provenance_rows(run), footer=_footer(run, c))
