"""The run file as analysts meet it: docs/output-format.md's Python examples
run against files the tipsim command writes, and the layout checked with
h5py, xarray (h5netcdf) and ncdump."""

import os
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest
import xarray as xr

DOC = "docs/output-format.md"
SERIES_DIMS = ("point", "replicate", "step", "region")
CATEGORICAL = ("state", "form", "market", "method", "channel", "case_type", "pillar")
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
        ds.ndim == 1 and ds.parent.name in ("/series", "/summary", "/sweep") and ds.name.split("/")[-1] not in
        ("resolved_toml",))


def doc_text(source_dir):
    return (source_dir / DOC).read_text(encoding="utf-8")


def python_examples(text):
    """(first line number, code) of every ```python block."""
    examples = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        line = text.count("\n", 0, match.start()) + 2
        examples.append((line, match.group(1)))
    return examples


def doc_examples():
    # Collected before fixtures exist, so the path comes from the environment
    # or from this file's place in the tree.
    root = os.environ.get("TIPSIM_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, DOC), encoding="utf-8") as f:
        return python_examples(f.read())


@pytest.mark.parametrize("line,code",
                         [pytest.param(line, code, id=f"{DOC}:{line}") for line, code in doc_examples()])
def test_documentation_example_runs(line, code, tiny_run_file, sweep_file, comparison_file, tmp_path, monkeypatch):
    # The examples open "run.h5", "sweep.h5" and "comparison.h5" in the
    # current folder, as an analyst would.
    (tmp_path / "run.h5").symlink_to(tiny_run_file.resolve())
    (tmp_path / "sweep.h5").symlink_to(sweep_file.resolve())
    (tmp_path / "comparison.h5").symlink_to(comparison_file.resolve())
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"{DOC}:{line}", "exec"), {"__name__": "__main__"})


def test_documentation_has_the_examples(source_dir):
    codes = [code for _, code in python_examples(doc_text(source_dir))]
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
                for label in f["series"][axis].asstr()[()]:
                    assert f"`{label}`" in text, f"{DOC} does not list the {axis} label {label}"
            for name in f.attrs:
                assert f"| `{name}` |" in text, f"{DOC} does not describe the root attribute {name}"


def test_root_attributes(tiny_run_file):
    with h5py.File(tiny_run_file, "r") as f:
        a = f.attrs
        assert a["format"] == "tipsim-run"
        assert a["format_version"] == 1
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
            assert ds.attrs["coordinates"] == "time_days"
            # One replicate's full time series per chunk, compressed.
            assert ds.chunks == (1, 1) + ds.shape[2:], name
            assert ds.compression == "gzip" and ds.compression_opts == 4 and ds.shuffle, name
        assert series["persons_by_state"].dtype == np.dtype("int64")
        assert series["trafficker_profit"].dtype == np.dtype("float64")
        assert list(series["region"].asstr()[()]) == ["world"]
        np.testing.assert_array_equal(series["time_days"][()], 7.0 * np.arange(1, 21))


def test_xarray_opens_series_with_labelled_dimensions(tiny_run_file):
    with xr.open_dataset(tiny_run_file, engine="h5netcdf", group="series") as ds:
        assert dict(ds.sizes)["point"] == 1
        assert dict(ds.sizes)["replicate"] == 2
        assert dict(ds.sizes)["step"] == 20
        for dim in SERIES_DIMS + CATEGORICAL:
            assert dim in ds.indexes, f"dimension {dim} has no coordinate in xarray"
        assert list(ds.indexes["region"]) == ["world"]
        assert list(ds.indexes["state"]) == ["FREE", "RECRUITED", "EXPLOITED", "IN_PROTECTION"]
        assert ds.time_days.dtype == np.float64  # not timedelta64: units are "day"
        assert "time_days" in ds.persons_by_state.coords
        exploited = ds.persons_by_state.sel(state="EXPLOITED", region="world")
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
    for table in ("routes", "interventions"):
        with xr.open_dataset(tiny_run_file, engine="h5netcdf", group=f"scenario/{table}") as ds:
            ds.to_dataframe()
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
