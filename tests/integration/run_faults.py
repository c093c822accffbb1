#!/usr/bin/python3
"""Faults during `microheal run`: signals, damaged checkpoints, failing writes, a second run in the
same directory. Each must lose nothing: the run resumes to results bitwise identical to an
uninterrupted one.

Usage: /usr/bin/python3 run_faults.py MICROHEAL

- SIGTERM at three points of a run (after the first, second and third session): exit 75, the
  manifest says "stopped" with the simulated time reached, the message says how to resume, and
  `--resume` ends bitwise identical to the uninterrupted run (fields, snapshots, time series,
  metrics).
- Two signals in a row (SIGINT, SIGTERM): the second ends the process at once (killed by
  it); it resumes like after kill -9.
- One flipped byte in each dataset of the checkpoint (37 of them), one at a time: `--resume` is
  refused with exit 2 by the file's seal before HDF5 parses anything, naming the file, and
  changes nothing; with the seal recomputed (forged), the dataset's own checksum refuses it,
  naming the dataset. A truncated checkpoint and one of another format version are refused too.
  The refusal names the intact previous generation.
- A write that fails (a real one: the process's file size limit, `ulimit -f`, makes write(2) fail
  with EFBIG as a full disk makes it fail with ENOSPC) during a snapshot and during a checkpoint:
  exit 1, a message naming the final path and the reason, no partial file under any name, the
  last good checkpoint intact; `--resume` without the limit ends bitwise identical.
- A second run given the directory of a running one is refused (exit 2), naming the holder.
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_helpers import Checker, checkpoint_time, run, tree_hash

try:
    import h5py
    import numpy as np
except ImportError as error:
    sys.exit(f"FAIL: {error}: run this with Debian's /usr/bin/python3 (python3-h5py)")

STOPPED = 75
# The quick 2D section at 0.05 mm (1 040 voxels, 4 sessions, 180 days): about 4 s on one core, long
# enough for signals to land mid-run. Snapshots every 5 days, so most steps do not land on one.
SETS = ["--set", "domain.voxel_mm=0.05", "--set", "output.every_h=120"]
ENV = dict(os.environ, OMP_NUM_THREADS="1")


def start(exe, scenario, out, extra=(), preexec_fn=None):
    return subprocess.Popen([exe, "run", str(scenario), "-o", str(out), "--quiet", *SETS, *extra],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=preexec_fn)


def wait_for_checkpoint_after(path, time_h, process, deadline_s=120):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and process.poll() is None:
        t = checkpoint_time(path)
        if t is not None and t >= time_h:
            return t
        time.sleep(0.01)
    return None


def same_results(reference, other):
    """Differences between two complete run directories (empty when bitwise identical)."""
    differing = []
    for name in ("timeseries.csv", "collagen_profile.csv", "metrics.json", "fields.hdf.series"):
        if (reference / name).read_bytes() != (other / name).read_bytes():
            differing.append(name)
    with h5py.File(reference / "checkpoint.h5", "r") as fa, \
            h5py.File(other / "checkpoint.h5", "r") as fb:
        for s in fa["species"]:
            if fa["species"][s][()].tobytes() != fb["species"][s][()].tobytes():
                differing.append(f"checkpoint species {s}")
    for entry in json.loads((reference / "fields.hdf.series").read_text())["files"]:
        with h5py.File(reference / entry["name"], "r") as fa, \
                h5py.File(other / entry["name"], "r") as fb:
            for name, data in fa["VTKHDF/PointData"].items():
                if data[()].tobytes() != fb["VTKHDF/PointData"][name][()].tobytes():
                    differing.append(f"{entry['name']}:{name}")
    return differing


def temporaries(root):
    return [p.name for p in root.rglob("*") if ".tmp-" in p.name]


def datasets(path):
    """(name, offset, size) of every dataset with data in the file."""
    found = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.id.get_storage_size() > 0:
                found.append((name, obj.id.get_offset(), obj.id.get_storage_size()))
        f.visititems(visit)
    return found


SEAL = b"microheal-checkpoint sealed fnv1a64 "


def reseal(path):
    """Recompute a checkpoint's seal (FNV-1a 64 of every byte after its first 512), as a forger
    would: then the per-dataset checksums must still catch a change."""
    data = bytearray(path.read_bytes())
    assert data.startswith(SEAL), "not a sealed checkpoint"
    h = 0xcbf29ce484222325
    for byte in data[512:]:
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    data[len(SEAL):len(SEAL) + 16] = f"{h:016x}".encode()
    path.write_bytes(bytes(data))


def file_size_limit(limit_bytes):
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))


def main():
    exe = sys.argv[1]
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "quick-2d.toml"
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reference = tmp / "reference"
        ref = start(exe, scenario, reference)

        # --- SIGTERM after the first, second and third session, then --resume ----------------
        stopped_copies = []
        for n, after_h in enumerate((0.0, 672.0, 1344.0)):
            out = tmp / f"stopped-{n}"
            victim = start(exe, scenario, out)
            landed = wait_for_checkpoint_after(out / "checkpoint.h5", after_h, victim)
            time.sleep(0.3)  # into the integration after that checkpoint
            victim.send_signal(signal.SIGTERM)
            log = victim.communicate(timeout=120)[0]
            manifest = json.loads((out / "manifest.json").read_text())
            t = manifest.get("simulated_time_h", -1)
            c.check(landed is not None and victim.returncode == STOPPED
                    and manifest["status"] == "stopped" and manifest.get("stopped_by") == "SIGTERM"
                    and after_h < t < manifest["end_time_h"],
                    f"SIGTERM after the checkpoint at {landed} h: exit {victim.returncode}, "
                    f"manifest {manifest['status']} at t = {t} h")
            c.check("stopped by SIGTERM" in log and "--resume" in log and str(out) in log,
                    f"the stop says how to resume: {log.strip().splitlines()[-1:]}")
            c.check(checkpoint_time(out / "checkpoint.h5") == t,
                    "the checkpoint holds the state at the stop")
            copy = tmp / f"stopped-{n}-copy"
            shutil.copytree(out, copy)
            stopped_copies.append(copy)
            code, log = run(exe, ["run", str(scenario), "-o", str(out), "--resume", *SETS],
                            env=ENV)
            c.check(code == 0 and "resuming from the checkpoint" in log,
                    f"--resume after the stop exits 0 (got {code})")
        ref.wait()
        c.check(ref.returncode == 0, "uninterrupted run exits 0")
        for n in range(3):
            differing = same_results(reference, tmp / f"stopped-{n}")
            c.check(not differing, f"stopped run {n}, resumed: bitwise identical {differing[:4]}")

        # --- two signals: the second ends the process at once ---------------------------------
        out = tmp / "twice"
        victim = start(exe, scenario, out)
        wait_for_checkpoint_after(out / "checkpoint.h5", 672.0, victim)
        # Two different signals, so that the kernel cannot merge them into one pending signal;
        # whichever is handled second ends the process with its default action.
        victim.send_signal(signal.SIGINT)
        victim.send_signal(signal.SIGTERM)
        victim.communicate(timeout=120)
        c.check(victim.returncode in (-signal.SIGTERM, -signal.SIGINT),
                f"a second signal ends the run at once (exit status {victim.returncode})")
        code, _ = run(exe, ["run", str(scenario), "-o", str(out), "--resume", *SETS], env=ENV)
        differing = same_results(reference, out) if code == 0 else ["(resume failed)"]
        c.check(code == 0 and not differing,
                f"and resumes from its last checkpoint, bitwise identical {differing[:4]}")

        # --- damaged checkpoints: one flipped byte in each dataset ----------------------------
        base = stopped_copies[1]
        found = datasets(base / "checkpoint.h5")
        refused, accepted = [], []
        for name, offset, size in found:
            damaged = tmp / "damaged"
            shutil.rmtree(damaged, ignore_errors=True)
            shutil.copytree(base, damaged)
            with open(damaged / "checkpoint.h5", "r+b") as f:
                f.seek(offset + size // 2)
                byte = f.read(1)
                f.seek(offset + size // 2)
                f.write(bytes([byte[0] ^ 0x10]))
            before = tree_hash(damaged)
            code, log = run(exe, ["run", str(scenario), "-o", str(damaged), "--resume", *SETS],
                            env=ENV)
            ok = (code == 2 and "checkpoint.h5" in log and "fails its checksum" in log
                  and tree_hash(damaged) == before)
            # Sealed again: the dataset's own checksum names it.
            reseal(damaged / "checkpoint.h5")
            code, log = run(exe, ["run", str(scenario), "-o", str(damaged), "--resume", *SETS],
                            env=ENV)
            ok = ok and code == 2 and f"/{name}' fails its checksum" in log
            (refused if ok else accepted).append(name if ok else f"{name} (exit {code}: {log})")
        c.check(len(found) >= 30 and not accepted,
                f"a flipped byte in each of the {len(found)} datasets: refused with exit 2 by the "
                f"file's seal (file named, directory untouched), and with the seal forged by the "
                f"dataset's checksum (dataset named) {accepted[:2]}")
        damaged = tmp / "damaged"
        shutil.rmtree(damaged, ignore_errors=True)
        shutil.copytree(base, damaged)
        with open(damaged / "checkpoint.h5", "r+b") as f:
            f.truncate(f.seek(0, 2) - 1000)
        code, log = run(exe, ["run", str(scenario), "-o", str(damaged), "--resume", *SETS],
                        env=ENV)
        c.check(code == 2 and "fails its checksum" in log,
                f"a truncated checkpoint is refused before HDF5 reads it (exit {code})")
        c.check("checkpoint.prev.h5" in log and "passes its checks" in log,
                "the refusal names the intact previous generation")
        other = tmp / "other-version"
        shutil.copytree(base, other)
        with h5py.File(other / "checkpoint.h5", "r+") as f:
            f.attrs["format_version"] = np.int64(1)
        reseal(other / "checkpoint.h5")
        code, log = run(exe, ["run", str(scenario), "-o", str(other), "--resume", *SETS], env=ENV)
        c.check(code == 2 and "format version 1" in log and "checkpoint.h5" in log,
                f"a checkpoint of another format version is refused (exit {code})")

        # --- failing writes: during a checkpoint, during a snapshot ---------------------------
        snapshot_bytes = max(p.stat().st_size for p in (reference / "fields").glob("f_*.hdf"))
        for what, limit in (("checkpoint", None), ("snapshot", snapshot_bytes // 2)):
            out = tmp / f"full-{what}"
            shutil.copytree(stopped_copies[0], out)
            checkpoint_bytes = (out / "checkpoint.h5").stat().st_size
            if limit is None:
                # Every snapshot fits, the next (larger) checkpoint does not.
                limit = (snapshot_bytes + checkpoint_bytes) // 2
                c.check(checkpoint_bytes > 1.2 * snapshot_bytes,
                        f"test set-up: checkpoint {checkpoint_bytes} B > snapshots "
                        f"{snapshot_bytes} B")
            before_t = checkpoint_time(out / "checkpoint.h5")
            failing = start(exe, scenario, out, ["--resume"], preexec_fn=file_size_limit(limit))
            log = failing.communicate(timeout=120)[0]
            target = "checkpoint.h5" if what == "checkpoint" else "fields/f_"
            c.check(failing.returncode == 1 and target in log and "File too large" in log,
                    f"a failing {what} write: exit {failing.returncode}, message names the path "
                    f"and the reason: {log.strip().splitlines()[-1:]}")
            c.check(not temporaries(out), f"no partial file left {temporaries(out)}")
            manifest = json.loads((out / "manifest.json").read_text())
            c.check(manifest["status"] == "failed" and checkpoint_time(out / "checkpoint.h5")
                    == before_t, f"manifest failed, the last good checkpoint (t = {before_t} h) "
                    "kept")
            code, log = run(exe, ["run", str(scenario), "-o", str(out), "--resume", *SETS],
                            env=ENV)
            differing = same_results(reference, out) if code == 0 else [log]
            c.check(code == 0 and not differing,
                    f"resumed without the limit: bitwise identical {differing[:3]}")

        # --- a second run in the directory of a running one -----------------------------------
        out = tmp / "busy"
        first = start(exe, scenario, out)
        wait_for_checkpoint_after(out / "checkpoint.h5", 0.0, first)
        code, log = run(exe, ["run", str(scenario), "-o", str(out), "--resume", *SETS], env=ENV)
        still_running = first.poll() is None
        c.check(still_running and code == 2 and "in use by another microheal run" in log
                and f"pid {first.pid}" in log,
                f"a second run on a running one's directory is refused (exit {code}): "
                f"{log.strip()}")
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
        code, _ = run(exe, ["run", str(scenario), "-o", str(out), "--resume", *SETS], env=ENV)
        c.check(code == 0 and not same_results(reference, out),
                "after the first stopped, --resume takes the lock over and finishes bitwise")
    c.finish("run faults")


if __name__ == "__main__":
    main()
