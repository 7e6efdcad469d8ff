"""The scenario library: each policy scenario moves the world the way its
comment says, against its reference, over paired replicates.

Every pair runs with the same seed and replicates, so replicate r of both
scenarios shares its random streams (common random numbers) and the
difference is measured pair by pair. A direction holds when the mean paired
difference is away from zero on the
expected side by more than two standard errors (seeds are fixed, so the
outcome is reproducible, not a matter of luck on a given day). The world is
the calibrated scenario at its own size and length, with 10 replicates.
"""

import math
import subprocess

import h5py
import numpy as np
import pytest

REPLICATES = 10
REDUCED = ["--replicates", str(REPLICATES)]

# (scenario, reference, summary figure, expected sign of scenario - reference)
DIRECTIONS = [
    ("world_prosecution_surge", "world_baseline", "convictions", +1),
    ("world_protection_surge", "world_baseline", "identified", +1),
    ("world_protection_surge", "world_baseline", "protection_entries", +1),
    ("world_prevention_surge", "world_baseline", "recruitments", -1),
    ("world_prevention_surge", "world_baseline", "exploited_mean", -1),
    ("world_partnership_on", "world_baseline", "identified", +1),
    ("world_partnership_on", "world_baseline", "convictions", +1),
    ("world_partnership_off", "world_baseline", "identified", -1),
    ("world_prosecution_with_protection", "world_prosecution_surge", "victims_cooperating", +1),
    ("world_prosecution_without_protection", "world_prosecution_with_protection", "victims_cooperating", -1),
    ("world_prosecution_without_protection", "world_prosecution_with_protection", "convictions", -1),
    ("world_arrests_without_demand_reduction", "world_baseline", "traffickers_replacing", +1),
    ("world_arrests_with_demand_reduction", "world_arrests_without_demand_reduction", "traffickers_replacing", -1),
    ("world_arrests_with_demand_reduction", "world_arrests_without_demand_reduction", "exploited_mean", -1),
    ("world_demand_reduction", "world_baseline", "recruitments", -1),
    ("world_demand_reduction", "world_baseline", "exploited_mean", -1),
    ("world_fee_ban", "world_baseline", "debt_bonded_share_of_labour", -1),
    ("world_fee_ban", "world_baseline", "recruitments_deceptive", -1),
    ("world_non_punishment_everywhere", "world_baseline", "victims_criminalised", -1),
    ("world_non_punishment_nowhere", "world_baseline", "victims_criminalised", +1),
    ("world_non_punishment_nowhere", "world_baseline", "protection_entries", -1),
    ("world_budget_prosecution_weighted", "world_budget_even", "convictions", +1),
    ("world_budget_protection_weighted", "world_budget_even", "protection_entries", +1),
    ("world_budget_prevention_weighted", "world_budget_even", "recruitments", -1),
]


def figure(f, name):
    """A per-replicate figure: a summary, or a series total after burn-in."""
    burn_in = int(f.attrs["burn_in_steps"])
    if name in f["summary"]:
        return np.asarray(f["summary"][name][0, :], dtype=float)
    if name == "recruitments_deceptive":
        series = f["series"]["recruitments_by_method"][0, :, burn_in:, :, 0]
        return series.sum(axis=(1, 2)).astype(float)
    series = f["series"][name][0, :, burn_in:]
    return series.reshape(series.shape[0], -1).sum(axis=1).astype(float)


@pytest.fixture(scope="session")
def run_scenario(tmp_path_factory, tipsim_cli, source_dir):
    folder = tmp_path_factory.mktemp("library")
    done = {}

    def run(name):
        if name not in done:
            out = folder / f"{name}.h5"
            result = subprocess.run([tipsim_cli, "run", str(source_dir / "scenarios" / f"{name}.toml"), "-o",
                                     str(out), "--quiet", *REDUCED], capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, f"{name}: tipsim run failed:\n{result.stderr}"
            done[name] = out
        return done[name]

    return run


@pytest.mark.parametrize("scenario,reference,name,sign", DIRECTIONS,
                         ids=[f"{s}-{n}" for s, _, n, _ in DIRECTIONS])
def test_library_direction(run_scenario, scenario, reference, name, sign):
    with h5py.File(run_scenario(scenario)) as a, h5py.File(run_scenario(reference)) as b:
        difference = figure(a, name) - figure(b, name)
    mean = difference.mean()
    standard_error = difference.std(ddof=1) / math.sqrt(len(difference))
    assert sign * mean > 0, f"{scenario} vs {reference}: {name} moved {mean:+.4g}, expected sign {sign:+d}"
    assert sign * mean > 2 * standard_error, (
        f"{scenario} vs {reference}: {name} moved {mean:+.4g} (standard error {standard_error:.3g}), "
        f"not clearly in the expected direction")


def test_every_library_scenario_is_tested(source_dir):
    library = {p.stem for p in (source_dir / "scenarios").glob("world_*.toml")}
    tested = {s for s, _, _, _ in DIRECTIONS} | {r for _, r, _, _ in DIRECTIONS}
    assert library == tested, f"library scenarios without a direction test: {sorted(library - tested)}"
