"""The figures of one run drawn with matplotlib: the time-course panel and the collagen depth
profile (scripts/plot-run; also used by scripts/report and scripts/gallery)."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mh_run import InputError, format_hours, snap_times, default_times, wrote  # noqa: E402

# Clinical expectations after a session (docs/model.md, "The biology in words"; the tuning
# targets of the model): redness lasts 24-72 h, swelling 1-2 days.
REDNESS_WINDOW_H = (24.0, 72.0)
SWELLING_WINDOW_H = (24.0, 48.0)

REGIONS = ["papillary_dermis", "reticular_dermis", "viable_epidermis", "stratum_corneum",
           "hypodermis", "block", "track"]
COLLAGEN_REGIONS = ["papillary", "dermis"]

# Figure sizes in inches at the default 100 dpi: the PNGs are 1200 x 950 and 1000 x 650 pixels.
TIMECOURSE_SIZE = (12.0, 9.5)
PROFILE_SIZE = (10.0, 6.5)
DEFAULT_DPI = 100

COLOURS = {
    "neutrophils": "#d62728", "macrophages": "#9467bd", "cytokine": "#ff7f0e",
    "fibroblasts": "#2ca02c", "new": "#1f77b4", "mature": "#8c564b", "total": "#111111",
    "redness": "#e34a33", "swelling": "#3182bd",
}


def time_axis(run, unit):
    """('h' or 'd', divisor) for the time axis: auto picks days beyond 3 days."""
    if unit == "auto":
        unit = "d" if run.end_h > 72.0 else "h"
    return unit, (24.0 if unit == "d" else 1.0)


def mark_sessions(axes, sessions_h, scale, label_axes=None):
    for i, start in enumerate(sessions_h):
        for ax in axes:
            ax.axvline(start / scale, color="0.35", linestyle="--", linewidth=1.0, zorder=1)
        if label_axes is not None:
            label_axes.annotate(f"session {i + 1}", xy=(start / scale, 1.0),
                                xycoords=("data", "axes fraction"), xytext=(3, -3),
                                textcoords="offset points", ha="left", va="top", fontsize=8,
                                color="0.25")


def timecourse(run, out_dir, region="papillary_dermis", collagen_region="papillary",
               time_unit="auto", formats=("png", "svg"), dpi=DEFAULT_DPI):
    """The time-course panel. Returns the files written."""
    table = run.timeseries()
    cells = ["neutrophils", "macrophages", "cytokine", "fibroblasts"]
    collagen = [f"{collagen_region}.new_collagen", f"{collagen_region}.mature_collagen_change",
                f"{collagen_region}.collagen_gain"]
    needed = ["time_h"] + [f"{region}.{c}" for c in cells] + collagen + \
        ["redness_index", "swelling_index"]
    missing = [n for n in needed if not table.has(n)]
    if missing:
        raise InputError(table.missing_message(missing))
    if table.rows == 0:
        raise InputError(f"{table.path}: no rows yet (the run has written no output time)")
    unit, scale = time_axis(run, time_unit)
    t = table.column("time_h") / scale
    sessions = run.session_times_h()
    metrics = run.metrics()
    pretty_region = region.replace("_", " ")

    fig, axs = plt.subplots(2, 2, figsize=TIMECOURSE_SIZE, constrained_layout=True)
    (a, b), (c, d) = axs
    title = run.scenario.get("description") or run.dir.name
    fig.suptitle(f"{title}\nTime course after needling", fontsize=12)

    def draw(ax, name, label, colour, style="-"):
        ax.plot(t, table.column(name), style, color=colour, label=label, linewidth=1.8,
                marker="o" if table.rows <= 40 else None, markersize=3, zorder=3)

    for cell, label in (("neutrophils", "neutrophils"), ("macrophages", "macrophages"),
                        ("cytokine", "cytokine (TNF-α/IL-1)")):
        draw(a, f"{region}.{cell}", label, COLOURS[cell])
    a.set_title(f"Inflammation: mean over the {pretty_region}", fontsize=10)
    a.set_ylabel(f"level [{table.unit(f'{region}.neutrophils') or '1'}]"
                 "  (1 = healthy dermis)")

    draw(b, f"{region}.fibroblasts", "fibroblasts", COLOURS["fibroblasts"])
    b.axhline(1.0, color="0.5", linewidth=0.8, linestyle=":", label="healthy level")
    b.set_title(f"Repair: fibroblasts, mean over the {pretty_region}", fontsize=10)
    b.set_ylabel(f"fibroblasts [{table.unit(f'{region}.fibroblasts') or '1'}]"
                 "  (1 = healthy dermis)")

    for name, label, colour in zip(collagen, ["new collagen", "mature collagen (change)",
                                              "total collagen gain"],
                                   [COLOURS["new"], COLOURS["mature"], COLOURS["total"]]):
        draw(c, name, label, colour)
    c.axhline(0.0, color="0.5", linewidth=0.8)
    where = "papillary dermis" if collagen_region == "papillary" else "whole dermis"
    c.set_title(f"Collagen in the {where}, relative to before treatment", fontsize=10)
    c.set_ylabel(f"change [{table.unit(collagen[2]) or '%'} of baseline]")

    for i, start in enumerate(sessions):
        d.axvspan((start + REDNESS_WINDOW_H[0]) / scale, (start + REDNESS_WINDOW_H[1]) / scale,
                  color=COLOURS["redness"], alpha=0.12, linewidth=0,
                  label="clinical: redness resolves 24–72 h" if i == 0 else None, zorder=0)
        d.axvspan((start + SWELLING_WINDOW_H[0]) / scale, (start + SWELLING_WINDOW_H[1]) / scale,
                  facecolor="none", edgecolor=COLOURS["swelling"], hatch="///", alpha=0.45,
                  linewidth=0, zorder=0,
                  label="clinical: swelling resolves in 1–2 days" if i == 0 else None)
    draw(d, "redness_index", "redness (model, left axis)", COLOURS["redness"])
    # Swelling is an order of magnitude smaller than redness: its own axis on the right.
    d2 = d.twinx()
    draw(d2, "swelling_index", "swelling (model, right axis)", COLOURS["swelling"])
    d2.set_ylabel(f"swelling index [{table.unit('swelling_index') or '1'}]",
                  color=COLOURS["swelling"])
    d2.tick_params(axis="y", colors=COLOURS["swelling"])
    d2.set_ylim(bottom=0.0)
    d.set_ylim(bottom=0.0)
    if metrics and isinstance(metrics.get("sessions"), list):
        first = True
        for entry, start in zip(metrics["sessions"], sessions):
            for key, colour in (("redness_resolved_h", COLOURS["redness"]),
                                ("swelling_resolved_h", COLOURS["swelling"])):
                value = entry.get(key)
                if isinstance(value, (int, float)):
                    d.plot([(start + value) / scale], [0.0], marker="v", color=colour,
                           markersize=8, clip_on=False, zorder=4, linestyle="none",
                           label="model: resolved (metrics.json)" if first else None)
                    first = False
    d.set_title("Redness and swelling of the treated area", fontsize=10)
    d.set_ylabel(f"redness index [{table.unit('redness_index') or '1'}]",
                 color=COLOURS["redness"])
    d.tick_params(axis="y", colors=COLOURS["redness"])

    for ax in (a, b, c, d):
        ax.grid(True, color="0.9", linewidth=0.6)
        ax.set_xlim(t.min(), max(t.max(), t.min() + 1e-9))
    # Legends under each panel, where they hide no curve.
    for ax in (a, b, c):
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles, labels, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1),
                  ncol=3, frameon=False)
    handles, labels = d.get_legend_handles_labels()
    more_handles, more_labels = d2.get_legend_handles_labels()
    d2.legend(handles + more_handles, labels + more_labels, fontsize=8, loc="upper center",
              bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    for ax in (a, b, c, d):
        ax.set_xlabel(f"time since day 0 [{unit}]", fontsize=9)
    mark_sessions([a, b, c, d], sessions, scale, label_axes=a)
    return save(fig, out_dir / "timecourse", formats, dpi)


def profile_times(run, table, wanted):
    available = sorted(set(table.column("time_h").tolist()))
    if wanted is None:
        return default_times(run, available, count=6)
    return snap_times(wanted, available, what="--times")


def collagen_profile(run, out_dir, times=None, formats=("png", "svg"), dpi=DEFAULT_DPI):
    """Collagen gain versus depth at chosen times (h). Returns the files written."""
    table = run.profile()
    if table.rows == 0:
        raise InputError(f"{table.path}: no rows yet (the run has written no output time)")
    chosen = profile_times(run, table, times)
    time = table.column("time_h")
    depth = table.column("depth_mm")
    new = table.column("new_collagen")
    mature = table.column("mature_collagen")
    base = table.column("baseline_collagen")

    fig, (a, b, key) = plt.subplots(1, 3, figsize=PROFILE_SIZE, constrained_layout=True,
                                    gridspec_kw={"width_ratios": [1.0, 1.0, 0.42]})
    b.sharey(a)
    title = run.scenario.get("description") or run.dir.name
    fig.suptitle(f"{title}\nCollagen versus depth (mean over the tile)", fontsize=12)
    cmap = plt.get_cmap("viridis")
    for i, when in enumerate(chosen):
        rows = np.isclose(time, when)
        order = np.argsort(depth[rows])
        z = depth[rows][order]
        baseline = base[rows][order]
        valid = baseline > 1e-12  # the epidermis has no collagen: no relative value there
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(valid, ((new[rows] + mature[rows])[order] / baseline - 1.0) * 100.0,
                            np.nan)
            fresh = np.where(valid, new[rows][order] / baseline * 100.0, np.nan)
        colour = cmap(i / max(1, len(chosen) - 1) * 0.9)
        label = run.short_time_label(when)
        a.plot(gain, z, color=colour, label=label, linewidth=1.8, marker="o", markersize=2.5)
        b.plot(fresh, z, color=colour, label=label, linewidth=1.8, marker="o", markersize=2.5)
    unit = table.unit("new_collagen") or "1"
    a.set_xlabel("total collagen change [% of baseline]")
    b.set_xlabel("new (type-III-rich) collagen [% of baseline]")
    a.set_ylabel(f"depth below the surface [{table.unit('depth_mm') or 'mm'}]")
    a.set_title("Collagen gain (new + mature)", fontsize=10)
    b.set_title(f"New collagen (field unit {unit}, shown relative to baseline)", fontsize=10)
    a.axvline(0.0, color="0.5", linewidth=0.8)
    a.invert_yaxis()
    a.set_ylim(run.depth_mm, 0.0)
    for ax in (a, b):
        ax.grid(True, color="0.9", linewidth=0.6)
        draw_layers(ax, run.label_layers())
    b.tick_params(labelleft=False)
    handles, labels = a.get_legend_handles_labels()
    key.axis("off")
    key.legend(handles, labels, loc="center left", fontsize=8, title="time",
               title_fontsize=9, frameon=False)
    return save(fig, out_dir / "collagen_profile", formats, dpi)


def draw_layers(ax, layers):
    """Layer boundaries as dotted lines with the layer names at the right edge."""
    for name, top, bottom in layers:
        if top > 0:
            ax.axhline(top, color="0.45", linewidth=0.8, linestyle=":", zorder=1)
        ax.annotate(name, xy=(1.0, (top + bottom) / 2), xycoords=("axes fraction", "data"),
                    xytext=(-4, 0), textcoords="offset points", ha="right", va="center",
                    fontsize=7, color="0.35", zorder=1)


def save(fig, stem, formats, dpi):
    written = []
    for fmt in formats:
        path = stem.parent / f"{stem.name}.{fmt}"
        fig.savefig(path, dpi=dpi, format=fmt)
        wrote(path)
        written.append(path)
    plt.close(fig)
    return written


def parse_formats(text):
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        raise InputError(f"--format: {', '.join(bad) or 'nothing'} not supported "
                         "(expected png, svg or pdf, comma-separated)")
    return formats


def check_choice(value, choices, option):
    if value not in choices:
        raise InputError(f"{option}: '{value}' is not one of {', '.join(choices)}")
    return value


def hours_label(hours):
    return format_hours(hours) if math.isfinite(hours) else "end"
