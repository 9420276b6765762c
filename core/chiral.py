"""Single-susceptibility optics of Cho (2007): chi_m vs chi_B, chiral media, Drude-Born-Fedorov.

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

Reports and checks
------------------
:func:`magnetic_resonance_report` and :func:`single_susceptibility_report` return the typed
:class:`core.checks.Report` of one computation (the HTTP API serialises it as it is); every verdict
they carry is a module-level :class:`core.checks.CheckSpec` below (passivity is the one
:data:`core.passivity.PASSIVITY` statement).

References
----------
:data:`core.references.CHO` (v4, 2007); equation numbers are the paper's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants as sc

from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.errors import InvalidInput, PoleOnGrid
from core.media import RationalMedium
from core.optics import impedance, normal_reflectance, refractive_index
from core.oscillators import FREQUENCY_RANGE, MAX_STRENGTH, lorentz_sums
from core.passivity import passivity_check
from core.units import identity, is_physical, linear_scale

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


UsableKind = Literal["frequency", "linewidth", "strength"]


def _check_usable(
    values: ArrayLike, what: str, kind: UsableKind, within: tuple[str, ...] = ()
) -> None:
    """Refuse magnitudes outside double-precision reach (:class:`InvalidInput` naming the entry).

    Frequencies (and Gaussian strengths b, in [w]) must lie in ``FREQUENCY_RANGE`` =
    [1e-30, 1e30] of the medium's unit, linewidths must be 0 or in that range, strengths obey
    |S| <= ``MAX_STRENGTH`` = 1e60, the ranges of :mod:`core.oscillators`: inside them w^2, the
    denominators D = w_j^2 - w^2 - 2 i gamma w and their products with the strengths stay finite;
    outside them (a denormal 1e-310 damping, a 1e300 frequency) the response is 0/0 or inf/inf.
    The error names ``(*within, j, what)`` for entry j of a list (``within`` given), else
    ``(what,)``.
    """
    lo, hi = FREQUENCY_RANGE
    a = np.abs(np.asarray(values, dtype=np.float64).reshape(-1))
    if kind == "strength":
        bad = a > MAX_STRENGTH
        usable = f"|{what}| <= {MAX_STRENGTH:.0e}"
    elif kind == "linewidth":
        bad = (a != 0) & ((a < lo) | (a > hi))
        usable = f"{what} = 0 or {lo:.0e} <= {what} <= {hi:.0e}"
    else:
        bad = (a < lo) | (a > hi)
        usable = f"{lo:.0e} <= {what} <= {hi:.0e}"
    if bad.any():
        j = int(np.argmax(bad))
        raise InvalidInput(
            f"{what} = {np.asarray(values, dtype=np.float64).reshape(-1)[j]:.3g} is outside the "
            f"usable range: give {usable} in the medium's unit",
            field=(*within, j, what) if within else (what,),
            fix=f"give {usable}, or express the medium in a unit in which its frequencies are "
            "of ordinary size",
        )


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
        _check_usable([self.w0], "w0", "frequency")
        _check_usable([self.b], "b", "frequency")
        _check_usable([self.gamma], "gamma", "linewidth")
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
        background: tuple[tuple[str, UsableKind], ...] = (
            ("omega", "frequency"),
            ("gamma", "linewidth"),
            ("strength", "strength"),
        )
        for name, kind in background:
            _check_usable(getattr(self, f"background_{name}"), name, kind, ("background",))

    @property
    def strength_si(self) -> float:
        """4 pi b, the strength in SI normalisation (chi^SI = 4 pi chi^G)."""
        return si_strength(self.b)

    # Medium protocol (core.media.Medium): eqs 44-47 through magnetic_resonance_eps_mu[_derivative]

    def eps_mu(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
        """eps(w) and mu(w) on real frequencies in [w], shape (N,) (:func:`magnetic_resonance_eps_mu`)."""
        wv = np.asarray(w, dtype=np.float64).reshape(-1)
        eps, mu = magnetic_resonance_eps_mu(self, wv)
        return (
            np.asarray(eps, dtype=np.complex128).reshape(wv.shape),
            np.asarray(mu, dtype=np.complex128).reshape(wv.shape),
        )

    def eps_mu_derivative(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
        """eps, mu and the analytic d(eps mu)/dw (:func:`magnetic_resonance_eps_mu_derivative`)."""
        wv = np.asarray(w, dtype=np.float64).reshape(-1)
        eps, mu, d = magnetic_resonance_eps_mu_derivative(self, wv)
        return (
            np.asarray(eps, dtype=np.complex128).reshape(wv.shape),
            np.asarray(mu, dtype=np.complex128).reshape(wv.shape),
            np.asarray(d, dtype=np.complex128).reshape(wv.shape),
        )

    def scaled(self, s: float) -> MagneticResonanceMedium:
        """The same medium with frequencies times ``s``: b, w0, gamma and the background
        frequencies and dampings scale by s, the background strengths by s^2."""
        return MagneticResonanceMedium(
            eps_b=self.eps_b,
            b=self.b * s,
            w0=self.w0 * s,
            gamma=self.gamma * s,
            assignment=self.assignment,
            line_shape=self.line_shape,
            background_omega=tuple(o * s for o in self.background_omega),
            background_gamma=tuple(g * s for g in self.background_gamma),
            background_strength=tuple(x * s * s for x in self.background_strength),
        )

    def rational(self) -> RationalMedium:
        """Pole-residue form (eqs 44-47), with s = 4 pi b and eps = eps_b + sum_p S_p / D_p(w).

        chi_m resonant: mu = 1 + s / (w0 - w - i gamma)  =>  1/mu = 1 - s / (w0 + s - i gamma - w);
        chi_B resonant: 1/mu = 1 - s / (w0 - i gamma - w);
        chi_m lorentz: mu = 1 + 2 w0 s / D_0  =>  1/mu = 1 - 2 w0 s / (w0^2 + 2 w0 s - w^2 - 2 i gamma w);
        chi_B lorentz: 1/mu = 1 - 2 w0 s / D_0.
        So the chi_m assignment moves the pole of 1/mu (the zero of mu) up by s, chi_B keeps it.
        """
        s = 4.0 * np.pi * float(self.b)
        w0, g = float(self.w0), float(self.gamma)
        om = list(self.background_omega)
        ga = list(self.background_gamma)
        a = list(self.background_strength)
        b = [0.0] * len(om)
        empty = np.zeros(0, dtype=np.complex128)
        pole, beta = empty, empty
        if self.line_shape == "resonant":
            shift = s if self.assignment == "chi_m" else 0.0
            pole = np.array([w0 + shift - 1j * g])
            beta = np.array([-s + 0j])
        else:
            wm = np.sqrt(w0 * w0 + 2.0 * w0 * s) if self.assignment == "chi_m" else w0
            om.append(float(wm))
            ga.append(g)
            a.append(0.0)
            b.append(-2.0 * w0 * s)
        n = len(om)
        return RationalMedium(
            eps_inf=complex(self.eps_b),
            inv_mu_inf=1.0,
            omega=np.asarray(om, dtype=np.float64).reshape(n),
            gamma=np.asarray(ga, dtype=np.float64).reshape(n),
            a=np.asarray(a, dtype=np.float64).reshape(n),
            b=np.asarray(b, dtype=np.float64).reshape(n),
            c=np.zeros(n),
            pole=pole,
            alpha=np.zeros(pole.shape[0], dtype=np.complex128),
            beta=beta,
        )


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
        ranges: tuple[tuple[str, UsableKind], ...] = (
            ("omega", "frequency"),
            ("gamma", "linewidth"),
            ("e1", "strength"),
            ("mixed", "strength"),
            ("m1", "strength"),
        )
        for name, kind in ranges:
            _check_usable(cols[name], name, kind, ("resonances",))
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


# ---------------------------------------------------------------------------------------------
# Reports: Cho's statements as checks, written once (the HTTP API serialises these reports)
# ---------------------------------------------------------------------------------------------

#: Map from frequencies in the medium's unit to the unit the user reads (the grid's).
ToOutput = Callable[[FloatArray], FloatArray]

#: Relative tolerance of the exact algebraic identities evaluated on the grid (rounding only).
IDENTITY_RTOL: Final = 1e-9

MU_POLE_ZERO: Final = CheckSpec(
    name="mu_pole_zero",
    kind="value",
    equation="Cho eqs 44-47 at gamma -> 0: chi_m puts the pole of mu at w0 and its zero at "
    "w0 + 4 pi b; chi_B puts the zero at w0 and the pole at w0 - 4 pi b (the edges of the band "
    "where mu < 0, the transmission window when eps < 0)",
    explanation="The frequencies between which mu < 0; with eps < 0 waves propagate only there.",
)
LEFT_HANDED_WINDOW: Final = CheckSpec(
    name="left_handed_window",
    kind="indicative",
    equation="Re eps < 0 at the centre of the band where mu < 0 (Cho eqs 46-47, Figs. 1-2, "
    "sec. 3.4): there n^2 = eps mu > 0 with n < 0 and v_p v_g < 0",
    explanation="Where eps is not negative the band where mu < 0 is opaque instead of a "
    "left-handed transmission window (eps is sampled at the centre of the band only).",
    warning="eps is not negative in the band where mu < 0: no left-handed window "
    "(Cho's Figs. 1-2 need eps_b < 0 around w0)",
)
REFLECTANCE_DIP: Final = CheckSpec(
    name="reflectance_dip",
    kind="value",
    equation="R = |(Z - 1)/(Z + 1)|^2 with Z = mu / n (Cho sec. 3.4, Fig. 2): R = 0 where Z = 1, "
    "i.e. n = -1 when eps = -1",
    explanation="The smallest reflectance on the grid, where it is, and n and Z there.",
)
REALITY_CONDITION: Final = CheckSpec(
    name="reality_condition",
    kind="bound",
    equation="chi(-w*) = chi(w)* on the grid (the resonant and antiresonant pair g_nu + h_nu of "
    "Cho eq 64), relative to max |chi|",
    explanation="The resonant form of eqs 44-45 keeps only the resonant term, so it is not the "
    "response of a real (causal, real-field) medium: trust it only for |w - w0| << w0, or use "
    "line_shape 'lorentz'.",
    tolerance=IDENTITY_RTOL,
    warning="the resonant line shape breaks the reality condition chi(-w) = chi(w)* by {value:.3g} "
    "(relative): it is Cho's near-resonance form, valid for |w - w0| << w0; use line_shape "
    "'lorentz' for the response of a real, causal medium",
)
ASSIGNMENT_SHIFT: Final = CheckSpec(
    name="assignment_shift",
    kind="bound",
    equation="mu_chi_B(w) = mu_chi_m(w + 4 pi b) for the resonant form (Cho eqs 44-45, Fig. 2: "
    "1/(1 - a/(w0 - w - i gamma)) = 1 + a/(w0 - w - a - i gamma), a = 4 pi b), relative "
    "difference per point divided by 1 + |w| / |w0 - w -+ a - i gamma| (the rounding of w -+ a)",
    explanation="The chi_B spectrum is the chi_m spectrum shifted down by 4 pi b ('almost "
    "identical curves' of Fig. 2); a failure means mu is not the one of eqs 44-47 (a defect).",
    tolerance=IDENTITY_RTOL,
    warning="mu differs from the other assignment's mu shifted by 4 pi b by {value:.3g} "
    "(relative): the identity of eqs 44-45 does not hold on this grid",
)
MIXING_BOUND: Final = CheckSpec(
    name="mixing_bound",
    kind="bound",
    equation="|g_j| <= 2 sqrt(e_j m_j) for every resonance (Cauchy-Schwarz on the numerator "
    "|I + i k Q|^2 >= 0 of Cho eq 27); value = max_j |g_j| / (2 sqrt(e_j m_j))",
    explanation="A larger mixed strength makes one transition's numerator negative for some k: "
    "one circular polarisation would show gain, which no ground-state medium does.",
    tolerance=MIXED_RTOL,
    warning="mixed strength above the Cauchy-Schwarz bound (max |g| / 2 sqrt(e m) = {value:.6g}): "
    "one circular polarisation shows gain",
)
CIRCULAR_SPLITTING: Final = CheckSpec(
    name="circular_splitting",
    kind="bound",
    equation="k_+ = k_- without mixed strengths (Cho eq 29: the two circular quadratics coincide "
    "when every g_j = 0), judged as max |k_+ - k_-| <= tolerance max |k|; a chiral medium gets no "
    "verdict (its splitting is the optical activity); value = max |k_+ - k_-|",
    explanation="Circular waves that split without any mixed strength contradict eq 29: the "
    "rotation and dichroism are then numerical artefacts.",
    tolerance=IDENTITY_RTOL,
    warning="k_+ and k_- differ by {value:.3g} although no resonance has a mixed strength",
)
ACHIRAL_EQUIVALENCE: Final = CheckSpec(
    name="achiral_equivalence",
    kind="bound",
    equation="without mixed strengths (c k / w)^2 = eps mu with mu = 1 / (1 - 4 pi chi_B) "
    "(Cho eqs 34-37), max relative difference on the grid",
    explanation="The single-susceptibility dispersion of an achiral medium must equal the eps-mu "
    "one with chi_B (not chi_m); a difference means the roots of eq 29 are wrong.",
    tolerance=IDENTITY_RTOL,
    warning="the achiral dispersion differs from eps / (1 - 4 pi chi_B) by {value:.3g} (relative)",
)
LOW_FREQUENCY_ROTATION: Final = CheckSpec(
    name="low_frequency_rotation",
    kind="value",
    equation="rho -> coefficient * w^2 as w -> 0 (Biot's law, from Cho eq 29), coefficient = "
    "sum_j g_j / (2 w_j^2); w in the medium unit, rho in rad per c/unit",
    explanation="The Biot coefficient of the low-frequency optical rotation.",
)
SINGLE_POLES: Final = CheckSpec(
    name="single_poles",
    kind="value",
    equation="Cho eq 29: (4 pi c / w^2) chi_em is a sum of single poles; k stays finite at a pole "
    "with m_j > 0",
    explanation="The resonance frequencies (in the grid's unit), the only poles of chi_em.",
)
DBF_COMPARISON: Final = CheckSpec(
    name="dbf",
    kind="value",
    equation="Cho eq 43: (c k / w)^2 = eps mu (1 -+ beta w n / c)^-2; eps mu has second-order "
    "poles where eps and mu share a pole (eq 54)",
    explanation="The DBF admittance beta (in the output length unit) and the frequencies where the "
    "DBF eps mu has double poles while chi_em has single ones.",
)


def wavenumber_scale(unit: str) -> float:
    """Factor from a wavenumber in [unit]/c (this module's convention) to the API's unit: 1/m
    for a physical ``unit`` (core.units), 1 for ``model``."""
    return linear_scale(unit) / sc.c if is_physical(unit) else 1.0


def wavenumber_unit(unit: str) -> str:
    """Unit of a wavenumber (or absorption coefficient) reported for a medium in ``unit``."""
    return "1/m" if is_physical(unit) else f"{unit} frequency unit / c"


def _require_finite(named: dict[str, NDArray[np.generic]]) -> None:
    for name, arr in named.items():
        if not np.all(np.isfinite(arr)):
            raise InvalidInput(
                f"{name} is not finite at some grid point: the grid hits a singular point of the "
                "undamped model",
                field=("frequencies",),
                fix="give the resonances a damping gamma > 0, or move the grid points",
            )


def _out(to_output: ToOutput, x: float) -> float | None:
    """A positive finite frequency of the medium's unit in the output unit (else None)."""
    if not np.isfinite(x) or x <= 0:
        return None
    return float(to_output(np.array([x]))[0])


def _max_rel(a: ComplexArray, b: ComplexArray) -> float:
    """max |a - b| / max(|b|, tiny) over the points where both are finite (0 if none)."""
    ok = np.isfinite(a) & np.isfinite(b)
    if not ok.any():
        return 0.0
    return float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-300)))


def signed_im_n2(n: ComplexArray) -> FloatArray:
    """sign(Re n) Im(n^2) = 2 |Re n| Im n: Im(eps mu) as seen by the wave of index ``n``.

    For Re n > 0 this is Im(eps mu); in a left-handed band (Re n < 0, Cho sec. 3.4) an absorbed
    wave has Im(eps mu) < 0, and the sign is reversed so that >= 0 still means absorption. ``n``
    must be the index of the wave that carries energy forward (Re(n / mu) > 0), so that a gain
    medium gives a negative value.
    """
    nn = np.asarray(n, dtype=np.complex128)
    return np.asarray(2.0 * np.abs(nn.real) * nn.imag, dtype=np.float64)


def magnetic_passivity_check(
    w: FloatArray,
    eps: ComplexArray,
    mu: ComplexArray,
    *,
    to_output: ToOutput | None = None,
) -> Check:
    """The :data:`core.passivity.PASSIVITY` check of an eps-mu medium that may be left-handed.

    The full statement (Im eps >= 0 and (Im mu >= 0 or sign(Re mu) Im(eps mu) >= 0)), so Cho's
    absorbing left-handed window (eps = -1, Im mu > 0, where Im(eps mu) = -Im mu < 0) passes and
    a gain medium, left-handed or not, fails. ``details`` add ``min_im_epsilon`` and ``min_im_mu``.
    """
    e = np.asarray(eps, dtype=np.complex128).reshape(-1)
    m = np.asarray(mu, dtype=np.complex128).reshape(-1)
    chk = passivity_check(
        np.asarray(w, dtype=np.float64).reshape(-1),
        eps=e,
        mu=m,
        to_output=to_output,
    )
    return replace(
        chk,
        details={
            **chk.details,
            "min_im_epsilon": float(e.imag.min()),
            "min_im_mu": float(m.imag.min()),
        },
    )


def reality_condition_check(medium: MagneticResonanceMedium, w: FloatArray) -> Check:
    """:data:`REALITY_CONDITION`: max |chi(-w) - chi(w)*| / max |chi| on the real grid ``w``."""
    ww = np.asarray(w, dtype=np.float64).reshape(-1)
    chi = magnetic_susceptibility(medium, ww)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.abs(magnetic_susceptibility(medium, -ww) - np.conj(chi))
    ok = np.isfinite(diff) & np.isfinite(chi)
    scale = float(np.max(np.abs(chi[ok]))) if ok.any() else 0.0
    rel = float(np.max(diff[ok])) / scale if scale > 0 else 0.0
    return REALITY_CONDITION.judge(rel <= IDENTITY_RTOL, rel, line_shape=medium.line_shape)


def assignment_shift_check(
    medium: MagneticResonanceMedium, w: FloatArray, mu: ComplexArray
) -> Check:
    """:data:`ASSIGNMENT_SHIFT`: ``mu`` (this medium's, on ``w``) against the other assignment's
    mu at w -+ 4 pi b, written out from eqs 44-45 (``resonant`` line shape only)."""
    if medium.line_shape != "resonant":
        return ASSIGNMENT_SHIFT.judge(
            None,
            explanation="The shift identity is exact only for the resonant form of eqs 44-45; "
            "the lorentz form adds an antiresonant term.",
        )
    ww = np.asarray(w, dtype=np.float64).reshape(-1)
    a = si_strength(medium.b)
    with np.errstate(divide="ignore", invalid="ignore"):
        if medium.assignment == "chi_B":  # mu_B(w) = mu_m(w + a)
            other = 1.0 + a / (medium.w0 - (ww + a) - 1j * medium.gamma)
        else:  # mu_m(w) = mu_B(w - a)
            other = 1.0 / (1.0 - a / (medium.w0 - (ww - a) - 1j * medium.gamma))
        # rounding of w -+ a is amplified by |w| / |denominator| near the poles: judge per point
        # relative to that condition number, so an undamped grid near a pole is no failure
        den = np.abs(medium.w0 - ww[:, None] - np.array([0.0, a, -a]) - 1j * medium.gamma)
        cond = 1.0 + np.abs(ww) / np.min(den, axis=1)
        mm = np.asarray(mu, dtype=np.complex128).reshape(-1)
        diff = np.abs(mm - other) / (np.maximum(np.abs(other), 1e-300) * cond)
    ok = np.isfinite(diff)
    rel = float(np.max(diff[ok])) if ok.any() else 0.0
    return ASSIGNMENT_SHIFT.judge(rel <= IDENTITY_RTOL, rel, shift=a)


def magnetic_resonance_report(
    medium: MagneticResonanceMedium,
    w: ArrayLike,
    *,
    unit: str = "model",
    frequencies: ArrayLike | None = None,
    frequency_unit: str | None = None,
    to_output: ToOutput | None = None,
) -> Report:
    """The report of a magnetic resonance assigned to chi_m or chi_B (Cho eqs 44-47, Figs. 1-2).

    Parameters
    ----------
    medium : MagneticResonanceMedium
    w : (N,) float
        Frequencies in the medium's unit ``unit`` (w > 0).
    unit : str
        The medium's frequency unit (core.units; ``model`` = Cho's units of w0). Wavenumbers are
        reported in 1/m for a physical unit, else in [unit]/c.
    frequencies : (N,) float, optional
        The grid as the user gave it (echoed as the first array); default ``w``.
    frequency_unit : str, optional
        Unit of ``frequencies``; default ``unit``.
    to_output : callable, optional
        Map from the medium's unit to ``frequency_unit`` (window edges, poles); default identity.

    Returns
    -------
    Report
        Arrays (the CSV columns): frequencies, epsilon, mu, chi (Gaussian), refractive_index
        (Im n >= 0), wavenumber k = n w / c, impedance Z = mu / n, reflectance, group_index
        c Re dk/dw, backward_wave (propagating with v_p v_g < 0). Checks: :data:`MU_POLE_ZERO`,
        :data:`LEFT_HANDED_WINDOW`, :data:`REFLECTANCE_DIP`, passivity
        (:func:`magnetic_passivity_check`), :data:`REALITY_CONDITION`, :data:`ASSIGNMENT_SHIFT`.

    Raises
    ------
    PoleOnGrid, InvalidInput
        An undamped singularity (or band edge) on the grid.
    """
    ww = np.asarray(w, dtype=np.float64).reshape(-1)
    grid = ww if frequencies is None else np.asarray(frequencies, dtype=np.float64).reshape(-1)
    gunit = unit if frequency_unit is None else frequency_unit
    back = identity if to_output is None else to_output
    r = magnetic_resonance_response(medium, ww)
    _require_finite({"group index": r.group_index, "refractive index": r.n})
    ks = wavenumber_scale(unit)
    backward = r.propagating & (r.n.real * r.group_index < 0)

    pole, zero = mu_pole_and_zero(medium)
    lo, hi = transmission_window(medium)
    mid = 0.5 * (lo + hi) if np.isfinite(lo) and np.isfinite(hi) else float("nan")
    eps_mid = (
        complex(background_permittivity(medium, np.array([mid]))[0])
        if np.isfinite(mid)
        else complex("nan")
    )
    lh = bool(np.isfinite(mid) and eps_mid.real < 0)
    edges = sorted(x for x in (_out(back, lo), _out(back, hi)) if x is not None)
    i_min = int(np.argmin(r.reflectance))

    checks = checks_of(
        ("mu_pole_zero", MU_POLE_ZERO.value_only(pole=_out(back, pole), zero=_out(back, zero))),
        (
            "left_handed_window",
            LEFT_HANDED_WINDOW.judge(
                lh,
                eps_mid.real if np.isfinite(mid) else None,
                edges=edges,
                w0_at="lower edge" if abs(lo - medium.w0) <= abs(hi - medium.w0) else "upper edge",
                epsilon_at_center=eps_mid if np.isfinite(mid) else None,
                width_four_pi_b=medium.strength_si,
            ),
        ),
        (
            "reflectance_dip",
            REFLECTANCE_DIP.value_only(
                float(r.reflectance[i_min]),
                min_reflectance=float(r.reflectance[i_min]),
                at_frequency=float(grid[i_min]),
                refractive_index=complex(r.n[i_min]),
                impedance=complex(r.impedance[i_min]),
            ),
        ),
        ("passive", magnetic_passivity_check(ww, r.eps, r.mu, to_output=back)),
        ("reality_condition", reality_condition_check(medium, ww)),
        ("assignment_shift", assignment_shift_check(medium, ww, r.mu)),
    )
    k_unit = wavenumber_unit(unit)
    arrays = {
        "frequencies": Series(grid, "frequency w", gunit),
        "epsilon": Series(r.eps, "permittivity eps(w)", "1", "frequencies"),
        "mu": Series(r.mu, "permeability mu(w) (eq 46 or 47)", "1", "frequencies"),
        "chi": Series(
            r.chi,
            f"Gaussian susceptibility {medium.assignment}(w) (eq 44 or 45)",
            "Gaussian (dimensionless); SI = 4 pi x",
            "frequencies",
        ),
        "refractive_index": Series(r.n, "refractive index n, Im n >= 0", "1", "frequencies"),
        "wavenumber": Series(r.k * ks, "wavenumber k = n w / c", k_unit, "frequencies"),
        "impedance": Series(r.impedance, "relative impedance Z = mu / n", "1", "frequencies"),
        "reflectance": Series(
            np.ascontiguousarray(r.reflectance), "normal-incidence reflectance", "1", "frequencies"
        ),
        "group_index": Series(
            np.ascontiguousarray(r.group_index), "group index c Re(dk/dw)", "1", "frequencies"
        ),
        "backward_wave": Series(
            backward, "propagating with v_p v_g < 0 (Cho sec. 3.4)", "1", "frequencies"
        ),
    }
    return Report(
        model=MODEL_NAME_MAGNETIC,
        version=MODEL_VERSION,
        arrays=arrays,
        checks=checks,
        units={"medium": unit},
    )


def mixing_bound_check(
    e1: ArrayLike, m1: ArrayLike, mixed: ArrayLike, *, tolerance: float | None = None
) -> Check:
    """:data:`MIXING_BOUND` of resonance strengths (each (M,)); details ``ratio`` per resonance,
    |g_j| / (2 sqrt(e_j m_j)) (``None`` where e_j m_j = 0, where g_j must vanish)."""
    e = np.asarray(e1, dtype=np.float64).reshape(-1)
    m = np.asarray(m1, dtype=np.float64).reshape(-1)
    g = np.abs(np.asarray(mixed, dtype=np.float64).reshape(-1))
    tol = MIXED_RTOL if tolerance is None else tolerance
    ratios: list[float | None] = []
    worst = 0.0
    for ej, mj, gj in zip(e, m, g, strict=True):
        if ej * mj > 0:
            q = float(gj / (2.0 * np.sqrt(ej * mj)))
            ratios.append(q)
        else:
            q = 0.0 if gj == 0 else float("inf")
            ratios.append(None)
        worst = max(worst, q)
    return MIXING_BOUND.judge(worst * worst <= 1.0 + tol, worst, tolerance=tol, ratio=ratios)


def chiral_passivity_check(
    w: FloatArray,
    n_plus: ComplexArray,
    n_minus: ComplexArray,
    *,
    alpha_scale: float = 1.0,
    to_output: ToOutput | None = None,
) -> Check:
    """The :data:`core.passivity.PASSIVITY` check of the two forward circular waves (eq 29).

    Each circular channel s has its own eps mu = n_s^2 (eq 29); Im n_s^2 is judged with the sign
    of :func:`signed_im_n2` (>= 0: the forward wave is absorbed), the worse of the two channels at
    each frequency. ``details`` add ``min_alpha`` = min over both of 2 Im k = 2 w Im n, times
    ``alpha_scale`` (the output unit of an absorption coefficient).
    """
    ww = np.asarray(w, dtype=np.float64).reshape(-1)
    npl = np.asarray(n_plus, dtype=np.complex128).reshape(-1)
    nmi = np.asarray(n_minus, dtype=np.complex128).reshape(-1)
    q = np.minimum(signed_im_n2(npl), signed_im_n2(nmi))
    chk = passivity_check(
        ww,
        q,
        to_output=to_output,
        scope="sampled on the frequency grid, both circular waves; Im(n_s^2) taken with the sign "
        "of Re n_s",
    )
    alpha = 2.0 * ww * np.minimum(npl.imag, nmi.imag)
    return replace(chk, details={**chk.details, "min_alpha": float(alpha.min()) * alpha_scale})


def circular_splitting_check(
    is_chiral: bool, k_plus: ArrayLike, k_minus: ArrayLike, *, scale: float = 1.0
) -> Check:
    """:data:`CIRCULAR_SPLITTING`: ``value`` = max |k_+ - k_-| times ``scale`` (the output unit
    of a wavenumber); an achiral medium must not split beyond ``IDENTITY_RTOL`` max |k|; a chiral
    one gets no verdict (the splitting is its optical activity, reported in the arrays)."""
    kp, km = np.asarray(k_plus), np.asarray(k_minus)
    split = float(np.max(np.abs(kp - km))) * scale
    size = float(max(np.max(np.abs(kp)), np.max(np.abs(km)))) * scale
    if is_chiral:
        return CIRCULAR_SPLITTING.judge(
            None,
            split,
            explanation="The medium has mixed strengths, so k_+ and k_- split by design (optical "
            "activity); the statement applies to achiral media only.",
            chiral=True,
            max_abs_k_plus_minus_k_minus=split,
        )
    return CIRCULAR_SPLITTING.judge(
        split <= IDENTITY_RTOL * size,
        split,
        chiral=False,
        max_abs_k_plus_minus_k_minus=split,
    )


def achiral_equivalence_check(
    w: FloatArray, k: ComplexArray, eps: ComplexArray, four_pi_chi_b: ComplexArray
) -> Check:
    """:data:`ACHIRAL_EQUIVALENCE`: (k / w)^2 (k in [w]/c) against eps / (1 - 4 pi chi_B)."""
    ww = np.asarray(w, dtype=np.float64)
    rel = _max_rel(
        (np.asarray(k, dtype=np.complex128) / ww) ** 2,
        np.asarray(eps, dtype=np.complex128) / (1.0 - np.asarray(four_pi_chi_b)),
    )
    return ACHIRAL_EQUIVALENCE.judge(rel <= IDENTITY_RTOL, rel, max_relative_difference=rel)


def single_susceptibility_report(
    medium: ChiralMedium,
    w: ArrayLike,
    *,
    unit: str = "model",
    frequencies: ArrayLike | None = None,
    frequency_unit: str | None = None,
    to_output: ToOutput | None = None,
    dbf: bool = False,
    dbf_beta: float | None = None,
) -> Report:
    """The report of a chiral single-susceptibility medium (Cho eqs 27, 29, 48), optionally
    compared with its Drude-Born-Fedorov counterpart (eqs 43, 54).

    Parameters
    ----------
    medium : ChiralMedium
    w : (N,) float
        Frequencies in the medium's unit ``unit`` (w > 0).
    unit, frequencies, frequency_unit, to_output
        As for :func:`magnetic_resonance_report`.
    dbf : bool
        Also compute the DBF medium of :func:`dbf_counterpart`.
    dbf_beta : float, optional
        Its chiral admittance in c/[unit] (a length); ``None``: matched to the low-frequency
        rotation.

    Returns
    -------
    Report
        Arrays: frequencies, k_plus, k_minus (1/m or [unit]/c), n_plus, n_minus, rotatory_power,
        circular_dichroism, alpha_plus, alpha_minus, epsilon, four_pi_chi_b and, with ``dbf``,
        dbf_eps_mu, dbf_k_plus, dbf_k_minus, dbf_rotatory_power. Checks: :data:`MIXING_BOUND`,
        :data:`CIRCULAR_SPLITTING`, passivity (:func:`chiral_passivity_check`),
        :data:`LOW_FREQUENCY_ROTATION`, :data:`SINGLE_POLES`, :data:`ACHIRAL_EQUIVALENCE`
        (achiral media only), :data:`DBF_COMPARISON` (with ``dbf``).
    """
    ww = np.asarray(w, dtype=np.float64).reshape(-1)
    grid = ww if frequencies is None else np.asarray(frequencies, dtype=np.float64).reshape(-1)
    gunit = unit if frequency_unit is None else frequency_unit
    back = identity if to_output is None else to_output
    r = chiral_response(medium, ww)
    _require_finite({"k_plus": r.k_plus, "k_minus": r.k_minus})
    ks = wavenumber_scale(unit)
    k_unit = wavenumber_unit(unit)
    om = np.asarray(medium.omega)

    pairs: list[tuple[str, Check]] = [
        ("mixing_bound", mixing_bound_check(medium.e1, medium.m1, medium.mixed)),
        (
            "circular_splitting",
            circular_splitting_check(medium.is_chiral, r.k_plus, r.k_minus, scale=ks),
        ),
        (
            "passive",
            chiral_passivity_check(ww, r.n_plus, r.n_minus, alpha_scale=ks, to_output=back),
        ),
        (
            "low_frequency_rotation",
            LOW_FREQUENCY_ROTATION.value_only(
                coefficient=float(
                    sum(g / (2.0 * o**2) for g, o in zip(medium.mixed, om, strict=True))
                ),
            ),
        ),
        ("single_poles", SINGLE_POLES.value_only(poles=[_out(back, float(o)) for o in om])),
    ]
    if not medium.is_chiral:
        pairs.append(
            ("achiral_equivalence", achiral_equivalence_check(ww, r.k_plus, r.eps, r.chi_b))
        )
    arrays = {
        "frequencies": Series(grid, "frequency w", gunit),
        "k_plus": Series(
            r.k_plus * ks,
            "forward wavenumber k_+ (positive helicity, eq 29)",
            k_unit,
            "frequencies",
        ),
        "k_minus": Series(
            r.k_minus * ks, "forward wavenumber k_- (negative helicity)", k_unit, "frequencies"
        ),
        "n_plus": Series(r.n_plus, "index n_+ = c k_+ / w", "1", "frequencies"),
        "n_minus": Series(r.n_minus, "index n_- = c k_- / w", "1", "frequencies"),
        "rotatory_power": Series(
            np.ascontiguousarray(r.rotatory_power * ks),
            "rotatory power (Re k_+ - Re k_-)/2",
            "rad/m" if is_physical(unit) else f"rad per c/{unit}",
            "frequencies",
        ),
        "circular_dichroism": Series(
            np.ascontiguousarray(r.circular_dichroism * ks),
            "circular dichroism alpha_+ - alpha_-",
            k_unit,
            "frequencies",
        ),
        "alpha_plus": Series(
            np.ascontiguousarray(r.alpha_plus * ks), "absorption 2 Im k_+", k_unit, "frequencies"
        ),
        "alpha_minus": Series(
            np.ascontiguousarray(r.alpha_minus * ks), "absorption 2 Im k_-", k_unit, "frequencies"
        ),
        "epsilon": Series(r.eps, "E1 part eps_inf + sum e_j / D_j", "1", "frequencies"),
        "four_pi_chi_b": Series(
            r.chi_b, "M1 part 4 pi chi_B = w^2 sum m_j / D_j (eq 37)", "1", "frequencies"
        ),
    }
    if dbf:
        d = dbf_counterpart(medium, dbf_beta)
        dr = dbf_response(d, ww)
        _require_finite({"DBF k_plus": dr.k_plus, "DBF k_minus": dr.k_minus})
        arrays["dbf_eps_mu"] = Series(
            dr.eps_mu, "DBF eps mu (double poles, eq 43)", "1", "frequencies"
        )
        arrays["dbf_k_plus"] = Series(dr.k_plus * ks, "DBF k_+ (eq 43)", k_unit, "frequencies")
        arrays["dbf_k_minus"] = Series(dr.k_minus * ks, "DBF k_- (eq 43)", k_unit, "frequencies")
        arrays["dbf_rotatory_power"] = Series(
            np.ascontiguousarray(dr.rotatory_power * ks),
            "DBF rotatory power (Re k_+ - Re k_-)/2",
            arrays["rotatory_power"].unit,
            "frequencies",
        )
        double = [
            _out(back, float(o))
            for o, e, m in zip(om, medium.e1, medium.m1, strict=True)
            if e > 0 and m > 0
        ]
        pairs.append(("dbf", DBF_COMPARISON.value_only(beta=d.beta / ks, double_poles=double)))
    return Report(
        model=MODEL_NAME_CHIRAL,
        version=MODEL_VERSION,
        arrays=arrays,
        checks=checks_of(*pairs),
        units={"medium": unit},
    )
