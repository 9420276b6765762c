"""Figures of an answer as PNG or SVG, drawn server-side from ``meta.figures`` (core/figures.py).

:func:`render` takes the stored answer (``meta`` and the decoded data) and draws each of its
figure specs as one panel: axis labels with units, a legend, real parts solid and imaginary parts
dashed, log axes where the spec says so, the k-path vertices as labelled ticks, a k-space map as a
colour plot, and the failed checks written under the panels. It builds its own
:class:`matplotlib.figure.Figure` on the Agg (PNG) or SVG canvas and never touches pyplot's
global state, so it is safe in the worker threads it runs in (never on the event loop).

Sizes are bounded: always :data:`WIDTH_PX` x :data:`HEIGHT_PX` at :data:`DPI`, at most
:data:`MAX_PANELS` panels and :data:`MAX_POINTS` points per curve (longer curves are thinned by
a stride), and maps are rasterised inside the SVG.
"""

from __future__ import annotations

import io
import itertools
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import MaxNLocator
from matplotlib.tri import Triangulation
from numpy.typing import NDArray

from core.figures import lookup, parse_name

ImageFormat = Literal["png", "svg"]

WIDTH_PX: Final = 900
HEIGHT_PX: Final = 600
DPI: Final = 100
MAX_PANELS: Final = 4
MAX_POINTS: Final = 20_000
MAX_NOTE_LINES: Final = 4

MEDIA_TYPES: Final[dict[str, str]] = {"png": "image/png", "svg": "image/svg+xml"}

_LINESTYLE: Final = {"real": "-", "value": "-", "imag": "--"}


def _as_array(value: Any) -> NDArray[Any]:
    """A JSON array (``{real, imag}`` for complex; ``None`` for a non-finite entry) as numpy."""
    if isinstance(value, Mapping) and set(value) == {"real", "imag"}:
        re_ = np.asarray(_nan(value["real"]), dtype=np.float64)
        im_ = np.asarray(_nan(value["imag"]), dtype=np.float64)
        return re_ + 1j * im_
    if value is None:
        return np.array([np.nan])
    return np.asarray(_nan(value), dtype=np.float64)


def _nan(value: Any) -> Any:
    if isinstance(value, list):
        return [_nan(v) for v in value]
    return np.nan if value is None else value


def values_of(data: Mapping[str, Any], name: str, part: str = "value") -> NDArray[np.float64]:
    """The real values a figure draws for ``name`` (:func:`core.figures.parse_name`): the chosen
    column of a 2-D array, and of a complex array its real or imaginary part. A real array drawn
    as ``imag`` is already an imaginary part (e.g. ``chi_imag``)."""
    _, col = parse_name(name)
    a = _as_array(lookup(data, name))
    if col is not None:
        a = a[:, col] if a.ndim == 2 else a
    if np.iscomplexobj(a):
        a = a.imag if part == "imag" else a.real
    return np.asarray(a, dtype=np.float64)


def _label(text: str, unit: str) -> str:
    return text if unit in ("", "1") else f"{text} [{unit}]"


def _segments(x: NDArray[np.float64]) -> list[slice]:
    """Runs of ``x`` between resets (a second sweep stacked in the same arrays, e.g. the rows of
    each angle of a reflectance answer): each is drawn as its own curve."""
    if x.size < 3:
        return [slice(0, x.size)]
    d = np.diff(x)
    sign = np.sign(np.median(d[d != 0])) if np.any(d != 0) else 1.0
    breaks = np.flatnonzero(np.sign(d) == -sign) + 1
    edges = [0, *breaks.tolist(), x.size]
    return [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _segment_names(
    data: Mapping[str, Any], meta: Mapping[str, Any], fig: Mapping[str, Any], segs: list[slice]
) -> list[str]:
    """A label per run: the top-level array that is constant on each run and differs between
    runs (``angles = 45 deg``), else the run's number."""
    if len(segs) < 2:
        return [""]
    drawn = {fig["x"]["name"], *(t["name"] for t in fig["traces"])}
    n = segs[-1].stop
    arrays = meta.get("arrays", {})
    for name, info in arrays.items():
        if name in drawn or not isinstance(data.get(name), list) or len(data[name]) != n:
            continue
        try:
            a = np.asarray(data[name], dtype=np.float64)
        except (TypeError, ValueError):
            continue
        firsts = [a[s][0] for s in segs]
        if all(np.all(a[s] == a[s][0]) for s in segs) and len(set(firsts)) == len(segs):
            unit = info.get("unit", "")
            u = "" if unit in ("", "1") else f" {unit}"
            return [f"{name} = {v:g}{u}" for v in firsts]
    return [f"sweep {i + 1}" for i in range(len(segs))]


def _thin(idx: slice, n_max: int = MAX_POINTS) -> slice:
    step = max(1, math.ceil((idx.stop - idx.start) / n_max))
    return slice(idx.start, idx.stop, step)


def _draw_lines(
    ax: Axes, fig: Mapping[str, Any], data: Mapping[str, Any], meta: Mapping[str, Any]
) -> None:
    x = values_of(data, fig["x"]["name"])
    segs = _segments(x) if fig["kind"] != "dispersion" else [slice(0, x.size)]
    seg_names = _segment_names(data, meta, fig, segs)
    colours: dict[tuple[str, int], str] = {}  # Re and Im of one array share a colour
    same_part: dict[str, int] = {}
    for t in fig["traces"]:
        y = values_of(data, t["name"], t["part"])
        style = _LINESTYLE.get(t["part"], "-")
        # curves of the same part drawn over each other (a model and its Kramers-Kronig
        # transform): each later one thinner, so both stay visible where they agree
        k = same_part[t["part"]] = same_part.get(t["part"], -1) + 1
        lw = max(1.0, 2.4 - 0.6 * k)
        for j, (seg, seg_name) in enumerate(zip(segs, seg_names, strict=True)):
            colour = colours.setdefault((t["name"], j), f"C{len(colours) % 10}")
            sl = _thin(seg)
            label = t["label"] if not seg_name else f"{t['label']}, {seg_name}"
            ys = y[sl]
            if ys.ndim == 2:  # one curve per column (dispersion branches, bands as one array)
                ax.plot(x[sl], ys, style, color=colour, lw=1.2)
                ax.plot([], [], style, color=colour, lw=1.2, label=label)
            else:
                ax.plot(x[sl], ys, style, color=colour, lw=lw, label=label)
    if fig["ticks"]:
        pos = [float(p) for p, _ in fig["ticks"]]
        ax.set_xticks(pos, [str(lab) for _, lab in fig["ticks"]])
        for p in pos:
            ax.axvline(p, color="0.75", lw=0.8, zorder=0)
        ax.set_xlim(min(pos), max(pos))
    _legend(ax)


def _legend(ax: Axes) -> None:
    handles, _labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7, ncols=2 if len(handles) > 6 else 1, framealpha=0.85)


def _draw_map(ax: Axes, fig: Mapping[str, Any], data: Mapping[str, Any], canvas: MplFigure) -> None:
    x = values_of(data, fig["x"]["name"])
    y = values_of(data, fig["y"]["name"])
    z = values_of(data, fig["z"]["name"], fig["z"]["part"])
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    x, y, z = x[ok], y[ok], z[ok]
    lim = float(np.max(np.abs(z))) if z.size else 1.0
    lim = lim if lim > 0 else 1.0
    # symmetric-log colours: a curvature peaked at a near-closed gap still shows its sign pattern
    typical = float(np.median(np.abs(z))) if z.size else 0.0
    norm = SymLogNorm(linthresh=max(typical, lim * 1e-6), vmin=-lim, vmax=lim)
    art: Any
    try:
        if x.size < 3:
            raise ValueError("fewer than 3 points")
        tri = Triangulation(x, y)
        art = ax.tripcolor(tri, z, shading="gouraud", cmap="RdBu_r", norm=norm)
    except (ValueError, RuntimeError):
        # too few or collinear points (a 1 x n grid): no triangulation, so draw the points
        art = ax.scatter(x, y, c=z, cmap="RdBu_r", norm=norm, s=40)
        if x.size == 0:
            ax.text(0.5, 0.5, "no finite values to draw", ha="center", transform=ax.transAxes)
    art.set_rasterized(True)
    ax.set_aspect("equal", adjustable="box")
    bar = canvas.colorbar(art, ax=ax, shrink=0.9)
    bar.set_label(fig["z"]["label"])


def _draw_scalars(ax: Axes, fig: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    """A ``sweep`` figure of one answer: its scalars as bars with their values."""
    labels, vals = [], []
    for t in fig["traces"]:
        try:
            v = values_of(data, t["name"], t["part"]).reshape(-1)
        except KeyError:
            continue
        labels.append(t["label"])
        vals.append(float(v[0]) if v.size else math.nan)
    pos = np.arange(len(vals))
    bars = ax.bar(pos, np.nan_to_num(vals), color=[f"C{i}" for i in range(len(vals))])
    ax.bar_label(bars, labels=[f"{v:.4g}" for v in vals], fontsize=8)
    ax.set_xticks(pos, labels)
    ax.axhline(0.0, color="0.3", lw=0.8)


def _draw_panel(
    ax: Axes,
    fig: Mapping[str, Any],
    data: Mapping[str, Any],
    meta: Mapping[str, Any],
    canvas: MplFigure,
) -> None:
    ax.set_title(fig["title"], fontsize=9)
    ax.grid(True, lw=0.4, alpha=0.5)
    if fig["kind"] == "map":
        _draw_map(ax, fig, data, canvas)
        ax.set_xlabel(_label(fig["x"]["label"], fig["x"]["unit"]))
        ax.set_ylabel(_label(fig["y"]["label"], fig["y"]["unit"]))
        return
    if fig["kind"] == "sweep" and not fig["x"]["name"]:
        _draw_scalars(ax, fig, data)
        ax.set_ylabel(_label(fig["y_label"], fig["y_unit"]))
        return
    _draw_lines(ax, fig, data, meta)
    if not fig["ticks"] and fig["x"].get("scale") != "log":
        ax.xaxis.set_major_locator(MaxNLocator(6))
    if fig["kind"] == "sweep":
        for line in ax.get_lines():
            line.set_marker("o")
            line.set_markersize(4)
    ax.set_xlabel(_label(fig["x"]["label"], fig["x"]["unit"]))
    ax.set_ylabel(_label(fig["y_label"], fig["y_unit"]))
    if fig["x"].get("scale") == "log":
        ax.set_xscale("log")
    if fig.get("y_scale") == "log":
        ax.set_yscale("log")


def failed_check_notes(meta: Mapping[str, Any]) -> list[str]:
    """One line per failed check of the answer: its name and its warning (the reason)."""
    out = []
    for name, c in meta.get("checks", {}).items():
        if isinstance(c, Mapping) and c.get("verdict") is False:
            why = c.get("warning") or c.get("equation") or ""
            out.append(f"✗ {name}: {why}" if why else f"✗ {name}")
    return out


def render(meta: Mapping[str, Any], data: Mapping[str, Any], fmt: ImageFormat) -> bytes:
    """The answer's figures (``meta.figures``) as one PNG or SVG image.

    Parameters
    ----------
    meta
        The answer's ``meta`` (figures, checks, arrays, model).
    data
        The answer's data (the JSON body less ``meta``): the arrays the figures name.
    fmt
        ``"png"`` or ``"svg"``.

    Returns
    -------
    bytes
        The image, :data:`WIDTH_PX` x :data:`HEIGHT_PX` pixels at :data:`DPI`.
    """
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"image format {fmt!r} not in {tuple(MEDIA_TYPES)}")
    figs: Sequence[Mapping[str, Any]] = list(meta.get("figures") or [])[:MAX_PANELS]
    canvas = MplFigure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    if fmt == "png":
        FigureCanvasAgg(canvas)
    else:
        FigureCanvasSVG(canvas)
    notes = failed_check_notes(meta)
    wrapped: list[str] = []
    for n in notes:
        lines = textwrap.wrap(n, 150, subsequent_indent="    ")
        if len(lines) > 2:  # the whole reason is in meta.warnings and the CSV '#' lines
            lines = [lines[0], lines[1][:146].rstrip() + " ..."]
        wrapped.extend(lines)
    if len(wrapped) > MAX_NOTE_LINES:
        wrapped = [*wrapped[: MAX_NOTE_LINES - 1], f"... {len(notes)} failed checks in all"]
    bottom = 0.035 * len(wrapped) + (0.01 if wrapped else 0.0)
    engine = canvas.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0.0, bottom, 1.0, 1.0 - bottom))  # type: ignore[call-arg]
    title = str(meta.get("title") or meta.get("model") or "")
    if title:
        canvas.suptitle(title, fontsize=10)
    if not figs:
        ax = canvas.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "this answer has no figure", ha="center", va="center")
    else:
        ncols = 1 if len(figs) == 1 else 2
        nrows = math.ceil(len(figs) / ncols)
        for i, f in enumerate(figs):
            ax = canvas.add_subplot(nrows, ncols, i + 1)
            _draw_panel(ax, f, data, meta, canvas)
    if wrapped:
        canvas.text(0.01, 0.005, "\n".join(wrapped), fontsize=7, color="#a00000", va="bottom")
    buf = io.BytesIO()
    # SVG text is drawn as paths (the same glyphs everywhere, no font on the client); each
    # text's string stays in the file as a comment, and the title as <title>
    metadata = {"Title": title.replace("\n", " - ")} if fmt == "svg" else {}
    canvas.savefig(buf, format=fmt, dpi=DPI, metadata=metadata)
    return buf.getvalue()


def encode_png(meta: dict[str, Any], data: dict[str, Any]) -> tuple[bytes | str, str]:
    """app/formats.py encoder for ``?format=png``."""
    return render(meta, data, "png"), MEDIA_TYPES["png"]


def encode_svg(meta: dict[str, Any], data: dict[str, Any]) -> tuple[bytes | str, str]:
    """app/formats.py encoder for ``?format=svg``."""
    return render(meta, data, "svg"), MEDIA_TYPES["svg"]


# ------------------------------------------------------------------------------------------------
# A preset's figure: one answer, or the scalars of several bodies against the swept field
# ------------------------------------------------------------------------------------------------

#: Units of the swept fields that are not energies (tight-binding parameters are energies in the
#: model's ``energy_unit``, its hopping phases are radians and ``a`` is a length).
_FIELD_UNITS: Final[dict[str, str]] = {"phi": "rad", "phase": "rad"}


def _leaves(body: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted path -> scalar of a JSON body (list entries indexed ``path.i``)."""
    if isinstance(body, Mapping):
        out: dict[str, Any] = {}
        for k, v in body.items():
            out.update(_leaves(v, f"{prefix}{k}."))
        return out
    if isinstance(body, list):
        out = {}
        for i, v in enumerate(body):
            out.update(_leaves(v, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: body}


def swept_field(bodies: Sequence[Mapping[str, Any]]) -> tuple[str, list[float], str]:
    """The numeric field that varies between the bodies of a sweep: its dotted path, its values
    in body order and its unit (the enclosing object's ``energy_unit`` for an energy).

    Raises
    ------
    ValueError
        When no numeric field varies.
    """
    leaves = [_leaves(b) for b in bodies]
    for path in leaves[0]:
        vals = [lf.get(path) for lf in leaves]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            continue
        if len(set(vals)) > 1:
            parent_path, _, key = path.rpartition(".")
            parent: Any = bodies[0]
            for k in parent_path.split(".") if parent_path else []:
                parent = parent[int(k)] if isinstance(parent, list) else parent[k]
            unit = _FIELD_UNITS.get(key, "")
            if not unit and key != "a" and isinstance(parent, Mapping):
                unit = str(parent.get("energy_unit", ""))
            return path, [float(v) for v in vals], unit  # type: ignore[arg-type]
    raise ValueError("no numeric field varies between the bodies")


def _set_path(data: dict[str, Any], name: str, value: Any) -> None:
    path, _ = parse_name(name)
    d = data
    for k in path[:-1]:
        d = d.setdefault(k, {})
    d[path[-1]] = value


def preset_figure(
    title: str,
    source: str,
    bodies: Sequence[Mapping[str, Any]],
    answers: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``(meta, data)`` :func:`render` draws for a preset.

    One answer is drawn as it is. Several (a sweep) become one ``sweep`` panel per sweep figure
    of the answers: each trace's scalar (``chi_1.total``) of every answer against the field that
    varies between the bodies (:func:`swept_field`), and the failed checks of every point, named
    with the point's value.
    """
    first = answers[0]
    meta = dict(first["meta"])
    meta["title"] = f"{title}\n{source}"
    if len(answers) == 1:
        return meta, {k: v for k, v in first.items() if k != "meta"}
    path, xs, unit = swept_field(bodies)
    figs = [f for f in meta.get("figures", []) if f["kind"] == "sweep"]
    data: dict[str, Any] = {"sweep": {"x": xs}}
    for f in figs:
        for t in f["traces"]:
            vals = []
            for a in answers:
                try:
                    v = values_of(a, t["name"], t["part"]).reshape(-1)
                    vals.append(float(v[0]) if v.size else None)
                except (KeyError, TypeError, ValueError):
                    vals.append(None)
            _set_path(data, t["name"], vals)
    axis = {"name": "sweep.x", "label": path, "unit": unit, "scale": "linear"}
    meta["figures"] = [{**f, "x": axis, "title": f"{f['title']} against {path}"} for f in figs]
    checks: dict[str, Any] = {}
    for x, a in zip(xs, answers, strict=True):
        for name, c in a["meta"].get("checks", {}).items():
            if isinstance(c, Mapping) and c.get("verdict") is False:
                checks[f"{name} at {path} = {x:g}"] = c
    meta["checks"] = checks
    return meta, data
