"""Passivity: where the imaginary part of a response is negative, and the one passivity check.

Conventions: fields vary as exp(-i w t), so an absorbing (passive) medium has Im eps >= 0. In the
conventional eps-mu description a passive medium also has Im mu >= 0. Westerberg & Barnett (2025,
sec. IV.A and eq 25) show that Im mu < 0 is allowed, and is how diamagnetism and causality agree,
as long as a wave is still absorbed. The one statement this module judges:

    passive  <=>  Im eps >= 0  and  (Im mu >= 0  or  a >= 0),
    a = sign(Re mu) Im(eps mu)   where Re(eps mu) > 0 (a propagating band),
    a = Im(eps mu)               where Re(eps mu) <= 0 (a stop band).

Why: with Im mu < 0 the medium is absorbing only if the wave that carries energy forward
(Re(n / mu) > 0) decays, Im n > 0. In a propagating band that wave has sign(Re n) = sign(Re mu)
and Im(n^2) = 2 Re n Im n, so Im n > 0 is sign(Re mu) Im(eps mu) > 0: Westerberg & Barnett's
Im(eps mu) > 0 where Re mu > 0, with the sign turned in a left-handed band (a left-handed medium
with Im mu < 0 amplifies although Im(eps mu) > 0). In a stop band the wave is evanescent and the
criterion is Westerberg & Barnett's Im(eps mu) > 0 as printed. A medium with Im eps >= 0 and
Im mu >= 0 is passive whatever the signs of the real parts: Cho's eps = -1 with Im mu > 0
absorbs although Im(eps mu) = -Im mu < 0. The indicator g = min(Im eps, max(Im mu, a))
(:func:`passivity_indicator`) is negative exactly where the statement fails. On the Fig. 2a medium
of Westerberg & Barnett (Re mu > 0 throughout) it gives the same intervals as Im(eps mu) alone on
every grid tried (tests/core/test_checks.py). This module imports no domain module, so every
domain (oscillator, emitters, causality, optics, chiral) judges passivity with the same
:data:`PASSIVITY` statement.

References
----------
N. Westerberg and S. M. Barnett, "Is there a conflict between causality and diamagnetism?" (2025),
arXiv:2501.13098 (:data:`core.references.WESTERBERG_BARNETT`); K. Cho (2007),
arXiv:cond-mat/0611235 (:data:`core.references.CHO`), sec. 3.4 on left-handed media.
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
    equation="Im eps >= 0 and (Im mu >= 0 or a >= 0) at every frequency, a = sign(Re mu) "
    "Im(eps mu) where Re(eps mu) > 0 and Im(eps mu) elsewhere: Im mu < 0 is allowed where the wave "
    "is still absorbed (Westerberg & Barnett 2025, sec. IV.A and eq 25: Im(eps mu) > 0 where "
    "Re mu > 0); value = min of g = min(Im eps, max(Im mu, a)), or of Im(eps mu) where only eps mu "
    "is known",
    explanation="Where the check fails the medium amplifies a wave instead of absorbing it: a "
    "passive medium of emitters in their ground state cannot do that, so the model (or the "
    "multipole expansion behind it) does not hold there.",
    tolerance=0.0,
    warning="gain on {n_intervals} interval(s) (min {value:.4g} at {at_frequency:.6g}): the "
    "medium amplifies a wave there, so it is not passive ({scope}).",
)


def passivity_indicator(eps: ArrayLike, mu: ArrayLike) -> FloatArray:
    """g = min(Im eps, max(Im mu, a)), a = sign(Re mu) Im(eps mu) where Re(eps mu) > 0, else
    Im(eps mu): negative exactly where :data:`PASSIVITY` fails (module docstring).

    ``eps`` and ``mu`` complex, any shape (broadcast); returns a float array of that shape.
    """
    e = np.asarray(eps, dtype=np.complex128)
    m = np.asarray(mu, dtype=np.complex128)
    em = e * m
    a = np.where(em.real > 0, np.sign(m.real) * em.imag, em.imag)
    out: FloatArray = np.minimum(e.imag, np.maximum(m.imag, a))
    return out


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
    im_eps_mu: ArrayLike | None = None,
    *,
    eps: ArrayLike | None = None,
    mu: ArrayLike | None = None,
    refine: Callable[[float], float] | None = None,
    to_output: Callable[[FloatArray], FloatArray] | None = None,
    scope: str = "sampled on the frequency grid",
    tol: float = 0.0,
) -> Check:
    """The :data:`PASSIVITY` check sampled on ``w``.

    Parameters
    ----------
    w : (N,) float
        Frequencies in the medium's unit (any order; sorted here).
    im_eps_mu : (N,) float, optional
        Im(eps mu) on ``w``, for data that holds only the product (e.g. n^2 of a chiral channel);
        then the check judges Im(eps mu) >= 0 alone.
    eps, mu : (N,) or (M, N) complex, optional
        eps and mu on ``w`` (M media: the worst of them at each frequency). Give them wherever
        they are known (instead of ``im_eps_mu``): the check then judges the full statement
        through :func:`passivity_indicator`.
    refine
        The judged function (the indicator with ``eps``/``mu``, else Im(eps mu)) at any
        frequency, to locate interval edges by root finding.
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
        ``value`` = min of the judged function; ``details``: ``at_frequency``, ``non_passive_intervals``
        (``[{"start", "stop"}]``), ``n_intervals``, ``scope``.
    """
    wv = np.asarray(w, dtype=np.float64).reshape(-1)
    if eps is not None and mu is not None and im_eps_mu is None:
        g = passivity_indicator(eps, mu)
        y = g.reshape(-1, wv.shape[0]).min(axis=0)  # several media: the worst at each frequency
    elif im_eps_mu is not None and eps is None and mu is None:
        y = np.asarray(im_eps_mu, dtype=np.float64).reshape(-1)
    else:
        raise ValueError("give eps and mu, or im_eps_mu alone")
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
