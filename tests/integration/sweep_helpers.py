"""Shared pieces of the `microheal sweep` integration tests (imported by the sweep_*.py scripts).

Standard library only. The scenario is run_helpers.TINY (2D, 13 x 1 x 13 voxels, one session,
half a day: under a second per case on one core).
"""

import csv
import io
import json
import os
import shutil
from pathlib import Path

from run_helpers import TINY, write

# Six cases; the last one (length 2.5 mm x efficiency 0.7 = 1.75 mm) passes the sweep's range
# checks but reaches below the 1.3 mm block, so the scenario refuses it when the case runs.
FACTORIAL = """\
description = "integration test: 3 x 2 factorial, one case fails at run time"
base = "base.toml"
[sweep]
design = "factorial"
[fixed]
"numerics.checkpoint_every_min" = 0
[[axis]]
key = "needle.length_mm"
values = [0.5, 1.0, 2.5]
[[axis]]
key = "needle.penetration_efficiency"
linspace = { from = 0.5, to = 0.7, count = 2 }
"""

FAILING = {"needle.length_mm": "2.5", "needle.penetration_efficiency": "0.7"}


def sweep_env():
    """One OpenMP thread per case; Open MPI allowed to run as root (CI containers)."""
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    return env


def write_sweep(folder, text=FACTORIAL, base=TINY, name="sweep.toml"):
    """The sweep file and its base scenario in folder; returns the sweep file's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "base.toml", base)
    return write(folder / name, text)


def read_summary(directory):
    """summary.csv as a list of dicts (all values as text)."""
    text = (Path(directory) / "summary.csv").read_text()
    return list(csv.DictReader(io.StringIO(text)))


def comparable(rows, directory):
    """Rows keyed by case id without the wall time, paths in messages made neutral."""
    out = {}
    for row in rows:
        row = dict(row)
        row.pop("wall_seconds")
        row["error"] = row["error"].replace(str(directory), "DIR")
        out[row["id"]] = row
    return out


def case_folder(directory, case_id):
    return Path(directory) / "cases" / case_id


def record(directory, case_id):
    return json.loads((case_folder(directory, case_id) / "case.json").read_text())


def mpirun():
    """The mpirun command, or None when Open MPI is not installed."""
    return shutil.which("mpirun")
