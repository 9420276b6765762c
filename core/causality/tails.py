"""The tail model beyond the last tabulated frequency and its Kramers-Kronig transform.

Odd data (Im f) continue as c1 (W/w) + c3 (W/w)^3, even data (Re f - f_inf) as
c2 (W/w)^2 + c4 (W/w)^4: the asymptotic series of a function with the reality condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from core.causality.conventions import FIT_MAX_POINTS, FloatArray

# ---------------------------------------------------------------------------------------------
# Tail model beyond w_max
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TailFit:
    """A tail y(w) = sum_j coeffs[j] (W / w)^powers[j] for w > W, continuous at W.

    ``window`` is the frequency range the coefficients were fitted on.
    """

    model: str
    powers: tuple[int, ...]
    coeffs: tuple[float, ...]
    w_max: float
    window: tuple[float, float]

    def __call__(self, w: ArrayLike) -> FloatArray:
        wv = np.asarray(w, dtype=np.float64)
        out = np.zeros_like(wv)
        for p, c in zip(self.powers, self.coeffs, strict=True):
            out = out + c * (self.w_max / wv) ** p
        return out


def fit_tail(
    w: FloatArray,
    y: FloatArray,
    parity: Literal["odd", "even"],
    *,
    lower: float = 0.75,
    powers: tuple[int, int] | None = None,
    model: str = "fit",
) -> TailFit:
    """Fit y ~ c1 (W/w)^p1 + c2 (W/w)^p2 on w >= lower * W, constrained to y(W) = y_N.

    Parameters
    ----------
    w, y : (N,) float
        The tabulated data.
    parity : {"odd", "even"}
        Odd data (Im f) uses p = (1, 3); even data (Re f - f_inf) uses p = (2, 4): the
        asymptotic series of a function with the reality condition.
    lower : float
        The fit window is [lower * W, W] (default: the top quarter, which tested better than the
        top half when the data end close to a line); with fewer than 3 points in it, only the leading power
        is kept (a pure power law through the last point).

    Notes
    -----
    With the constraint, y_tail = y_N u^p1 + a (u^p2 - u^p1), u = W/w, and ``a`` is the least
    squares solution over the window.
    """
    wmax = float(w[-1])
    yn = float(y[-1])
    if powers is None:
        powers = (1, 3) if parity == "odd" else (2, 4)
    p1, p2 = powers
    sel = w >= lower * wmax
    if model == "none":
        return TailFit("none", (p1,), (0.0,), wmax, (wmax, wmax))
    if np.count_nonzero(sel) < 3:
        return TailFit(model, (p1,), (yn,), wmax, (float(w[sel][0]) if sel.any() else wmax, wmax))
    idx = np.flatnonzero(sel)
    if idx.shape[0] > FIT_MAX_POINTS:  # an even subsample keeps the fit cheap on huge grids
        idx = idx[np.linspace(0, idx.shape[0] - 1, FIT_MAX_POINTS).astype(np.int64)]
    u = wmax / w[idx]
    basis = u**p2 - u**p1
    rhs = y[idx] - yn * u**p1
    den = float(basis @ basis)
    a = float(basis @ rhs) / den if den > 0 else 0.0
    return TailFit(model, (p1, p2), (yn - a, a), wmax, (float(w[sel][0]), wmax))


def _g_integrals(w: FloatArray, wmax: float, mmax: int) -> FloatArray:
    """G_m(w) = P int_W^inf w'^(-2m) / (w'^2 - w^2) dw' for m = 0..mmax, shape (mmax+1, N).

    ``w`` must be sorted ascending, within [0, W].

    Series sum_k w^2k / ((2k + 2m + 1) W^(2k+2m+1)) for w < W/4; closed form
    G_0 = ln|(W + w)/(W - w)| / (2w) and G_m = (G_{m-1} - 1/((2m-1) W^(2m-1))) / w^2 above. At
    w = W the divergent ln|W - w| is dropped, matching the data part (see module Notes).
    """
    out = np.empty((mmax + 1, w.shape[0]))
    # w is sorted: the series region is a prefix (slices, not masks: this runs on 1e6 points).
    j = int(np.searchsorted(w, 0.25 * wmax))
    small = slice(0, j)
    big = slice(j, None)
    # Below W/4: the series for the highest m (Horner, 16 terms reach 16^-16), then the stable
    # downward recurrence G_{m-1} = w^2 G_m + 1 / ((2m - 1) W^(2m-1)).
    z2 = (w[small] / wmax) ** 2
    acc = np.zeros_like(z2)
    for k in range(15, -1, -1):
        acc *= z2
        acc += 1.0 / (2 * k + 2 * mmax + 1)
    g = acc / wmax ** (2 * mmax + 1)
    out[mmax, small] = g
    w2s = w[small] ** 2
    for m in range(mmax, 0, -1):
        g = w2s * g + 1.0 / ((2 * m - 1) * wmax ** (2 * m - 1))
        out[m - 1, small] = g
    # Above: G_0 in closed form and the upward recurrence (loses at most ~3 digits at W/4).
    wb = w[big]
    den = np.abs(wmax - wb)
    ratio = (wmax + wb) / np.where(den == 0, 1.0, den)
    lg = np.log(ratio)
    at_top = den == 0
    if at_top.any():
        lg[at_top] = np.log(wmax + wb[at_top])  # ln|W - w| dropped at w = W
    g = lg / (2.0 * wb)
    out[0, big] = g
    for m in range(1, mmax + 1):
        g = (g - 1.0 / ((2 * m - 1) * wmax ** (2 * m - 1))) / wb**2
        out[m, big] = g
    return out


def _tail_transform(
    tail: TailFit, w: FloatArray, direction: str, g: FloatArray | None = None
) -> FloatArray:
    """Contribution of the tail beyond W to the transform at ``w`` (same factors as the data).

    ``g`` may pass precomputed :func:`_g_integrals` of the *scaled* grid, ``_g_integrals(w / W,
    1.0, 2)``. Everything is evaluated in u = w / W: the tail coefficients are dimensionless
    (y = sum c (W/w)^p), so a c W^p G_m(w; W) = c G_m(w/W; 1) and no power of W is ever formed;
    the transform is then scale-free (a grid in units of 1e-70 or 1e70 gives the same numbers).
    """
    if tail.model == "none":
        return np.zeros_like(w)
    mmax = max(tail.powers) // 2
    u = w / tail.w_max
    if g is None or g.shape[0] <= mmax:
        g = _g_integrals(u, 1.0, mmax)
    # At w = W the divergent ln|W - w| is dropped; in the scaled variable that drops ln|1 - u|,
    # i.e. ln W more than in absolute units. Put it back (every row: it enters G_0 as
    # ln W / (2W) and the recurrence carries it as ln W / (2 W^(2m+1))), so the finite part at the
    # grid end matches the data part's, which keeps its ln h in absolute units.
    end = np.flatnonzero(u == 1.0)
    if end.size:
        g = g.copy()
        g[:, end] += 0.5 * np.log(tail.w_max)
    out = np.zeros_like(w)
    for p, c in zip(tail.powers, tail.coeffs, strict=True):
        if direction == "re_from_im":  # (2/pi) int w' c (W/w')^p / (w'^2 - w^2), p odd
            out += (2.0 / np.pi) * c * g[(p - 1) // 2]
        else:  # -(2w/pi) int c (W/w')^p / (w'^2 - w^2), p even
            out += -(2.0 / np.pi) * u * c * g[p // 2]
    return out
