#!/usr/bin/python3
"""Bad input to `microheal run` / `validate`: each case gives its exit code and message fragments,
and must leave an existing output directory (and the working directory) exactly as they were.

Usage: /usr/bin/python3 run_bad_input.py MICROHEAL

Each case runs `microheal run BAD.toml -o OUT --overwrite`: with --overwrite a run that got past
the checks would delete OUT's old results, so an unchanged OUT proves nothing was written.
"""

import sys
import tempfile
from pathlib import Path

from run_helpers import TINY, Checker, run, tree_hash, write


def edited(old, new, text=TINY):
    assert old in text, old
    return text.replace(old, new, 1)


# (name, scenario text, extra arguments, exit code, fragments the output must contain)
CASES = [
    ("misspelt key", edited("length_mm = 1.0", "lenght_mm = 1.0"), [], 2,
     ["bad.toml:10:1", "unknown key 'needle.lenght_mm'", "did you mean 'needle.length_mm'"]),
    ("misspelt table", edited("[needle]", "[needles]"), [], 2,
     ["unknown key 'needles'", "did you mean 'needle'"]),
    ("key in the wrong table", edited("[numerics]", "[numerics]\nlength_mm = 1.0"), [], 2,
     ["did you mean 'needle.length_mm'"]),
    ("string for a number", edited("length_mm = 1.0", 'length_mm = "long"'), [], 2,
     ["bad.toml:10:13", "needle.length_mm", "expected a number in [0.1, 3] mm", "a string"]),
    ("out of range", edited("length_mm = 1.0", "length_mm = 5.0"), [], 2,
     ["bad.toml:10:13", "needle.length_mm", "[0.1, 3] mm", "got 5.0"]),
    ("float for an integer", edited("sessions = 1", "sessions = 1.5"), [], 2,
     ["protocol.sessions", "expected an integer in [0, 100]"]),
    ("bad choice with suggestion", edited('pattern = "square"', 'pattern = "hexagonl"'), [], 2,
     ["needle.pattern", 'did you mean "hexagonal"']),
    ("unknown body site", edited('site = "face"', 'site = "forehead"'), [], 2,
     ["tissue.site", "one of", '"scalp"']),
    ("needle deeper than the block", edited("depth_mm = 1.3", "depth_mm = 0.5"), [], 2,
     ["bad.toml:10:13: needle.length_mm", "domain.depth_mm at bad.toml:7:12", "effective depth", "deeper than the needle"]),
    ("punctures overlap entirely", TINY, ["--set", "needle.density_per_cm2=4000",
                                          "--set", "needle.diameter_mm=0.4"], 2,
     ["overlap entirely", "needle.density_per_cm2"]),
    ("session after the end", edited("sessions = 1", "session_days = [0, 2]"), [], 2,
     ["after the end", "protocol.duration_days"]),
    ("sessions and session_days", edited("sessions = 1", "sessions = 1\nsession_days = [0]"), [],
     2, ["give either protocol.session_days"]),
    ("output time after the end", edited("every_h = 3", "times_h = [0, 24]"), [], 2,
     ["output.times_h", "output time"]),
    ("tile smaller than the lattice", edited("tile_mm = [1.26, 1.26]", "tile_mm = [0.3, 0.3]"),
     [], 2, ["domain.tile_mm", "smaller than one lattice spacing"]),
    ("lattice does not fit the tile", edited("tile_mm = [1.26, 1.26]", "tile_mm = [1.0, 1.0]"),
     [], 2, ["more than 2 %", "use a tile of"]),
    ("not TOML", edited("[domain]", "[domain"), [], 2, ["bad.toml:4:", "not valid TOML"]),
    ("--set wrong type", TINY, ["--set", "needle.passes=abc"], 2,
     ["--set needle.passes=abc", "expected an integer in [1, 50]"]),
    ("--set without =", TINY, ["--set", "needle.passes"], 2, ["expected KEY=VALUE"]),
    ("--set unknown key", TINY, ["--set", "needle.lenght_mm=1.2"], 2,
     ["--set needle.lenght_mm=1.2", "did you mean 'needle.length_mm'"]),
    ("model parameter out of range", TINY + "[model]\nk_I = -1\n", [], 2,
     ["model.k_I", "expected a number in"]),
    ("unknown model parameter", TINY + "[model]\nk_II = 0.5\n", [], 2,
     ["unknown key 'model.k_II'", "did you mean 'model.k_I'"]),
    ("roller in 2D", TINY, ["--set", "needle.device=roller"], 2, ["needs 3D"]),
    ("dt_min above dt_initial", edited("checkpoint_every_min = 0",
                                       "checkpoint_every_min = 0\ndt_min_h = 1.0"), [], 2,
     ["numerics.dt_min_h", "up to dt_initial_h"]),
    ("unknown species in output.fields", edited("every_h = 3", 'every_h = 3\nfields = ["collagen"]'),
     [], 2, ["output.fields", "one of"]),
    ("bad precision", edited('precision = "float64"', 'precision = "double"'), [], 2,
     ["output.precision", '"float32", "float64"']),
    ("several problems at once", TINY + "[model]\nk_I = -1\nk_xyz = 1\n", [], 2,
     ["2 problems", "model.k_I", "model.k_xyz"]),
    ("--resume with --overwrite", TINY, ["--resume"], 2, ["exclude each other"]),
    ("zero threads", TINY, ["--threads", "0"], 2, ["threads"]),
]


def main():
    exe = sys.argv[1]
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cwd = tmp / "cwd"
        cwd.mkdir()
        out = tmp / "out"
        out.mkdir()
        write(out / "manifest.json", '{"an": "earlier run"}\n')
        write(out / "notes.txt", "the user's own file\n")
        (out / "fields").mkdir()
        write(out / "fields" / "f_000000.hdf", "old snapshot")
        for name, text, extra, code, fragments in CASES:
            write(cwd / "bad.toml", text)
            before_out, before_cwd = tree_hash(out), tree_hash(cwd)
            got, output = run(exe, ["run", "bad.toml", "-o", str(out), "--overwrite", *extra],
                              cwd=cwd)
            missing = [f for f in fragments if f not in output]
            c.check(got == code and not missing,
                    f"{name}: exit {got} (expected {code})"
                    + (f", missing {missing} in:\n{output}" if missing else ""))
            c.check(tree_hash(out) == before_out and tree_hash(cwd) == before_cwd,
                    f"{name}: output and working directories untouched")
            # validate agrees with run on scenario problems.
            if "--resume" not in extra and "--threads" not in extra:
                vgot, voutput = run(exe, ["validate", "bad.toml", *extra], cwd=cwd)
                c.check(vgot == code and all(f in voutput for f in fragments),
                        f"{name}: validate exits {vgot} with the same message")

        # A missing scenario file, and a non-empty directory without --overwrite/--resume.
        before = tree_hash(out)
        got, output = run(exe, ["run", str(tmp / "nope.toml"), "-o", str(out)], cwd=cwd)
        c.check(got == 2 and "no such file" in output, f"missing scenario file: exit {got}")
        write(cwd / "good.toml", TINY)
        got, output = run(exe, ["run", "good.toml", "-o", str(out)], cwd=cwd)
        c.check(got == 2 and "is not empty" in output and "--overwrite" in output,
                f"non-empty output directory refused: exit {got}: {output.strip()}")
        c.check(tree_hash(out) == before, "non-empty output directory untouched")
        got, output = run(exe, ["run", "good.toml", "-o", str(out / "manifest.json")], cwd=cwd)
        c.check(got == 2 and "not a directory" in output, f"output path is a file: exit {got}")
        c.check(tree_hash(out) == before, "a file as output directory is left alone")
    print(f"{len(CASES)} bad-input cases")
    c.finish("bad-input")


if __name__ == "__main__":
    main()
