"""Tabulated grids: validation (:func:`check_grid`), uniformity and the resonance grid.

Frequencies are in any linear unit, strictly increasing and >= 0 (the reality condition
f(-w) = f(w)* supplies w < 0, Westerberg & Barnett 2025, assumption II).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from core.causality.conventions import MIN_POINTS, UNIFORM_RTOL, FloatArray
from core.errors import InvalidInput, LimitExceeded

# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def check_grid(
    w: ArrayLike,
    *values: tuple[str, ArrayLike],
    field_prefix: tuple[str | int, ...] = (),
    min_points: int = MIN_POINTS,
    max_points: int | None = None,
    freq_name: str = "frequencies",
) -> tuple[FloatArray, list[FloatArray]]:
    """Validate a tabulated spectrum: sorted, distinct, finite, >= 0, matching lengths.

    Parameters
    ----------
    w : (N,) float
        Frequencies, strictly increasing, w >= 0.
    values : (name, (N,) float) pairs
        The tabulated columns; ``name`` is the field name used in error paths.
    max_points : int, optional
        The limit ``max_kk_points``; more points raise :class:`LimitExceeded`.

    Returns
    -------
    The frequencies and the columns as float64 arrays (copies).

    Raises
    ------
    InvalidInput
        Naming the problem and the offending index.
    """
    wv = np.array(w, dtype=np.float64, ndmin=1)
    fw = (*field_prefix, freq_name)
    if wv.ndim != 1:
        raise InvalidInput("frequencies must be a one-dimensional list", field=fw)
    n = wv.shape[0]
    if max_points is not None and n > max_points:
        raise LimitExceeded(
            f"{n} tabulated points exceed the limit of {max_points}",
            limit_name="max_kk_points",
            limit=max_points,
            requested=n,
            field=fw,
            fix=f"send at most {max_points} points (resample the spectrum)",
        )
    if n < min_points:
        raise InvalidInput(
            f"too few points: {n} given, at least {min_points} needed",
            field=fw,
            fix=f"tabulate the spectrum on at least {min_points} frequencies",
        )
    bad = ~np.isfinite(wv)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(f"frequency {i} is not finite ({wv[i]})", field=(*fw, i))
    if wv[0] < 0:
        raise InvalidInput(
            f"frequencies must be >= 0 (got {wv[0]}); the reality condition supplies w < 0",
            field=(*fw, 0),
            fix="send only the non-negative half of the spectrum",
        )
    dw = np.diff(wv)
    if np.any(dw == 0):
        i = int(np.argmax(dw == 0)) + 1
        raise InvalidInput(
            f"duplicate frequency {wv[i]} at index {i}",
            field=(*fw, i),
            fix="remove or average the repeated rows",
        )
    if np.any(dw < 0):
        i = int(np.argmax(dw < 0)) + 1
        raise InvalidInput(
            f"frequencies are not sorted: index {i} ({wv[i]}) is below index {i - 1} ({wv[i - 1]})",
            field=(*fw, i),
            fix="sort the rows by increasing frequency",
        )
    out = []
    for name, v in values:
        arr = np.array(v, dtype=np.float64, ndmin=1)
        fv = (*field_prefix, name)
        if arr.ndim != 1 or arr.shape[0] != n:
            raise InvalidInput(
                f"'{name}' has {arr.size} values but there are {n} frequencies",
                field=fv,
                fix="give one value per frequency",
            )
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidInput(f"{name}[{i}] is not finite ({arr[i]})", field=(*fv, i))
        out.append(arr)
    return wv, out


def _check_literal(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise InvalidInput(
            f"{name} must be one of {', '.join(allowed)} (got {value!r})", field=(name,)
        )


def is_uniform(w: FloatArray, rtol: float = UNIFORM_RTOL) -> bool:
    """True when w_k = w_0 + k h to within ``rtol * (w_max - w_0)``."""
    n = w.shape[0]
    if n < 3:
        return True
    span = w[-1] - w[0]
    lattice = w[0] + span * np.arange(n) / (n - 1)
    return bool(np.max(np.abs(w - lattice)) <= rtol * span)


def resonance_grid(
    omega: ArrayLike,
    gamma: ArrayLike,
    *,
    extra: ArrayLike | None = None,
    decades_below: float = 3.0,
    decades_above: float = 3.0,
    background: int = 8000,
    half_width: float = 30.0,
    per_width: float = 16.0,
) -> FloatArray:
    """A non-uniform grid that resolves every line: log background plus a dense window per line.

    Parameters
    ----------
    omega, gamma : (M,) float
        Line centres and widths (gamma > 0), same unit.
    extra : (K,) float, optional
        Points that must be nodes (e.g. the user's grid); negative values are ignored.
    decades_below, decades_above : float
        The background spans [min(omega) 10^-below, max(omega, extra) 10^above].
    background : int
        Log-spaced background points.
    half_width, per_width : float
        Each line gets a uniform window w_e +- half_width gamma_e with per_width points per gamma.

    Returns
    -------
    (N,) float, sorted, distinct, starting at 0.
    """
    om = np.asarray(omega, dtype=np.float64).reshape(-1)
    gm = np.asarray(gamma, dtype=np.float64).reshape(-1)
    top = float(om.max())
    pts = [np.array([0.0])]
    if extra is not None:
        ex = np.asarray(extra, dtype=np.float64).reshape(-1)
        ex = ex[np.isfinite(ex) & (ex >= 0)]
        if ex.size:
            top = max(top, float(ex.max()))
            pts.append(ex)
    lo = float(om.min()) * 10.0 ** (-decades_below)
    pts.append(np.geomspace(lo, top * 10.0**decades_above, background))
    for w0, g in zip(om, gm, strict=True):
        k = int(np.ceil(2.0 * half_width * per_width)) + 1
        win = np.linspace(w0 - half_width * g, w0 + half_width * g, k)
        pts.append(win[win > 0])
    grid = np.unique(np.concatenate(pts))
    # Merge points closer than a relative 1e-12 (they would make degenerate segments).
    keep = np.concatenate([[True], np.diff(grid) > 1e-12 * np.maximum(grid[1:], 1e-300)])
    return grid[keep]
