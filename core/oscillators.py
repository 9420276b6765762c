"""Multipole oscillator medium of Westerberg & Barnett (2025, section IV.B, eqs 20-26).

Units and conventions
---------------------
Natural units hbar = c = eps0 = 1 as in the paper; frequencies in any *linear* unit (the paper uses
units of the plasma frequency w_p = sqrt(rho0 q^2 / m)). Fields vary as exp(-i w t), so damped
denominators read D_e(w) = w_eg^2 - w^2 - 2 i w gamma_e and passive media have Im eps > 0.

Transition strengths (eq 21) and their dimensions, with [w] the frequency unit:

====================  ==========  ==============================================
strength              dimension   enters as
====================  ==========  ==============================================
``e_dip``  Delta_edip   [w]^2      eps = 1 + sum Delta_edip / D_e
``m_dip``  Delta_mdip   [w]^2      1/mu  -=  Delta_mdip / D_e
``quad``   Delta_quad   1          1/mu  -=  Delta_quad w^2 / D_e
``dip_oct`` Delta_dipoct 1         1/mu  +=  Delta_dipoct w^2 / D_e
``dia``    Delta_dia    [w]^2      1/mu  +=  Delta_dia / w_eg^2   (instantaneous)
====================  ==========  ==============================================

(Eq 21 makes quad and dip_oct dimensionless, and that is what unit conversion here uses.)

Implemented equations
---------------------
eq 21: eps(w) = 1 + sum_e Delta_edip / D_e,
       1/mu(w) = 1 + sum_e [Delta_dia / w_eg^2 - Delta_mdip / D_e - Delta_quad w^2 / D_e
                            + Delta_dipoct w^2 / D_e]
eq 22: mu(0) = 1 / (1 + sum_e (Delta_dia - Delta_mdip) / w_eg^2)
eq 23: chi = 1 - 1/mu
eq 25: Delta_dipoct w_eg^2 < Delta_edip for each transition (multipole ordering; else gain)
eq 26: sum_e Delta_dia / w_eg^2 + Delta_quad - Delta_dipoct = 0  <=>  mu(w -> inf) = 1
text after eq 25: eps'(w, k) = eps(w) + (k^2 / w^2) (1 - 1/mu(w))

The sums over transitions are the hot loop (N frequencies x M transitions). They run in a compiled
numba kernel when numba is importable (parallel over frequencies, real arithmetic, O(N) memory),
otherwise in a chunked numpy loop whose temporaries are bounded by ``CHUNK_BYTES``; both give the
same numbers to rounding (tests/core/test_oscillators.py checks it).

The report of a medium on a grid (arrays and checks) is :mod:`core.oscillator_report`, which also
needs the optics of :mod:`core.optics`; this module stays free of optics imports.

Reference: :data:`core.references.WESTERBERG_BARNETT`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.checks import Check, CheckSpec
from core.errors import InvalidInput, PoleOnGrid
from core.media import RationalMedium, lorentz_derivatives

MODEL_NAME: Final = "multipole-oscillator"
MODEL_VERSION: Final = "1.0.0"

STRENGTHS: Final[tuple[str, ...]] = ("e_dip", "m_dip", "quad", "dip_oct", "dia")
#: Power of the frequency unit carried by each strength (eq 21), used for unit conversion.
STRENGTH_DIMENSION: Final[dict[str, int]] = {
    "e_dip": 2,
    "m_dip": 2,
    "quad": 0,
    "dip_oct": 0,
    "dia": 2,
}

#: Bound on the temporaries of the numpy path (bytes per chunk of the N x M evaluation).
CHUNK_BYTES: Final = 32 * 2**20

#: Relative distance |w - w_eg| / w_eg under which an undamped pole counts as "on the grid".
POLE_RTOL: Final = 1e-12

#: Usable range of every frequency of a medium (transition frequencies, nonzero linewidths and
#: grid frequencies, in the medium's unit): the denominators w_eg^2 - w^2 - 2 i w gamma and their
#: squared magnitudes (~ w^4) then stay inside double precision (1e-308 .. 1e308) with room for
#: strengths up to :data:`MAX_STRENGTH`.
FREQUENCY_RANGE: Final = (1e-30, 1e30)
#: Largest |strength| (any of eq 21's, in its own dimension): Delta / D stays below ~1e180.
MAX_STRENGTH: Final = 1e60

#: Relative tolerance of the eq-26 verdict, relative to the sum of the magnitudes of its terms.
SUM_RULE_RTOL: Final = 1e-9

#: Eq 26, the one statement every report of an oscillator medium judges (oscillator, emitters,
#: causality): a closed-form sum over the transitions, so its verdict is a bound.
SUM_RULE_26: Final = CheckSpec(
    name="sum_rule_26",
    kind="bound",
    equation="sum_e Delta_dia/w_eg^2 + Delta_quad - Delta_dipoct = 0 (Westerberg & Barnett 2025, "
    "eq 26), i.e. mu(w -> inf) = 1; judged as |residual| <= tolerance * scale",
    explanation="A medium that breaks eq 26 has mu(w -> inf) != 1: its magnetisation does not "
    "vanish at high frequency, which no causal medium of bound charges does; the strengths are "
    "inconsistent (usually a truncated or mistyped diamagnetic term).",
    tolerance=SUM_RULE_RTOL,
    warning="sum rule (26) violated (residual {value:.6g}, scale {scale:.6g}): mu(w -> inf) - 1 "
    "= {mu_infinity_minus_1:.3g}, not 0; the transitions' dia / omega^2, quad and dip_oct "
    "strengths must cancel",
)

#: The static response: diamagnetic when chi(0) = 1 - 1/mu(0) < 0, i.e. 1/mu(0) > 1 (eq 22; a
#: 1/mu(0) < 0 gives mu(0) < 0 < 1 but chi(0) > 1, a paramagnet past its instability). A closed
#: form: a bound.
DIAMAGNETIC: Final = CheckSpec(
    name="diamagnetic",
    kind="bound",
    equation="chi(0) = 1 - 1/mu(0) < 0, 1/mu(0) = 1 + sum_e (Delta_dia - Delta_mdip) / w_eg^2 "
    "(Westerberg & Barnett 2025, eqs 22-23); value = mu(0)",
    explanation="chi(0) >= 0 means the medium is paramagnetic (or non-magnetic) at w = 0: the "
    "Van Vleck term Delta_mdip outweighs the diamagnetic term. That is physics, not an error, "
    "but the medium is then not an example of causal diamagnetism.",
)

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]


@dataclass(frozen=True)
class OscillatorMedium:
    """A medium of identical emitters with M transitions (eq 21).

    Parameters
    ----------
    omega : (M,) float
        Transition frequencies w_eg > 0.
    gamma : (M,) float
        Linewidths gamma_e >= 0 (the denominator carries 2 w gamma_e).
    e_dip, m_dip, dia : (M,) float
        Strengths in [w]^2.
    quad, dip_oct : (M,) float
        Dimensionless strengths.
    """

    omega: FloatArray
    gamma: FloatArray
    e_dip: FloatArray
    m_dip: FloatArray
    quad: FloatArray
    dip_oct: FloatArray
    dia: FloatArray

    def __post_init__(self) -> None:
        m = None
        for name in ("omega", "gamma", *STRENGTHS):
            arr = np.array(getattr(self, name), dtype=np.float64, ndmin=1)
            if arr.ndim != 1:
                raise InvalidInput(f"'{name}' must be one-dimensional", field=(name,))
            if m is None:
                m = arr.shape[0]
            elif arr.shape[0] != m:
                raise InvalidInput(
                    f"'{name}' has {arr.shape[0]} entries, expected {m}", field=(name,)
                )
            bad = ~np.isfinite(arr)
            if bad.any():
                i = int(np.argmax(bad))
                raise InvalidInput(
                    f"{name} must be finite (got {arr[i]})", field=("transitions", i, name)
                )
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if m == 0:
            raise InvalidInput(
                "the medium needs at least one transition",
                field=("transitions",),
                fix="give one or more transitions",
            )
        if np.any(self.omega <= 0):
            i = int(np.argmax(self.omega <= 0))
            raise InvalidInput(
                f"transition frequency must be > 0 (got {self.omega[i]})",
                field=("transitions", i, "omega"),
                fix="give w_eg > 0; a zero-frequency transition has no meaning in eq 21",
            )
        lo, hi = FREQUENCY_RANGE
        out = (self.omega < lo) | (self.omega > hi)
        if out.any():
            i = int(np.argmax(out))
            raise InvalidInput(
                f"transition frequency {self.omega[i]:.3g} is outside the usable range "
                f"[{lo:.0e}, {hi:.0e}] of the medium's unit: w_eg^2 and the resonance "
                "denominators would leave floating-point range",
                field=("transitions", i, "omega"),
                fix=f"give {lo:.0e} <= omega <= {hi:.0e}, or express the medium in a unit in "
                "which its frequencies are of ordinary size",
            )
        g_out = (self.gamma != 0) & ((np.abs(self.gamma) < lo) | (np.abs(self.gamma) > hi))
        if g_out.any():
            i = int(np.argmax(g_out))
            raise InvalidInput(
                f"linewidth {self.gamma[i]:.3g} is outside the usable range: give 0 (undamped) "
                f"or {lo:.0e} <= gamma <= {hi:.0e} in the medium's unit",
                field=("transitions", i, "gamma"),
                fix=f"give gamma = 0 or {lo:.0e} <= gamma <= {hi:.0e}",
            )
        for name in STRENGTHS:
            big = np.abs(getattr(self, name)) > MAX_STRENGTH
            if big.any():
                i = int(np.argmax(big))
                raise InvalidInput(
                    f"{name} = {getattr(self, name)[i]:.3g} is outside the usable range "
                    f"|{name}| <= {MAX_STRENGTH:.0e}: its products with the resonance "
                    "denominators would leave floating-point range",
                    field=("transitions", i, name),
                    fix=f"give |{name}| <= {MAX_STRENGTH:.0e}",
                )
        if np.any(self.gamma < 0):
            i = int(np.argmax(self.gamma < 0))
            raise InvalidInput(
                f"linewidth must be >= 0 (got {self.gamma[i]}); a negative width puts a pole in "
                "the upper half-plane and breaks causality",
                field=("transitions", i, "gamma"),
                fix="give gamma >= 0",
            )

    @property
    def size(self) -> int:
        """Number of transitions M."""
        return int(self.omega.shape[0])

    @classmethod
    def from_transitions(cls, transitions: Sequence[Mapping[str, float]]) -> OscillatorMedium:
        """Build from records ``{omega, gamma, e_dip, m_dip, quad, dip_oct, dia}``; missing strengths are 0."""
        cols: dict[str, list[float]] = {k: [] for k in ("omega", "gamma", *STRENGTHS)}
        for t in transitions:
            for k in cols:
                cols[k].append(float(t.get(k, 0.0)))
        return cls(**{k: np.asarray(v, dtype=np.float64) for k, v in cols.items()})

    def scaled(self, s: float) -> OscillatorMedium:
        """The same medium with frequencies multiplied by ``s`` (a change of frequency unit).

        Strengths scale with their dimension (``STRENGTH_DIMENSION``), so every dimensionless
        response function at w * s equals the original at w.
        """
        kw = {"omega": self.omega * s, "gamma": self.gamma * s}
        for k in STRENGTHS:
            kw[k] = getattr(self, k) * s ** STRENGTH_DIMENSION[k]
        return OscillatorMedium(**kw)

    # Medium protocol (core.media.Medium): eq 21 through evaluate(), derivative, pole-residue form

    def eps_mu(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
        """eps(w) and mu(w) of eq 21 on real frequencies in the medium's unit, shape (N,).

        Raises :class:`PoleOnGrid` (field ``frequencies``: the grid) on an undamped resonance.
        """
        resp = evaluate(self, np.asarray(w, dtype=np.float64).reshape(-1))
        return resp.epsilon, resp.mu

    def eps_mu_derivative(self, w: ArrayLike) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
        """eps, mu and the analytic d(eps mu)/dw = eps' mu - eps mu^2 (1/mu)' of eq 21."""
        wv = np.asarray(w, dtype=np.float64).reshape(-1)
        eps, mu = self.eps_mu(wv)
        d_eps, d_inv_mu = lorentz_derivatives(
            wv, self.omega, self.gamma, self.e_dip, -self.m_dip, self.dip_oct - self.quad
        )
        return eps, mu, d_eps * mu - eps * mu * mu * d_inv_mu

    def rational(self) -> RationalMedium:
        """Pole-residue form of eq 21, duplicate denominators merged.

        a = Delta_edip, b = -Delta_mdip, c = Delta_dipoct - Delta_quad, eps_inf = 1,
        1/mu(inf-part) = 1 + sum_e Delta_dia / w_e^2 (:meth:`RationalMedium.from_lorentz`).
        """
        return RationalMedium.from_lorentz(
            eps_inf=1.0,
            inv_mu_inf=1.0 + float(np.sum(self.dia / self.omega**2)),
            omega=self.omega,
            gamma=self.gamma,
            a=self.e_dip.copy(),
            b=-self.m_dip,
            c=self.dip_oct - self.quad,
        )


@dataclass(frozen=True)
class OscillatorResponse:
    """eps, 1/mu and derived quantities on a real frequency grid, all shape (N,)."""

    frequencies: FloatArray
    epsilon: ComplexArray
    inverse_mu: ComplexArray

    # Derived arrays are computed on first use (a complex division per point is not free).
    @cached_property
    def mu(self) -> ComplexArray:
        """mu = 1 / (1/mu)."""
        return 1.0 / self.inverse_mu

    @cached_property
    def chi(self) -> ComplexArray:
        """chi = 1 - 1/mu (eq 23)."""
        return 1.0 - self.inverse_mu

    @property
    def eps_mu(self) -> ComplexArray:
        return self.epsilon * self.mu


# ---------------------------------------------------------------------------------------------
# The N x M sums
# ---------------------------------------------------------------------------------------------


def _lorentz_sums_numpy(
    w: FloatArray, w0: FloatArray, g: FloatArray, c: FloatArray
) -> ComplexArray:
    """sum_e c[k, e] / (w0_e^2 - w^2 - 2 i w g_e) for each k; shape (K, N). Chunked over w."""
    n, m = w.shape[0], w0.shape[0]
    out = np.empty((c.shape[0], n), dtype=np.complex128)
    w02 = w0 * w0
    chunk = max(1, CHUNK_BYTES // (8 * 4 * max(m, 1)))
    for s in range(0, n, chunk):
        ws = w[s : s + chunk, None]
        a = w02 - ws * ws  # (n_chunk, M)
        b = 2.0 * ws * g
        inv = 1.0 / (a * a + b * b)
        a *= inv
        b *= inv
        # 1/D = (a + i b) / (a^2 + b^2)
        out[:, s : s + chunk] = (a @ c.T).T + 1j * (b @ c.T).T
    return out


try:  # pragma: no cover - exercised whenever numba is installed (it is a declared dependency)
    import numba

    # Reassociation lets LLVM vectorise the sums over transitions; no-NaN/no-Inf assumptions are
    # not made (a pole on the grid is rejected before the kernel runs, but inputs stay honest).
    _FASTMATH = {"reassoc", "contract", "arcp", "nsz"}

    @numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
    def _lorentz_sums3_kernel(w, w0, g, c, out):  # type: ignore[no-untyped-def,unused-ignore]
        # Three sums at once, accumulated in scalars (no per-frequency allocation).
        for i in numba.prange(w.shape[0]):
            x = w[i]
            x2 = x * x
            r0 = i0 = r1 = i1 = r2 = i2 = 0.0
            for e in range(w0.shape[0]):
                a = w0[e] * w0[e] - x2
                b = 2.0 * x * g[e]
                inv = 1.0 / (a * a + b * b)
                ar = a * inv
                bi = b * inv
                r0 += c[0, e] * ar
                i0 += c[0, e] * bi
                r1 += c[1, e] * ar
                i1 += c[1, e] * bi
                r2 += c[2, e] * ar
                i2 += c[2, e] * bi
            out[0, i] = complex(r0, i0)
            out[1, i] = complex(r1, i1)
            out[2, i] = complex(r2, i2)

    @numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
    def _eq21_kernel(w, w0, g, e_dip, m_dip, dq, inv_mu0, eps_out, inv_mu_out):  # type: ignore[no-untyped-def,unused-ignore]
        # eps and 1/mu of eq 21 in one pass: the three sums of lorentz_sums fused with the
        # final combination, so no (3, N) intermediate and no extra passes over the grid.
        for i in numba.prange(w.shape[0]):
            x = w[i]
            x2 = x * x
            er = ei = mr = mi = qr = qi = 0.0
            for e in range(w0.shape[0]):
                a = w0[e] * w0[e] - x2
                b = 2.0 * x * g[e]
                inv = 1.0 / (a * a + b * b)
                ar = a * inv
                bi = b * inv
                er += e_dip[e] * ar
                ei += e_dip[e] * bi
                mr += m_dip[e] * ar
                mi += m_dip[e] * bi
                qr += dq[e] * ar
                qi += dq[e] * bi
            eps_out[i] = complex(1.0 + er, ei)
            inv_mu_out[i] = complex(inv_mu0 - mr + x2 * qr, -mi + x2 * qi)

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


def lorentz_sums(
    w: ArrayLike, w0: ArrayLike, gamma: ArrayLike, coeffs: ArrayLike, *, backend: str = "auto"
) -> ComplexArray:
    """Damped Lorentzian sums S_k(w) = sum_e c_ke / (w0_e^2 - w^2 - 2 i w gamma_e).

    Parameters
    ----------
    w : (N,) float
        Real frequencies.
    w0, gamma : (M,) float
        Resonance frequencies and linewidths (same unit as ``w``).
    coeffs : (K, M) float
        K coefficient vectors summed against the same denominators.
    backend : {"auto", "numba", "numpy"}
        ``auto`` uses numba when available.

    Returns
    -------
    (K, N) complex
        Always two-dimensional, even for K = 1 or N = 1.
    """
    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    w0v = np.ascontiguousarray(w0, dtype=np.float64).reshape(-1)
    gv = np.ascontiguousarray(gamma, dtype=np.float64).reshape(-1)
    cv = np.ascontiguousarray(coeffs, dtype=np.float64)
    if cv.ndim != 2 or cv.shape[1] != w0v.shape[0]:
        raise ValueError("coeffs must have shape (K, M)")
    if backend not in ("auto", "numba", "numpy"):
        raise ValueError("backend must be 'auto', 'numba' or 'numpy'")
    use_numba = HAVE_NUMBA and backend in ("auto", "numba")
    if backend == "numba" and not HAVE_NUMBA:
        raise RuntimeError("numba is not installed")
    if not use_numba:
        return _lorentz_sums_numpy(wv, w0v, gv, cv)
    k = cv.shape[0]
    groups = -(-k // 3)  # the kernel sums three coefficient rows per pass; pad with zeros
    padded = np.zeros((groups * 3, cv.shape[1]))
    padded[:k] = cv
    out = np.empty((groups * 3, wv.shape[0]), dtype=np.complex128)
    for j in range(groups):
        _lorentz_sums3_kernel(wv, w0v, gv, padded[3 * j : 3 * j + 3], out[3 * j : 3 * j + 3])
    return out[:k]


# ---------------------------------------------------------------------------------------------
# Model evaluation
# ---------------------------------------------------------------------------------------------


def check_poles(
    medium: OscillatorMedium, w: FloatArray, field_path: tuple[str | int, ...] = ("frequencies",)
) -> None:
    """Raise :class:`PoleOnGrid` when a grid point sits on an undamped resonance (gamma = 0)."""
    lossless = np.flatnonzero(medium.gamma == 0.0)
    if lossless.size == 0 or w.size == 0:
        return
    ws = np.sort(w)
    for e in lossless:
        w0 = medium.omega[e]
        j = np.searchsorted(ws, w0)
        near = [ws[i] for i in (j - 1, j) if 0 <= i < ws.size]
        if any(abs(x - w0) <= POLE_RTOL * w0 for x in near):
            raise PoleOnGrid(
                f"frequency {w0:g} lands on the undamped pole of transition {int(e)} "
                "(gamma = 0, w = w_eg): eps or 1/mu is infinite there",
                field=field_path,
                fix="give that transition a linewidth gamma > 0, or move the grid point off w_eg",
            )


def evaluate(
    medium: OscillatorMedium, w: ArrayLike, *, backend: str = "auto"
) -> OscillatorResponse:
    """eps(w) and 1/mu(w) of eq 21 on real frequencies ``w`` (same unit as the medium).

    Raises
    ------
    PoleOnGrid
        When a frequency is on an undamped resonance.
    """
    wv = np.ascontiguousarray(w, dtype=np.float64).reshape(-1)
    check_poles(medium, wv)
    inv_mu0 = 1.0 + float(np.sum(medium.dia / medium.omega**2))
    dq = medium.dip_oct - medium.quad
    if backend not in ("auto", "numba", "numpy"):
        raise ValueError("backend must be 'auto', 'numba' or 'numpy'")
    if HAVE_NUMBA and backend != "numpy":
        eps = np.empty(wv.shape[0], dtype=np.complex128)
        inv_mu = np.empty_like(eps)
        _eq21_kernel(
            wv, medium.omega, medium.gamma, medium.e_dip, medium.m_dip, dq, inv_mu0, eps, inv_mu
        )
    else:
        coeffs = np.stack([medium.e_dip, medium.m_dip, dq])
        s = lorentz_sums(wv, medium.omega, medium.gamma, coeffs, backend="numpy")
        eps = 1.0 + s[0]
        inv_mu = inv_mu0 - s[1] + wv**2 * s[2]
    return OscillatorResponse(frequencies=wv, epsilon=eps, inverse_mu=inv_mu)


def evaluate_complex(medium: OscillatorMedium, z: ArrayLike) -> tuple[ComplexArray, ComplexArray]:
    """eps(z) and chi(z) = 1 - 1/mu(z) at complex frequencies (analytic continuation of eq 21).

    Used for causality tests (analyticity in the upper half-plane, the reality condition
    chi(-w*) = chi(w)*). Returns arrays of the shape of ``z``; no chunking (meant for small inputs).
    """
    zz = np.asarray(z, dtype=np.complex128)
    d = medium.omega**2 - zz[..., None] ** 2 - 2j * zz[..., None] * medium.gamma
    eps = 1.0 + np.sum(medium.e_dip / d, axis=-1)
    chi = np.sum(
        -medium.dia / medium.omega**2
        + (medium.m_dip + zz[..., None] ** 2 * (medium.quad - medium.dip_oct)) / d,
        axis=-1,
    )
    return eps, chi


def poles(medium: OscillatorMedium) -> ComplexArray:
    """The poles of eps and chi: roots of w^2 + 2 i gamma w - w_eg^2 = 0, shape (M, 2).

    w = -i gamma +- sqrt(w_eg^2 - gamma^2); both lie in the lower half-plane for gamma > 0
    (eq 23 and the causality argument after it).
    """
    root = np.sqrt((medium.omega**2 - medium.gamma**2).astype(np.complex128))
    return np.stack([-1j * medium.gamma + root, -1j * medium.gamma - root], axis=1)


def static_limits(medium: OscillatorMedium) -> dict[str, float]:
    """eps(0), mu(0) (eq 22) and chi(0) = 1 - 1/mu(0)."""
    inv_mu0 = 1.0 + float(np.sum((medium.dia - medium.m_dip) / medium.omega**2))
    return {
        "eps_static": 1.0 + float(np.sum(medium.e_dip / medium.omega**2)),
        "mu_static": 1.0 / inv_mu0 if inv_mu0 != 0 else float("inf"),
        "chi_static": 1.0 - inv_mu0,
    }


def sum_rule_residual(medium: OscillatorMedium) -> tuple[float, float]:
    """Residual of eq 26 and the scale it is judged against.

    Returns
    -------
    residual
        sum_e Delta_dia / w_eg^2 + Delta_quad - Delta_dipoct. Then mu(inf) = 1 / (1 + residual).
    scale
        sum_e |Delta_dia / w_eg^2| + |Delta_quad| + |Delta_dipoct| (the size of the cancelling terms).
    """
    terms = np.concatenate([medium.dia / medium.omega**2, medium.quad, -medium.dip_oct])
    return float(np.sum(terms)), float(np.sum(np.abs(terms)))


def mu_infinity(residual: float) -> float:
    """mu(w -> inf) = 1 / (1 + residual of eq 26); inf when 1 + residual = 0."""
    return 1.0 / (1.0 + residual) if 1.0 + residual != 0 else float("inf")


def sum_rule_check(medium: OscillatorMedium, tolerance: float | None = None) -> Check:
    """The :data:`SUM_RULE_26` check of ``medium`` (``tolerance`` relative to the scale of the
    cancelling terms; default :data:`SUM_RULE_RTOL`). ``value`` is the residual; details:
    ``scale``, ``mu_infinity``."""
    residual, scale = sum_rule_residual(medium)
    tol = SUM_RULE_RTOL if tolerance is None else tolerance
    return SUM_RULE_26.judge(
        abs(residual) <= tol * max(scale, 1e-300),
        residual,
        tolerance=tol,
        scale=scale,
        mu_infinity=mu_infinity(residual),
        mu_infinity_minus_1=mu_infinity(residual) - 1.0,
    )


def diamagnetism_check(medium: OscillatorMedium) -> Check:
    """The :data:`DIAMAGNETIC` check: ``value`` = mu(0) (eq 22); details ``chi_static``."""
    st = static_limits(medium)
    return DIAMAGNETIC.judge(
        st["chi_static"] < 0.0,
        st["mu_static"],
        mu_static=st["mu_static"],
        chi_static=st["chi_static"],
    )


def multipole_ordering(medium: OscillatorMedium) -> NDArray[np.bool_]:
    """Per transition, whether eq 25 holds: Delta_dipoct w_eg^2 < Delta_edip.

    A transition with no dipole-octopole strength satisfies it trivially. Where it fails, the
    resonant Im(eps/mu*) of eq 25 is negative: the medium shows gain at w_eg.
    """
    lhs = medium.dip_oct * medium.omega**2
    return np.where(medium.dip_oct == 0.0, True, lhs < medium.e_dip)


def nonlocal_permittivity(
    w: ArrayLike, k: float, epsilon: ArrayLike, inverse_mu: ArrayLike
) -> ComplexArray:
    """eps'(w, k) = eps(w) + (k^2 / w^2) (1 - 1/mu(w)) with mu' = 1 (text after eq 25).

    ``k`` in the inverse length unit c/[w] (natural units, c = 1). Undefined at w = 0.
    """
    wv = np.asarray(w, dtype=np.float64)
    eps = np.asarray(epsilon, dtype=np.complex128)
    return eps + (k * k / (wv * wv)) * (1.0 - np.asarray(inverse_mu, dtype=np.complex128))
