"""Particle in a 3D box centred at the origin (Westerberg & Barnett 2025, eq 24 and Fig. 2b).

psi(x, y, z) = sqrt(8 / (Lx Ly Lz)) prod_a sin(n_a pi (x_a + L_a / 2) / L_a), n_a = 1, 2, ...,
E = (pi^2 / 2m) sum_a n_a^2 / L_a^2 (eq 24), ground state (1, 1, 1). Natural units hbar = c = 1:
the lengths L_a are in 1/[w] (the paper: units of c / w_p), the mass m in [w].

1D elements from n = 1 (closed forms, derived from eq 24 with theta = pi x / L; each is exact
to rounding, no quadrature, no truncated-matrix products; tests compare them with adaptive
quadrature of the wavefunctions):

==================  =========================================  ==================
element             n even                                     n odd
==================  =========================================  ==================
<1|x|n>             -8 L n / (pi^2 (n^2-1)^2)                   0
<1|x^2|n>           0                                           8 L^2 n / (pi^2 (n^2-1)^2),
                                                                n = 1: L^2 (1/12 - 1/(2 pi^2))
<1|p|n>             4 i n / (L (n^2-1))                         0
<1|p x|n>           0                                           -2 i n / (n^2-1), n = 1: -i/2
<1|p x^2|n>         i [16 L n / (pi^2 (n^2-1)^2) + n L / (n^2-1)  0
                    - 8 n L (3 n^2+1) / (pi^2 (n^2-1)^3)]
==================  =========================================  ==================

(<1|p x^j|n> = -i [j <1|x^(j-1)|n> + int psi_1 x^j psi_n'].) Parity about the centre makes each
element vanish for one parity of n, and hence the selection rules of the 3D moments: p^{ge} needs
exactly one even n_a (odd total parity); (p_i r_k)^{ge}, i != k, needs n_i, n_k even, and
(p_i r_i)^{ge} needs n_i odd > 1 (even parity); so e-dip and dip-oct live on odd-parity states
and quad, m-dip and dia on even-parity states, as the paper states after eq 20.

Convergence with n_max (per axis): the 1D families (n, 1, 1) dominate every sum; |<1|x|n>|^2 w_n1
and |<1|x^2|n>|^2 w_n1 both fall as n^-4, so the TRK residual, the eq-26 residual, the Langevin
sum and chi(0) all close as n_max^-3 (docs/emitters.md has the table).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.emitters.separable import Axis1D, separable_moments
from core.emitters.strengths import EmitterParams, TransitionMoments, check_limits
from core.errors import InvalidInput
from core.oscillators import FREQUENCY_RANGE

FloatArray = NDArray[np.float64]

#: Per-axis cutoff of the direct Van Vleck sum used as the converged reference.
VAN_VLECK_REFERENCE_N: Final = 1024

#: <1|x^2|1> / L^2 for the box ground state.
GROUND_X2: Final = 1.0 / 12.0 - 1.0 / (2.0 * np.pi**2)


def box_energies(length: float, mass: float, n: ArrayLike) -> FloatArray:
    """1D levels E_n = pi^2 n^2 / (2 m L^2) (eq 24), shape of ``n``."""
    nn = np.asarray(n, dtype=np.float64)
    return np.pi**2 * nn**2 / (2.0 * mass * length**2)


def box_axis(length: float, mass: float, n_max: int) -> Axis1D:
    """1D tables <1|x^j|n>, <1|p x^j|n> (j = 0, 1, 2) for n = 1..n_max (closed forms above)."""
    n = np.arange(1, n_max + 1, dtype=np.int64)
    nf = n.astype(np.float64)
    even = n % 2 == 0
    odd_excited = (n % 2 == 1) & (n > 1)
    d = np.where(n > 1, nf * nf - 1.0, 1.0)  # n^2 - 1, guarded at n = 1 (unused there)
    pi2 = np.pi**2
    big_l = float(length)

    x = np.zeros((3, n.size), dtype=np.complex128)
    px = np.zeros((3, n.size), dtype=np.complex128)
    x[0, 0] = 1.0
    x[1] = np.where(even, -8.0 * big_l * nf / (pi2 * d * d), 0.0)
    x[2] = np.where(odd_excited, 8.0 * big_l**2 * nf / (pi2 * d * d), 0.0)
    x[2, 0] = big_l**2 * GROUND_X2
    px[0] = np.where(even, 4j * nf / (big_l * d), 0.0)
    px[1] = np.where(odd_excited, -2j * nf / d, 0.0)
    px[1, 0] = -0.5j
    px[2] = np.where(
        even,
        1j
        * (
            16.0 * big_l * nf / (pi2 * d * d)
            + nf * big_l / d
            - 8.0 * nf * big_l * (3.0 * nf * nf + 1.0) / (pi2 * d**3)
        ),
        0.0,
    )
    e = box_energies(big_l, mass, n)
    return Axis1D(energy=e - e[0], x=x, px=px, quantum_numbers=n)


def check_box(lengths: ArrayLike, mass: float, n_max: int) -> tuple[float, float, float]:
    """Validate a box (three positive sides, m > 0, n_max >= 2, transition frequencies within
    :data:`core.oscillators.FREQUENCY_RANGE`); returns (Lx, Ly, Lz). Raises InvalidInput."""
    ls = np.asarray(lengths, dtype=np.float64).reshape(-1)
    if ls.shape != (3,):
        raise InvalidInput("give three side lengths (Lx, Ly, Lz)", field=("lengths",))
    for a, v in enumerate(ls):
        if not np.isfinite(v) or v <= 0:
            raise InvalidInput(
                f"box side {'xyz'[a]} must be finite and > 0 (got {v})",
                field=("lengths", a),
                fix="give positive side lengths",
            )
    if not np.isfinite(mass) or mass <= 0:
        raise InvalidInput(f"mass must be > 0 (got {mass})", field=("mass",))
    if int(n_max) != n_max or n_max < 2:
        raise InvalidInput(
            f"n_max must be an integer >= 2 (got {n_max})",
            field=("n_max",),
            fix="give n_max >= 2 so that at least one transition is allowed",
        )
    # transition frequencies of the basis (eq 24): lowest (2,1,1) along the longest side,
    # highest (n_max, n_max, n_max); both must lie in the medium's usable range
    lo, hi = FREQUENCY_RANGE
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        m = np.float64(mass)
        w_low = 3.0 * np.pi**2 / (2.0 * m * np.max(ls) ** 2)
        w_high = np.pi**2 * (np.float64(n_max) ** 2 - 1.0) / (2.0 * m) * np.sum(ls**-2.0)
    if not (lo <= w_low and w_high <= hi):
        raise InvalidInput(
            f"the box's transition frequencies pi^2 (n^2 - 1) / (2 m L^2) span [{w_low:.3g}, "
            f"{w_high:.3g}], outside the usable range [{lo:.0e}, {hi:.0e}] of the frequency unit",
            field=("lengths",),
            fix="choose lengths and mass so that 1/(m L^2) is of ordinary size in the frequency "
            "unit (the paper: L ~ 0.03-0.06 c/w_p, m = 500 w_p)",
        )
    return float(ls[0]), float(ls[1]), float(ls[2])


def box_moments(
    lengths: ArrayLike,
    mass: float,
    n_max: int,
    *,
    max_n_max: int | None = None,
    max_states: int | None = None,
) -> TransitionMoments:
    """Moments from (1, 1, 1) to every state with 1 <= n_a <= n_max (eq 24, B21-B24).

    Parameters
    ----------
    lengths : (3,) float
        Lx, Ly, Lz in 1/[w].
    mass : float
        m in [w].
    n_max : int
        Largest quantum number per axis; n_max^3 - 1 excited states.
    max_n_max, max_states : int, optional
        Limits, checked before any work (:class:`core.errors.LimitExceeded`).

    Returns
    -------
    TransitionMoments
        ``labels`` are (n_x, n_y, n_z).
    """
    check_limits(n_max=int(n_max), max_n_max=max_n_max)
    check_limits(states=int(n_max) ** 3 - 1, max_states=max_states)
    lx, ly, lz = check_box(lengths, mass, n_max)
    axes = (box_axis(lx, mass, n_max), box_axis(ly, mass, n_max), box_axis(lz, mass, n_max))
    return separable_moments(axes)


def box_ground_r2(lengths: ArrayLike) -> float:
    """<r^2> of the ground state: sum_a L_a^2 (1/12 - 1/(2 pi^2))."""
    ls = np.asarray(lengths, dtype=np.float64)
    return float(np.sum(ls**2)) * GROUND_X2


def box_van_vleck(
    lengths: ArrayLike, params: EmitterParams, n_ref: int = VAN_VLECK_REFERENCE_N
) -> tuple[float, float]:
    """Direct Van Vleck sum w_p^2 sum_e |L^{ge}|^2 / (6 m w_eg), converged in the cutoff.

    L_c^{ge} = <x_a>_{1 n_a} <p_b>_{1 n_b} - <x_b>_{1 n_b} <p_a>_{1 n_a} couples the ground state
    only to (n_a, n_b) both even with the third quantum number 1, so the sum is three 2D sums,
    here over n_a, n_b <= ``n_ref`` (independent of any n_max of the strengths).

    Returns
    -------
    chi_vv : float
        The sum at cutoff ``n_ref``.
    tail : float
        |sum(n_ref) - sum(n_ref / 2)|, an upper estimate of the truncation error (terms fall
        as n^-4 at fixed partner quantum number, so the remainder decays as n_ref^-3).
    """
    ls = np.asarray(lengths, dtype=np.float64)
    m = params.mass

    def total(nr: int) -> float:
        axes = [box_axis(float(length), m, nr) for length in ls]
        ev = slice(1, None, 2)  # n = 2, 4, ...
        acc = 0.0
        for a, b in ((0, 1), (1, 2), (2, 0)):
            xa, pa, ea = axes[a].x[1, ev], axes[a].px[0, ev], axes[a].energy[ev]
            xb, pb, eb = axes[b].x[1, ev], axes[b].px[0, ev], axes[b].energy[ev]
            lc = xa[:, None] * pb[None, :] - pa[:, None] * xb[None, :]
            w = ea[:, None] + eb[None, :]
            acc += float(np.sum(np.abs(lc) ** 2 / w))
        return params.omega_p2 * acc / (6.0 * m)

    full = total(n_ref)
    half = total(max(n_ref // 2, 2))
    return full, abs(full - half)


#: Asymptotic convergence exponent of the box's sums over states: every residual of a truncated
#: box basis (TRK, eq 26, Langevin, chi(0); the origin dependence of core.molecular_box) falls as
#: n_max^-3 (module docstring). The local exponent measured between two cutoffs rises towards it
#: from below, so extrapolating with the smaller of the two never underestimates the cutoff.
BOX_CONVERGENCE_EXPONENT: Final = 3.0


def power_law_cutoff(
    n: int, residual: float, n_lower: int, residual_lower: float, tolerance: float
) -> tuple[int, float]:
    """The cutoff at which a residual that falls as n^-p reaches ``tolerance``.

    Parameters
    ----------
    n, residual
        The cutoff used and the (positive) residual it leaves.
    n_lower, residual_lower
        A smaller cutoff of the same parity and its residual (the local exponent comes from the
        two); with ``n_lower >= n`` or a non-decreasing residual the asymptotic exponent
        :data:`BOX_CONVERGENCE_EXPONENT` is used.
    tolerance
        The residual wanted (> 0).

    Returns
    -------
    n_needed, p
        The smallest cutoff of the parity of ``n`` with n_needed >= n (residual / tolerance)^(1/p),
        and the exponent used: p = min(local exponent, 3), so that n_needed is not too small
        where the convergence is still pre-asymptotic (tests/core/test_emitters_box.py checks
        that the cutoff it gives does close the residual).
    """
    p = BOX_CONVERGENCE_EXPONENT
    if 0 < n_lower < n and residual_lower > residual > 0:
        local = float(np.log(residual_lower / residual) / np.log(n / n_lower))
        p = min(max(local, 0.5), BOX_CONVERGENCE_EXPONENT)
    if residual <= tolerance:
        return int(n), p
    need = float(n) * (residual / tolerance) ** (1.0 / p)
    out = int(np.ceil(need - 1e-9))
    if (out - n) % 2:
        out += 1  # keep the parity: the box's odd-parity (dipole) states come in steps of 2
    return out, p
