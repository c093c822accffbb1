#!/usr/bin/python3
"""A private one-node Slurm cluster for tests: munged, slurmctld and slurmd started as root from
Debian 12's `slurm-wlm` and `munge` (scripts/setup-deps installs them; this file installs nothing).

    with SlurmCluster(scratch_folder) as cluster:      # raises Unavailable when it cannot start
        cluster.run(["sbatch", "job.sh"])               # every command sees only this cluster

Nothing global is written or read: the munge key, munged's socket, slurm.conf, the state, spool,
pid and log files all live in the scratch folder. Every daemon and client finds slurm.conf through
SLURM_CONF, and slurm.conf points Slurm's munge plugins at the private socket (AuthInfo=socket=),
so /etc/slurm and /etc/munge are left as they are and a system Slurm (or a second test cluster)
on the same machine is not disturbed; the ports are free ones picked at start.

The configuration follows the recipe verified on the 2-core development machine
(/work/shared/slurm-single-node.md): proctrack/linuxproc and task/none (no cgroups, no systemd),
no cgroup.conf, accounting off. The node line is what `slurmd -C` reports for this machine.

The daemons run in the foreground as children of the test, so they end with it even when ctest
kills it at its timeout; stop() (run by the `with` block, also on failure) first kills every job
of the cluster, then the daemons.

By hand: `python3 tests/integration/slurm_cluster.py` starts a cluster, prints the SLURM_CONF to
export in another shell, and stops it on Enter or Ctrl-C.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# ctest's SKIP_RETURN_CODE for tests that need this cluster (tests/sweep_tests.cmake).
SKIP = 77

SBIN = ("/usr/sbin", "/usr/bin")


class Unavailable(Exception):
    """The cluster cannot run here (not root, Slurm or munge missing, a daemon failed to start);
    the message says why. Tests turn it into a skip."""


def find_program(name):
    """name on PATH or in /usr/sbin (root's PATH under ctest may lack sbin), else None."""
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))


def free_port():
    """A TCP port nobody listens on now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=15):
    path = Path(path)
    if not path.exists():
        return f"({path.name}: not written)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class SlurmCluster:
    """One node (this machine, as 127.0.0.1) with one partition, `debug`."""

    PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel",
                "scontrol")

    def __init__(self, scratch):
        self.scratch = Path(scratch).resolve()
        self.conf = self.scratch / "slurm.conf"
        self.munge_socket = self.scratch / "munge.socket"
        self.daemons = {}  # name -> Popen
        self.programs = {}
        # The clients' environment: SLURM_CONF for this cluster and no SLURM_* variables of an
        # enclosing job (a CI runner that is itself a Slurm job would otherwise leak its job id).
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        self.env["SLURM_CONF"] = str(self.conf)

    # ---- start -----------------------------------------------------------------------------

    def start(self, timeout=60):
        if os.geteuid() != 0:
            raise Unavailable("not root: the test cluster's daemons run as root (SlurmUser, "
                              "SlurmdUser)")
        missing = []
        for name in self.PROGRAMS:
            path = find_program(name)
            if path:
                self.programs[name] = path
            else:
                missing.append(name)
        if missing:
            raise Unavailable(f"{', '.join(missing)} not found: install slurm-wlm and munge "
                              "(scripts/setup-deps)")
        # Daemons and job processes run as root, but munged warns when others cannot reach its
        # socket's folder, and job output may be read by anyone.
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.scratch.chmod(0o755)
        try:
            self._start_munge()
            self._write_conf()
            for name in ("slurmctld", "slurmd"):
                self._spawn(name, [self.programs[name], "-D"])
            self._wait_idle(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name, command):
        """A daemon in the foreground; its stdout and stderr go to SCRATCH/NAME.out."""
        with open(self.scratch / f"{name}.out", "wb") as out:
            self.daemons[name] = subprocess.Popen(command, env=self.env, stdout=out,
                                                  stderr=subprocess.STDOUT,
                                                  stdin=subprocess.DEVNULL)

    def _start_munge(self):
        key = self.scratch / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        # --force: munged refuses a key or socket folder it finds too open (/tmp is world
        # writable) unless forced; everything here belongs to root.
        self._spawn("munged", [self.programs["munged"], "--foreground", "--force",
                               f"--socket={self.munge_socket}", f"--key-file={key}",
                               f"--pid-file={self.scratch / 'munged.pid'}",
                               f"--log-file={self.scratch / 'munged.log'}",
                               f"--seed-file={self.scratch / 'munged.seed'}"])
        deadline = time.monotonic() + 10
        while not self.munge_socket.exists():
            if self.daemons["munged"].poll() is not None or time.monotonic() > deadline:
                raise Unavailable("munged did not start:\n" + tail(self.scratch / "munged.out"))
            time.sleep(0.1)

    def _node_line(self):
        """`slurmd -C`'s NodeName line (CPUs, sockets, cores, memory of this machine): slurmd
        drains a node whose configuration promises more than the hardware has."""
        result = subprocess.run([self.programs["slurmd"], "-C"], env=self.env,
                                capture_output=True, text=True)
        line = result.stdout.splitlines()[0] if result.stdout else ""
        if result.returncode != 0 or not line.startswith("NodeName="):
            raise Unavailable(f"slurmd -C failed (exit {result.returncode}): {result.stderr}")
        return line.split(None, 1)

    def _write_conf(self):
        node, hardware = self._node_line()
        self.node = node.split("=", 1)[1]
        s = self.scratch
        for folder in ("state", "spool"):
            (s / folder).mkdir(exist_ok=True)
        # The node and the controller are this machine at 127.0.0.1, so that a host name that
        # does not resolve (containers) does not matter. slurmctld logs at level debug so that
        # a failing test's log shows the signals it sent ("send_job_warn_signal").
        self.conf.write_text(f"""\
# Written by tests/integration/slurm_cluster.py: a private one-node test cluster.
ClusterName=microhealtest
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={s}/state
SlurmdSpoolDir={s}/spool
SlurmctldPidFile={s}/slurmctld.pid
SlurmdPidFile={s}/slurmd.pid
SlurmctldLogFile={s}/slurmctld.log
SlurmdLogFile={s}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
SlurmctldDebug=debug
NodeName={self.node} NodeAddr=127.0.0.1 {hardware} State=UNKNOWN
PartitionName=debug Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
""")

    def _wait_idle(self, timeout):
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            for name, process in self.daemons.items():
                if process.poll() is not None:
                    raise Unavailable(f"{name} exited with {process.returncode}:\n"
                                      + tail(self.scratch / f"{name}.out")
                                      + "\n" + tail(self.scratch / f"{name}.log"))
            result = self.run(["sinfo", "--noheader", "--format=%T"], check=False)
            state = result.stdout.strip()
            if result.returncode == 0 and state == "idle":
                return
            time.sleep(0.5)
        raise Unavailable(f"the node is not idle after {timeout} s (sinfo: '{state}'):\n"
                          + tail(self.scratch / "slurmctld.log") + "\n"
                          + tail(self.scratch / "slurmd.log"))

    # ---- use -------------------------------------------------------------------------------

    def run(self, args, check=True, timeout=60):
        """A Slurm client command (sbatch, squeue, ...) against this cluster."""
        command = [self.programs.get(args[0], args[0]), *args[1:]]
        result = subprocess.run(command, env=self.env, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {result.returncode}: {result.stderr}")
        return result

    def sbatch(self, script):
        """Submits script; returns the job id."""
        result = self.run(["sbatch", "--parsable", str(script)])
        return result.stdout.strip().split(";")[0]

    def job_states(self, job):
        """{task id: state} of every task of job (array job id) that slurmctld still knows,
        finished ones included (they stay for MinJobAge, 300 s)."""
        result = self.run(["squeue", "--noheader", "--states=all", "--array", "--jobs", job,
                           "--format=%i %T"], check=False)
        states = {}
        for line in result.stdout.splitlines():
            task, state = line.split()
            states[task] = state
        return states

    def wait_for_job(self, job, timeout):
        """Waits until every task of job is in a final state; returns job_states. Final states
        are listed rather than active ones: Slurm has transient states besides RUNNING (SIGNALING
        while a warning signal is delivered, COMPLETING, STAGE_OUT, ...), and a task seen in one of
        them has not ended."""
        deadline = time.monotonic() + timeout
        final = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
                 "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"}
        while True:
            states = self.job_states(job)
            if states and set(states.values()) <= final:
                return states
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job} still active after {timeout} s: {states}")
            time.sleep(0.5)

    def job_info(self, task):
        """`scontrol show job TASK` as a dict (JobState, ExitCode, RunTime, ...)."""
        result = self.run(["scontrol", "show", "job", "--oneliner", task])
        info = {}
        for field in result.stdout.split():
            key, _, value = field.partition("=")
            info[key] = value
        return info

    def log_tails(self, lines=15):
        """The end of each daemon's log, for a failing test's output."""
        return "\n".join(f"--- {name}:\n{tail(self.scratch / name, lines)}"
                         for name in ("slurmctld.log", "slurmd.log", "munged.log"))

    # ---- stop ------------------------------------------------------------------------------

    def stop(self):
        """Kills every job of the cluster, then the daemons (TERM, KILL after 10 s)."""
        if "slurmctld" in self.daemons and self.daemons["slurmctld"].poll() is None:
            jobs = self.run(["squeue", "--noheader", "--format=%i"], check=False).stdout.split()
            if jobs:
                # SIGKILL to every process of each job at once (a plain scancel would wait
                # KillWait, 30 s, after its TERM).
                self.run(["scancel", "--full", "--signal=KILL", *jobs], check=False)
                self.run(["scancel", *jobs], check=False)
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and self.run(
                        ["squeue", "--noheader", "--format=%i"], check=False).stdout.strip():
                    time.sleep(0.5)
        # slurmd before slurmctld (it reports to it), munged last (both use it).
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.daemons.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def main():
    scratch = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="slurm."))
    try:
        with SlurmCluster(scratch) as cluster:
            print(f"cluster up (node {cluster.node}); in another shell:\n"
                  f"  export SLURM_CONF={cluster.conf}\n"
                  f"logs in {scratch}; press Enter or Ctrl-C to stop it")
            try:
                input()
            except (KeyboardInterrupt, EOFError):
                pass
    except Unavailable as e:
        raise SystemExit(f"cannot start a test Slurm cluster: {e}")
    print("stopped")


if __name__ == "__main__":
    main()
