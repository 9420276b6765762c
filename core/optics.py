"""Optics of media with both eps and mu: media, index branch, impedance, Fresnel, stacks, velocities.

Units and conventions
---------------------
Fields vary as exp(i (k.r - w t)); a passive medium has Im eps >= 0 and Im mu >= 0 (the oscillator
medium of seed 000 may have Im mu < 0 in places while Im(eps mu) > 0, eq 25). Every function is in
natural units c = 1: velocities are in units of c, the dimensionless index is n = c k / w.

Frequencies and lengths. Functions take angular frequencies ``w`` in whatever linear unit the
medium uses, and the free-space wavenumber ``k0 = w / c`` in inverse length units chosen by the
caller. For physical units w is in rad/s and ``k0 = w / scipy.constants.c`` in 1/m, so layer
thicknesses are in metres (:func:`vacuum_wavenumber`). For the dimensionless ``model`` unit
(c = 1, frequencies in units of w_unit, e.g. the plasma frequency w_p of seed 000) ``k0 = w`` and
thicknesses are in units of c / w_unit.

Media
-----
Every optics routine sees a medium only through :func:`medium_eps_mu`, which turns any medium kind
into eps(w), mu(w) on a frequency grid: :class:`ConstantMedium`, :class:`TabulatedMedium`,
:class:`core.oscillators.OscillatorMedium` (seed 000 eq 21) and the magnetic-resonance medium of
:mod:`core.chiral` (seed 002 eqs 44-47).

Index branch
------------
n = +- sqrt(eps mu). Rule ``"decay"`` (default): Im n > 0, the wave decays along its direction of
propagation; where Im n = 0 exactly, the sign with energy flow Re(n / mu) > 0. For a passive
medium this is n = sqrt(eps) sqrt(mu) (principal roots) and gives Re n < 0 when the medium is
left-handed (Re eps < 0 and Re mu < 0). Rule ``"group-velocity"`` is the criterion of Cho (seed 002,
sec. 3.4): of the two plane waves at a given frequency, the one connected to the incident field is
the one with positive group velocity, Re(dk/dw) > 0 with k = w n. Since
dk/dw = d(w^2 eps mu)/dw / (2 w n), the rule picks the sign of n with
Re[d(w^2 eps mu)/dw / (w n)] > 0, applied where the wave propagates (|Im n| < 0.1 |Re n|); in
stop bands and absorption lines it falls back to decay. The two rules agree for passive media; they differ where
d(w^2 eps mu)/dw has the "wrong" sign with little loss (non-Foster behaviour, e.g. the dipole-octopole
resonances of seed 000 where Im mu < 0), and :func:`optical_response` flags those frequencies.

Left-handed frequencies: v_phase v_group < 0 (Cho sec. 3.4 and conclusion h), reported together with
Re n < 0 (Veselago's criterion) because the two need not coincide.

References: M. Westerberg and S. M. Barnett (2025) (seed 000); K. Cho, "Model-independent
derivation of macroscopic Maxwell equations from microscopic basis" (seed 002); M. Born and
E. Wolf, *Principles of Optics*, 7th ed., sec. 1.5-1.6 (Fresnel formulae, stratified media).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants as sc
from scipy.interpolate import PchipInterpolator

from core.errors import InvalidInput, LimitExceeded
from core.oscillators import OscillatorMedium, evaluate

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
Interpolation = Literal["linear", "pchip"]
INTERPOLATIONS: Final[tuple[str, ...]] = get_args(Interpolation)

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
# Media
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConstantMedium:
    """A non-dispersive medium: eps and mu the same at every frequency.

    Parameters
    ----------
    eps, mu : complex
        Relative permittivity and permeability (dimensionless).
    """

    eps: complex
    mu: complex = 1.0 + 0.0j

    def __post_init__(self) -> None:
        for name in ("eps", "mu"):
            v = complex(getattr(self, name))
            if not (np.isfinite(v.real) and np.isfinite(v.imag)):
                raise InvalidInput(f"{name} must be finite (got {v})", field=(name,))
            object.__setattr__(self, name, v)
        if self.mu == 0:
            raise InvalidInput(
                "mu = 0 gives an infinite impedance",
                field=("mu",),
                fix="give a non-zero permeability",
            )


@dataclass(frozen=True)
class TabulatedMedium:
    """eps(w), mu(w) tabulated on a grid and interpolated (real and imaginary parts separately).

    Parameters
    ----------
    frequencies : (T,) float
        Strictly increasing angular frequencies (the unit of every ``w`` given later), T >= 2.
    eps, mu : (T,) complex
        Values at the table frequencies.
    interpolation : {"linear", "pchip"}
        Piecewise linear, or shape-preserving monotone cubic (scipy ``PchipInterpolator``).

    Frequencies outside the table are rejected (no extrapolation). Use :meth:`from_nk` for a
    non-magnetic table of n + i k, eps = (n + i k)^2, mu = 1.
    """

    frequencies: FloatArray
    eps: ComplexArray
    mu: ComplexArray
    interpolation: Interpolation = "linear"

    def __post_init__(self) -> None:
        f = np.array(self.frequencies, dtype=np.float64, ndmin=1)
        e = np.array(self.eps, dtype=np.complex128, ndmin=1)
        m = np.array(self.mu, dtype=np.complex128, ndmin=1)
        if f.ndim != 1 or f.shape[0] < 2:
            raise InvalidInput(
                "a table needs at least two frequencies",
                field=("frequencies",),
                fix="give two or more table rows",
            )
        for name, carr in (("eps", e), ("mu", m)):
            if carr.shape != f.shape:
                raise InvalidInput(
                    f"'{name}' has {carr.shape[0]} entries, expected {f.shape[0]}", field=(name,)
                )
        arrays: tuple[tuple[str, NDArray[Any]], ...] = (("frequencies", f), ("eps", e), ("mu", m))
        for name, arr in arrays:
            bad = ~np.isfinite(arr)
            if bad.any():
                i = int(np.argmax(bad))
                raise InvalidInput(f"{name}[{i}] is not finite", field=(name, i))
        if np.any(np.diff(f) <= 0):
            i = int(np.argmax(np.diff(f) <= 0)) + 1
            raise InvalidInput(
                "table frequencies must be strictly increasing",
                field=("frequencies", i),
                fix="sort the table by frequency and drop duplicate rows",
            )
        if self.interpolation not in INTERPOLATIONS:
            raise InvalidInput(
                f"unknown interpolation '{self.interpolation}'",
                field=("interpolation",),
                fix=f"use one of {', '.join(INTERPOLATIONS)}",
            )
        for _, arr in arrays:
            arr.setflags(write=False)
        object.__setattr__(self, "frequencies", f)
        object.__setattr__(self, "eps", e)
        object.__setattr__(self, "mu", m)

    @classmethod
    def from_nk(
        cls,
        frequencies: ArrayLike,
        n: ArrayLike,
        k: ArrayLike,
        interpolation: Interpolation = "linear",
    ) -> TabulatedMedium:
        """Non-magnetic table from the complex index n + i k: eps = (n + i k)^2, mu = 1."""
        nn = np.asarray(n, dtype=np.float64) + 1j * np.asarray(k, dtype=np.float64)
        return cls(
            frequencies=np.asarray(frequencies, dtype=np.float64),
            eps=nn * nn,
            mu=np.ones_like(nn),
            interpolation=interpolation,
        )


Medium = Any  # ConstantMedium | TabulatedMedium | OscillatorMedium | chiral MagneticResonanceMedium


def _interp(table_w: FloatArray, values: ComplexArray, w: FloatArray, kind: str) -> ComplexArray:
    if kind == "linear":
        return np.interp(w, table_w, values.real) + 1j * np.interp(w, table_w, values.imag)
    re = PchipInterpolator(table_w, values.real, extrapolate=False)(w)
    im = PchipInterpolator(table_w, values.imag, extrapolate=False)(w)
    return np.asarray(re + 1j * im, dtype=np.complex128)


def medium_eps_mu(
    medium: Medium, w: ArrayLike, *, field: FieldPath = ()
) -> tuple[ComplexArray, ComplexArray]:
    """eps(w) and mu(w) of any medium kind on real angular frequencies ``w``.

    Parameters
    ----------
    medium
        :class:`ConstantMedium`, :class:`TabulatedMedium`, :class:`OscillatorMedium` (eq 21 of
        seed 000) or the magnetic-resonance medium of :mod:`core.chiral` (seed 002 eqs 44-47).
    w : (N,) float
        Angular frequencies in the medium's unit.
    field
        Path of the medium inside the request, prefixed to the field of any error.

    Returns
    -------
    eps, mu : (N,) complex
        Always one-dimensional, even for N = 1.

    Raises
    ------
    InvalidInput
        Frequencies outside a table; an unknown medium kind.
    PoleOnGrid
        A frequency on an undamped resonance.
    """
    wv = np.asarray(w, dtype=np.float64).reshape(-1)
    if isinstance(medium, ConstantMedium):
        return (
            np.full(wv.shape, medium.eps, dtype=np.complex128),
            np.full(wv.shape, medium.mu, dtype=np.complex128),
        )
    if isinstance(medium, TabulatedMedium):
        lo, hi = medium.frequencies[0], medium.frequencies[-1]
        out = (wv < lo * (1 - 1e-12)) | (wv > hi * (1 + 1e-12))
        if out.any():
            raise InvalidInput(
                f"frequency {wv[np.argmax(out)]:g} is outside the table [{lo:g}, {hi:g}]",
                field=(*field, "frequencies"),
                fix="extend the table or restrict the frequency grid to the tabulated range",
            )
        wc = np.clip(wv, lo, hi)
        return (
            _interp(medium.frequencies, medium.eps, wc, medium.interpolation),
            _interp(medium.frequencies, medium.mu, wc, medium.interpolation),
        )
    if isinstance(medium, OscillatorMedium):
        resp = evaluate(medium, wv)  # PoleOnGrid names the grid ("frequencies",)
        return resp.epsilon, resp.mu
    fn = _chiral_adapter(medium)
    if fn is not None:
        eps, mu = fn(medium, wv)
        return (
            np.asarray(eps, dtype=np.complex128).reshape(wv.shape),
            np.asarray(mu, dtype=np.complex128).reshape(wv.shape),
        )
    raise InvalidInput(
        f"unknown medium kind {type(medium).__name__}",
        field=field,
        fix="use a constant, tabulated, oscillator or magnetic-resonance medium",
    )


def _chiral_adapter(medium: Medium) -> Any:
    """The eps/mu function of :mod:`core.chiral` for its magnetic-resonance medium, else None."""
    try:
        from core import chiral
    except ImportError:  # pragma: no cover - core.chiral is built in parallel
        return None
    cls = getattr(chiral, "MagneticResonanceMedium", None)
    fn = getattr(chiral, "magnetic_resonance_eps_mu", None)
    if cls is not None and fn is not None and isinstance(medium, cls):
        return fn
    return None


def _chiral_derivative(medium: Medium) -> Any:
    try:
        from core import chiral
    except ImportError:  # pragma: no cover
        return None
    cls = getattr(chiral, "MagneticResonanceMedium", None)
    fn = getattr(chiral, "magnetic_resonance_eps_mu_derivative", None)
    if cls is not None and fn is not None and isinstance(medium, cls):
        return fn
    return None


def medium_eps_mu_derivative(
    medium: Medium, w: ArrayLike, *, field: FieldPath = ()
) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
    """eps(w), mu(w) and d(eps mu)/dw, shape (N,) each.

    Analytic for constant, oscillator (derivative of eq 21 of seed 000) and magnetic-resonance
    media (core.chiral); a central
    difference with step h = 1e-6 max(|w|, tiny) for the other kinds (one-sided at table ends;
    a piecewise-linear table has a piecewise-constant derivative).
    """
    wv = np.asarray(w, dtype=np.float64).reshape(-1)
    eps, mu = medium_eps_mu(medium, wv, field=field)
    if isinstance(medium, ConstantMedium):
        return eps, mu, np.zeros_like(eps)
    if isinstance(medium, OscillatorMedium):
        d_eps, d_inv_mu = oscillator_derivatives(medium, wv)
        # d(eps mu)/dw = eps' mu + eps mu', mu' = -mu^2 (1/mu)'
        return eps, mu, d_eps * mu - eps * mu * mu * d_inv_mu
    deriv = _chiral_derivative(medium)
    if deriv is not None:
        _, _, d2 = deriv(medium, wv)
        return eps, mu, np.asarray(d2, dtype=np.complex128).reshape(wv.shape)
    scale = np.maximum(np.abs(wv), np.finfo(float).tiny)
    h = 1e-6 * scale
    wp, wm = wv + h, wv - h
    if isinstance(medium, TabulatedMedium):
        wp = np.minimum(wp, medium.frequencies[-1])
        wm = np.maximum(wm, medium.frequencies[0])
    ep, mp = medium_eps_mu(medium, wp, field=field)
    em, mm = medium_eps_mu(medium, wm, field=field)
    return eps, mu, (ep * mp - em * mm) / (wp - wm)


def oscillator_derivatives(
    medium: OscillatorMedium, w: FloatArray
) -> tuple[ComplexArray, ComplexArray]:
    """d eps/dw and d(1/mu)/dw of eq 21 (seed 000), shape (N,), chunked over w.

    With D_e = w_e^2 - w^2 - 2 i w gamma_e and D_e' = -2 (w + i gamma_e):
    eps' = -sum a_e D_e' / D_e^2, (1/mu)' = sum [-(b_e + c_e w^2) D_e' / D_e^2 + 2 c_e w / D_e],
    with a = e_dip, b = -m_dip, c = dip_oct - quad.
    """
    w0, g = medium.omega, medium.gamma
    a, b, c = medium.e_dip, -medium.m_dip, medium.dip_oct - medium.quad
    out_e = np.empty(w.shape, dtype=np.complex128)
    out_m = np.empty(w.shape, dtype=np.complex128)
    chunk = max(1, (16 * 2**20) // (16 * 4 * max(medium.size, 1)))
    for s in range(0, w.shape[0], chunk):
        x = w[s : s + chunk, None]
        d = (w0 - x) * (w0 + x) - 2j * x * g
        dp = -2.0 * (x + 1j * g)
        inv = 1.0 / d
        q = dp * inv * inv
        out_e[s : s + chunk] = -(q @ a)
        out_m[s : s + chunk] = -(q * (b + c * x * x)).sum(axis=1) + 2.0 * x[:, 0] * (inv @ c)
    return out_e, out_m


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
        dk/dw = d(w^2 eps mu)/dw / (2 w n) (Cho, seed 002 sec. 3.4) where the wave propagates
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
    k^2 = w^2 eps mu / c^2 (seed 000, the relation under eq 9; seed 002 eqs 46-47).
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

    Notes
    -----
    With q_j = sqrt(eps_j mu_j - n1^2 sin^2 theta) (decaying branch) and the admittance
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
    )


def stack_coefficients(
    eps: ArrayLike,
    mu: ArrayLike,
    thickness: ArrayLike,
    k0: ArrayLike,
    angles: ArrayLike,
    polarization: Polarization,
    *,
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
    n_out_all = refractive_index(e[-1], m[-1])
    for fs in range(0, nf, f_chunk):
        sl = slice(fs, fs + f_chunk)
        ef, mf, kf = e[:, sl], m[:, sl], k0v[sl]
        for s in range(0, na, a_chunk):
            kx2 = kx2_all[s : s + a_chunk, sl]
            r, t, R, T = _stack_chunk(ef, mf, d, kf, kx2, polarization)
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
) -> tuple[ComplexArray, ComplexArray, FloatArray, FloatArray]:
    """Recursion of :func:`stack_coefficients` on one (angles x frequencies) chunk."""
    n_layers = d.shape[0]
    q = normal_wavevector(e[:, None, :], m[:, None, :], kx2[None, :, :])  # (L+2, a, f)
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
