"""The one medium abstraction: :class:`Medium`, and the media that need no domain kernel.

A medium is anything that gives its relative permittivity eps(w) and permeability mu(w) on a grid
of real angular frequencies in its own frequency unit (:meth:`Medium.eps_mu`), the derivative
d(eps mu)/dw (:meth:`Medium.eps_mu_derivative`, for group velocities and Cho's index rule), the
same medium in another frequency unit (:meth:`Medium.scaled`) and, where one exists, its
pole-residue form (:meth:`Medium.rational`, for the polariton branches w_j(k)). Index, impedance,
velocities, Fresnel coefficients and branches follow from these in :mod:`core.optics` and
:mod:`core.dispersion`, once for every medium kind.

Implementations: :class:`ConstantMedium`, :class:`TabulatedMedium` and :class:`RationalMedium`
here; the multipole oscillator medium :class:`core.oscillators.OscillatorMedium` (Westerberg &
Barnett eq 21) and Cho's magnetic-resonance medium :class:`core.chiral.MagneticResonanceMedium`
(eqs 44-47) in their domain modules. This module imports no domain module (imports stay acyclic:
the domain modules import it, never the reverse).

Conventions: fields vary as exp(-i w t), so a passive medium has Im eps >= 0 (the full passivity
statement, which allows Im mu < 0, is :data:`core.passivity.PASSIVITY`).
``scaled(s)`` is a change of frequency unit: the new medium at s w equals the old one at w
(frequencies and dampings scale by s, strengths with their dimension), so every dimensionless
response is unchanged.

References
----------
N. Westerberg and S. M. Barnett (2025) (:data:`core.references.WESTERBERG_BARNETT`);
K. Cho (2007) (:data:`core.references.CHO`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, get_args, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import PchipInterpolator

from core.errors import InvalidInput

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

Interpolation = Literal["linear", "pchip"]
INTERPOLATIONS: Final[tuple[str, ...]] = get_args(Interpolation)

#: Relative step of the central difference used where a medium has no analytic derivative.
FD_RELATIVE_STEP: Final = 1e-6


@runtime_checkable
class Medium(Protocol):
    """What every medium provides (module docstring). ``w`` is real, in the medium's unit."""

    def eps_mu(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
        """eps(w) and mu(w), each of shape (N,) (one-dimensional even for N = 1)."""
        ...

    def eps_mu_derivative(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
        """eps(w), mu(w) and d(eps mu)/dw (per unit of the medium's frequency), each (N,)."""
        ...

    def scaled(self, s: float) -> Medium:
        """The same medium with frequencies multiplied by ``s`` (a change of frequency unit)."""
        ...

    def rational(self) -> RationalMedium | None:
        """The pole-residue form, or ``None`` where the medium has none (a table)."""
        ...


def _grid(w: ArrayLike) -> FloatArray:
    return np.asarray(w, dtype=np.float64).reshape(-1)


def central_difference(
    medium: Medium, w: ArrayLike, lo: float = -np.inf, hi: float = np.inf
) -> ComplexArray:
    """d(eps mu)/dw by a central difference, step ``FD_RELATIVE_STEP`` max(|w|, tiny), clipped to
    [lo, hi] (one-sided at the ends of a table)."""
    wv = _grid(w)
    h = FD_RELATIVE_STEP * np.maximum(np.abs(wv), np.finfo(float).tiny)
    wp, wm = np.minimum(wv + h, hi), np.maximum(wv - h, lo)
    ep, mp = medium.eps_mu(wp)
    em, mm = medium.eps_mu(wm)
    return np.asarray((ep * mp - em * mm) / (wp - wm), dtype=np.complex128)


# ---------------------------------------------------------------------------------------------
# Constant and tabulated media
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

    def eps_mu(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
        """eps and mu repeated on ``w``, shape (N,)."""
        wv = _grid(w)
        return (
            np.full(wv.shape, self.eps, dtype=np.complex128),
            np.full(wv.shape, self.mu, dtype=np.complex128),
        )

    def eps_mu_derivative(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
        """eps, mu and d(eps mu)/dw = 0."""
        eps, mu = self.eps_mu(w)
        return eps, mu, np.zeros_like(eps)

    def scaled(self, s: float) -> ConstantMedium:
        """Itself: a constant medium has no frequency scale."""
        return self

    def rational(self) -> RationalMedium:
        """eps = eps_inf, 1/mu = 1/mu: two branches w = +- k / sqrt(eps mu)."""
        return rational_constant(self.eps, self.mu)


def _interp(table_w: FloatArray, values: ComplexArray, w: FloatArray, kind: str) -> ComplexArray:
    if kind == "linear":
        return np.interp(w, table_w, values.real) + 1j * np.interp(w, table_w, values.imag)
    re = PchipInterpolator(table_w, values.real, extrapolate=False)(w)
    im = PchipInterpolator(table_w, values.imag, extrapolate=False)(w)
    return np.asarray(re + 1j * im, dtype=np.complex128)


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
    non-magnetic table of n + i k, eps = (n + i k)^2, mu = 1. A table has no pole structure:
    :meth:`rational` is ``None`` and d(eps mu)/dw is a central difference (one-sided at the table
    ends; piecewise constant for a linear table).
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

    def eps_mu(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
        """Interpolated eps, mu on ``w``; raises :class:`InvalidInput` (field ``frequencies``,
        relative to the medium) for a frequency outside the table."""
        wv = _grid(w)
        lo, hi = self.frequencies[0], self.frequencies[-1]
        out = (wv < lo * (1 - 1e-12)) | (wv > hi * (1 + 1e-12))
        if out.any():
            raise InvalidInput(
                f"frequency {wv[np.argmax(out)]:g} is outside the table [{lo:g}, {hi:g}]",
                field=("frequencies",),
                fix="extend the table or restrict the frequency grid to the tabulated range",
            )
        wc = np.clip(wv, lo, hi)
        return (
            _interp(self.frequencies, self.eps, wc, self.interpolation),
            _interp(self.frequencies, self.mu, wc, self.interpolation),
        )

    def eps_mu_derivative(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
        """eps, mu and a central difference of eps mu (one-sided at the table ends)."""
        eps, mu = self.eps_mu(w)
        d = central_difference(self, w, float(self.frequencies[0]), float(self.frequencies[-1]))
        return eps, mu, d

    def scaled(self, s: float) -> TabulatedMedium:
        """The table with its frequencies multiplied by ``s`` (eps, mu unchanged)."""
        return TabulatedMedium(self.frequencies * s, self.eps, self.mu, self.interpolation)

    def rational(self) -> None:
        """A table has no pole structure."""
        return None


# ---------------------------------------------------------------------------------------------
# Pole-residue (rational) media
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RationalMedium:
    """eps(w) and 1/mu(w) as sums of simple fractions with shared denominators.

    eps(w) = eps_inf + sum_e a_e / D_e(w) + sum_f alpha_f / (W_f - w)
    1/mu(w) = inv_mu_inf + sum_e (b_e + c_e w^2) / D_e(w) + sum_f beta_f / (W_f - w)
    D_e(w) = w_e^2 - w^2 - 2 i gamma_e w.

    Parameters
    ----------
    eps_inf, inv_mu_inf : complex
        Constant parts (eps_inf != 0 for the branches w_j(k)).
    omega, gamma, a, b, c : (M,) float
        Lorentz denominators and numerators; a, b in [w]^2, c dimensionless.
    pole, alpha, beta : (F,) complex
        First-order poles W_f (Im W_f <= 0 for a causal medium) and their residues in eps and 1/mu
        (with the sign convention above: residue of eps at W_f is -alpha_f).
    """

    eps_inf: complex
    inv_mu_inf: complex
    omega: FloatArray
    gamma: FloatArray
    a: FloatArray
    b: FloatArray
    c: FloatArray
    pole: ComplexArray
    alpha: ComplexArray
    beta: ComplexArray

    @classmethod
    def from_lorentz(
        cls,
        *,
        eps_inf: complex,
        inv_mu_inf: float,
        omega: FloatArray,
        gamma: FloatArray,
        a: FloatArray,
        b: FloatArray,
        c: FloatArray,
    ) -> RationalMedium:
        """Lorentz terms only, with duplicate denominators (equal w_e, gamma_e) merged.

        A term whose numerators vanish identically (a = b = c = 0), or an undamped one with
        a = 0 and b + c w_e^2 = 0 (1/mu has no pole there; its constant -c is folded into
        ``inv_mu_inf``), contributes no pole and is dropped, so the number of branches has no
        spurious roots.
        """
        keys = np.stack([omega, gamma], axis=1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        m = uniq.shape[0]
        A = np.bincount(inverse, weights=a, minlength=m)
        B = np.bincount(inverse, weights=b, minlength=m)
        C = np.bincount(inverse, weights=c, minlength=m)
        w0, g = uniq[:, 0], uniq[:, 1]
        scale = np.abs(A) + np.abs(B) + np.abs(C) * w0**2
        inert = (A == 0) & (B == 0) & (C == 0)
        no_pole = (g == 0) & (A == 0) & (np.abs(B + C * w0**2) <= 1e-15 * np.maximum(scale, 1e-300))
        inv_mu_inf += float(np.sum(-C[no_pole & ~inert]))
        keep = ~(inert | no_pole)
        empty = np.zeros(0, dtype=np.complex128)
        return cls(
            eps_inf=eps_inf,
            inv_mu_inf=inv_mu_inf,
            omega=w0[keep],
            gamma=g[keep],
            a=A[keep],
            b=B[keep],
            c=C[keep],
            pole=empty,
            alpha=empty,
            beta=empty,
        )

    @property
    def n_lorentz(self) -> int:
        return int(self.omega.shape[0])

    @property
    def n_first_order(self) -> int:
        return int(self.pole.shape[0])

    @property
    def degree(self) -> int:
        """Degree of prod_e D_e prod_f (W_f - w) G(w): the number of branches."""
        return 2 + 2 * self.n_lorentz + self.n_first_order

    @property
    def lossless_even(self) -> bool:
        """Only undamped Lorentz terms and real constants: a real problem in x = w^2."""
        return (
            self.n_first_order == 0
            and bool(np.all(self.gamma == 0))
            and complex(self.eps_inf).imag == 0
            and complex(self.inv_mu_inf).imag == 0
        )

    def eps_inv_mu(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
        """eps(w) and 1/mu(w) at complex frequencies, shape of ``w`` (unchunked; small inputs)."""
        z = np.asarray(w, dtype=np.complex128)[..., None]
        d = (self.omega - z) * (self.omega + z) - 2j * z * self.gamma
        f = self.pole - z
        eps = self.eps_inf + np.sum(self.a / d, axis=-1) + np.sum(self.alpha / f, axis=-1)
        inv_mu = (
            self.inv_mu_inf
            + np.sum((self.b + self.c * z * z) / d, axis=-1)
            + np.sum(self.beta / f, axis=-1)
        )
        return eps, inv_mu

    def eps_mu(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
        """eps(w) and mu(w) = 1 / (1/mu)(w) on real ``w``, shape (N,)."""
        eps, inv_mu = self.eps_inv_mu(_grid(w))
        with np.errstate(divide="ignore", invalid="ignore"):
            return eps, 1.0 / inv_mu

    def eps_mu_derivative(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
        """eps, mu and the analytic d(eps mu)/dw = eps' mu - eps mu^2 (1/mu)'.

        eps' = sum_e 2 a_e (w + i gamma_e) / D_e^2 + sum_f alpha_f / (W_f - w)^2,
        (1/mu)' = sum_e [2 c_e w / D_e + 2 (b_e + c_e w^2) (w + i gamma_e) / D_e^2]
        + sum_f beta_f / (W_f - w)^2.
        """
        wv = _grid(w)
        eps, mu = self.eps_mu(wv)
        z = wv[:, None]
        d = (self.omega - z) * (self.omega + z) - 2j * z * self.gamma
        dp = 2.0 * (z + 1j * self.gamma)  # = -D_e'
        f2 = (self.pole - z) ** 2
        d_eps = np.sum(self.a * dp / d**2, axis=-1) + np.sum(self.alpha / f2, axis=-1)
        d_inv_mu = np.sum(
            2.0 * self.c * z / d + (self.b + self.c * z * z) * dp / d**2, axis=-1
        ) + np.sum(self.beta / f2, axis=-1)
        with np.errstate(invalid="ignore"):
            return eps, mu, d_eps * mu - eps * mu * mu * d_inv_mu

    def scaled(self, s: float) -> RationalMedium:
        """Frequencies, dampings and first-order residues times s, a and b times s^2."""
        return RationalMedium(
            eps_inf=self.eps_inf,
            inv_mu_inf=self.inv_mu_inf,
            omega=self.omega * s,
            gamma=self.gamma * s,
            a=self.a * s * s,
            b=self.b * s * s,
            c=self.c.copy(),
            pole=self.pole * s,
            alpha=self.alpha * s,
            beta=self.beta * s,
        )

    def rational(self) -> RationalMedium:
        """Itself."""
        return self


def rational_constant(eps: complex, mu: complex) -> RationalMedium:
    """A non-dispersive medium: two branches w = +- k / sqrt(eps mu)."""
    z = np.zeros(0)
    ze = np.zeros(0, dtype=np.complex128)
    return RationalMedium(complex(eps), 1.0 / complex(mu), z, z, z, z, z, ze, ze, ze)


def lorentz_derivatives(
    w: FloatArray,
    omega: FloatArray,
    gamma: FloatArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
) -> tuple[ComplexArray, ComplexArray]:
    """d eps/dw and d(1/mu)/dw of eps = 1 + sum a_e / D_e, 1/mu = const + sum (b_e + c_e w^2) / D_e.

    With D_e = w_e^2 - w^2 - 2 i w gamma_e and D_e' = -2 (w + i gamma_e):
    eps' = -sum a_e D_e' / D_e^2, (1/mu)' = sum [-(b_e + c_e w^2) D_e' / D_e^2 + 2 c_e w / D_e].
    For eq 21 of Westerberg & Barnett a = Delta_edip, b = -Delta_mdip, c = Delta_dipoct -
    Delta_quad. Shape (N,) each; chunked over ``w`` (temporaries below ~16 MB).
    """
    out_e = np.empty(w.shape, dtype=np.complex128)
    out_m = np.empty(w.shape, dtype=np.complex128)
    chunk = max(1, (16 * 2**20) // (16 * 4 * max(int(omega.shape[0]), 1)))
    for s in range(0, w.shape[0], chunk):
        x = w[s : s + chunk, None]
        d = (omega - x) * (omega + x) - 2j * x * gamma
        dp = -2.0 * (x + 1j * gamma)
        inv = 1.0 / d
        q = dp * inv * inv
        out_e[s : s + chunk] = -(q @ a)
        out_m[s : s + chunk] = -(q * (b + c * x * x)).sum(axis=1) + 2.0 * x[:, 0] * (inv @ c)
    return out_e, out_m
