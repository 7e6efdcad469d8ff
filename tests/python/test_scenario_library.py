"""The scenario library: each policy scenario moves the world the way its
comment says, against its reference, over paired replicates.

Every scenario runs on the same held-out seed (world_library.py), so
replicate r of two scenarios shares its random streams (common random
numbers) and each claim is a one-sided paired t-test of the difference,
with the t distribution for its number of pairs. The claims are one family:
Holm's step-down correction keeps the chance that any of them passes by
luck below 5 %. Every claim's t, the critical value it had to pass and the
margin are printed, pass or fail. The files come from ctest's world_runs
fixture (TIPSIM_WORLD_RUNS); run alone, the test makes them itself.
"""

import os
import pathlib

import h5py
import numpy as np
import pytest
from scipy import stats

from world_library import DIRECTIONS, read_index, run_all

FAMILY_ERROR_RATE = 0.05


def figure(f, point, name):
    """A per-replicate figure of the file's point (a run's only point, or an
    arm of a comparison): a summary, or a series total after burn-in."""
    burn_in = int(f.attrs["burn_in_steps"])
    if name in f["summary"]:
        return np.asarray(f["summary"][name][point, :], dtype=float)
    if name == "recruitments_deceptive":
        series = f["series"]["recruitments_by_method"][point, :, burn_in:, :, 0]
        return series.sum(axis=(1, 2)).astype(float)
    series = f["series"][name][point, :, burn_in:]
    return series.reshape(series.shape[0], -1).sum(axis=1).astype(float)


@pytest.fixture(scope="session")
def world_runs(tmp_path_factory, tipsim_cli):
    given = os.environ.get("TIPSIM_WORLD_RUNS")
    if given:
        return read_index(pathlib.Path(given))
    return run_all(tipsim_cli, tmp_path_factory.mktemp("world-runs"))


def holm(p_values, alpha):
    """Which hypotheses Holm's step-down procedure rejects at family-wise
    rate alpha, and the level each p-value was compared with."""
    order = np.argsort(p_values, kind="stable")
    m = len(p_values)
    rejected, levels = [False] * m, [0.0] * m
    still = True
    for k, i in enumerate(order):
        levels[i] = alpha / (m - k)
        still = still and p_values[i] < levels[i]
        rejected[i] = still
    return rejected, levels


def test_library_directions(world_runs):
    rows = []
    for scenario, reference, name, sign, pairs in DIRECTIONS:
        (file_a, point_a), (file_b, point_b) = world_runs[scenario], world_runs[reference]
        with h5py.File(file_a) as a, h5py.File(file_b) as b:
            difference = (figure(a, point_a, name)[:pairs] - figure(b, point_b, name)[:pairs]) * sign
        assert len(difference) == pairs, f"{scenario} vs {reference}: {len(difference)} pairs, {pairs} wanted"
        standard_error = difference.std(ddof=1) / np.sqrt(pairs)
        t = difference.mean() / standard_error if standard_error > 0 else np.copysign(np.inf, difference.mean())
        rows.append((f"{scenario} vs {reference}: {name} {'up' if sign > 0 else 'down'}", pairs,
                     sign * difference.mean(), standard_error, t, stats.t.sf(t, pairs - 1)))
    holds, levels = holm([r[5] for r in rows], FAMILY_ERROR_RATE)
    lines = []
    for (claim, pairs, mean, se, t, p), ok, level in zip(rows, holds, levels):
        critical = stats.t.isf(level, pairs - 1)
        lines.append(f"{'holds' if ok else 'FAILS'}  {claim}: difference {mean:+.4g} (s.e. {se:.3g}, {pairs} pairs), "
                     f"t = {t:.2f}, needs > {critical:.2f} (Holm level {level:.2g}): margin {t - critical:+.2f}")
    print("\n".join(lines))
    assert all(holds), "claims that do not hold:\n" + "\n".join(line for line in lines if line.startswith("FAILS"))


def test_every_library_scenario_is_tested(source_dir):
    library = {p.stem for p in (source_dir / "scenarios").glob("world_*.toml")}
    tested = {s for s, _, _, _, _ in DIRECTIONS} | {r for _, r, _, _, _ in DIRECTIONS}
    assert library == tested, f"library scenarios without a direction test: {sorted(library - tested)}"
