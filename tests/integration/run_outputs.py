#!/usr/bin/python3
"""`microheal run` end to end on a tiny 2D scenario: what lands in the output directory.

Usage: /usr/bin/python3 run_outputs.py MICROHEAL

Checks, with h5py and the standard library:
- the layout of every snapshot (VTKHDF 1.0 ImageData, as Debian's ParaView 5.11 reads it), its
  geometry from manifest.json's grid, and that the last snapshot holds the final state bit for
  bit (float64 output against the checkpoint);
- fields.hdf.series and fields.xmf list every output time with the right geometry;
- manifest.json, metrics.json, timeseries.csv (units in the header), collagen_profile.csv,
  punctures.csv;
- --set overrides take effect; print-config's output is a scenario that gives the same run
  (fields and metrics identical), also with 2 threads instead of 1;
- no progress bar when stdout is not a terminal, nothing at all with --quiet;
- --resume of a finished run and --overwrite.
"""

import csv
import json
import os
import pty
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from run_helpers import TINY, Checker, run, write

try:
    import h5py
    import numpy as np
except ImportError as error:
    sys.exit(f"FAIL: {error}: run this with Debian's /usr/bin/python3 (python3-h5py)")

SPECIES = ["damage", "cytokine", "neutrophils", "macrophages", "tgf_beta", "fibroblasts",
           "new_collagen", "mature_collagen", "keratinocytes", "regulator", "swelling"]
OUTPUT_TIMES = [0.0, 3.0, 6.0, 9.0, 12.0]


def layout(grid):
    """Layers, spacing and first point per axis (x, y, z) of a snapshot, as io::snapshot_layout:
    an axis with one voxel is written as two half-voxel layers."""
    layers, spacing, first = [], [], []
    for n, d, o in zip(grid["extent"], grid["spacing_mm"], grid["origin_mm"]):
        if n == 1:
            layers.append(2), spacing.append(d / 2), first.append(o + d / 4)
        else:
            layers.append(n), spacing.append(d), first.append(o + d / 2)
    return layers, spacing, first


def final_fields(directory):
    """The last snapshot's species arrays, [z, y, x]."""
    steps = json.loads((directory / "fields.hdf.series").read_text())["files"]
    with h5py.File(directory / steps[-1]["name"], "r") as f:
        return {k: v[()] for k, v in f["VTKHDF/PointData"].items()}


def same_fields(a, b):
    fa, fb = final_fields(a), final_fields(b)
    return fa.keys() == fb.keys() and all(np.array_equal(fa[k], fb[k]) for k in fa)


def check_snapshots(c, out, grid):
    layers, spacing, first = layout(grid)
    lx, ly, lz = layers
    series = json.loads((out / "fields.hdf.series").read_text())
    c.check(series.get("file-series-version") == "1.0", "series: file-series-version 1.0")
    times = [f["time"] for f in series["files"]]
    c.check(times == OUTPUT_TIMES, f"series: times {times} == {OUTPUT_TIMES} (h)")
    for entry in series["files"]:
        path = out / entry["name"]
        with h5py.File(path, "r") as f:
            g = f["VTKHDF"]
            ok = (list(f.keys()) == ["VTKHDF"] and list(g.keys()) == ["PointData"]
                  and list(g.attrs["Version"]) == [1, 0]
                  and g.attrs["Type"] == b"ImageData"
                  and g.attrs.get_id("Type").get_type().get_size() == 9
                  and list(g.attrs["WholeExtent"]) == [0, lx - 1, 0, ly - 1, 0, lz - 1]
                  and np.allclose(g.attrs["Spacing"], spacing, rtol=0, atol=1e-15)
                  and np.allclose(g.attrs["Origin"], first, rtol=0, atol=1e-15)
                  and list(g.attrs["Direction"]) == [1, 0, 0, 0, 1, 0, 0, 0, 1])
            c.check(ok, f"{entry['name']}: VTKHDF ImageData attributes, extent {lx}x{ly}x{lz}")
            data = g["PointData"]
            c.check(sorted(data.keys()) == sorted(SPECIES), f"{entry['name']}: all 11 species")
            shapes_ok = all(data[s].shape == (lz, ly, lx) and data[s].dtype == np.float64
                            for s in data)
            c.check(shapes_ok, f"{entry['name']}: datasets [z, y, x] = [{lz}, {ly}, {lx}] float64")
            finite = all(np.all(np.isfinite(data[s][()])) for s in data)
            c.check(finite, f"{entry['name']}: finite values")
    # The single y voxel is two identical layers.
    fields = final_fields(out)
    c.check(all(np.array_equal(v[:, 0, :], v[:, 1, :]) for v in fields.values()),
            "2D: both y layers hold the same values")
    # Final snapshot (float64) == the checkpointed final state, bit for bit.
    with h5py.File(out / "checkpoint.h5", "r") as f:
        exact = all(np.array_equal(f["species"][s][()][:, 0, :], fields[s][:, 0, :])
                    for s in SPECIES)
        c.check(exact, "last snapshot == final state in checkpoint.h5 (bitwise)")
        c.check(f["scalars"]["time_h"][()] == 12.0, "checkpoint at the end time")

    root = ET.parse(out / "fields.xmf").getroot()
    grids = root.findall(".//Grid[@GridType='Uniform']")
    xmf_times = [float(g.find("Time").get("Value")) for g in grids]
    c.check(xmf_times == OUTPUT_TIMES, f"xmf: times {xmf_times}")
    topology = grids[-1].find("Topology")
    c.check(topology.get("Dimensions").split() == [str(lz + 1), str(ly + 1), str(lx + 1)],
            f"xmf: point dimensions {topology.get('Dimensions')} (z y x)")
    origin, step = [np.array(item.text.split(), dtype=float)
                    for item in grids[-1].find("Geometry").findall("DataItem")]
    c.check(np.allclose(origin, grid["origin_mm"][::-1]) and np.allclose(step, spacing[::-1]),
            f"xmf: origin {origin} and spacing {step} (z y x)")
    attributes = {a.get("Name"): a for a in grids[-1].findall("Attribute")}
    c.check(sorted(attributes) == sorted(SPECIES)
            and all(a.get("Center") == "Cell" for a in attributes.values()),
            "xmf: one cell attribute per species")


def run_on_terminal(exe, args):
    """Run microheal with stdout on a pseudo-terminal; returns (exit code, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["OMP_NUM_THREADS"] = "1"
        os.execv(exe, [exe, *args])
    output = b""
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO once the child has exited
            break
        if not data:
            break
        output += data
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def check_numerical_failure(c, exe, scenario, out):
    """Steps forced to 2 h with no tolerance for negative values: the first step after the
    session leaves a negative value that cannot be retried smaller."""
    code, log = run(exe, ["run", scenario, "-o", str(out),
                          "--set", "numerics.dt_initial_h=2", "--set", "numerics.dt_min_h=2",
                          "--set", "numerics.dt_max_h=2", "--set", "numerics.rtol=0.1",
                          "--set", "numerics.negative_tolerance=0"])
    layer = r"(stratum_corneum|viable_epidermis|papillary_dermis|reticular_dermis|hypodermis)"
    pattern = (r"numerical failure at t = [0-9.e+-]+ h \(day [0-9.]+\): species '\w+' at voxel "
               r"\(i, j, k\) = \(\d+, 0, \d+\) in the " + layer + r" \(depth [0-9.]+ mm\)")
    c.check(code == 1 and re.search(pattern, log) is not None,
            f"numerical failure: exit {code}, species, voxel, layer and time named:\n{log}")
    c.check((out / "checkpoint.h5").is_file() and (out / "failure_state.hdf").is_file(),
            "numerical failure: last good state kept (checkpoint.h5, failure_state.hdf)")
    manifest = json.loads((out / "manifest.json").read_text())
    c.check(manifest["status"] == "failed" and "numerical failure" in manifest["error"],
            "numerical failure: manifest status failed, with the message")
    with h5py.File(out / "failure_state.hdf", "r") as f:
        c.check(sorted(f["VTKHDF/PointData"].keys()) == sorted(SPECIES)
                and all(np.all(np.isfinite(d[()])) for d in f["VTKHDF/PointData"].values()),
                "numerical failure: failure_state.hdf holds every species, finite")


def main():
    exe = sys.argv[1]
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scenario = write(tmp / "tiny.toml", TINY)
        out = tmp / "a"
        code, log = run(exe, ["run", scenario, "-o", str(out), "--set", "needle.length_mm=0.9",
                              "--set", "needle.seed=7"])
        c.check(code == 0, f"run exits 0 (got {code})")
        if code != 0:
            print(log)
            c.finish("run output")
        c.check("\r" not in log and "\x1b" not in log,
                "no progress bar (no carriage return or escape) when stdout is not a terminal")
        c.check("session 1/1 applied" in log and "done:" in log, "plain log lines instead")

        manifest = json.loads((out / "manifest.json").read_text())
        for key in ("microheal_version", "git_hash", "threads", "host", "start_time", "end_time",
                    "stage_timings", "peak_memory_mb", "scenario", "grid", "integrator"):
            c.check(key in manifest, f"manifest has {key}")
        c.check(manifest["status"] == "complete", "manifest: status complete")
        c.check(manifest["threads"] == 1, "manifest: threads (OMP_NUM_THREADS=1)")
        c.check(manifest["peak_memory_mb"] > 0, "manifest: peak memory")
        c.check(any(t["stage"] == "simulation" for t in manifest["stage_timings"]),
                "manifest: stage timings")
        c.check(manifest["scenario"]["needle"]["length_mm"] == 0.9
                and manifest["scenario"]["needle"]["seed"] == 7,
                "manifest: resolved scenario carries the --set values")
        c.check(manifest["grid"]["extent"] == [13, 1, 13], f"grid {manifest['grid']['extent']}")
        balance = manifest.get("mass_balance", [])
        worst = max((abs(r["residual_relative"]) for r in balance), default=None)
        closes = all(abs(r["initial"] + r["reaction"] + r["transport"] + r["external"]
                         - r["final"] - r["residual"]) <= 1e-12 * max(1.0, abs(r["initial"]))
                     for r in balance)
        c.check(len(balance) == 11 and worst is not None and worst < 1e-12 and closes
                and any(r["initial"] + r["external"] > 0 for r in balance
                        if r["species"] == "damage"),
                f"manifest: mass balance of the 11 species closes to round-off ({worst}), the "
                "injury in it (applied before the first step: in the initial mass)")
        c.check("mass balance" in log and "largest residual" in log,
                "the end-of-run summary reports the mass balance")
        check_snapshots(c, out, manifest["grid"])

        metrics = json.loads((out / "metrics.json").read_text())
        c.check(metrics["format"] == "microheal-metrics" and len(metrics["sessions"]) == 1,
                "metrics.json: one session")
        c.check("collagen_gain_dermis" in metrics and "neutrophil_peak_h" in metrics,
                "metrics.json: collagen and timing metrics")
        rows = list(csv.reader((out / "timeseries.csv").open()))
        c.check(rows[0][:2] == ["time_h [h]", "sessions_applied [1]"]
                and all(h.endswith("]") for h in rows[0]), "timeseries.csv: units in the header")
        c.check([float(r[0]) for r in rows[1:]] == OUTPUT_TIMES, "timeseries.csv: output times")
        profile = list(csv.reader((out / "collagen_profile.csv").open()))
        c.check(profile[0][1] == "depth_mm [mm]" and len(profile) == 1 + 13 * 5,
                "collagen_profile.csv: 13 planes x 5 times")
        scenario_copy = (out / "scenario.toml").read_text()
        c.check("length_mm = 0.9" in scenario_copy, "scenario.toml: the resolved scenario")
        punctures = list(csv.DictReader((out / "punctures.csv").open()))
        # 250/cm^2 on a square lattice over a 1.26 mm tile: 2 x 2 needles, of which the 2D
        # section keeps the row of 2 (slits through y, so y is the section's centre).
        c.check(len(punctures) == 2
                and all(p["session [1]"] == "0" and p["time_h [h]"] == "0" for p in punctures),
                f"punctures.csv: the section's row of 2 needles of session 0 ({len(punctures)})")
        c.check(all(0.0 <= float(p["x_mm [mm]"]) < 1.26 and float(p["y_mm [mm]"]) == 0.05
                    and float(p["needle_length_mm [mm]"]) == 0.9
                    and 0.0 < float(p["effective_depth_mm [mm]"]) <= 0.9 for p in punctures),
                "punctures.csv: positions on the tile, the --set needle length, a depth within it")
        xs = sorted(float(p["x_mm [mm]"]) for p in punctures)
        c.check(abs((xs[1] - xs[0]) - 0.63) < 1e-9, f"punctures.csv: lattice spacing 0.63 mm ({xs})")

        # print-config: a scenario that gives the same run (also at 2 threads).
        code, printed = run(exe, ["print-config", scenario, "--set", "needle.length_mm=0.9",
                                  "--set", "needle.seed=7"])
        c.check(code == 0 and "[model]" in printed and "k_I = " in printed,
                "print-config prints every table, model parameters included")
        config = write(tmp / "printed.toml", printed)
        code, again = run(exe, ["print-config", config])
        strip = lambda text: [l for l in text.splitlines() if not l.startswith("#")]
        c.check(code == 0 and strip(again) == strip(printed), "print-config is idempotent")
        for threads in ("1", "2"):
            other = tmp / f"printed-{threads}"
            code, log = run(exe, ["run", config, "-o", str(other), "--quiet", "--threads", threads])
            c.check(code == 0 and log == "", f"--quiet run of the printed config ({threads} "
                    f"thread(s)) prints nothing (exit {code}, {len(log)} characters)")
            c.check(same_fields(out, other), f"printed config, {threads} thread(s): same final "
                    "fields (bitwise)")
            c.check((other / "metrics.json").read_text() == (out / "metrics.json").read_text(),
                    f"printed config, {threads} thread(s): same metrics.json")

        # On a terminal: a progress bar (redrawn line with day, sessions, step size and ETA).
        code, log = run_on_terminal(exe, ["run", scenario, "-o", str(tmp / "tty")])
        c.check(code == 0 and "\r[" in log and "sessions 1/1" in log and "ETA" in log
                and "dt " in log, f"progress bar on a terminal (exit {code})")

        check_numerical_failure(c, exe, scenario, tmp / "failure")

        # --resume of a finished run changes no result; --overwrite reruns.
        before = (out / "metrics.json").read_text()
        code, log = run(exe, ["run", scenario, "-o", str(out), "--resume",
                              "--set", "needle.length_mm=0.9", "--set", "needle.seed=7"])
        c.check(code == 0 and (out / "metrics.json").read_text() == before,
                f"--resume of a finished run: exit {code}, same metrics")
        code, log = run(exe, ["run", scenario, "-o", str(out), "--overwrite", "--quiet"])
        c.check(code == 0 and json.loads((out / "manifest.json").read_text())["scenario"]
                ["needle"]["length_mm"] == 1.0, f"--overwrite reruns (exit {code})")
    c.finish("run output")


if __name__ == "__main__":
    main()
