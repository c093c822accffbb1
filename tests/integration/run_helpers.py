"""Shared pieces of the `microheal run` integration tests (imported by the run_*.py scripts).

Only the standard library here, so pvpython can import it too.
"""

import hashlib
import os
import subprocess
from pathlib import Path

# A tiny 2D scenario: 15 x 1 x 13 voxels, one session, half a day; a few seconds on one core.
TINY = """\
description = "integration test: tiny 2D run"
[tissue]
site = "face"
[domain]
dimensions = 2
tile_mm = [1.26, 1.26]
depth_mm = 1.3
voxel_mm = 0.1
[needle]
length_mm = 1.0
density_per_cm2 = 250
pattern = "square"
[protocol]
sessions = 1
duration_days = 0.5
[output]
every_h = 3
precision = "float64"
[numerics]
checkpoint_every_min = 0
"""


class Checker:
    """Collects failures and prints each check."""

    def __init__(self):
        self.failures = []

    def check(self, condition, message):
        if condition:
            print("ok:", message)
        else:
            print("FAIL:", message)
            self.failures.append(message)

    def finish(self, what):
        if self.failures:
            raise SystemExit(f"{len(self.failures)} {what} check(s) failed")
        print(f"all {what} checks passed")


def time_scale():
    """How much slower than a release build the tested one runs: MICROHEAL_TEST_TIME_SCALE (the
    sanitised dev build sets it; ASan and Debug are many times slower), 1 by default."""
    return float(os.environ.get("MICROHEAL_TEST_TIME_SCALE", "1"))


def run(exe, args, cwd=None, env=None, timeout=300):
    """Run microheal with args; returns (exit code, stdout + stderr). The timeout is for a release
    build and scales with time_scale()."""
    timeout = timeout * time_scale()
    full_env = dict(os.environ)
    full_env["OMP_NUM_THREADS"] = "1"  # the tests assume one thread unless --threads says
    if env:
        full_env.update(env)
    result = subprocess.run([exe, *args], cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return result.returncode, result.stdout


def tree_hash(root):
    """Names, sizes, modification times and contents of everything under root."""
    digest = hashlib.sha256()
    root = Path(root)
    if not root.exists():
        return "absent"
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        digest.update(str(path.relative_to(root)).encode())
        digest.update(f"{stat.st_size} {stat.st_mtime_ns} {path.is_dir()}".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def write(path, text):
    Path(path).write_text(text)
    return str(path)


def checkpoint_time(path):
    """Simulated time of a checkpoint, or None while there is none (or it is being replaced)."""
    import h5py  # only the tests that read checkpoints need it (Debian's python3-h5py)
    try:
        with h5py.File(path, "r") as f:
            return float(f["scalars"]["time_h"][()])
    except (OSError, KeyError):
        return None
