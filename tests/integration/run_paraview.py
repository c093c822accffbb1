"""Opens the output of a tiny `microheal run` in ParaView 5.11 and checks what it reads.

Usage: pvpython run_paraview.py MICROHEAL

Runs a tiny 2D scenario (tests/integration/run_helpers.py) into a temporary directory, then opens
  - fields.xmf with XDMFReader (Xdmf2) and with OpenDataFile (which picks Xdmf3ReaderS),
  - fields.hdf.series with OpenDataFile (ParaView's VTKHDF reader),
and checks for each that the time values are the run's output times (h), that every species is
there as cell data (XDMF) or point data at the voxel centres (VTKHDF), and the dimensions, origin
and spacing against manifest.json's grid. The last step's values must equal the h5py-readable
snapshot. Nothing is rendered, so no X server is needed.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from paraview.simple import Delete, OpenDataFile, XDMFReader
from vtkmodules.util.numpy_support import vtk_to_numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_helpers import TINY, Checker, write  # noqa: E402

SPECIES = ["damage", "cytokine", "neutrophils", "macrophages", "tgf_beta", "fibroblasts",
           "new_collagen", "mature_collagen", "keratinocytes", "regulator", "swelling"]


def expected_geometry(grid, cells):
    """(dimensions, origin, spacing) of the vtkImageData a reader should give. An axis with one
    voxel is stored as two half-voxel layers (io::snapshot_layout)."""
    dims, origin, spacing = [], [], []
    for n, d, o in zip(grid["extent"], grid["spacing_mm"], grid["origin_mm"]):
        layers, step = (2, d / 2) if n == 1 else (n, d)
        dims.append(layers + 1 if cells else layers)
        origin.append(o if cells else o + step / 2)
        spacing.append(step)
    return dims, origin, spacing


def check_reader(c, label, reader, times, grid, cells, last_values):
    got_times = list(reader.TimestepValues)
    c.check(got_times == times, f"{label}: TimestepValues {got_times} == {times}")
    dims, origin, spacing = expected_geometry(grid, cells)
    for time in times:
        reader.UpdatePipeline(time)
        data = reader.GetClientSideObject().GetOutputDataObject(0)
        if data.IsA("vtkMultiBlockDataSet"):
            data = data.GetBlock(0)
        where = f"{label} at t = {time} h"
        ok = (list(data.GetDimensions()) == dims
              and np.allclose(data.GetOrigin(), origin, rtol=0, atol=1e-12)
              and np.allclose(data.GetSpacing(), spacing, rtol=0, atol=1e-12))
        c.check(ok, f"{where}: dimensions {data.GetDimensions()} == {dims}, origin "
                f"{data.GetOrigin()}, spacing {data.GetSpacing()}")
        arrays = data.GetCellData() if cells else data.GetPointData()
        names = sorted(arrays.GetArrayName(a) for a in range(arrays.GetNumberOfArrays()))
        c.check(names == sorted(SPECIES), f"{where}: {'cell' if cells else 'point'} arrays")
        if time == times[-1]:
            same = all(np.array_equal(vtk_to_numpy(arrays.GetArray(s)), last_values[s].ravel())
                       for s in SPECIES if arrays.GetArray(s) is not None)
            c.check(same, f"{where}: values equal the snapshot file's")


def main():
    exe = sys.argv[1]
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scenario = write(tmp / "tiny.toml", TINY)
        out = tmp / "out"
        subprocess.run([exe, "run", scenario, "-o", str(out), "--quiet"], check=True)
        grid = json.loads((out / "manifest.json").read_text())["grid"]
        series = json.loads((out / "fields.hdf.series").read_text())["files"]
        times = [entry["time"] for entry in series]
        c.check(len(times) == 5, f"the run wrote 5 snapshots: {times}")
        # The last snapshot's values as VTK orders them (x fastest), read through VTK's own
        # VTKHDF reader on the single file so the comparison needs no h5py in pvpython.
        last_reader = OpenDataFile(str(out / series[-1]["name"]))
        last_reader.UpdatePipeline()
        last = last_reader.GetClientSideObject().GetOutputDataObject(0).GetPointData()
        last_values = {s: vtk_to_numpy(last.GetArray(s)).copy() for s in SPECIES}
        Delete(last_reader)

        xdmf2 = XDMFReader(FileNames=[str(out / "fields.xmf")])
        check_reader(c, "fields.xmf (XDMFReader)", xdmf2, times, grid, True, last_values)
        Delete(xdmf2)
        xdmf3 = OpenDataFile(str(out / "fields.xmf"))
        c.check(xdmf3 is not None, "OpenDataFile(fields.xmf) finds a reader")
        if xdmf3 is not None:
            check_reader(c, f"fields.xmf ({xdmf3.GetXMLName()})", xdmf3, times, grid, True,
                         last_values)
            Delete(xdmf3)
        vtkhdf = OpenDataFile(str(out / "fields.hdf.series"))
        c.check(vtkhdf is not None and vtkhdf.GetXMLName() == "HDFReader",
                "OpenDataFile(fields.hdf.series) picks the VTKHDF reader")
        if vtkhdf is not None:
            check_reader(c, "fields.hdf.series (HDFReader)", vtkhdf, times, grid, False,
                         last_values)
            Delete(vtkhdf)
    c.finish("ParaView")


if __name__ == "__main__":
    main()
