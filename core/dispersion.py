"""Polariton dispersion of media with eps(w) and mu(w): all complex branches w_j(k), sum rule eq 9.

Units and conventions
---------------------
Natural units c = 1: k is in units of (frequency unit) / c, so for a medium in the model unit w_p
(Westerberg & Barnett) k is in units of w_p / c; velocities are in units of c. Fields vary as exp(i k z - i w t),
so a causal, stable medium has every branch at Im w <= 0 for real k.

Dispersion relation (Westerberg & Barnett, the relation under eq 9; written k^2 = c^2 w^2 n^2 there, a typo
for c^2 k^2 = w^2 n^2 = w^2 eps mu, which is the only dimensionally consistent form):

    G(w, k) = w^2 eps(w) - k^2 / mu(w) = 0.                                   (*)

Writing it with 1/mu keeps every term a sum of simple fractions, because eps and 1/mu of the
oscillator medium (Westerberg & Barnett eq 21) share the M denominators D_e(w) = w_e^2 - w^2 - 2 i gamma_e w.
Multiplying (*) once by prod_e D_e gives a polynomial of degree 2 M + 2 in w (2 from w^2 eps, 2 M
from the denominators; a count of 2 + 4 M would hold only if eps and 1/mu had different poles).
Transitions with identical (w_e, gamma_e) are merged and transitions that contribute no pole are
dropped first, so the degree is 2 M_eff + 2 with no spurious roots. First-order poles
beta_f / (W_f - w) (the rotating-wave magnetic resonance of Cho eqs 44-47) add one each.

Roots are the eigenvalues of a linearisation built from the pole-residue form, never from monomial
coefficients (a degree-400 monomial basis loses all accuracy). With u the field amplitude,
y = w u, p_e = u / D_e, r_e = w p_e and q_f = u / (W_f - w), (*) becomes the standard eigenvalue
problem w v = C(k) v for v = (u, y, p, r, q):

    w u   = y
    w p_e = r_e
    w r_e = w_e^2 p_e - 2 i gamma_e r_e - u
    w q_f = W_f q_f - u
    w y   = -(1/eps_inf) [ sum_e (a_e - k^2 c_e)(w_e^2 p_e - 2 i gamma_e r_e - u)
                           + sum_f alpha_f (W_f^2 q_f - W_f u - y)
                           - k^2 m_inf u - k^2 sum_e b_e p_e - k^2 sum_f beta_f q_f ]

for eps = eps_inf + sum_e a_e / D_e + sum_f alpha_f / (W_f - w) and
1/mu = m_inf + sum_e (b_e + c_e w^2) / D_e + sum_f beta_f / (W_f - w). C is sparse (an arrowhead
with 2 x 2 diagonal blocks) with O(1) entries; LAPACK's balancing (xGEEV) keeps it well
conditioned. Lossless media with only Lorentz terms use the real problem of size M + 1 in
x = w^2 (w = +- sqrt(x)). Eigenvalues of a stack of matrices are computed in one batched call
(``numpy.linalg.eigvals``), then polished by Newton steps on the cleared polynomial, whose
logarithmic derivative is G'/G + sum_e D_e'/D_e - sum_f 1/(W_f - w) (no coefficients needed).
An eigenvalue solve costs O(n^3) per k (n = degree): 500 s for 1e4 k at n = 202 on the
benchmark machine. Above degree ``AUTO_EIG_MAX_DEGREE`` the default is continuation: eigenvalues
at the first k of each of a few parallel chunks of the grid, then per root a predictor
w + v_g dk and Newton steps on the cleared polynomial (compiled, O(n M) per k), with a fresh
eigenvalue solve wherever a root fails to converge or two roots merge (bench/optics.md: ~20 s).

Branches are followed across k by minimum-cost assignment (scipy ``linear_sum_assignment``) of
each k's roots to the previous k's roots advanced by their group velocity, w + v_g dk; steps where
nearest neighbours are unambiguous skip the assignment.

Sum rule (Westerberg & Barnett eq 9): Re sum_j mu(w_j) v_p^j v_g^j = c^2, v_p = w_j / k, v_g = dw_j / dk, the sum
over the polariton branches (one per +-w pair, Re w_j > 0). By implicit differentiation of (*),
v_g = 2 k (1/mu) / G_w, so mu v_p v_g = 2 w_j / G_w(w_j): the residue of 2 w / G(w) at w_j. The sum
of all residues equals minus the residue at infinity, 2 / eps_inf, and roots pair as (w, -w*)
(reality condition) with complex-conjugate residues, so the identity holds exactly for lossy as
well as lossless media, for any mu(inf): eq 9 alone does not force mu(inf) = 1 (eq 26); what eq 26
adds is that the photon-like branch has v_p v_g -> c^2, i.e. eps mu -> 1. We report the eq-9 sum
(Re over Re w > 0, and half the sum over all roots, which also covers roots on the imaginary axis),
its deviation from 1 / eps_inf, and the same sum with v_g from finite differences along the
tracked branches (an independent check of the roots and of the tracking).

Finding (Westerberg & Barnett Fig. 2a parameters): with damping, a dipole-octopole or quadrupole term
c_e w^2 / D_e of 1/mu tends to -c_e + 2 i gamma_e c_e / w, so Im mu ~ -2 sum_e gamma_e c_e / w
decays more slowly than Im eps ~ 1/w^3 and Im(eps mu) < 0 on (2.12, 2.93) w_p and above 3.09 w_p
(the paper calls Im(eps mu) "strictly positive"). On real k the branches that live there grow:
the photon-like one tends to w = k + i sum_e gamma_e c_e (0.182 w_p for Fig. 2a). Passive media
(tests/core/test_dispersion.py) have every branch at Im w <= 0.

References: M. Westerberg and S. M. Barnett, "Is there a conflict between causality and
diamagnetism?" (2025), eqs 9, 21, 26; K. Cho (2007) eqs 44-47.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from core import optics as opt
from core.checks import Check, CheckSpec, Report, Series, checks_of
from core.errors import InvalidInput, LimitExceeded
from core.media import Medium, RationalMedium
from core.media import rational_constant as rational_constant
from core.oscillators import OscillatorMedium

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
IntArray = NDArray[np.intp]
FieldPath = tuple[str | int, ...]

Method = Literal["auto", "eig", "eig-real", "continuation"]
METHODS: Final[tuple[str, ...]] = get_args(Method)

#: Bound on the batched eigenvalue matrices per call (bytes).
EIG_CHUNK_BYTES: Final = 48 * 2**20
#: Bound on the (k x roots x poles) temporaries of root polishing (bytes).
POLISH_CHUNK_BYTES: Final = 32 * 2**20
#: Largest degree for which ``auto`` solves an eigenvalue problem at every k.
AUTO_EIG_MAX_DEGREE: Final = 64
#: Relative residual |w^2 eps mu / k^2 - 1| a polished root must reach to count as converged.
RESIDUAL_TOL: Final = 1e-10


def _arr(x: ArrayLike, dtype: Any = np.float64) -> NDArray[Any]:
    return np.array(x, dtype=dtype, ndmin=1).reshape(-1)


def rational_from_oscillator(medium: OscillatorMedium) -> RationalMedium:
    """Pole-residue form of eq 21 (Westerberg & Barnett), duplicate denominators merged
    (:meth:`core.oscillators.OscillatorMedium.rational`)."""
    return medium.rational()


def rational_from_magnetic_resonance(medium: Medium) -> RationalMedium:
    """Pole-residue form of Cho's magnetic-resonance medium, eqs 44-47
    (:meth:`core.chiral.MagneticResonanceMedium.rational`)."""
    out = medium.rational()
    if out is None:
        raise InvalidInput(f"a {type(medium).__name__} has no pole-residue form")
    return out


def rational_form(medium: Medium, *, field: FieldPath = ()) -> RationalMedium:
    """The pole-residue form of a medium (:meth:`core.media.Medium.rational`), for w_j(k).

    Oscillator, constant, rational and magnetic-resonance media have one. Tabulated media have no
    pole structure: their dispersion is given on a frequency grid only.
    """
    out = medium.rational() if isinstance(medium, Medium) else None
    if out is None:
        raise InvalidInput(
            f"branches w(k) need a medium with a pole structure; a {type(medium).__name__} has none",
            field=(*field, "kind") if field else ("medium", "kind"),
            fix="ask for k(w) on a frequency grid instead, or use an oscillator or constant medium",
        )
    if complex(out.eps_inf) == 0:
        # eps(inf) multiplies the highest power of w in the cleared equation: with it zero the
        # degree drops and the companion form (which divides by it) does not exist.
        raise InvalidInput(
            "the medium's permittivity tends to 0 at high frequency (eps_inf = 0): the dispersion "
            "polynomial loses its leading term",
            field=(*field,) if field else ("medium",),
            fix="give a non-zero background permittivity (eps, eps_b or eps_inf)",
        )
    return out


# ---------------------------------------------------------------------------------------------
# Linearisation and roots
# ---------------------------------------------------------------------------------------------


def companion_matrices(med: RationalMedium, k: FloatArray) -> ComplexArray:
    """The matrices C(k) of the module docstring, shape (K, n, n) with n = ``med.degree``."""
    M, F = med.n_lorentz, med.n_first_order
    n = med.degree
    K = k.shape[0]
    k2 = (k * k)[:, None]
    C = np.zeros((K, n, n), dtype=np.complex128)
    iu, iy = 0, 1
    ip = 2 + np.arange(M)
    ir = 2 + M + np.arange(M)
    iq = 2 + 2 * M + np.arange(F)
    C[:, iu, iy] = 1.0
    C[:, ip, ir] = 1.0
    C[:, ir, ip] = med.omega**2
    C[:, ir, ir] = -2j * med.gamma
    C[:, ir, iu] = -1.0
    C[:, iq, iq] = med.pole
    C[:, iq, iu] = -1.0
    s = -1.0 / complex(med.eps_inf)
    ak = med.a - k2 * med.c  # (K, M)
    C[:, iy, iu] = s * (-ak.sum(axis=1) - np.sum(med.alpha * med.pole) - k2[:, 0] * med.inv_mu_inf)
    C[:, iy, iy] = s * (-np.sum(med.alpha))
    C[:, iy, 2 : 2 + M] = s * (ak * med.omega**2 - k2 * med.b)
    C[:, iy, 2 + M : 2 + 2 * M] = s * (-2j * med.gamma * ak)
    C[:, iy, 2 + 2 * M :] = s * (med.alpha * med.pole**2 - k2 * med.beta)
    return C


def _real_x_matrices(med: RationalMedium, k: FloatArray) -> FloatArray:
    """Lossless even case: x = w^2 solves x v = X(k) v, v = (u, p), size M + 1 (real)."""
    M = med.n_lorentz
    K = k.shape[0]
    k2 = (k * k)[:, None]
    e_inf = float(complex(med.eps_inf).real)
    m_inf = float(complex(med.inv_mu_inf).real)
    X = np.zeros((K, M + 1, M + 1))
    ip = 1 + np.arange(M)
    X[:, ip, ip] = med.omega**2
    X[:, ip, 0] = -1.0
    ak = med.a - k2 * med.c
    # e_inf x u = K m_inf u + K sum b p - sum ak (w_e^2 p - u)
    X[:, 0, 0] = (k2[:, 0] * m_inf + ak.sum(axis=1)) / e_inf
    X[:, 0, 1:] = (k2 * med.b - ak * med.omega**2) / e_inf
    return X


def _batched_eigvals(mats: NDArray[Any]) -> ComplexArray:
    n = mats.shape[-1]
    per = mats.itemsize * n * n * 3
    chunk = max(1, EIG_CHUNK_BYTES // per)
    out = np.empty(mats.shape[:2], dtype=np.complex128)
    for s in range(0, mats.shape[0], chunk):
        out[s : s + chunk] = np.linalg.eigvals(mats[s : s + chunk])
    return out


def _denominators(med: RationalMedium, z: ComplexArray) -> ComplexArray:
    """D_e(z) = -(z - w_+)(z - w_-), w_+- = -i gamma +- sqrt(w_e^2 - gamma^2): the factored form
    keeps full relative accuracy next to a pole, where w_e^2 - z^2 - 2 i gamma z cancels."""
    root = np.sqrt((med.omega * med.omega - med.gamma * med.gamma).astype(np.complex128))
    return -((z - (root - 1j * med.gamma)) * (z - (-root - 1j * med.gamma)))


def _g_terms(
    med: RationalMedium, w: ComplexArray, k2: FloatArray
) -> tuple[ComplexArray, ComplexArray, ComplexArray, ComplexArray, ComplexArray, FloatArray]:
    """At roots w (Kc, n) and k^2 (Kc, 1): eps, 1/mu, G, G_w, log-derivative of the denominators,
    and the scale sum of |terms| of G (for the backward error)."""
    z = w[..., None]
    d = _denominators(med, z)
    dp = -2.0 * (z + 1j * med.gamma)
    f = med.pole - z
    inv_d = 1.0 / d
    inv_f = 1.0 / f
    num_m = med.b + med.c * z * z
    ta = med.a * inv_d
    tm = num_m * inv_d
    eps = med.eps_inf + ta.sum(-1) + (med.alpha * inv_f).sum(-1)
    inv_mu = med.inv_mu_inf + tm.sum(-1) + (med.beta * inv_f).sum(-1)
    d_eps = -(ta * dp * inv_d).sum(-1) + (med.alpha * inv_f * inv_f).sum(-1)
    d_inv_mu = (-tm * dp * inv_d + 2.0 * med.c * z * inv_d).sum(-1) + (
        med.beta * inv_f * inv_f
    ).sum(-1)
    ww = w * w
    G = ww * eps - k2 * inv_mu
    Gw = 2.0 * w * eps + ww * d_eps - k2 * d_inv_mu
    logden = (dp * inv_d).sum(-1) - inv_f.sum(-1)
    scale = np.abs(ww) * (
        abs(med.eps_inf) + np.abs(ta).sum(-1) + np.abs(med.alpha * inv_f).sum(-1)
    ) + k2 * (abs(med.inv_mu_inf) + np.abs(tm).sum(-1) + np.abs(med.beta * inv_f).sum(-1))
    return eps, inv_mu, G, Gw, logden, scale


def _polish(med: RationalMedium, w: ComplexArray, k: FloatArray, steps: int) -> ComplexArray:
    """Newton steps on the cleared polynomial P = G prod D prod (W - w), accepted when |P|
    decreases (P'/P = G_w/G + logden)."""
    if steps <= 0:
        return w
    n = w.shape[1]
    per = 16 * n * max(med.n_lorentz + med.n_first_order, 1) * 8
    chunk = max(1, POLISH_CHUNK_BYTES // per)
    out = w.copy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for s in range(0, w.shape[0], chunk):
            z = out[s : s + chunk]
            k2 = (k[s : s + chunk] ** 2)[:, None]
            for _ in range(steps):
                _, _, G, Gw, logden, _ = _g_terms(med, z, k2)
                dlog = Gw / G + logden
                step = 1.0 / dlog
                cand = z - step
                _, _, G2, _, _, _ = _g_terms(med, cand, k2)
                # |P(cand)| < |P(z)|  <=>  log|G2| + log|prod D(cand)| < ...; compare via the
                # ratio prod D(cand)/D(z) computed stably as a sum of logs
                ratio = _log_den_ratio(med, cand, z)
                better = np.isfinite(cand) & (
                    (G == 0) | (np.log(np.abs(G2)) + ratio < np.log(np.abs(G)))
                )
                better &= G != 0
                z = np.where(better, cand, z)
            out[s : s + chunk] = z
    return out


def _log_den_ratio(med: RationalMedium, w1: ComplexArray, w0: ComplexArray) -> FloatArray:
    """log |prod_e D_e(w1) prod_f (W_f - w1)| - log |same at w0|."""
    z1, z0 = w1[..., None], w0[..., None]
    d1 = _denominators(med, z1)
    d0 = _denominators(med, z0)
    r = np.log(np.abs(d1)).sum(-1) - np.log(np.abs(d0)).sum(-1)
    r += np.log(np.abs(med.pole - z1)).sum(-1) - np.log(np.abs(med.pole - z0)).sum(-1)
    return np.asarray(r)


def _resolve_method(med: RationalMedium, method: str) -> str:
    if method not in METHODS:
        raise InvalidInput(
            f"unknown method '{method}'", field=("method",), fix=f"use one of {', '.join(METHODS)}"
        )
    if method == "eig-real" and not med.lossless_even:
        raise InvalidInput(
            "the real x = w^2 method needs a lossless medium with Lorentz terms only",
            field=("method",),
            fix="use method 'eig' or 'auto'",
        )
    if method == "continuation" and not HAVE_NUMBA:  # pragma: no cover
        return "eig"
    if method == "auto":
        if med.degree > AUTO_EIG_MAX_DEGREE and HAVE_NUMBA:
            return "continuation"
        return "eig-real" if med.lossless_even else "eig"
    return method


def polariton_roots(
    med: RationalMedium, k: ArrayLike, *, method: Method = "auto", polish_steps: int = 2
) -> ComplexArray:
    """All roots w of (*) at each k, shape (K, degree), untracked (per-k order arbitrary).

    ``method``: ``eig`` the eigenvalues of the complex linearisation of size 2 + 2M + F at every
    k; ``eig-real`` the real problem in x = w^2 (lossless media only); ``continuation``
    eigenvalues at the first k, then Newton steps on the cleared polynomial from each k to the next
    (predictor w + v_g dk; O(n M) per k instead of O(n^3)), with a fresh eigenvalue solve
    wherever a root fails to converge or two roots merge; roots come out already tracked; ``auto`` uses eig/eig-real up to degree
    ``AUTO_EIG_MAX_DEGREE`` and continuation above.
    """
    kv = _arr(k)
    resolved = _resolve_method(med, method)
    if resolved == "continuation":
        return _continuation_roots(med, kv)[0]
    if resolved == "eig-real":
        x = _batched_eigvals(_real_x_matrices(med, kv))
        r = np.sqrt(x)
        w = np.concatenate([r, -r], axis=1)
        # real x (up to rounding) -> real w; x < 0 -> imaginary pair
        w = np.where(np.abs(w.imag) <= 1e-14 * np.abs(w), w.real + 0j, w)
    else:
        w = _batched_eigvals(companion_matrices(med, kv))
    return _polish(med, w, kv, polish_steps)


# ---------------------------------------------------------------------------------------------
# Continuation in k (compiled): predictor + Newton steps on the cleared polynomial
# ---------------------------------------------------------------------------------------------

try:  # pragma: no cover - exercised whenever numba is installed (a declared dependency)
    import numba

    @numba.njit(cache=True, fastmath=False)
    def _eval_root(x, k2, rp, rm, g, a, b, c, pole, alpha, beta, eps_inf, m_inf):
        """1/mu, G, G_w and sum D'/D - sum 1/(W - x) at one complex x (real arithmetic inside)."""
        er = eps_inf.real
        ei = eps_inf.imag
        mr = m_inf.real
        mi = m_inf.imag
        der = 0.0
        dei = 0.0
        dmr = 0.0
        dmi = 0.0
        lr = 0.0
        li = 0.0
        xr = x.real
        xi = x.imag
        x2r = xr * xr - xi * xi
        x2i = 2.0 * xr * xi
        for e in range(rp.shape[0]):
            ar = xr - rp[e].real
            ai = xi - rp[e].imag
            br = xr - rm[e].real
            bi = xi - rm[e].imag
            dr = -(ar * br - ai * bi)
            di = -(ar * bi + ai * br)
            s = 1.0 / (dr * dr + di * di)
            ir = dr * s
            ii = -di * s
            pr = -2.0 * xr
            pi = -2.0 * (xi + g[e])
            # q = dp * inv^2
            i2r = ir * ir - ii * ii
            i2i = 2.0 * ir * ii
            qr = pr * i2r - pi * i2i
            qi = pr * i2i + pi * i2r
            er += a[e] * ir
            ei += a[e] * ii
            der -= a[e] * qr
            dei -= a[e] * qi
            nr = b[e] + c[e] * x2r
            ni = c[e] * x2i
            mr += nr * ir - ni * ii
            mi += nr * ii + ni * ir
            dmr += -(nr * qr - ni * qi) + 2.0 * c[e] * (xr * ir - xi * ii)
            dmi += -(nr * qi + ni * qr) + 2.0 * c[e] * (xr * ii + xi * ir)
            lr += pr * ir - pi * ii
            li += pr * ii + pi * ir
        eps = complex(er, ei)
        imu = complex(mr, mi)
        deps = complex(der, dei)
        dimu = complex(dmr, dmi)
        logden = complex(lr, li)
        for f in range(pole.shape[0]):
            inv = 1.0 / (pole[f] - x)
            eps += alpha[f] * inv
            deps += alpha[f] * inv * inv
            imu += beta[f] * inv
            dimu += beta[f] * inv * inv
            logden -= inv
        G = x * x * eps - k2 * imu
        Gw = 2.0 * x * eps + x * x * deps - k2 * dimu
        return imu, G, Gw, logden

    @numba.njit(cache=True)
    def _continue_kernel(
        k,
        start,
        end,
        w_start,
        vg_start,
        w0,
        g,
        a,
        b,
        c,
        pole,
        alpha,
        beta,
        eps_inf,
        m_inf,
        out_w,
        out_vg,
        max_iter,
        tol,
    ):
        """Follow all roots from k[start] to k[end - 1] by predictor + Newton steps on the cleared
        polynomial; returns the first index where a root did not converge or two roots merged
        (the caller restarts there from eigenvalues), or ``end``."""
        K = end
        n = w_start.shape[0]
        M = w0.shape[0]
        rp = np.empty(M, dtype=np.complex128)
        rm = np.empty(M, dtype=np.complex128)
        for e in range(M):
            root = np.sqrt(complex(w0[e] * w0[e] - g[e] * g[e]))
            rp[e] = root - 1j * g[e]
            rm[e] = -root - 1j * g[e]
        vg = np.empty(n, dtype=np.complex128)
        for j in range(n):
            out_w[start, j] = w_start[j]
            out_vg[start, j] = vg_start[j]
            vg[j] = vg_start[j]
        zr = np.empty(n)
        zi = np.empty(n)
        for i in range(start + 1, K):
            k2 = k[i] * k[i]
            dk = k[i] - k[i - 1]
            for j in range(n):
                v = vg[j]
                if not (np.isfinite(v.real) and np.isfinite(v.imag)):
                    v = 0.0
                x = out_w[i - 1, j] + v * dk
                ok = False
                for _it in range(max_iter):
                    imu, G, Gw, logden = _eval_root(
                        x, k2, rp, rm, g, a, b, c, pole, alpha, beta, eps_inf, m_inf
                    )
                    if G == 0:
                        ok = True
                        break
                    corr = 1.0 / (Gw / G + logden)
                    x = x - corr
                    if abs(corr) <= tol * max(abs(x), 1e-300):
                        ok = True
                        break
                if not ok or not (np.isfinite(x.real) and np.isfinite(x.imag)):
                    return i
                imu, G, Gw, logden = _eval_root(
                    x, k2, rp, rm, g, a, b, c, pole, alpha, beta, eps_inf, m_inf
                )
                vg[j] = 2.0 * k[i] * imu / Gw
                out_w[i, j] = x
                out_vg[i, j] = vg[j]
                zr[j] = x.real
                zi[j] = x.imag
            # two roots converged to the same point: a branch was lost
            for j in range(n):
                for m in range(j + 1, n):
                    dx = zr[j] - zr[m]
                    dy = zi[j] - zi[m]
                    scale = abs(zr[j]) + abs(zi[j]) + 1e-300
                    if dx * dx + dy * dy <= (1e-9 * scale) ** 2:
                        return i
        return K

    @numba.njit(parallel=True, cache=True)
    def _continue_chunks(
        k,
        starts,
        ends,
        w_seeds,
        vg_seeds,
        w0,
        g,
        a,
        b,
        c,
        pole,
        alpha,
        beta,
        eps_inf,
        m_inf,
        out_w,
        out_vg,
        max_iter,
        tol,
        status,
    ):
        """Independent continuations of the k-chunks [starts[c], ends[c]) in parallel."""
        for ch in numba.prange(starts.shape[0]):
            status[ch] = _continue_kernel(
                k,
                starts[ch],
                ends[ch],
                w_seeds[ch],
                vg_seeds[ch],
                w0,
                g,
                a,
                b,
                c,
                pole,
                alpha,
                beta,
                eps_inf,
                m_inf,
                out_w,
                out_vg,
                max_iter,
                tol,
            )

    @numba.njit(parallel=True, cache=True)
    def _diag_kernel(
        k, w, w0, g, a, b, c, pole, alpha, beta, eps_inf, m_inf, out_imu, out_gw, out_g, out_scale
    ):
        K, n = w.shape
        M = w0.shape[0]
        rp = np.empty(M, dtype=np.complex128)
        rm = np.empty(M, dtype=np.complex128)
        for e in range(M):
            root = np.sqrt(complex(w0[e] * w0[e] - g[e] * g[e]))
            rp[e] = root - 1j * g[e]
            rm[e] = -root - 1j * g[e]
        for i in numba.prange(K):
            k2 = k[i] * k[i]
            for j in range(n):
                x = w[i, j]
                imu, G, Gw, _ = _eval_root(
                    x, k2, rp, rm, g, a, b, c, pole, alpha, beta, eps_inf, m_inf
                )
                se = abs(eps_inf)
                sm = abs(m_inf)
                xr = x.real
                xi = x.imag
                x2r = xr * xr - xi * xi
                x2i = 2.0 * xr * xi
                for e in range(M):
                    d1r = xr - rp[e].real
                    d1i = xi - rp[e].imag
                    d2r = xr - rm[e].real
                    d2i = xi - rm[e].imag
                    inv = 1.0 / np.sqrt((d1r * d1r + d1i * d1i) * (d2r * d2r + d2i * d2i))
                    nr = b[e] + c[e] * x2r
                    ni = c[e] * x2i
                    se += abs(a[e]) * inv
                    sm += np.sqrt(nr * nr + ni * ni) * inv
                for f in range(pole.shape[0]):
                    dabs = abs(pole[f] - x)
                    se += abs(alpha[f]) / dabs
                    sm += abs(beta[f]) / dabs
                out_imu[i, j] = imu
                out_gw[i, j] = Gw
                out_g[i, j] = G
                out_scale[i, j] = abs(x) ** 2 * se + k2 * sm

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

#: Relative size of the last Newton correction at which a continued root counts as converged.
CONTINUATION_TOL: Final = 1e-12
CONTINUATION_MAX_ITER: Final = 20
#: Fewest k points per parallel continuation chunk.
CONTINUATION_MIN_CHUNK: Final = 256


def _kernel_args(med: RationalMedium) -> tuple[Any, ...]:
    return (
        np.ascontiguousarray(med.omega, dtype=np.float64),
        np.ascontiguousarray(med.gamma, dtype=np.float64),
        np.ascontiguousarray(med.a, dtype=np.float64),
        np.ascontiguousarray(med.b, dtype=np.float64),
        np.ascontiguousarray(med.c, dtype=np.float64),
        np.ascontiguousarray(med.pole, dtype=np.complex128),
        np.ascontiguousarray(med.alpha, dtype=np.complex128),
        np.ascontiguousarray(med.beta, dtype=np.complex128),
        complex(med.eps_inf),
        complex(med.inv_mu_inf),
    )


def _continuation_roots(med: RationalMedium, k: FloatArray) -> tuple[ComplexArray, int]:
    """Roots at every k, already in branch order, by continuation.

    The k grid is cut into up to ``numba.get_num_threads()`` chunks of at least
    ``CONTINUATION_MIN_CHUNK`` points; each chunk starts from the eigenvalues at its first k and
    is continued in parallel; a step that fails (a root does not converge, or two roots merge)
    restarts that chunk from fresh eigenvalues matched by minimum-cost assignment; chunks are
    stitched the same way. Returns the roots and the number of eigenvalue restarts.
    """
    K, n = k.shape[0], med.degree
    out_w = np.empty((K, n), dtype=np.complex128)
    out_vg = np.empty((K, n), dtype=np.complex128)
    args = _kernel_args(med)
    n_chunks = int(max(1, min(numba.get_num_threads(), K // CONTINUATION_MIN_CHUNK)))
    bounds = np.linspace(0, K, n_chunks + 1).astype(np.int64)
    starts, ends = bounds[:-1].copy(), bounds[1:].copy()
    seeds = _polish(med, _batched_eigvals(companion_matrices(med, k[starts])), k[starts], 2)
    seeds[0] = seeds[0][np.lexsort((seeds[0].imag, seeds[0].real))]
    vg_seeds = _group_velocity(med, seeds, k[starts])
    status = np.empty(n_chunks, dtype=np.int64)
    _continue_chunks(  # type: ignore[call-arg]
        k,
        starts,
        ends,
        np.ascontiguousarray(seeds),
        np.ascontiguousarray(vg_seeds),
        *args,
        out_w,
        out_vg,
        CONTINUATION_MAX_ITER,
        CONTINUATION_TOL,
        status,
    )
    restarts = 0
    for ch in range(n_chunks):
        stop = int(status[ch])
        while stop < ends[ch]:
            restarts += 1
            fresh = _polish(
                med,
                _batched_eigvals(companion_matrices(med, k[stop : stop + 1])),
                k[stop : stop + 1],
                2,
            )[0]
            pred = out_w[stop - 1] + np.nan_to_num(out_vg[stop - 1]) * (k[stop] - k[stop - 1])
            _, col = linear_sum_assignment(np.abs(pred[:, None] - fresh[None, :]))
            w_start = np.ascontiguousarray(fresh[col])
            vg_start = _group_velocity(med, w_start[None, :], k[stop : stop + 1])[0]
            stop = int(
                _continue_kernel(  # type: ignore[call-arg]
                    k,
                    stop,
                    int(ends[ch]),
                    w_start,
                    vg_start,
                    *args,
                    out_w,
                    out_vg,
                    CONTINUATION_MAX_ITER,
                    CONTINUATION_TOL,
                )
            )
    for ch in range(1, n_chunks):  # stitch: continue the branch labels across chunk borders
        s, e = int(starts[ch]), int(ends[ch])
        pred = out_w[s - 1] + np.nan_to_num(out_vg[s - 1]) * (k[s] - k[s - 1])
        _, col = linear_sum_assignment(np.abs(pred[:, None] - out_w[s][None, :]))
        out_w[s:e] = out_w[s:e][:, col]
        out_vg[s:e] = out_vg[s:e][:, col]
    return out_w, restarts


def _group_velocity(med: RationalMedium, w: ComplexArray, k: FloatArray) -> ComplexArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        _, inv_mu, _, Gw, _, _ = _g_terms(med, w, (k * k)[:, None])
        return np.asarray(2.0 * k[:, None] * inv_mu / Gw)


# ---------------------------------------------------------------------------------------------
# Tracking
# ---------------------------------------------------------------------------------------------


def track_branches(
    w: ComplexArray, k: FloatArray, v_group: ComplexArray | None = None
) -> tuple[IntArray, int]:
    """Order roots into continuous branches across k.

    Parameters
    ----------
    w : (K, n) complex
        Roots per k in any order.
    k : (K,) float
        Increasing k.
    v_group : (K, n) complex, optional
        dw/dk at each root; used as a predictor w + v_g dk.

    Returns
    -------
    order : (K, n) int
        ``w[i, order[i, j]]`` is branch j at k[i]. Branches are numbered by (Re w, Im w) at k[0].
    reassigned : int
        Number of k steps where nearest-neighbour matching was ambiguous and the minimum-cost
        assignment (``linear_sum_assignment``) was solved.
    """
    K, n = w.shape
    if K == 0:
        return np.zeros((0, n), dtype=np.intp), 0
    perms = np.empty((max(K - 1, 0), n), dtype=np.intp)
    chunk = max(1, (32 * 2**20) // (16 * n * n * 2))
    reassigned = 0
    for s in range(0, K - 1, chunk):
        e = min(K - 1, s + chunk)
        prev = w[s:e]
        if v_group is not None:
            dk = (k[s + 1 : e + 1] - k[s:e])[:, None]
            pred = prev + np.where(np.isfinite(v_group[s:e]), v_group[s:e], 0.0) * dk
        else:
            pred = prev
        nxt = w[s + 1 : e + 1]
        cost = np.abs(pred[:, :, None] - nxt[:, None, :])  # (c, n_prev, n_next)
        nearest = np.argmin(cost, axis=2)
        srt = np.sort(cost, axis=2)
        second = srt[:, :, 1] if n > 1 else np.full(srt.shape[:2], np.inf)
        unique = np.all(np.sort(nearest, axis=1) == np.arange(n), axis=1)
        clear = np.all(srt[:, :, 0] < 0.5 * second, axis=1)
        ok = unique & clear
        perms[s:e] = nearest
        for i in np.flatnonzero(~ok).tolist():
            _, col = linear_sum_assignment(cost[i])
            perms[s + i] = col
            reassigned += 1
    order = np.empty((K, n), dtype=np.intp)
    order[0] = np.lexsort((w[0].imag, w[0].real))
    for i in range(K - 1):  # composition of permutations: O(n) per step
        order[i + 1] = perms[i][order[i]]
    return order, reassigned


# ---------------------------------------------------------------------------------------------
# Branches, velocities and the sum rule
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DispersionBranches:
    """Tracked polariton branches on a k grid. Arrays (K, B) have column j = branch j.

    Attributes
    ----------
    k : (K,) float
        Wavenumbers (units of [w] / c).
    omega : (K, B) complex
        w_j(k); B = ``degree`` = 2 M + 2 (+ F) branches.
    v_phase, v_group : (K, B) complex
        w / k and dw/dk (implicit differentiation of (*)), units of c.
    weight : (K, B) complex
        mu(w_j) v_p v_g = 2 w_j / G_w(w_j), the eq-9 summands.
    residual : (K, B) float
        |w^2 eps mu / k^2 - 1| at each root.
    backward_error : (K, B) float
        |G| / (sum of the magnitudes of the terms of G): the relative size of the perturbation of
        the medium for which the root would be exact.
    residual_floor : (K, B) float
        2 eps_machine |v_p / v_g|: the change of w^2 eps mu / k^2 caused by one rounding of w
        (d ln(w^2 eps mu) / d ln w = 2 v_p / v_g at a root). On flat, matter-like branches
        (|v_g| << |v_p|, e.g. next to a pole at small k) even the correctly rounded root has a
        residual of this size; ``residual`` stays within a small multiple of
        max(floor, 1e-16).
    sum_rule : (K,) float
        Re sum_{Re w_j > 0} weight_j (Westerberg & Barnett eq 9, c = 1), plus half the weights of roots on the
        imaginary axis.
    sum_rule_expected : float
        Re 1 / eps_inf (= 1 for the oscillator medium).
    sum_rule_form : {"positive-frequency", "all-roots"}
        ``all-roots`` (half the sum of every weight) for media with rotating-wave poles (Cho
        eqs 44-45), whose roots do not pair as (w, -w*); the residue identity is the same.
    sum_rule_fd : (K,) float
        The same sum with v_g from finite differences along the tracked branches (second order,
        ``numpy.gradient``); NaN when K < 3.
    reassigned : int
        Tracking steps that needed a minimum-cost assignment.
    """

    k: FloatArray
    omega: ComplexArray
    v_phase: ComplexArray
    v_group: ComplexArray
    weight: ComplexArray
    residual: FloatArray
    backward_error: FloatArray
    residual_floor: FloatArray
    sum_rule: FloatArray
    sum_rule_expected: float
    sum_rule_fd: FloatArray
    sum_rule_form: str
    degree: int
    reassigned: int

    @property
    def sum_rule_deviation(self) -> float:
        """max_k |sum_rule - expected| / |expected|."""
        return float(
            np.max(np.abs(self.sum_rule - self.sum_rule_expected)) / abs(self.sum_rule_expected)
        )


def _positive_sum(w: ComplexArray, weight: ComplexArray) -> FloatArray:
    tol = 1e-12 * np.maximum(np.abs(w), 1e-300)
    pos = w.real > tol
    axis = np.abs(w.real) <= tol
    return np.asarray(
        np.where(pos, weight.real, 0.0).sum(axis=1)
        + 0.5 * np.where(axis, weight.real, 0.0).sum(axis=1)
    )


def _half_sum(w: ComplexArray, weight: ComplexArray) -> FloatArray:
    return np.asarray(0.5 * weight.real.sum(axis=1))


def dispersion_branches(
    medium: Medium,
    k: ArrayLike,
    *,
    method: Method = "auto",
    polish_steps: int = 2,
    max_k_points: int | None = None,
    max_degree: int | None = None,
    field: FieldPath = (),
) -> DispersionBranches:
    """All complex branches w_j(k) of k^2 = w^2 eps(w) mu(w) on a real k grid, tracked.

    Parameters
    ----------
    medium
        Oscillator (Westerberg & Barnett eq 21), constant, or any medium with a pole-residue form
        (:func:`rational_form`).
    k : (K,) float
        Strictly increasing wavenumbers > 0, units of [w] / c.
    method, polish_steps
        See :func:`polariton_roots`.
    max_k_points, max_degree
        Limits (``max_dispersion_k_points``, ``max_dispersion_degree``); None = unlimited.
    field
        Path of the medium in the request, for errors.

    Returns
    -------
    DispersionBranches

    Notes
    -----
    v_p = w / k, v_g = dw/dk = 2 k (1/mu) / G_w with G_w = 2 w eps + w^2 eps' - k^2 (1/mu)';
    eq 9 of Westerberg & Barnett: Re sum_j mu(w_j) v_p v_g = c^2 (module docstring).
    """
    kv = _arr(k)
    bad = ~np.isfinite(kv) | (kv <= 0)
    if kv.size == 0 or bad.any():
        i = int(np.argmax(bad)) if kv.size else 0
        raise InvalidInput(
            "wavenumbers must be finite and > 0 (v_p = w / k is undefined at k = 0)",
            field=("k", i),
            fix="start the k grid at a small positive value",
        )
    if kv.size > 1 and np.any(np.diff(kv) <= 0):
        i = int(np.argmax(np.diff(kv) <= 0)) + 1
        raise InvalidInput(
            "the k grid must be strictly increasing", field=("k", i), fix="sort the k values"
        )
    if max_k_points is not None and kv.size > max_k_points:
        raise LimitExceeded(
            f"{kv.size} k points requested, the limit is {max_k_points}",
            limit_name="max_dispersion_k_points",
            limit=max_k_points,
            requested=kv.size,
            field=("k",),
            fix="use fewer k points",
        )
    med = rational_form(medium, field=field)
    if max_degree is not None and med.degree > max_degree:
        raise LimitExceeded(
            f"the dispersion polynomial has degree {med.degree}, the limit is {max_degree}",
            limit_name="max_dispersion_degree",
            limit=max_degree,
            requested=med.degree,
            field=(*field, "transitions") if field else ("medium", "transitions"),
            fix="use fewer transitions",
        )
    resolved = _resolve_method(med, method)
    if resolved == "continuation":
        w, reassigned = _continuation_roots(med, kv)  # already in branch order
    else:
        w = polariton_roots(med, kv, method=resolved, polish_steps=polish_steps)  # type: ignore[arg-type]
    inv_mu, Gw, wgt, resid, berr = _root_diagnostics(med, w, kv)
    with np.errstate(divide="ignore", invalid="ignore"):
        vg = 2.0 * kv[:, None] * inv_mu / Gw
    if resolved != "continuation":
        order, reassigned = track_branches(w, kv, vg)
        take = lambda a: np.take_along_axis(a, order, axis=1)  # noqa: E731
        w, vg, wgt, resid, berr, inv_mu = (take(a) for a in (w, vg, wgt, resid, berr, inv_mu))
    vp = w / kv[:, None]
    expected = 1.0 / complex(med.eps_inf)
    # reality-symmetric media (no rotating-wave poles): roots pair as (w, -w*), and eq 9 is the
    # sum over Re w > 0; otherwise the identity is half the sum over all roots
    paired = med.n_first_order == 0
    summer = _positive_sum if paired else _half_sum
    sr = summer(w, wgt)
    if kv.size >= 3:
        with np.errstate(divide="ignore", invalid="ignore"):
            vg_fd = np.gradient(w, kv, axis=0, edge_order=2)
            sr_fd = summer(w, (1.0 / inv_mu) * vp * vg_fd)
    else:
        sr_fd = np.full(kv.shape, np.nan)
    return DispersionBranches(
        k=kv,
        omega=w,
        v_phase=vp,
        v_group=vg,
        weight=wgt,
        residual=resid,
        backward_error=berr,
        residual_floor=np.asarray(2.0 * np.finfo(np.float64).eps * np.abs(vp / vg)),
        sum_rule=sr,
        sum_rule_expected=float(expected.real),
        sum_rule_fd=sr_fd,
        sum_rule_form="positive-frequency" if paired else "all-roots",
        degree=med.degree,
        reassigned=reassigned,
    )


def _root_diagnostics(
    med: RationalMedium, w: ComplexArray, k: FloatArray
) -> tuple[ComplexArray, ComplexArray, ComplexArray, FloatArray, FloatArray]:
    """inv_mu, G_w, eq-9 weight 2 w / G_w, residual |G| / (k^2 |1/mu|) = |w^2 eps mu / k^2 - 1|
    and backward error |G| / sum|terms| at every root."""
    if HAVE_NUMBA:
        imu = np.empty(w.shape, dtype=np.complex128)
        gw = np.empty(w.shape, dtype=np.complex128)
        g = np.empty(w.shape, dtype=np.complex128)
        scale = np.empty(w.shape)
        _diag_kernel(k, np.ascontiguousarray(w), *_kernel_args(med), imu, gw, g, scale)  # type: ignore[call-arg]
        with np.errstate(divide="ignore", invalid="ignore"):
            return (
                imu,
                gw,
                2.0 * w / gw,
                np.abs(g) / (k[:, None] ** 2 * np.abs(imu)),
                np.abs(g) / scale,
            )
    n = w.shape[1]  # pragma: no cover - numpy fallback
    per = 16 * n * max(med.n_lorentz + med.n_first_order, 1) * 8
    chunk = max(1, POLISH_CHUNK_BYTES // per)
    outs = [np.empty(w.shape, dtype=np.complex128) for _ in range(5)]
    resid = np.empty(w.shape)
    berr = np.empty(w.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for s in range(0, w.shape[0], chunk):
            z = w[s : s + chunk]
            k2 = (k[s : s + chunk] ** 2)[:, None]
            eps, inv_mu, G, Gw, _, scale = _g_terms(med, z, k2)
            outs[0][s : s + chunk] = eps
            outs[1][s : s + chunk] = inv_mu
            outs[2][s : s + chunk] = G
            outs[3][s : s + chunk] = Gw
            outs[4][s : s + chunk] = 2.0 * z / Gw
            resid[s : s + chunk] = np.abs(z * z * eps / inv_mu / k2 - 1.0)
            berr[s : s + chunk] = np.abs(G) / scale
    return outs[1], outs[3], outs[4], resid, berr


# ---------------------------------------------------------------------------------------------
# Report: POST /v1/optics/dispersion
# ---------------------------------------------------------------------------------------------

#: Backward error a polished root must reach (and its residual, relative to the rounding floor).
ROOTS_TOL: Final = 1e-10
#: Largest relative deviation of the eq-9 sum from 1 / eps_inf that counts as the identity.
SUM_RULE_TOL: Final = 1e-8
#: Im w_j(k) above this fraction of max |w_j| counts as growth in time.
GROWTH_RTOL: Final = 1e-12

ROOTS: Final = CheckSpec(
    name="roots",
    kind="bound",
    equation="each root solves G(w, k) = w^2 eps - k^2 / mu = 0: backward error |G| / sum |terms "
    "of G| <= 1e-10 and residual |w^2 eps mu / k^2 - 1| <= max(1e-10, 16 x 2 eps_machine "
    "|v_p / v_g|) (one rounding of w moves it by 2 eps_machine |v_p / v_g| on flat matter "
    "branches); value = max backward error",
    explanation="A root that fails is not a solution of the dispersion relation to working "
    "accuracy, so its branch, velocities and eq-9 weight are not to be trusted.",
    tolerance=ROOTS_TOL,
    warning="the polariton roots are inaccurate (max backward error {value:.3g}, residual "
    "{max_residual_over_allowance:.3g} x its allowance): use fewer transitions or another k grid",
)

SUM_RULE_EQ9: Final = CheckSpec(
    name="sum_rule_eq9",
    kind="bound",
    equation="Westerberg & Barnett eq 9: Re sum_j mu(w_j) v_p v_g = c^2 (c^2 / eps_inf with a "
    "background), the residue identity sum_j 2 w_j / G_w(w_j) = 2 / eps_inf; value = max_k "
    "relative deviation",
    explanation="The sum over the branches is an exact identity of the roots: a deviation means "
    "roots are missing or wrong at some k.",
    tolerance=SUM_RULE_TOL,
    warning="the eq-9 sum deviates from its exact value by {value:.3g} (relative) at some k: a "
    "polariton branch is missing or inaccurate there",
)

STABILITY: Final = CheckSpec(
    name="stability",
    kind="indicative",
    equation="causal, passive media have Im w_j(k) <= 0 on every branch (fields ~ exp(-i w t)); "
    "value = max Im w_j(k) on the k grid [omega unit]",
    explanation="A branch with Im w > 0 grows in time: the model is not passive or not causal "
    "there (e.g. Im(eps mu) < 0 at high frequency), so it does not describe a stable medium.",
    tolerance=GROWTH_RTOL,
    warning="{growing_branches} branch(es) have Im w > 0 (growing in time) on the k grid: the "
    "model is unstable there, because it is not passive (e.g. Im(eps mu) < 0 at high frequency "
    "from damped dipole-octopole terms) or not causal (e.g. a constant negative eps)",
)

TRACKING: Final = CheckSpec(
    name="tracking",
    kind="value",
    equation="branches followed across k by minimum-cost assignment of w + v_g dk; value = number "
    "of k steps where nearest-neighbour matching was ambiguous",
    explanation="Many reassigned steps mean the k grid is coarse for the branch crossings.",
)

#: Note of a double root (v_g = dw/dk infinite).
INFINITE_GROUP_VELOCITY_NOTE: Final = (
    "v_group is infinite at some k (a double root): returned as null"
)


def dispersion_report(
    medium: Medium,
    *,
    medium_unit: str,
    frequencies: ArrayLike | None = None,
    grid: ArrayLike | None = None,
    grid_unit: str = "model",
    to_output: Callable[[FloatArray], FloatArray] | None = None,
    rule: opt.IndexRule = "decay",
    k: ArrayLike | None = None,
    k_unit: str = "model",
    k_scale: float = 1.0,
    omega_unit: str | None = None,
    omega_scale: float = 1.0,
    max_k_points: int | None = None,
) -> Report:
    """The dispersion of a medium: k(w) on a frequency grid and/or every branch w_j(k) on a k grid.

    Parameters
    ----------
    medium
        Any :class:`core.media.Medium`, in ``medium_unit``.
    medium_unit
        The frequency unit the medium is written in (echoed in ``units.medium``).
    frequencies : (N,) float, optional
        Real frequencies in the medium's unit (> 0): eps, mu, n on the branch ``rule``,
        k = w n / c, Z, v_p, v_g and the frequency checks (:func:`core.optics.frequency_checks`).
    grid, grid_unit, to_output
        The same frequencies as the user gave them, their unit, and the map medium unit -> grid
        unit (intervals are reported in the grid unit).
    k : (K,) float, optional
        Real wavenumbers in the user's unit ``k_unit``; ``k / k_scale`` is in (medium unit) / c.
        Every complex branch w_j(k) (:func:`dispersion_branches`), in ``omega_unit`` =
        ``omega_scale`` x medium unit, with checks ``roots``, ``sum_rule_eq9`` (eq 9),
        ``stability`` and ``tracking``.
    k_scale
        Natural wavenumber (medium unit / c) -> ``k_unit``; also multiplies the k(w) array.
    max_k_points
        Limit ``max_dispersion_k_points`` (None = unlimited).

    Returns
    -------
    Report
    """
    arrays: dict[str, Series] = {}
    results: dict[str, Any] = {}
    checks: list[tuple[str, Check]] = []
    notes: list[str] = []
    units: dict[str, str] = {"medium": medium_unit, "wavenumber": k_unit, "v_phase, v_group": "c"}
    if frequencies is not None:
        w = np.asarray(frequencies, dtype=np.float64).reshape(-1)
        pts = w if grid is None else np.asarray(grid, dtype=np.float64).reshape(-1)
        r = opt.optical_response(medium, w, rule=rule, field=("medium",))
        if not (np.all(np.isfinite(r.n)) and np.all(np.isfinite(r.eps * r.mu))):
            raise InvalidInput(
                "eps or mu is not finite at some grid point (an undamped singularity)",
                field=("frequencies",),
                fix="give the resonances a damping gamma > 0, or move the grid points",
            )
        ax = "frequencies"
        arrays.update(
            {
                "frequencies": Series(pts, "frequency", grid_unit),
                "epsilon": Series(r.eps, "permittivity eps(w)", "1", ax),
                "mu": Series(r.mu, "permeability mu(w)", "1", ax),
                "refractive_index": Series(r.n, f"refractive index n ({rule} branch)", "1", ax),
                "wavenumber": Series(r.k * k_scale, "wavenumber k = w n / c", k_unit, ax),
                "impedance": Series(r.impedance, "relative wave impedance Z = mu / n", "1", ax),
                "v_phase": Series(r.v_phase, "phase velocity c / Re n", "c", ax),
                "v_group": Series(r.v_group, "group velocity 1 / Re(dk/dw)", "c", ax),
                "left_handed": Series(r.left_handed, "v_phase v_group < 0, propagating", "1", ax),
                "negative_index": Series(r.negative_index, "Re n < 0", "1", ax),
            }
        )
        units["frequencies"] = grid_unit
        checks.extend(opt.frequency_checks(pts, r, medium, to_output=to_output))
    if k is not None:
        kv = _arr(k)
        b = dispersion_branches(medium, kv / k_scale, max_k_points=max_k_points, field=("medium",))
        out_unit = omega_unit or medium_unit
        w_out = b.omega * omega_scale
        results["branches"] = {
            "k": kv,
            "omega": w_out,
            "v_phase": b.v_phase,
            "v_group": b.v_group,
            "sum_rule": b.sum_rule,
            "degree": b.degree,
        }
        units["branches.k"] = k_unit
        units["branches.omega"] = out_unit
        checks.extend(branch_checks(b, omega_scale))
        if not np.all(np.isfinite(b.v_group)):
            notes.append(INFINITE_GROUP_VELOCITY_NOTE)
    return Report(
        model=opt.MODEL_NAME_DISPERSION,
        version=opt.MODEL_VERSION,
        arrays=arrays,
        checks=checks_of(*checks),
        notes=tuple(notes),
        results=results,
        units=units,
    )


def branch_checks(b: DispersionBranches, omega_scale: float = 1.0) -> list[tuple[str, Check]]:
    """``roots`` (:data:`ROOTS`), ``sum_rule_eq9`` (:data:`SUM_RULE_EQ9`), ``stability``
    (:data:`STABILITY`, Im w in units of ``omega_scale`` x the medium's unit) and ``tracking``
    (:data:`TRACKING`) of tracked branches."""
    scale_w = float(np.max(np.abs(b.omega))) if b.omega.size else 1.0
    max_im = float(np.max(b.omega.imag))
    growing = int(np.sum(np.any(b.omega.imag > GROWTH_RTOL * scale_w, axis=0)))
    dev = b.sum_rule_deviation
    fd_dev = np.abs(b.sum_rule_fd - b.sum_rule_expected)
    fd = float(np.max(fd_dev)) if np.all(np.isfinite(fd_dev)) else None
    excess = float(np.max(b.residual / np.maximum(ROOTS_TOL, 16 * b.residual_floor)))
    berr = float(np.max(b.backward_error))
    return [
        (
            "roots",
            ROOTS.judge(
                berr <= ROOTS_TOL and excess <= 1.0,
                berr,
                degree=b.degree,
                max_backward_error=berr,
                max_relative_residual=float(np.max(b.residual)),
                max_residual_over_allowance=excess,
            ),
        ),
        (
            "sum_rule_eq9",
            SUM_RULE_EQ9.judge(
                dev <= SUM_RULE_TOL,
                dev,
                expected=b.sum_rule_expected,
                max_relative_deviation=dev,
                finite_difference_max_deviation=fd,
                form=b.sum_rule_form,
            ),
        ),
        (
            "stability",
            STABILITY.judge(
                growing == 0,
                max_im * omega_scale,
                max_imag_omega=max_im * omega_scale,
                growing_branches=growing,
            ),
        ),
        ("tracking", TRACKING.value_only(float(b.reassigned), reassigned_steps=b.reassigned)),
    ]
