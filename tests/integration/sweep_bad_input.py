#!/usr/bin/python3
"""Bad input to `microheal sweep`: each case exits 2 with its message fragments and leaves the
working directory and the -o directory exactly as they were (nothing written).

Usage: /usr/bin/python3 sweep_bad_input.py MICROHEAL SOURCE_DIR

Also: the example sweeps in scenarios/sweeps/ are valid and small (`--list`).
"""

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from run_helpers import TINY, Checker, tree_hash, write
from sweep_helpers import FACTORIAL, sweep_env


def edited(old, new, text=FACTORIAL):
    assert old in text, old
    return text.replace(old, new, 1)


# (name, sweep text, extra arguments, fragments the output must contain); -o is "out" unless
# the arguments give another.
CASES = [
    ("misspelt axis key", edited('key = "needle.length_mm"', 'key = "needle.lenght_mm"'), [],
     ["bad.toml:8:7", "unknown scenario key 'needle.lenght_mm'",
      "did you mean 'needle.length_mm'"]),
    ("misspelt design key", edited("design =", "desgin ="), [],
     ["bad.toml:4:1", "unknown key 'sweep.desgin'", "did you mean 'sweep.design'"]),
    ("axis value out of range", edited("values = [0.5, 1.0, 2.5]", "values = [0.5, 1.0, 4.0]"),
     [], ["bad.toml:9:21", "needle.length_mm", "expected a number in [0.1, 3] mm", "got 4.0"]),
    ("linspace end out of range", edited("to = 0.7", "to = 0.95"), [],
     ["needle.penetration_efficiency", "[0.2, 0.9]", "got 0.95"]),
    ("fixed value of the wrong type", edited('checkpoint_every_min" = 0',
                                             'checkpoint_every_min" = "never"'), [],
     ["fixed.numerics.checkpoint_every_min", "expected a number", "a string"]),
    ("unknown design", edited('"factorial"', '"sobel"'), [], ['did you mean "sobol"']),
    ("Latin hypercube without samples", edited('"factorial"', '"latin_hypercube"'), [],
     ["sweep.samples", "missing"]),
    ("missing base scenario", edited('base = "base.toml"', 'base = "nope.toml"'), [],
     ["bad.toml:2:8", "nope.toml", "no such file"]),
    ("base invalid with the fixed values",
     edited('"numerics.checkpoint_every_min" = 0', '"domain.depth_mm" = 0.4'), [],
     ["the base scenario with the [fixed] values is not valid", "effective depth"]),
    ("not TOML", edited("[sweep]", "[sweep"), [], ["bad.toml:3:", "not valid TOML"]),
    ("no -o", FACTORIAL, ["-o", ""], ["-o DIR is required"]),
    ("--mpi with --jobs", FACTORIAL, ["--mpi", "--jobs", "2"], ["--jobs is for local sweeps"]),
    ("--case-index out of range", FACTORIAL, ["--case-index", "6"],
     ["--case-index 6", "6 case(s), 0 to 5"]),
    ("--time not a Slurm time", FACTORIAL, ["--emit-slurm", "job.sh", "--time", "2h"],
     ["--time 2h", "HH:MM:SS"]),
    ("--partition without --emit-slurm", FACTORIAL, ["--partition", "short"],
     ["go with --emit-slurm"]),
    ("zero jobs", FACTORIAL, ["--jobs", "0"], ["--jobs"]),
]


def main():
    exe, source = sys.argv[1], Path(sys.argv[2])
    c = Checker()

    def sweep(args, cwd):
        result = subprocess.run([exe, "sweep", *args], cwd=cwd, env=sweep_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=120)
        return result.returncode, result.stdout

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cwd = tmp / "cwd"
        cwd.mkdir()
        write(cwd / "base.toml", TINY)
        for name, text, extra, fragments in CASES:
            write(cwd / "bad.toml", text)
            before = tree_hash(cwd)
            args = ["bad.toml", *(extra if "-o" in extra else ["-o", "out", *extra])]
            code, output = sweep(args, cwd)
            missing = [f for f in fragments if f not in output]
            c.check(code == 2 and not missing, f"{name}: exit {code} (expected 2)"
                    + (f", missing {missing} in:\n{output}" if missing else ""))
            c.check(tree_hash(cwd) == before, f"{name}: nothing written")

        # Output directories that cannot take the sweep.
        write(cwd / "bad.toml", FACTORIAL)
        (cwd / "notes").mkdir()
        write(cwd / "notes" / "mine.txt", "the user's own file\n")
        write(cwd / "a-file", "not a directory\n")
        directory_cases = [
            ("-o is a file", "a-file", ["is not a directory"]),
            ("-o holds other files", "notes", ["is not empty and holds no sweep"]),
            ("-o cannot be created (below a file)", "a-file/out",
             ["cannot be created or written", "a-file"]),
        ]
        if os.geteuid() != 0:  # root writes into read-only directories
            (cwd / "locked").mkdir(mode=0o500)
            directory_cases.append(("-o cannot be written", "locked/out",
                                    ["cannot be created or written"]))
        for name, target, fragments in directory_cases:
            before = tree_hash(cwd)
            code, output = sweep(["bad.toml", "-o", target], cwd)
            missing = [f for f in fragments if f not in output]
            c.check(code == 2 and not missing, f"{name}: exit {code}"
                    + (f", missing {missing} in:\n{output}" if missing else ""))
            c.check(tree_hash(cwd) == before, f"{name}: nothing written")

        # A directory holding another sweep is refused, with the first difference.
        code, _ = sweep(["bad.toml", "-o", "out", "--emit-slurm", "job.sh"], cwd)
        c.check(code == 0, f"a first sweep prepared in out/ (exit {code})")
        write(cwd / "other.toml", edited("values = [0.5, 1.0, 2.5]", "values = [0.5, 1.0]"))
        before = tree_hash(cwd)
        code, output = sweep(["other.toml", "-o", "out"], cwd)
        c.check(code == 2 and "holds another sweep" in output and "values = [0.5, 1.0]" in output,
                f"-o holding another sweep: exit {code}: {output.strip()}")
        write(cwd / "base.toml", TINY.replace("duration_days = 0.5", "duration_days = 0.75"))
        code, output = sweep(["bad.toml", "-o", "out"], cwd)
        c.check(code == 2 and "differs from the copy" in output and "duration_days" in output,
                f"a changed base scenario is refused: exit {code}")
        code, output = sweep(["collect", "notes"], cwd)
        c.check(code == 2 and "holds no sweep" in output, f"collect on a non-sweep dir: {code}")
        code, output = sweep(["analyze", "out"], cwd)
        c.check(code == 2 and "no case has completed" in output,
                f"analyze before any case ran: exit {code}")

        # The examples: valid, 2D, laptop-sized.
        for name, design, count in (("needle-length-x-interval.toml", "factorial", None),
                                    ("density-x-length-lhs.toml", "latin_hypercube", None)):
            path = source / "scenarios" / "sweeps" / name
            code, output = sweep([str(path), "--list"], cwd)
            first = output.splitlines()[0] if output else ""
            cases = len(output.splitlines()) - 1
            c.check(code == 0 and f"{design} design" in first and 6 <= cases <= 40,
                    f"example {name}: {first} (exit {code})")
            text = path.read_text()
            spec = tomllib.loads(text)
            base = tomllib.loads((path.parent / spec["base"]).read_text())
            dimensions = spec.get("fixed", {}).get("domain.dimensions",
                                                   base["domain"]["dimensions"])
            c.check(text.lstrip().startswith("#") and dimensions == 2,
                    f"example {name} starts with comments and runs in 2D")
    print(f"{len(CASES)} bad sweep inputs")
    c.finish("sweep bad input")


if __name__ == "__main__":
    main()
