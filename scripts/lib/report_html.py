"""scripts/report: one self-contained HTML page for a run. Every picture is embedded as a
base64 data URI and the CSS is inline, so the page needs no network and no other file: a
teacher can mail it or open it from a USB stick in any browser."""

import base64
import datetime
import html
import json
import math
from pathlib import Path

from mh_run import SPECIES, format_hours, wrote

CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 1.2em 1.5em 3em; color: #1a1a1a; background: #ffffff; line-height: 1.45; }
h1 { font-size: 1.6em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #d0d7de; padding-bottom: 0.2em;
     margin-top: 1.8em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
.sub { color: #555; margin: 0 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 0.6em 0 1.2em; }
figure img, video { max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
figcaption { font-size: 0.88em; color: #444; margin-top: 0.3em; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 0.8em; }
.grid figure { margin: 0; }
pre { background: #f6f8fa; border: 1px solid #e3e6ea; padding: 0.7em; overflow-x: auto;
      font-size: 0.8em; line-height: 1.3; }
details { margin: 0.6em 0; }
summary { cursor: pointer; font-weight: bold; }
.status-complete { color: #1a7f37; font-weight: bold; }
.status-other { color: #b35900; font-weight: bold; }
.note { background: #fff8c5; border: 1px solid #e9d66b; padding: 0.5em 0.8em; }
nav a { margin-right: 1em; }
"""

# metrics.json keys: (label, unit, meaning). Keys not listed are shown with their own name.
METRIC_LABELS = {
    "neutrophil_peak_h": ("Neutrophil peak", "h after the session", "when neutrophils peak"),
    "neutrophil_peak": ("Neutrophil peak level", "1", "normalised"),
    "macrophage_peak_h": ("Macrophage peak", "h after the session", "when macrophages peak"),
    "macrophage_peak": ("Macrophage peak level", "1", "normalised"),
    "fibroblast_peak_d": ("Fibroblast peak", "d after the session", ""),
    "fibroblast_peak_ratio": ("Fibroblast peak / healthy level", "1", ""),
    "fibroblast_recovered_d": ("Fibroblasts back to normal", "d after the session", ""),
    "redness_peak_h": ("Redness peak", "h after the session", ""),
    "redness_peak": ("Redness peak level", "1", "redness index"),
    "redness_resolved_h": ("Redness resolved", "h after the session",
                           "clinically 24-72 h"),
    "swelling_peak_h": ("Swelling peak", "h after the session", ""),
    "swelling_peak": ("Swelling peak level", "1", "swelling index"),
    "swelling_resolved_h": ("Swelling resolved", "h after the session", "clinically 1-2 days"),
    "epidermis_closed_h": ("Epidermis closed", "h after the session", "about a day"),
    "scar_index_pct": ("Scar index at the end", "%", ""),
    "scar_index_peak_pct": ("Scar index, largest", "%", ""),
    "time_h": ("Session time", "h", ""),
    "window_end_h": ("Window ends", "h", "next session or the end of the run"),
}
COLLAGEN_LABELS = {
    "collagen_gain_papillary": "Collagen change, papillary dermis",
    "collagen_gain_dermis": "Collagen change, whole dermis",
    "collagen_papillary": "Collagen change, papillary dermis",
    "collagen_dermis": "Collagen change, whole dermis",
}
PART_LABELS = {"total_pct": "total", "new_pct": "new collagen", "mature_pct": "mature collagen"}


def esc(value):
    return html.escape(str(value), quote=True)


def number(value, digits=3):
    if value is None:
        return "not reached"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        return f"{value:.{digits}g}" if isinstance(value, float) else str(value)
    return str(value)


def data_uri(path):
    path = Path(path)
    kind = {".png": "image/png", ".svg": "image/svg+xml", ".mp4": "video/mp4"}[path.suffix]
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def figure(path, caption, alt=None):
    return (f'<figure><img src="{data_uri(path)}" alt="{esc(alt or caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def table(header, rows, numeric=()):
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{esc(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def metric_rows(entry):
    """(label, value, unit, note) for one metrics dict (the run's or one session's)."""
    rows = []
    for key, value in entry.items():
        if key in ("format", "format_version", "sessions", "session"):
            continue
        if isinstance(value, dict):
            title = COLLAGEN_LABELS.get(key, key)
            for part, part_value in value.items():
                rows.append((f"{title}: {PART_LABELS.get(part, part)}", number(part_value),
                             "% of baseline", ""))
            continue
        label, unit, note = METRIC_LABELS.get(key, (key, "", ""))
        rows.append((label, number(value), unit, note))
    return rows


def metrics_section(run):
    metrics = run.metrics()
    if metrics is None:
        return ('<p class="note">metrics.json is missing: the run has not completed (status '
                f"{esc(run.status)}). The curves below show what it has written so far.</p>")
    parts = []
    overall = {k: v for k, v in metrics.items() if k != "sessions"}
    parts.append("<h3>The whole run (times after the first session; collagen at the end)</h3>")
    parts.append(table(["metric", "value", "unit", "note"], metric_rows(overall), numeric=(1,)))
    sessions = metrics.get("sessions") or []
    if len(sessions) > 1:
        keys = []
        for entry in sessions:
            for label, *_ in metric_rows(entry):
                if label not in keys:
                    keys.append(label)
        per = [dict((r[0], (r[1], r[2])) for r in metric_rows(e)) for e in sessions]
        rows = []
        for label in keys:
            unit = next((p[label][1] for p in per if label in p), "")
            rows.append([label, unit] + [p.get(label, ("", ""))[0] for p in per])
        parts.append("<h3>Per session (each until the next session or the end)</h3>")
        parts.append(table(["metric", "unit"] + [f"session {i + 1}" for i in range(len(per))],
                           rows, numeric=tuple(range(2, 2 + len(per)))))
    return "".join(parts)


def protocol_section(run):
    s = run.scenario
    tissue, domain, needle = s.get("tissue", {}), s.get("domain", {}), s.get("needle", {})
    protocol, output = s.get("protocol", {}), s.get("output", {})
    rows = [
        ("Description", s.get("description", "")),
        ("Body site", tissue.get("site", "")),
        ("Model", f"{domain.get('dimensions', '?')}D"
                  + (" (x-z section through a row of needles; tracks are slits)"
                     if domain.get("dimensions") == 2 else "")),
        ("Block", f"tile {' x '.join(str(v) for v in domain.get('tile_mm', []))} mm, "
                  f"depth {domain.get('depth_mm', '?')} mm, "
                  f"voxel {domain.get('voxel_mm', '?')} mm"),
        ("Device", f"{needle.get('device', 'pen')}, needle {needle.get('length_mm', '?')} mm long, "
                   f"{needle.get('diameter_mm', '?')} mm wide, "
                   f"{needle.get('penetration_efficiency', '?')} of it enters the skin"),
        ("Pattern", f"{needle.get('pattern', '?')}, {needle.get('density_per_cm2', '?')} "
                    f"punctures per cm², {needle.get('passes', 1)} pass(es)"),
        ("Duration", f"{protocol.get('duration_days', '?')} days"),
        ("Output", f"every {output.get('every_h')} h" if output.get("every_h") is not None
         else f"at {output.get('times_h')} h"),
    ]
    layer_rows = [(name, f"{top:.3g}", f"{bottom:.3g}", f"{bottom - top:.3g}")
                  for name, top, bottom in run.layers()]
    session_rows = [(r["session"], format_hours(r["time_h"]), f"{r['time_h'] / 24:.4g}",
                     r["length_mm"], r["density_per_cm2"], r["passes"])
                    for r in run.protocol_rows()]
    return (table(["", ""], rows)
            + "<h3>Sessions</h3>"
            + (table(["session", "time", "day", "needle length [mm]", "density [1/cm²]",
                      "passes"], session_rows, numeric=(0, 2, 3, 4, 5))
               if session_rows else "<p>No session (an untreated control).</p>")
            + "<h3>Skin layers in the modelled block</h3>"
            + table(["layer", "top [mm]", "bottom [mm]", "thickness [mm]"], layer_rows,
                    numeric=(1, 2, 3)))


def manifest_section(run):
    m = run.manifest
    grid = m.get("grid", {})
    integrator = m.get("integrator", {})
    rows = [
        ("Status", m.get("status")),
        ("microheal", f"{m.get('microheal_version')} (git {m.get('git_hash')})"),
        ("Compiler, host, threads", f"{m.get('compiler')}, {m.get('host')}, {m.get('threads')}"),
        ("Scenario file", m.get("scenario_file")),
        ("--set options", " ".join(m.get("set_options") or []) or "none"),
        ("Started, ended (UTC)", f"{m.get('start_time')} to {m.get('end_time')}"),
        ("Wall time", f"{number(m.get('wall_seconds'))} s"),
        ("Simulated", f"{number(m.get('simulated_time_h'))} h, "
                      f"{m.get('sessions_applied')} session(s) applied"),
        ("Grid", f"{' x '.join(str(v) for v in grid.get('extent', []))} voxels of "
                 f"{' x '.join(f'{v:.4g}' for v in grid.get('spacing_mm', []))} mm"),
        ("Steps", f"{integrator.get('steps_accepted')} accepted, "
                  f"{integrator.get('steps_rejected_error')} rejected (error), "
                  f"{integrator.get('steps_rejected_negative')} rejected (negative)"),
        ("Peak memory", f"{number(m.get('peak_memory_mb'))} MB"),
        ("Warnings", "; ".join(m.get("warnings") or []) or "none"),
    ]
    full = json.dumps(m, indent=2)
    scenario_text = ""
    scenario_file = run.dir / "scenario.toml"
    if scenario_file.is_file():
        scenario_text = ("<details><summary>The resolved scenario (scenario.toml)</summary>"
                         f"<pre>{esc(scenario_file.read_text())}</pre></details>")
    return (table(["", ""], rows)
            + f"<details><summary>Full manifest.json</summary><pre>{esc(full)}</pre></details>"
            + scenario_text)


def field_gallery(run, images):
    """images: [(kind, field, time, path)] from render-fields."""
    parts = []
    times = sorted({t for _, _, t, _ in images})
    for time in times:
        cards = []
        for kind, field, t, path in images:
            if t != time:
                continue
            if kind == "view3d":
                caption = "3D: iso-surfaces of damage (red) and new collagen (green)"
            else:
                where = "vertical section" if kind == "section" else "top view"
                caption = f"{SPECIES.get(field, field)}: {where}"
            cards.append(figure(path, caption))
        parts.append(f"<h3>{esc(run.describe_time(time))}</h3><div class=\"grid\">"
                     + "".join(cards) + "</div>")
    return "".join(parts)


def write_report(run, out_dir, timecourse_png, profile_png, images, movie=None, notes=()):
    status_class = "status-complete" if run.status == "complete" else "status-other"
    title = run.scenario.get("description") or run.dir.name
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="sub">microheal run <code>{esc(run.dir.resolve())}</code>, status '
        f'<span class="{status_class}">{esc(run.status)}</span>; report made {esc(now)}.</p>',
        '<nav><a href="#summary">Summary</a><a href="#timecourse">Time course</a>'
        '<a href="#profile">Collagen profile</a><a href="#fields">Pictures</a>'
        '<a href="#protocol">Protocol</a><a href="#manifest">Manifest</a></nav>',
    ]
    for note in notes:
        body.append(f'<p class="note">{esc(note)}</p>')
    body += [
        '<h2 id="summary">Summary</h2>', metrics_section(run),
        '<h2 id="timecourse">Time course</h2>',
        figure(timecourse_png, "Mean levels over time. Dashed lines: sessions. Shaded: when "
               "redness (24-72 h) and swelling (1-2 days) resolve in the clinic; triangles: "
               "when they resolve in the model (metrics.json). 1 = healthy dermis level."),
        '<h2 id="profile">Collagen versus depth</h2>',
        figure(profile_png, "Collagen change relative to before treatment at several times, "
               "averaged over the tile; dotted lines: layer boundaries."),
        '<h2 id="fields">Pictures of the tissue</h2>',
    ]
    if images:
        body.append("<p>Vertical sections through the needle tracks (depth downwards, the "
                    "skin surface at the top) with the layer boundaries; colour scales are "
                    "fixed over time, so pictures at different times compare.</p>")
        body.append(field_gallery(run, images))
    else:
        body.append("<p>Not rendered (scripts/report --no-render); "
                    "scripts/render-fields makes them.</p>")
    if movie is not None:
        body.append("<h3>Movie: every output time</h3>"
                    f'<video controls src="{data_uri(movie)}"></video>')
    body += ['<h2 id="protocol">Protocol</h2>', protocol_section(run),
             '<h2 id="manifest">How the run was made</h2>', manifest_section(run)]
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}: microheal report</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    path = Path(out_dir) / "report.html"
    path.write_text(page, encoding="utf-8")
    wrote(path)
    return path
