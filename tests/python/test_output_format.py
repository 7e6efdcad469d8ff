"""The run file as analysts meet it: docs/output-format.md's Python examples
run against files the tipsim command writes, what each prints or leaves
behind checked against the file read another way (h5py for the xarray
examples, xarray for the h5py ones, and what made the file), and the
layout checked with h5py, xarray (h5netcdf) and ncdump."""

import collections
import os
import pathlib
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest
import xarray as xr

DOC = "docs/output-format.md"
SERIES_DIMS = ("point", "replicate", "step", "region")
CATEGORICAL = ("state", "form", "market", "method", "channel", "case_type", "pillar", "situation", "record",
               "exit",
               "pathway", "followup")
# Table columns whose unit varies by row (given by the table), so they carry
# no single `units` attribute.
MIXED_UNIT_COLUMNS = {"/scenario/parameters/value", "/scenario/regional_values/value",
                      "/scenario/interventions/value"}
# The groups whose variables docs/output-format.md lists one by one.
DOCUMENTED_GROUPS = ("series", "summary", "sweep", "comparison", "events", "events/runs", "snapshots")
EFFECT_SUFFIXES = ("_mean", "_ci_low", "_ci_high")


def is_categorical(ds):
    """A CF flag variable: its meaning is in flag_meanings, it has no unit."""
    return "flag_meanings" in ds.attrs


def is_coordinate(ds):
    """A dimension's coordinate, or an auxiliary coordinate of the points
    (time_days, a varied key, arm, snapshot_step)."""
    return h5py.h5ds.is_scale(ds.id) or ds.name.split("/")[-1] in ("time_days", "snapshot_step") or (
        ds.name.endswith("_label") and ds.ndim == 1) or (
        ds.ndim == 1 and ds.parent.name in ("/series", "/summary", "/sweep") and ds.name.split("/")[-1] not in
        ("resolved_toml",))


def doc_text(source_dir):
    return (source_dir / DOC).read_text(encoding="utf-8")


def python_examples(text):
    """(first line number, heading, code) of every ```python block; the
    heading is the ### title the block stands under."""
    examples = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        line = text.count("\n", 0, match.start()) + 2
        headings = re.findall(r"^### (.+)$", text[:match.start()], re.M)
        examples.append((line, headings[-1] if headings else "", match.group(1)))
    return examples


def doc_examples():
    # Collected before fixtures exist, so the path comes from the environment
    # or from this file's place in the tree.
    root = os.environ.get("TIPSIM_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, DOC), encoding="utf-8") as f:
        return python_examples(f.read())


# ---- what each example must show, read a second way -------------------------------------------------

# The shape busy_run_file's series have, by what made the file: one point
# (a plain run), --replicates 2, the tiny world's 20 steps, one region
# ("world": the scenario names none) and the four person states.
RUN_SHAPE = {"point": 1, "replicate": 2, "step": 20, "region": 1, "state": 4}
STEP_DAYS = 7.0  # the default: weekly steps
# conftest.py's sweep: the --vary arguments, in order.
SWEEP_VARY = ["policy.partnership.level=0:1:3", "policy.protection.non_punishment=false,true"]


def dim_names(ds):
    """The dimension names of an h5py dataset, from its attached dimension scales."""
    if h5py.h5ds.is_scale(ds.id):
        return [ds.name.split("/")[-1]]
    return [axis[0].name.split("/")[-1] for axis in ds.dims]


def strings(ds):
    return list(ds.asstr()[()])


def flag_labels(ds):
    """A CF flag variable's codes and labels, as a dict."""
    return dict(zip(ds.attrs["flag_values"].tolist(), ds.attrs["flag_meanings"].split()))


def check_time_series(example, files):
    with h5py.File(files["run"], "r") as f:
        counts = f["series/persons_by_state"]
        dims = dim_names(counts)
        states = strings(f["series/state_label"])
        exploited = counts[0][..., states.index("EXPLOITED")].sum(axis=2)  # (replicate, step)
        days = f["series/time_days"][()]
        convictions = f["series/convictions"]
        per_step = convictions[0].sum(axis=(2, 3)).mean(axis=0)  # (step)
        cell_methods = (counts.attrs["cell_methods"], convictions.attrs["cell_methods"])
        layer = convictions.attrs["layer"]
        scale = float(f.attrs["population_scale"])
        by_channel = f["series/identifications_by_channel"]
        channel_dims, channel_shape, channel_total = dim_names(by_channel), by_channel.shape, by_channel[0].sum()
    assert dims == list(RUN_SHAPE)
    assert example.one("persons_by_state.dims") == tuple(dims)
    assert example.comment("persons_by_state.dims") == str(tuple(dims))
    assert example.one("list(series.state.values)") == states
    assert example.comment("list(series.state.values)") == str(states)

    band = example["band"]
    assert band.dims == ("quantile", "step")
    np.testing.assert_allclose(band.values, np.quantile(exploited, [0.1, 0.5, 0.9], axis=0), rtol=1e-12)
    tail = example.one("to_series().tail()")
    assert list(tail.index) == list(range(RUN_SHAPE["step"] - 5, RUN_SHAPE["step"]))
    np.testing.assert_allclose(tail.values, np.median(exploited, axis=0)[-5:], rtol=1e-12)

    for snippet, expected in zip(("persons_by_state.attrs", 'convictions.attrs["cell_methods"]'), cell_methods):
        assert example.one(snippet) == expected
        assert example.comment(snippet) == expected
    assert example.one('attrs["layer"]') == layer == "observed"
    assert example.comment('attrs["layer"]').startswith(layer + ":")

    # The file has convictions, so a wrong sum or a wrong year cannot print the right figure.
    years = RUN_SHAPE["step"] * STEP_DAYS / 365
    assert example["years"] == pytest.approx(years, rel=1e-12) and days[-1] == RUN_SHAPE["step"] * STEP_DAYS
    assert per_step.sum() > 0
    assert example.lines("convictions per year") == [f"convictions per year: {per_step.sum() / years:.2f}"]
    assert example["scale"] == scale
    end = example.printed("people in exploitation at the end")
    assert end == [("people in exploitation at the end:", pytest.approx(exploited[:, -1].mean() * scale))]

    columns = channel_dims[1:] + ["point", "time_days", "identifications_by_channel"]
    assert example.one("long.columns.tolist()") == columns
    assert example.comment("long.columns.tolist()") == str(columns)
    assert len(example["long"]) == np.prod(channel_shape[1:])
    assert example["long"]["identifications_by_channel"].sum() == channel_total


def check_summaries(example, files):
    with h5py.File(files["run"], "r") as f:
        summary = f["summary"]
        figures = {name: summary[name][()].ravel() for name in summary
                   if dim_names(summary[name]) == ["point", "replicate"]}
        described = [f"{name} in {summary[name].attrs['units']} - {summary[name].attrs['long_name']}"
                     for name in ("victim_years", "spending_total")]
        keys = strings(f["scenario/parameters/key"])
        unit = strings(f["scenario/parameters/unit"])[keys.index("population.size")]
        size = [float(f.attrs["population_size"]), unit]
        changes = len(f["scenario/interventions/change"])
        resolved = f["scenario/resolved_toml"].asstr()[()]
    table = example["table"]
    assert len(table) == RUN_SHAPE["point"] * RUN_SHAPE["replicate"]
    assert set(figures) <= set(table.columns) and "spending_total" in figures
    for name, values in figures.items():
        np.testing.assert_array_equal(table[name].to_numpy(), values, err_msg=name)
    assert example.lines('print(name, "in"') == described
    assert example.one('loc["population.size"') == size == [2000.0, "persons"]
    assert example.comment('loc["population.size"') == str(size)
    assert changes == 2  # surge.toml scales two levers
    assert example.lines("lever changes") == [f"{changes} lever changes"]
    assert example.one("resolved_toml.item()[:300]") == resolved[:300]


def check_h5py_plain(example, files):
    scenario_file = pathlib.Path(files["run"]).resolve().parent / "surge.toml"
    with xr.open_dataset(files["run"], engine="h5netcdf") as root:
        attrs = root.attrs
    with xr.open_dataset(files["run"], engine="h5netcdf", group="series") as series:
        counts = series.persons_by_state
        assert example.lines("command_line") == [
            f"{attrs['scenario_name']} | {attrs['command_line']} | {attrs['source_revision']}"]
        assert attrs["scenario_name"] == "surge"
        assert example.one('f["scenario/source_text"]') == scenario_file.read_text()
        (shape, dtype, units, dash, long_name), = example.printed("counts.shape")
        assert shape == tuple(counts.shape) == tuple(RUN_SHAPE.values())
        assert (dtype, units, dash, long_name) == (np.int64, counts.attrs["unit_label"], "-", counts.attrs["long_name"])
        assert example.one("axis[0].name") == list(counts.dims)
        exploited = counts.assign_coords(state=series.state_label.values).sel(state="EXPLOITED")
        exploited = exploited.isel(point=0, replicate=0).sum("region").values
        days = series.time_days.values
    (regions, first), = example.printed("zip(days[:3], exploited[:3])")
    assert regions == ["world"]
    assert first == list(zip(days[:3], exploited[:3])) and list(days[:3]) == [STEP_DAYS, 2 * STEP_DAYS, 3 * STEP_DAYS]


def check_sweep(example, files):
    keys = [arg.split("=")[0] for arg in SWEEP_VARY]
    with h5py.File(files["sweep"], "r") as f:
        victim_years = f["summary/victim_years"][()].mean(axis=1)
        resolved = strings(f["sweep/resolved_toml"])
    assert example.one("sweep.definition.item())").splitlines() == SWEEP_VARY
    assert example["keys"] == keys
    # Three levels by two, the first --vary varying slowest.
    level = example.one('summary["policy.partnership.level"]')
    np.testing.assert_array_equal(level, [0, 0, 0.5, 0.5, 1, 1])
    assert example.comment('summary["policy.partnership.level"]') == str(level)
    grid = example["grid"]
    assert grid.dims == tuple(keys)
    np.testing.assert_array_equal(grid[keys[0]], [0, 0.5, 1])
    np.testing.assert_array_equal(grid[keys[1]], [0, 1])
    np.testing.assert_allclose(grid.values, victim_years.reshape(3, 2), rtol=1e-12)
    assert example.one("resolved_toml.isel(point=2)") == resolved[2][:200]


def check_comparison(example, files):
    with h5py.File(files["comparison"], "r") as f:
        c = f["comparison"]
        baseline, arms = c.attrs["baseline"], strings(c["arm_label"])
        effects = {name: (c[name + "_mean"][0], c[name + "_ci_low"][0], c[name + "_ci_high"][0],
                          c[name].attrs["unit_label"])
                   for name in example["effects"]}
        averted = c["victim_years_averted"][()]
        points = strings(f["summary/arm"])
        victim_years = f["summary/victim_years"][()]
    # tiny.toml is the baseline (named by its file), surge.toml's arm is named surge.
    assert (baseline, arms, points) == ("tiny", ["surge"], ["tiny", "surge"])
    assert example.lines("arms:") == ["baseline: tiny | arms: ['surge']"]
    lines = example.lines("row[name + '_mean']")
    assert len(lines) == len(effects) == 5
    for line, (name, (mean, low, high, units)) in zip(lines, effects.items()):
        found = re.fullmatch(r"(\S+) +(\S+)  \[(\S+), (\S+)\]  (.+)", line)
        assert found, line
        assert found[1] == name and found[5] == units, line
        # Printed with two decimals: within half a hundredth of the file's figure (and a float's last bits).
        for text, value in zip(found.group(2, 3, 4), (mean, low, high)):
            assert abs(float(text) - value) <= 0.005 + 1e-9 * abs(value), line
    pairs = example.one("victim_years_averted.to_pandas()")
    assert list(pairs.index) == ["surge"] and list(pairs.columns) == [0, 1, 2]
    np.testing.assert_array_equal(pairs.values, averted)
    # Victim-years averted: the baseline's minus the arm's, replicate by replicate.
    np.testing.assert_allclose(averted[0], victim_years[0] - victim_years[1], rtol=1e-12, atol=1e-12)
    means = example.one('victim_years.mean("replicate")')
    assert list(means.index) == points
    np.testing.assert_allclose(means.values, victim_years.mean(axis=1), rtol=1e-12)


def check_events_and_snapshots(example, files):
    with h5py.File(files["run"], "r") as f:
        events = f["events"]
        kinds, channels = flag_labels(events["kind"]), flag_labels(events["channel"])
        replicate, kind, channel, person = (events[name][()] for name in ("replicate", "kind", "channel", "person"))
        first, count = int(events["runs/first_event"][0, 0]), int(events["runs/event_count"][0, 0])
        states, snapshot_states = strings(f["series/state_label"]), f["snapshots/state"].attrs["flag_meanings"].split()
        snapshot_steps = f["snapshots/snapshot_step"][()]
        counts = f["series/persons_by_state"][0]  # (replicate, step, region, state)
        exploited = counts[:, snapshot_steps][..., states.index("EXPLOITED")].sum(axis=2)  # (replicate, snapshot)
        units = f["snapshots/vulnerability"].attrs["units"]
    kind_labels = [kinds[k] for k in kind]
    table = example["table"]
    assert len(table) == len(kind) > 0
    assert list(table["kind"]) == kind_labels
    assert list(table["channel"]) == [channels[c] for c in channel]

    by_kind = example.one('groupby(["replicate", "kind"])')
    assert list(by_kind.index) == sorted(set(replicate)) and list(by_kind.columns) == sorted(set(kind_labels))
    for (r, k), n in collections.Counter(zip(replicate, kind_labels)).items():
        assert by_kind.loc[r, k] == n, (r, k)
    assert by_kind.values.sum() == len(kind)
    identified = collections.Counter(channels[c] for c, k in zip(channel, kind_labels) if k == "IDENTIFICATION")
    assert sum(identified.values()) > 0
    assert example.one('"IDENTIFICATION"].groupby("channel")').to_dict() == dict(identified)

    # The person with the most events in replicate 0 of point 0.
    mine = person[first:first + count]
    most = np.bincount(mine[mine >= 0]).max()
    assert (mine == example["person"]).sum() == most
    assert len(example.one("run[run.person == person]")) == most

    assert snapshot_states == states
    in_exploitation = example.one("in_exploitation.isel(point=0).to_pandas()")
    np.testing.assert_array_equal(in_exploitation.values, exploited)
    # Every 5th step: the ends of steps 5, 10, 15 and 20, counted from 0.
    steps, vulnerability_units = example.printed("snapshots.snapshot_step.values")[0]
    assert list(steps) == list(snapshot_steps) == [4, 9, 14, 19]
    assert vulnerability_units == units


def check_h5py_events(example, files):
    with xr.open_dataset(files["run"], engine="h5netcdf", group="events") as events:
        kinds = flag_labels(events["kind"])
        frame = events.to_dataframe()
    with xr.open_dataset(files["run"], engine="h5netcdf", group="scenario/interventions") as interventions:
        known = set(interventions.intervention.values.tolist())
    run = frame[(frame.point == 0) & (frame.replicate == 1)]
    recruitments = int((run.kind.map(kinds) == "RECRUITMENT").sum())
    assert example.lines("first recruitments") == [
        f"{len(run)} events in replicate 1; {recruitments} first recruitments"]
    responsible = example.printed("responsible interventions")
    assert responsible == [("responsible interventions:", set(run.intervention))]
    # -1 (none) and the lever changes the scenario made, here both.
    assert responsible[0][1] == {-1} | known


CHECKS = {
    "xarray: time series": check_time_series,
    "xarray and pandas: summaries and the scenario": check_summaries,
    "h5py: plain HDF5": check_h5py_plain,
    "xarray: a sweep": check_sweep,
    "xarray: a paired comparison": check_comparison,
    "pandas: the event log and snapshots": check_events_and_snapshots,
    "h5py: one run's events": check_h5py_events,
}


@pytest.mark.parametrize("line,heading,code", [pytest.param(line, heading, code, id=f"{DOC}:{line}")
                                               for line, heading, code in doc_examples()])
def test_documentation_example_shows_what_the_file_holds(line, heading, code, run_example, busy_run_file, sweep_file,
                                                         comparison_file, tmp_path, monkeypatch):
    # The examples open "run.h5", "sweep.h5" and "comparison.h5" in the
    # current folder, as an analyst would.
    files = {"run": busy_run_file, "sweep": sweep_file, "comparison": comparison_file}
    for kind, path in files.items():
        (tmp_path / f"{kind}.h5").symlink_to(path.resolve())
    monkeypatch.chdir(tmp_path)
    assert heading in CHECKS, f"{DOC}:{line}: nothing checks the example under '### {heading}'; add it to CHECKS"
    example = run_example(code, f"{DOC}:{line}")
    CHECKS[heading](example, {kind: tmp_path / f"{kind}.h5" for kind in files})


def test_documentation_has_the_examples(source_dir):
    examples = python_examples(doc_text(source_dir))
    assert sorted(heading for _, heading, _ in examples) == sorted(CHECKS)
    codes = [code for _, _, code in examples]
    assert any("import h5py" in code for code in codes)
    assert any('engine="h5netcdf"' in code and 'group="series"' in code for code in codes)
    for name in ("sweep.h5", "comparison.h5", 'group="events"', 'group="snapshots"', 'group="comparison"'):
        assert any(name in code for code in codes), f"no example uses {name}"


def test_generated_tables_are_current(source_dir):
    script = source_dir / "scripts" / "gen_output_reference.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_documentation_names_every_variable(every_kind_of_file, source_dir):
    text = doc_text(source_dir)
    for kind, path in every_kind_of_file.items():
        with h5py.File(path, "r") as f:
            for group in DOCUMENTED_GROUPS:
                if group not in f:
                    continue
                for name, ds in f[group].items():
                    if not isinstance(ds, h5py.Dataset):
                        continue
                    if "." in name:
                        continue  # a varied key: described by what it is, not by name
                    if group == "comparison" and name.endswith(EFFECT_SUFFIXES):
                        name = re.sub(r"_(mean|ci_low|ci_high)$", "", name)
                    # Variables have a table row; coordinates are named in the text.
                    pattern = f"`{name}`" if is_coordinate(ds) else f"| `{name}` |"
                    assert pattern in text, f"{DOC} does not describe {group}/{name} ({kind})"
                    for meaning in ds.attrs.get("flag_meanings", "").split():
                        if group == "series" or name in ("region", "home_region"):
                            continue  # region names come from the scenario
                        assert f"`{meaning}`" in text, f"{DOC} does not list {group}/{name}'s {meaning}"
            for axis in CATEGORICAL:
                for label in f["series"][axis + "_label"].asstr()[()]:
                    assert f"`{label}`" in text, f"{DOC} does not list the {axis} label {label}"
            for name in f.attrs:
                assert f"| `{name}` |" in text, f"{DOC} does not describe the root attribute {name}"


def test_root_attributes(tiny_run_file):
    with h5py.File(tiny_run_file, "r") as f:
        a = f.attrs
        assert a["format"] == "tipsim-run"
        assert a["format_version"] == 4
        assert a["Conventions"] == "CF-1.8 ACDD-1.3"
        assert a["creator_name"] == "tipsim"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a["date_created"])
        for key in ("title", "summary", "product_version", "source", "program_version", "source_revision",
                    "created", "command_line", "scenario_name", "history"):
            assert isinstance(a[key], str) and a[key], key
        assert "--replicates 2" in a["command_line"]
        assert a["steps"] == 20
        assert a["step_days"] == 7.0
        assert a["population_size"] == 2000
        assert a["population_scale"] == 1.0
        assert a["replicate_count"] == 2
        assert a["point_count"] == 1
        assert a["region_count"] == 1
        assert "seed" in a


def test_every_variable_is_self_describing(every_kind_of_file):
    problems = []

    def visit(name, obj):
        if isinstance(obj, h5py.Group):
            if not obj.attrs.get("comment"):
                problems.append(f"{obj.name}: a group without a comment")
            return
        if "long_name" not in obj.attrs:
            problems.append(f"{obj.name}: no long_name")
        numeric = obj.dtype.kind in "iuf"
        if numeric and "units" not in obj.attrs and obj.name not in MIXED_UNIT_COLUMNS and not is_categorical(obj):
            problems.append(f"{obj.name}: no units")
        if is_categorical(obj):
            values = obj.attrs.get("flag_values", obj.attrs.get("flag_masks"))
            if values is None or values.dtype != obj.dtype:
                problems.append(f"{obj.name}: flag values missing or not of the variable's type")
            elif len(values) != len(obj.attrs["flag_meanings"].split()):
                problems.append(f"{obj.name}: as many flag values as meanings")
        if obj.dtype.kind == "O" and h5py.check_string_dtype(obj.dtype) is None:
            problems.append(f"{obj.name}: an object type that is not a string")
        if obj.dtype.names is not None or h5py.check_enum_dtype(obj.dtype) is not None:
            problems.append(f"{obj.name}: compound or enum type")

    for kind, path in every_kind_of_file.items():
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj, kind=kind: visit(f"{kind}: {name}", obj))
    assert not problems, "\n".join(problems)


def test_series_layout(tiny_run_file):
    with h5py.File(tiny_run_file, "r") as f:
        series = f["series"]
        for name, ds in series.items():
            if is_coordinate(ds):
                continue
            dims = [axis[0].name.split("/")[-1] for axis in ds.dims]
            assert tuple(dims[:4]) == SERIES_DIMS, name
            assert len(dims) in (4, 5) and (len(dims) == 4 or dims[4] in CATEGORICAL), name
            # Every dimension scale is the group's own coordinate of that name.
            for axis, dim in zip(ds.dims, dims):
                assert axis[0].name == f"/series/{dim}"
            assert ds.dtype in (np.dtype("int64"), np.dtype("float64")), name
            assert ds.attrs["cell_methods"] in ("step: point", "step: sum"), name
            assert ds.attrs["layer"] in ("true", "observed", "policy"), name
            assert ds.attrs["coordinates"] == " ".join(["time_days", *(f"{d}_label" for d in dims[3:])])
            # One replicate's full time series per chunk, compressed.
            assert ds.chunks == (1, 1) + ds.shape[2:], name
            assert ds.compression == "gzip" and ds.compression_opts == 4 and ds.shuffle, name
        assert series["persons_by_state"].dtype == np.dtype("int64")
        assert series["trafficker_profit"].dtype == np.dtype("float64")
        assert list(series["region_label"].asstr()[()]) == ["world"] and list(series["region"][()]) == [0]
        np.testing.assert_array_equal(series["time_days"][()], 7.0 * np.arange(1, 21))


def test_xarray_opens_series_with_labelled_dimensions(tiny_run_file):
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="series") as ds:
        assert dict(ds.sizes)["point"] == 1
        assert dict(ds.sizes)["replicate"] == 2
        assert dict(ds.sizes)["step"] == 20
        for dim in SERIES_DIMS + CATEGORICAL:
            assert dim in ds.indexes, f"dimension {dim} has no coordinate in xarray"
        # CF: the dimensions are indexes, their labels auxiliary coordinates.
        assert list(ds.indexes["region"]) == [0] and list(ds.region_label.values) == ["world"]
        assert list(ds.state_label.values) == ["FREE", "RECRUITED", "EXPLOITED", "IN_PROTECTION"]
        assert ds.time_days.dtype == np.float64  # not timedelta64: units are "day"
        assert {"time_days", "region_label", "state_label"} <= set(ds.persons_by_state.coords)
        labelled = ds.assign_coords(region=ds.region_label.values, state=ds.state_label.values)
        exploited = labelled.persons_by_state.sel(state="EXPLOITED", region="world")
        assert exploited.dims == ("point", "replicate", "step")
        assert ds.persons_by_state.dtype == np.int64
        assert int(ds.persons_by_state.isel(step=0).sum()) > 0


def test_xarray_opens_every_other_group(tiny_run_file):
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="summary") as ds:
        assert ds.exploited_mean.dims == ("point", "replicate")
        assert list(ds.indexes["replicate"]) == [0, 1]
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="scenario") as ds:
        assert "steps = 20" in ds.source_text.item()
        assert "[scenario]" in ds.resolved_toml.item()
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="scenario/parameters") as ds:
        table = ds.to_dataframe().set_index("key")
        assert table.loc["scenario.steps", "value"] == 20
        assert table.loc["population.size", "unit"] == "persons"
        assert set(table["scope"]) == {"global", "regional"}
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="scenario/regional_values") as ds:
        assert ds.value.dims == ("region", "parameter")
    # The columns the layout at a glance lists, as many rows as the file's table has.
    columns = {"routes": ("route", ["origin", "destination", "share", "transit_days"]),
               "interventions": ("change", ["name", "intervention", "start_step", "end_step", "region", "ramp_steps",
                                            "key", "op", "value"])}
    for table, (row, names) in columns.items():
        with h5py.File(tiny_run_file, "r") as f:
            rows = len(f[f"scenario/{table}/{row}"])
        with xr.open_dataset(tiny_run_file, engine="h5netcdf", group=f"scenario/{table}") as ds:
            frame = ds.to_dataframe()
        assert frame.index.names == [row] and list(frame.columns) == names, table
        assert len(frame) == rows, table
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="sweep") as ds:
        assert ds.resolved_toml.dims == ("point",)


def test_ncdump_reads_the_file(tiny_run_file):
    header = subprocess.run(["ncdump", "-h", str(tiny_run_file)], capture_output=True, text=True, timeout=120)
    assert header.returncode == 0, header.stderr
    assert "group: series" in header.stdout
    assert "int64 persons_by_state(point, replicate, step, region, state)" in header.stdout
    assert re.search(r"string :format = \"tipsim-run\"", header.stdout)
    # The data too, strings included.
    full = subprocess.run(["ncdump", str(tiny_run_file)], capture_output=True, text=True, timeout=120)
    assert full.returncode == 0, full.stderr
    assert '"EXPLOITED"' in full.stdout
