#!/usr/bin/python3
"""Checks the field series that microheal_io_sample_writer writes, with h5py and numpy.

Usage: /usr/bin/python3 check_fields_h5py.py SAMPLE_WRITER

Runs the sample writer into a temporary directory, then checks every snapshot file against the
VTKHDF 1.0 ImageData layout that Debian 12's VTK 9.1 and ParaView 5.11 read (docs:
/work/shared/output-formats.md sections 3 and 7), the values, the .hdf.series JSON and the XDMF
sidecar. Debian's h5py only imports in Debian's /usr/bin/python3; a missing h5py is a failure
(scripts/setup-deps installs python3-h5py), not a skip.
"""

import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    import h5py
    import numpy as np
    from sample_fields import CASES, expected, layout
except ImportError as error:
    sys.exit(f"FAIL: {error}: install python3-h5py python3-numpy (scripts/setup-deps) and run "
             "this with /usr/bin/python3")

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def check_snapshot(path, case, step):
    (lx, ly, lz), spacing, centre = layout(case)
    with h5py.File(path, "r") as f:
        check(list(f.keys()) == ["VTKHDF"], f"{path}: root holds {list(f.keys())}")
        g = f["VTKHDF"]
        check(list(g.keys()) == ["PointData"], f"{path}: /VTKHDF holds {list(g.keys())}, "
              "expected only PointData (no CellData, no FieldData)")
        a = g.attrs
        check(list(a["Version"]) == [1, 0], f"{path}: Version {a['Version']}")
        check(list(a["WholeExtent"]) == [0, lx - 1, 0, ly - 1, 0, lz - 1],
              f"{path}: WholeExtent {a['WholeExtent']}")
        check(tuple(a["Origin"]) == centre, f"{path}: Origin {a['Origin']} != {centre}")
        check(tuple(a["Spacing"]) == spacing, f"{path}: Spacing {a['Spacing']} != {spacing}")
        check(list(a["Direction"]) == [1, 0, 0, 0, 1, 0, 0, 0, 1],
              f"{path}: Direction {a['Direction']}")
        check(a["Origin"].dtype == np.float64 and a["Spacing"].dtype == np.float64,
              f"{path}: Origin/Spacing not float64")
        # Type: scalar, fixed-length 9-byte ASCII, NULLPAD (ParaView 5.11 rejects anything else).
        type_attr = g.attrs.get_id("Type")
        t = type_attr.get_type()
        check(isinstance(t, h5py.h5t.TypeStringID) and not t.is_variable_str(),
              f"{path}: Type is not a fixed-length string")
        check(t.get_size() == 9, f"{path}: Type has {t.get_size()} bytes, expected 9")
        check(t.get_cset() == h5py.h5t.CSET_ASCII, f"{path}: Type is not ASCII")
        check(t.get_strpad() == h5py.h5t.STR_NULLPAD, f"{path}: Type is not NULLPAD")
        check(type_attr.get_space().get_simple_extent_type() == h5py.h5s.SCALAR,
              f"{path}: Type is not scalar")
        check(a["Type"] == b"ImageData", f"{path}: Type {a['Type']!r}")

        pd = g["PointData"]
        check(sorted(pd.keys()) == sorted(case["species"]),
              f"{path}: PointData holds {list(pd.keys())}, expected {case['species']}")
        for name in case["species"]:
            ds = pd[name]
            check(ds.shape == (lz, ly, lx), f"{path}:{name} shape {ds.shape}")
            check(ds.dtype == case["dtype"], f"{path}:{name} dtype {ds.dtype}")
            check((ds.compression == "gzip") == case["gzip"],
                  f"{path}:{name} compression {ds.compression}")
            check(np.array_equal(ds[()], expected(name, case, step)), f"{path}:{name} values differ")
        # One value spelled out: voxel (i, j, k) = (3, 0, 2) of step 1.
        if step == 1 and lx > 3 and lz > 2:
            check(float(pd["A"][2, 0, 3]) == float(case["dtype"](102000003.0)),
                  f"{path}: A[k=2, j=0, i=3] = {pd['A'][2, 0, 3]}")


def check_series(directory, case):
    series = json.loads((directory / "fields.hdf.series").read_text())
    check(series.get("file-series-version") == "1.0", f"{directory}: series version")
    names = [f["name"] for f in series["files"]]
    times = [f["time"] for f in series["files"]]
    want_names = [f"fields/f_{s:06d}.hdf" for s in range(len(case["times"]))]
    check(names == want_names, f"{directory}: series names {names}")
    check(times == case["times"], f"{directory}: series times {times}")
    for step, name in enumerate(names):
        check_snapshot(directory / name, case, step)


def check_xdmf(directory, case):
    (lx, ly, lz), layer_spacing, _ = layout(case)
    root = ET.parse(directory / "fields.xmf").getroot()
    collection = root.find("Domain/Grid")
    check(collection.get("CollectionType") == "Temporal", f"{directory}: not a temporal collection")
    grids = collection.findall("Grid")
    check([float(g.find("Time").get("Value")) for g in grids] == case["times"],
          f"{directory}: XDMF times")
    precision = "8" if case["dtype"] == np.float64 else "4"
    for step, grid in enumerate(grids):
        topology = grid.find("Topology")
        check(topology.get("TopologyType") == "3DCoRectMesh", f"{directory}: topology type")
        check(topology.get("Dimensions") == f"{lz + 1} {ly + 1} {lx + 1}",
              f"{directory}: point dims {topology.get('Dimensions')}")
        origin, spacing = grid.findall("Geometry/DataItem")
        check(grid.find("Geometry").get("GeometryType") == "ORIGIN_DXDYDZ", "geometry type")
        check([float(v) for v in origin.text.split()] == list(reversed(case["o"])),
              f"{directory}: origin (z y x) {origin.text}")
        check([float(v) for v in spacing.text.split()] == list(reversed(layer_spacing)),
              f"{directory}: spacing (z y x) {spacing.text}")
        attributes = grid.findall("Attribute")
        check([a.get("Name") for a in attributes] == case["species"], f"{directory}: attributes")
        for attribute in attributes:
            item = attribute.find("DataItem")
            check(attribute.get("Center") == "Cell", f"{directory}: center")
            check(item.get("Dimensions") == f"{lz} {ly} {lx}", f"{directory}: cell dims")
            check(item.get("Precision") == precision and item.get("NumberType") == "Float",
                  f"{directory}: precision {item.get('Precision')}")
            check(item.get("Format") == "HDF", f"{directory}: format")
            file, _, dataset = item.text.strip().partition(":")
            check(file == f"fields/f_{step:06d}.hdf", f"{directory}: file {file}")
            check(dataset == f"/VTKHDF/PointData/{attribute.get('Name')}", f"dataset {dataset}")
            with h5py.File(directory / file, "r") as f:
                check(f[dataset].shape == (lz, ly, lx), f"{directory}: {item.text} shape")


def main():
    writer = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([writer, tmp], check=True)
        for name, case in CASES.items():
            directory = Path(tmp) / name
            check_series(directory, case)
            check_xdmf(directory, case)
            # Nothing but the three outputs (no leftover temporaries).
            check(sorted(p.name for p in directory.iterdir()) ==
                  ["fields", "fields.hdf.series", "fields.xmf"], f"{directory}: extra files")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print(f"ok: {len(CASES)} series checked with h5py {h5py.__version__}")


if __name__ == "__main__":
    main()
