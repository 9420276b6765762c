"""Passivity: where the imaginary part of a response is negative, and the one passivity check.

Conventions: fields vary as exp(-i w t), so an absorbing (passive) medium has Im eps > 0 and a
propagating wave is absorbed when Im(eps mu) > 0. Im mu < 0 alone is allowed: it is the
resolution of the apparent conflict between causality and diamagnetism in Westerberg & Barnett
(2025), sec. IV.A and eq 25. This module imports no domain module, so every domain (oscillator,
emitters, causality, optics) can judge passivity with the same :data:`PASSIVITY` statement.

References
----------
N. Westerberg and S. M. Barnett, "Is there a conflict between causality and diamagnetism?" (2025),
arXiv:2501.13098 (:data:`core.references.WESTERBERG_BARNETT`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from core.checks import Check, CheckSpec

FloatArray = NDArray[np.float64]

#: The passivity statement. On a sampled grid a failing verdict is proof (a negative value was
#: found) but a passing one is not (a narrow gain interval can fall between two points): the
#: verdict is indicative; ``details.scope`` says what was sampled.
PASSIVITY: Final = CheckSpec(
    name="passive",
    kind="indicative",
    equation="Im(eps mu) > 0 at every frequency (Westerberg & Barnett 2025, sec. IV.A and eq 25); "
    "Im mu < 0 is allowed where Im(eps mu) stays positive",
    explanation="Where Im(eps mu) < 0 the medium amplifies a propagating wave instead of absorbing "
    "it: a passive medium of emitters in their ground state cannot do that, so the model (or the "
    "multipole expansion behind it) does not hold there.",
    tolerance=0.0,
    warning="Im(eps mu) < 0 on {n_intervals} interval(s) (min {value:.4g} at {at_frequency:.6g}): "
    "the medium amplifies a propagating wave there, so it is not passive ({scope}).",
)


def negative_intervals(
    w: FloatArray, values: FloatArray, f: Callable[[float], float] | None = None
) -> list[tuple[float, float]]:
    """Intervals of the grid where ``values`` < 0, edges refined by root finding.

    Parameters
    ----------
    w : (N,) float, sorted ascending
    values : (N,) float, the function sampled on ``w``
    f : callable float -> float, optional
        The same function at any frequency; each edge strictly inside the grid is refined with
        Brent's method between the two grid points that bracket the sign change (to ~1e-13
        relative), so edges are located far better than the grid spacing. Without ``f`` the
        edge is linearly interpolated.

    An interval that touches an end of the grid keeps that grid end as its edge.
    """
    neg = np.asarray(values) < 0
    if not neg.any():
        return []

    def edge(i: int) -> float:
        a, b = float(w[i]), float(w[i + 1])
        if f is not None:
            fa, fb = f(a), f(b)
            if fa == 0.0:
                return a
            if fb == 0.0:
                return b
            if np.sign(fa) != np.sign(fb):
                return float(brentq(f, a, b, xtol=1e-300, rtol=1e-15, maxiter=200))
        va, vb = float(values[i]), float(values[i + 1])
        return a + (b - a) * va / (va - vb)

    out: list[tuple[float, float]] = []
    lo: float | None = float(w[0]) if neg[0] else None
    for i in np.flatnonzero(neg[1:] != neg[:-1]):
        if neg[i + 1]:  # enters a negative interval between w[i] and w[i+1]
            lo = edge(int(i))
        else:
            out.append((lo if lo is not None else float(w[0]), edge(int(i))))
            lo = None
    if lo is not None:
        out.append((lo, float(w[-1])))
    return out


def passivity_check(
    w: ArrayLike,
    im_eps_mu: ArrayLike,
    *,
    refine: Callable[[float], float] | None = None,
    to_output: Callable[[FloatArray], FloatArray] | None = None,
    scope: str = "sampled on the frequency grid",
    tol: float = 0.0,
) -> Check:
    """The :data:`PASSIVITY` check of Im(eps mu) sampled on ``w``.

    Parameters
    ----------
    w : (N,) float
        Frequencies in the medium's unit (any order; sorted here).
    im_eps_mu : (N,) float
        Im(eps mu) on ``w``.
    refine
        Im(eps mu) at any frequency, to locate interval edges by root finding.
    to_output
        Map from the medium's unit to the unit the user reads (interval edges and ``at_frequency``
        are reported in it; a wavelength grid reverses the order, so edges are re-sorted).
    scope
        What was sampled, in words (it goes into ``details`` and the warning).
    tol
        Values >= -tol count as non-negative.

    Returns
    -------
    Check
        ``value`` = min Im(eps mu); ``details``: ``at_frequency``, ``non_passive_intervals``
        (``[{"start", "stop"}]``), ``n_intervals``, ``scope``.
    """
    wv = np.asarray(w, dtype=np.float64).reshape(-1)
    y = np.asarray(im_eps_mu, dtype=np.float64).reshape(-1)
    order = np.argsort(wv, kind="stable")
    ws, ys = wv[order], y[order]
    ivs = negative_intervals(ws, ys + tol, None if refine is None else (lambda x: refine(x) + tol))
    i = int(np.argmin(ys))
    back = to_output if to_output is not None else (lambda x: x)
    return PASSIVITY.judge(
        not ivs,
        float(ys[i]),
        tolerance=tol,
        at_frequency=float(back(np.array([ws[i]]))[0]),
        non_passive_intervals=intervals_in(ivs, back),
        n_intervals=len(ivs),
        scope=scope,
    )


def intervals_in(
    ivs: list[tuple[float, float]], to_output: Callable[[FloatArray], FloatArray]
) -> list[dict[str, float]]:
    """Intervals as ``[{"start", "stop"}]`` in the output unit, each sorted (wavelengths reverse)."""
    out = []
    for lo, hi in ivs:
        a, b = to_output(np.array([lo, hi]))
        a, b = sorted((float(a), float(b)))
        out.append({"start": a, "stop": b})
    return out
