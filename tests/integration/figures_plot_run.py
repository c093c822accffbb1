"""scripts/plot-run on a tiny run: the files, their pixel sizes, not blank; --times, -o; and the
errors for a missing directory, a directory that is not a run, a missing column, a bad time.

Usage: /usr/bin/python3 figures_plot_run.py MICROHEAL SOURCE_DIR
"""

import shutil
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_helpers import Checker  # noqa: E402
from figures_helpers import (check_error, check_png, fail_missing_tools,  # noqa: E402
                             images_differ, script, tiny_run, written)


def main():
    exe, source = sys.argv[1], Path(sys.argv[2])
    fail_missing_tools([])
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run = tiny_run(exe, tmp / "run")

        rc, out = script(source, "plot-run", run)
        c.check(rc == 0, f"plot-run RUN exits 0 ({rc}) {out.strip()[-300:] if rc else ''}")
        figures = run / "figures"
        expected = [figures / f"{stem}.{ext}" for stem in ("timecourse", "collagen_profile")
                    for ext in ("png", "svg")]
        c.check(sorted(written(out)) == sorted(expected),
                f"plot-run prints the 4 files it wrote: {[p.name for p in written(out)]}")
        check_png(c, figures / "timecourse.png", (1200, 950))
        check_png(c, figures / "collagen_profile.png", (1000, 650))
        for svg in (figures / "timecourse.svg", figures / "collagen_profile.svg"):
            try:
                root = ElementTree.parse(svg).getroot()
                ok = root.tag.endswith("svg") and len(list(root.iter())) > 100
            except (ElementTree.ParseError, OSError):
                ok = False
            c.check(ok, f"{svg.name} is an SVG document with content")
        text = (figures / "timecourse.svg").read_text()
        for label in ("neutrophils", "macrophages", "cytokine", "fibroblasts", "new collagen",
                      "mature collagen", "redness", "swelling", "session 1",
                      "redness resolves 24–72 h", "swelling resolves in 1–2 days",
                      "time since day 0 [h]", "% of baseline"):
            c.check(label in text, f"timecourse.svg shows '{label}'")
        profile = (figures / "collagen_profile.svg").read_text()
        for label in ("depth below the surface [mm]", "papillary dermis", "reticular dermis",
                      "% of baseline", "48 h after session 1"):
            c.check(label in profile, f"collagen_profile.svg shows '{label}'")

        other = tmp / "elsewhere"
        rc, out = script(source, "plot-run", run, "-o", other, "--times", "12,1d,end",
                         "--format", "png", "--region", "track", "--time-unit", "d")
        c.check(rc == 0 and sorted(p.name for p in written(out)) ==
                ["collagen_profile.png", "timecourse.png"] and
                all(p.parent == other for p in written(out)),
                f"-o DIR --format png writes the PNGs there ({rc}) "
                f"{out.strip()[-200:] if rc else ''}")
        check_png(c, other / "timecourse.png", (1200, 950))
        c.check(images_differ(other / "timecourse.png", figures / "timecourse.png"),
                "--region track and --time-unit d change the time course")
        c.check(images_differ(other / "collagen_profile.png", figures / "collagen_profile.png"),
                "--times changes the depth profile")

        # Errors: exit code 2 and a message naming the path and what was expected.
        missing = tmp / "no-such-run"
        check_error(c, "missing directory", script(source, "plot-run", missing), 2,
                    str(missing), "no such directory", "microheal run")
        empty = tmp / "empty"
        empty.mkdir()
        check_error(c, "directory that is not a run", script(source, "plot-run", empty), 2,
                    str(empty), "not a microheal run", "manifest.json")
        a_file = tmp / "file.txt"
        a_file.write_text("x")
        check_error(c, "a file instead of a directory", script(source, "plot-run", a_file), 2,
                    str(a_file), "not a directory")
        broken = tmp / "broken"
        shutil.copytree(run, broken, ignore=shutil.ignore_patterns("figures", "fields*"))
        csv = broken / "timeseries.csv"
        lines = csv.read_text().splitlines()
        header = lines[0].split(",")
        drop = header.index("redness_index [1]")
        csv.write_text("\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != drop)
                                 for line in lines) + "\n")
        check_error(c, "timeseries.csv without redness_index",
                    script(source, "plot-run", broken), 2, str(csv), "redness_index",
                    "missing column")
        (broken / "collagen_profile.csv").unlink()
        shutil.copy(run / "timeseries.csv", csv)
        check_error(c, "collagen_profile.csv missing", script(source, "plot-run", broken), 2,
                    "collagen_profile.csv", "file missing")
        check_error(c, "a time outside the run",
                    script(source, "plot-run", run, "--times", "30d"), 2, "--times",
                    "outside the run's output times")
        check_error(c, "a bad time", script(source, "plot-run", run, "--times", "soon"), 2,
                    "--times", "'soon' is not a time")
        rc, out = script(source, "plot-run", "--help")
        c.check(rc == 0 and "--output" in out and "--times" in out, "plot-run --help")
    c.finish("plot-run")


if __name__ == "__main__":
    main()
