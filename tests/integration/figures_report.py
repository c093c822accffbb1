"""scripts/report on a tiny run: one self-contained HTML page (no http(s) reference, every
picture a data URI, the run's metrics, protocol and manifest in it) that headless Chromium
renders to a screenshot that is not blank; errors for a missing or wrong directory.

Usage: /usr/bin/python3 figures_report.py MICROHEAL SOURCE_DIR
"""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_helpers import Checker  # noqa: E402
from figures_helpers import (check_error, check_png, fail_missing_tools,  # noqa: E402
                             script, tiny_run, written)

WINDOW = (1280, 2400)


def screenshot(page, png, profile):
    """Headless Chromium's screenshot of the page (file:// URL) at WINDOW pixels."""
    command = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={profile}", f"--screenshot={png}",
               f"--window-size={WINDOW[0]},{WINDOW[1]}", page.resolve().as_uri()]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, timeout=120)
    return result.returncode, result.stdout


def main():
    exe, source = sys.argv[1], Path(sys.argv[2])
    fail_missing_tools(["pvbatch", "xvfb-run", "chromium"])
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run = tiny_run(exe, tmp / "run")
        rc, out = script(source, "report", run, env={"DISPLAY": ""})
        page = run / "figures" / "report.html"
        c.check(rc == 0 and page in written(out),
                f"report RUN exits 0 and prints report.html ({rc}) "
                f"{out.strip()[-500:] if rc else ''}")
        if not page.is_file():
            c.finish("report")
        html = page.read_text(encoding="utf-8")
        c.check(not re.search(r"https?:", html, re.IGNORECASE),
                "the page has no http(s) reference")
        sources = re.findall(r'\b(?:src|href)="([^"#][^"]*)"', html)
        c.check(all(s.startswith("data:") for s in sources),
                f"every src/href is a data URI ({len(sources)} of them; others: "
                f"{[s[:40] for s in sources if not s.startswith('data:')]})")
        images = re.findall(r'<img src="data:image/png;base64,', html)
        # time course, collagen profile, 4 fields x 4 times sections, 4 3D views
        c.check(len(images) == 2 + 16 + 4, f"22 pictures embedded ({len(images)})")
        c.check("<link" not in html and "<script" not in html and "@import" not in html,
                "no linked stylesheet, script or import")
        metrics = json.loads((run / "metrics.json").read_text())
        peak = f"{metrics['neutrophil_peak_h']:.3g}"
        gain = f"{metrics['collagen_gain_papillary']['total_pct']:.3g}"
        manifest = json.loads((run / "manifest.json").read_text())
        for needle, what in ((peak, "the neutrophil peak time from metrics.json"),
                             (gain, "the papillary collagen gain from metrics.json"),
                             ("Neutrophil peak", "the metrics table"),
                             ("Sessions", "the protocol"), ("papillary dermis", "the layers"),
                             (manifest["git_hash"], "the manifest's git hash"),
                             ("Full manifest.json", "the full manifest"),
                             ("scenario.toml", "the resolved scenario")):
            c.check(needle in html, f"the page shows {what} ({needle})")
        shot = tmp / "shot.png"
        rc, out = screenshot(page, shot, tmp / "chromium-profile")
        c.check(rc == 0 and shot.is_file(), f"chromium --headless --screenshot exits 0 ({rc}) "
                f"{out.strip()[-300:] if rc else ''}")
        check_png(c, shot, WINDOW)
        if shot.is_file():
            import matplotlib.image as mpimg
            rgb = mpimg.imread(str(shot))[..., :3]
            colourful = float(((rgb.max(axis=2) - rgb.min(axis=2)) > 0.3).mean())
            c.check(colourful > 0.005, f"the screenshot shows the coloured figures (decoded data "
                    f"URIs): {colourful:.1%} saturated pixels > 0.5%")

        rc, out = script(source, "report", run, "-o", tmp / "light", "--no-render")
        light = tmp / "light" / "report.html"
        c.check(rc == 0 and light.is_file() and
                len(re.findall(r"<img ", light.read_text())) == 2,
                f"--no-render: a page with the 2 plots only ({rc})")

        missing = tmp / "absent"
        check_error(c, "missing directory", script(source, "report", missing), 2, str(missing),
                    "no such directory")
        empty = tmp / "empty"
        empty.mkdir()
        check_error(c, "directory that is not a run", script(source, "report", empty), 2,
                    str(empty), "manifest.json is missing")
        check_error(c, "the figures directory instead of the run",
                    script(source, "report", tmp / "light"), 2, "not a microheal run")
        rc, out = script(source, "report", "--help")
        c.check(rc == 0 and "--no-render" in out, "report --help")
    c.finish("report")


if __name__ == "__main__":
    main()
