#!/usr/bin/python3
"""`microheal sweep --emit-slurm`: the job-array script passes `bash -n`, asks for the right
array, and a task run by hand (SLURM_ARRAY_TASK_ID set, no Slurm needed) produces that case;
`sweep collect` then sees it, and a second script asks only for the cases still missing.

Usage: /usr/bin/python3 sweep_slurm.py MICROHEAL
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from run_helpers import Checker, tree_hash
from sweep_helpers import read_summary, record, sweep_env, write_sweep


def run(args, env=None, timeout=300):
    result = subprocess.run(args, env=env or sweep_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return result.returncode, result.stdout


def listed_cases(exe, sweep_file):
    """index -> (id, "key=value ...") from `sweep --list`."""
    code, log = run([exe, "sweep", sweep_file, "--list"])
    cases = {}
    for line in log.splitlines()[1:]:
        index, case_id, values = line.split(None, 2)
        cases[int(index)] = (case_id, values)
    return code, cases


def main():
    exe = sys.argv[1]
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sweep_file = write_sweep(tmp / "sweep")
        out = tmp / "out"
        job = tmp / "job.sh"
        code, cases = listed_cases(exe, sweep_file)
        c.check(code == 0 and len(cases) == 6, f"--list prints the 6 cases (exit {code})")

        code, log = run([exe, "sweep", sweep_file, "-o", str(out), "--emit-slurm", str(job),
                         "--partition", "short", "--time", "0:10:00", "--cpus-per-task", "2"])
        c.check(code == 0 and job.exists() and "--array=0-5" in log,
                f"--emit-slurm writes the script (exit {code})" + ("" if code == 0 else log))
        script = job.read_text() if job.exists() else ""
        syntax = subprocess.run(["bash", "-n", str(job)], capture_output=True, text=True)
        c.check(syntax.returncode == 0, f"bash -n job.sh passes {syntax.stderr}")
        c.check(os.access(job, os.X_OK), "the script is executable")
        for line in ("#SBATCH --array=0-5", "#SBATCH --partition=short",
                     "#SBATCH --time=0:10:00", "#SBATCH --cpus-per-task=2",
                     f"#SBATCH --output={out}/slurm/%A_%a.out"):
            c.check(line in script.splitlines(), f"the script has '{line}'")
        c.check('--case-index "${SLURM_ARRAY_TASK_ID}"' in script
                and f"sweep '{Path(sweep_file).resolve()}' -o '{out}'" in script,
                "each task runs `microheal sweep SWEEP -o DIR --case-index $SLURM_ARRAY_TASK_ID`")
        c.check((out / "sweep.toml").exists() and (out / "slurm").is_dir()
                and not list((out / "cases").glob("*")),
                "the sweep directory is prepared (sweep.toml, slurm/ for the logs), no case run")

        # One array task by hand, as Slurm would start it (outside the job script's directory).
        env = sweep_env()
        env.update(SLURM_ARRAY_TASK_ID="3", SLURM_CPUS_PER_TASK="1")
        code, log = run(["bash", str(job)], env=env)
        case_id, values = cases[3]
        rec = record(out, case_id) if (out / "cases" / case_id / "case.json").exists() else {}
        c.check(code == 0 and rec.get("index") == 3 and rec.get("status") == "ok",
                f"SLURM_ARRAY_TASK_ID=3 bash job.sh runs case 3 ({values}) (exit {code})"
                + ("" if code == 0 else f"\n{log}"))
        c.check(all(a in rec.get("assignments", []) for a in values.split()),
                "the task ran case 3's values")
        c.check(len(list((out / "cases").glob("*/case.json"))) == 1, "and no other case")
        c.check((out / "cases" / case_id / "manifest.json").exists()
                and (out / "cases" / case_id / "metrics.json").exists(),
                "the case folder has the run's manifest and metrics")
        # The task again (a requeued task): it is done, nothing changes.
        before = tree_hash(out / "cases")
        code, log = run(["bash", str(job)], env=env)
        c.check(code == 0 and "already done" in log and tree_hash(out / "cases") == before,
                f"a requeued task finds its case done (exit {code})")

        # The failing case as a task: recorded as failed, exit 1 (Slurm shows the task failed).
        env.update(SLURM_ARRAY_TASK_ID="5")
        code, log = run(["bash", str(job)], env=env)
        c.check(code == 1 and record(out, cases[5][0])["status"] == "failed",
                f"the failing case's task is recorded failed and exits 1 (exit {code})")

        code, log = run([exe, "sweep", "collect", str(out)])
        rows = read_summary(out) if (out / "summary.csv").exists() else []
        states = [r["status"] for r in rows]
        c.check(code == 1 and states == ["pending"] * 3 + ["ok", "pending", "failed"],
                f"sweep collect: case 3 ok, case 5 failed, the rest not run (exit {code}, {states})")

        code, log = run([exe, "sweep", sweep_file, "-o", str(out), "--emit-slurm", str(job)])
        c.check(code == 0 and "#SBATCH --array=0-2,4\n" in job.read_text(),
                f"a second script asks only for the missing cases (exit {code}): "
                + " ".join(re.findall(r"--array=\S+", job.read_text())))
        code, log = run([exe, "sweep", sweep_file, "-o", str(out), "--emit-slurm", str(job),
                         "--retry-failed"])
        c.check(code == 0 and "#SBATCH --array=0-2,4-5\n" in job.read_text(),
                "--retry-failed adds the failed case to the array")
    c.finish("sweep Slurm")


if __name__ == "__main__":
    main()
