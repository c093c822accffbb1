#!/usr/bin/python3
"""Write the text seeds of the fuzz corpus (fuzz/corpus/<target>/seed-*) from what the project
already has: every scenario and sweep file in scenarios/, and the bad-input cases of
tests/integration/run_bad_input.py and sweep_bad_input.py. Re-run it when those change; the
checkpoint seeds and the regression-* files are kept by hand.

Usage: /usr/bin/python3 fuzz/make_seed_corpus.py
"""

import re
import sys
import tomllib
from pathlib import Path

root = Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"
sys.path.insert(0, str(root / "tests" / "integration"))

import run_bad_input  # noqa: E402
import sweep_bad_input  # noqa: E402
from run_helpers import TINY  # noqa: E402
from sweep_helpers import FACTORIAL  # noqa: E402

# The sweep target resolves bases against scenarios/sweeps/, where the integration tests' base.toml
# does not exist: their sweeps take the quick 2D scenario instead.
SWEEP_BASE = 'base = "../quick-2d.toml"'


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def toml_value(value):
    """A value as TOML text (the types scenario keys take)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def assignments(table, prefix=""):
    """Every key = value of a scenario as `--set` lines (arrays of tables left out)."""
    for key, value in table.items():
        path = prefix + key
        if isinstance(value, dict):
            yield from assignments(value, path + ".")
        elif not (isinstance(value, list) and value and isinstance(value[0], dict)):
            yield f"{path}={toml_value(value)}"


def write(target, name, text):
    path = corpus / target / f"seed-{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main():
    for old in corpus.glob("*/seed-*"):
        if old.suffix != ".h5":
            old.unlink()
    scenarios = sorted((root / "scenarios").glob("*.toml"))
    for path in scenarios:
        write("scenario", path.name, path.read_text())
        lines = assignments(tomllib.loads(path.read_text()))
        write("overrides", path.stem + ".txt", "\n".join(lines) + "\n")
    write("scenario", "tiny.toml", TINY)
    for path in sorted((root / "scenarios" / "sweeps").glob("*.toml")):
        write("sweep", path.name, path.read_text())
    write("sweep", "factorial.toml", FACTORIAL.replace('base = "base.toml"', SWEEP_BASE))
    for name, text, extra, _code, _fragments in run_bad_input.CASES:
        sets = [extra[i + 1] for i, arg in enumerate(extra) if arg == "--set"]
        if sets:
            write("overrides", f"bad-{slug(name)}.txt", "\n".join(sets) + "\n")
        if text != TINY:
            write("scenario", f"bad-{slug(name)}.toml", text)
    for name, text, _extra, _fragments in sweep_bad_input.CASES:
        if text != FACTORIAL:
            write("sweep", f"bad-{slug(name)}.toml", text.replace('base = "base.toml"', SWEEP_BASE))


if __name__ == "__main__":
    main()
