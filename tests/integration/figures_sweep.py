"""scripts/plot-sweep on synthetic sweep directories (the layout documented in scripts/plot-sweep:
summary.csv, sweep.json, analysis/*sobol*.csv): a grid design with a failed case and Sobol
indices, and a random (non-grid) design without them; pixel sizes, not blank, what is left out;
errors for a missing directory, a directory that is not a sweep, unknown metrics and axes.

Usage: /usr/bin/python3 figures_sweep.py SOURCE_DIR
"""

import csv
import itertools
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_helpers import Checker  # noqa: E402
from figures_helpers import (check_error, check_png, fail_missing_tools,  # noqa: E402
                             images_differ, script, written)

METRICS = ["collagen_gain_papillary.total_pct", "redness_resolved_h"]


def grid_sweep(folder, failed_value):
    """A factorial sweep in the layout `microheal sweep` writes: needle.length_mm x
    protocol.sessions x model.k_d, axes in sweep.toml, case 5 failed and case 7 not run,
    redness not reached in one case (empty cell), Sobol indices with confidence bounds."""
    folder.mkdir()
    (folder / "analysis").mkdir()
    rows = []
    for case, (length, sessions, k_d) in enumerate(
            itertools.product([0.5, 1.0, 1.5, 2.0], [1, 2, 3], [0.02, 0.03])):
        status = {5: "failed", 7: "pending"}.get(case, "ok")
        gain = 10 * length + 3 * sessions + 100 * k_d
        redness = 40 + 5 * length - sessions
        if status != "ok":
            gain = redness = failed_value
        rows.append([case, f"{case:04x}", status, 12.5, length, sessions, k_d, gain,
                     "" if case == 2 else redness, "boom" if status == "failed" else ""])
    with open(folder / "summary.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["index", "id", "status", "wall_seconds", "needle.length_mm",
                         "protocol.sessions", "model.k_d", *METRICS, "error"])
        writer.writerows(rows)
    (folder / "sweep.toml").write_text(
        'description = "test"\nbase = "base.toml"\n[sweep]\ndesign = "factorial"\n'
        '[[axis]]\nkey = "needle.length_mm"\nvalues = [0.5, 1.0, 1.5, 2.0]\n'
        '[[axis]]\nkey = "protocol.sessions"\nvalues = [1, 2, 3]\n'
        '[[axis]]\nkey = "model.k_d"\nvalues = [0.02, 0.03]\n')
    with open(folder / "analysis" / "sobol_indices.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["metric", "axis", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high",
                         "groups", "bootstrap"])
        for metric in METRICS:
            for axis, s1, st in (("needle.length_mm", 0.6, 0.65), ("protocol.sessions", 0.3, 0.33),
                                 ("model.k_d", 0.05, 0.06)):
                writer.writerow([metric, axis, s1, s1 - 0.03, s1 + 0.04, st, st - 0.05, st + 0.02,
                                 64, 200])


def random_sweep(folder):
    """A continuous design (every length distinct), a text axis (tissue.site), the axes in
    sweep.json, a third scenario column that varies but is not an axis, other column names."""
    folder.mkdir()
    rng = random.Random(5)
    with open(folder / "summary.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case_id", "needle.length_mm [mm]", "tissue.site", "needle.seed",
                         "scar_index_pct [%]", "status"])
        for case in range(64):
            length, site = rng.uniform(0.25, 2.5), rng.choice(["face", "neck", "back"])
            factor = {"face": 1.0, "neck": 1.5, "back": 2.0}[site]
            writer.writerow([case, length, site, case, length * factor, "complete"])
    (folder / "sweep.json").write_text(
        '{"axes": [{"key": "needle.length_mm"}, {"key": "tissue.site"}]}')


def sobol_like_sweep(folder):
    """16 cases, 8 distinct values per axis, ranges declared as continuous in sweep.toml
    (linspace without a count): shown in bins, not as a sparse 8 x 8 grid."""
    folder.mkdir()
    with open(folder / "summary.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["index", "id", "status", "wall_seconds", "needle.length_mm",
                         "model.k_d", "neutrophil_peak_h", "scar_index_pct", "error"])
        for case in range(16):
            length, k_d = 0.6 + 0.1 * (case % 8), 0.02 + 0.0025 * ((case * 3) % 8)
            writer.writerow([case, f"{case:x}", "ok", 3.0, length, k_d, 10 + 4 * length, 0, ""])
    (folder / "sweep.toml").write_text(
        '[sweep]\ndesign = "sobol"\nsamples = 4\n'
        '[[axis]]\nkey = "needle.length_mm"\nlinspace = { from = 0.6, to = 1.4 }\n'
        '[[axis]]\nkey = "model.k_d"\nlinspace = { from = 0.02, to = 0.04 }\n')


def main():
    source = Path(sys.argv[1])
    fail_missing_tools([])
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        grid = tmp / "grid"
        grid_sweep(grid, failed_value=1e6)
        rc, out = script(source, "plot-sweep", grid)
        c.check(rc == 0, f"plot-sweep GRID exits 0 ({rc}) {out.strip()[-400:] if rc else ''}")
        c.check("22 cases (2 failed or not run, left out)" in out and
                "axes: needle.length_mm, protocol.sessions, model.k_d" in out,
                f"it reports the cases, the failed one and the axes: {out.splitlines()[0]}")
        figures = grid / "figures"
        stems = ["heatmap_collagen_gain_papillary.total_pct",
                 "response_collagen_gain_papillary.total_pct", "heatmap_redness_resolved_h",
                 "response_redness_resolved_h", "sobol"]
        expected = [figures / f"{s}.{e}" for s in stems for e in ("png", "svg")]
        c.check(sorted(written(out)) == sorted(expected),
                f"plot-sweep prints the {len(expected)} files it wrote: "
                f"{sorted(p.name for p in written(out))}")
        check_png(c, figures / "heatmap_collagen_gain_papillary.total_pct.png", (800, 650))
        check_png(c, figures / "response_redness_resolved_h.png", (1150, 850))
        check_png(c, figures / "sobol.png", (700, 525))
        heat_svg = (figures / "heatmap_collagen_gain_papillary.total_pct.svg").read_text()
        # Cell (length 2, sessions 3): mean over k_d of 20 + 9 + 100 k_d = 31.5; the failed
        # case (1e6) must not enter any mean.
        c.check("31.5" in heat_svg and "1e+06" not in heat_svg,
                "the heat map shows the mean over the third axis and leaves out the failed case")
        for label in ("needle.length_mm", "protocol.sessions", "mean over model.k_d"):
            c.check(label in heat_svg, f"the heat map labels '{label}'")

        # The failed case's value changes nothing: the same sweep with another value there.
        (tmp / "second").mkdir()
        grid2 = tmp / "second" / "grid"  # same name: the name is in the title
        grid_sweep(grid2, failed_value=-50)
        script(source, "plot-sweep", grid2, "--format", "png")
        c.check(not images_differ(figures / "heatmap_redness_resolved_h.png",
                                  grid2 / "figures" / "heatmap_redness_resolved_h.png"),
                "a failed case's metric values do not change the heat map")

        other = tmp / "other"
        rc, out = script(source, "plot-sweep", grid, "-o", other, "--metrics",
                         "redness_resolved_h", "--axes", "protocol.sessions,needle.length_mm",
                         "--format", "png")
        c.check(rc == 0 and sorted(p.name for p in written(out)) ==
                ["heatmap_redness_resolved_h.png", "response_redness_resolved_h.png",
                 "sobol.png"], f"--metrics/--axes/-o/--format: {out.strip()[-300:]}")
        c.check(images_differ(other / "heatmap_redness_resolved_h.png",
                              figures / "heatmap_redness_resolved_h.png"),
                "--axes swaps the heat map's axes")

        scattered = tmp / "random"
        random_sweep(scattered)
        rc, out = script(source, "plot-sweep", scattered)
        c.check(rc == 0 and "axes: needle.length_mm, tissue.site;" in out and
                "metrics: scar_index_pct" in out and "no Sobol indices" in out,
                f"a random design: axes from sweep.json, no Sobol chart ({rc}): "
                f"{out.strip()[-400:]}")
        check_png(c, scattered / "figures" / "heatmap_scar_index_pct.png", (800, 650))
        check_png(c, scattered / "figures" / "response_scar_index_pct.png", (1150, 425))
        heat = (scattered / "figures" / "heatmap_scar_index_pct.svg").read_text()
        c.check(all(s in heat for s in ("face", "neck", "back", "quantile bins", "n=")),
                "the heat map has the site categories and binned lengths with case counts")
        c.check(not (scattered / "figures" / "sobol.png").exists(), "no sobol.png without data")

        sobol_like = tmp / "sobol-like"
        sobol_like_sweep(sobol_like)
        rc, out = script(source, "plot-sweep", sobol_like, "--format", "svg")
        heat = sobol_like / "figures" / "heatmap_neutrophil_peak_h.svg"
        c.check(rc == 0 and "metrics: neutrophil_peak_h\n" in out and heat.is_file() and
                "quantile bins" in heat.read_text(),
                f"continuous axes from sweep.toml are binned; a metric that never varies "
                f"(scar_index_pct) is not chosen by default ({rc}): {out.splitlines()[:1]}")

        missing = tmp / "absent"
        check_error(c, "missing directory", script(source, "plot-sweep", missing), 2,
                    str(missing), "no such directory", "summary.csv")
        empty = tmp / "empty"
        empty.mkdir()
        (empty / "manifest.json").write_text("{}")
        check_error(c, "a run directory, not a sweep", script(source, "plot-sweep", empty), 2,
                    str(empty), "not a microheal sweep", "summary.csv is missing",
                    "scripts/plot-run")
        check_error(c, "unknown metric", script(source, "plot-sweep", grid, "--metrics",
                                                "collagen"), 2, "--metrics", "collagen",
                    "redness_resolved_h")
        check_error(c, "unknown axis", script(source, "plot-sweep", grid, "--axes",
                                              "needle.length"), 2, "--axes", "needle.length",
                    "needle.length_mm")
        broken = tmp / "broken"
        broken.mkdir()
        (broken / "summary.csv").write_text("case,status\nc0,failed\n")
        check_error(c, "no completed case", script(source, "plot-sweep", broken), 2,
                    "summary.csv", "no case has completed")
        rc, out = script(source, "plot-sweep", "--help")
        c.check(rc == 0 and "summary.csv" in out and "--axes" in out, "plot-sweep --help")
    c.finish("plot-sweep")


if __name__ == "__main__":
    main()
