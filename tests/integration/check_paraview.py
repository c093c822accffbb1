"""Opens the field series of microheal_io_sample_writer in ParaView 5.11 and checks what it reads.

Usage: pvpython check_paraview.py SAMPLE_WRITER

pvpython comes from Debian's python3-paraview (scripts/setup-deps). Runs the sample writer into a
temporary directory, then for each series (3D float64, 3D float32 + gzip, 2D with ny = 1) opens
  - fields.hdf.series with OpenDataFile (ParaView's VTKHDF reader, "HDFReader"),
  - fields.xmf with XDMFReader (Xdmf2) and with OpenDataFile (which picks Xdmf3ReaderS),
and at every time step checks the time values, dimensions, origin, spacing, the array set and
type, and every value against the formula of tests/integration/write_sample_fields.cpp. No X
server is needed: nothing is rendered.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from paraview.simple import Delete, OpenDataFile, XDMFReader
from vtkmodules.util.numpy_support import vtk_to_numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sample_fields import CASES, expected, layout  # noqa: E402

VTK_FLOAT, VTK_DOUBLE = 10, 11

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def check_reader(label, reader, case, cell_data):
    """cell_data: the XDMF readers (layers as cells on a (L+1)^3 point grid from the true
    origin); otherwise the VTKHDF reader (layers as points from the first layer's centre)."""
    (lx, ly, lz), spacing, centre = layout(case)
    times = list(reader.TimestepValues)
    check(times == case["times"], f"{label}: TimestepValues {times} != {case['times']}")
    for step, time in enumerate(case["times"]):
        reader.UpdatePipeline(time)
        data = reader.GetClientSideObject().GetOutputDataObject(0)
        where = f"{label} at t={time}"
        if data is None or not data.IsA("vtkImageData"):
            check(False, f"{where}: output is {data and data.GetClassName()}, not image data")
            continue
        if cell_data:
            check(data.GetDimensions() == (lx + 1, ly + 1, lz + 1),
                  f"{where}: point dimensions {data.GetDimensions()}")
            check(data.GetOrigin() == case["o"], f"{where}: origin {data.GetOrigin()}")
            arrays = data.GetCellData()
        else:
            check(data.GetDimensions() == (lx, ly, lz), f"{where}: dimensions {data.GetDimensions()}")
            check(data.GetOrigin() == centre, f"{where}: origin {data.GetOrigin()} != {centre}")
            arrays = data.GetPointData()
        check(data.GetSpacing() == spacing, f"{where}: spacing {data.GetSpacing()} != {spacing}")
        names = sorted(arrays.GetArrayName(a) for a in range(arrays.GetNumberOfArrays()))
        check(names == sorted(case["species"]), f"{where}: arrays {names}")
        for name in case["species"]:
            array = arrays.GetArray(name)
            if array is None:
                continue
            want_type = VTK_DOUBLE if case["dtype"] == np.float64 else VTK_FLOAT
            check(array.GetDataType() == want_type,
                  f"{where}: {name} is {array.GetDataTypeAsString()}")
            want = expected(name, case, step)
            got = vtk_to_numpy(array).reshape(lz, ly, lx)
            check(np.array_equal(got, want), f"{where}: {name} values differ "
                  f"(max |diff| {np.max(np.abs(got.astype(float) - want.astype(float)))})")
        # A few values spelled out: the first voxel holds 1e8 * step, the last voxel
        # (nx-1, ny-1, nz-1) its own index.
        a = arrays.GetArray("A")
        if a is not None:
            check(a.GetValue(0) == float(case["dtype"](1e8 * step)),
                  f"{where}: A[0] = {a.GetValue(0)}")
            nx, ny, nz = case["n"]
            last = (nx - 1) + 1000 * (ny - 1) + 1000000 * (nz - 1) + 1e8 * step
            check(a.GetValue(lx * ly * lz - 1) == float(case["dtype"](last)),
                  f"{where}: A[last] = {a.GetValue(lx * ly * lz - 1)}, expected {last}")


def main():
    writer = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([writer, tmp], check=True)
        for name, case in CASES.items():
            directory = Path(tmp) / name
            series = OpenDataFile(str(directory / "fields.hdf.series"))
            check(series is not None and series.GetXMLName() == "HDFReader",
                  f"{name}: OpenDataFile(.hdf.series) did not pick the VTKHDF reader")
            if series is not None:
                check_reader(f"{name} .hdf.series ({series.GetXMLName()})", series, case, False)
                Delete(series)
            xdmf2 = XDMFReader(FileNames=[str(directory / "fields.xmf")])
            check_reader(f"{name} .xmf (XDMFReader)", xdmf2, case, True)
            Delete(xdmf2)
            xdmf3 = OpenDataFile(str(directory / "fields.xmf"))
            check(xdmf3 is not None, f"{name}: OpenDataFile(.xmf) found no reader")
            if xdmf3 is not None:
                check_reader(f"{name} .xmf ({xdmf3.GetXMLName()})", xdmf3, case, True)
                Delete(xdmf3)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print(f"ok: {len(CASES)} series read by ParaView's VTKHDF, XDMF and Xdmf3 readers")


if __name__ == "__main__":
    main()
