#!/usr/bin/python3
"""A sweep stopped by a signal: its cases stop with their checkpoints, stay pending, and the same
command finishes them with the summary of an uninterrupted sweep.

Usage: /usr/bin/python3 sweep_stop.py MICROHEAL SOURCE_DIR

- local, `--jobs 2`: SIGINT to the sweep (as Ctrl-C sends it to the sweep alone: the cases run in
  process groups of their own) while its first two cases run: exit 75, both cases' manifests say
  "stopped", no case record for them, no third case started; the same command again: exit 0 and
  a summary equal to the uninterrupted sweep's, value by value.
- `mpirun -np 3 ... --mpi`: SIGTERM to mpirun, which passes it to every rank: the running cases
  stop with their checkpoints, rank 0 hands out no more, and the rerun finishes them likewise.
"""

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_helpers import Checker
from sweep_helpers import comparable, mpirun, read_summary, sweep_env

STOPPED = 75


def sweep_text(base):
    # Three cases of the quick 2D section at 0.05 mm, each a few seconds on one core.
    return f"""description = "stop test"
base = "{base}"
[sweep]
design = "factorial"
[fixed]
"domain.voxel_mm" = 0.05
[[axis]]
key = "needle.length_mm"
values = [1.0, 1.5, 2.0]
"""


def running_cases(out):
    found = []
    for manifest in (out / "cases").glob("*/manifest.json"):
        try:
            if json.loads(manifest.read_text())["status"] == "running":
                found.append(manifest.parent.name)
        except (OSError, ValueError, KeyError):
            pass
    return found


def stop_and_resume(c, name, command, out, sig, reference, wanted_running):
    process = subprocess.Popen(command, env=sweep_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None \
            and len(running_cases(out)) < wanted_running:
        time.sleep(0.02)
    time.sleep(0.5)  # into the integration of those cases
    process.send_signal(sig)
    log = process.communicate(timeout=120)[0]
    stopped = []
    for folder in (out / "cases").iterdir():
        manifest = folder / "manifest.json"
        if manifest.exists() and json.loads(manifest.read_text())["status"] == "stopped":
            stopped.append(folder.name)
            c.check((folder / "checkpoint.h5").exists() and not (folder / "case.json").exists(),
                    f"{name}: stopped case {folder.name} kept its checkpoint and has no record")
    c.check(len(stopped) >= 1 and "stopped by" in log,
            f"{name}: {len(stopped)} case(s) stopped with their checkpoints (exit "
            f"{process.returncode}){'' if stopped else chr(10) + log}")
    c.check(len(list((out / "cases").glob("*/case.json"))) + len(stopped) < 3,
            f"{name}: not every case ran: no case started after the stop")
    code = subprocess.run(command, env=sweep_env(), capture_output=True, text=True).returncode
    c.check(code == 0 and comparable(read_summary(out), out) == reference,
            f"{name}: the same command again finishes the sweep (exit {code}) with the "
            "uninterrupted summary")
    return process.returncode


def main():
    exe, source = sys.argv[1], Path(sys.argv[2])
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sweep_file = tmp / "sweep.toml"
        sweep_file.write_text(sweep_text(source / "scenarios" / "quick-2d.toml"))
        reference_dir = tmp / "reference"
        done = subprocess.run([exe, "sweep", str(sweep_file), "-o", str(reference_dir), "--jobs",
                               "2"], env=sweep_env(), capture_output=True, text=True)
        c.check(done.returncode == 0, f"uninterrupted sweep exits 0 ({done.returncode})")
        reference = comparable(read_summary(reference_dir), reference_dir)

        out = tmp / "local"
        code = stop_and_resume(c, "--jobs 2, SIGINT",
                               [exe, "sweep", str(sweep_file), "-o", str(out), "--jobs", "2"],
                               out, signal.SIGINT, reference, 2)
        c.check(code == STOPPED, f"the stopped local sweep exits 75 (got {code})")

        launcher = mpirun()
        if launcher is None:
            c.check(False, "mpirun not found: install openmpi-bin (scripts/setup-deps)")
        else:
            out = tmp / "mpi"
            # mpirun's own exit status after a signal is its own (1); the cases are what counts.
            stop_and_resume(c, "mpirun -np 3, SIGTERM",
                            [launcher, "-np", "3", "--oversubscribe", exe, "sweep",
                             str(sweep_file), "-o", str(out), "--mpi"],
                            out, signal.SIGTERM, reference, 2)
    c.finish("sweep stop")


if __name__ == "__main__":
    main()
