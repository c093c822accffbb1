"""scripts/gallery end to end on a shortened, coarse run of the default scenario (written to a
temporary directory, not docs/), and the committed docs/gallery.md: every picture it shows exists,
is not blank, and all of docs/gallery/ stays under 2 MB.

Usage: /usr/bin/python3 figures_gallery.py MICROHEAL SOURCE_DIR
"""

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_helpers import Checker  # noqa: E402
from figures_helpers import (TINY_SETS, check_png, fail_missing_tools,  # noqa: E402
                             script, written)

LIMIT_BYTES = 2_000_000


def check_page(c, page, label):
    """Every image link of the Markdown page exists and is a picture that is not blank."""
    if not page.is_file():
        c.check(False, f"{label}: {page} exists")
        return []
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text())
    c.check(len(links) >= 10, f"{label}: shows {len(links)} pictures (>= 10)")
    missing = [link for link in links if not (page.parent / link).is_file()]
    c.check(not missing, f"{label}: every picture exists (missing: {missing})")
    for link in links:
        if (page.parent / link).is_file():
            check_png(c, page.parent / link)
    pictures = list((page.parent / "gallery").glob("*.png"))
    total = sum(p.stat().st_size for p in pictures)
    c.check(total < LIMIT_BYTES, f"{label}: docs/gallery/*.png total {total / 1e6:.2f} MB < 2 MB")
    unused = sorted(p.name for p in pictures
                    if p.relative_to(page.parent).as_posix() not in links)
    c.check(not unused, f"{label}: no picture left over that the page does not show ({unused})")
    return links


def main():
    exe, source = sys.argv[1], Path(sys.argv[2])
    fail_missing_tools(["pvbatch", "xvfb-run"])
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        args = ["--microheal", exe, "-o", tmp / "docs"]
        # The default scenario is the resolved 3D block: coarse voxels keep the test to seconds.
        for item in TINY_SETS + ["domain.voxel_mm=0.1", "protocol.sessions=1"]:
            args += ["--set", item]
        rc, out = script(source, "gallery", *args, env={"DISPLAY": ""})
        c.check(rc == 0, f"scripts/gallery exits 0 ({rc}) {out.strip()[-600:] if rc else ''}")
        page = tmp / "docs" / "gallery.md"
        c.check(page in written(out), "it prints gallery.md")
        links = check_page(c, page, "generated gallery")
        text = page.read_text() if page.is_file() else ""
        for needle in ("protocol.duration_days=2", "## Time course", "## Collagen versus depth",
                       "## The injury", "## Healing, section by section", "**neutrophils**",
                       "## New collagen in 3D", "## Seen from above"):
            c.check(needle in text, f"the page has '{needle}'")
        c.check(sorted(p.name for p in written(out) if p.suffix == ".png") ==
                sorted(Path(link).name for link in links),
                "the pictures it wrote are exactly those the page shows")
    check_page(c, source / "docs" / "gallery.md", "committed docs/gallery.md")
    c.finish("gallery")


if __name__ == "__main__":
    main()
