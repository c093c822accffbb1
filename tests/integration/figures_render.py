"""scripts/render-fields on a tiny run: sections, top and 3D views for the default fields and
times, with the expected pixel sizes and not blank; the movie with exactly one frame per output
time (ffprobe -count_frames); options; errors (missing or wrong directory, unknown field, no
pvbatch on PATH).

Usage: /usr/bin/python3 figures_render.py MICROHEAL SOURCE_DIR
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_helpers import Checker  # noqa: E402
from figures_helpers import (TINY_TIMES_H, check_error, check_png,  # noqa: E402
                             fail_missing_tools, images_differ, script, tiny_run, written)

FIELDS = ["damage", "neutrophils", "macrophages", "fibroblasts", "new_collagen"]
# The default times: the session (0 h), +12 h, +1 d and the end, as output times of the run.
TIMES = ["t0000.0h", "t0012.0h", "t0024.0h", "t0048.0h"]


def probe(movie):
    """(frames counted by decoding, width, height, codec, pixel format) of the first video."""
    result = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                             "-show_entries",
                             "stream=nb_read_frames,width,height,codec_name,pix_fmt",
                             "-of", "json", str(movie)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stream = json.loads(result.stdout)["streams"][0]
    return (int(stream["nb_read_frames"]), stream["width"], stream["height"],
            stream["codec_name"], stream["pix_fmt"])


def main():
    exe, source = sys.argv[1], Path(sys.argv[2])
    fail_missing_tools(["pvbatch", "xvfb-run", "ffmpeg", "ffprobe"])
    c = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run = tiny_run(exe, tmp / "run")
        series = json.loads((run / "fields.hdf.series").read_text())["files"]
        c.check([f["time"] for f in series] == TINY_TIMES_H,
                f"the tiny run has {len(TINY_TIMES_H)} output times")

        # DISPLAY unset: the script must start its own X server (xvfb-run) for pvbatch.
        rc, out = script(source, "render-fields", run, "--movie", env={"DISPLAY": ""})
        c.check(rc == 0, f"render-fields RUN --movie exits 0 ({rc}) "
                f"{out.strip()[-600:] if rc else ''}")
        figures = run / "figures"
        expected = ([figures / f"{view}_{f}_{t}.png" for t in TIMES for f in FIELDS
                     for view in ("section", "top")]
                    + [figures / f"view3d_{t}.png" for t in TIMES] + [figures / "movie.mp4"])
        c.check(sorted(written(out)) == sorted(expected),
                f"render-fields prints the {len(expected)} files it wrote "
                f"(got {len(written(out))})")
        for path in expected:
            if path.suffix == ".png":
                size = {"section": (1100, 650), "top": (1000, 650),
                        "view3d": (1000, 750)}[path.name.split("_")[0]]
                check_png(c, path, size)
        c.check(images_differ(figures / "section_neutrophils_t0000.0h.png",
                              figures / "section_neutrophils_t0024.0h.png"),
                "the neutrophil section changes between 0 h and 24 h")
        c.check(images_differ(figures / "section_neutrophils_t0024.0h.png",
                              figures / "section_new_collagen_t0024.0h.png"),
                "neutrophils and new collagen look different at 24 h")
        c.check(images_differ(figures / "view3d_t0000.0h.png", figures / "view3d_t0048.0h.png"),
                "the 3D view changes between 0 h and 48 h")
        movie = figures / "movie.mp4"
        if movie.is_file():
            frames, width, height, codec, pix_fmt = probe(movie)
            c.check(frames == len(series),
                    f"movie.mp4 has one frame per output time: {frames} == {len(series)}")
            c.check(codec == "h264" and pix_fmt == "yuv420p" and width % 2 == 0 and
                    height % 2 == 0 and (width, height) == (2200, 1300),
                    f"movie.mp4 is H.264 yuv420p, 2 x 2 panels: {codec} {pix_fmt} "
                    f"{width} x {height}")
        else:
            c.check(False, "movie.mp4 exists")

        # Options: fields, times, views, -o, one movie field, kept frames.
        other = tmp / "other"
        rc, out = script(source, "render-fields", run, "-o", other, "--fields", "cytokine",
                         "--times", "12h,end", "--views", "section", "--movie",
                         "--movie-fields", "cytokine", "--fps", "2", "--keep-frames",
                         "--range", "cytokine=0:1")
        names = sorted(p.relative_to(other).as_posix() for p in written(out))
        wanted = sorted(["section_cytokine_t0012.0h.png", "section_cytokine_t0048.0h.png",
                         "movie.mp4"] + [f"movie_frames/panel_{i:05d}_cytokine.png"
                                         for i in range(len(series))])
        c.check(rc == 0 and names == wanted, f"--fields/--times/--views/-o/--keep-frames: "
                f"{names} ({rc}) {out.strip()[-300:] if rc else ''}")
        check_png(c, other / "section_cytokine_t0012.0h.png", (1100, 650))
        if (other / "movie.mp4").is_file():
            frames, width, height, _, _ = probe(other / "movie.mp4")
            c.check(frames == len(series) and (width, height) == (1100, 650),
                    f"one-field movie: {frames} frames of {width} x {height}")

        # Errors.
        missing = tmp / "absent"
        check_error(c, "missing directory", script(source, "render-fields", missing), 2,
                    str(missing), "no such directory")
        empty = tmp / "empty"
        empty.mkdir()
        check_error(c, "directory that is not a run", script(source, "render-fields", empty),
                    2, str(empty), "manifest.json is missing")
        check_error(c, "unknown field", script(source, "render-fields", run, "--fields",
                                               "neutrophil"), 2, "--fields", "neutrophil",
                    "expected some of")
        check_error(c, "unknown view", script(source, "render-fields", run, "--views", "side"),
                    2, "--views", "side")
        no_fields = tmp / "no-fields"
        no_fields.mkdir()
        (no_fields / "manifest.json").write_text((run / "manifest.json").read_text())
        check_error(c, "a run without snapshots",
                    script(source, "render-fields", no_fields, "--views", "section"), 2,
                    "fields.hdf.series is missing")
        bare = tmp / "bare-path"
        bare.mkdir()
        check_error(c, "no pvbatch on PATH",
                    script(source, "render-fields", run, env={"PATH": str(bare),
                                                              "DISPLAY": ""}),
                    1, "pvbatch", "not found", "scripts/setup-deps")
        rc, out = script(source, "render-fields", "--help")
        c.check(rc == 0 and "--movie" in out and "--fields" in out, "render-fields --help")
    c.finish("render-fields")


if __name__ == "__main__":
    main()
