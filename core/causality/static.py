"""The static-limit integral f(0) - f_inf = (2/pi) int_0^inf Im f(w)/w dw (Westerberg & Barnett
2025, eq 7; eq 10 for mu), split by the sign of Im f."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from core.causality.conventions import (
    MIN_POINTS,
    TAIL_FLOOR,
    TAIL_MODELS,
    FloatArray,
    TailModel,
)
from core.causality.grids import _check_literal, check_grid
from core.causality.tails import TailFit, fit_tail
from core.errors import InvalidInput
from core.passivity import negative_intervals

# ---------------------------------------------------------------------------------------------
# Static-limit integral (eqs 7 and 10) and sum rules
# ---------------------------------------------------------------------------------------------


def _with_origin(w: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Prepend (0, 0) when the grid starts above 0 (odd data, linear to the origin)."""
    if w[0] > 0:
        return np.concatenate([[0.0], w]), np.concatenate([[0.0], y])
    return w, y


def _split_at_roots(
    w: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Sub-segments (a, b, ya, yb) of the piecewise-linear y, split where y changes sign."""
    a, b, ya, yb = w[:-1], w[1:], y[:-1], y[1:]
    cross = (ya * yb) < 0
    r = np.where(cross, a - ya * (b - a) / np.where(cross, yb - ya, 1.0), b)
    a2 = np.concatenate([a, r[cross]])
    b2 = np.concatenate([np.where(cross, r, b), b[cross]])
    ya2 = np.concatenate([ya, np.zeros(int(cross.sum()))])
    yb2 = np.concatenate([np.where(cross, 0.0, yb), yb[cross]])
    order = np.argsort(a2, kind="stable")
    return a2[order], b2[order], ya2[order], yb2[order]


def _int_y_over_w(a: FloatArray, b: FloatArray, ya: FloatArray, yb: FloatArray) -> FloatArray:
    """Exact int_a^b y(w)/w dw for linear y (a >= 0; y(0) = 0 when a = 0)."""
    h = b - a
    beta = (yb - ya) / np.where(h > 0, h, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.where(a > 0, np.log1p(h / np.where(a > 0, a, 1.0)), 0.0)
    c0 = ya - beta * a  # zero when a = 0 (y(0) = 0)
    return np.where(h > 0, beta * h + c0 * lg, 0.0)


@dataclass(frozen=True)
class NegativeBand:
    """A frequency band where the interpolated Im f < 0 and its share of the static integral."""

    lo: float
    hi: float
    contribution: float


@dataclass(frozen=True)
class StaticLimitIntegral:
    """(2/pi) int_0^inf Im f(w)/w dw (eq 7; eq 10 for f = mu), split by the sign of Im f.

    ``value = positive + negative + tail``; ``positive``/``negative`` are the contributions of the
    tabulated range where Im f > 0 / < 0, ``tail`` the tail model's (signed), ``bands`` the
    negative bands of the data with their contributions (summing to ``negative``).
    Dimensionless.
    """

    value: float
    positive: float
    negative: float
    tail: float
    truncation_estimate: float
    discretisation_estimate: float
    bands: tuple[NegativeBand, ...]
    tail_fit: TailFit

    @property
    def error_estimate(self) -> float:
        return self.truncation_estimate + self.discretisation_estimate


def _static_parts(
    w: FloatArray, y: FloatArray
) -> tuple[float, float, FloatArray, FloatArray, FloatArray]:
    x, yy = _with_origin(w, y)
    a, b, ya, yb = _split_at_roots(x, yy)
    contrib = (2.0 / np.pi) * _int_y_over_w(a, b, ya, yb)
    mid = 0.5 * (ya + yb)
    pos = float(contrib[mid > 0].sum())
    neg = float(contrib[mid < 0].sum())
    return pos, neg, contrib, a, mid


def static_limit_integral(
    w: ArrayLike,
    im: ArrayLike,
    *,
    tail: TailModel = "fit",
    f: Callable[[float], float] | None = None,
    error_estimate: bool = True,
    max_points: int | None = None,
    field_prefix: tuple[str | int, ...] = (),
    values_name: str = "imag",
) -> StaticLimitIntegral:
    """The static limit f(0) - f_inf = (2/pi) int_0^inf Im f(w')/w' dw' (eq 7; eq 10 for mu).

    Parameters
    ----------
    w : (N,) float
        Frequencies, strictly increasing, >= 0 (any linear unit: the integral is scale free).
    im : (N,) float
        Im f on ``w``. The grid is extended linearly to Im f(0) = 0 when w_0 > 0.
    tail : {"fit", "none"}
        Continuation beyond w_max, Im f ~ c1 (W/w) + c3 (W/w)^3 (see :func:`fit_tail`),
        contributing (2/pi) (c1 + c3/3).
    f : callable, optional
        Im f at any frequency, used only to refine the edges of the negative bands.

    Returns
    -------
    StaticLimitIntegral

    Notes
    -----
    The integral of the piecewise-linear interpolant is exact: on [a, b],
    int (y_a + beta (w - a)) / w dw = beta (b - a) + (y_a - beta a) ln(b / a). Segments are split
    at the interpolant's zeros so that the positive and negative parts are separated exactly.
    A diamagnet (f(0) - f_inf < 0, eqs 2 and 8) needs ``negative`` to outweigh the rest (eq 7).
    """
    _check_literal(tail, TAIL_MODELS, "tail")
    wv, (yv,) = check_grid(w, (values_name, im), field_prefix=field_prefix, max_points=max_points)
    if wv[0] == 0.0 and yv[0] != 0.0:
        raise InvalidInput(
            f"Im f(0) = {yv[0]} but the reality condition makes Im f(0) = 0",
            field=(*field_prefix, values_name, 0),
            fix="set the imaginary part at w = 0 to 0, or drop the w = 0 row",
        )
    pos, neg, contrib, a_sub, mid = _static_parts(wv, yv)
    tfit = fit_tail(wv, yv, "odd", model=tail)
    t_val = (2.0 / np.pi) * sum(c / p for p, c in zip(tfit.powers, tfit.coeffs, strict=True))
    # Other continuations through the last point: fit on the upper half, 1/w alone, 1/w^3 alone.
    fit_model = tfit if tail == "fit" else fit_tail(wv, yv, "odd")
    t_fit = (2.0 / np.pi) * sum(
        c / p for p, c in zip(fit_model.powers, fit_model.coeffs, strict=True)
    )
    alt = fit_tail(wv, yv, "odd", lower=0.5)
    t_alts = [
        (2.0 / np.pi) * sum(c / p for p, c in zip(alt.powers, alt.coeffs, strict=True)),
        (2.0 / np.pi) * float(yv[-1]),
        (2.0 / np.pi) * float(yv[-1]) / 3.0,
    ]
    trunc = max(max(abs(t - t_fit) for t in t_alts), TAIL_FLOOR * abs(t_fit))
    if tail == "none":
        trunc += abs(t_fit)
    disc = 0.0
    if error_estimate and wv.shape[0] >= 2 * MIN_POINTS:
        idx = np.arange(0, wv.shape[0], 2)
        if idx[-1] != wv.shape[0] - 1:
            idx = np.append(idx, wv.shape[0] - 1)
        pc, nc, _, _, _ = _static_parts(wv[idx], yv[idx])
        disc = abs((pc + nc) - (pos + neg)) / 3.0
    bands = []
    for lo, hi in negative_intervals(wv, yv, f):
        sel = (mid < 0) & (a_sub >= lo - 1e-12 * max(abs(lo), 1.0)) & (a_sub < hi)
        bands.append(NegativeBand(lo, hi, float(contrib[sel].sum())))
    # Sub-segments whose start lies just below a refined edge: give any remainder to the nearest band.
    if bands:
        rest = neg - sum(bd.contribution for bd in bands)
        if rest != 0.0:
            k = int(np.argmax([abs(bd.contribution) for bd in bands]))
            bd = bands[k]
            bands[k] = NegativeBand(bd.lo, bd.hi, bd.contribution + rest)
    return StaticLimitIntegral(
        value=pos + neg + t_val,
        positive=pos,
        negative=neg,
        tail=t_val,
        truncation_estimate=trunc,
        discretisation_estimate=disc,
        bands=tuple(bands),
        tail_fit=tfit,
    )
