"""The calibrated world's scenario library, run once for every test that
judges it: the calibration check (world_baseline against the real-world
targets) and the library's directions (test_scenario_library.py).

Every scenario runs on the held-out seed that the calibration fit never
used, so replicate r of any two scenarios shares its random streams
(common random numbers) and the comparison is paired, whichever file holds
them. Each claim says how many pairs it needs; a scenario runs as many
replicates as its most demanding claim (and world_baseline at least as
many as the calibration is judged on). The scenarios that need the same
number of replicates run as the arms of one `tipsim compare`, which
simulates the steps they share (the burn-in before their interventions
start) once per replicate and forks the arms from there: the arms are bit
for bit what separate runs give, for about 30 % less work.
world_baseline runs alone, as the run file the calibration check reads.

    build/analysis-venv/bin/python tests/python/world_library.py --tipsim build/sim/tipsim --out DIR

writes DIR/world_baseline.h5, DIR/replicates-R.h5 for each number of
replicates R, and DIR/index.json, which says for each library scenario the
file and the point (arm) that holds it (ctest's fixture world_runs; it
runs with the python of the environment ctest installs the analysis
package into).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
from tipsim_analysis.calibrate import HELD_OUT_SEED

# The calibration is judged on this many replicates of world_baseline.
CALIBRATION_REPLICATES = 20

# (scenario, reference, figure, expected sign of scenario - reference, pairs).
# Pairs: enough that the claim passes the Holm-corrected one-sided paired
# t-test of test_scenario_library.py with room, checked on a seed that is
# neither the fit's nor the held-out one (`tipsim compare` of world_baseline
# and every other world_*.toml, --seed 4242 --replicates 24, each claim's
# paired t as test_scenario_library.py computes it) over disjoint sets of
# replicates, not only the first, against
# the strictest Holm level (0.05 / 24): the claims with 6 pairs on four sets
# of 6 (t > 4.98 with 5 degrees of freedom; worst margin +7.66), those with
# 8 on three sets of 8 (worst +1.72, where sets of 6 fell to +0.29); victims
# punished under non-punishment everywhere, a few thousand people against
# the baseline's non-punishment in most regions, on the first and last 16
# (+5.74 and +1.73; sets of 12: +0.91).
DIRECTIONS = [
    ("world_prosecution_surge", "world_baseline", "convictions", +1, 6),
    ("world_protection_surge", "world_baseline", "identified", +1, 8),
    ("world_protection_surge", "world_baseline", "protection_entries", +1, 6),
    ("world_prevention_surge", "world_baseline", "recruitments", -1, 6),
    ("world_prevention_surge", "world_baseline", "exploited_mean", -1, 6),
    ("world_partnership_on", "world_baseline", "identified", +1, 6),
    ("world_partnership_on", "world_baseline", "victim_identification_rate", +1, 6),
    ("world_partnership_off", "world_baseline", "identified", -1, 6),
    ("world_prosecution_with_protection", "world_prosecution_surge", "victims_cooperating", +1, 6),
    ("world_prosecution_without_protection", "world_prosecution_with_protection", "victims_cooperating", -1, 6),
    ("world_prosecution_without_protection", "world_prosecution_with_protection", "convictions", -1, 8),
    ("world_arrests_without_demand_reduction", "world_baseline", "traffickers_replacing", +1, 6),
    ("world_arrests_with_demand_reduction", "world_arrests_without_demand_reduction", "traffickers_replacing", -1,
     8),
    ("world_arrests_with_demand_reduction", "world_arrests_without_demand_reduction", "exploited_mean", -1, 6),
    ("world_demand_reduction", "world_baseline", "recruitments", -1, 6),
    ("world_demand_reduction", "world_baseline", "exploited_mean", -1, 6),
    ("world_fee_ban", "world_baseline", "debt_bonded_share_of_labour", -1, 6),
    ("world_fee_ban", "world_baseline", "recruitments_deceptive", -1, 6),
    ("world_non_punishment_everywhere", "world_baseline", "victims_punished", -1, 16),
    ("world_non_punishment_nowhere", "world_baseline", "victims_punished", +1, 6),
    ("world_non_punishment_nowhere", "world_baseline", "protection_entries", -1, 6),
    ("world_budget_prosecution_weighted", "world_budget_even", "convictions", +1, 6),
    ("world_budget_protection_weighted", "world_budget_even", "protection_entries", +1, 6),
    ("world_budget_prevention_weighted", "world_budget_even", "awareness_mean", +1, 6),
]


def replicates_needed() -> dict[str, int]:
    """Replicates of each scenario: its most demanding claim's pairs."""
    needed = {"world_baseline": CALIBRATION_REPLICATES}
    for scenario, reference, _, _, pairs in DIRECTIONS:
        for name in (scenario, reference):
            needed[name] = max(needed.get(name, 0), pairs)
    return needed


def run_all(tipsim: str, folder: pathlib.Path) -> dict[str, tuple[pathlib.Path, int]]:
    """Runs every library scenario into FOLDER; returns, for each scenario,
    the file and the point that hold it (also written to FOLDER/index.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    by_replicates: dict[int, list[str]] = {}
    for name, replicates in sorted(replicates_needed().items()):
        if name != "world_baseline":
            by_replicates.setdefault(replicates, []).append(name)
    held = {"world_baseline": (folder / "world_baseline.h5", 0)}
    runs = [("run", ["world_baseline"], CALIBRATION_REPLICATES, held["world_baseline"][0])]
    for replicates, names in sorted(by_replicates.items()):
        out = folder / f"replicates-{replicates}.h5"
        runs.append(("compare" if len(names) > 1 else "run", names, replicates, out))
        held.update({name: (out, point) for point, name in enumerate(names)})
    for command_name, names, replicates, out in runs:
        out.unlink(missing_ok=True)
        command = [tipsim, command_name, *(str(ROOT / "scenarios" / f"{name}.toml") for name in names), "-o",
                   str(out), "--quiet", "--seed", str(HELD_OUT_SEED), "--replicates", str(replicates)]
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise SystemExit(f"world_library: {' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
        print(f"world_library: {', '.join(names)}: {replicates} replicates, seed {HELD_OUT_SEED}", flush=True)
    (folder / "index.json").write_text(json.dumps({name: [where.name, point] for name, (where, point) in held.items()},
                                                  indent=1, sort_keys=True))
    return held


def read_index(folder: pathlib.Path) -> dict[str, tuple[pathlib.Path, int]]:
    """The files and points of a folder that run_all filled."""
    index = json.loads((folder / "index.json").read_text())
    return {name: (folder / file, point) for name, (file, point) in index.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tipsim", required=True)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args()
    run_all(args.tipsim, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
