"""The run file against the CF conventions (CF-1.8), for every kind of file
tipsim writes. Debian 12 packages no CF checker (cfchecker is not in
bookworm), so this test checks what CF requires of the file, section by
section, with netCDF's own reader (ncdump) and UDUNITS' (udunits2, from
udunits-bin) as the judges where a rule is theirs:

  2.2   types: numbers, and strings as variable-length text
  2.3   names begin with a letter and hold letters, digits and underscores
        (one documented exception: a sweep's varied scenario keys keep
        their dotted names, e.g. policy.protection.shelter_beds_per_100k)
  2.6.1 the Conventions attribute names CF-1.8
  2.6.2 title, history, source, comment are text
  3.1   every units attribute is a unit UDUNITS parses
  3.3   no standard_name outside the standard name table (tipsim sets none)
  3.5   flag_values have the variable's type and one meaning each
  5     a coordinate variable is numeric, strictly monotonic, without
        missing values; every name in a coordinates attribute exists, and
        a labelled axis's labels (<axis>_label) are named by every
        variable along it and hold distinct labels
  8.1   _FillValue has the variable's type
and that netCDF reads the whole file (ncdump)."""

import functools
import re
import shutil
import subprocess

import h5py
import numpy as np
import pytest

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# A scenario key: dotted words (docs/scenario-reference.md).
SCENARIO_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
# Attributes HDF5 and netCDF-4 keep for themselves (dimension scales).
LIBRARY_ATTRIBUTES = {"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST", "_Netcdf4Dimid", "_Netcdf4Coordinates",
                      "_nc3_strict"}


def text(value):
    return value.decode() if isinstance(value, bytes) else value


@functools.lru_cache(maxsize=None)
def udunits_parses(unit):
    """Whether UDUNITS-2 parses `unit` (udunits2 -H UNIT -W '' prints its
    value in SI units, or "Don't recognize")."""
    udunits = shutil.which("udunits2")
    if not udunits:
        pytest.fail("udunits2 is not installed: scripts/setup.sh installs it (Debian's udunits-bin)")
    result = subprocess.run([udunits, "-H", unit, "-W", ""], capture_output=True, text=True, timeout=60)
    return result.returncode == 0 and "recognize" not in result.stdout + result.stderr


def cf_problems(path):
    """Every way the file at `path` breaks the rules above, as text."""
    problems = []
    with h5py.File(path, "r") as f:
        conventions = text(f.attrs.get("Conventions", ""))
        if "CF-1.8" not in conventions.split():
            problems.append(f"2.6.1: Conventions is {conventions!r}, not CF-1.8")
        for key in ("title", "history", "source", "comment"):
            if key in f.attrs and not isinstance(text(f.attrs[key]), str):
                problems.append(f"2.6.2: the attribute {key} is not text")
        sweep_keys = set(f["sweep"].keys()) if "sweep" in f else set()

        def check_name(kind, where, name):
            if NAME.fullmatch(name):
                return
            if kind == "variable" and name in sweep_keys and SCENARIO_KEY.fullmatch(name):
                return
            problems.append(f"2.3: {kind} {where!r} has the name {name!r}")

        def visit(name, obj):
            base = name.rsplit("/", 1)[-1]
            if isinstance(obj, h5py.Group):
                check_name("group", name, base)
            else:
                check_name("variable", name, base)
                kind = obj.dtype.kind
                if kind not in "iuf" and h5py.check_string_dtype(obj.dtype) is None:
                    problems.append(f"2.2: {name} has the type {obj.dtype}")
                units = obj.attrs.get("units")
                if units is not None and not udunits_parses(text(units)):
                    problems.append(f"3.1: {name} has units {text(units)!r}, which UDUNITS does not parse")
                if "standard_name" in obj.attrs:
                    problems.append(f"3.3: {name} has a standard_name; tipsim's quantities have none in the table")
                if "flag_values" in obj.attrs:
                    values = obj.attrs["flag_values"]
                    meanings = text(obj.attrs.get("flag_meanings", "")).split()
                    if values.dtype != obj.dtype or len(values) != len(meanings):
                        problems.append(f"3.5: {name}: flag_values of another type or not one meaning each")
                if "_FillValue" in obj.attrs and np.asarray(obj.attrs["_FillValue"]).dtype != obj.dtype:
                    problems.append(f"8.1: {name}: _FillValue of another type")
                # A coordinate variable: one dimension, of its own name.
                if obj.ndim == 1 and "CLASS" in obj.attrs and text(obj.attrs["CLASS"]) == "DIMENSION_SCALE":
                    values = obj[()]
                    if kind not in "iuf":
                        problems.append(f"5: the coordinate variable {name} is not numeric")
                    elif len(values) > 1 and not (np.all(np.diff(values) > 0) or np.all(np.diff(values) < 0)):
                        problems.append(f"5: the coordinate variable {name} is not strictly monotonic")
                    if "_FillValue" in obj.attrs:
                        problems.append(f"5: the coordinate variable {name} may hold missing values")
                group = obj.parent
                for coordinate in text(obj.attrs.get("coordinates", "")).split():
                    if coordinate not in group:
                        problems.append(f"5: {name} names the coordinate {coordinate!r}, which {group.name} lacks")
                named = text(obj.attrs.get("coordinates", "")).split()
                if base.endswith("_label"):
                    labels = obj.asstr()[()]
                    if len(set(labels)) != len(labels):
                        problems.append(f"5: the labels {name} repeat a label")
                elif text(obj.attrs.get("CLASS", "")) != "DIMENSION_SCALE":
                    for dim in obj.dims:
                        label = f"{dim[0].name.rsplit('/', 1)[-1]}_label" if len(dim) else None
                        if label and label in group and label not in named:
                            problems.append(f"5: {name} does not name its axis's labels {label} in coordinates")
            for attribute in obj.attrs:
                if attribute not in LIBRARY_ATTRIBUTES:
                    check_name("attribute", name, attribute)

        f.visititems(visit)
        for attribute in f.attrs:
            check_name("attribute", "/", attribute)
    return problems


def test_every_kind_of_file_follows_the_cf_conventions(every_kind_of_file):
    problems = []
    for kind, path in every_kind_of_file.items():
        problems += [f"{kind}: {p}" for p in cf_problems(path)]
        dump = subprocess.run(["ncdump", "-h", str(path)], capture_output=True, text=True, timeout=120)
        if dump.returncode != 0:
            problems.append(f"{kind}: ncdump cannot read it: {dump.stderr.strip()}")
    assert not problems, "\n".join(problems)


def test_units_are_udunits_and_their_words_are_kept(tiny_run_file):
    """units says "1" for a count, which people cannot read: unit_label
    keeps the words, and a unit UDUNITS rejects is caught."""
    with h5py.File(tiny_run_file, "r") as f:
        identified = f["summary/identified"]
        assert (text(identified.attrs["units"]), text(identified.attrs["unit_label"])) == ("1", "persons")
        rate = f["summary/identification_rate"]
        assert (text(rate.attrs["units"]), text(rate.attrs["unit_label"])) == ("year-1", "per year")
    assert not udunits_parses("persons") and udunits_parses("1e-5 year-1")


def test_the_checker_finds_what_breaks_the_conventions(tiny_run_file, tmp_path):
    """Each rule above fails on a copy of a good file broken in its way."""
    broken = tmp_path / "broken.h5"
    shutil.copy(tiny_run_file, broken)
    with h5py.File(broken, "r+") as f:
        f.attrs["Conventions"] = "ACDD-1.3"
        f["summary/identified"].attrs["units"] = "persons"
        f["summary/recruitments"].attrs["standard_name"] = "number_of_victims"
        f["summary"].create_dataset("bad-name", data=np.zeros(2))
        f["summary/bad-name"].attrs["coordinates"] = "no_such_variable"
    found = "\n".join(cf_problems(broken))
    with h5py.File(broken, "r+") as f:
        # A text axis that repeats a label.
        states = f["series/state_label"]
        states[1] = states[0]
        del f["series/recruitments_by_method"].attrs["coordinates"]
    found = "\n".join(cf_problems(broken))
    for rule in ("2.6.1: Conventions", "3.1: summary/identified has units 'persons'", "3.3: summary/recruitments",
                 "2.3: variable 'summary/bad-name'", "5: summary/bad-name names the coordinate 'no_such_variable'",
                 "5: the labels series/state_label repeat a label",
                 "5: series/recruitments_by_method does not name its axis's labels method_label"):
        assert rule in found, f"{rule!r} not found in:\n{found}"
