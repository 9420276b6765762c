"""Isotropic and anisotropic 3D harmonic oscillator emitters (analytic moments).

H = p^2 / 2m + (m / 2) sum_a w_a^2 x_a^2, ground state |000>, natural units hbar = c = 1.
With l_a = 1 / sqrt(2 m w_a), x = l (a + a^dag) and p = i (a^dag - a) / (2 l), the 1D elements
from |0> (exact, ladder algebra) are

    <0|x|1> = l,   <0|x^2|0> = l^2,   <0|x^2|2> = sqrt(2) l^2,
    <0|p|1> = -i / (2 l),   <0|p x|0> = -i/2,   <0|p x|2> = -i / sqrt(2),
    <0|p x^2|1> = -3 i l / 2,   <0|p x^2|3> = -i sqrt(6) l / 2,

and nothing else, so only states with at most three quanta couple and the sum rules close exactly:
sum Delta_edip = w_p^2 (TRK), eq 26 holds, and chi(0) = Langevin + Van Vleck with
Langevin = -w_p^2 <r^2> / 6, <r^2> = sum_a 1 / (2 m w_a), and (exact, states |1_a 1_b>)

    chi_VV = w_p^2 sum_{a<b} (w_a - w_b)^2 / (24 m w_a w_b (w_a + w_b)),

which vanishes for the isotropic oscillator (L commutes with H). For the isotropic oscillator
eps(w) = 1 + w_p^2 / (w_0^2 - w^2 - 2 i w gamma), a single Lorentzian.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.emitters.separable import Axis1D, separable_moments
from core.emitters.strengths import EmitterParams, TransitionMoments
from core.errors import InvalidInput
from core.oscillators import FREQUENCY_RANGE

FloatArray = NDArray[np.float64]


def harmonic_axis(omega: float, mass: float) -> Axis1D:
    """1D elements <0|x^j|n>, <0|p x^j|n> (j = 0, 1, 2) for n = 0..3 (module docstring)."""
    ell = 1.0 / np.sqrt(2.0 * mass * omega)
    x = np.zeros((3, 4), dtype=np.complex128)
    px = np.zeros((3, 4), dtype=np.complex128)
    x[0, 0] = 1.0
    x[1, 1] = ell
    x[2, 0] = ell**2
    x[2, 2] = np.sqrt(2.0) * ell**2
    px[0, 1] = -0.5j / ell
    px[1, 0] = -0.5j
    px[1, 2] = -1j / np.sqrt(2.0)
    px[2, 1] = -1.5j * ell
    px[2, 3] = -0.5j * np.sqrt(6.0) * ell
    n = np.arange(4, dtype=np.int64)
    return Axis1D(energy=omega * n.astype(np.float64), x=x, px=px, quantum_numbers=n)


def _check_frequencies(frequencies: ArrayLike, mass: float) -> FloatArray:
    w = np.asarray(frequencies, dtype=np.float64).reshape(-1)
    if w.size == 1:
        w = np.repeat(w, 3)
    if w.shape != (3,):
        raise InvalidInput(
            "give one oscillator frequency (isotropic) or three (w_x, w_y, w_z)",
            field=("oscillator_frequencies",),
        )
    lo, hi = FREQUENCY_RANGE
    for a, v in enumerate(w):
        if not np.isfinite(v) or v <= 0:
            raise InvalidInput(
                f"oscillator frequency {'xyz'[a]} must be finite and > 0 (got {v})",
                field=("oscillator_frequencies", a if len(np.atleast_1d(frequencies)) > 1 else 0),
                fix="give positive oscillator frequencies",
            )
        if not lo <= v <= hi:
            raise InvalidInput(
                f"oscillator frequency {'xyz'[a]} = {v:.3g} is outside the usable range "
                f"[{lo:.0e}, {hi:.0e}]: the strengths (~ w^2) would leave floating-point range",
                field=("oscillator_frequencies", a if len(np.atleast_1d(frequencies)) > 1 else 0),
                fix=f"give {lo:.0e} <= w <= {hi:.0e} in the frequency unit",
            )
    if not np.isfinite(mass) or mass <= 0:
        raise InvalidInput(f"mass must be > 0 (got {mass})", field=("mass",))
    return w


def harmonic_moments(frequencies: ArrayLike, mass: float) -> TransitionMoments:
    """Moments from |000> to every state with up to three quanta per axis (64 - 1 states).

    Parameters
    ----------
    frequencies : float or (3,) float
        Oscillator frequencies w_x, w_y, w_z ([w]); one value means isotropic.
    mass : float
        m in [w].

    Returns
    -------
    TransitionMoments
        ``labels`` are the occupation numbers (n_x, n_y, n_z). Most states have all moments
        exactly zero; :func:`core.emitters.strengths.drop_zero` removes them.
    """
    w = _check_frequencies(frequencies, mass)
    axes = (harmonic_axis(w[0], mass), harmonic_axis(w[1], mass), harmonic_axis(w[2], mass))
    return separable_moments(axes)


def harmonic_ground_r2(frequencies: ArrayLike, mass: float) -> float:
    """<r^2> = sum_a 1 / (2 m w_a)."""
    w = _check_frequencies(frequencies, mass)
    return float(np.sum(1.0 / (2.0 * mass * w)))


def harmonic_van_vleck(frequencies: ArrayLike, params: EmitterParams) -> float:
    """Exact Van Vleck term w_p^2 sum_{a<b} (w_a - w_b)^2 / (24 m w_a w_b (w_a + w_b))."""
    w = _check_frequencies(frequencies, params.mass)
    acc = 0.0
    for a, b in ((0, 1), (1, 2), (0, 2)):
        acc += (w[a] - w[b]) ** 2 / (24.0 * params.mass * w[a] * w[b] * (w[a] + w[b]))
    return params.omega_p2 * acc
