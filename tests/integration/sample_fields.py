"""What microheal_io_sample_writer writes (tests/integration/write_sample_fields.cpp), shared by
check_fields_h5py.py (/usr/bin/python3) and check_paraview.py (pvpython). Keep in step with the
C++ side."""

import numpy as np

# n: voxels (x, y, z); d: spacing (x, y, z) mm; o: origin (x, y, z) mm.
CASES = {
    "3d_f64": dict(n=(6, 5, 4), d=(0.5, 0.25, 1.0), o=(1.0, 2.0, 3.0), species=["A", "C"],
                   dtype=np.float64, times=[0.0, 0.5, 1.25], gzip=False),
    "3d_f32": dict(n=(6, 5, 4), d=(0.5, 0.25, 1.0), o=(1.0, 2.0, 3.0), species=["A", "C"],
                   dtype=np.float32, times=[0.0, 0.5, 1.25], gzip=True),
    "2d": dict(n=(7, 1, 3), d=(0.5, 2.0, 0.25), o=(-1.0, 0.0, 5.0), species=["A"],
               dtype=np.float64, times=[0.0, 24.0], gzip=False),
}


def layout(case):
    """(layers, spacing, first centre), each (x, y, z): an axis with one voxel is written as two
    half-voxel layers (io::snapshot_layout)."""
    layers, spacing, centre = [], [], []
    for n, d, o in zip(case["n"], case["d"], case["o"]):
        if n > 1:
            layers.append(n), spacing.append(d), centre.append(o + 0.5 * d)
        else:
            layers.append(2), spacing.append(0.5 * d), centre.append(o + 0.25 * d)
    return tuple(layers), tuple(spacing), tuple(centre)


def expected(name, case, step):
    """Values of species @name at output @step on the snapshot's layers, shape [Lz, Ly, Lx], in
    the case's dtype: A = i + 1000 j + 1e6 k + 1e8 step (each voxel stores its own index),
    B = -A, C = A / 3 (computed in float64, then cast)."""
    nx, ny, nz = case["n"]
    k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    a = (i + 1000 * j + 1000000 * k).astype(np.float64) + 1e8 * step
    values = {"A": a, "B": -a, "C": a / 3.0}[name]
    for axis, n in zip((2, 1, 0), case["n"]):  # x, y, z are numpy axes 2, 1, 0
        if n == 1:
            values = np.repeat(values, 2, axis=axis)
    return values.astype(case["dtype"])
