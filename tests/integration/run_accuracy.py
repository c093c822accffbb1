#!/usr/bin/python3
"""Accuracy of the default tolerances: a run at the defaults against the same scenario with
tolerances 100 times tighter (the reference).

Usage: /usr/bin/python3 run_accuracy.py MICROHEAL

scenarios/quick-2d.toml with two sessions 14 days apart over 35 days runs at the default
numerics.rtol and numerics.atol and again with both divided by 100. The reference must be
accepted, converge (exit 0) and take many more steps; every number in the default run's
metrics.json (peak and resolution times, collagen gains, scar index, per session) must lie
within 1 % of the reference's, times within 1 % or 0.5 h (`microheal compare`). The two runs
must differ (the check compares two different computations), and a deliberately loose run
(tolerances 5 times the defaults) is reported for scale.
"""

import json
import sys
import tempfile
from pathlib import Path

from run_helpers import Checker, run

SOURCE = Path(__file__).resolve().parents[2]
PROTOCOL = ["--set", "protocol.sessions=2", "--set", "protocol.interval_days=14",
            "--set", "protocol.duration_days=35", "--set", "output.every_h=168"]


def defaults(exe):
    """The default rtol and atol as `microheal keys` states them."""
    code, text = run(exe, ["keys"])
    values = {}
    for line in text.splitlines():
        for key in ("rtol", "atol"):
            if line.startswith(f"| `{key}` |"):
                values[key] = float(line.split("|")[4].strip())
    if code != 0 or len(values) != 2:
        sys.exit(f"FAIL: could not read the default tolerances from `microheal keys` (exit {code})")
    return values["rtol"], values["atol"]


def steps(directory):
    return json.loads((directory / "manifest.json").read_text())["integrator"]["steps_accepted"]


def compare(exe, run_dir, reference, *extra):
    return run(exe, ["compare", str(run_dir), str(reference), *extra])


def main():
    exe = sys.argv[1]
    c = Checker()
    rtol, atol = defaults(exe)
    scenario = SOURCE / "scenarios" / "quick-2d.toml"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = {}
        for name, factor in (("default", 1.0), ("reference", 0.01), ("loose", 5.0)):
            out = tmp / name
            code, text = run(exe, ["run", str(scenario), "-o", str(out), "--quiet", *PROTOCOL,
                                   "--set", f"numerics.rtol={rtol * factor!r}",
                                   "--set", f"numerics.atol={atol * factor!r}"])
            c.check(code == 0, f"{name} run (rtol {rtol * factor:g}, atol {atol * factor:g}) "
                               f"exits 0" + ("" if code == 0 else f": {text[-2000:]}"))
            runs[name] = out
        if c.failures:
            c.finish("accuracy")
        n_default, n_reference = steps(runs["default"]), steps(runs["reference"])
        c.check(n_reference > 5 * n_default,
                f"the reference takes many more steps ({n_reference} against {n_default})")
        code, text = compare(exe, runs["default"], runs["reference"])
        print(text)
        c.check(code == 0, "every metric of the default run lies within 1 % (times: 1 % or 0.5 h) "
                           "of the reference")
        code, _ = compare(exe, runs["default"], runs["reference"], "--rel-pct", "0", "--time-h", "0")
        c.check(code == 1, "the default run and the reference differ (they are two computations)")
        code, text = compare(exe, runs["loose"], runs["reference"], "--json")
        loose = json.loads(text)
        print("loose tolerances (5 x the defaults), for scale: largest relative deviation "
              f"{loose['largest_relative_deviation_pct']:.2f} %, worst {loose['worst_metric']}")
        c.check(code == 1 and not loose["within_tolerance"],
                "tolerances 5 times looser than the defaults leave the 1 % band (the check can fail)")
        code, text = compare(exe, runs["default"], tmp / "missing")
        c.check(code == 2 and "missing" in text and "metrics.json" in text,
                "a missing reference is bad input: exit 2, the message names the path")
    c.finish("accuracy")


if __name__ == "__main__":
    main()
