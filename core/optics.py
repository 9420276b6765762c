"""Optics of media with both eps and mu: index branch, impedance, Fresnel, stacks, velocities.

Units and conventions
---------------------
Fields vary as exp(i (k.r - w t)); a passive medium has Im eps >= 0 and Im mu >= 0 (the oscillator
medium of Westerberg & Barnett may have Im mu < 0 in places while Im(eps mu) > 0, their eq 25).
Every function is in natural units c = 1: velocities are in units of c, the dimensionless index
is n = c k / w.

Frequencies and lengths. Functions take angular frequencies ``w`` in whatever linear unit the
medium uses, and the free-space wavenumber ``k0 = w / c`` in inverse length units chosen by the
caller. For physical units w is in rad/s and ``k0 = w / scipy.constants.c`` in 1/m, so layer
thicknesses are in metres (:func:`vacuum_wavenumber`). For the dimensionless ``model`` unit
(c = 1, frequencies in units of w_unit, e.g. the plasma frequency w_p of Westerberg & Barnett)
``k0 = w`` and thicknesses are in units of c / w_unit.

Media
-----
Every optics routine sees a medium only through the :class:`core.media.Medium` protocol
(:func:`medium_eps_mu`, :func:`medium_eps_mu_derivative`): :class:`ConstantMedium`,
:class:`TabulatedMedium`, :class:`core.oscillators.OscillatorMedium` (Westerberg & Barnett eq 21)
and :class:`core.chiral.MagneticResonanceMedium` (Cho eqs 44-47).

Index branch
------------
n = +- sqrt(eps mu). Rule ``"decay"`` (default): Im n > 0, the wave decays along its direction of
propagation; where Im n = 0 exactly, the sign with energy flow Re(n / mu) > 0. For a passive
medium this is n = sqrt(eps) sqrt(mu) (principal roots) and gives Re n < 0 when the medium is
left-handed (Re eps < 0 and Re mu < 0). Rule ``"group-velocity"`` is the criterion of Cho
(sec. 3.4): of the two plane waves at a given frequency, the one connected to the incident field
is the one with positive group velocity, Re(dk/dw) > 0 with k = w n. Since
dk/dw = d(w^2 eps mu)/dw / (2 w n), the rule picks the sign of n with
Re[d(w^2 eps mu)/dw / (w n)] > 0, applied where the wave propagates (|Im n| < 0.1 |Re n|); in
stop bands and absorption lines it falls back to decay. The two rules agree for passive media;
they differ where d(w^2 eps mu)/dw has the "wrong" sign with little loss (non-Foster behaviour,
e.g. the dipole-octopole resonances of Westerberg & Barnett where Im mu < 0), and
:func:`optical_response` flags those frequencies.

Left-handed frequencies: v_phase v_group < 0 (Cho sec. 3.4 and conclusion h), reported together
with Re n < 0 (Veselago's criterion) because the two need not coincide.

Media with gain
---------------
Where a medium fails the passivity statement (:mod:`core.passivity`), the two roots +-q of
k_z / k0 are no longer told apart by Im q >= 0. A layer of finite thickness does not care: its
characteristic matrix is even in q, so its r and t are unambiguous (the stack uses the decaying
root there, for which the recursion never overflows). A semi-infinite substrate does care. Two
conventions (``gain_branch``):

``causal`` (default)
    J. Skaar, "Fresnel equations and the refractive index of active media", Phys. Rev. E 73,
    026605 (2006), doi:10.1103/PhysRevE.73.026605: the physical wavevector of an active medium
    is the analytic continuation of the passive one (causality), not the root with Im q >= 0.
    Here it is the root continued from the lossless limit (:func:`half_space_wavevector`): for
    eps = 2 - 0.1i, n = +1.415 - 0.035i, a forward wave that grows along its path; R = 0.030 at
    normal incidence. Skaar also shows that a half-space of strong gain (eps mu with zeros in the
    upper half of the complex frequency plane) has no stable response at all; the report cannot
    see that from real-frequency data, and its note says the half-space answer holds only for a
    stable medium.
``decay``
    Im q >= 0 at every frequency, the thick-slab limit of the Rouard recursion (the limit of
    V. U. Nazarov and Y.-C. Chang, arXiv:0710.4388). For eps = 2 - 0.1i it is n = -1.415 + 0.035i,
    a backward wave: R = 33.7, T = -32.7 at normal incidence.

Both are passive-identical (the causal root is the decaying one wherever the medium is passive,
tested on random passive media). The energy check of a stack (:data:`ENERGY_BALANCE`) names the
outcome ``details.balance``: ``conserved`` (every medium lossless, R + T = 1 holds),
``absorbing`` (passive media, A >= 0 and T >= 0 hold), ``gain`` (some medium has gain at some
frequency: no bound there, the verdict is null, the explanation says so, and the bounds are
still judged at the passive frequencies), ``inconsistent`` (a bound of the media is broken: the
coefficients are wrong). ``details.gain_branch`` names the substrate root used.

Reports
-------
:func:`stack_report` (``POST /v1/optics/reflectance``) and :func:`dispersion_report`
(``POST /v1/optics/dispersion``) return :class:`core.checks.Report`; their statements are the
module-level :class:`~core.checks.CheckSpec` constants below (energy balance,
passivity via :data:`core.passivity.PASSIVITY`, branch rules, root accuracy, eq 9, stability).

References
----------
N. Westerberg and S. M. Barnett (2025) (:data:`core.references.WESTERBERG_BARNETT`);
K. Cho (2007) (:data:`core.references.CHO`); M. Born and E. Wolf, *Principles of Optics*, 7th ed.,
sec. 1.5-1.6 (Fresnel formulae, stratified media); J. Skaar, Phys. Rev. E 73, 026605 (2006)
(active media); V. U. Nazarov and Y.-C. Chang, arXiv:0710.4388 (the thick-film limit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants as sc

from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.errors import CoreError, InvalidInput, LimitExceeded, PoleOnGrid
from core.media import INTERPOLATIONS as INTERPOLATIONS
from core.media import ConstantMedium as ConstantMedium
from core.media import Interpolation as Interpolation
from core.media import Medium
from core.media import TabulatedMedium as TabulatedMedium
from core.passivity import intervals_in, passivity_check, passivity_indicator
from core.units import identity

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
BoolArray = NDArray[np.bool_]
FieldPath = tuple[str | int, ...]

MODEL_NAME_REFLECTANCE: Final = "optics-reflectance"
MODEL_NAME_DISPERSION: Final = "optics-dispersion"
MODEL_VERSION: Final = "1.0.0"
MODEL_VERSIONS: Final[dict[str, str]] = {
    MODEL_NAME_REFLECTANCE: MODEL_VERSION,
    MODEL_NAME_DISPERSION: MODEL_VERSION,
}

Polarization = Literal["s", "p"]
POLARIZATIONS: Final[tuple[str, ...]] = get_args(Polarization)
IndexRule = Literal["decay", "group-velocity"]
INDEX_RULES: Final[tuple[str, ...]] = get_args(IndexRule)
GainBranch = Literal["causal", "decay"]
GAIN_BRANCHES: Final[tuple[str, ...]] = get_args(GainBranch)

#: Bound on the (angles x frequencies) complex temporaries of one stack sweep, in bytes.
STACK_CHUNK_BYTES: Final = 64 * 2**20

#: |Im n| / |Re n| under which a wave counts as propagating (amplitude loss < e^(-2 pi 0.1) ~ 0.5
#: per wavelength): where Cho's group-velocity rule and the left-handed test apply. Inside an
#: absorption line (anomalous dispersion) v_g is not the energy velocity and has no such meaning.
PROPAGATION_RATIO: Final = 0.1

#: |Im n| / |n| under which the ambient (incident) medium counts as transparent.
AMBIENT_LOSS_RTOL: Final = 1e-6


# ---------------------------------------------------------------------------------------------
# Normal incidence pieces (used by the oscillator endpoint; signatures are stable)
# ---------------------------------------------------------------------------------------------


def refractive_index(eps: ArrayLike, mu: ArrayLike) -> ComplexArray:
    """n = sqrt(eps mu) on the physical branch.

    Branch: Im n >= 0 (the wave decays along its direction of propagation, exp(i n w z / c)); when
    Im n = 0 exactly, the sign for which the energy flow Re(n / mu) > 0. For a passive medium
    (Im eps, Im mu >= 0) this is n = sqrt(eps) sqrt(mu); it gives Re n < 0 for a left-handed medium
    (Re eps < 0, Re mu < 0).
    """
    e = np.asarray(eps, dtype=np.complex128)
    m = np.asarray(mu, dtype=np.complex128)
    n = np.sqrt(e * m)
    with np.errstate(divide="ignore", invalid="ignore"):
        flip = (n.imag < 0) | ((n.imag == 0) & ((n / m).real < 0))
    return np.where(flip, -n, n)


def impedance(n: ArrayLike, mu: ArrayLike) -> ComplexArray:
    """Relative wave impedance Z = mu / n (on the branch of ``n``); Z = sqrt(mu / eps)."""
    return np.asarray(mu, dtype=np.complex128) / np.asarray(n, dtype=np.complex128)


def normal_reflectance(z: ArrayLike) -> FloatArray:
    """Normal-incidence reflectance from vacuum, R = |(Z - 1) / (Z + 1)|^2 (magnetic media too)."""
    zz = np.asarray(z, dtype=np.complex128)
    return np.abs((zz - 1.0) / (zz + 1.0)) ** 2


# ---------------------------------------------------------------------------------------------
# Media: every routine sees a medium through the Medium protocol (core.media)
# ---------------------------------------------------------------------------------------------


def _with_field(exc: CoreError, field: FieldPath) -> CoreError:
    exc.field = (*field, *exc.field)
    return exc


def medium_eps_mu(
    medium: Medium, w: ArrayLike, *, field: FieldPath = ()
) -> tuple[ComplexArray, ComplexArray]:
    """eps(w) and mu(w) of any medium (:class:`core.media.Medium`) on real frequencies ``w``.

    Parameters
    ----------
    medium
        A :class:`core.media.Medium`: constant, tabulated, rational, the oscillator medium
        (Westerberg & Barnett eq 21) or Cho's magnetic-resonance medium (eqs 44-47).
    w : (N,) float
        Angular frequencies in the medium's unit.
    field
        Path of the medium inside the request, prefixed to the field of an error about the
        medium (a frequency outside a table); a :class:`PoleOnGrid` names the frequency grid and
        is passed on as it is.

    Returns
    -------
    eps, mu : (N,) complex
        Always one-dimensional, even for N = 1.

    Raises
    ------
    InvalidInput
        Frequencies outside a table; an object that is not a medium.
    PoleOnGrid
        A frequency on an undamped resonance.
    """
    _require_medium(medium, field)
    try:
        return medium.eps_mu(np.asarray(w, dtype=np.float64).reshape(-1))
    except PoleOnGrid:
        raise
    except CoreError as exc:
        raise _with_field(exc, field) from None


def medium_eps_mu_derivative(
    medium: Medium, w: ArrayLike, *, field: FieldPath = ()
) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
    """eps(w), mu(w) and d(eps mu)/dw, shape (N,) each (:meth:`core.media.Medium.eps_mu_derivative`).

    Analytic for constant, rational, oscillator (derivative of eq 21) and magnetic-resonance
    media; a central difference for a table (one-sided at its ends; a piecewise-linear table has a
    piecewise-constant derivative). Errors as in :func:`medium_eps_mu`.
    """
    _require_medium(medium, field)
    try:
        return medium.eps_mu_derivative(np.asarray(w, dtype=np.float64).reshape(-1))
    except PoleOnGrid:
        raise
    except CoreError as exc:
        raise _with_field(exc, field) from None


def _require_medium(medium: object, field: FieldPath) -> None:
    if not isinstance(medium, Medium):
        raise InvalidInput(
            f"unknown medium kind {type(medium).__name__}",
            field=field,
            fix="use a constant, tabulated, oscillator or magnetic-resonance medium",
        )


# ---------------------------------------------------------------------------------------------
# Index branch, velocities, left-handed intervals
# ---------------------------------------------------------------------------------------------


def index_branch(
    w: ArrayLike,
    eps: ArrayLike,
    mu: ArrayLike,
    d_eps_mu: ArrayLike,
    rule: IndexRule = "decay",
) -> ComplexArray:
    """Refractive index on the branch chosen by ``rule`` (module docstring).

    Parameters
    ----------
    w : (N,) float
        Angular frequencies (> 0 for the group-velocity rule).
    eps, mu, d_eps_mu : (N,) complex
        eps, mu and d(eps mu)/dw at ``w``.
    rule : {"decay", "group-velocity"}
        ``decay``: Im n > 0 (ties: Re(n/mu) > 0). ``group-velocity``: Re(dk/dw) > 0 with
        dk/dw = d(w^2 eps mu)/dw / (2 w n) (Cho sec. 3.4) where the wave propagates
        (|Im n| < ``PROPAGATION_RATIO`` |Re n|); elsewhere (stop bands, absorption lines), where a
        group velocity is not an energy velocity, the decay rule.
    """
    if rule not in INDEX_RULES:
        raise InvalidInput(
            f"unknown index branch rule '{rule}'",
            field=("branch",),
            fix=f"use one of {', '.join(INDEX_RULES)}",
        )
    n = refractive_index(eps, mu)
    if rule == "decay":
        return n
    wv = np.asarray(w, dtype=np.float64)
    e = np.asarray(eps, dtype=np.complex128)
    m = np.asarray(mu, dtype=np.complex128)
    dF = 2.0 * wv * e * m + wv * wv * np.asarray(d_eps_mu, dtype=np.complex128)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (dF / (wv * n)).real
    propagating = np.abs(n.imag) < PROPAGATION_RATIO * np.abs(n.real)
    return np.where(propagating & (s < 0), -n, n)


@dataclass(frozen=True)
class OpticalResponse:
    """Bulk optical response of a medium on a real frequency grid; every array has shape (N,).

    ``k`` is the complex wavenumber w n / c in units of the free-space wavenumber per unit
    frequency (k = w n in natural units). ``v_phase`` = c / Re n and ``v_group`` = c / Re(dk/dw),
    in units of c (inf where the denominator vanishes). ``left_handed`` is v_phase v_group < 0
    (Cho's criterion) on propagating frequencies, |Im n| < ``PROPAGATION_RATIO`` |Re n| (in a stop
    band or an absorption line the sign of v_phase v_group carries no meaning), ``negative_index`` is Re n < 0, ``rules_disagree`` marks where the decay and
    group-velocity branch rules pick opposite signs of n.
    """

    frequencies: FloatArray
    eps: ComplexArray
    mu: ComplexArray
    n: ComplexArray
    impedance: ComplexArray
    k: ComplexArray
    v_phase: FloatArray
    v_group: FloatArray
    left_handed: BoolArray
    negative_index: BoolArray
    rules_disagree: BoolArray
    rule: IndexRule = field(default="decay")


def optical_response(
    medium: Medium, w: ArrayLike, *, rule: IndexRule = "decay", field: FieldPath = ()
) -> OpticalResponse:
    """Index, impedance, complex k = w n / c and phase/group velocities of a bulk medium.

    Notes
    -----
    k(w) = w n(w) / c is the real-frequency solution of the dispersion relation
    k^2 = w^2 eps mu / c^2 (Westerberg & Barnett, the relation under eq 9; Cho eqs 46-47).
    v_p = w / Re k = c / Re n, v_g = 1 / Re(dk/dw) with dk/dw = (n + w dn/dw) / c and
    dn/dw = d(eps mu)/dw / (2 n).
    """
    wv = np.asarray(w, dtype=np.float64).reshape(-1)
    if np.any(wv <= 0):
        raise InvalidInput(
            "optical response needs positive frequencies",
            field=("frequencies",),
            fix="start the frequency grid above zero",
        )
    eps, mu, d = medium_eps_mu_derivative(medium, wv, field=field)
    n_decay = refractive_index(eps, mu)
    n_gv = index_branch(wv, eps, mu, d, "group-velocity")
    n = n_decay if rule == "decay" else index_branch(wv, eps, mu, d, rule)
    with np.errstate(divide="ignore", invalid="ignore"):
        dkdw = n + wv * d / (2.0 * n)
        v_p = 1.0 / n.real
        v_g = 1.0 / dkdw.real
    return OpticalResponse(
        frequencies=wv,
        eps=eps,
        mu=mu,
        n=n,
        impedance=impedance(n, mu),
        k=wv * n,
        v_phase=v_p,
        v_group=v_g,
        left_handed=((v_p * v_g) < 0) & (np.abs(n.imag) < PROPAGATION_RATIO * np.abs(n.real)),
        negative_index=n.real < 0,
        rules_disagree=np.sign(n_decay.real) != np.sign(n_gv.real),
        rule=rule,
    )


def mask_intervals(w: ArrayLike, mask: ArrayLike) -> list[tuple[float, float]]:
    """Contiguous runs of ``mask`` on the grid ``w`` as (first, last) grid frequencies."""
    wv = np.asarray(w, dtype=np.float64).reshape(-1)
    m = np.asarray(mask, dtype=bool).reshape(-1).astype(np.int8)
    edges = np.diff(np.concatenate([[0], m, [0]]))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1) - 1
    return [(float(wv[a]), float(wv[b])) for a, b in zip(starts, stops, strict=True)]


# ---------------------------------------------------------------------------------------------
# Fresnel coefficients and stacks
# ---------------------------------------------------------------------------------------------


def vacuum_wavenumber(w: ArrayLike, physical: bool) -> FloatArray:
    """k0 = w / c: in 1/m for w in rad/s (``physical``), else k0 = w (model units, c = 1)."""
    wv = np.asarray(w, dtype=np.float64)
    return wv / sc.c if physical else wv.copy()


def normal_wavevector(eps: ArrayLike, mu: ArrayLike, kx2: ArrayLike) -> ComplexArray:
    """q = k_z / k0 = +- sqrt(eps mu - kx^2) on the decaying branch.

    Im q > 0; where Im q = 0 exactly, the sign with energy flow Re(q / mu) > 0 (for propagating
    waves eps and mu then have the same sign, so Re(q / eps) > 0 too). ``kx2`` = (k_x / k0)^2.
    """
    e = np.asarray(eps, dtype=np.complex128)
    m = np.asarray(mu, dtype=np.complex128)
    q = np.sqrt(e * m - np.asarray(kx2, dtype=np.complex128))
    with np.errstate(divide="ignore", invalid="ignore"):
        flip = (q.imag < 0) | ((q.imag == 0) & ((q / m).real < 0))
    return np.where(flip, -q, q)


def half_space_wavevector(
    eps: ArrayLike, mu: ArrayLike, kx2: ArrayLike, branch: GainBranch = "causal"
) -> ComplexArray:
    """q = k_z / k0 of the wave transmitted into a semi-infinite medium, on ``branch``.

    Parameters
    ----------
    eps, mu : complex, broadcastable
        The half-space's eps and mu.
    kx2 : complex, broadcastable
        (k_x / k0)^2, real and >= 0 (fixed by the transparent ambient).
    branch : {"causal", "decay"}
        ``decay``: Im q >= 0 everywhere (:func:`normal_wavevector`). ``causal`` (default):
        the same where the medium is passive (:func:`core.passivity.passivity_indicator` >= 0);
        where it has gain, the root continued from the lossless limit (module docstring,
        "Media with gain").

    Returns
    -------
    complex array, the broadcast shape.

    Notes
    -----
    J. Skaar, Phys. Rev. E 73, 026605 (2006), doi:10.1103/PhysRevE.73.026605: for an active
    medium the physical k_z is the analytic continuation of the passive/lossless one (causality),
    not the root with Im k_z >= 0. With q^2 = eps mu - kx^2 and X = Re q^2, the straight path
    Re q^2 -> q^2 (switching the gain on) crosses neither 0 nor, for X > 0, the negative real
    axis, so the continued root is, where X > 0 (a propagating wave in the lossless limit),
    sign(Re mu) sqrt(q^2) (principal root; energy flow Re(q / mu) > 0 in the limit, as for
    :func:`normal_wavevector`), a wave that grows along its direction of propagation; where
    X <= 0 (evanescent in the limit) it is the decaying root. At passive points both rules give
    the decaying root (tests/core/test_optics.py checks it on random passive media).
    """
    q = normal_wavevector(eps, mu, kx2)
    if branch == "decay":
        return q
    if branch not in GAIN_BRANCHES:
        raise InvalidInput(
            f"unknown gain branch '{branch}'",
            field=("gain_branch",),
            fix=f"use one of {', '.join(GAIN_BRANCHES)}",
        )
    e = np.asarray(eps, dtype=np.complex128)
    m = np.asarray(mu, dtype=np.complex128)
    q2 = e * m - np.asarray(kx2, dtype=np.complex128)
    s = np.sign(m.real)
    s = np.where(s == 0, np.sign(e.real), s)
    causal = s * np.sqrt(q2)
    gain = (passivity_indicator(e, m) < 0) & (q2.real > 0) & (s != 0)
    return np.where(np.broadcast_to(gain, q.shape), causal, q)


def half_space_index(eps: ArrayLike, mu: ArrayLike, branch: GainBranch = "causal") -> ComplexArray:
    """n of a half-space on ``branch`` (:func:`half_space_wavevector` at normal incidence)."""
    return half_space_wavevector(eps, mu, 0.0, branch)


def _check_polarization(polarization: str, field: FieldPath) -> None:
    if polarization not in POLARIZATIONS:
        raise InvalidInput(
            f"unknown polarisation '{polarization}'", field=field, fix="use 's' or 'p'"
        )


def _check_angles(angles: FloatArray, field: FieldPath) -> None:
    bad = ~np.isfinite(angles) | (angles < 0) | (angles >= np.pi / 2)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(
            f"angle of incidence {np.degrees(angles[i]):g} deg is outside [0, 90)",
            field=(*field, i),
            fix="give angles from 0 (normal incidence) up to, not including, 90 degrees",
        )


def _ambient_kx2(
    eps0: ComplexArray, mu0: ComplexArray, angles: FloatArray, field: FieldPath
) -> ComplexArray:
    n0 = refractive_index(eps0, mu0)
    lossy = np.abs(n0.imag) > AMBIENT_LOSS_RTOL * np.abs(n0)
    if lossy.any() or np.any(n0 == 0):
        raise InvalidInput(
            "the incident (ambient) medium must be transparent: reflectance and an angle of "
            f"incidence are defined only where n is real (n = {n0[np.argmax(lossy)]:.4g})",
            field=field,
            fix="use a lossless ambient medium (e.g. vacuum or a constant eps > 0, mu > 0)",
        )
    n0r = n0.real
    return np.asarray((n0r[None, :] * np.sin(angles)[:, None]) ** 2, dtype=np.complex128)


@dataclass(frozen=True)
class Coefficients:
    """Amplitude and power coefficients, each of shape (A, N) (angles x frequencies).

    ``r`` is the reflected/incident ratio of the tangential field that is continuous across
    interfaces: E_y for s, H_y for p; for non-magnetic media r_p = (n2 cos t1 - n1 cos t2) /
    (n2 cos t1 + n1 cos t2) (so r_p = -r_s at normal incidence). ``t`` is the transmitted/incident
    ratio of electric field amplitudes for both polarisations. R = |r|^2; T is the power fraction
    that enters the substrate (Poynting flux normal to the interfaces); A = 1 - R - T is the
    fraction absorbed in the layers (0 for a single interface).
    """

    r: ComplexArray
    t: ComplexArray
    R: FloatArray
    T: FloatArray
    A: FloatArray


def fresnel(
    eps1: ArrayLike,
    mu1: ArrayLike,
    eps2: ArrayLike,
    mu2: ArrayLike,
    angles: ArrayLike,
    polarization: Polarization,
    *,
    gain_branch: GainBranch = "causal",
) -> Coefficients:
    """Fresnel coefficients of one interface between two media with eps and mu, any angle.

    Parameters
    ----------
    eps1, mu1 : (N,) complex
        Incident medium (must be transparent).
    eps2, mu2 : (N,) complex
        Transmitting medium.
    angles : (A,) float
        Angles of incidence in radians, in [0, pi/2).
    polarization : {"s", "p"}
    gain_branch : {"causal", "decay"}
        Root of q_2 where medium 2 has gain (:func:`half_space_wavevector`); passive media do
        not depend on it.

    Notes
    -----
    With q_j = sqrt(eps_j mu_j - n1^2 sin^2 theta) (decaying branch; medium 2 on ``gain_branch``) and the admittance
    Y_j = q_j / mu_j (s) or q_j / eps_j (p) (Born & Wolf sec. 1.5.2, generalised to mu != 1):
    r = (Y1 - Y2) / (Y1 + Y2), t_u = 2 Y1 / (Y1 + Y2) for the continuous field u (E_y or H_y),
    R = |r|^2, T = Re(Y2) / Re(Y1) |t_u|^2.
    """
    e1 = np.asarray(eps1, dtype=np.complex128).reshape(-1)
    m1 = np.asarray(mu1, dtype=np.complex128).reshape(-1)
    e2 = np.broadcast_to(np.asarray(eps2, dtype=np.complex128).reshape(-1), e1.shape)
    m2 = np.broadcast_to(np.asarray(mu2, dtype=np.complex128).reshape(-1), e1.shape)
    return stack_coefficients(
        np.stack([e1, e2]),
        np.stack([m1, m2]),
        np.zeros(0),
        np.zeros(e1.shape),
        angles,
        polarization,
        gain_branch=gain_branch,
    )


def stack_coefficients(
    eps: ArrayLike,
    mu: ArrayLike,
    thickness: ArrayLike,
    k0: ArrayLike,
    angles: ArrayLike,
    polarization: Polarization,
    *,
    gain_branch: GainBranch = "causal",
    field: FieldPath = (),
) -> Coefficients:
    """Coherent multilayer: ambient | L layers | substrate, r, t, R, T, A for one polarisation.

    Parameters
    ----------
    eps, mu : (L + 2, N) complex
        Row 0 the ambient (transparent, semi-infinite), rows 1..L the layers, row L + 1 the
        substrate (semi-infinite).
    thickness : (L,) float
        Layer thicknesses in the length unit of 1 / ``k0`` (metres for k0 in 1/m).
    k0 : (N,) float
        Free-space wavenumber w / c at each frequency (:func:`vacuum_wavenumber`).
    angles : (A,) float
        Angles of incidence in the ambient, radians in [0, pi/2).
    polarization : {"s", "p"}
    gain_branch : {"causal", "decay"}
        Root of the substrate's q where the substrate has gain (:func:`half_space_wavevector`;
        module docstring, "Media with gain"). A layer of finite thickness does not depend on the
        root (its characteristic matrix is even in q_j), so layers always use the decaying one,
        for which |phi_j| <= 1.

    Returns
    -------
    Coefficients
        Arrays of shape (A, N).

    Notes
    -----
    Transfer-matrix method in its numerically stable recursive (Rouard/Airy) form: with
    Y_j = q_j / mu_j (s) or q_j / eps_j (p), interface coefficients r_j = (Y_j - Y_{j+1}) /
    (Y_j + Y_{j+1}), t_j = 2 Y_j / (Y_j + Y_{j+1}) and phase factors
    phi_j = exp(i q_j k0 d_j) (|phi_j| <= 1 since Im q_j >= 0), the reflection coefficient seen
    from layer j is Gamma_j = (r_j + Gamma_{j+1} phi_{j+1}^2) / (1 + r_j Gamma_{j+1} phi_{j+1}^2),
    Gamma_{L+1} = 0, r = Gamma_0, and the transmitted amplitude of the continuous field is
    t_u = prod_j t_j / (1 + r_j Gamma_{j+1} phi_{j+1}^2) prod_{j=1..L} phi_j. This is algebraically
    the 2x2 characteristic-matrix product (Born & Wolf sec. 1.6) but never overflows for thick
    or evanescent layers. T = Re(Y_sub) / Re(Y_0) |t_u|^2, A = 1 - R - T. Work is chunked over
    angles so that temporaries stay under ``STACK_CHUNK_BYTES``.
    """
    _check_polarization(polarization, (*field, "polarization"))
    if gain_branch not in GAIN_BRANCHES:
        raise InvalidInput(
            f"unknown gain branch '{gain_branch}'",
            field=(*field, "gain_branch"),
            fix=f"use one of {', '.join(GAIN_BRANCHES)}",
        )
    e = np.asarray(eps, dtype=np.complex128)
    m = np.asarray(mu, dtype=np.complex128)
    d = np.asarray(thickness, dtype=np.float64).reshape(-1)
    k0v = np.asarray(k0, dtype=np.float64).reshape(-1)
    th = np.asarray(angles, dtype=np.float64).reshape(-1)
    if e.ndim != 2 or e.shape != m.shape or e.shape[0] != d.shape[0] + 2:
        raise ValueError("eps and mu must have shape (L + 2, N) with L = len(thickness)")
    if e.shape[1] != k0v.shape[0]:
        raise ValueError("k0 must have one entry per frequency")
    bad = ~np.isfinite(d) | (d < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(
            f"layer thickness must be finite and >= 0 (got {d[i]})",
            field=(*field, "layers", i, "thickness"),
            fix="give a non-negative thickness",
        )
    _check_angles(th, (*field, "angles"))
    n_layers = d.shape[0]
    nf = e.shape[1]
    na = th.shape[0]
    out = {k: np.empty((na, nf), dtype=np.complex128) for k in ("r", "t")}
    outR = {k: np.empty((na, nf)) for k in ("R", "T")}
    # ~ (L + 8) live complex (a, f) arrays per chunk; chunk frequencies first, then angles
    per_point = 16 * (n_layers + 8)
    f_chunk = int(min(nf, max(1, STACK_CHUNK_BYTES // per_point)))
    a_chunk = int(max(1, STACK_CHUNK_BYTES // (per_point * f_chunk)))
    kx2_all = _ambient_kx2(e[0], m[0], th, (*field, "ambient"))
    n_in_all = refractive_index(e[0], m[0])
    n_out_all = half_space_index(e[-1], m[-1], gain_branch)
    for fs in range(0, nf, f_chunk):
        sl = slice(fs, fs + f_chunk)
        ef, mf, kf = e[:, sl], m[:, sl], k0v[sl]
        for s in range(0, na, a_chunk):
            kx2 = kx2_all[s : s + a_chunk, sl]
            r, t, R, T = _stack_chunk(ef, mf, d, kf, kx2, polarization, gain_branch)
            if polarization == "p":
                # E amplitude from H_y: E = (mu / n) H per medium (plane-wave relation, c = 1)
                t = t * (mf[-1] / n_out_all[sl]) / (mf[0] / n_in_all[sl])
            out["r"][s : s + a_chunk, sl] = r
            out["t"][s : s + a_chunk, sl] = t
            outR["R"][s : s + a_chunk, sl] = R
            outR["T"][s : s + a_chunk, sl] = T
    A = 1.0 - outR["R"] - outR["T"]
    return Coefficients(r=out["r"], t=out["t"], R=outR["R"], T=outR["T"], A=A)


def _stack_chunk(
    e: ComplexArray,
    m: ComplexArray,
    d: FloatArray,
    k0: FloatArray,
    kx2: ComplexArray,
    polarization: str,
    gain_branch: GainBranch,
) -> tuple[ComplexArray, ComplexArray, FloatArray, FloatArray]:
    """Recursion of :func:`stack_coefficients` on one (angles x frequencies) chunk."""
    n_layers = d.shape[0]
    q = normal_wavevector(e[:, None, :], m[:, None, :], kx2[None, :, :])  # (L+2, a, f)
    q[-1] = half_space_wavevector(e[-1][None, :], m[-1][None, :], kx2, gain_branch)
    y = q / (m[:, None, :] if polarization == "s" else e[:, None, :])
    gamma = np.zeros(kx2.shape, dtype=np.complex128)
    t_u = np.ones(kx2.shape, dtype=np.complex128)
    for j in range(n_layers, -1, -1):
        yj, yn = y[j], y[j + 1]
        s = yj + yn
        rj = (yj - yn) / s
        tj = 2.0 * yj / s
        if j + 1 <= n_layers:
            phi = np.exp(1j * q[j + 1] * (k0 * d[j]))
            g2 = gamma * phi * phi
            t_u = t_u * phi
        else:
            g2 = gamma  # substrate: nothing comes back
        den = 1.0 + rj * g2
        gamma = (rj + g2) / den
        t_u = t_u * tj / den
    R = np.abs(gamma) ** 2
    y0r = y[0].real
    T = np.where(y0r > 0, y[-1].real / np.where(y0r > 0, y0r, 1.0), 0.0) * np.abs(t_u) ** 2
    return gamma, t_u, R, T


def check_stack_size(
    n_layers: int, n_freq: int, n_angles: int, *, max_layer_points: int, field: FieldPath = ()
) -> None:
    """Raise :class:`LimitExceeded` when layers x frequencies x angles exceeds ``max_layer_points``."""
    work = (n_layers + 1) * n_freq * n_angles
    if work > max_layer_points:
        raise LimitExceeded(
            f"the stack needs {work} layer-frequency-angle evaluations, more than the limit "
            f"{max_layer_points}",
            limit_name="max_layer_points",
            limit=max_layer_points,
            requested=work,
            field=field,
            fix="use fewer layers, frequencies or angles",
        )


# ---------------------------------------------------------------------------------------------
# Reports: the statements of the optics endpoints, written once
# ---------------------------------------------------------------------------------------------

#: Tolerance of the energy balance and of the absorptance sign (rounding of the recursion).
ENERGY_TOL: Final = 1e-10

#: Outcomes of the energy balance of a stack (``details.balance`` of :data:`ENERGY_BALANCE`).
Balance = Literal["conserved", "absorbing", "gain", "inconsistent"]
BALANCES: Final[tuple[str, ...]] = get_args(Balance)

#: The energy balance of a stack, judged against what its media allow at each grid frequency.
ENERGY_BALANCE: Final = CheckSpec(
    name="energy",
    kind="bound",
    equation="Poynting's theorem (Born & Wolf sec. 1.5.3) at each (angle, frequency): every medium "
    "lossless (eps, mu real) -> R + T = 1; every medium passive -> A = 1 - R - T >= 0 and T >= 0; "
    "some medium with gain (the passive check fails there) -> no bound, A < 0 (and R > 1, T < 0) "
    "is the power the gain adds. details.balance: conserved | absorbing | gain | inconsistent; "
    "value = max |R + T - 1| when every medium is lossless, else min A",
    explanation="The balance breaks a bound that the media impose (R + T != 1 without loss, A < 0 "
    "or T < 0 with passive media only): the coefficients are numerically wrong (a layer on a "
    "guided or surface mode, or a singular interface).",
    tolerance=ENERGY_TOL,
    warning="the energy balance ({polarization}) is inconsistent with the media: "
    "{violation}; the coefficients are not accurate at some angle and frequency.",
)

#: Explanation of :data:`ENERGY_BALANCE` for a stack with gain (no bound applies there).
GAIN_BALANCE: Final = (
    "the stack contains media with gain ({media}; see the passive check), so no energy bound "
    "applies at {n_gain} of {n_points} (angle, frequency) points (there min A = {min_a:.4g}, "
    "max R = {max_r:.4g}, min T = {min_t:.4g}; A < 0 or R > 1 is the gain showing, expected and "
    "not an error, while A = 0 means the gain medium is a half-space whose interface conserves "
    "R + T = 1). {checked}Substrate root where it has gain: {branch} branch."
)

#: Note of a stack with gain in the substrate: which root of k_z the answer uses.
GAIN_BRANCH_NOTE: Final = {
    "causal": "the substrate ({media}) has gain: its transmitted wave is taken on the causal "
    "branch (the root continued from the lossless limit, Skaar, Phys. Rev. E 73, 026605 (2006)), a "
    "wave that grows along its direction of propagation; the half-space answer of an amplifying "
    "medium is defined only while that medium is stable (Skaar), a finite slab is unambiguous; "
    "gain_branch='decay' gives the root with Im k_z >= 0",
    "decay": "the substrate ({media}) has gain and gain_branch='decay' takes its transmitted wave "
    "with Im k_z >= 0: that wave runs backward (energy flux toward the interface), which is why "
    "R > 1 and T < 0 can appear; the causal branch (Skaar, Phys. Rev. E 73, 026605 (2006)) is the "
    "default",
}

#: Note of a stack with a left-handed medium (no verdict: a property of the media).
LEFT_HANDED_NOTE: Final = (
    "Re n < 0 (left-handed) somewhere in: {media} (index on the causal branch: Im n > 0 where the "
    "medium is passive)"
)

#: Where the wave is left-handed (Cho's criterion); numbers only.
LEFT_HANDED: Final = CheckSpec(
    name="left_handed",
    kind="value",
    equation="v_phase v_group < 0 where the wave propagates (|Im n| < 0.1 |Re n|), Cho sec. 3.4 "
    "and conclusion h; value = number of intervals",
    explanation="Frequency intervals (grid unit) where phase and group velocity are antiparallel.",
)

#: Where Re n < 0 (Veselago's criterion); numbers only.
NEGATIVE_INDEX: Final = CheckSpec(
    name="negative_index",
    kind="value",
    equation="Re n < 0 on the chosen branch (Veselago); value = number of intervals",
    explanation="Frequency intervals (grid unit) with a negative refractive index; they need not "
    "coincide with the left-handed ones.",
)

#: Agreement of the decay rule with Cho's group-velocity rule.
BRANCH_RULES: Final = CheckSpec(
    name="branch_rules",
    kind="indicative",
    equation="sign Re n of the decay rule (Im n > 0) = that of the group-velocity rule "
    "(Re dk/dw > 0 where the wave propagates), Cho sec. 3.4; value = number of disagreement "
    "intervals on the grid",
    explanation="Where the two rules disagree the wave with v_g > 0 grows along its path: the "
    "medium has gain there, or v_g is not an energy velocity (anomalous dispersion with loss).",
    tolerance=0.0,
    warning="the decay and group-velocity index rules disagree on {n_intervals} interval(s): "
    "there the wave with v_g > 0 grows along its path (gain, Im(eps mu) < 0 where Re n > 0, or "
    "anomalous dispersion with loss, where v_g is not the energy velocity); the `decay` branch "
    "is the one a passive medium selects",
)


@dataclass(frozen=True)
class StackReport(Report):
    """A :class:`Report` of a stack: its arrays are in long format (one row per angle and
    frequency, angle-major), and ``shape`` says so in the API's ``meta.shape``."""

    shape: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta, data = super().payload()
        meta["shape"] = dict(self.shape)
        return meta, data


def _path(field_path: FieldPath) -> str:
    return "/".join(str(x) for x in field_path)


def _energy_check(
    c: Coefficients,
    pol: str,
    gain_branch: GainBranch,
    lossless: bool,
    lossless_f: BoolArray,
    lossy_f: BoolArray,
    gain_f: BoolArray,
    gain_media: Sequence[str],
) -> tuple[Check, str | None]:
    """:data:`ENERGY_BALANCE` of one polarisation; masks are (A, N): where every medium is
    lossless, where all are passive with some loss, where some medium has gain. Returns the check
    and, for a stack with gain, the note that says so."""
    balance = c.R + c.T - 1.0
    dev = float(np.max(np.abs(balance)))
    a_min = float(c.A.min())
    dev_lossless = float(np.max(np.abs(balance[lossless_f]))) if lossless_f.any() else 0.0
    a_passive = float(c.A[lossy_f].min()) if lossy_f.any() else 0.0
    t_passive = float(c.T[~gain_f].min()) if (~gain_f).any() else 0.0
    violations = []
    if dev_lossless > ENERGY_TOL:
        violations.append(f"R + T - 1 = {dev_lossless:.3g} where every medium is lossless")
    if a_passive < -ENERGY_TOL:
        violations.append(f"A = 1 - R - T reaches {a_passive:.3g} < 0 with passive media only")
    if t_passive < -ENERGY_TOL:
        violations.append(f"T reaches {t_passive:.3g} < 0 with passive media only")
    n_gain = int(np.count_nonzero(gain_f))
    outcome: Balance
    if violations:
        outcome = "inconsistent"
    elif n_gain:
        outcome = "gain"
    elif lossless:
        outcome = "conserved"
    else:
        outcome = "absorbing"
    details: dict[str, Any] = {
        "balance": outcome,
        "lossless": lossless,
        "max_abs_R_plus_T_minus_1": dev,
        "min_absorptance": a_min,
        "max_reflectance": float(c.R.max()),
        "min_transmittance": float(c.T.min()),
        "gain_points": n_gain,
        "gain_branch": gain_branch,
        "polarization": pol,
    }
    value = dev if lossless else a_min
    if outcome == "inconsistent":
        return ENERGY_BALANCE.judge(False, value, violation="; ".join(violations), **details), None
    if outcome == "gain":
        n_other = int(gain_f.size - n_gain)
        checked = (
            f"The bounds of the passive frequencies hold at the other {n_other} points. "
            if n_other
            else ""
        )
        text = GAIN_BALANCE.format(
            media=", ".join(gain_media),
            n_gain=n_gain,
            n_points=gain_f.size,
            min_a=a_min,
            max_r=float(c.R.max()),
            min_t=float(c.T.min()),
            checked=checked,
            branch=gain_branch,
        )
        chk = ENERGY_BALANCE.judge(None, value, explanation=text, **details)
        return chk, f"energy_{pol}: {text}"
    return ENERGY_BALANCE.judge(True, value, **details), None


def stack_report(
    media: Sequence[Medium],
    thickness: ArrayLike,
    w: ArrayLike,
    *,
    angles_deg: ArrayLike,
    polarizations: Sequence[Polarization],
    physical: bool,
    grid: ArrayLike | None = None,
    grid_unit: str = "model",
    length_unit: str = "model",
    fields: Sequence[FieldPath] | None = None,
    to_output: Callable[[FloatArray], FloatArray] | None = None,
    gain_branch: GainBranch = "causal",
) -> StackReport:
    """Reflectance, transmittance and absorptance of ambient | layers | substrate, with its checks.

    Parameters
    ----------
    media : sequence of Medium, length L + 2
        Ambient (transparent), the L layers, substrate; each in the unit of ``w``.
    thickness : (L,) float
        Layer thicknesses in metres (``physical``) or c / w_unit (model units).
    w : (N,) float
        Angular frequencies: rad/s (``physical``) or the model unit.
    angles_deg : (A,) float
        Angles of incidence in the ambient, degrees in [0, 90).
    polarizations : sequence of {"s", "p"}
    physical : bool
        Whether ``w`` is in rad/s (k0 = w / c in 1/m) or model units (k0 = w).
    grid, grid_unit
        The frequencies as the user gave them (default ``w``) and their unit: the ``frequencies``
        array of the report.
    length_unit
        Unit in which the user gave the thicknesses (``model`` reads as c / w_unit).
    fields
        Path of each medium in the request (errors and notes name it); default ``("medium", j)``.
    to_output
        Map from the unit of ``w`` to ``grid_unit`` (passivity intervals are reported in it).
    gain_branch : {"causal", "decay"}
        Root of the substrate's k_z where the substrate has gain (:func:`half_space_wavevector`);
        named in the checks' ``details.gain_branch`` and in a note.

    Returns
    -------
    StackReport
        Arrays ``frequencies``, ``angles`` then ``R_x``, ``T_x``, ``A_x``, ``r_x``, ``t_x`` per
        polarisation, each of length A N (angle-major). Checks ``energy_x`` per polarisation
        (:data:`ENERGY_BALANCE`, outcome in ``details.balance``) and ``passive``
        (:data:`core.passivity.PASSIVITY` of every medium at every grid frequency; the media with
        gain in ``details.media`` and their intervals in ``details.per_medium``); notes name the
        gain branch of an amplifying substrate and the left-handed media.

    Raises
    ------
    InvalidInput
        A medium outside its table, an opaque ambient, a singular stack (a lossless layer exactly
        on a guided mode, eps = 0 or mu = 0 in a layer).
    """
    wv = np.asarray(w, dtype=np.float64).reshape(-1)
    pts = wv if grid is None else np.asarray(grid, dtype=np.float64).reshape(-1)
    paths = list(fields) if fields is not None else [("medium", j) for j in range(len(media))]
    eps = np.empty((len(media), wv.size), dtype=np.complex128)
    mu = np.empty_like(eps)
    for j, (med, fp) in enumerate(zip(media, paths, strict=True)):
        eps[j], mu[j] = medium_eps_mu(med, wv, field=fp)
    d = np.asarray(thickness, dtype=np.float64).reshape(-1)
    k0 = vacuum_wavenumber(wv, physical)
    deg = np.asarray(angles_deg, dtype=np.float64).reshape(-1)
    th = np.radians(deg)
    n_ang, n_f = th.size, wv.size
    arrays: dict[str, Series] = {
        "frequencies": Series(np.tile(pts, n_ang), "frequency of each row", grid_unit),
        "angles": Series(np.repeat(deg, n_f), "angle of incidence", "deg", "frequencies"),
    }
    checks: list[tuple[str, Check]] = []
    notes: list[str] = []
    indicator = passivity_indicator(eps, mu)  # (L + 2, N)
    gain_rows = [bool(np.any(row < 0)) for row in indicator]
    gain_media = [_path(fp) for fp, g in zip(paths, gain_rows, strict=True) if g]
    lossless = bool(np.all(eps.imag == 0) and np.all(mu.imag == 0))
    # what the media allow at each frequency: no loss anywhere, passive, or some gain
    gain_f = np.broadcast_to(np.any(indicator < 0, axis=0), (n_ang, n_f))
    lossless_f = np.broadcast_to(np.all((eps.imag == 0) & (mu.imag == 0), axis=0), (n_ang, n_f))
    lossy_f = ~gain_f & ~lossless_f
    for pol in polarizations:
        c = stack_coefficients(eps, mu, d, k0, th, pol, gain_branch=gain_branch)
        if not (np.all(np.isfinite(c.r)) and np.all(np.isfinite(c.t))):
            raise InvalidInput(
                "the stack is singular at some angle and frequency (a lossless layer sits exactly "
                "on a guided or surface mode, or mu = 0 / eps = 0 in a layer)",
                field=("layers",),
                fix="give the layers a little loss (Im eps > 0) or move the grid points",
            )
        label = {"s": "s (TE)", "p": "p (TM)"}[pol]
        arrays[f"R_{pol}"] = Series(c.R.reshape(-1), f"reflectance R, {label}", "1", "frequencies")
        arrays[f"T_{pol}"] = Series(
            c.T.reshape(-1), f"transmittance T into the substrate, {label}", "1", "frequencies"
        )
        arrays[f"A_{pol}"] = Series(
            c.A.reshape(-1), f"absorptance A = 1 - R - T, {label}", "1", "frequencies"
        )
        arrays[f"r_{pol}"] = Series(
            c.r.reshape(-1), f"reflection amplitude r, {label}", "1", "frequencies"
        )
        arrays[f"t_{pol}"] = Series(
            c.t.reshape(-1), f"transmission amplitude t (E field), {label}", "1", "frequencies"
        )
        chk, note = _energy_check(
            c, pol, gain_branch, lossless, lossless_f, lossy_f, gain_f, gain_media
        )
        if note:
            notes.append(note)
        checks.append((f"energy_{pol}", chk))
    where = f"; gain in: {', '.join(gain_media)}" if gain_media else ""
    passive = passivity_check(
        wv,
        eps=eps,
        mu=mu,
        to_output=to_output,
        scope=f"every medium of the stack, sampled on the frequency grid{where}",
    )
    per_medium = {
        _path(fp): passivity_check(wv, eps=eps[j], mu=mu[j], to_output=to_output).details[
            "non_passive_intervals"
        ]
        for j, fp in enumerate(paths)
        if gain_rows[j]
    }
    checks.append(
        (
            "passive",
            replace(
                passive,
                details={
                    **passive.details,
                    "media": gain_media,
                    "per_medium": per_medium,
                    "gain_branch": gain_branch,
                },
            ),
        )
    )
    if gain_rows[-1]:
        notes.append(GAIN_BRANCH_NOTE[gain_branch].format(media=_path(paths[-1])))
    n_all = half_space_index(eps, mu, "causal")
    lh = [_path(fp) for fp, row in zip(paths, n_all, strict=True) if np.any(row.real < 0)]
    if lh:
        notes.append(LEFT_HANDED_NOTE.format(media=", ".join(lh)))
    units = {
        "frequencies": grid_unit,
        "angles": "deg",
        "thickness": length_unit if length_unit != "model" else "c / w_unit",
        "R, T, A": "1",
    }
    return StackReport(
        model=MODEL_NAME_REFLECTANCE,
        version=MODEL_VERSION,
        arrays=arrays,
        checks=checks_of(*checks),
        notes=tuple(notes),
        units=units,
        shape={"angles": n_ang, "frequencies": n_f, "order": "angle-major"},
    )


def frequency_checks(
    grid: ArrayLike,
    r: OpticalResponse,
    medium: Medium | None = None,
    *,
    to_output: Callable[[FloatArray], FloatArray] | None = None,
) -> list[tuple[str, Check]]:
    """The checks of a bulk response on a frequency grid: ``left_handed``, ``negative_index``
    (values), ``branch_rules`` (:data:`BRANCH_RULES`) and ``passive`` (:data:`PASSIVITY`, the
    full statement from eps and mu, with min Im eps, Im mu, Im(eps mu) in ``details``).

    ``grid`` is the frequency grid in the user's unit (intervals are reported in it, whatever
    its order); ``medium`` refines the edges of non-passive intervals; ``to_output`` maps the
    medium's unit to the grid unit.
    """
    pts = np.asarray(grid, dtype=np.float64).reshape(-1)
    order = np.argsort(pts)
    lh = mask_intervals(pts[order], r.left_handed[order])
    neg = mask_intervals(pts[order], r.negative_index[order])
    dis = mask_intervals(pts[order], r.rules_disagree[order])
    eps_mu = r.eps * r.mu
    refine = None
    if medium is not None:

        def refine(x: float) -> float:
            e, m = medium_eps_mu(medium, np.array([x]))
            return float(passivity_indicator(e, m)[0])

    passive = passivity_check(r.frequencies, eps=r.eps, mu=r.mu, refine=refine, to_output=to_output)
    passive = replace(
        passive,
        details={
            **passive.details,
            "min_im_epsilon": float(r.eps.imag.min()),
            "min_im_mu": float(r.mu.imag.min()),
            "min_im_eps_mu": float(eps_mu.imag.min()),
        },
    )
    return [
        (
            "left_handed",
            LEFT_HANDED.value_only(float(len(lh)), intervals=intervals_in(lh, identity)),
        ),
        (
            "negative_index",
            NEGATIVE_INDEX.value_only(float(len(neg)), intervals=intervals_in(neg, identity)),
        ),
        (
            "branch_rules",
            BRANCH_RULES.judge(
                not dis,
                float(len(dis)),
                rule=r.rule,
                n_intervals=len(dis),
                disagreement_intervals=intervals_in(dis, identity),
            ),
        ),
        ("passive", passive),
    ]
