"""Reading a sweep directory and drawing its figures (scripts/plot-sweep).

The layout this reads (`microheal sweep ... -o SWEEP_DIR`, issue 5; `scripts/plot-sweep --help`
says the same):

  SWEEP_DIR/summary.csv      one row per case. The header names every column, optionally with a
                             unit as 'name [unit]'. Columns:
                               - axis columns: the scenario keys the sweep varies, spelled as in
                                 a scenario ('needle.length_mm', 'protocol.interval_days',
                                 'model.k_d', 'tissue.site'): a column whose first dotted part is
                                 a scenario table (tissue, domain, needle, protocol, output,
                                 numerics, model); numbers or text (categories);
                               - metric columns: every other numeric column
                                 ('collagen_gain_papillary.total_pct', 'redness_resolved_h', ...);
                                 an empty cell is a value not reached (left out of means);
                               - ignored: 'index', 'id'/'case'/'case_id', 'status' (only rows with
                                 ok/complete/done/success, or no status column, are used),
                                 'wall*' (wall time), 'error', 'dir'/'path'/'output'.
  SWEEP_DIR/sweep.toml       optional: the sweep; its [[axis]] tables' 'key' give the axes in
                             order (sweep.json {"axes": [...]} is read too). Without it (and
                             without --axes) the axes are the scenario-key columns that vary.
  SWEEP_DIR/analysis/*sobol*.csv
                             optional Sobol indices, one row per metric and axis: 'metric' (or
                             taken from a file name sobol_<metric>.csv), 'axis' (or
                             'parameter'/'key'/'input'/'factor'), 'S1', 'ST', and optionally
                             confidence bounds 'S1_low'/'S1_high', 'ST_low'/'ST_high' or
                             half-widths 'S1_conf'/'ST_conf'.
"""

import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mh_run import InputError, Table, read_json, to_float, wrote  # noqa: E402

SCENARIO_TABLES = {"tissue", "domain", "needle", "protocol", "output", "numerics", "model"}
OK_STATUS = {"", "ok", "complete", "completed", "done", "success", "succeeded"}
NON_METRIC = {"case", "case_id", "id", "index", "status", "dir", "path", "output", "seed",
              "error", "message", "rank", "host", "groups", "bootstrap"}
HEADLINE = ["collagen_gain_papillary.total_pct", "redness_resolved_h", "scar_index_pct",
            "neutrophil_peak_h", "swelling_resolved_h"]
MAX_LEVELS = 12   # without sweep.toml: more distinct values (or under 3 cases a value): binned
MAX_BINS = 6

HEATMAP_SIZE = (8.0, 6.5)     # inches at 100 dpi: 800 x 650 px
RESPONSE_HEIGHT = 4.25        # per row of panels; 5.5 in wide per panel, two per row
SOBOL_WIDTH = 7.0


def normalise(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def read_toml(path):
    try:
        import tomllib  # Python 3.11 (Debian 12)
    except ImportError:  # pragma: no cover - older Pythons
        return {}
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, OSError) as err:
        raise InputError(f"{path}: not a readable TOML sweep file ({err})") from err


class Axis:
    """One axis over the used cases: the cell of each case (an integer) and the labels of the
    cells: the distinct values of a discrete or text axis, or value ranges of a binned one."""

    def __init__(self, sweep, name, discrete=None):
        """discrete: True/False from the sweep file (values or a counted linspace: True; a
        linspace drawn from, as Latin hypercube and Sobol designs do: False), None: guess."""
        self.name = name
        raw = [v.strip() for v in np.array(sweep.table.text(name), dtype=object)[sweep.ok]]
        numbers = np.array([to_float(v) for v in raw])
        self.numeric = bool(np.isfinite(numbers).all())
        self.values = numbers
        if not self.numeric:
            categories = sorted(set(raw))
            self.cell = np.array([categories.index(v) for v in raw])
            self.labels = categories
            self.centres = None
            self.binned = False
            return
        distinct = np.unique(numbers)
        cases = len(numbers)
        if discrete is None:
            discrete = len(distinct) <= MAX_LEVELS and 3 * len(distinct) <= max(6, cases)
        if discrete or len(distinct) == 1:
            self.cell = np.searchsorted(distinct, numbers)
            self.labels = [f"{v:.4g}" for v in distinct]
            self.centres = distinct
            self.binned = False
        else:
            bins = int(max(2, min(MAX_BINS, math.sqrt(cases) / 1.2)))
            edges = np.unique(np.quantile(numbers, np.linspace(0, 1, bins + 1)))
            if len(edges) < 2:
                edges = np.array([numbers.min(), numbers.max() + 1e-12])
            self.cell = np.clip(np.searchsorted(edges, numbers, side="right") - 1, 0,
                                len(edges) - 2)
            self.labels = [f"{edges[i]:.3g}–{edges[i + 1]:.3g}" for i in range(len(edges) - 1)]
            self.centres = np.array([(edges[i] + edges[i + 1]) / 2
                                     for i in range(len(edges) - 1)])
            self.binned = True

    @property
    def count(self):
        return len(self.labels)


class Sweep:
    def __init__(self, path):
        self.dir = Path(path)
        expected = ("the output directory of a microheal sweep (SWEEP_DIR/summary.csv with one "
                    "row per case)")
        if not self.dir.exists():
            raise InputError(f"{self.dir}: no such directory (expected {expected})")
        if not self.dir.is_dir():
            raise InputError(f"{self.dir}: not a directory (expected {expected})")
        summary = self.dir / "summary.csv"
        if not summary.is_file():
            hint = ""
            if (self.dir / "manifest.json").is_file():
                hint = "; it looks like a single run: use scripts/plot-run"
            raise InputError(f"{self.dir}: not a microheal sweep: summary.csv is missing "
                             f"(expected {expected}){hint}")
        self.table = Table(summary)
        if self.table.rows == 0:
            raise InputError(f"{summary}: no cases (expected one row per case)")
        status = (self.table.text("status") if self.table.has("status")
                  else [""] * self.table.rows)
        self.ok = np.array([s.strip().lower() in OK_STATUS for s in status])
        self.left_out = int((~self.ok).sum())
        if not self.ok.any():
            raise InputError(f"{summary}: no case has completed (status column: "
                             f"{', '.join(sorted(set(status)))})")
        self.axes_in_use = []
        self._axes = {}

    def numeric(self, name):
        return self.table.column(name)[self.ok]

    def axis(self, name):
        if name not in self._axes:
            self._axes[name] = Axis(self, name, self.axis_hints().get(name))
        return self._axes[name]

    def sweep_file(self):
        path = self.dir / "sweep.toml"
        if not hasattr(self, "_sweep_file"):
            self._sweep_file = read_toml(path) if path.is_file() else {}
        return self._sweep_file

    def axis_hints(self):
        """{key: discrete?} from sweep.toml's [[axis]] tables: 'values' or a linspace with a
        count are levels; a linspace without a count is a continuous range."""
        hints = {}
        for axis in self.sweep_file().get("axis", []) or []:
            if not isinstance(axis, dict) or "key" not in axis:
                continue
            if "values" in axis:
                hints[axis["key"]] = True
            elif isinstance(axis.get("linspace"), dict):
                hints[axis["key"]] = "count" in axis["linspace"]
        return hints

    def scenario_columns(self):
        return [n for n in self.table.names if n.split(".")[0] in SCENARIO_TABLES]

    def declared_axes(self):
        """Axes named by SWEEP_DIR/sweep.toml ([[axis]] key = ...) or sweep.json ("axes")."""
        data = self.sweep_file()
        axes = data.get("axis") or data.get("axes") or []
        names = [a.get("key") for a in axes if isinstance(a, dict)]
        json_path = self.dir / "sweep.json"
        if not names and json_path.is_file():
            data = read_json(json_path, "the sweep's metadata")
            axes = data.get("axes", []) if isinstance(data, dict) else []
            names = [a if isinstance(a, str) else (a.get("key") or a.get("name"))
                     for a in axes if isinstance(a, (str, dict))]
        return [n for n in names if n and self.table.has(n)]

    def axes(self, wanted=None):
        if wanted:
            missing = [a for a in wanted if not self.table.has(a)]
            if missing:
                raise InputError(f"--axes: {', '.join(missing)} not a column of "
                                 f"{self.table.path} (axis columns there: "
                                 f"{', '.join(self.scenario_columns()) or 'none'})")
            return wanted
        declared = self.declared_axes()
        if declared:
            return declared
        varying = [n for n in self.scenario_columns()
                   if len(set(v.strip() for v in np.array(self.table.text(n),
                                                          dtype=object)[self.ok])) > 1]
        if not varying:
            raise InputError(f"{self.table.path}: no axis found: no scenario-key column "
                             "(like needle.length_mm) varies; name them with --axes")
        return varying

    def metrics(self, axes):
        out = []
        for name in self.table.names:
            low = name.lower()
            if name in axes or low in NON_METRIC or low.startswith("wall") or \
                    name.split(".")[0] in SCENARIO_TABLES:
                continue
            if np.isfinite(self.numeric(name)).any():
                out.append(name)
        return out

    def choose_metrics(self, wanted, axes):
        available = self.metrics(axes)
        if wanted:
            missing = [m for m in wanted if m not in available]
            if missing:
                raise InputError(f"--metrics: {', '.join(missing)} not a metric column of "
                                 f"{self.table.path} with values (metrics there: "
                                 f"{', '.join(available) or 'none'})")
            return wanted
        if not available:
            raise InputError(f"{self.table.path}: no metric column with values")
        varying = [m for m in available
                   if np.unique(self.numeric(m)[np.isfinite(self.numeric(m))]).size > 1]
        available = varying or available
        by_norm = {normalise(m): m for m in available}
        chosen = [by_norm[normalise(h)] for h in HEADLINE if normalise(h) in by_norm]
        return chosen[:3] or available[:3]

    def label(self, name):
        unit = self.table.unit(name) if self.table.has(name) else ""
        return f"{name} [{unit}]" if unit else name

    # -- Sobol indices ------------------------------------------------------------------------
    def sobol(self):
        """{metric: {axis: (S1, ST, S1 error (2,), ST error (2,))}} from analysis/*sobol*.csv;
        errors are (below, above) distances, NaN when unknown."""
        folder = self.dir / "analysis"
        if not folder.is_dir():
            return {}
        out = {}
        for path in sorted(folder.glob("*.csv")):
            if "sobol" not in path.name.lower():
                continue
            table = Table(path)
            norm = {normalise(n): n for n in table.names}

            def pick(*options):
                return next((norm[o] for o in options if o in norm), None)

            def column(*options):
                name = pick(*options)
                return table.column(name) if name else np.full(table.rows, np.nan)

            axis_col = pick("axis", "parameter", "key", "input", "factor", "name")
            s1_col = pick("s1", "first_order", "first", "first_order_index")
            st_col = pick("st", "total_order", "total", "total_order_index")
            if axis_col is None or s1_col is None or st_col is None:
                raise InputError(f"{path}: expected columns 'axis', 'S1' and 'ST' (or "
                                 "parameter/first_order/total_order); found "
                                 f"{', '.join(table.names)}")
            metric_col = pick("metric", "output", "quantity")
            default_metric = re.sub(r"^sobol(_indices)?[_-]?", "", path.stem,
                                    flags=re.I) or path.stem
            metrics = table.text(metric_col) if metric_col else [default_metric] * table.rows
            axes = table.text(axis_col)
            s1, st = table.column(s1_col), table.column(st_col)
            s1_low, s1_high = column("s1_low", "first_order_low"), column("s1_high",
                                                                          "first_order_high")
            st_low, st_high = column("st_low", "total_low"), column("st_high", "total_high")
            s1_conf = column("s1_conf", "first_order_conf", "s1_ci")
            st_conf = column("st_conf", "total_order_conf", "st_ci")
            for i in range(table.rows):
                e1 = (s1[i] - s1_low[i], s1_high[i] - s1[i]) if np.isfinite(s1_low[i]) \
                    else (s1_conf[i], s1_conf[i])
                et = (st[i] - st_low[i], st_high[i] - st[i]) if np.isfinite(st_low[i]) \
                    else (st_conf[i], st_conf[i])
                out.setdefault(metrics[i], {})[axes[i]] = (s1[i], st[i], e1, et)
        return out


def heatmap(sweep, metric, x_name, y_name, out_dir, formats, dpi):
    x, y, z = sweep.axis(x_name), sweep.axis(y_name), sweep.numeric(metric)
    total = np.zeros((y.count, x.count))
    count = np.zeros((y.count, x.count))
    for i, j, value in zip(y.cell, x.cell, z):
        if np.isfinite(value):
            total[i, j] += value
            count[i, j] += 1
    with np.errstate(invalid="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("0.88")
    fig, ax = plt.subplots(figsize=HEATMAP_SIZE, constrained_layout=True)
    image = ax.imshow(np.ma.masked_invalid(mean), origin="lower", aspect="auto", cmap=cmap,
                      interpolation="nearest")
    ax.set_xticks(range(x.count), x.labels, rotation=30 if x.binned else 0)
    ax.set_yticks(range(y.count), y.labels)
    for i in range(y.count):
        for j in range(x.count):
            if count[i, j] > 0:
                shade = image.norm(mean[i, j])
                text = f"{mean[i, j]:.3g}" + (f"\n(n={int(count[i, j])})"
                                              if x.binned or y.binned else "")
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="black" if shade > 0.6 else "white")
    others = [a for a in sweep.axes_in_use if a not in (x_name, y_name)]
    notes = []
    if others:
        notes.append(f"mean over {', '.join(others)}")
    if x.binned or y.binned:
        notes.append("continuous axes in quantile bins (n = cases)")
    if not np.isfinite(z).all():
        notes.append("empty: not reached")
    ax.set_title("; ".join(notes), fontsize=9)
    ax.set_xlabel(sweep.label(x_name))
    ax.set_ylabel(sweep.label(y_name))
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(sweep.label(metric))
    fig.suptitle(f"Sweep {sweep.dir.name}: {sweep.label(metric)}", fontsize=12)
    return save(fig, out_dir / f"heatmap_{safe_name(metric)}", formats, dpi)


def response(sweep, metric, axes, out_dir, formats, dpi):
    columns = 1 if len(axes) == 1 else 2
    rows = math.ceil(len(axes) / columns)
    fig, axs = plt.subplots(rows, columns, figsize=(5.5 * columns + 0.5, RESPONSE_HEIGHT * rows),
                            squeeze=False, constrained_layout=True)
    z = sweep.numeric(metric)
    for k, name in enumerate(axes):
        ax = axs[k // columns][k % columns]
        axis = sweep.axis(name)
        positions = axis.centres if axis.numeric else np.arange(axis.count)
        has = np.isfinite(z)
        if axis.binned:
            ax.plot(axis.values[has], z[has], ".", color="0.6", markersize=4, label="cases")
        means = np.array([z[has & (axis.cell == c)].mean() if (has & (axis.cell == c)).any()
                          else np.nan for c in range(axis.count)])
        lows = np.array([z[has & (axis.cell == c)].min() if (has & (axis.cell == c)).any()
                         else np.nan for c in range(axis.count)])
        highs = np.array([z[has & (axis.cell == c)].max() if (has & (axis.cell == c)).any()
                          else np.nan for c in range(axis.count)])
        if not axis.binned:
            ax.fill_between(positions, lows, highs, color="#1f77b4", alpha=0.18,
                            label="range over the other axes")
        ax.plot(positions, means, "o-", color="#1f77b4", linewidth=2,
                label="mean per bin" if axis.binned else "mean")
        if not axis.numeric:
            ax.set_xticks(positions, axis.labels)
        ax.set_xlabel(sweep.label(name))
        ax.set_ylabel(sweep.label(metric))
        ax.grid(True, color="0.9")
        ax.legend(fontsize=8)
    for k in range(len(axes), rows * columns):
        axs[k // columns][k % columns].axis("off")
    fig.suptitle(f"Sweep {sweep.dir.name}: response of {sweep.label(metric)}", fontsize=12)
    return save(fig, out_dir / f"response_{safe_name(metric)}", formats, dpi)


def sobol_bars(sweep, indices, metrics, out_dir, formats, dpi):
    """Bars of S1 and ST per axis, one panel per metric with finite indices. The index axis
    spans [-0.1, 1.1] widened to the values within [-0.5, 1.5]; bars beyond are cut at the edge
    and labelled with their value (small samples give such estimates)."""
    def finite(metric):
        return any(np.isfinite(v[0]) or np.isfinite(v[1]) for v in indices[metric].values())

    shown = [m for m in metrics if m in indices and finite(m)]
    if not shown:
        shown = [m for m in sorted(indices) if finite(m)][:3]
    if not shown:
        print(f"plot-sweep: the Sobol indices in {sweep.dir / 'analysis'} are all empty: "
              "no bar chart")
        return []
    height = max(3.0, sum(1.2 + 0.45 * len(indices[m]) for m in shown))
    height = math.ceil(height * 4) / 4  # a whole number of pixels at any whole dpi
    fig, axs = plt.subplots(len(shown), 1, figsize=(SOBOL_WIDTH, height), squeeze=False,
                            constrained_layout=True)
    for ax, metric in zip(axs[:, 0], shown):
        entries = indices[metric]
        names = list(entries)
        pos = np.arange(len(names))
        values = np.array([[entries[n][0], entries[n][1]] for n in names], dtype=float)
        inside = values[np.isfinite(values) & (values >= -0.5) & (values <= 1.5)]
        low = min(-0.1, inside.min() - 0.05) if inside.size else -0.1
        high = max(1.1, inside.max() + 0.05) if inside.size else 1.1
        for offset, which, colour, label in ((-0.18, 0, "#1f77b4", "first order S1"),
                                             (0.18, 1, "#ff7f0e", "total ST")):
            value = values[:, which]
            errors = np.array([entries[n][2 + which] for n in names], dtype=float).T  # (2, n)
            errors = np.clip(np.nan_to_num(errors), 0, None)
            shown_value = np.clip(np.nan_to_num(value), low, high)
            ax.barh(pos + offset, shown_value, height=0.36, color=colour, label=label,
                    xerr=errors if errors.any() else None, capsize=3,
                    error_kw={"elinewidth": 1})
            for y, v in zip(pos + offset, value):
                if np.isfinite(v) and not low <= v <= high:
                    ax.text(high if v > high else low, y, f" {v:.3g} ", va="center",
                            ha="right" if v > high else "left", fontsize=7, color="black")
        ax.set_yticks(pos, names)
        ax.invert_yaxis()
        ax.set_xlim(low, high)
        ax.axvline(0, color="0.4", linewidth=0.8)
        ax.set_xlabel("Sobol index [1] (share of the metric's variance)")
        ax.set_title(sweep.label(metric), fontsize=10)
        ax.grid(True, axis="x", color="0.9")
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Sweep {sweep.dir.name}: Sobol sensitivity indices", fontsize=12)
    return save(fig, out_dir / "sobol", formats, dpi)


def save(fig, stem, formats, dpi):
    written = []
    for fmt in formats:
        path = stem.parent / f"{stem.name}.{fmt}"
        fig.savefig(path, dpi=dpi, format=fmt)
        wrote(path)
        written.append(path)
    plt.close(fig)
    return written
