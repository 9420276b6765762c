"""Single-susceptibility optics of Cho (seed 002): chi_m vs chi_B, chiral media, Drude-Born-Fedorov.

Units and conventions
---------------------
Gaussian units as in the paper, written with c = 1: frequencies in any *linear* unit [w] (the
figures use units of the magnetic resonance frequency w0), wavenumbers in [w]/c (so ``k = n w``),
lengths in c/[w]. Fields vary as exp(i (k z - w t)); passive media have Im eps > 0, Im mu > 0 and
every response function has its poles at Im w < 0. ``eps_b`` is the background permittivity
1 + 4 pi chi_e-bar of eqs 46-47. (The text before eq 44 writes it 1 + (4 pi c / w^2) chi_e-bar,
which mixes the normalisations of eqs 31-32, where chi_e-bar already carries the c / w^2; eq 34
gives 1 + 4 pi chi_e-bar, used here.)

Gaussian -> SI. A Gaussian susceptibility chi^G is 1/(4 pi) of the SI one: chi_m^SI = 4 pi chi_m^G
(mu = 1 + chi_m^SI) and chi_B^SI = 4 pi chi_B^G (1/mu = 1 - chi_B^SI, M = chi_B^SI B / mu_0). The
magnetic strength ``b`` of eqs 44-45 (a frequency, Gaussian) therefore enters every observable
only as the SI strength 4 pi b; Cho's Fig. 1 gives 4 pi b / w0 = 0.001. Use
:func:`si_strength` / :func:`gaussian_strength` to convert.

Magnetic resonance: the two assignments (eqs 44-47)
---------------------------------------------------
(A) ``assignment="chi_m"``: M = chi_m H, chi_m = b / (w0 - w - i gamma)          (eq 44)
    mu = 1 + 4 pi chi_m: mu has its POLE at w0 and its ZERO at w0 + 4 pi b.
(B) ``assignment="chi_B"``: M = chi_B B, chi_B = b / (w0 - w - i gamma)          (eq 45)
    1/mu = 1 - 4 pi chi_B: mu has its ZERO at w0 and its POLE at w0 - 4 pi b.
(The paper writes -i0+; gamma > 0 is the finite damping that replaces it.) Dispersion
(ck/w)^2 = eps_b mu (eqs 46, 47). With eps_b < 0, waves propagate only where mu < 0, i.e. between
the pole and the zero of mu: the window [w0, w0 + 4 pi b] for chi_m (w0 at its LOWER edge) and
[w0 - 4 pi b, w0] for chi_B (w0 at its UPPER edge), which is Cho's Fig. 1-2 statement. Inside it
n = -sqrt(eps_b mu) < 0 with v_g > 0, so v_p v_g < 0 (section 3.4), and R = 0 where n = -1.

``line_shape="lorentz"`` replaces the one-sided resonant form by the causal oscillator chi = 2 w0 b
/ (w0^2 - w^2 - 2 i gamma w) (the g_nu + h_nu pair of eq 64), which agrees with eqs 44/45 to O((w -
w0)/w0) near w0 and satisfies the reality condition chi(-w*) = chi(w)*. The resonant form of the
paper does not (it has no antiresonant partner); it is the default because it is the paper's.

Chiral single-susceptibility medium (eqs 27, 29, 48, 66)
--------------------------------------------------------
chi_em(k, w) = chi_e1 + i k chi_chir + k^2 chi_m1 (eq 48). For an isotropic medium, the k-linear
term is i k chi_chir J with J = k-hat x (the +90-degree rotation in the plane transverse to k),
whose eigenvectors are the circular polarisations e_s = (x + i s y)/sqrt(2), s = +-1, with
eigenvalue -i s. The 2x2 determinant of eq 29 therefore factorises into one scalar equation per
circular polarisation. Every excited state nu of eq 27 contributes with the common denominator of eq
66, g-bar + h-bar = 2 w^2 / (E (E^2 - w^2)), times the numerator |I + i k Q|^2 (real parts for a
time-reversal-invariant ground state), so that (4 pi c / w^2) chi_em is a sum of single poles with
k-polynomial residues. With D_j = w_j^2 - w^2 - 2 i gamma_j w the model is, for the circular
component s (k along +z, signed):

    (c k / w)^2 = eps_inf + sum_j (e_j + s g_j (c k) + m_j (c k)^2) / D_j(w)          (eq 29)

e_j [w]^2: E1 strength (eps = eps_inf + sum e_j / D_j); m_j (dimensionless): M1 strength, which is
4 pi chi_B = w^2 sum m_j / D_j (eq 37); g_j [w]: mixed E1-M1 (chiral) strength. The numerator of
one transition is |I + i k Q|^2 >= 0 for every real k, hence g_j^2 <= 4 e_j m_j (checked: it is
what keeps both circular absorptions positive). Common poles are built in (section 3.6).

A forward wave of the lab vector e_s has helicity s. k_+ (k_-) is the forward (Im k > 0) root of
the s = +1 (-1) quadratic. In the optics convention (observer facing the source) e_+ rotates
counterclockwise: + = left circular (L), - = right circular (R). Rotatory power
rho = (Re k_+ - Re k_-)/2 (rad per length, > 0 dextrorotatory: pi (n_L - n_R) / lambda), circular
dichroism Delta alpha = alpha_+ - alpha_- = 2 Im (k_+ - k_-) (alpha_L - alpha_R).

Drude-Born-Fedorov (eqs 43, 54)
-------------------------------
D = eps (E + beta curl E), B = mu (H + beta curl H). For helicity s (curl E = s k E) the dispersion
is k_s = w n / (1 - s beta w n) with n = sqrt(eps mu), the square of which is eq 43 (checked against
the derivation from eq 54; the paper's +- is -s). When eps and mu carry the common pole that
E1-M1 mixing requires, eps mu has a second-order pole and so does (c k_s / w)^2 (shifted to where
1/n = s beta w); eq 29 has only single poles and finite k at the resonance.

Reference: K. Cho, "Model-independent derivation of macroscopic Maxwell equations from microscopic
basis: beyond the eps and mu description", arXiv:cond-mat/0611235 (v4, 2007).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.errors import InvalidInput, PoleOnGrid
from core.optics import impedance, normal_reflectance, refractive_index
from core.oscillators import lorentz_sums

MODEL_NAME_MAGNETIC: Final = "cho-magnetic-resonance"
MODEL_NAME_CHIRAL: Final = "cho-single-susceptibility"
MODEL_VERSION: Final = "1.0.0"
MODEL_VERSIONS: Final[dict[str, str]] = {
    MODEL_NAME_MAGNETIC: MODEL_VERSION,
    MODEL_NAME_CHIRAL: MODEL_VERSION,
}

Assignment = Literal["chi_m", "chi_B"]
ASSIGNMENTS: Final[tuple[str, ...]] = get_args(Assignment)
LineShape = Literal["resonant", "lorentz"]
LINE_SHAPES: Final[tuple[str, ...]] = get_args(LineShape)

#: Relative distance |w - w_s| / |w_s| under which an undamped singularity counts as on the grid.
POLE_RTOL: Final = 1e-12

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]


def si_strength(b: float) -> float:
    """SI strength 4 pi b of a Gaussian magnetic resonance strength b (chi^SI = 4 pi chi^G)."""
    return 4.0 * np.pi * float(b)


def gaussian_strength(b_si: float) -> float:
    """Gaussian strength b = b_SI / (4 pi); inverse of :func:`si_strength`."""
    return float(b_si) / (4.0 * np.pi)


# ---------------------------------------------------------------------------------------------
# Magnetic resonance: chi_m vs chi_B (eqs 44-47)
# ---------------------------------------------------------------------------------------------


def _as_float_tuple(value: ArrayLike, name: str) -> tuple[float, ...]:
    arr = np.array(value, dtype=np.float64, ndmin=1)
    if arr.ndim != 1:
        raise InvalidInput(f"'{name}' must be one-dimensional", field=(name,))
    return tuple(float(x) for x in arr)


@dataclass(frozen=True)
class MagneticResonanceMedium:
    """Background permittivity plus one magnetic resonance assigned to chi_m or chi_B (eqs 44-47).

    Parameters
    ----------
    eps_b : complex
        Background permittivity (dimensionless; Im eps_b >= 0). Cho's Figs. 1-2 use -1.
    b : float
        Gaussian strength of the magnetic resonance, in [w] (> 0). The SI strength is 4 pi b.
    w0 : float
        Resonance frequency of chi_m or chi_B, in [w] (> 0).
    gamma : float
        Damping (half width) in [w], >= 0; replaces the paper's 0+.
    assignment : {"chi_m", "chi_B"}
        Which susceptibility carries the pole at w0 (eq 44 or eq 45).
    line_shape : {"resonant", "lorentz"}
        ``resonant``: b / (w0 - w - i gamma) exactly as eqs 44-45; ``lorentz``:
        2 w0 b / (w0^2 - w^2 - 2 i gamma w) (causal, with the antiresonant term).
    background_omega, background_gamma, background_strength : tuple of float, each (P,)
        Optional Lorentz oscillators added to the background permittivity:
        eps(w) = eps_b + sum_p S_p / (w_p^2 - w^2 - 2 i gamma_p w); w_p > 0, gamma_p >= 0 in [w],
        S_p in [w]^2 (e.g. the E1 phonon that makes eps < 0 in the paper's proposed experiment).
    """

    eps_b: complex
    b: float
    w0: float
    gamma: float
    assignment: Assignment
    line_shape: LineShape = "resonant"
    background_omega: tuple[float, ...] = ()
    background_gamma: tuple[float, ...] = ()
    background_strength: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.assignment not in ASSIGNMENTS:
            raise InvalidInput(
                f"unknown assignment '{self.assignment}'",
                field=("assignment",),
                fix="use 'chi_m' (M = chi_m H, eq 44) or 'chi_B' (M = chi_B B, eq 45)",
            )
        if self.line_shape not in LINE_SHAPES:
            raise InvalidInput(
                f"unknown line shape '{self.line_shape}'",
                field=("line_shape",),
                fix="use 'resonant' (eqs 44-45) or 'lorentz'",
            )
        eps_b = complex(self.eps_b)
        if not (np.isfinite(eps_b.real) and np.isfinite(eps_b.imag)):
            raise InvalidInput("eps_b must be finite", field=("eps_b",))
        if eps_b.imag < 0:
            raise InvalidInput(
                f"Im eps_b must be >= 0 for a passive background (got {eps_b.imag:g})",
                field=("eps_b",),
                fix="give Im eps_b >= 0 (fields ~ exp(-i w t): absorption is Im eps > 0)",
            )
        object.__setattr__(self, "eps_b", eps_b)
        for name, lo, strict in (("b", 0.0, True), ("w0", 0.0, True), ("gamma", 0.0, False)):
            v = float(getattr(self, name))
            if not np.isfinite(v) or (v <= lo if strict else v < lo):
                raise InvalidInput(
                    f"{name} must be finite and {'>' if strict else '>='} 0 (got {v:g})",
                    field=(name,),
                    fix=f"give {name} {'>' if strict else '>='} 0"
                    + (" (a negative damping breaks causality)" if name == "gamma" else ""),
                )
            object.__setattr__(self, name, v)
        if self.assignment == "chi_B":
            # resonant: the pole of mu is at w0 - 4 pi b - i gamma; lorentz: at the roots of
            # w^2 + 2 i gamma w - (w0^2 - 8 pi b w0) = 0, one of which is in the UPPER half-plane
            # when 8 pi b > w0 (then mu(0) = 1 / (1 - 8 pi b / w0) < 0: a statically unstable,
            # acausal medium).
            factor = 1.0 if self.line_shape == "resonant" else 2.0
            if factor * 4.0 * np.pi * self.b >= self.w0:
                raise InvalidInput(
                    "chi_B assignment with 4 pi chi_B(w) reaching 1 at or below w = 0 "
                    f"({'4 pi b' if factor == 1.0 else '8 pi b'} >= w0): "
                    + (
                        "the pole of mu would sit at zero or negative frequency"
                        if factor == 1.0
                        else "mu(0) < 0 and mu has a pole in the upper half-plane (unstable, "
                        "acausal)"
                    ),
                    field=("b",),
                    fix=f"use a weaker resonance, {'4' if factor == 1.0 else '8'} pi b < w0",
                )
        cols = []
        for name in ("background_omega", "background_gamma", "background_strength"):
            t = _as_float_tuple(getattr(self, name), name)
            object.__setattr__(self, name, t)
            cols.append(t)
        if not (len(cols[0]) == len(cols[1]) == len(cols[2])):
            raise InvalidInput(
                "background_omega, background_gamma and background_strength differ in length",
                field=("background",),
                fix="give each background oscillator its frequency, damping and strength",
            )
        for p, (wp, gp, sp) in enumerate(zip(*cols, strict=True)):
            if not (np.isfinite(wp) and np.isfinite(gp) and np.isfinite(sp)):
                raise InvalidInput(
                    "background oscillator values must be finite", field=("background", p)
                )
            if wp <= 0:
                raise InvalidInput(
                    f"background oscillator frequency must be > 0 (got {wp:g})",
                    field=("background", p, "omega"),
                    fix="give omega > 0",
                )
            if gp < 0:
                raise InvalidInput(
                    f"background damping must be >= 0 (got {gp:g})",
                    field=("background", p, "gamma"),
                    fix="give gamma >= 0",
                )
            if sp < 0:
                raise InvalidInput(
                    f"background strength must be >= 0 (got {sp:g}); a negative strength is gain",
                    field=("background", p, "strength"),
                    fix="give strength >= 0",
                )

    @property
    def strength_si(self) -> float:
        """4 pi b, the strength in SI normalisation (chi^SI = 4 pi chi^G)."""
        return si_strength(self.b)


def _as_frequencies(w: ArrayLike) -> NDArray[np.float64] | ComplexArray:
    """Real frequencies as float64, complex ones (analytic continuation) as complex128."""
    arr = np.asarray(w)
    if np.iscomplexobj(arr):
        return arr.astype(np.complex128)
    return arr.astype(np.float64)


def magnetic_susceptibility(medium: MagneticResonanceMedium, w: ArrayLike) -> ComplexArray:
    """The Gaussian susceptibility that carries the resonance: chi_m (eq 44) or chi_B (eq 45).

    Parameters
    ----------
    medium : MagneticResonanceMedium
    w : array of float (or complex, for the analytic continuation), any shape, in [w]

    Returns
    -------
    complex array of the shape of ``w``
        b / (w0 - w - i gamma) (``resonant``) or 2 w0 b / (w0^2 - w^2 - 2 i gamma w) (``lorentz``).
    """
    ww = _as_frequencies(w)
    if medium.line_shape == "resonant":
        den = medium.w0 - ww - 1j * medium.gamma
        num = medium.b
    else:
        den = medium.w0**2 - ww * ww - 2j * medium.gamma * ww
        num = 2.0 * medium.w0 * medium.b
    return np.asarray(num / den, dtype=np.complex128)


def _d_susceptibility(medium: MagneticResonanceMedium, w: FloatArray) -> ComplexArray:
    """d chi / d w of :func:`magnetic_susceptibility` (analytic)."""
    if medium.line_shape == "resonant":
        out = medium.b / (medium.w0 - w - 1j * medium.gamma) ** 2
    else:
        d = medium.w0**2 - w * w - 2j * medium.gamma * w
        out = 2.0 * medium.w0 * medium.b * (2.0 * w + 2j * medium.gamma) / d**2
    return np.asarray(out, dtype=np.complex128)


def background_permittivity(medium: MagneticResonanceMedium, w: ArrayLike) -> ComplexArray:
    """eps(w) = eps_b + sum_p S_p / (w_p^2 - w^2 - 2 i gamma_p w), shape of ``w`` (complex ok)."""
    ww = _as_frequencies(w)
    eps = np.full(ww.shape, medium.eps_b, dtype=np.complex128)
    for wp, gp, sp in zip(
        medium.background_omega, medium.background_gamma, medium.background_strength, strict=True
    ):
        eps += sp / (wp * wp - ww * ww - 2j * gp * ww)
    return eps


def _d_background_permittivity(medium: MagneticResonanceMedium, w: FloatArray) -> ComplexArray:
    out = np.zeros(w.shape, dtype=np.complex128)
    for wp, gp, sp in zip(
        medium.background_omega, medium.background_gamma, medium.background_strength, strict=True
    ):
        d = wp * wp - w * w - 2j * gp * w
        out += sp * (2.0 * w + 2j * gp) / d**2
    return out


def mu_pole_and_zero(medium: MagneticResonanceMedium) -> tuple[float, float]:
    """Frequencies of the pole and of the zero of mu(w) at gamma -> 0 (eqs 44-47).

    Returns
    -------
    (w_pole, w_zero) in [w]
        ``resonant``: chi_m -> (w0, w0 + 4 pi b); chi_B -> (w0 - 4 pi b, w0).
        ``lorentz``: chi_m -> (w0, sqrt(w0^2 + 8 pi b w0)); chi_B -> (sqrt(w0^2 - 8 pi b w0), w0).
        For chi_B with 8 pi b >= w0 (``lorentz``) the pole is at w = 0 or absent: NaN is returned.

    Notes
    -----
    chi_m: mu = 1 + 4 pi chi_m is singular where chi_m is, and vanishes where 4 pi chi_m = -1.
    chi_B: mu = 1 / (1 - 4 pi chi_B) vanishes where chi_B is singular and diverges where
    4 pi chi_B = 1.
    """
    s = 4.0 * np.pi * medium.b
    w0 = medium.w0
    if medium.line_shape == "resonant":
        other = w0 + s if medium.assignment == "chi_m" else w0 - s
    else:
        arg = w0 * w0 + 2.0 * s * w0 if medium.assignment == "chi_m" else w0 * w0 - 2.0 * s * w0
        other = float(np.sqrt(arg)) if arg > 0 else float("nan")
    if medium.assignment == "chi_m":
        return (w0, float(other))
    return (float(other), w0)


def transmission_window(medium: MagneticResonanceMedium) -> tuple[float, float]:
    """(lower, upper) edges of the band where mu < 0 at gamma -> 0: the left-handed window.

    With a negative background permittivity this is where n^2 = eps mu > 0 (Figs. 1-2):
    [w0, w0 + 4 pi b] for chi_m and [w0 - 4 pi b, w0] for chi_B (``resonant``).
    """
    p, z = mu_pole_and_zero(medium)
    return (min(p, z), max(p, z))


def check_singularities(
    medium: MagneticResonanceMedium,
    w: NDArray[np.float64] | ComplexArray,
    field_path: tuple[str | int, ...] = ("frequencies",),
    *,
    include_mu_zero: bool = False,
) -> None:
    """Raise :class:`PoleOnGrid` when, at gamma = 0, a grid point is on a singularity of chi or mu
    (or, with ``include_mu_zero``, on the zero of mu, where n = 0 and dk/dw diverges)."""
    points: list[tuple[float, str]] = []
    if medium.gamma == 0.0:
        p, z = mu_pole_and_zero(medium)
        points.append((medium.w0, f"the pole of {medium.assignment} (w = w0)"))
        if np.isfinite(p):
            points.append((p, "the pole of mu"))
        if include_mu_zero:
            points.append((z, "the zero of mu (band edge: n = 0, infinite group index)"))
    for q, (wp, gp) in enumerate(
        zip(medium.background_omega, medium.background_gamma, strict=True)
    ):
        if gp == 0.0:
            points.append((wp, f"the undamped pole of background oscillator {q}"))
    for ws, what in points:
        if np.any(np.abs(w - ws) <= POLE_RTOL * abs(ws)):
            raise PoleOnGrid(
                f"frequency {ws:g} lands on {what}: the response is infinite there",
                field=field_path,
                fix="give the resonance a damping gamma > 0, or move the grid point",
            )


def magnetic_resonance_eps_mu(
    medium: MagneticResonanceMedium, w: ArrayLike
) -> tuple[ComplexArray, ComplexArray]:
    """eps(w) and mu(w) of the magnetic-resonance medium (eqs 44-47).

    Parameters
    ----------
    medium : MagneticResonanceMedium
    w : array of float, any shape, in [w] (complex values give the analytic continuation)

    Returns
    -------
    eps, mu : complex arrays of the shape of ``w``
        eps = background permittivity; mu = 1 + 4 pi chi_m (``chi_m``) or 1 / (1 - 4 pi chi_B)
        (``chi_B``), chi from :func:`magnetic_susceptibility`.

    Raises
    ------
    PoleOnGrid
        When gamma = 0 and a grid point sits on a singularity of chi or mu (the zero of mu is
        allowed here; :func:`magnetic_resonance_response` refuses it too).
    """
    ww = _as_frequencies(w)
    check_singularities(medium, ww.reshape(-1))
    eps = background_permittivity(medium, ww)
    chi = magnetic_susceptibility(medium, ww)
    if medium.assignment == "chi_m":
        mu = 1.0 + 4.0 * np.pi * chi
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = 1.0 / (1.0 - 4.0 * np.pi * chi)
    return eps, np.asarray(mu, dtype=np.complex128)


def _d_eps_mu(
    medium: MagneticResonanceMedium, w: FloatArray, mu: ComplexArray
) -> tuple[ComplexArray, ComplexArray]:
    deps = _d_background_permittivity(medium, w)
    dchi = _d_susceptibility(medium, w)
    if medium.assignment == "chi_m":
        return deps, 4.0 * np.pi * dchi
    return deps, 4.0 * np.pi * dchi * mu * mu  # d/dw (1 - 4 pi chi_B)^-1


def magnetic_resonance_eps_mu_derivative(
    medium: MagneticResonanceMedium, w: ArrayLike
) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
    """eps(w), mu(w) and the analytic d(eps mu)/dw (eqs 44-47), arrays of the shape of ``w``.

    d mu/dw = 4 pi chi' (chi_m) or 4 pi chi' mu^2 (chi_B), chi' the derivative of eq 44/45 (or of
    the lorentz form); d eps/dw from the background oscillators. For group velocities and
    dispersion branches (core.optics can use it instead of a finite difference).
    """
    ww = np.asarray(w, dtype=np.float64)
    eps, mu = magnetic_resonance_eps_mu(medium, ww)
    deps, dmu = _d_eps_mu(medium, ww, mu)
    return eps, mu, deps * mu + eps * dmu


@dataclass(frozen=True)
class MagneticResponse:
    """Optics of a magnetic-resonance medium on a real grid; every array has the grid's shape.

    ``k = n w`` in [w]/c; ``group_index = Re dk/dw``; ``v_phase = w / Re k`` and
    ``v_group = 1 / group_index`` in units of c; ``propagating`` marks |Re n| > |Im n|.
    """

    frequencies: FloatArray
    eps: ComplexArray
    mu: ComplexArray
    chi: ComplexArray
    n: ComplexArray
    k: ComplexArray
    impedance: ComplexArray
    reflectance: FloatArray
    group_index: FloatArray
    v_phase: FloatArray
    v_group: FloatArray
    propagating: NDArray[np.bool_]


def magnetic_resonance_response(medium: MagneticResonanceMedium, w: ArrayLike) -> MagneticResponse:
    """Dispersion and normal-incidence reflectance of the magnetic-resonance medium (eqs 44-47).

    Parameters
    ----------
    medium : MagneticResonanceMedium
    w : array of float, any shape, in [w] (w > 0 for the velocities to be meaningful)

    Returns
    -------
    MagneticResponse
        n = sqrt(eps mu) on the passive branch (Im n >= 0, so Re n < 0 in the left-handed
        window), k = n w / c (the solution of eq 46 or 47), Z = mu / n,
        R = |(Z - 1)/(Z + 1)|^2 (semi-infinite medium, normal incidence from vacuum),
        dk/dw = n + w (eps' mu + eps mu') / (2 n) from the analytic derivatives of eqs 44-45.

    Notes
    -----
    The paper writes R = |(n + 1)/(n - 1)|^2 for n < 0. That equals the impedance form only
    because eps_b = -1 in its figures (Z = mu / n = n / eps = -n); the impedance form is the general
    one and is what is computed here.
    """
    ww = np.asarray(w, dtype=np.float64)
    check_singularities(medium, ww.reshape(-1), include_mu_zero=True)
    eps, mu = magnetic_resonance_eps_mu(medium, ww)
    chi = magnetic_susceptibility(medium, ww)
    n = refractive_index(eps, mu)
    z = impedance(n, mu)
    r = normal_reflectance(z)
    deps, dmu = _d_eps_mu(medium, ww, mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        dk = n + ww * (deps * mu + eps * dmu) / (2.0 * n)
        k = n * ww
        ng = np.ascontiguousarray(dk.real)
        vp = ww / k.real
        vg = 1.0 / ng
    return MagneticResponse(
        frequencies=ww,
        eps=eps,
        mu=mu,
        chi=np.asarray(chi, dtype=np.complex128),
        n=n,
        k=k,
        impedance=z,
        reflectance=r,
        group_index=ng,
        v_phase=vp,
        v_group=vg,
        propagating=np.abs(n.real) > np.abs(n.imag),
    )


#: Cho Figs. 1-2 (caption of Fig. 1): background permittivity and SI strength 4 pi b / w0.
CHO_FIG_EPS_B: Final = -1.0
CHO_FIG_STRENGTH_SI: Final = 1e-3
#: Damping of the figures, in units of w0. Not printed (the paper writes i0+); 1e-6 w0 is 1/1000 of
#: the window width 4 pi b: the window edges stay sharp and the n = -1 dip reaches R ~ 1e-6.
CHO_FIG_GAMMA: Final = 1e-6


def cho_figure_medium(
    assignment: Assignment, *, w0: float = 1.0, gamma_rel: float = CHO_FIG_GAMMA
) -> MagneticResonanceMedium:
    """The medium of Cho's Figs. 1-2: eps_b = -1, 4 pi b / w0 = 0.001 (eq 46 or 47).

    ``assignment`` selects case (A) ``chi_m`` (eq 44) or case (B) ``chi_B`` (eq 45); the damping
    is ``gamma_rel * w0`` (default 1e-6 w0, chosen, see :data:`CHO_FIG_GAMMA`). The figures plot
    w / w0 over about [0.998, 1.002] (window [w0, 1.001 w0] for chi_m, [0.999 w0, w0] for chi_B).
    """
    return MagneticResonanceMedium(
        eps_b=CHO_FIG_EPS_B,
        b=gaussian_strength(CHO_FIG_STRENGTH_SI * w0),
        w0=w0,
        gamma=gamma_rel * w0,
        assignment=assignment,
    )


# ---------------------------------------------------------------------------------------------
# Chiral single-susceptibility medium (eqs 27, 29, 48)
# ---------------------------------------------------------------------------------------------

#: Relative slack on the Cauchy-Schwarz bound g^2 <= 4 e m (rounding of user input).
MIXED_RTOL: Final = 1e-9


@dataclass(frozen=True)
class ChiralMedium:
    """Isotropic medium of resonances with E1, M1 and mixed strengths on common poles (eq 48).

    Parameters
    ----------
    eps_inf : complex
        Non-resonant background of (4 pi c / w^2) chi_e1 + 1 (dimensionless, Im >= 0).
    omega, gamma : tuple of float, each (M,)
        Resonance frequencies w_j > 0 and dampings gamma_j >= 0 in [w];
        D_j(w) = w_j^2 - w^2 - 2 i gamma_j w.
    e1 : tuple of float (M,)
        E1 strengths e_j >= 0 in [w]^2 (eps(w) = eps_inf + sum e_j / D_j).
    mixed : tuple of float (M,)
        Mixed E1-M1 strengths g_j in [w] (the coefficient of s c k); |g_j| <= 2 sqrt(e_j m_j).
    m1 : tuple of float (M,)
        M1 strengths m_j >= 0, dimensionless (4 pi chi_B = w^2 sum m_j / D_j).
    """

    eps_inf: complex
    omega: tuple[float, ...]
    gamma: tuple[float, ...]
    e1: tuple[float, ...]
    mixed: tuple[float, ...]
    m1: tuple[float, ...]

    def __post_init__(self) -> None:
        eps_inf = complex(self.eps_inf)
        if not (np.isfinite(eps_inf.real) and np.isfinite(eps_inf.imag)) or eps_inf.imag < 0:
            raise InvalidInput(
                f"eps_inf must be finite with Im eps_inf >= 0 (got {eps_inf})",
                field=("eps_inf",),
                fix="give a passive background permittivity",
            )
        object.__setattr__(self, "eps_inf", eps_inf)
        names = ("omega", "gamma", "e1", "mixed", "m1")
        cols = {}
        for name in names:
            t = _as_float_tuple(getattr(self, name), name)
            object.__setattr__(self, name, t)
            cols[name] = np.asarray(t)
        m = len(cols["omega"])
        for name in names:
            if len(cols[name]) != m:
                raise InvalidInput(
                    f"'{name}' has {len(cols[name])} entries, expected {m}", field=(name,)
                )
            bad = ~np.isfinite(cols[name])
            if bad.any():
                j = int(np.argmax(bad))
                raise InvalidInput(f"{name} must be finite", field=("resonances", j, name))
        checks = (
            ("omega", cols["omega"] <= 0, "resonance frequency must be > 0", "give omega > 0"),
            (
                "gamma",
                cols["gamma"] < 0,
                "damping must be >= 0 (a negative damping is gain)",
                "give gamma >= 0",
            ),
            ("e1", cols["e1"] < 0, "E1 strength must be >= 0", "give e1 >= 0"),
            ("m1", cols["m1"] < 0, "M1 strength must be >= 0", "give m1 >= 0"),
        )
        for name, bad, msg, fix in checks:
            if bad.any():
                j = int(np.argmax(bad))
                raise InvalidInput(
                    f"{msg} (got {cols[name][j]:g})", field=("resonances", j, name), fix=fix
                )
        bound = 4.0 * cols["e1"] * cols["m1"]
        over = cols["mixed"] ** 2 > bound * (1.0 + MIXED_RTOL)
        if over.any():
            j = int(np.argmax(over))
            raise InvalidInput(
                f"mixed strength |g| = {abs(cols['mixed'][j]):g} exceeds 2 sqrt(e1 m1) = "
                f"{np.sqrt(bound[j]):g}: one transition's |I + i k Q|^2 (eq 27) would be negative "
                "for some k, i.e. one circular polarisation would show gain",
                field=("resonances", j, "mixed"),
                fix="reduce |mixed| or increase e1 and m1 so that mixed^2 <= 4 e1 m1",
            )

    @property
    def size(self) -> int:
        """Number of resonances M."""
        return len(self.omega)

    @property
    def is_chiral(self) -> bool:
        """True when some resonance carries a mixed strength."""
        return any(g != 0.0 for g in self.mixed)


def _chiral_sums(
    medium: ChiralMedium, w: ComplexArray
) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
    """E(w) = eps_inf + sum e/D, G(w) = sum g/D, M(w) = sum m/D; shape of ``w`` (complex ok)."""
    e_sum = np.full(w.shape, medium.eps_inf, dtype=np.complex128)
    g_sum = np.zeros(w.shape, dtype=np.complex128)
    m_sum = np.zeros(w.shape, dtype=np.complex128)
    for wj, gj, ej, cj, mj in zip(
        medium.omega, medium.gamma, medium.e1, medium.mixed, medium.m1, strict=True
    ):
        inv = 1.0 / (wj * wj - w * w - 2j * gj * w)
        if ej:
            e_sum += ej * inv
        if cj:
            g_sum += cj * inv
        if mj:
            m_sum += mj * inv
    return e_sum, g_sum, m_sum


def _chiral_sums_real(
    medium: ChiralMedium, w: FloatArray
) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
    """:func:`_chiral_sums` on real frequencies through the compiled N x M kernel of
    :func:`core.oscillators.lorentz_sums` (same denominators D_j); shape of ``w``."""
    coeffs = np.array([medium.e1, medium.mixed, medium.m1], dtype=np.float64)
    sums = lorentz_sums(w.reshape(-1), medium.omega, medium.gamma, coeffs)
    e_sum = (sums[0] + medium.eps_inf).reshape(w.shape)
    return e_sum, sums[1].reshape(w.shape), sums[2].reshape(w.shape)


def reduced_susceptibility(
    medium: ChiralMedium, k: ArrayLike, w: ArrayLike, s: int
) -> ComplexArray:
    """S_s(k, w) = 1 + (4 pi c / w^2) chi_em in the circular channel s (eqs 29, 48), c = 1.

    Parameters
    ----------
    k : array, wavenumber (signed, along z) in [w]/c; broadcasts with ``w``
    w : array, frequency in [w] (complex allowed, for analytic continuation)
    s : {+1, -1}
        Lab circular component e_s = (x + i s y)/sqrt(2).

    Returns
    -------
    complex array
        eps_inf + sum_j (e_j + s g_j k + m_j k^2) / D_j(w); eq 29 reads (k / w)^2 = S_s(k, w).
    """
    if s not in (1, -1):
        raise InvalidInput("circular component must be +1 or -1", field=("s",))
    kk = np.asarray(k, dtype=np.complex128)
    ww = np.asarray(w, dtype=np.complex128)
    kk, ww = np.broadcast_arrays(kk, ww)
    e_sum, g_sum, m_sum = _chiral_sums(medium, ww)
    return e_sum + s * g_sum * kk + m_sum * kk * kk


def susceptibility_tensor(medium: ChiralMedium, k: ArrayLike, w: ArrayLike) -> ComplexArray:
    """The transverse 2x2 tensor 1 + (4 pi c / w^2) chi_em(k, w) in the (x, y) basis, k along z.

    (4 pi c / w^2) chi_em = [E(w) - 1] 1 + i k G(w) J + k^2 M(w) 1 with J = [[0, -1], [1, 0]]
    the operator z x (eq 48: chi_e1 + i k chi_chir + k^2 chi_m1; the k-linear term of an
    isotropic medium is antisymmetric, i k chi_chir k-hat x). J e_s = -i s e_s, so the channel s
    sees E + s k G + k^2 M (:func:`reduced_susceptibility`). Shape: broadcast(k, w).shape + (2, 2).
    Used to check the factorisation of the determinant (29) and the reality condition
    chi_em(-k, -w*) = chi_em(k, w)*.
    """
    kk = np.asarray(k, dtype=np.complex128)
    ww = np.asarray(w, dtype=np.complex128)
    kk, ww = np.broadcast_arrays(kk, ww)
    e_sum, g_sum, m_sum = _chiral_sums(medium, ww)
    diag = e_sum + m_sum * kk * kk
    off = 1j * kk * g_sum
    out = np.empty((*kk.shape, 2, 2), dtype=np.complex128)
    out[..., 0, 0] = diag
    out[..., 1, 1] = diag
    out[..., 0, 1] = -off
    out[..., 1, 0] = off
    return out


def _forward_root(r1: ComplexArray, r2: ComplexArray, a: ComplexArray) -> ComplexArray:
    """Pick, elementwise, the root with the larger Im (the wave decaying along +z).

    For a lossless medium both roots are real; then the one carrying energy along +z,
    Re(k a) > 0 (Re(n / mu) > 0 in the achiral limit, a = 1 / (w^2 mu)).
    """
    scale = np.maximum(np.abs(r1), np.abs(r2))
    tie = np.abs(r1.imag - r2.imag) <= 1e-12 * np.where(scale > 0, scale, 1.0)
    by_im = np.where(r1.imag >= r2.imag, r1, r2)
    by_flow = np.where((r1 * a).real >= (r2 * a).real, r1, r2)
    return np.where(tie, by_flow, by_im)


def circular_wavenumbers(medium: ChiralMedium, w: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
    """k_+(w), k_-(w): forward wavenumbers of the two helicities from the determinant (29).

    Parameters
    ----------
    medium : ChiralMedium
    w : array of float, any shape, in [w] (w > 0)

    Returns
    -------
    k_plus, k_minus : complex arrays of the shape of ``w``, in [w]/c
        k_+ (k_-) is the root with Im k > 0 of
        (1/w^2 - M) k^2 - s G k - E = 0 with s = +1 (-1),
        i.e. (k/w)^2 = S_s(k, w) (eq 29 per circular channel, see the module notes).

    Notes
    -----
    Roots are taken in the cancellation-free form q = -(b + sqrt(b^2 - 4 a c) sgn)/2,
    k = q / a, c / q. Without mixed strengths the two quadratics coincide, so k_+ = k_-
    exactly; with them, the forward roots split by ~ G / a (optical activity).
    """
    ww = np.asarray(w, dtype=np.float64)
    _check_chiral_grid(medium, ww.reshape(-1))
    wc = ww.astype(np.complex128)
    e_sum, g_sum, m_sum = _chiral_sums_real(medium, ww)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 / (wc * wc) - m_sum
    out = []
    for s in (1, -1):
        b = -s * g_sum
        c = -e_sum
        root = np.sqrt(b * b - 4.0 * a * c)
        sgn = np.where((np.conj(b) * root).real >= 0, 1.0, -1.0)
        q = -0.5 * (b + sgn * root)
        with np.errstate(divide="ignore", invalid="ignore"):
            r1 = q / a
            r2 = c / q
        out.append(_forward_root(r1, r2, a))
    return out[0], out[1]


def _check_chiral_grid(medium: ChiralMedium, w: FloatArray) -> None:
    if np.any(w == 0):
        raise InvalidInput(
            "w = 0 is not allowed: eq 29 divides by w^2",
            field=("frequencies",),
            fix="start the frequency grid above zero",
        )
    for j, (wj, gj) in enumerate(zip(medium.omega, medium.gamma, strict=True)):
        if gj == 0.0 and np.any(np.abs(np.abs(w) - wj) <= POLE_RTOL * wj):
            raise PoleOnGrid(
                f"frequency {wj:g} lands on the undamped pole of resonance {j}",
                field=("frequencies",),
                fix="give that resonance a damping gamma > 0, or move the grid point",
            )


@dataclass(frozen=True)
class ChiralResponse:
    """Circular-polarisation optics of a chiral medium; arrays of the grid's shape.

    ``k_plus``/``k_minus`` in [w]/c; ``n_plus``/``n_minus`` = k / w; ``rotatory_power`` =
    (Re k_+ - Re k_-)/2 in rad per length unit c/[w] (> 0 dextrorotatory);
    ``alpha_plus``/``alpha_minus`` = 2 Im k (intensity absorption per length);
    ``circular_dichroism`` = alpha_+ - alpha_-.
    """

    frequencies: FloatArray
    eps: ComplexArray
    chi_b: ComplexArray
    k_plus: ComplexArray
    k_minus: ComplexArray
    n_plus: ComplexArray
    n_minus: ComplexArray
    rotatory_power: FloatArray
    alpha_plus: FloatArray
    alpha_minus: FloatArray
    circular_dichroism: FloatArray


def chiral_response(medium: ChiralMedium, w: ArrayLike) -> ChiralResponse:
    """k_+-, n_+-, rotatory power and circular dichroism of :class:`ChiralMedium` (eqs 29, 48).

    ``eps`` = E(w) = eps_inf + sum e_j / D_j and ``chi_b`` = 4 pi chi_B = w^2 sum m_j / D_j are the
    achiral parts (eq 37), returned for reference: without mixed strengths eq 29 reduces to
    (k / w)^2 = eps / (1 - 4 pi chi_B) (eq 36).
    """
    ww = np.asarray(w, dtype=np.float64)
    kp, km = circular_wavenumbers(medium, ww)
    e_sum, _, m_sum = _chiral_sums_real(medium, ww)
    return ChiralResponse(
        frequencies=ww,
        eps=e_sum,
        chi_b=ww * ww * m_sum,
        k_plus=kp,
        k_minus=km,
        n_plus=kp / ww,
        n_minus=km / ww,
        rotatory_power=0.5 * (kp.real - km.real),
        alpha_plus=2.0 * kp.imag,
        alpha_minus=2.0 * km.imag,
        circular_dichroism=2.0 * (kp.imag - km.imag),
    )


# ---------------------------------------------------------------------------------------------
# Drude-Born-Fedorov (eqs 43, 54)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DBFMedium:
    """Phenomenological DBF medium (eq 54) with eps and mu on common poles and constant beta.

    Parameters
    ----------
    eps_inf : complex
        eps(w) = eps_inf + sum_j f_e,j / D_j(w).
    omega, gamma : tuple of float (M,)
        Common resonance frequencies and dampings in [w].
    eps_strength : tuple of float (M,)
        f_e,j >= 0 in [w]^2.
    mu_strength : tuple of float (M,)
        f_m,j >= 0, dimensionless: mu(w) = 1 + w^2 sum_j f_m,j / D_j(w) (M = chi_m H with the
        pole of chi_m at w_j, the conventional assignment).
    beta : float
        Chiral admittance in c/[w] (a length), real.
    """

    eps_inf: complex
    omega: tuple[float, ...]
    gamma: tuple[float, ...]
    eps_strength: tuple[float, ...]
    mu_strength: tuple[float, ...]
    beta: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "eps_inf", complex(self.eps_inf))
        names = ("omega", "gamma", "eps_strength", "mu_strength")
        m = None
        for name in names:
            t = _as_float_tuple(getattr(self, name), name)
            object.__setattr__(self, name, t)
            if m is None:
                m = len(t)
            elif len(t) != m:
                raise InvalidInput(f"'{name}' has {len(t)} entries, expected {m}", field=(name,))
            arr = np.asarray(t)
            if not np.all(np.isfinite(arr)):
                raise InvalidInput(f"{name} must be finite", field=(name,))
            if name == "omega" and np.any(arr <= 0):
                raise InvalidInput("resonance frequency must be > 0", field=(name,))
            if name != "omega" and np.any(arr < 0):
                raise InvalidInput(f"{name} must be >= 0", field=(name,))
        beta = float(self.beta)
        if not np.isfinite(beta):
            raise InvalidInput("beta must be finite", field=("beta",))
        object.__setattr__(self, "beta", beta)


def dbf_eps_mu(medium: DBFMedium, w: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
    """eps(w) and mu(w) of the DBF medium; shape of ``w`` (complex allowed)."""
    ww = np.asarray(w, dtype=np.complex128)
    eps = np.full(ww.shape, medium.eps_inf, dtype=np.complex128)
    mu = np.ones(ww.shape, dtype=np.complex128)
    for wj, gj, fe, fm in zip(
        medium.omega, medium.gamma, medium.eps_strength, medium.mu_strength, strict=True
    ):
        inv = 1.0 / (wj * wj - ww * ww - 2j * gj * ww)
        eps += fe * inv
        mu += fm * ww * ww * inv
    return eps, mu


def dbf_wavenumbers(
    eps: ArrayLike, mu: ArrayLike, beta: ArrayLike, w: ArrayLike
) -> tuple[ComplexArray, ComplexArray]:
    """Helicity wavenumbers of the DBF equations (eq 43), c = 1.

    Parameters
    ----------
    eps, mu : complex arrays (broadcast with ``w``)
    beta : float or array, chiral admittance in c/[w]
    w : array of float, in [w]

    Returns
    -------
    k_plus, k_minus : complex arrays, in [w]/c
        k_s = w n / (1 - s beta w n), n = sqrt(eps mu) on the passive branch
        (:func:`core.optics.refractive_index`); (k_s / w)^2 = eps mu (1 - s beta w n)^-2 is eq 43.

    Notes
    -----
    Derivation (checks eq 43): for helicity s, curl E = s k E, so eq 54 gives
    D = eps (1 + s beta k) E, B = mu (1 + s beta k) H; Faraday and Ampere then give
    k = w n (1 + s beta k), i.e. k_s = w n / (1 - s beta w n).
    """
    ww = np.asarray(w, dtype=np.float64)
    n = refractive_index(eps, mu)
    bw = np.asarray(beta, dtype=np.float64) * ww
    with np.errstate(divide="ignore", invalid="ignore"):
        kp = ww * n / (1.0 - bw * n)
        km = ww * n / (1.0 + bw * n)
    return kp, km


@dataclass(frozen=True)
class DBFResponse:
    """DBF optics on a real grid; arrays of the grid's shape (k in [w]/c)."""

    frequencies: FloatArray
    eps: ComplexArray
    mu: ComplexArray
    eps_mu: ComplexArray
    k_plus: ComplexArray
    k_minus: ComplexArray
    rotatory_power: FloatArray


def dbf_response(medium: DBFMedium, w: ArrayLike) -> DBFResponse:
    """eps, mu, eps mu (with its second-order poles) and k_+- of a DBF medium (eq 43).

    ``rotatory_power`` = (Re k_+ - Re k_-)/2 as for :class:`ChiralResponse`.

    Raises
    ------
    PoleOnGrid
        When a grid point is on an undamped common pole.
    """
    ww = np.asarray(w, dtype=np.float64)
    for j, (wj, gj) in enumerate(zip(medium.omega, medium.gamma, strict=True)):
        if gj == 0.0 and np.any(np.abs(np.abs(ww) - wj) <= POLE_RTOL * wj):
            raise PoleOnGrid(
                f"frequency {wj:g} lands on the undamped common pole of resonance {j}",
                field=("frequencies",),
                fix="give gamma > 0 or move the grid point",
            )
    eps, mu = dbf_eps_mu(medium, ww)
    kp, km = dbf_wavenumbers(eps, mu, medium.beta, ww)
    return DBFResponse(
        frequencies=ww,
        eps=eps,
        mu=mu,
        eps_mu=eps * mu,
        k_plus=kp,
        k_minus=km,
        rotatory_power=np.ascontiguousarray(0.5 * (kp.real - km.real)),
    )


def dbf_counterpart(medium: ChiralMedium, beta: float | None = None) -> DBFMedium:
    """The DBF medium (eq 54) built from the same resonances as a :class:`ChiralMedium`.

    eps = eps_inf + sum e_j / D_j (the E1 parts), mu = 1 + w^2 sum m_j / D_j (the M1 parts put in
    chi_m, as the conventional eps-mu-beta description does: eps and mu then share the poles w_j),
    and a constant chiral admittance beta. With ``beta=None`` beta is chosen so that both media
    have the same rotatory power at low frequency (Biot's law rho = B w^2): the single-
    susceptibility medium gives B = sum_j g_j / (2 w_j^2), DBF gives B = beta eps(0) mu(0) with
    mu(0) = 1, hence beta = sum_j (g_j / w_j^2) / (2 eps(0)).
    """
    if beta is None:
        w0 = np.asarray(medium.omega)
        eps0 = medium.eps_inf.real + float(np.sum(np.asarray(medium.e1) / w0**2))
        if eps0 == 0:
            raise InvalidInput(
                "eps(0) = 0: no DBF admittance reproduces the low-frequency rotation",
                field=("dbf", "beta"),
                fix="give beta explicitly",
            )
        beta = float(np.sum(np.asarray(medium.mixed) / w0**2)) / (2.0 * eps0)
    return DBFMedium(
        eps_inf=medium.eps_inf,
        omega=medium.omega,
        gamma=medium.gamma,
        eps_strength=medium.e1,
        mu_strength=medium.m1,
        beta=beta,
    )
