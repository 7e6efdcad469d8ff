"""Opening tipsim run files: one call gives labelled arrays and tables.

    from tipsim_analysis import open_run

    with open_run("runs/prosecution.h5") as run:
        run.series        # xarray Dataset: (point, replicate, step, region[, category])
        run.summary       # xarray Dataset: (point, replicate)
        run.comparison    # xarray Dataset (arm, replicate) of paired effects, or None
        run.parameters    # pandas DataFrame: the resolved scenario, one row per key
        run.provenance    # dict: program, revision, command line, seed, ...

Everything comes back in real units: counts of real people and cases, and
real USD. The series count agents in the file (their `basis` attribute is
`agents`); `open_run` multiplies them by `population_scale` as they are
read, so they agree with the summaries and effects, which the file holds
in real people already. `open_run(path, agent_units=True)` gives agents
instead: the series as the file holds them, and the summaries and effects
counted in people divided by the scale. Money (`basis` USD) and rates,
shares and scores (`basis` none) are the same either way.

A plain run, a replicate ensemble, a sweep and a comparison share one
layout (docs/output-format.md): every figure has the leading dimensions
(point, replicate), a plain run has one point, and each point is labelled
by the value of every varied key (a sweep) or by its policy arm (a
comparison). `open_run` reads them all the same way.

Before anything is read the file is checked: a file that is not HDF5, an
HDF5 file from another program, a damaged one, or one written in a newer
format version raises `RunFileError` with a message naming the file and
the reason, as `tipsim inspect` would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import xarray as xr
from xarray.backends import BackendArray
from xarray.core import indexing

from . import __version__

# What this package reads: the `format` and `format_version` root attributes.
FORMAT_NAME = "tipsim-run"
FORMAT_VERSION = 4

DAYS_PER_YEAR = 365.0

# Groups every run file of format version 1 has.
_REQUIRED_GROUPS = ("scenario", "series", "summary")

# Categorical axes of the series, in docs/output-format.md's order.
CATEGORY_DIMS = ("state", "form", "market", "method", "channel", "case_type", "pillar", "situation", "record",
                 "exit", "pathway",
                 "followup")

# The `basis` attribute of a variable (docs/output-format.md, "Units"):
# a count of agents (series), of real people (summaries and effects), real
# money, or a number the same at any scale.
BASIS_AGENTS = "agents"
BASIS_PEOPLE = "people"
SCALE_KEY = "population.scale"


class RunFileError(ValueError):
    """A file that cannot be read as a tipsim run file; the message names the file and why."""


def _plain(value: Any) -> Any:
    """An HDF5 attribute value as plain Python (str, int, float or list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.ndim else _plain(value.item())
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_run_file(path: str | Path) -> dict[str, Any]:
    """Checks that `path` is a tipsim run file this package can read.

    Returns its root attributes as plain Python values. Raises
    `RunFileError` for a missing file, a file that is not HDF5, an HDF5
    file without the tipsim `format` attribute, a damaged or incomplete
    file, or a format version newer than `FORMAT_VERSION`.
    """
    p = Path(path)
    if not p.exists():
        raise RunFileError(f"{path}: no such file")
    if p.is_dir():
        raise RunFileError(f"{path}: is a folder, not a tipsim run file")
    try:
        is_hdf5 = h5py.is_hdf5(p)
    except OSError as e:
        raise RunFileError(f"{path}: cannot be read: {e}") from None
    if not is_hdf5:
        hint = ""
        if p.suffix.lower() == ".toml":
            hint = "; it looks like a scenario: run it first with `tipsim run`"
        elif ".partial-" in p.name:
            hint = "; a *.partial-* file is what an interrupted run left behind"
        raise RunFileError(f"{path}: not a tipsim run file (not an HDF5 file){hint}")
    try:
        with h5py.File(p, "r") as f:
            attrs = {k: _plain(v) for k, v in f.attrs.items()}
            groups = set(f.keys())
            # Which runs the file holds (files without campaign/ hold all).
            complete = None
            if "campaign" in f and "run_complete" in f["campaign"]:
                complete = f["campaign"]["run_complete"][()]
    except OSError as e:
        raise RunFileError(f"{path}: damaged or incomplete HDF5 file: {e}") from None
    fmt = attrs.get("format")
    if fmt is None:
        raise RunFileError(f"{path}: not a tipsim run file (an HDF5 file without a 'format' attribute)")
    if fmt != FORMAT_NAME:
        raise RunFileError(f"{path}: not a tipsim run file (its format is '{fmt}', not '{FORMAT_NAME}')")
    version = attrs.get("format_version")
    if not isinstance(version, int):
        raise RunFileError(f"{path}: damaged tipsim run file: no integer 'format_version' attribute")
    if version > FORMAT_VERSION:
        raise RunFileError(
            f"{path}: tipsim run file format version {version} cannot be read by tipsim_analysis {__version__}, "
            f"which reads format version {FORMAT_VERSION}; use the analysis/ folder of a newer tipsim")
    if version == 1:
        raise RunFileError(f"{path}: tipsim run file format version 1, written by an older tipsim whose money was in "
                           "agent units (divided by population.scale); run the scenario again with this tipsim")
    if version < 1:
        raise RunFileError(f"{path}: unknown tipsim run file format version {version}")
    missing = [g for g in _REQUIRED_GROUPS if g not in groups]
    if missing:
        raise RunFileError(f"{path}: damaged or incomplete tipsim run file: no group {', '.join(missing)}")
    if complete is not None and not (complete == 1).all():
        raise RunFileError(
            f"{path}: an unfinished run file: it holds {int((complete == 1).sum())} of its {complete.size} runs "
            f"(its run was interrupted); finish it with the command that made it and --resume {path}")
    return attrs


def _open_group(path: Path, group: str, load: bool = True) -> xr.Dataset:
    """One group as an xarray Dataset, read at once (`load`) or lazily."""
    ds = _labelled(_read_group(path, group, load))
    _units_in_words(ds)
    return ds


# The attributes of HDF5's dimension scales and netCDF-4's bookkeeping, which
# are structure, not attributes of the data (h5netcdf hides the same).
_STRUCTURE_ATTRS = frozenset(("REFERENCE_LIST", "CLASS", "DIMENSION_LIST", "NAME", "_Netcdf4Dimid",
                              "_Netcdf4Coordinates", "_nc3_strict", "_NCProperties"))


class _GroupLayoutUnusual(Exception):
    """A group the direct reader does not handle: xarray's own reader reads it."""


class _H5Variable(BackendArray):
    """An HDF5 dataset read lazily: only the part selected is read."""

    def __init__(self, dataset: h5py.Dataset, strings: bool) -> None:
        self.dataset = dataset.asstr() if strings else dataset
        self.shape = dataset.shape
        self.dtype = np.dtype(object) if strings else dataset.dtype

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.OUTER_1VECTOR,
                                                  self._read)

    def _read(self, key: tuple) -> np.ndarray:
        return np.asarray(self.dataset[key])


def _read_group(path: Path, group: str, load: bool) -> xr.Dataset:
    """One group of a run file as xarray's h5netcdf reader gives it (the same
    variables, dimensions, attributes and CF decoding), read with h5py
    directly: h5netcdf resolves each variable's dimensions through HDF5 object
    references and their names, most of the time it takes to open a run file,
    where comparing the referenced objects with the group's dimension scales
    takes milliseconds. A layout this reader does not expect (a dimension
    without a scale, a scale that is not a variable) is read by xarray."""
    try:
        return _read_group_directly(path, group, load)
    except _GroupLayoutUnusual:
        ds = xr.open_dataset(path, engine="h5netcdf", group=group)
        if load:
            ds.load()
            ds.close()
        return ds


def _attributes(attrs: h5py.AttributeManager) -> dict[str, Any]:
    """An object's attributes as h5netcdf and xarray give them: fixed-length
    strings decoded, string arrays as lists, one-element arrays as their
    element, bytes decoded."""
    out = {}
    for key in attrs:
        if key in _STRUCTURE_ATTRS:
            continue
        raw = attrs.get_id(key)
        value = attrs[key]
        if isinstance(value, h5py.Empty):
            info = h5py.check_string_dtype(value.dtype)
            value = b"" if info and info.length == 1 else np.array([], dtype=raw.dtype)
        else:
            info = h5py.check_string_dtype(raw.dtype)
            if info is not None:
                if info.length is not None and info.length > 1:
                    value = (value.decode(info.encoding, "surrogateescape") if np.isscalar(value) else
                             [b.decode(info.encoding, "surrogateescape") for b in value.flat])
                elif not np.isscalar(value):
                    value = value.tolist()
            if not np.isscalar(value) and len(value) == 1:
                value = value[0]
        if isinstance(value, bytes) and key not in ("_FillValue", "missing_value"):
            value = value.decode("utf-8")
        out[key] = value
    return out


def _read_group_directly(path: Path, group: str, load: bool) -> xr.Dataset:
    """_read_group's own reading; raises _GroupLayoutUnusual where it cannot."""
    f = h5py.File(path, "r")
    try:
        g = f[group]
        datasets = {name: item for name, item in g.items() if isinstance(item, h5py.Dataset)}
        scales = {}
        for name, item in datasets.items():
            if item.attrs.get("CLASS") == b"DIMENSION_SCALE":
                label = item.attrs.get("NAME", b"")
                if isinstance(label, bytes) and label.startswith(b"This is a netCDF dimension but not"):
                    raise _GroupLayoutUnusual(name)
                scales[item.id] = name
        variables = {}
        for name, item in datasets.items():
            if item.id in scales:
                dims = (name,)
            elif item.ndim == 0:
                dims = ()
            else:
                references = item.attrs.get("DIMENSION_LIST")
                if references is None or len(references) != item.ndim:
                    raise _GroupLayoutUnusual(name)
                # netCDF takes the last scale attached to an axis.
                found = [scales.get(f[reference[-1]].id) for reference in references]
                if None in found:
                    raise _GroupLayoutUnusual(name)
                dims = tuple(found)
            strings = h5py.check_string_dtype(item.dtype) is not None
            if load or item.id in scales or item.ndim == 0:
                data = item.asstr()[()] if strings else item[()]
                # A string scalar is numpy's str, an array of them Python's strings.
                data = np.asarray(data, dtype=object) if strings and item.ndim > 0 else np.asarray(data)
            else:
                data = indexing.LazilyIndexedArray(_H5Variable(item, strings))
            variables[name] = xr.Variable(dims, data, _attributes(item.attrs))
        ds = xr.decode_cf(xr.Dataset(variables, attrs=_attributes(g.attrs)))
        if load:
            ds.load()
    except BaseException:
        f.close()
        raise
    if load:
        f.close()
    else:
        ds.set_close(f.close)
    return ds


def _labelled(ds: xr.Dataset) -> xr.Dataset:
    """Labelled dimensions indexed by their labels: the file (format 3, as
    CF wants) holds each as an index 0, 1, ... with the labels beside it in
    <dim>_label; `.sel(region="Home")` wants the labels as the index.
    (Format 2 files hold the labels in the dimension itself.)"""
    for name in [n for n in ds.variables if str(n).endswith("_label")]:
        dim = str(name)[: -len("_label")]
        if ds[name].dims == (dim,):
            labels, attrs = ds[name].values.astype(str), dict(ds[name].attrs)
            ds = ds.drop_vars(name).assign_coords({dim: (dim, labels, attrs)})
    return ds


def _units_in_words(ds: xr.Dataset) -> None:
    """`units` as people read them: the file holds UDUNITS spellings in
    `units` (CF: "1", "year-1") and the words in `unit_label` ("persons",
    "USD per year"); the package shows the words, as xarray's plot labels
    do, and keeps the spelling in `cf_units`."""
    for variable in ds.variables.values():
        label = variable.attrs.pop("unit_label", None)
        if label is not None:
            variable.attrs["cf_units"] = variable.attrs.get("units", "")
            variable.attrs["units"] = label


def _table(path: Path, group: str) -> pd.DataFrame:
    """A scenario table (equal-length columns along one row dimension) as a data frame."""
    ds = _open_group(path, group)
    frame = ds.to_dataframe()
    frame.index.name = None
    return frame.reset_index(drop=True)


@dataclass
class Run:
    """A tipsim run file, opened: labelled data, scenario tables and provenance.

    Dimensions follow the file: `point` (sweep point or comparison arm; one
    for a plain run), `replicate`, `step`, `region` and the categorical
    axes (`state`, `form`, `market`, `method`, `channel`, `case_type`,
    `pillar`), all labelled. Each point also carries its labels as
    coordinates along `point`: the value of every varied key (a sweep) or
    `arm` (a comparison). The step axis carries `time_days` and
    `time_years`, the time at the end of each step.

    Counts are real people and cases, money real USD (the series were
    multiplied by `population_scale` on reading); opened with
    `agent_units=True`, counts are agents (`agent_units` says which).
    Each variable's `basis` attribute says what it counts: `people`,
    `agents`, `USD` or `none`.
    """

    path: Path
    provenance: dict[str, Any]
    series: xr.Dataset
    summary: xr.Dataset
    points: xr.Dataset
    comparison: xr.Dataset | None
    parameters: pd.DataFrame
    regional_values: pd.DataFrame
    routes: pd.DataFrame
    interventions: pd.DataFrame
    source_text: str
    resolved_toml: str
    agent_units: bool = False
    _events: pd.DataFrame | None = field(default=None, repr=False)
    _snapshots: xr.Dataset | None = field(default=None, repr=False)

    # ---- what the file is ---------------------------------------------------

    @property
    def experiment(self) -> str:
        """`run`, `sweep` or `comparison` (files without the attribute are runs or sweeps by their points)."""
        kind = self.provenance.get("experiment")
        if kind:
            return str(kind)
        return "sweep" if self.point_count > 1 else "run"

    @property
    def scenario_name(self) -> str:
        return str(self.provenance.get("scenario_name", ""))

    @property
    def point_count(self) -> int:
        return int(self.summary.sizes["point"])

    @property
    def replicate_count(self) -> int:
        return int(self.summary.sizes["replicate"])

    @property
    def steps(self) -> int:
        return int(self.series.sizes["step"])

    @property
    def step_days(self) -> float:
        return float(self.provenance["step_days"])

    @property
    def burn_in_steps(self) -> int:
        return int(self.provenance.get("burn_in_steps", 0))

    @property
    def measured_years(self) -> float:
        """Years the summaries cover: the steps after the burn-in."""
        return (self.steps - self.burn_in_steps) * self.step_days / DAYS_PER_YEAR

    @property
    def population_scale(self) -> float:
        """Real people one agent stands for (the model ran one agent for this
        many people; point 0's, when a sweep varies `population.scale`)."""
        return float(self.provenance.get("population_scale", 1.0))

    @property
    def point_scales(self) -> xr.DataArray:
        """Real people one agent stands for at each point, along `point`: the
        root `population_scale`, unless a sweep varies `population.scale`."""
        return _point_scales(self.points, self.population_scale, self.point_count)

    @property
    def regions(self) -> list[str]:
        return [str(r) for r in self.series["region"].values]

    @property
    def sweep_keys(self) -> list[str]:
        """The scenario keys a sweep varied (empty for a run or a comparison)."""
        return [str(name) for name in self.points.data_vars
                if name not in ("resolved_toml", "definition", "arm") and self.points[name].dims == ("point",)]

    @property
    def arms(self) -> list[str]:
        """Each point's policy arm (a comparison; the baseline first), else []."""
        if "arm" in self.points:
            return [str(a) for a in self.points["arm"].values]
        return []

    @property
    def point_labels(self) -> list[str]:
        """A short label per point: its arm, the varied keys' values, or the scenario name."""
        if self.arms:
            return self.arms
        keys = self.sweep_keys
        if keys:
            labels = []
            for p in range(self.point_count):
                parts = [f"{_short_key(k)}={_format_value(self.points[k].values[p])}" for k in keys]
                labels.append(", ".join(parts))
            return labels
        if self.point_count == 1:
            return [self.scenario_name or "run"]
        return [f"point {p}" for p in range(self.point_count)]

    # ---- optional groups ----------------------------------------------------

    @property
    def events(self) -> pd.DataFrame | None:
        """The event log (`tipsim run --events`) as a data frame, categorical
        columns as pandas categories; None when the file has none."""
        if self._events is None:
            with h5py.File(self.path, "r") as f:
                if "events" not in f:
                    return None
            self._events = _read_events(self.path, self.regions)
        return self._events

    @property
    def snapshots(self) -> xr.Dataset | None:
        """Agent snapshots (`--snapshot-every K`): (point, replicate, snapshot,
        person), read lazily; None when the file has none."""
        if self._snapshots is None:
            with h5py.File(self.path, "r") as f:
                if "snapshots" not in f:
                    return None
            self._snapshots = _open_group(self.path, "snapshots", load=False)
        return self._snapshots

    # ---- handy selections ---------------------------------------------------

    def scenario_value(self, key: str) -> float:
        """The resolved world-wide value of a scenario key (point 0)."""
        rows = self.parameters[self.parameters["key"] == key]
        if rows.empty:
            raise KeyError(f"{self.path}: no scenario key '{key}'")
        return float(rows["value"].iloc[0])

    def _point_value(self, key: str, point: int) -> float:
        """A scenario key's value at a point: the sweep's where it varies the key, else point 0's."""
        if key in self.sweep_keys:
            return float(self.points[key].values[point])
        return self.scenario_value(key)

    def region_populations(self, point: int = 0) -> pd.Series:
        """People living in each region at a point (population.size ×
        population.share × population.scale), in the units of the series:
        real people, or agents when opened with `agent_units=True`."""
        size = self._point_value("population.size", point)
        if not self.agent_units:
            size *= float(self.point_scales.values[point])
        if "population.share" in self.regional_values.columns:
            shares = self.regional_values["population.share"].astype(float)
            total = shares.sum()
            if total > 0:
                return size * shares / total
        return pd.Series(size / len(self.regions), index=self.regions)

    def close(self) -> None:
        """Closes the lazily read series (and snapshots)."""
        self.series.close()
        if self._snapshots is not None:
            self._snapshots.close()

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<tipsim Run {self.path.name}: {self.experiment} '{self.scenario_name}', "
                f"{self.point_count} point(s) x "
                f"{self.replicate_count} replicate(s) x {self.steps} steps of {self.step_days:g} days>")


def _short_key(key: str) -> str:
    """The last part of a dotted key, enough to label a point."""
    return key.rsplit(".", 1)[-1]


def _format_value(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


def _flag_labels(attrs: dict[str, Any]) -> dict[int, str]:
    values = [int(v) for v in np.atleast_1d(attrs["flag_values"])]
    meanings = str(_plain(attrs["flag_meanings"])).split()
    return dict(zip(values, meanings))


def _read_events(path: Path, regions: list[str]) -> pd.DataFrame:
    """events/ as a data frame; kind, form and channel from their CF flags,
    region from the series' region labels (flag meanings cannot hold spaces)."""
    with h5py.File(path, "r") as f:
        group = f["events"]
        columns = {}
        for name in group:
            item = group[name]
            if not isinstance(item, h5py.Dataset) or name == "event":
                continue
            values = item[()]
            if name == "region":
                columns[name] = pd.Categorical.from_codes(values.astype(int), categories=regions)
            elif "flag_values" in item.attrs and "flag_meanings" in item.attrs:
                labels = _flag_labels(dict(item.attrs))
                order = [labels[k] for k in sorted(labels)]
                columns[name] = pd.Categorical([labels.get(int(v), "NONE") for v in values], categories=order)
            else:
                columns[name] = values
    return pd.DataFrame(columns)


def _decoded_provenance(attrs: dict[str, Any], path: Path) -> dict[str, Any]:
    provenance = dict(attrs)
    with h5py.File(path, "r") as f:
        text = f["scenario"].get("source_text")
        if text is not None and "source_path" in text.attrs:
            provenance["scenario_source_path"] = _plain(text.attrs["source_path"])
        sweep = f.get("sweep")
        if sweep is not None and "definition" in sweep:
            provenance["sweep_definition"] = _plain(sweep["definition"][()])
    return provenance


def _with_time(series: xr.Dataset, step_days: float) -> xr.Dataset:
    """Adds `time_years` next to `time_days` on the step axis (the end of each step)."""
    if "time_days" in series.coords:
        days = series["time_days"].values.astype(float)
    else:
        days = (series["step"].values.astype(float) + 1.0) * step_days
        series = series.assign_coords(time_days=("step", days, {
            "long_name": "days since the start at the end of the step", "units": "day"}))
    return series.assign_coords(time_years=("step", days / DAYS_PER_YEAR,
                                            {"long_name": "years since the start at the end of the step",
                                             "units": "year"}))


def _point_labels(target: xr.Dataset, points: xr.Dataset) -> xr.Dataset:
    """Copies the point labels (varied keys, arm) onto a dataset along `point`."""
    extra = {name: points[name] for name in points.data_vars
             if points[name].dims == ("point",) and name != "resolved_toml" and name not in target.coords}
    return target.assign_coords(extra) if extra else target


def _point_scales(points: xr.Dataset, scale: float, count: int) -> xr.DataArray:
    """Real people per agent at each point, along `point` (a sweep may vary population.scale)."""
    factor = SCALE_KEY + "*"
    if SCALE_KEY in points.data_vars and points[SCALE_KEY].dims == ("point",):
        values = points[SCALE_KEY].values.astype(float)
    elif factor in points.data_vars and points[factor].dims == ("point",) and points[factor].values[0] != 0:
        # --vary 'population.scale*=...' varies a factor on the scenario's scale; the root attribute is
        # the first point's.
        factors = points[factor].values.astype(float)
        values = scale / factors[0] * factors
    else:
        values = np.full(count, scale)
    return xr.DataArray(values, dims=("point",), coords={"point": points["point"].values},
                        name="population_scale")


class _ScaledSeries(BackendArray):
    """A series variable read lazily and multiplied by its point's scale:
    only the part selected is read from the file, then scaled."""

    def __init__(self, variable: xr.Variable, scales: np.ndarray) -> None:
        self.variable = variable
        self.scales = scales
        self.point_axis = variable.dims.index("point")
        self.shape = variable.shape
        self.dtype = np.dtype(np.float64)

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.OUTER, self._read)

    def _read(self, key: tuple) -> np.ndarray:
        values = np.asarray(self.variable[key].values, dtype=np.float64)
        chosen = key[self.point_axis]
        scales = self.scales[chosen]
        if np.ndim(scales) == 0:
            return values * scales
        # Integer keys drop their axis, so the point axis moves left by as many.
        axis = self.point_axis - sum(isinstance(k, (int, np.integer)) for k in key[:self.point_axis])
        shape = [1] * values.ndim
        shape[axis] = scales.size
        return values * scales.reshape(shape)


def _series_in_people(series: xr.Dataset, scales: xr.DataArray) -> xr.Dataset:
    """The series with every `agents` variable multiplied by its point's scale, still lazily read."""
    values = scales.values.astype(float)
    converted = {}
    for name, data in series.data_vars.items():
        if data.attrs.get("basis") != BASIS_AGENTS or "point" not in data.dims:
            continue
        lazy = indexing.LazilyIndexedArray(_ScaledSeries(data.variable, values))
        converted[name] = xr.Variable(data.dims, lazy, dict(data.attrs, basis=BASIS_PEOPLE))
    return series.assign(converted) if converted else series


def _people_in_agents(ds: xr.Dataset, scales: xr.DataArray) -> xr.Dataset:
    """Summaries or effects with every `people` variable divided by the scale (of its point, where it has one)."""
    converted = {}
    for name, data in ds.data_vars.items():
        if data.attrs.get("basis") != BASIS_PEOPLE:
            continue
        scale = scales if "point" in data.dims else float(scales.values[0])
        divided = (data / scale).transpose(*data.dims)
        divided.attrs = dict(data.attrs, basis=BASIS_AGENTS)
        converted[name] = divided
    return ds.assign(converted) if converted else ds


def open_run(path: str | Path, agent_units: bool = False) -> Run:
    """Opens a tipsim run file (a run, a sweep or a comparison).

    The summaries, the comparison, the point labels and the scenario tables
    are read at once (they are small); the series are read lazily, so
    selecting one metric of one point reads only that. Use the result as a
    context manager, or call `close()`, to release the file.

    Counts come back in real people and cases: each series whose `basis`
    is `agents` is multiplied by `population_scale` as it is read (its
    `basis` becomes `people`), like the summaries and effects the file
    holds. With `agent_units=True` the series stay in agents and the
    summaries and effects counted in people are divided by the scale
    (their `basis` becomes `agents`). Money and rates are never changed.

    Raises `RunFileError` for a file that is not a tipsim run file or is
    written in a newer format version.
    """
    p = Path(path)
    attrs = check_run_file(p)
    try:
        summary = _open_group(p, "summary")
        series = _open_group(p, "series", load=False)
        with h5py.File(p, "r") as f:
            has_sweep = "sweep" in f
            has_comparison = "comparison" in f
            scenario = f["scenario"]
            source_text = _plain(scenario["source_text"][()]) if "source_text" in scenario else ""
            resolved_toml = _plain(scenario["resolved_toml"][()]) if "resolved_toml" in scenario else ""
            table_groups = {name: name in scenario for name in ("parameters", "regional_values", "routes",
                                                                "interventions")}
        points = _open_group(p, "sweep") if has_sweep else xr.Dataset(coords={"point": summary["point"]})
        comparison = _open_group(p, "comparison") if has_comparison else None
        parameters = _table(p, "scenario/parameters") if table_groups["parameters"] else pd.DataFrame()
        routes = _table(p, "scenario/routes") if table_groups["routes"] else pd.DataFrame()
        # Before format version 4 a route's transit time was whole steps.
        if "transit_steps" in routes and "transit_days" not in routes:
            steps = routes.pop("transit_steps")
            routes["transit_days"] = steps.astype(float) * float(attrs["step_days"])
        interventions = _table(p, "scenario/interventions") if table_groups["interventions"] else pd.DataFrame()
        if table_groups["regional_values"]:
            rv = _open_group(p, "scenario/regional_values")
            regional_values = pd.DataFrame(rv["value"].values, index=[str(r) for r in rv["region"].values],
                                           columns=[str(k) for k in rv["key"].values])
        else:
            regional_values = pd.DataFrame()
    except (OSError, KeyError, ValueError) as e:
        raise RunFileError(f"{path}: damaged or incomplete tipsim run file: {e}") from None

    scales = _point_scales(points, float(attrs.get("population_scale", 1.0)), int(summary.sizes["point"]))
    if agent_units:
        summary = _people_in_agents(summary, scales)
        if comparison is not None:
            # Every arm of a comparison has the baseline's scale (tipsim refuses others).
            comparison = _people_in_agents(comparison, scales)
    else:
        series = _series_in_people(series, scales)
    series = _point_labels(_with_time(series, float(attrs["step_days"])), points)
    summary = _point_labels(summary, points)
    return Run(path=p, provenance=_decoded_provenance(attrs, p), series=series, summary=summary, points=points,
               comparison=comparison, parameters=parameters, regional_values=regional_values, routes=routes,
               interventions=interventions, source_text=str(source_text), resolved_toml=str(resolved_toml),
               agent_units=agent_units)


def by_sweep_keys(data: xr.DataArray | xr.Dataset, run: Run) -> xr.DataArray | xr.Dataset:
    """Reshapes the flat `point` dimension of a sweep into one dimension per
    varied key (the full grid `tipsim sweep` runs): with two keys, (point,
    replicate) becomes (key1, key2, replicate)."""
    keys = run.sweep_keys
    if not keys:
        raise ValueError(f"{run.path}: not a sweep (no varied keys)")
    labelled = data.assign_coords({k: ("point", run.points[k].values) for k in keys})
    if len(keys) == 1:
        return labelled.swap_dims({"point": keys[0]})
    return labelled.drop_vars("point").set_index(point=keys).unstack("point")
