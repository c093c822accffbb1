#!/usr/bin/python3
"""`microheal sweep --emit-slurm` against a real Slurm: a private one-node cluster
(slurm_cluster.py) runs the emitted job array.

  array       (a) `sbatch` of the emitted array of a 3-case sweep: every task completes and
              `sweep collect` gives the summary of the same sweep run locally, value by value.
              (b) Pre-emption: one task cancelled mid-case with `scancel` (what Slurm does to a
              pre-empted or cancelled job: TERM, KILL after KillWait), another signalled with
              `scancel --batch --signal=TERM`; both cases stop gracefully (manifest "stopped",
              a checkpoint, no case record) and `sbatch` of the same script again finishes the
              sweep with the summary of an uninterrupted local run.
  time-limit  (c) `--emit-slurm --time 1` asks for an early warning signal (`#SBATCH
              --signal=B:TERM@N`); a task whose case outlasts the 1-minute limit is stopped by
              that warning before the limit (exit 75, manifest "stopped", "stopped" in the
              task's output file), not killed by Slurm (state TIMEOUT).

Exits 77 (ctest's SKIP_RETURN_CODE) with the reason when the cluster cannot start: not root,
slurm-wlm or munge not installed (scripts/setup-deps), or a daemon failing.

Usage: /usr/bin/python3 sweep_slurm_real.py MICROHEAL SOURCE_DIR {array|time-limit}
"""

import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_helpers import Checker, write
from slurm_cluster import SKIP, SlurmCluster, Unavailable
from sweep_helpers import comparable, read_summary, sweep_env

# quick-2d (scenarios/quick-2d.toml: 2D, 0.1 mm voxels, four sessions, 180 days) is the base of
# every sweep here; the voxel size sets a case's length. Seconds per case on one core of the
# 2-core development machine: 0.1 mm 0.7 s, 0.03 mm 8 s, 0.01 mm about 330 s.
SWEEP = """\
description = "real Slurm test: quick-2d, {cases} case(s), {voxel} mm voxels"
base = "quick-2d.toml"
[sweep]
design = "factorial"
[fixed]
"domain.voxel_mm" = {voxel}
[[axis]]
key = "needle.length_mm"
values = {lengths}
"""


# ctest stops the test after 400 s (tests/sweep_tests.cmake) with SIGKILL, which would leave the
# cluster's daemons and jobs behind; the test gives up before, so that it still stops them.
GIVE_UP_AFTER_S = 360


def give_up(signum, frame):
    raise TimeoutError(f"the test ran for {GIVE_UP_AFTER_S} s; giving up")


def run(args, timeout=600):
    result = subprocess.run(args, env=sweep_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return result.returncode, result.stdout


class Sweep:
    """A sweep file over quick-2d in folder, and the microheal commands on it."""

    def __init__(self, exe, source, folder, voxel, lengths):
        self.exe = exe
        folder.mkdir(parents=True)
        shutil.copy(Path(source) / "scenarios" / "quick-2d.toml", folder / "quick-2d.toml")
        self.file = write(folder / "sweep.toml",
                          SWEEP.format(cases=len(lengths), voxel=voxel, lengths=lengths))
        code, log = run([exe, "sweep", self.file, "--list"])
        if code != 0:
            raise SystemExit(f"sweep --list failed (exit {code}):\n{log}")
        # index -> case id
        self.ids = [line.split()[1] for line in log.splitlines()[1:]]

    def emit(self, directory, script, *options):
        return run([self.exe, "sweep", self.file, "-o", str(directory), "--emit-slurm",
                    str(script), "--cpus-per-task", "1", *options])

    def run_locally(self, directory):
        return run([self.exe, "sweep", self.file, "-o", str(directory), "--jobs", "2",
                    "--threads-per-job", "1"])

    def collect(self, directory):
        return run([self.exe, "sweep", "collect", str(directory)])


def check_exit(c, result, message):
    """Checks that a microheal command (exit code, output) succeeded; its output if not."""
    code, log = result
    c.check(code == 0, f"{message} (exit {code})" + ("" if code == 0 else f"\n{log}"))


def case_folder(directory, case_id):
    return Path(directory) / "cases" / case_id


def manifest_status(folder):
    """The run's manifest status, or None while there is none (or it is being replaced)."""
    try:
        return json.loads((folder / "manifest.json").read_text()).get("status")
    except (OSError, ValueError):
        return None


def wait_until_running(folder, timeout=120):
    """Waits until the case's run is under way (its manifest says "running"); True if so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if manifest_status(folder) == "running":
            return True
        time.sleep(0.2)
    return False


def same_summary(c, directory, reference, what):
    """Checks that summary.csv of directory equals reference's in every value but wall time."""
    rows = comparable(read_summary(directory), directory)
    expected = comparable(read_summary(reference), reference)
    differences = [f"case {case_id} {key}: {row.get(key)!r} != {expected[case_id].get(key)!r}"
                   for case_id, row in rows.items() if case_id in expected
                   for key in sorted(set(row) | set(expected[case_id]))
                   if row.get(key) != expected[case_id].get(key)]
    c.check(rows.keys() == expected.keys() and not differences,
            f"{what}: summary.csv equals the local run's, value by value ({len(rows)} cases, "
            f"{len(next(iter(rows.values()), {}))} columns)"
            + "".join(f"\n  {d}" for d in differences[:20]))


def task_output(directory, task):
    """The task's output file (#SBATCH --output=DIR/slurm/%A_%a.out)."""
    path = Path(directory) / "slurm" / f"{task}.out"
    return path.read_text(errors="replace") if path.exists() else ""


def check_stopped(c, sweep, directory, index, how):
    """Case index was stopped mid-case: pending, with a checkpoint to resume from."""
    folder = case_folder(directory, sweep.ids[index])
    c.check(not (folder / "case.json").exists(),
            f"{how}: case {index} has no record (it is pending, not done or failed)")
    c.check(manifest_status(folder) == "stopped",
            f"{how}: case {index}'s manifest.json says \"stopped\" "
            f"(says {manifest_status(folder)!r})")
    c.check((folder / "checkpoint.h5").exists(),
            f"{how}: case {index} left a checkpoint to resume from")


def test_array(c, exe, source, tmp, cluster):
    # (a) An uninterrupted array: three cases of under a second each.
    started = time.monotonic()
    small = Sweep(exe, source, tmp / "a", voxel=0.1, lengths=[1.0, 1.25, 1.5])
    out, job_script = tmp / "a" / "out", tmp / "a" / "job.sh"
    check_exit(c, small.emit(out, job_script), "(a) --emit-slurm")
    c.check("#SBATCH --array=0-2\n" in job_script.read_text(), "(a) the script asks for 3 tasks")
    job = cluster.sbatch(job_script)
    states = cluster.wait_for_job(job, timeout=300)
    c.check(sorted(states.values()) == ["COMPLETED"] * 3,
            f"(a) sbatch: all 3 tasks of job {job} complete ({states})")
    c.check(all(task_output(out, f"{job}_{i}") for i in range(3)),
            "(a) each task wrote its output file in DIR/slurm/")
    check_exit(c, small.collect(out), "(a) sweep collect: every case ok")
    reference = tmp / "a" / "local"
    check_exit(c, small.run_locally(reference), "(a) the same sweep locally")
    same_summary(c, out, reference, "(a) Slurm array")
    print(f"(a) took {time.monotonic() - started:.1f} s")

    # (b) Pre-emption: three cases of several seconds; case 1 is cancelled and case 2 signalled
    # part-way, then the same script is submitted again. A stop must land mid-case: a case is
    # signalled a second after its manifest says "running" (the run's set-up is done).
    started = time.monotonic()
    longer = Sweep(exe, source, tmp / "b", voxel=0.03, lengths=[1.0, 1.25, 1.5])
    out, job_script = tmp / "b" / "out", tmp / "b" / "job.sh"
    check_exit(c, longer.emit(out, job_script), "(b) --emit-slurm")
    job = cluster.sbatch(job_script)
    # Slurm's own way of stopping a job (pre-emption, scancel, time limit): SIGCONT and SIGTERM to
    # every process, SIGKILL after KillWait (30 s). The run has those 30 s to stop cleanly.
    signals = {1: ["scancel", f"{job}_1"],
               # TERM only, to the batch step (the script `exec`s microheal). Without --batch
               # (or --full) `scancel --signal` reaches job steps started by srun only: none here.
               2: ["scancel", "--batch", "--signal=TERM", f"{job}_2"]}
    for index, command in signals.items():
        folder = case_folder(out, longer.ids[index])
        running = wait_until_running(folder)
        time.sleep(1)
        done_early = (folder / "case.json").exists()
        c.check(running and not done_early,
                f"(b) case {index} is running when `{' '.join(command)}` is sent"
                + ("" if running else ": it never started")
                + (": it had already finished; make the case longer" if done_early else ""))
        cluster.run(command)
    states = cluster.wait_for_job(job, timeout=300)
    c.check(states.get(f"{job}_0") == "COMPLETED" and states.get(f"{job}_1") == "CANCELLED",
            f"(b) task 0 completes, task 1 is cancelled ({states})")
    exit_code = cluster.job_info(f"{job}_2").get("ExitCode")
    c.check(exit_code == "75:0",
            f"(b) the signalled task exits with 75, stopped (Slurm: {states.get(f'{job}_2')}, "
            f"ExitCode {exit_code})")
    for index, command in signals.items():
        check_stopped(c, longer, out, index, f"(b) after `{command[0]} {command[1]}`")
    code, log = longer.collect(out)
    states_now = [row["status"] for row in read_summary(out)]
    c.check(code == 1 and states_now == ["ok", "pending", "pending"],
            f"(b) sweep collect: case 0 ok, the stopped cases pending (exit {code}, {states_now})")

    again = cluster.sbatch(job_script)
    states = cluster.wait_for_job(again, timeout=300)
    c.check(sorted(states.values()) == ["COMPLETED"] * 3,
            f"(b) the same script submitted again: all 3 tasks complete ({states})")
    c.check("already done" in task_output(out, f"{again}_0"),
            "(b) the finished case's task exits at once ('already done')")
    check_exit(c, longer.collect(out), "(b) sweep collect: every case ok")
    reference = tmp / "b" / "local"
    check_exit(c, longer.run_locally(reference), "(b) the same sweep locally")
    same_summary(c, out, reference, "(b) stopped, resubmitted")
    print(f"(b) took {time.monotonic() - started:.1f} s")


def test_time_limit(c, exe, source, tmp, cluster):
    # (c) One case of about five minutes under a 1-minute limit. slurmctld checks limits every
    # 30 s and sends the warning at the first check that finds no more than N + 30 s left: with
    # --time 1 (N = 30 s) the first check, 0-30 s after the start (27 s in a fresh cluster),
    # while the limit itself is enforced 60-90 s after the start. The case outlasts both.
    started = time.monotonic()
    long_case = Sweep(exe, source, tmp / "c", voxel=0.01, lengths=[1.5])
    out, job_script = tmp / "c" / "out", tmp / "c" / "job.sh"
    code, log = long_case.emit(out, job_script, "--time", "1")
    text = job_script.read_text() if job_script.exists() else ""
    warning = re.search(r"^#SBATCH --signal=B:TERM@(\d+)$", text, re.MULTILINE)
    c.check(code == 0 and "#SBATCH --time=1\n" in text,
            f"(c) --emit-slurm --time 1 writes '#SBATCH --time=1' (exit {code})")
    sbatch_lines = "\n".join(line for line in text.splitlines() if line.startswith("#SBATCH"))
    c.check(warning is not None,
            "(c) the script asks for an early warning to the batch shell (microheal): "
            + (warning.group(0) if warning else
               f"no '#SBATCH --signal=B:TERM@SECONDS' among\n{sbatch_lines}"))
    job = cluster.sbatch(job_script)
    task = f"{job}_0"
    states = cluster.wait_for_job(job, timeout=240)
    info = cluster.job_info(task)
    c.check(states.get(task) != "TIMEOUT" and info.get("ExitCode") == "75:0",
            f"(c) the task stops itself, exit 75, instead of being killed at the limit "
            f"(Slurm: {states.get(task)}, ExitCode {info.get('ExitCode')}, "
            f"RunTime {info.get('RunTime')})")
    check_stopped(c, long_case, out, 0, "(c) at the time-limit warning")
    output = task_output(out, task)
    c.check("stopped" in output.lower(),
            "(c) the task's output file has microheal's 'stopped' message:\n"
            + "\n".join(output.splitlines()[-6:]))
    print(f"(c) took {time.monotonic() - started:.1f} s (Slurm RunTime {info.get('RunTime')})")


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("array", "time-limit"):
        raise SystemExit(__doc__.split("Usage: ")[1])
    exe, source, part = str(Path(sys.argv[1]).resolve()), sys.argv[2], sys.argv[3]
    c = Checker()
    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(GIVE_UP_AFTER_S)
    with tempfile.TemporaryDirectory(prefix="microheal-slurm.") as tmp:
        tmp = Path(tmp)
        cluster = SlurmCluster(tmp / "cluster")
        try:
            started = time.monotonic()
            cluster.start()
            print(f"Slurm cluster up in {time.monotonic() - started:.1f} s "
                  f"(SLURM_CONF={cluster.conf})")
        except Unavailable as e:
            print(f"SKIP: no test Slurm cluster: {e}")
            sys.exit(SKIP)
        try:
            if part == "array":
                test_array(c, exe, source, tmp, cluster)
            else:
                test_time_limit(c, exe, source, tmp, cluster)
        except BaseException:
            c.failures.append("an exception (below)")
            raise
        finally:
            if c.failures:
                print(cluster.log_tails())
            cluster.stop()
    c.finish(f"real Slurm {part}")


if __name__ == "__main__":
    main()
