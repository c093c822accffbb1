"""Reading a `microheal run` output directory (docs/output.md) for the figure scripts.

Only the standard library, numpy and (for the field snapshots) h5py: Debian's /usr/bin/python3
has all three (python3-numpy, python3-h5py). Every problem with the input raises InputError with
a message that names the path and says what was expected; the scripts turn it into
`SCRIPT: error: MESSAGE` and exit code 2.
"""

import csv
import json
import math
import re
import shutil
import sys
from pathlib import Path

import numpy as np

# The species of the model (docs/model.md, "Fields"), in the order of the snapshots, with the
# name shown in figures. Every field is normalised: 1 is the healthy dermis level.
SPECIES = {
    "damage": "tissue damage",
    "cytokine": "cytokine (TNF-α/IL-1)",
    "neutrophils": "neutrophils",
    "macrophages": "macrophages",
    "tgf_beta": "TGF-β",
    "fibroblasts": "fibroblasts",
    "new_collagen": "new collagen",
    "mature_collagen": "mature collagen",
    "keratinocytes": "keratinocytes",
    "regulator": "mitosis regulator",
    "swelling": "swelling",
}
FIELD_UNIT = "1 = healthy dermis"

# The five tissue layers from the surface down (docs/model.md, "Skin layers and body sites"),
# with the scenario key of each thickness.
LAYERS = [
    ("stratum corneum", "stratum_corneum_mm"),
    ("viable epidermis", "viable_epidermis_mm"),
    ("papillary dermis", "papillary_dermis_mm"),
    ("reticular dermis", "reticular_dermis_mm"),
    ("hypodermis", "hypodermis_mm"),
]

HEADER_UNIT = re.compile(r"^(?P<name>.*?)\s*\[(?P<unit>[^\]]*)\]\s*$")


class InputError(Exception):
    """Bad input (a missing or wrong directory, a missing column, a bad option): exit code 2."""


class ToolError(Exception):
    """A tool the script needs failed or is missing: exit code 1."""


def main_wrapper(prog, main):
    """Runs main(), turning InputError/ToolError into `prog: error: ...` and exit codes 2/1."""
    sys.dont_write_bytecode = True
    try:
        main()
    except InputError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        sys.exit(2)
    except ToolError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        sys.exit(1)
    except BrokenPipeError:
        # stdout closed early (`| head`): nothing more to say
        sys.stderr.close()
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)


def require_tool(name, package_hint):
    """The path of an executable on PATH, or ToolError naming the Debian package."""
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"'{name}' not found on PATH: install {package_hint} "
                        "(scripts/setup-deps installs it)")
    return path


def split_header(header):
    """'time_h [h]' -> ('time_h', 'h'); a header without a unit gets ''."""
    match = HEADER_UNIT.match(header)
    if match:
        return match.group("name").strip(), match.group("unit").strip()
    return header.strip(), ""


class Table:
    """A CSV file as columns: name -> float array, with units from 'name [unit]' headers."""

    def __init__(self, path, required=()):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: file missing (expected a CSV table written by "
                             "`microheal run`)")
        with open(self.path, newline="") as handle:
            rows = list(csv.reader(handle))
        if not rows:
            raise InputError(f"{self.path}: empty file (expected a header row 'name [unit],...')")
        self.headers = rows[0]
        self.names, self.units = [], {}
        for header in self.headers:
            name, unit = split_header(header)
            self.names.append(name)
            self.units[name] = unit
        body = [row for row in rows[1:] if row]
        self.raw = {name: [row[i] if i < len(row) else "" for row in body]
                    for i, name in enumerate(self.names)}
        self.rows = len(body)
        missing = [name for name in required if name not in self.units]
        if missing:
            raise InputError(self.missing_message(missing))

    def missing_message(self, missing):
        return (f"{self.path}: missing column(s) {', '.join(repr(m) for m in missing)} "
                f"(the header has {len(self.names)} columns: "
                f"{', '.join(self.names[:8])}{', ...' if len(self.names) > 8 else ''})")

    def has(self, name):
        return name in self.units

    def unit(self, name):
        return self.units[name]

    def column(self, name):
        """The column as floats (empty cells and non-numbers become NaN)."""
        if name not in self.raw:
            raise InputError(self.missing_message([name]))
        return np.array([to_float(v) for v in self.raw[name]], dtype=float)

    def text(self, name):
        if name not in self.raw:
            raise InputError(self.missing_message([name]))
        return list(self.raw[name])


def to_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def read_json(path, what):
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON ({err}); expected {what}") from err


class Run:
    """One output directory of `microheal run`."""

    def __init__(self, path):
        self.dir = Path(path)
        expected = "the output directory of `microheal run SCENARIO -o DIR`"
        if not self.dir.exists():
            raise InputError(f"{self.dir}: no such directory (expected {expected})")
        if not self.dir.is_dir():
            raise InputError(f"{self.dir}: not a directory (expected {expected})")
        manifest_path = self.dir / "manifest.json"
        if not manifest_path.is_file():
            raise InputError(f"{self.dir}: not a microheal run: manifest.json is missing "
                             f"(expected {expected})")
        self.manifest = read_json(manifest_path, "a microheal run manifest")
        if not isinstance(self.manifest, dict) or \
                self.manifest.get("format") != "microheal-run-manifest":
            raise InputError(f"{manifest_path}: not a microheal run manifest (its \"format\" "
                             "is not \"microheal-run-manifest\")")
        self.scenario = self.manifest.get("scenario")
        if not isinstance(self.scenario, dict):
            raise InputError(f"{manifest_path}: the resolved scenario (\"scenario\") is missing")
        self.status = self.manifest.get("status", "unknown")
        self._timeseries = None
        self._profile = None

    # -- files -----------------------------------------------------------------------------
    def timeseries(self):
        if self._timeseries is None:
            self._timeseries = Table(self.dir / "timeseries.csv", required=["time_h"])
        return self._timeseries

    def profile(self):
        if self._profile is None:
            self._profile = Table(self.dir / "collagen_profile.csv",
                                  required=["time_h", "depth_mm", "new_collagen",
                                            "mature_collagen", "baseline_collagen"])
        return self._profile

    def metrics(self):
        """metrics.json, or None when the run has not completed (it is written at the end)."""
        path = self.dir / "metrics.json"
        if not path.is_file():
            return None
        return read_json(path, "the metrics of a microheal run")

    def snapshots(self):
        """[(time_h, path)] of the field snapshots, from fields.hdf.series."""
        path = self.dir / "fields.hdf.series"
        if not path.is_file():
            raise InputError(f"{self.dir}: fields.hdf.series is missing (expected the field "
                             "snapshots of `microheal run`: fields/f_NNNNNN.hdf and their index)")
        series = read_json(path, "ParaView's file-series JSON")
        files = series.get("files") if isinstance(series, dict) else None
        if not files:
            raise InputError(f"{path}: lists no snapshots")
        out = []
        for entry in files:
            snapshot = self.dir / entry["name"]
            if not snapshot.is_file():
                raise InputError(f"{snapshot}: snapshot listed in {path.name} is missing")
            out.append((float(entry["time"]), snapshot))
        return out

    def xdmf(self):
        path = self.dir / "fields.xmf"
        if not path.is_file():
            raise InputError(f"{self.dir}: fields.xmf is missing (expected the XDMF index of "
                             "the field snapshots written by `microheal run`)")
        return path

    def stored_fields(self):
        fields = self.scenario.get("output", {}).get("fields")
        return list(fields) if fields else list(SPECIES)

    # -- geometry, layers, protocol ---------------------------------------------------------
    @property
    def grid(self):
        grid = self.manifest.get("grid")
        if not isinstance(grid, dict):
            raise InputError(f"{self.dir / 'manifest.json'}: \"grid\" is missing")
        return grid

    @property
    def dimensions(self):
        return int(self.scenario.get("domain", {}).get("dimensions", 3))

    @property
    def depth_mm(self):
        grid = self.grid
        return grid["origin_mm"][2] + grid["extent"][2] * grid["spacing_mm"][2]

    @property
    def end_h(self):
        return float(self.manifest.get("end_time_h")
                     or self.scenario["protocol"]["duration_days"] * 24.0)

    def layers(self):
        """[(name, top_mm, bottom_mm)] of the five layers, clipped to the modelled block.
        The manifest lists them; runs from before it did: from the resolved tissue."""
        depth = self.depth_mm
        listed = self.manifest.get("layers")
        if isinstance(listed, list) and listed:
            out = []
            for layer in listed:
                top, bottom = float(layer["top_mm"]), min(float(layer["bottom_mm"]), depth)
                if bottom > top:
                    out.append((str(layer["name"]).replace("_", " "), top, bottom))
            return out
        tissue = self.scenario.get("tissue", {})
        out, top = [], 0.0
        for name, key in LAYERS:
            thickness = float(tissue.get(key, 0.0))
            bottom = min(top + thickness, depth)
            if bottom > top:
                out.append((name, top, bottom))
            top += thickness
            if top >= depth:
                break
        return out

    def label_layers(self):
        """Layers for labelling figures: the stratum corneum (15 µm) joins the viable
        epidermis as 'epidermis'."""
        layers = self.layers()
        merged = []
        for name, top, bottom in layers:
            if name == "viable epidermis" and merged and merged[-1][0] == "stratum corneum":
                merged[-1] = ("epidermis", merged[-1][1], bottom)
            else:
                merged.append((name, top, bottom))
        return merged

    def session_times_h(self):
        """Session times (h): the manifest's list, or (older runs) from the resolved protocol."""
        listed = self.manifest.get("sessions")
        if isinstance(listed, list):
            return [float(session["time_h"]) for session in listed]
        protocol = self.scenario.get("protocol", {})
        if protocol.get("session_days") is not None:
            days = [float(d) for d in protocol["session_days"]]
        else:
            first = float(protocol.get("first_session_day", 0.0))
            interval = float(protocol.get("interval_days", 0.0))
            days = [first + i * interval for i in range(int(protocol.get("sessions", 0)))]
        duration = float(protocol.get("duration_days", math.inf))
        return [24.0 * d for d in days if d < duration]

    def protocol_rows(self):
        """One dict per session: index, time, needle length, density, passes (with overrides)."""
        listed = self.manifest.get("sessions")
        if isinstance(listed, list):
            return [{"session": int(row["index"]) + 1, "time_h": float(row["time_h"]),
                     "length_mm": float(row["needle_length_mm"]),
                     "density_per_cm2": float(row["density_per_cm2"]),
                     "passes": int(row["passes"])} for row in listed]
        needle = self.scenario.get("needle", {})
        overrides = {int(o["session"]): o for o in self.scenario.get("protocol_overrides", [])
                     if isinstance(o, dict) and "session" in o}
        rows = []
        for i, time_h in enumerate(self.session_times_h()):
            change = overrides.get(i, {})
            rows.append({
                "session": i + 1,
                "time_h": time_h,
                "length_mm": float(change.get("length_mm", needle.get("length_mm", math.nan))),
                "density_per_cm2": float(change.get("density_per_cm2",
                                                    needle.get("density_per_cm2", math.nan))),
                "passes": int(change.get("passes", needle.get("passes", 1))),
            })
        return rows

    def short_time_label(self, time_h):
        return short_time_label(self, time_h)

    def describe_time(self, time_h):
        """'t = 18 h (day 0.8), 18 h after session 1' for figure labels."""
        text = f"t = {format_hours(time_h)}"
        if time_h >= 48 and not text.endswith(" d"):
            text += f" (day {time_h / 24:.3g})"
        before = [(i, s) for i, s in enumerate(self.session_times_h()) if s <= time_h + 1e-9]
        if before:
            index, start = before[-1]
            since = time_h - start
            text += f", {format_hours(since)} after session {index + 1}"
        else:
            text += ", before the first session"
        return text


def short_time_label(run, time_h):
    """A legend label: '72 h after session 1', or 'day 30 (2 d after session 2)'."""
    sessions = [s for s in run.session_times_h() if s <= time_h + 1e-9]
    if not sessions:
        return f"{format_hours(time_h)} (before the first session)"
    since = f"{format_hours(time_h - sessions[-1])} after session {len(sessions)}"
    if len(sessions) == 1 and sessions[0] == 0.0:
        return since
    return f"day {time_h / 24:.4g} ({since})"


def format_hours(hours):
    """18 -> '18 h'; 72 -> '72 h (3 d)' is left to callers; 0.5 -> '0.5 h'; 240 -> '10 d'."""
    if abs(hours) >= 96 and abs(hours / 24 - round(hours / 24)) < 1e-6:
        return f"{hours / 24:g} d"
    return f"{hours:.4g} h"


def parse_times(text, what="--times"):
    """'0,24,72h,3d,end' -> [0, 24, 72, 72, inf] in hours ('end'/'last' = inf)."""
    out = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        if item in ("end", "last"):
            out.append(math.inf)
            continue
        scale = 1.0
        if item.endswith("d"):
            scale, item = 24.0, item[:-1]
        elif item.endswith("h"):
            item = item[:-1]
        try:
            value = float(item) * scale
        except ValueError as err:
            raise InputError(f"{what}: '{item}' is not a time (expected hours like 24 or 24h, "
                             "days like 3d, or 'end')") from err
        if value < 0 or not math.isfinite(value):
            raise InputError(f"{what}: {value} h is not a time in the run (expected >= 0)")
        out.append(value)
    if not out:
        raise InputError(f"{what}: no times given")
    return out


def snap_times(wanted, available, what="--times", tolerance_h=None):
    """Each wanted time -> the nearest available one (inf -> the last); sorted, no repeats.
    A wanted time outside [first, last] by more than tolerance_h is an InputError."""
    available = sorted(available)
    if not available:
        raise InputError(f"{what}: the run has no output times")
    first, last = available[0], available[-1]
    if tolerance_h is None:
        gaps = np.diff(available)
        tolerance_h = float(gaps.max()) if len(gaps) else 0.0
    out = []
    for time in wanted:
        if math.isinf(time):
            chosen = last
        else:
            if time < first - tolerance_h - 1e-9 or time > last + tolerance_h + 1e-9:
                raise InputError(f"{what}: {format_hours(time)} is outside the run's output "
                                 f"times ({format_hours(first)} to {format_hours(last)})")
            chosen = min(available, key=lambda a: (abs(a - time), a))
        if chosen not in out:
            out.append(chosen)
    return sorted(out)


def default_times(run, available, count=5):
    """Representative times: the first session, 12 h, 1 d, 3 d, 1 week, 4 weeks after it and
    the end (those inside the run), snapped to output times, at most `count`."""
    sessions = run.session_times_h() or [available[0]]
    start = sessions[0]
    offsets = [0, 12, 24, 72, 168, 672]
    wanted = [start + o for o in offsets if start + o <= available[-1] + 1e-9]
    wanted.append(math.inf)
    chosen = snap_times(wanted, available, tolerance_h=math.inf)
    while len(chosen) > count:
        # drop the interior time closest to a neighbour, keep the first and the last
        gaps = [(min(chosen[i] - chosen[i - 1], chosen[i + 1] - chosen[i]), i)
                for i in range(1, len(chosen) - 1)]
        chosen.pop(min(gaps)[1])
    return chosen


def figures_dir(base, output):
    """The output directory: -o/--output or BASE/figures; created if needed."""
    path = Path(output) if output else Path(base) / "figures"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{path}: cannot create the output directory ({err.strerror})") from err
    return path


def wrote(path):
    print(f"wrote {path}", flush=True)
