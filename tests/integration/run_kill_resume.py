#!/usr/bin/python3
"""kill -9 during `microheal run`, then `--resume`: the results must be bitwise identical to an
uninterrupted run.

Usage: /usr/bin/python3 run_kill_resume.py MICROHEAL

A small 2D scenario with two sessions and wall-clock checkpoints every ~0.1 s runs twice at the
same time: once uninterrupted, once killed with SIGKILL as soon as its checkpoint has passed the
first session and a few snapshots exist (so the kill lands between checkpoints, in the middle of
integration, with snapshots written after the checkpoint). The killed run is resumed; then every
snapshot dataset, fields.hdf.series, timeseries.csv, metrics.json and the final checkpoint's
species must equal the uninterrupted run's bit for bit. A resume with a changed scenario is
refused (exit 2) and leaves the directory untouched.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_helpers import TINY, Checker, checkpoint_time, run, tree_hash, write

try:
    import h5py
    import numpy as np
except ImportError as error:
    sys.exit(f"FAIL: {error}: run this with Debian's /usr/bin/python3 (python3-h5py)")

SCENARIO = (TINY.replace("sessions = 1", "sessions = 2\ninterval_days = 0.25")
            .replace("duration_days = 0.5", "duration_days = 1.0")
            .replace("every_h = 3", "every_h = 2")
            .replace("checkpoint_every_min = 0", "checkpoint_every_min = 0.002"))


def main():
    exe = sys.argv[1]
    c = Checker()
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scenario = write(tmp / "two-sessions.toml", SCENARIO)
        reference, killed = tmp / "reference", tmp / "killed"
        ref = subprocess.Popen([exe, "run", scenario, "-o", str(reference), "--quiet"], env=env)
        victim = subprocess.Popen([exe, "run", scenario, "-o", str(killed), "--quiet"], env=env)
        deadline = time.monotonic() + 120
        killed_at = None
        while time.monotonic() < deadline and victim.poll() is None:
            t = checkpoint_time(killed / "checkpoint.h5")
            snapshots = len(list((killed / "fields").glob("f_*.hdf")))
            # Past the first session and a few snapshots into the run, before the second session.
            if t is not None and t > 2.5 and snapshots >= 3:
                os.kill(victim.pid, signal.SIGKILL)
                killed_at = t
                break
            time.sleep(0.02)
        victim.wait()
        c.check(killed_at is not None and victim.returncode == -signal.SIGKILL,
                f"run killed with SIGKILL after a checkpoint at t = {killed_at} h "
                f"(exit status {victim.returncode})")
        manifest = json.loads((killed / "manifest.json").read_text())
        c.check(manifest["status"] == "running", "killed run's manifest says running")

        # A changed scenario may not resume from this checkpoint; nothing changes on disk.
        before = tree_hash(killed)
        code, log = run(exe, ["run", scenario, "-o", str(killed), "--resume",
                              "--set", "needle.length_mm=0.8"])
        c.check(code == 2 and "different scenario" in log and "length_mm" in log,
                f"resume with a changed scenario refused (exit {code}): {log.strip()}")
        c.check(tree_hash(killed) == before, "refused resume left the directory untouched")

        # A damaged checkpoint is bad input too, and also changes nothing.
        damaged = tmp / "damaged"
        shutil.copytree(killed, damaged)
        (damaged / "checkpoint.h5").write_bytes(b"not an HDF5 file")
        before = tree_hash(damaged)
        code, log = run(exe, ["run", scenario, "-o", str(damaged), "--resume"])
        c.check(code == 2 and "cannot resume" in log, f"damaged checkpoint refused (exit {code})")
        c.check(tree_hash(damaged) == before, "damaged checkpoint: directory untouched")

        code, log = run(exe, ["run", scenario, "-o", str(killed), "--resume"])
        c.check(code == 0 and "resuming from the checkpoint" in log,
                f"--resume exits 0 (got {code})")
        ref.wait()
        c.check(ref.returncode == 0, "uninterrupted run exits 0")

        a, b = json.loads((reference / "fields.hdf.series").read_text()), \
            json.loads((killed / "fields.hdf.series").read_text())
        c.check(a == b, f"fields.hdf.series identical ({len(a['files'])} snapshots)")
        differing = []
        for entry in a["files"]:
            with h5py.File(reference / entry["name"], "r") as fa, \
                    h5py.File(killed / entry["name"], "r") as fb:
                for name, data in fa["VTKHDF/PointData"].items():
                    if not np.array_equal(data[()], fb["VTKHDF/PointData"][name][()]):
                        differing.append(f"{entry['name']}:{name}")
        c.check(not differing, f"every snapshot dataset bitwise identical {differing[:5]}")
        with h5py.File(reference / "checkpoint.h5", "r") as fa, \
                h5py.File(killed / "checkpoint.h5", "r") as fb:
            same = all(np.array_equal(fa["species"][s][()], fb["species"][s][()])
                       for s in fa["species"])
            c.check(same, "final state (checkpoint species) bitwise identical")
        for name in ("timeseries.csv", "collagen_profile.csv", "metrics.json"):
            c.check((reference / name).read_text() == (killed / name).read_text(),
                    f"{name} identical")
        resumed = json.loads((killed / "manifest.json").read_text())
        c.check(resumed["status"] == "complete" and resumed["resumed"]
                and len(resumed["segments"]) == 2, "manifest: complete, two segments")
    c.finish("kill and resume")


if __name__ == "__main__":
    main()
