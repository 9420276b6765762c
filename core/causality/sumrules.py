"""Sum rules of tabulated spectra: the f-sum (Thomas-Reiche-Kuhn) rule
int_0^inf w Im eps(w) dw = (pi/2) w_p^2 (Landau & Lifshitz, sec. 123)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from core.causality.conventions import MIN_POINTS, TAIL_FLOOR, FloatArray
from core.causality.grids import check_grid
from core.causality.static import _with_origin
from core.causality.tails import fit_tail


@dataclass(frozen=True)
class SumRule:
    """A sum rule: numerical value, the expected value (None when unknown) and the estimates."""

    name: str
    value: float
    expected: float | None
    tail: float
    truncation_estimate: float
    discretisation_estimate: float
    unit: str
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def error_estimate(self) -> float:
        return self.truncation_estimate + self.discretisation_estimate

    @property
    def residual(self) -> float | None:
        return None if self.expected is None else self.value - self.expected


def _int_w_y(w: FloatArray, y: FloatArray) -> float:
    """Exact int w y(w) dw of the piecewise-linear y over the grid."""
    a, b, ya, yb = w[:-1], w[1:], y[:-1], y[1:]
    beta = (yb - ya) / (b - a)
    c0 = ya - beta * a
    return float(np.sum(c0 * (b * b - a * a) / 2.0 + beta * (b**3 - a**3) / 3.0))


def f_sum_rule(
    w: ArrayLike,
    im_eps: ArrayLike,
    *,
    plasma_frequency: float | None = None,
    error_estimate: bool = True,
    max_points: int | None = None,
    field_prefix: tuple[str | int, ...] = (),
    values_name: str = "imag",
) -> SumRule:
    """The f-sum (Thomas-Reiche-Kuhn) rule int_0^inf w Im eps(w) dw = (pi/2) w_p^2.

    Parameters
    ----------
    w : (N,) float
        Frequencies in a linear unit [w].
    im_eps : (N,) float
        Im eps on ``w``.
    plasma_frequency : float, optional
        w_p in the unit of ``w`` (w_p^2 = rho q^2 / (eps0 m), summed over all electrons); gives
        ``expected`` = (pi/2) w_p^2.

    Returns
    -------
    SumRule
        ``value`` and ``expected`` in [w]^2; ``extra['effective_plasma_frequency']`` =
        sqrt(2 value / pi) in [w]; ``extra['tail_1_over_w']`` the fitted 1/w part of the tail at
        w_max (a response whose Im eps decays like 1/w has a divergent f-sum).

    Notes
    -----
    Follows from eps(w) - 1 -> -w_p^2 / w^2 at high frequency and eq 6 (Landau-Lifshitz sec. 123).
    The tail beyond w_max uses Im eps ~ c3 (W/w)^3 + c5 (W/w)^5 (the Lorentz asymptote) and
    contributes W^2 (c3 + c5 / 3).
    """
    wv, (yv,) = check_grid(
        w, (values_name, im_eps), field_prefix=field_prefix, max_points=max_points
    )
    x, yy = _with_origin(wv, yv)
    val = _int_w_y(x, yy)
    W = float(wv[-1])
    tfit = fit_tail(wv, yv, "odd", powers=(3, 5))
    t_val = W * W * sum(c / (p - 2) for p, c in zip(tfit.powers, tfit.coeffs, strict=True))
    alt = fit_tail(wv, yv, "odd", powers=(3, 5), lower=0.5)
    yn = float(yv[-1])
    t_alts = [
        W * W * sum(c / (p - 2) for p, c in zip(alt.powers, alt.coeffs, strict=True)),
        W * W * yn,  # 1/w^3 alone through the last point
        W * W * yn / 3.0,  # 1/w^5 alone
    ]
    trunc = max(max(abs(t - t_val) for t in t_alts), TAIL_FLOOR * abs(t_val))
    slow = fit_tail(wv, yv, "odd", powers=(1, 3))
    c1 = float(slow.coeffs[0]) if len(slow.coeffs) == 2 else float(yv[-1])
    note = ""
    if abs(c1) > 0.1 * max(abs(float(yv[-1])), 1e-300) and abs(c1) > 0:
        note = (
            "Im eps decays like 1/w near w_max: the f-sum integral does not converge there; "
            "extend the spectrum to higher frequency"
        )
        trunc = max(trunc, abs(c1) * W * W)
    disc = 0.0
    if error_estimate and wv.shape[0] >= 2 * MIN_POINTS:
        idx = np.arange(0, wv.shape[0], 2)
        if idx[-1] != wv.shape[0] - 1:
            idx = np.append(idx, wv.shape[0] - 1)
        xc, yc = _with_origin(wv[idx], yv[idx])
        disc = abs(_int_w_y(xc, yc) - val) / 3.0
    total = val + t_val
    expected = None if plasma_frequency is None else 0.5 * np.pi * float(plasma_frequency) ** 2
    return SumRule(
        name="f-sum",
        value=total,
        expected=expected,
        tail=t_val,
        truncation_estimate=trunc,
        discretisation_estimate=disc,
        unit="[w]^2",
        note=note,
        extra={
            "effective_plasma_frequency": float(np.sqrt(max(2.0 * total / np.pi, 0.0))),
            "tail_1_over_w": c1,
        },
    )
