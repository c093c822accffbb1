#!/usr/bin/python3
"""Every file in scenarios/ passes `microheal validate`, its effective configuration round-trips
through print-config, and the key reference in docs/scenarios.md is what `microheal keys` prints
(the table is generated from the parser's key registry; regenerate it when this fails).

Usage: /usr/bin/python3 run_scenarios_docs.py MICROHEAL SOURCE_DIR
"""

import sys
import tempfile
from pathlib import Path

from run_helpers import Checker, run, write

BEGIN = "<!-- BEGIN GENERATED: microheal keys -->\n"
END = "<!-- END GENERATED: microheal keys -->"


def main():
    exe, source = sys.argv[1], Path(sys.argv[2])
    c = Checker()
    scenarios = sorted((source / "scenarios").glob("*.toml"))
    expected = {"default.toml", "quick-2d.toml", "home-roller-0.25mm.toml", "acne-scars-2mm.toml",
                "scalp-hair-1mm.toml", "stretch-marks-abdomen.toml",
                "teaching-single-session.toml"}
    names = {s.name for s in scenarios}
    c.check(expected <= names, f"scenarios/ holds {sorted(expected - names) or 'all'} expected")
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in scenarios:
            code, log = run(exe, ["validate", str(scenario)])
            c.check(code == 0 and ": valid" in log, f"validate {scenario.name} (exit {code})"
                    + ("" if code == 0 else f":\n{log}"))
            code, printed = run(exe, ["print-config", str(scenario)])
            copy = write(Path(tmp) / scenario.name, printed)
            code2, again = run(exe, ["print-config", copy])
            body = lambda text: [l for l in text.splitlines() if not l.startswith("#")]
            c.check(code == 0 and code2 == 0 and body(printed) == body(again),
                    f"print-config of {scenario.name} is a scenario with the same configuration")
            text = scenario.read_text()
            c.check(text.lstrip().startswith("#") and "description" in text,
                    f"{scenario.name} starts with comments and has a description")

    docs = (source / "docs" / "scenarios.md").read_text()
    code, keys = run(exe, ["keys"])
    c.check(code == 0, "microheal keys exits 0")
    if BEGIN in docs and END in docs:
        block = docs.split(BEGIN, 1)[1].split(END, 1)[0]
        c.check(block == keys, "docs/scenarios.md key reference == `microheal keys` (regenerate "
                "the block between the GENERATED markers with `microheal keys`)")
    else:
        c.check(False, "docs/scenarios.md has the GENERATED markers")
    c.finish("scenario files and docs")


if __name__ == "__main__":
    main()
