#!/usr/bin/python3
"""`microheal sweep` locally and under MPI: the same tiny sweep (2D, six cases, one of which fails
at run time) gives identical summaries with --jobs 1, --jobs 2, `mpirun -np 2` (rank 0 hands out,
rank 1 runs) and `mpirun -np 1` (rank 0 runs the cases itself).

Usage: /usr/bin/python3 sweep_local_mpi.py MICROHEAL

Also checked on the --jobs 1 run: the failed case is recorded with its message and the others
succeed (exit code 1); every case folder holds what `microheal run` writes, without field
snapshots or checkpoint; summary.csv agrees with each case's metrics.json and with summary.h5
(h5py); running again runs nothing; `sweep collect` rebuilds the same summary; `sweep analyze`
writes main effects that agree with the summary. Finally a small Sobol design runs and
`sweep analyze` writes its Sobol indices.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from run_helpers import Checker, tree_hash, write
from sweep_helpers import (FAILING, FACTORIAL, case_folder, comparable, mpirun, read_summary,
                           record, sweep_env, write_sweep)

try:
    import h5py
    import numpy as np
except ImportError as error:
    sys.exit(f"FAIL: {error}: run this with Debian's /usr/bin/python3 (python3-h5py)")

SOBOL = """\
description = "integration test: Sobol design, N = 4 over two axes (16 cases)"
base = "base.toml"
[sweep]
design = "sobol"
samples = 4
seed = 3
[[axis]]
key = "needle.length_mm"
linspace = { from = 0.5, to = 1.2 }
[[axis]]
key = "model.k_I"
logspace = { from = 0.3, to = 3.0 }
"""


def sweep(args, timeout=300):
    result = subprocess.run(args, env=sweep_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return result.returncode, result.stdout


def metrics_flat(path):
    """metrics.json's run-level values, nested objects joined with '.' (as the summary does)."""
    import json
    data = json.loads(Path(path).read_text())
    flat = {}
    for key, value in data.items():
        if key in ("format", "format_version", "sessions"):
            continue
        if isinstance(value, dict):
            for sub, v in value.items():
                flat[f"{key}.{sub}"] = v
        else:
            flat[key] = value
    return flat


def check_first_run(c, exe, sweep_file, out, code, log):
    c.check(code == 1, f"--jobs 1: exit 1 with a failed case (got {code})")
    c.check("6 case(s): 5 ok, 1 failed, 0 not run" in log, "--jobs 1: 5 ok, 1 failed reported")
    rows = read_summary(out)
    c.check(len(rows) == 6, f"summary.csv has 6 rows ({len(rows)})")
    failed = [r for r in rows if r["status"] == "failed"]
    c.check(len(failed) == 1 and all(failed[0][k] == v for k, v in FAILING.items())
            and "effective depth" in failed[0]["error"]
            and "needle.length_mm" in failed[0]["error"],
            "the failing case is recorded as failed with the scenario's message")
    c.check(all(r["status"] == "ok" for r in rows if r not in failed), "the other cases are ok")
    c.check(all(float(r["wall_seconds"]) > 0 for r in rows), "every row has its wall time")
    for row in rows:
        folder = case_folder(out, row["id"])
        rec = record(out, row["id"])
        c.check(rec["id"] == row["id"] and "output.snapshots=false" in rec["assignments"],
                f"case {row['index']}: case.json names the case and its overrides")
        if row["status"] != "ok":
            continue
        names = {p.name for p in folder.iterdir()}
        c.check({"scenario.toml", "manifest.json", "metrics.json", "timeseries.csv"} <= names
                and "fields" not in names and "fields.xmf" not in names
                and "checkpoint.h5" not in names,
                f"case {row['index']}: run outputs without snapshots or checkpoint ({sorted(names)})")
        flat = metrics_flat(folder / "metrics.json")
        metric_columns = [k for k in rows[0] if k in flat]
        same = all((row[k] == "" and flat[k] is None) or
                   (flat[k] is not None and row[k] != "" and float(row[k]) == flat[k])
                   for k in metric_columns)
        c.check(len(metric_columns) == len(flat) == 17 and same,
                f"case {row['index']}: the summary has every metric of metrics.json, equal")
    # summary.h5 holds the same table.
    with h5py.File(out / "summary.h5", "r") as f:
        c.check(f.attrs["format"] == b"microheal-sweep-summary"
                or f.attrs["format"] == "microheal-sweep-summary", "summary.h5 format attribute")
        status = f["status"][()]
        c.check(list(status) == [0 if r["status"] == "ok" else 1 for r in rows],
                "summary.h5 status codes match summary.csv")
        ids = [format(int(i), "016x") for i in f["id"][()]]
        c.check(ids == [r["id"] for r in rows], "summary.h5 ids are the case folder names")
        lengths = f["inputs"]["needle.length_mm"][()]
        c.check(np.array_equal(lengths, [float(r["needle.length_mm"]) for r in rows]),
                "summary.h5 inputs match summary.csv")
        peak = f["metrics"]["redness_peak_h"][()]
        expected = [float(r["redness_peak_h"]) if r["redness_peak_h"] else np.nan for r in rows]
        c.check(np.array_equal(peak, expected, equal_nan=True),
                "summary.h5 metrics match summary.csv (NaN where failed)")
        failed_id = failed[0]["id"] if failed else ""
        c.check(failed_id in f["errors"].attrs, "summary.h5 keeps the failed case's error")


def main():
    exe = sys.argv[1]
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sweep_file = write_sweep(tmp / "sweep")

        one = tmp / "jobs1"
        code, log = sweep([exe, "sweep", sweep_file, "-o", str(one), "--jobs", "1"])
        print(log)
        check_first_run(c, exe, sweep_file, one, code, log)
        reference = comparable(read_summary(one), one)

        # Again: everything is done (a failed case too); nothing runs, nothing changes.
        before = tree_hash(one / "cases")
        code, log = sweep([exe, "sweep", sweep_file, "-o", str(one), "--jobs", "2"])
        c.check(code == 1 and "6 done, 0 to run" in log and tree_hash(one / "cases") == before,
                f"a second run runs no case (exit {code})")
        csv_before = (one / "summary.csv").read_bytes()
        (one / "summary.csv").unlink()
        (one / "summary.h5").unlink()
        code, log = sweep([exe, "sweep", "collect", str(one)])
        c.check(code == 1 and (one / "summary.csv").read_bytes() == csv_before
                and (one / "summary.h5").exists(),
                f"sweep collect rebuilds the same summary (exit {code})")

        code, log = sweep([exe, "sweep", "analyze", str(one)])
        effects = (one / "analysis" / "main_effects.csv").read_text().splitlines()
        c.check(code == 0 and effects[0].startswith("metric,axis,level,value,low,high,cases,mean"),
                f"sweep analyze writes main_effects.csv (exit {code})")
        rows = read_summary(one)
        ok = [r for r in rows if r["status"] == "ok" and r["needle.length_mm"] == "0.5"]
        want = sum(float(r["redness_peak_h"]) for r in ok) / len(ok)
        line = [l for l in effects if l.startswith("redness_peak_h,needle.length_mm,0,")]
        c.check(len(line) == 1 and abs(float(line[0].split(",")[7]) - want) <= 1e-12 * abs(want),
                "main effect of needle length on redness_peak_h = the mean over its level")
        c.check(not (one / "analysis" / "sobol_indices.csv").exists(),
                "no Sobol indices for a factorial design")

        # Two jobs, and MPI with two ranks (a dispatcher and a worker) and with one rank.
        runs = [("--jobs 2", [exe, "sweep", sweep_file, "-o", str(tmp / "jobs2"), "--jobs", "2"],
                 tmp / "jobs2")]
        launcher = mpirun()
        if launcher is None:
            c.check(False, "mpirun not found: install openmpi-bin (scripts/setup-deps)")
        else:
            for ranks in ("2", "1"):
                out = tmp / f"mpi{ranks}"
                runs.append((f"mpirun -np {ranks}",
                             [launcher, "-np", ranks, "--oversubscribe", exe, "sweep", sweep_file,
                              "-o", str(out), "--mpi"], out))
        for name, args, out in runs:
            code, log = sweep(args)
            c.check(code != 0 and "5 ok, 1 failed" in log, f"{name}: 5 ok, 1 failed (exit {code})"
                    + ("" if "5 ok, 1 failed" in log else f"\n{log}"))
            c.check((out / "summary.csv").exists() and comparable(read_summary(out), out)
                    == reference, f"{name}: summary values identical to --jobs 1")
            if name.startswith("mpirun -np 2"):
                c.check("on rank 1" in log and "on rank 0" not in log,
                        "mpirun -np 2: rank 1 runs the cases, rank 0 only hands them out")

        # A Sobol design end to end: 16 cases, Sobol indices with intervals.
        sobol_file = write_sweep(tmp / "sobol", SOBOL)
        sobol = tmp / "sobol-out"
        code, log = sweep([exe, "sweep", sobol_file, "-o", str(sobol), "--jobs", "2"])
        c.check(code == 0 and "16 case(s): 16 ok" in log, f"Sobol sweep: 16 cases ok (exit {code})")
        code, log = sweep([exe, "sweep", "analyze", str(sobol), "--bootstrap", "50"])
        path = sobol / "analysis" / "sobol_indices.csv"
        lines = path.read_text().splitlines() if path.exists() else []
        c.check(code == 0 and lines and lines[0] ==
                "metric,axis,S1,S1_low,S1_high,ST,ST_low,ST_high,groups,bootstrap",
                f"sweep analyze writes sobol_indices.csv (exit {code})")
        by_key = {tuple(l.split(",")[:2]): l.split(",") for l in lines[1:]}
        peak = by_key.get(("redness_peak_h", "needle.length_mm"))
        c.check(peak is not None and peak[2] != "" and peak[8] == "4" and peak[9] == "50",
                f"redness_peak_h over needle.length_mm: S1 and ST from N = 4 groups ({peak})")
        scar = by_key.get(("scar_index_pct", "model.k_I"))
        c.check(scar is not None and scar[2] == "" and scar[5] == "",
                "a metric that does not vary (scar index 0) has no indices")
    c.finish("sweep local and MPI")


if __name__ == "__main__":
    main()
