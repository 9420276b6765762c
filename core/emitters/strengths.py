"""Transition strengths of an emitter from its transition moments (Westerberg & Barnett 2025, Appendix B 1).

Units and conventions
---------------------
Natural units hbar = c = eps0 = 1 as in the paper. One frequency unit [w] is chosen by the user
(the paper uses the plasma frequency w_p); then a mass is a frequency (m c^2 / hbar), a length an
inverse frequency (c / w), a density [w]^3 and a charge is dimensionless (q^2 / (eps0 hbar c) is a
fine-structure-like number). The plasma frequency is w_p = sqrt(rho0 q^2 / m). Fields vary as
exp(-i w t). Moments are taken between the ground state g and each excited state e with the
momentum operator on the left: ``p`` = p_i^{ge}, ``pr`` = (p_i r_k)^{ge}, ``prr`` = (p_i r_k r_m)^{ge}
(complex; real wavefunctions make them purely imaginary). ``rr_ground`` = <g| r_i r_j |g>. The
ground state is assumed to carry no permanent dipole, <g|r|g> = 0 (the paper's assumption above
B80); origin-dependent quantities (<r^2>, Langevin) refer to that origin.

What is computed (and which printed form was wrong)
---------------------------------------------------
The transverse current response of a medium of randomly oriented emitters, to order k^2, is
K(w, k) = w^2 (eps - 1) - k^2 (1/mu - 1) (eq 20 / B64). Writing the coupling and the current
operator as p e^{+-i k.r} and expanding to second order (B16-B24) gives, per transition, the rank-4
numerator tensors (index order i k m j as in B39, all real):

=========  ==================================================  ======================
strength   numerator X_ikmj                                    Delta = w_p^2 * ...
=========  ==================================================  ======================
e_dip      p_i p_j^*   (rank 2, B40)                           2 |p|^2 / (3 m w_eg)
quad       Re[(pr_ik + pr_ki) pr_jm^*]        (B41)            c[X] / (m w_eg)
m_dip      Re[(pr_ik - pr_ki) pr_jm^*]        (B42)            c[X] w_eg / m
dia        Re[(pr_im + pr_mi) pr_jk^*]        (B43)            c[X] w_eg / m
dip_oct    Re[p_i^* prr_jkm + p_j^* prr_ikm]  (B44)            c[X] / (m w_eg)
=========  ==================================================  ======================

where c[X] = (4 X_{l m m l} - X_{l l m m} - X_{l m l m}) / 30 is the coefficient of
delta_ij delta_km in the isotropic average of X (B52); it is the only part a transverse field
(a perpendicular to k) picks up, since a_i a_j k_k k_m contracted with the other two pairings
vanishes. The dimensions agree with eq 21: e_dip, m_dip, dia in [w]^2; quad and dip_oct
dimensionless.

The extracted appendix differs from this in three places; each form above is fixed by a physical
check that the tests run:

* B57 lacks the factor 2/3: with it, sum_e Delta_edip = w_p^2 exactly (TRK sum rule, per axis
  sum_e 2 |p_x^{ge}|^2 / (m w_eg) = 1) and it is what B40 with B50 and B53 give.
* B62 carries an overall minus sign and B58 a leading minus. Read literally, B62 makes Delta_quad
  the only non-negative strength and Delta_mdip, Delta_dia, Delta_dipoct all <= 0. We use
  <<f>> = +c[f] (the delta_ij delta_km coefficient of B52, which is what a transverse field
  sees); then B59, B60 and B61 are right as printed and B58 needs its minus dropped (it is the
  minus of w^2/(w_eg^2 - w^2) = -1 + w_eg^2/(w_eg^2 - w^2), already in eq 21's "- Delta_quad w^2
  / D"). Checks: Delta_mdip = w_p^2 |L^{ge}|^2 w_eg / (6 m) >= 0 (the Van Vleck term of each
  transition), Delta_quad = w_p^2 sum |S2|^2 / (5 m w_eg) >= 0 with S2 the traceless part of
  (pr + pr^T) / 2, and for the harmonic oscillator sum Delta_dia / w_eg^2 = w_p^2 <r^2> / 6
  (Langevin, B82) and eq 26 close to rounding.
* B40-B44 use w_eg^2 - (w + i gamma)^2; the oscillator medium (eq 21) uses w_eg^2 - w^2 - 2 i w
  gamma. We hand the strengths to eq 21 as the paper's main text does (they differ by gamma^2).

Consequences worth knowing: after the isotropic average the diamagnetic tensor B43 is the
quadrupole tensor B41 with the pairs (k, m) exchanged, and for a symmetric pr + pr^T that exchange
does not change c[.], so Delta_dia = w_eg^2 Delta_quad for every transition. Eq 26 then reads
sum_e (2 Delta_quad - Delta_dipoct) = 0: the two forms of the sum rule B27 (quadrupole form and
dipole-octopole form) must agree, and both equal w_p^2 <r^2> / 3 for a complete basis, so a
truncated basis shows a non-zero residual that shrinks as it grows. The exact response of a
complete basis has chi(w) = sum_e [Delta_mdip + (Delta_quad - Delta_dipoct) w_eg^2] / D_e, which is
eq 23 once eq 26 holds; chi(0) = sum_e Delta_mdip / w_eg^2 - sum_e Delta_dia / w_eg^2 = Van Vleck +
Langevin.

Reference: M. Westerberg and S. M. Barnett, "Is there a conflict between causality and
diamagnetism?" (2025), Appendix B. Isotropic averages: D. L. Andrews and T. Thirunamachandran,
J. Chem. Phys. 67, 5026 (1977), doi:10.1063/1.434725.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.errors import InvalidInput, LimitExceeded
from core.oscillators import FREQUENCY_RANGE, STRENGTHS, OscillatorMedium

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
IntArray = NDArray[np.int64]

#: Transitions per block when the rank-4 tensors are formed (bounds temporaries to ~25 MB).
BLOCK: Final = 4096

#: Relative spacing under which two transition frequencies count as degenerate when merging.
DEGENERACY_RTOL: Final = 1e-10

#: B52: the isotropic rank-4 average, as the 3 x 3 matrix between the three delta pairings
#: (delta_ik delta_mj, delta_im delta_kj, delta_ij delta_km) of the output and of the input.
ISOTROPIC_4: Final = np.array([[4.0, -1.0, -1.0], [-1.0, 4.0, -1.0], [-1.0, -1.0, 4.0]]) / 30.0


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmitterParams:
    """Charge, mass and density of the emitters and the common linewidth.

    Parameters
    ----------
    mass : float
        m > 0, as a frequency (natural units).
    charge : float
        q (dimensionless in natural units); enters squared.
    density : float
        rho0 > 0, emitters per unit volume ([w]^3).
    linewidth : float
        gamma >= 0 ([w]), the same for every transition.
    """

    mass: float
    charge: float
    density: float
    linewidth: float = 0.0

    def __post_init__(self) -> None:
        for name in ("mass", "charge", "density", "linewidth"):
            v = float(getattr(self, name))
            if not np.isfinite(v):
                raise InvalidInput(f"{name} must be finite (got {v})", field=(name,))
            object.__setattr__(self, name, v)
        if self.mass <= 0:
            raise InvalidInput(
                f"mass must be > 0 (got {self.mass})", field=("mass",), fix="give m > 0"
            )
        if self.density <= 0:
            raise InvalidInput(
                f"density must be > 0 (got {self.density})",
                field=("density",),
                fix="give the emitter density rho0 > 0",
            )
        if self.charge == 0:
            raise InvalidInput(
                "charge is zero: the medium does not respond",
                field=("charge",),
                fix="give a non-zero charge q",
            )
        if self.linewidth < 0:
            raise InvalidInput(
                f"linewidth must be >= 0 (got {self.linewidth})",
                field=("gamma",),
                fix="give gamma >= 0; a negative width breaks causality",
            )
        lo, hi = FREQUENCY_RANGE
        if self.linewidth != 0 and not lo <= self.linewidth <= hi:
            raise InvalidInput(
                f"linewidth {self.linewidth:.3g} is outside the usable range: give 0 or "
                f"{lo:.0e} <= gamma <= {hi:.0e}",
                field=("gamma",),
                fix=f"give gamma = 0 or {lo:.0e} <= gamma <= {hi:.0e} in the frequency unit",
            )
        wp2 = self.density * (self.charge / self.mass) * self.charge
        if not lo**2 <= wp2 <= hi**2:
            raise InvalidInput(
                f"w_p^2 = density charge^2 / mass = {wp2:.3g} is outside the usable range "
                f"[{lo**2:.0e}, {hi**2:.0e}]: the strengths (~ w_p^2) would leave floating-point "
                "range",
                field=("density",),
                fix="choose density, charge and mass so that w_p is between "
                f"{lo:.0e} and {hi:.0e} in the frequency unit (the paper: w_p = 1)",
            )

    @property
    def omega_p2(self) -> float:
        """w_p^2 = rho0 q^2 / m."""
        return self.density * self.charge**2 / self.mass

    @property
    def omega_p(self) -> float:
        """The plasma frequency w_p = sqrt(rho0 q^2 / m)."""
        return float(np.sqrt(self.omega_p2))


@dataclass(frozen=True)
class TransitionMoments:
    """Ground-to-excited transition moments of one emitter (M excited states).

    Parameters
    ----------
    omega : (M,) float
        Transition frequencies w_eg > 0.
    p : (M, 3) complex
        p_i^{ge}.
    pr : (M, 3, 3) complex
        (p_i r_k)^{ge}, p on the left.
    prr : (M, 3, 3, 3) complex
        (p_i r_k r_m)^{ge}, symmetric in (k, m).
    rr_ground : (3, 3) float
        <g| r_i r_j |g>, real symmetric positive semi-definite.
    labels : (M, 3) int, optional
        Quantum numbers of each excited state (for display), or None.

    Shape checks only; user input is validated by :func:`core.emitters.custom.custom_moments`.
    """

    omega: FloatArray
    p: ComplexArray
    pr: ComplexArray
    prr: ComplexArray
    rr_ground: FloatArray
    labels: IntArray | None = None

    def __post_init__(self) -> None:
        om = np.array(self.omega, dtype=np.float64, ndmin=1)
        m = om.shape[0]
        shapes = {"p": (m, 3), "pr": (m, 3, 3), "prr": (m, 3, 3, 3)}
        object.__setattr__(self, "omega", om)
        for name, shape in shapes.items():
            arr = np.asarray(getattr(self, name), dtype=np.complex128)
            if arr.shape != shape:
                raise InvalidInput(f"'{name}' has shape {arr.shape}, expected {shape}", (name,))
            object.__setattr__(self, name, arr)
        rr = np.asarray(self.rr_ground, dtype=np.float64)
        if rr.shape != (3, 3):
            raise InvalidInput(f"'rr_ground' has shape {rr.shape}, expected (3, 3)", ("rr_ground",))
        object.__setattr__(self, "rr_ground", rr)
        if self.labels is not None:
            lab = np.asarray(self.labels, dtype=np.int64)
            if lab.shape != (m, 3):
                raise InvalidInput(
                    f"'labels' has shape {lab.shape}, expected ({m}, 3)", ("labels",)
                )
            object.__setattr__(self, "labels", lab)

    @property
    def size(self) -> int:
        return int(self.omega.shape[0])

    def subset(self, mask: NDArray[np.bool_] | NDArray[np.int64]) -> TransitionMoments:
        """The moments of the transitions selected by ``mask`` (boolean mask or indices)."""
        return TransitionMoments(
            omega=self.omega[mask],
            p=self.p[mask],
            pr=self.pr[mask],
            prr=self.prr[mask],
            rr_ground=self.rr_ground,
            labels=None if self.labels is None else self.labels[mask],
        )


def check_limits(
    *,
    n_max: int | None = None,
    states: int | None = None,
    max_n_max: int | None = None,
    max_states: int | None = None,
    field_n: tuple[str | int, ...] = ("n_max",),
) -> None:
    """Raise :class:`LimitExceeded` before any work when a request is over a configured cap.

    ``max_n_max`` is the setting ``max_emitter_n_max``, ``max_states`` ``max_emitter_states``.
    """
    if n_max is not None and max_n_max is not None and n_max > max_n_max:
        raise LimitExceeded(
            f"n_max = {n_max} exceeds the limit {max_n_max} (max_emitter_n_max)",
            limit_name="max_emitter_n_max",
            limit=max_n_max,
            requested=n_max,
            field=field_n,
            fix=f"use n_max <= {max_n_max}",
        )
    if states is not None and max_states is not None and states > max_states:
        raise LimitExceeded(
            f"{states} excited states exceed the limit {max_states} (max_emitter_states)",
            limit_name="max_emitter_states",
            limit=max_states,
            requested=states,
            field=field_n,
            fix=f"use at most {max_states} states (a smaller n_max or fewer transitions)",
        )


# ---------------------------------------------------------------------------------------------
# Rank-4 tensors (B41-B44) and their isotropic average (B52)
# ---------------------------------------------------------------------------------------------


def rank4_numerators(moments: TransitionMoments) -> dict[str, FloatArray]:
    """The per-transition numerator tensors of B41-B44 (signs as in the module docstring).

    Returns
    -------
    dict with keys ``quad``, ``m_dip``, ``dia``, ``dip_oct``, each (M, 3, 3, 3, 3) float, index
    order (i, k, m, j): the current i responds to d_k d_m A_j (B39). The frequency factors and
    w_p^2 / m are applied in :func:`transition_strengths`. Memory: 4 x 648 bytes per transition.
    """
    t = moments.pr
    tc = np.conj(t)
    s = t + np.swapaxes(t, 1, 2)
    a = t - np.swapaxes(t, 1, 2)
    pc = np.conj(moments.p)
    u = moments.prr
    return {
        "quad": np.einsum("nik,njm->nikmj", s, tc).real,
        "m_dip": np.einsum("nik,njm->nikmj", a, tc).real,
        "dia": np.einsum("nim,njk->nikmj", s, tc).real,
        "dip_oct": (np.einsum("ni,njkm->nikmj", pc, u) + np.einsum("nj,nikm->nikmj", pc, u)).real,
    }


def isotropic_average(x: ArrayLike) -> FloatArray:
    """Rotational average of rank-4 tensors (B51-B52), shape (..., 3, 3, 3, 3) -> same shape.

    Notes
    -----
    <X>_ikmj = sum_{r,s} d_r(ikmj) ISOTROPIC_4[r, s] f_s(X), with the pairings
    d = (delta_ik delta_mj, delta_im delta_kj, delta_ij delta_km) and the full contractions
    f = (X_llnn, X_lnln, X_lnnl) of the same pairings.
    """
    xa = np.asarray(x, dtype=np.float64)
    f = np.stack(
        [
            np.einsum("...llnn->...", xa),
            np.einsum("...lnln->...", xa),
            np.einsum("...lnnl->...", xa),
        ],
        axis=-1,
    )
    c = f @ ISOTROPIC_4.T  # (..., 3) coefficients of the three pairings
    e = np.eye(3)
    d = np.stack(
        [
            np.einsum("ik,mj->ikmj", e, e),
            np.einsum("im,kj->ikmj", e, e),
            np.einsum("ij,km->ikmj", e, e),
        ]
    )
    return np.einsum("...r,rikmj->...ikmj", c, d)


def transverse_coefficient(x: ArrayLike) -> FloatArray:
    """c[X]: the coefficient of delta_ij delta_km in the isotropic average of X (B52, B62).

    This is what a transverse field picks up: for unit a perpendicular to k,
    a_i a_j k_k k_m <X>_ikmj = k^2 c[X]. Shape (..., 3, 3, 3, 3) -> (...).
    """
    xa = np.asarray(x, dtype=np.float64)
    return (
        4.0 * np.einsum("...lnnl->...", xa)
        - np.einsum("...llnn->...", xa)
        - np.einsum("...lnln->...", xa)
    ) / 30.0


# ---------------------------------------------------------------------------------------------
# Strengths (B57-B61, corrected)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Strengths:
    """Per-transition strengths of eq 21, in the user's frequency unit (shapes (M,)).

    ``e_dip``, ``m_dip``, ``dia`` in [w]^2; ``quad``, ``dip_oct`` dimensionless. ``labels`` (M, 3)
    quantum numbers of a representative state or None; ``degeneracy`` (M,) how many states were
    merged into each transition.
    """

    omega: FloatArray
    e_dip: FloatArray
    m_dip: FloatArray
    quad: FloatArray
    dip_oct: FloatArray
    dia: FloatArray
    labels: IntArray | None
    degeneracy: IntArray

    @property
    def size(self) -> int:
        return int(self.omega.shape[0])

    def select(self, mask: NDArray[np.bool_]) -> Strengths:
        return Strengths(
            omega=self.omega[mask],
            **{k: getattr(self, k)[mask] for k in STRENGTHS},
            labels=None if self.labels is None else self.labels[mask],
            degeneracy=self.degeneracy[mask],
        )

    def medium(self, linewidth: float) -> OscillatorMedium:
        """The oscillator medium of eq 21 with the same linewidth on every transition."""
        return OscillatorMedium(
            omega=self.omega,
            gamma=np.full(self.size, float(linewidth)),
            **{k: getattr(self, k) for k in STRENGTHS},
        )


def transition_strengths(moments: TransitionMoments, params: EmitterParams) -> Strengths:
    """Delta_edip, Delta_mdip, Delta_quad, Delta_dipoct, Delta_dia of every transition.

    Parameters
    ----------
    moments : TransitionMoments
        M transitions.
    params : EmitterParams
        Mass, charge, density (w_p^2 = rho0 q^2 / m).

    Returns
    -------
    Strengths
        Unmerged, one entry per excited state.

    Notes
    -----
    With c[.] the transverse isotropic coefficient (B52, B62 read with a + sign) and the rank-4
    numerators of :func:`rank4_numerators`:

        Delta_edip   = w_p^2 2 |p^{ge}|^2 / (3 m w_eg)          (B57 with B40, B50, B53)
        Delta_quad   = w_p^2 c[X_quad] / (m w_eg)               (B58)
        Delta_mdip   = w_p^2 c[X_mdip] w_eg / m                 (B59)
        Delta_dia    = w_p^2 c[X_dia] w_eg / m                  (B60)
        Delta_dipoct = w_p^2 c[X_dipoct] / (m w_eg)             (B61)

    The rank-4 tensors are formed in blocks of :data:`BLOCK` transitions.
    """
    w = moments.omega
    m = params.mass
    k = params.omega_p2
    coeff = {name: np.empty(moments.size) for name in ("quad", "m_dip", "dia", "dip_oct")}
    for s in range(0, moments.size, BLOCK):
        block = moments.subset(np.arange(moments.size, dtype=np.int64)[s : s + BLOCK])
        for name, x in rank4_numerators(block).items():
            coeff[name][s : s + BLOCK] = transverse_coefficient(x)
    p2 = np.sum(np.abs(moments.p) ** 2, axis=1)
    return Strengths(
        omega=w.copy(),
        e_dip=k * 2.0 * p2 / (3.0 * m * w),
        quad=k * coeff["quad"] / (m * w),
        m_dip=k * coeff["m_dip"] * w / m,
        dia=k * coeff["dia"] * w / m,
        dip_oct=k * coeff["dip_oct"] / (m * w),
        labels=None if moments.labels is None else moments.labels.copy(),
        degeneracy=np.ones(moments.size, dtype=np.int64),
    )


def drop_zero(strengths: Strengths) -> Strengths:
    """Remove transitions whose five strengths are all exactly zero (forbidden by symmetry)."""
    nz = np.zeros(strengths.size, dtype=bool)
    for name in STRENGTHS:
        nz |= getattr(strengths, name) != 0.0
    return strengths.select(nz)


def merge_degenerate(strengths: Strengths, rtol: float = DEGENERACY_RTOL) -> Strengths:
    """Merge transitions at the same frequency (within ``rtol``) into one, summing strengths.

    Exact for eq 21 when the linewidths are equal: every term is linear in the strengths at a
    common w_eg. The label kept is that of the first state of each group (sorted by frequency,
    then by label); ``degeneracy`` counts the merged states. Output sorted by frequency.
    """
    if strengths.size == 0:
        return strengths
    if strengths.labels is not None:
        keys = [strengths.labels[:, 2], strengths.labels[:, 1], strengths.labels[:, 0]]
        order = np.lexsort([*keys, strengths.omega])
    else:
        order = np.argsort(strengths.omega, kind="stable")
    w = strengths.omega[order]
    new = np.ones(w.shape[0], dtype=bool)
    new[1:] = np.diff(w) > rtol * w[1:]
    starts = np.flatnonzero(new)
    out = {name: np.add.reduceat(getattr(strengths, name)[order], starts) for name in STRENGTHS}
    return Strengths(
        omega=w[starts],
        **out,
        labels=None if strengths.labels is None else strengths.labels[order][starts],
        degeneracy=np.add.reduceat(strengths.degeneracy[order], starts),
    )


# ---------------------------------------------------------------------------------------------
# Direct (strength-free) reference values
# ---------------------------------------------------------------------------------------------


def angular_momentum(moments: TransitionMoments) -> ComplexArray:
    """L^{ge} = (r x p)^{ge}, shape (M, 3), from (p_i r_k)^{ge}.

    (r_a p_b)^{ge} = (p_b r_a)^{ge} for e != g, so L_l^{ge} = eps_lab (p_b r_a)^{ge}.
    """
    t = moments.pr
    return np.stack(
        [t[:, 2, 1] - t[:, 1, 2], t[:, 0, 2] - t[:, 2, 0], t[:, 1, 0] - t[:, 0, 1]], axis=1
    )


def langevin_chi(rr_ground: ArrayLike, params: EmitterParams) -> float:
    """Langevin diamagnetic susceptibility chi_L = -rho0 q^2 <r^2> / (6 m) (B82, mu0 = 1).

    ``rr_ground`` (3, 3): <g|r_i r_j|g>; <r^2> is its trace (isotropic orientation average).
    """
    return -params.omega_p2 * float(np.trace(np.asarray(rr_ground))) / 6.0


def van_vleck_chi(omega: ArrayLike, angular: ArrayLike, params: EmitterParams) -> float:
    """Van Vleck paramagnetic susceptibility from magnetic-dipole moments.

    chi_VV = rho0 sum_e (2/3) |m^{ge}|^2 / w_eg with m = -q L / (2 m), i.e.
    w_p^2 sum_e |L^{ge}|^2 / (6 m w_eg). ``omega`` (M,), ``angular`` (M, 3) complex L^{ge}.
    """
    w = np.asarray(omega, dtype=np.float64)
    l2 = np.sum(np.abs(np.asarray(angular)) ** 2, axis=-1)
    return params.omega_p2 * float(np.sum(l2 / w)) / (6.0 * params.mass)
