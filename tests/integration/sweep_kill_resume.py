#!/usr/bin/python3
"""Kill a sweep part-way, run it again: the re-run completes it and runs no finished case twice.

Usage: /usr/bin/python3 sweep_kill_resume.py MICROHEAL

1. An eight-case sweep runs with --jobs 2 and is killed with SIGKILL (the coordinator alone) once
   three cases have their record. Its case processes die with it (PR_SET_PDEATHSIG), leaving
   cases without a record. The re-run says how many are done, runs exactly the missing ones,
   leaves every finished case folder untouched (records, manifests, logs) and ends with all
   eight ok; its summary equals that of an uninterrupted sweep.
2. A case process killed on its own (as the OOM killer would) is recorded as failed with the
   signal, the sweep goes on with the next case and exits 1; --retry-failed runs it again.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_helpers import TINY, Checker, tree_hash
from sweep_helpers import comparable, read_summary, record, sweep_env, write_sweep

EIGHT = """\
description = "integration test: eight cases to kill a sweep in the middle of"
base = "base.toml"
[sweep]
design = "factorial"
[fixed]
"numerics.checkpoint_every_min" = 0
[[axis]]
key = "needle.length_mm"
linspace = { from = 0.5, to = 1.1, count = 4 }
[[axis]]
key = "needle.penetration_efficiency"
values = [0.5, 0.7]
"""

# Two slower cases (two days simulated) so that a case process can be killed while it runs.
TWO = """\
description = "integration test: a case process killed on its own"
base = "base.toml"
[sweep]
design = "factorial"
[fixed]
"protocol.duration_days" = 2
"numerics.checkpoint_every_min" = 0
[[axis]]
key = "needle.length_mm"
values = [0.6, 0.9]
"""


def records(out):
    return sorted((out / "cases").glob("*/case.json"))


def case_processes(out):
    """Pids of processes running a case of this sweep (their command line names the directory)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--case-index" in cmdline and str(out).encode() in cmdline:
            pids.append(int(proc.name))
    return pids


def run_sweep(args):
    result = subprocess.run(args, env=sweep_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=300)
    return result.returncode, result.stdout


def folder_state(out, case_dir):
    """Everything of a finished case folder that a second run would change."""
    return tree_hash(case_dir)


def kill_and_resume(c, exe, tmp):
    sweep_file = write_sweep(tmp / "eight", EIGHT)
    out = tmp / "killed"
    victim = subprocess.Popen([exe, "sweep", sweep_file, "-o", str(out), "--jobs", "2"],
                              env=sweep_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and victim.poll() is None:
        if (out / "cases").exists() and len(records(out)) >= 3:
            os.kill(victim.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    victim.wait()
    done_before = records(out)
    c.check(victim.returncode == -signal.SIGKILL and 3 <= len(done_before) < 8,
            f"sweep killed with {len(done_before)} of 8 cases recorded "
            f"(exit status {victim.returncode})")
    time.sleep(0.5)
    c.check(not case_processes(out), "no case process outlives the killed sweep")
    c.check(not (out / "summary.csv").exists(), "the killed sweep wrote no summary")
    finished = {p.parent.name: folder_state(out, p.parent) for p in done_before}

    code, log = run_sweep([exe, "sweep", sweep_file, "-o", str(out), "--jobs", "2"])
    missing = 8 - len(finished)
    c.check(code == 0 and f"{len(finished)} done, {missing} to run" in log
            and "8 case(s): 8 ok, 0 failed, 0 not run" in log,
            f"the re-run runs the {missing} missing case(s) and ends with 8 ok (exit {code})"
            + ("" if code == 0 else f"\n{log}"))
    ran = set(re.findall(r"\] case \d+ \(([0-9a-f]{16})\)", log))
    c.check(len(ran) == missing and not (ran & set(finished)),
            f"the re-run ran exactly the missing cases ({len(ran)} ran, "
            f"{len(ran & set(finished))} of them finished before)")
    c.check(all(folder_state(out, out / "cases" / case_id) == state
                for case_id, state in finished.items()),
            "finished case folders are untouched by the re-run (records, manifests, logs)")
    c.check(all(record(out, case_id)["status"] == "ok" for case_id in finished),
            "their records still say ok")

    reference = tmp / "uninterrupted"
    code, _ = run_sweep([exe, "sweep", sweep_file, "-o", str(reference), "--jobs", "2"])
    c.check(code == 0 and comparable(read_summary(out), out)
            == comparable(read_summary(reference), reference),
            "the resumed sweep's summary equals an uninterrupted sweep's")


def killed_case(c, exe, tmp):
    sweep_file = write_sweep(tmp / "two", TWO)
    out = tmp / "oom"
    sweep = subprocess.Popen([exe, "sweep", sweep_file, "-o", str(out), "--jobs", "1"],
                             env=sweep_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    deadline = time.monotonic() + 60
    killed = None
    while time.monotonic() < deadline and sweep.poll() is None and killed is None:
        pids = case_processes(out)
        # Once the case has started writing (its manifest says running), kill it.
        if pids and list((out / "cases").glob("*/manifest.json")):
            os.kill(pids[0], signal.SIGKILL)
            killed = pids[0]
        time.sleep(0.01)
    log, _ = sweep.communicate(timeout=120)
    rows = read_summary(out)
    failed = [r for r in rows if r["status"] == "failed"]
    c.check(killed is not None and sweep.returncode == 1 and len(failed) == 1
            and "killed by signal 9" in failed[0]["error"]
            and sum(r["status"] == "ok" for r in rows) == 1,
            f"a case process killed on its own is recorded as failed and the sweep goes on "
            f"(exit {sweep.returncode})" + ("" if failed else f"\n{log}"))
    code, log = run_sweep([exe, "sweep", sweep_file, "-o", str(out), "--retry-failed"])
    c.check(code == 0 and "1 done, 1 to run" in log and "2 case(s): 2 ok" in log,
            f"--retry-failed runs the failed case again (exit {code})")


def main():
    exe = sys.argv[1]
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        kill_and_resume(c, exe, tmp)
        killed_case(c, exe, tmp)
    c.finish("sweep kill and resume")


if __name__ == "__main__":
    main()
