"""Where Im eps, Im mu and Im(eps mu) are negative on a grid: the data behind a passivity
judgement. The judgement itself is :data:`core.passivity.PASSIVITY` (one statement for every
domain); this module only locates the signs (Westerberg & Barnett 2025, sec. IV.A, eq 25)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from core.causality.conventions import FloatArray
from core.passivity import negative_intervals

# ---------------------------------------------------------------------------------------------
# Passivity
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignReport:
    """Where the imaginary part of one quantity is negative on the grid."""

    quantity: str
    min_imag: float
    at: float
    negative_intervals: tuple[tuple[float, float], ...]
    negative_fraction: float


@dataclass(frozen=True)
class PassivityReport:
    """Signs of Im eps, Im mu and Im(eps mu) on a grid (section IV.A, eq 25): numbers only. The
    passivity verdict is the one statement of :mod:`core.passivity`."""

    reports: dict[str, SignReport]
    tol: float


def _sign_report(name: str, w: FloatArray, im: FloatArray, tol: float) -> SignReport:
    i = int(np.argmin(im))
    neg = im < -tol
    ints = negative_intervals(w, im + tol) if neg.any() else []
    return SignReport(
        quantity=name,
        min_imag=float(im[i]),
        at=float(w[i]),
        negative_intervals=tuple(ints),
        negative_fraction=float(np.count_nonzero(neg)) / float(w.shape[0]),
    )


def passivity_report(
    w: ArrayLike,
    epsilon: ArrayLike | None = None,
    mu: ArrayLike | None = None,
    *,
    tol: float = 0.0,
) -> PassivityReport:
    """Where Im eps, Im mu and Im(eps mu) are negative.

    Parameters
    ----------
    w : (N,) float
        Frequencies, sorted.
    epsilon, mu : (N,) complex, optional
        The responses on ``w``; Im(eps mu) is reported when both are given.
    tol : float
        Values >= -tol count as non-negative (rounding, measurement noise).
    """
    wv = np.asarray(w, dtype=np.float64)
    reps: dict[str, SignReport] = {}
    eps = None if epsilon is None else np.asarray(epsilon, dtype=np.complex128)
    muv = None if mu is None else np.asarray(mu, dtype=np.complex128)
    if eps is not None:
        reps["epsilon"] = _sign_report("epsilon", wv, eps.imag, tol)
    if muv is not None:
        reps["mu"] = _sign_report("mu", wv, muv.imag, tol)
    if eps is not None and muv is not None:
        reps["eps_mu"] = _sign_report("eps_mu", wv, (eps * muv).imag, tol)
    return PassivityReport(reports=reps, tol=tol)
