"""Every kind of run file (a plain run, a run with the event log and
snapshots, a sweep, a comparison) opens in xarray (h5netcdf) group by group
with every dimension labelled, and in ncdump; the analysis package reads
each group as xarray does; the sweep, comparison, event and snapshot groups
hold what docs/output-format.md says."""

import pathlib
import subprocess

import h5netcdf
import h5py
import numpy as np
import pytest
import xarray as xr
from conftest import TINY_SCENARIO
from tipsim_analysis import io

KINDS = ("run with events and snapshots", "plain run", "sweep", "comparison")


def dim_names(ds):
    """The dimension names of an h5py dataset, from its attached dimension scales."""
    if h5py.h5ds.is_scale(ds.id):
        return [ds.name.split("/")[-1]]
    return [axis[0].name.split("/")[-1] for axis in ds.dims]


def raw_column(group, name, order):
    """An h5py dataset's values as the rows of a data frame whose index has the
    dimensions `order`: moved to that order, repeated along the dimensions it
    lacks, flattened."""
    ds = group[name]
    values = np.asarray(ds.asstr()[()] if h5py.check_string_dtype(ds.dtype) else ds[()])
    dims = dim_names(ds)
    assert set(dims) <= set(order), f"{ds.name}: dimensions {dims} not in the frame's index {order}"
    present = [d for d in order if d in dims]
    values = np.transpose(values, [dims.index(d) for d in present])
    values = values.reshape([len(group[d]) if d in dims else 1 for d in order])
    return np.broadcast_to(values, [len(group[d]) for d in order]).ravel()


def check_frame_against_raw(path, group, frame):
    """`frame` (to_dataframe of `group`) against the file read with h5py: one
    index level per dimension, one row per cell of the full grid, the index
    labels the dimension scales' values, every column the dataset's values."""
    with h5py.File(path, "r") as f:
        g = f[group]
        datasets = {name: ds for name, ds in g.items() if isinstance(ds, h5py.Dataset)}
        dims = {d for ds in datasets.values() for d in dim_names(ds)}
        assert set(frame.index.names) == dims, f"{group}: index {frame.index.names}, dimensions {sorted(dims)}"
        assert len(frame) == np.prod([len(g[d]) for d in frame.index.names]), group
        assert sorted(frame.columns) == sorted(set(datasets) - dims), group
        for level, d in enumerate(frame.index.names):
            labels = frame.index.get_level_values(level)
            np.testing.assert_array_equal(labels, raw_column(g, d, frame.index.names), err_msg=f"{group}: {d}")
        for name in frame.columns:
            np.testing.assert_array_equal(frame[name].to_numpy(), raw_column(g, name, frame.index.names),
                                          err_msg=f"{group}: {name}")


def groups_of(path):
    """Every group of a file, the root first."""
    names = ["/"]
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Group) else None)
    return names


@pytest.mark.parametrize("kind", KINDS)
def test_xarray_opens_every_group_with_labelled_dimensions(kind, every_kind_of_file):
    path = every_kind_of_file[kind]
    groups = groups_of(path)
    expected = {"series", "summary", "sweep", "scenario", "scenario/parameters"}
    if kind == "run with events and snapshots":
        expected |= {"events", "events/runs", "snapshots"}
    if kind == "comparison":
        expected |= {"comparison", "events", "events/runs"}
    assert expected <= set(groups), f"{kind}: groups {groups}"
    for group in groups:
        with xr.open_dataset(path, engine="h5netcdf", group=group) as ds:
            unlabelled = [dim for dim in ds.dims if dim not in ds.indexes]
            assert not unlabelled, f"{kind}, {group}: dimensions without a coordinate: {unlabelled}"
            # Tables and arrays alike become a data frame in one call, holding
            # what the file holds.
            if ds.data_vars and ds.dims and group != "series":
                check_frame_against_raw(path, group, ds.to_dataframe())


@pytest.fixture(scope="module")
def allocation_file(tipsim_cli, tmp_path_factory):
    """A small `tipsim allocate` file (its allocation group)."""
    folder = tmp_path_factory.mktemp("interop_allocation")
    (folder / "tiny.toml").write_text(TINY_SCENARIO)
    path = folder / "allocation.h5"
    subprocess.run([tipsim_cli, "allocate", str(folder / "tiny.toml"), "--budget", "2000", "--levels", "1",
                    "--resolution", "2", "--replicates", "2", "-o", str(path), "--quiet"], check=True,
                   capture_output=True, text=True, timeout=300)
    return path


def assert_same_dataset(expected, got, where):
    """Identical as xarray judges it, and also in the order of the variables
    and coordinates, the dtypes, and the types of the attributes' values."""
    xr.testing.assert_identical(expected, got)
    assert list(got.variables) == list(expected.variables), where
    assert list(got.coords) == list(expected.coords), where
    for name, variable in expected.variables.items():
        assert got[name].dtype == variable.dtype, (where, name)
        for key, value in variable.attrs.items():
            assert type(got[name].attrs[key]) is type(value), (where, name, key)


@pytest.mark.parametrize("kind", KINDS + ("allocation",))
def test_the_package_reads_every_group_as_xarray_does(kind, every_kind_of_file, allocation_file):
    """tipsim_analysis reads a group with h5py directly (io._read_group, a few
    times faster than xarray's h5netcdf reader, which resolves every
    dimension through object references): the same Dataset, loaded or lazy."""
    path = allocation_file if kind == "allocation" else every_kind_of_file[kind]
    for group in groups_of(path):
        for load in (True, False):
            where = f"{kind}, {group}, {'loaded' if load else 'lazy'}"
            with xr.open_dataset(path, engine="h5netcdf", group=group) as expected:
                got = io._read_group_directly(pathlib.Path(path), group, load)
                try:
                    if not load:
                        # Lazy: the arrays are read when asked for, so not once the file is closed.
                        closed = io._read_group_directly(pathlib.Path(path), group, False)
                        closed.close()
                        for name in [n for n, v in closed.data_vars.items() if v.ndim > 0]:
                            with pytest.raises((ValueError, KeyError, OSError, RuntimeError)):
                                closed[name].values
                    assert_same_dataset(expected.load(), got.load(), where)
                finally:
                    got.close()


def test_a_layout_the_package_does_not_expect_is_read_by_xarray(tmp_path):
    """A dimension without a coordinate variable (netCDF's scale that is not
    a variable): the direct reader declines, and xarray reads the group."""
    path = tmp_path / "unusual.h5"
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"x": 3}
        f.create_variable("v", ("x",), data=np.arange(3.0)).attrs["units"] = "1"
    with pytest.raises(io._GroupLayoutUnusual):
        io._read_group_directly(path, "/", True)
    with xr.open_dataset(path, engine="h5netcdf") as expected:
        assert_same_dataset(expected.load(), io._read_group(path, "/", True), "unusual")


@pytest.mark.parametrize("kind", KINDS)
def test_ncdump_reads_every_kind_of_file(kind, every_kind_of_file):
    path = every_kind_of_file[kind]
    header = subprocess.run(["ncdump", "-h", str(path)], capture_output=True, text=True, timeout=120)
    assert header.returncode == 0, header.stderr
    assert "group: series" in header.stdout
    if kind == "run with events and snapshots":
        assert "event = UNLIMITED" in header.stdout
        assert "byte kind(event)" in header.stdout
        assert "ubyte state(point, replicate, snapshot, person)" in header.stdout
    if kind == "sweep":
        assert "double policy.partnership.level(point)" in header.stdout
    if kind == "comparison":
        assert "group: comparison" in header.stdout
        assert "double victim_years_averted(arm, replicate)" in header.stdout
        assert "string arm(point)" in header.stdout


def test_sweep_points_are_labelled_by_the_varied_keys(sweep_file):
    with xr.open_dataset(sweep_file, engine="h5netcdf", group="summary") as summary:
        assert summary.sizes["point"] == 6
        level = summary["policy.partnership.level"]
        assert level.dims == ("point",)
        assert list(level.values) == [0, 0, 0.5, 0.5, 1, 1]  # the first --vary varies slowest
        assert list(summary["policy.protection.non_punishment"].values) == [0, 1, 0, 1, 0, 1]
        assert "policy.partnership.level" in summary.victim_years.coords
        grid = summary.victim_years.mean("replicate").set_index(
            point=["policy.partnership.level", "policy.protection.non_punishment"]).unstack("point")
        assert grid.shape == (3, 2)
    with xr.open_dataset(sweep_file, engine="h5netcdf", group="sweep") as sweep:
        assert sweep.definition.item().splitlines() == ["policy.partnership.level=0:1:3",
                                                        "policy.protection.non_punishment=false,true"]
        assert "level = 0.5" in sweep.resolved_toml.values[2]


def test_comparison_holds_paired_effects_of_each_arm(comparison_file):
    with xr.open_dataset(comparison_file, engine="h5netcdf", group="comparison") as raw:
        # CF: the arm axis is an index, its names in arm_label.
        assert list(raw.arm.values) == [0] and list(raw.arm_label.values) == ["surge"]
        c = raw.assign_coords(arm=raw.arm_label.values)
        assert c.attrs["baseline"] == "tiny"
        assert list(c.arm.values) == ["surge"]
        assert c.victim_years_averted.dims == ("arm", "replicate")
        assert c.sizes["replicate"] == 3
        assert c.victim_years_averted_mean.dims == ("arm",)
        assert (c.victim_years_averted.attrs["units"], c.victim_years_averted.attrs["unit_label"]) == ("year", "person-years")
        # The mean of the paired values, within its interval.
        for name in ("victim_years_averted", "victims_identified", "prosecutions", "convictions", "spending"):
            mean = float(c[name + "_mean"].sel(arm="surge"))
            assert mean == pytest.approx(float(c[name].sel(arm="surge").mean()))
            assert float(c[name + "_ci_low"].sel(arm="surge")) <= mean <= float(c[name + "_ci_high"].sel(arm="surge"))
        assert float(c.spending_mean.sel(arm="surge")) > 0  # the surge costs money
    with xr.open_dataset(comparison_file, engine="h5netcdf", group="summary") as summary:
        by_arm = summary.swap_dims(point="arm")
        baseline, surge = by_arm.victim_years.sel(arm=["tiny", "surge"]).values
        with xr.open_dataset(comparison_file, engine="h5netcdf", group="comparison") as raw:
            c = raw.assign_coords(arm=raw.arm_label.values)
            np.testing.assert_array_equal(c.victim_years_averted.sel(arm="surge").values, baseline - surge)


def test_event_log_is_one_data_frame_that_agrees_with_the_series(tiny_run_file):
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="events") as events:
        kinds = dict(zip(events.kind.attrs["flag_values"], events.kind.attrs["flag_meanings"].split()))
        frame = events.to_dataframe()
    assert list(frame.columns) == ["point", "replicate", "step", "kind", "person", "trafficker", "region", "form",
                                   "channel", "intervention"]
    assert len(frame) > 0
    frame["kind"] = frame["kind"].map(kinds)
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="series") as series:
        for replicate in (0, 1):
            mine = frame[frame.replicate == replicate]
            counted = mine.groupby("kind").size()
            identified = int(series.identified_by_form.isel(point=0, replicate=replicate).sum())
            recruited = int(series.recruitments_by_method.isel(point=0, replicate=replicate).sum())
            assert counted.get("IDENTIFICATION", 0) == identified
            assert counted.get("RECRUITMENT", 0) + counted.get("RETRAFFICKING", 0) == recruited
    # Events come run by run, and step by step within a run.
    assert (frame[["point", "replicate"]].diff().fillna(0) >= 0).all().all()
    for _, run in frame.groupby(["point", "replicate"]):
        assert run.step.is_monotonic_increasing
    with h5py.File(tiny_run_file, "r") as f:
        first = f["events/runs/first_event"][()]
        count = f["events/runs/event_count"][()]
        assert first[0, 0] == 0 and first[0, 1] == count[0, 0]
        assert count.sum() == len(frame)


def test_snapshots_hold_every_person_every_k_steps(tiny_run_file):
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="snapshots") as snapshots:
        assert snapshots.state.dims == ("point", "replicate", "snapshot", "person")
        assert list(snapshots.snapshot_step.values) == [4, 9, 14, 19]
        assert snapshots.sizes["person"] == 2000
        states = snapshots.state.attrs["flag_meanings"].split()
        assert states == ["FREE", "RECRUITED", "EXPLOITED", "IN_PROTECTION"]
        exploited = int((snapshots.state.isel(point=0, replicate=0, snapshot=-1) == states.index("EXPLOITED")).sum())
        assert snapshots.flags.attrs["flag_meanings"].split()[0] == "FEMALE"
        assert list(snapshots.flags.attrs["flag_masks"]) == [1, 2, 4, 8, 16, 32, 64, 128]
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="series") as series:
        persons = series.persons_by_state.assign_coords(state=series.state_label.values)
        at_step = persons.sel(state="EXPLOITED").isel(point=0, replicate=0, step=19).sum()
        assert exploited == int(at_step)
