"""The driver half of scripts/render-fields: chooses what to render (fields, times, the section
plane through a row of needle tracks, the papillary depth, colour ranges fixed over time, layer
boundaries, labels), runs ParaView's pvbatch on scripts/lib/render_fields_pv.py (under
`xvfb-run -a` when no X server is set), and encodes the movie with ffmpeg.

Runs under Debian's /usr/bin/python3 (numpy, h5py, matplotlib for tiling movie frames).
"""

import csv
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from mh_run import (SPECIES, FIELD_UNIT, InputError, ToolError, default_times, require_tool,
                    snap_times, wrote)

PV_SCRIPT = Path(__file__).resolve().parent / "render_fields_pv.py"

# Image sizes in pixels (width, height); the tests check them.
SECTION_SIZE = (1100, 650)
TOP_SIZE = (1000, 650)
VIEW3D_SIZE = (1000, 750)

DEFAULT_FIELDS = ["damage", "neutrophils", "macrophages", "fibroblasts", "new_collagen"]
MOVIE_FIELDS = ["neutrophils", "macrophages", "fibroblasts", "new_collagen"]
VIEWS = ["section", "top", "3d"]

PRESETS = {
    "damage": "Inferno (matplotlib)", "cytokine": "Plasma (matplotlib)",
    "neutrophils": "Inferno (matplotlib)", "macrophages": "Magma (matplotlib)",
    "tgf_beta": "Plasma (matplotlib)", "fibroblasts": "Viridis (matplotlib)",
    "new_collagen": "Viridis (matplotlib)", "mature_collagen": "Cividis",
    "keratinocytes": "Cividis", "regulator": "Plasma (matplotlib)",
    "swelling": "Viridis (matplotlib)",
}

DEFAULT_ISO = {"damage": 0.25, "new_collagen": None}  # None: half the largest value shown


def parse_fields(text, stored, option="--fields"):
    fields = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in fields if f not in SPECIES]
    if unknown:
        raise InputError(f"{option}: unknown field(s) {', '.join(unknown)} (expected some of "
                         f"{', '.join(SPECIES)})")
    absent = [f for f in fields if f not in stored]
    if absent:
        raise InputError(f"{option}: field(s) {', '.join(absent)} not in this run's snapshots "
                         f"(output.fields = {', '.join(stored)})")
    if not fields:
        raise InputError(f"{option}: no fields given")
    return fields


def parse_views(text):
    views = [v.strip() for v in text.split(",") if v.strip()]
    bad = [v for v in views if v not in VIEWS]
    if bad or not views:
        raise InputError(f"--views: {', '.join(bad) or 'nothing'} is not a view (expected "
                         f"some of {', '.join(VIEWS)})")
    return views


def parse_key_values(text, option, keys):
    """'damage=0.3,new_collagen=0.1' -> {'damage': 0.3, 'new_collagen': 0.1}."""
    out = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in keys:
            raise InputError(f"{option}: '{item}' is not FIELD=VALUE with FIELD one of "
                             f"{', '.join(keys)}")
        try:
            out[key] = float(value)
        except ValueError as err:
            raise InputError(f"{option}: '{value}' is not a number") from err
    return out


def parse_ranges(items):
    """['neutrophils=0:1', ...] -> {'neutrophils': (0.0, 1.0)}."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        low, colon, high = value.partition(":")
        try:
            if not sep or not colon or key.strip() not in SPECIES:
                raise ValueError
            low, high = float(low), float(high)
            if not high > low:
                raise ValueError
        except ValueError as err:
            raise InputError(f"--range: '{item}' is not FIELD=LOW:HIGH with LOW < HIGH and "
                             f"FIELD one of {', '.join(SPECIES)}") from err
        out[key.strip()] = (low, high)
    return out


def file_time(time_h):
    """A sortable file-name stamp: 18 -> 't0018.0h'."""
    return f"t{time_h:06.1f}h"


class Snapshots:
    """The field snapshots read with h5py: each VTKHDF file holds /VTKHDF/PointData/<s> as
    [z, y, x] (two half-voxel y layers in 2D)."""

    def __init__(self, run):
        import h5py  # Debian's python3-h5py; imported here so plot-run does not need it
        self.h5py = h5py
        self.entries = run.snapshots()
        self.times = [t for t, _ in self.entries]

    def read(self, index, field):
        path = self.entries[index][1]
        try:
            with self.h5py.File(path, "r") as handle:
                return np.asarray(handle[f"VTKHDF/PointData/{field}"][...], dtype=float)
        except KeyError as err:
            raise InputError(f"{path}: field '{field}' missing (expected the dataset "
                             f"/VTKHDF/PointData/{field})") from err
        except OSError as err:
            raise InputError(f"{path}: not a readable HDF5 snapshot ({err})") from err

    def index(self, time_h):
        return min(range(len(self.times)), key=lambda i: abs(self.times[i] - time_h))


def puncture_planes(run, oy, dy, ny):
    """{y voxel index: punctures of the first session in that plane}, from punctures.csv."""
    path = run.dir / "punctures.csv"
    if not path.is_file():
        return {}
    planes = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            if row.get("session [1]") != "0":
                continue
            j = int(np.clip(math.floor((float(row["y_mm [mm]"]) - oy) / dy), 0, ny - 1))
            planes[j] = planes.get(j, 0) + 1
    return planes


def section_plane(run, snapshots, override_mm):
    """y of the vertical section (XDMF coordinates, a voxel centre) and a description."""
    grid = run.grid
    oy, dy, ny = grid["origin_mm"][1], grid["spacing_mm"][1], grid["extent"][1]
    if ny == 1:
        # 2D: the single y voxel is stored as two half-voxel layers; cut the first one.
        if override_mm is not None:
            print("note: --section-y ignored: a 2D run has a single x-z plane", file=sys.stderr)
        return oy + dy / 4, "through the needle tracks (2D run: the x–z plane)"
    if override_mm is not None:
        j = int(np.clip(math.floor((override_mm - oy) / dy), 0, ny - 1))
        return oy + (j + 0.5) * dy, f"y = {oy + (j + 0.5) * dy:.3g} mm"
    # The row of needle tracks: the voxel plane holding the most punctures of the first session
    # (punctures.csv), ties going to the plane nearest the middle; runs made before microheal
    # wrote punctures.csv: the plane with the most damage just after the first session.
    planes = puncture_planes(run, oy, dy, ny)
    if planes:
        j = max(planes, key=lambda plane: (planes[plane], -abs(plane - (ny - 1) / 2)))
        return oy + (j + 0.5) * dy, (f"through a row of needle tracks ({planes[j]} of session 1), "
                                     f"y = {oy + (j + 0.5) * dy:.3g} mm")
    sessions = run.session_times_h()
    after = [i for i, t in enumerate(snapshots.times) if not sessions or t >= sessions[0] - 1e-9]
    j = ny // 2
    if "damage" in run.stored_fields() and after:
        damage = snapshots.read(after[0], "damage")
        per_plane = damage.sum(axis=(0, 2))
        if per_plane.max() > 0:
            j = int(np.argmax(per_plane))
    return oy + (j + 0.5) * dy, f"through a row of needle tracks, y = {oy + (j + 0.5) * dy:.3g} mm"


def top_plane(run, override_mm):
    """z of the horizontal view: the middle of the papillary dermis, snapped to a voxel centre."""
    grid = run.grid
    oz, dz, nz = grid["origin_mm"][2], grid["spacing_mm"][2], grid["extent"][2]
    if override_mm is not None:
        if not 0 <= override_mm <= run.depth_mm:
            raise InputError(f"--top-depth: {override_mm} mm is outside the block (0 to "
                             f"{run.depth_mm:.3g} mm)")
        wanted = override_mm
    else:
        papillary = [(t, b) for name, t, b in run.layers() if name == "papillary dermis"]
        wanted = sum(papillary[0]) / 2 if papillary else run.depth_mm / 2
    k = int(np.clip(math.floor((wanted - oz) / dz), 0, nz - 1))
    z = oz + (k + 0.5) * dz
    layer = next((name for name, t, b in run.layers() if t <= z < b), "")
    return z, layer


def build_job(run, out_dir, fields, times, views, movie_fields, section_override, top_override,
              iso_override, range_override, workdir):
    """The pvbatch job (JSON) and the files it will write: {'renders': [...], ...}."""
    snapshots = Snapshots(run)
    stored = run.stored_fields()
    grid = run.grid
    (nx, ny, nz), (dx, dy, dz), (ox, oy, oz) = grid["extent"], grid["spacing_mm"], \
        grid["origin_mm"]
    two_d = ny == 1
    tile_y = float(run.scenario.get("domain", {}).get("tile_mm", [nx * dx, ny * dy])[1])
    stretch = tile_y / dy if two_d else 1.0
    bounds = [ox, ox + nx * dx, oy * stretch, (oy + ny * dy) * stretch, oz, oz + nz * dz]
    section_y, section_where = section_plane(run, snapshots, section_override)
    top_z, top_layer = top_plane(run, top_override)

    render_times = sorted(set(times) | (set(snapshots.times) if movie_fields else set()))
    coloured = sorted(set(fields) | set(movie_fields or []))
    iso_fields = [f for f in ("damage", "new_collagen") if f in stored] if "3d" in views else []
    ranges = {}
    maxima = {}
    for field in sorted(set(coloured) | set(iso_fields)):
        largest = 0.0
        for time in render_times:
            largest = max(largest, float(np.nanmax(snapshots.read(snapshots.index(time),
                                                                  field))))
        maxima[field] = largest
        ranges[field] = range_override.get(field, (0.0, largest if largest > 0 else 1.0))
    iso = {}
    for field in iso_fields:
        value = iso_override.get(field, DEFAULT_ISO[field])
        if value is None:
            value = 0.5 * maxima[field] if maxima[field] > 0 else 1e-3
        iso[field] = float(value)
    iso_legend = "   ".join(
        f"{colour}: {SPECIES[f]} ≥ {iso[f]:.3g}"
        for f, colour in (("damage", "red"), ("new_collagen", "green")) if f in iso)
    if two_d:
        iso_legend += "   (2D run: slits uniform along y, shown extruded)"

    job = {
        "xmf": str(run.xdmf()),
        "load_fields": sorted(set(coloured) | set(iso_fields)),
        "bounds": bounds,
        "stretch_y": stretch,
        "section_y": section_y,
        "top_z": top_z,
        "layers": [[name, top, bottom] for name, top, bottom in run.label_layers()],
        "fields": {f: {"title": SPECIES[f], "unit": FIELD_UNIT, "range": list(ranges[f]),
                       "preset": PRESETS.get(f, "Viridis (matplotlib)")} for f in coloured},
        "iso": iso,
        "iso_legend": iso_legend,
        "renders": [],
    }
    outputs = []

    def add(kind, field, time, path, size, title):
        job["renders"].append({"kind": kind, "field": field, "time": time, "file": str(path),
                               "size": list(size), "title": title,
                               "label": run.describe_time(time)})

    top_title = f"top view at {top_z:.3g} mm depth" + (f" ({top_layer})" if top_layer else "")
    if two_d:
        top_title += ", 2D run: uniform along y"
    for time in times:
        stamp = file_time(time)
        for field in fields:
            if "section" in views:
                path = out_dir / f"section_{field}_{stamp}.png"
                add("section", field, time, path, SECTION_SIZE,
                    f"{SPECIES[field].capitalize()}: vertical section, {section_where}")
                outputs.append(("section", field, time, path))
            if "top" in views:
                path = out_dir / f"top_{field}_{stamp}.png"
                add("top", field, time, path, TOP_SIZE,
                    f"{SPECIES[field].capitalize()}: {top_title}")
                outputs.append(("top", field, time, path))
        if "3d" in views and iso:
            path = out_dir / f"view3d_{stamp}.png"
            add("view3d", None, time, path, VIEW3D_SIZE,
                "Damage and new collagen in the block (iso-surfaces)")
            outputs.append(("view3d", None, time, path))
    frames = []
    if movie_fields:
        for index, time in enumerate(snapshots.times):
            panels = []
            for field in movie_fields:
                path = workdir / f"panel_{index:05d}_{field}.png"
                add("section", field, time, path, SECTION_SIZE,
                    f"{SPECIES[field].capitalize()}: vertical section, {section_where}")
                panels.append(path)
            frames.append(panels)
    return job, outputs, frames


def pvbatch_command(job_path):
    pvbatch = require_tool("pvbatch", "Debian's paraview and python3-paraview packages")
    command = [pvbatch, str(PV_SCRIPT), str(job_path)]
    if not os.environ.get("DISPLAY"):
        # Debian's ParaView renders through GLX only: give it a virtual X server.
        xvfb = require_tool("xvfb-run", "Debian's xvfb and xauth packages (pvbatch needs an X "
                                        "server; none is set in DISPLAY)")
        # -a takes the first free display from a random start, so that renders running at the
        # same time rarely race for one (run_pvbatch retries when they do).
        # -noreset: pvbatch opens $DISPLAY, closes it and opens it again; without -noreset
        # Xvfb resets when that first client leaves, and a connection during the reset fails
        # ("bad X server connection": 8 of 12 starts on a loaded machine; 0 of 52 with it).
        start = random.randint(100, 4000)
        command = [xvfb, "-a", "-n", str(start), "-s", "-screen 0 2560x1600x24 -noreset"] + \
            command
    return command


def run_pvbatch(job, workdir):
    job_path = workdir / "job.json"
    job_path.write_text(json.dumps(job, indent=1))
    # Two xvfb-run -a starting at once can race for one display ("Xvfb failed to start"); run
    # the job again then. A pvbatch that cannot open its GLX window ("bad X server connection")
    # is retried too, though -noreset (pvbatch_command) removed the cause seen here.
    for attempt in range(4):
        command = pvbatch_command(job_path)
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        flake = ("Xvfb failed to start" in result.stdout
                 or "bad X server connection" in result.stdout)
        if result.returncode == 0 or not flake:
            break
        print(f"note: pvbatch could not use the X server (attempt {attempt + 1} of 4); "
              "trying again", file=sys.stderr, flush=True)
    missing = [r["file"] for r in job["renders"] if not Path(r["file"]).is_file()]
    if result.returncode != 0 or missing:
        tail = "\n".join(result.stdout.splitlines()[-25:])
        raise ToolError(f"pvbatch failed (exit code {result.returncode}"
                        f"{', missing ' + missing[0] if missing else ''}); its output ends "
                        f"with:\n{tail}")


def encode_movie(frames, movie_fields, path, fps):
    """One MP4 frame per output time: the panels of the movie fields side by side (two
    columns), tiled by ffmpeg's xstack, H.264 in yuv420p (even dimensions)."""
    ffmpeg = require_tool("ffmpeg", "Debian's ffmpeg package")
    workdir = Path(frames[0][0]).parent
    command = [ffmpeg, "-y", "-loglevel", "error"]
    for field in movie_fields:
        command += ["-framerate", str(fps), "-i", str(workdir / f"panel_%05d_{field}.png")]
    count = len(movie_fields)
    if count == 1:
        tiling = "[0:v]null"
    else:
        cells = []
        for k in range(count):
            row, column = divmod(k, 2)
            x = "0" if column == 0 else "w0"
            y = "0" if row == 0 else "+".join(["h0"] * row)
            cells.append(f"{x}_{y}")
        if count == 2:
            tiling = "[0:v][1:v]hstack=inputs=2"
        else:
            inputs = "".join(f"[{k}:v]" for k in range(count))
            tiling = f"{inputs}xstack=inputs={count}:layout={'|'.join(cells)}:fill=white"
    command += ["-filter_complex",
                f"{tiling},pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white,format=yuv420p[out]",
                "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "20",
                "-r", str(fps), "-movflags", "+faststart", str(path)]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0 or not Path(path).is_file():
        raise ToolError(f"ffmpeg failed (exit code {result.returncode}): {result.stdout[-2000:]}")


class Rendered:
    """What render() wrote: images [(kind, field, time_h, path)], the movie (or None), and
    every file."""

    def __init__(self):
        self.images, self.movie, self.files = [], None, []


def render(run, out_dir, fields=None, times=None, views=None, movie=False, movie_fields=None,
           fps=4, section_y=None, top_depth=None, iso=None, ranges=None, keep_frames=False):
    """Renders the run's fields; returns a Rendered (each file is printed as it is written)."""
    stored = run.stored_fields()
    fields = fields or [f for f in DEFAULT_FIELDS if f in stored]
    views = views or list(VIEWS)
    snapshot_times = [t for t, _ in run.snapshots()]
    times = (snap_times(times, snapshot_times) if times
             else default_times(run, snapshot_times, count=4))
    if movie:
        movie_fields = movie_fields or [f for f in MOVIE_FIELDS if f in stored]
        if not movie_fields:
            raise InputError("--movie: none of the movie fields is in this run's snapshots "
                             "(use --movie-fields)")
    else:
        movie_fields = []
    # Check the tools before any work.
    pvbatch_command("job.json")
    if movie:
        require_tool("ffmpeg", "Debian's ffmpeg package")
    with tempfile.TemporaryDirectory(prefix="microheal-render-") as tmp:
        workdir = Path(tmp)
        job, outputs, frames = build_job(run, out_dir, fields, times, views, movie_fields,
                                         section_y, top_depth, iso or {}, ranges or {}, workdir)
        if not job["renders"]:
            raise InputError(f"nothing to render: none of {', '.join(DEFAULT_FIELDS)} is in "
                             f"this run's snapshots (output.fields = {', '.join(stored)}); "
                             "choose them with --fields")
        run_pvbatch(job, workdir)
        result = Rendered()
        for image in outputs:
            wrote(image[3])
            result.images.append(image)
            result.files.append(image[3])
        if movie:
            movie_path = out_dir / "movie.mp4"
            encode_movie(frames, movie_fields, movie_path, fps)
            wrote(movie_path)
            result.movie = movie_path
            result.files.append(movie_path)
            if keep_frames:
                frame_dir = out_dir / "movie_frames"
                frame_dir.mkdir(exist_ok=True)
                for panels in frames:
                    for panel in panels:
                        target = frame_dir / Path(panel).name
                        target.write_bytes(Path(panel).read_bytes())
                        wrote(target)
                        result.files.append(target)
    return result
