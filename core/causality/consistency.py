"""Consistency of tabulated real and imaginary parts: each reconstructed from the other by
Kramers-Kronig (Westerberg & Barnett 2025, eqs 5-6) and compared pointwise with a tolerance that
adds the truncation and discretisation estimates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from core.causality.conventions import FloatArray, Method, TailModel
from core.causality.grids import check_grid
from core.causality.kk import KKResult, kramers_kronig

# ---------------------------------------------------------------------------------------------
# Consistency of measured (or modelled) real and imaginary parts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discrepancy:
    """Pointwise |reconstructed - given| against a tolerance, all arrays shape (N,)."""

    reconstructed: KKResult
    given: FloatArray
    discrepancy: FloatArray
    tolerance: FloatArray
    max_discrepancy: float
    worst_frequency: float
    consistent: bool


@dataclass(frozen=True)
class KKConsistency:
    """Both KK directions for data with real and imaginary parts (eqs 5-6).

    ``scale`` is the response amplitude max(|Re f - f_inf|, |Im f|) that ``rtol`` multiplies;
    the verdict is judged on every point but w_max (where the transform of truncated data has
    its end singularity).
    """

    real: Discrepancy
    imag: Discrepancy
    scale: float
    rtol: float
    consistent: bool


def discrepancy(res: KKResult, given: ArrayLike, scale: float, rtol: float) -> Discrepancy:
    """Compare a reconstruction with the tabulated part it should reproduce.

    tolerance_i = rtol * scale + truncation_estimate_i + 2 * discretisation_estimate_i +
    low_edge_estimate_i; the verdict covers every point but w_max (the end singularity of a
    truncated transform).
    """
    given = np.asarray(given, dtype=np.float64)
    disc = np.abs(res.values - given)
    tol = rtol * scale + res.error_estimate + res.discretisation_estimate
    judged = np.ones(disc.shape[0], dtype=bool)
    judged[-1] = False
    ratio = np.where(judged, disc - tol, -np.inf)
    i = int(np.argmax(np.where(judged, disc, -np.inf)))
    return Discrepancy(
        reconstructed=res,
        given=given,
        discrepancy=disc,
        tolerance=tol,
        max_discrepancy=float(disc[judged].max()),
        worst_frequency=float(res.frequencies[i]),
        consistent=bool(np.all(ratio <= 0)),
    )


def kk_consistency(
    w: ArrayLike,
    re: ArrayLike,
    im: ArrayLike,
    *,
    high_frequency_value: float = 0.0,
    rtol: float = 1e-3,
    tail: TailModel = "fit",
    method: Method = "auto",
    max_points: int | None = None,
    field_prefix: tuple[str | int, ...] = (),
) -> KKConsistency:
    """Reconstruct each part from the other and compare (is the tabulated f causal?).

    Parameters
    ----------
    w : (N,) float
        Frequencies, strictly increasing, >= 0.
    re, im : (N,) float
        Re f and Im f on ``w``.
    high_frequency_value : float
        f_inf.
    rtol : float
        Tolerance relative to the response amplitude; the truncation and (twice the)
        discretisation estimates are added pointwise, so a short or coarse spectrum is not
        declared acausal for what it lacks.
    """
    wv, (rv, iv) = check_grid(
        w, ("real", re), ("imag", im), field_prefix=field_prefix, max_points=max_points
    )
    scale = float(max(np.abs(rv - high_frequency_value).max(), np.abs(iv).max(), 1e-300))
    r_from_i = kramers_kronig(
        wv,
        iv,
        direction="re_from_im",
        high_frequency_value=high_frequency_value,
        tail=tail,
        method=method,
        field_prefix=field_prefix,
        values_name="imag",
    )
    i_from_r = kramers_kronig(
        wv,
        rv,
        direction="im_from_re",
        high_frequency_value=high_frequency_value,
        tail=tail,
        method=method,
        field_prefix=field_prefix,
        values_name="real",
    )
    dr = discrepancy(r_from_i, rv, scale, rtol)
    di = discrepancy(i_from_r, iv, scale, rtol)
    return KKConsistency(
        real=dr, imag=di, scale=scale, rtol=rtol, consistent=dr.consistent and di.consistent
    )
