"""Frequency-dependent q^2 response of 2D crystalline insulators (Duff & Sipe, secs. VI-VII).

Units and conventions
---------------------
Natural units of the model: hbar = 1, e = 1 with electron charge q = -1, energies (and hbar w,
and the broadening eta = hbar 0+) in the model energy unit E_u, lengths in the model length unit
L_u. Time dependence exp(-i w t); E = i w A (scalar potential zero). The magnetic formulas are
written in the SI form, i.e. the paper's Gaussian expressions with c -> 1: M = chi B, J = curl M.
Then chi, sigma_L and K2 (below) all carry the unit of the static orbital susceptibility of
:mod:`core.crystal.susceptibility`, e^2 E_u L_u^2 / hbar^2 per unit area (``to_si`` converts), and
sigma_K carries that unit divided by E_u / hbar. Where the paper writes c chi, read chi.

What is computed
----------------
The current response of the tight-binding model with straight-line Peierls phases (the model
of eq 95 in an electromagnetic field; its Hessian and "Tressian" vertices are the w and g of eqs
103 and 105) to a vector potential A e^{i(q.x - w t)},

    J^b(q, w) = K^{ba}(q, w) A^a,
    K^{ba}(q, w) = -(q^2/A_cell N) [ sum_{k,n} f_n D^{ab}_nn(k; q)
                   + sum_{k,n,m} (f_n - f_m) X^b X^a* / (w - (E_m(k+q) - E_n(k)) + i eta) ],
    X^c = <u_n(k)| V^c(k + q/2; q) |u_m(k+q)>,

with the vertex V^c(kappa; q) = sum_bonds t (i d_c) phi(q.d/2) e^{i kappa.d} + h.c. and the
diamagnetic vertex D^{ab}(k; q) = sum_bonds t (i d_a)(i d_b) phi(q.d/2)^2 e^{i k.d} + h.c.,
phi(x) = sin(x)/x (the straight-line integral of a plane wave along the bond). This is the
Kubo formula of the model, derived here (docs/crystal-response.md); it is *not* one of the
paper's printed equations. Its q^2 coefficient K2^{ba,jm} (K = K0 + K1.q + q.K2.q + ...) gives,
by eqs 11-15 with Faraday's law (eq 5) and the split of the second derivatives of E into the
totally symmetric K (eq 13) and L = grad B (eq 14),

    K2^{in,jm}(w) = i w sigma_K^{injm}(w) + (1/2)[sigma_L^{izj} eps^{zmn} + sigma_L^{izm} eps^{zjn}]

for in-plane indices, hence (the totally symmetric part S of T^{njm} = K2^{in,jm})

    sigma_L^{izx} = (2/3) (K2^{iy,xx} - K2^{ix,xy}),   sigma_L^{izy} = -(2/3) (K2^{ix,yy} - K2^{iy,xy}),
    sigma_K^{injm} = S^{njm} / (i w)   (at w = 0 the w-derivative of S instead).

Sign (eq 16 at w = 0, and J = -sigma_L^{ilj} dB^l/dx^j from eq 11-12): sigma_L^{xzy}(0) =
-chi^zz_static, sigma_L^{yzx}(0) = +chi^zz_static (c chi in Gaussian units). This is the
gauge-invariant total the eight multipole tensors of eqs 74-81 add up to in eqs 89-92; it is
invariant *at every k-point* under Bloch phases and under unitary mixing of degenerate bands at
k (X^b X^a* and the denominators are), which is what the service reports as sigma_L and sigma_K.
The paper's multipole route is :mod:`core.crystal.multipole` plus :func:`chi_m_paper`.

Numerics. The q-expansion is done per k and band pair: E_m(k+q) - E_n(k), X^b X^a* and the
diamagnetic trace are Taylor-expanded in q by fourth-order central differences (step ``q_step``,
with |q.d| <= 2e-3 for every bond; truncation and rounding both near 1e-10 relative), and the
frequency dependence is then exact:

    q^2 coefficient of P / (w - Delta + i eta) = P2 r + P1 Delta1 r^2 + P0 (Delta2 r^2 + Delta1^2 r^3),
    r = 1 / (w - Delta0 + i eta),

so the cost is (k-points) x (pairs) x (13 diagonalisations) plus (k-points) x (pairs) x
(frequencies) x (components). Needs: any number of bands (closed-form eigenvectors for two,
LAPACK per k otherwise); no analytic derivatives of eigenvectors; the per-pair expansion needs
bands of equal occupation to stay non-degenerate near k (checked: a model where they touch is
refused with InvalidInput). 2D models only (in-plane fields and currents, B along z).

References: :data:`core.references.DUFF_SIPE` (eqs 5, 11-17, 89-92); G. D. Mahan, Many-Particle
Physics (Kluwer 2000), sec. 3.8 (current-current response and the diamagnetic term); D. J.
Scalapino, S. R. White and S. C. Zhang, Phys. Rev. B 47, 7995 (1993),
doi:10.1103/PhysRevB.47.7995 (the lattice form of the kernel).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numba
import numpy as np
from numpy.typing import NDArray

from core.crystal.bloch import MAX_K_POINTS, check_k_points, monkhorst_grid, occupied_count
from core.crystal.model import TightBindingModel
from core.crystal.multipole import (
    EPS2,
    QE,
    band_jet,
    berry_curl_elements,
    magnetization_elements,
)
from core.crystal.susceptibility import (
    GapInfo,
    gauge_orbitals,
    require_gap,
    scan_gap,
)
from core.errors import InvalidInput

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
IntArray = NDArray[np.int64]

#: Largest |q.d| of the finite-difference stencil in q (d: bond vectors).
Q_STEP_BOND: Final = 2e-3
#: Bands of equal occupation closer than this (model energy unit) count as degenerate.
DEGENERACY_TOL: Final = 1e-6
#: k-points per numba block (one accumulator per block).
BLOCK: Final = 1024

#: Components of sigma_L offered: "izj" = current i, field B along z, derivative along j.
SIGMA_L_COMPONENTS: Final[tuple[str, ...]] = ("xzy", "yzx", "xzx", "yzy")
#: Components of sigma_K offered: current i, then the three symmetric indices, sorted.
SIGMA_K_COMPONENTS: Final[tuple[str, ...]] = (
    "xxxx",
    "xxxy",
    "xxyy",
    "xyyy",
    "yxxx",
    "yxxy",
    "yxyy",
    "yyyy",
)
_AX: Final = {"x": 0, "y": 1}

# stencil: 0, then +-h, +-2h along x, y, x + y
_DIRS: Final = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
_STEPS: Final = np.array([1.0, -1.0, 2.0, -2.0])


def _stencil(h: float) -> FloatArray:
    pts = [np.zeros(2)]
    for d in _DIRS:
        for s in _STEPS:
            pts.append(s * h * d)
    return np.array(pts)


@numba.njit(cache=True)
def _eig2(hm: ComplexArray, e: FloatArray, u: ComplexArray) -> None:  # pragma: no cover - jit
    """Closed-form eigen-decomposition of a 2x2 Hermitian matrix (ascending), as eigh_batched."""
    f0 = 0.5 * (hm[0, 0].real + hm[1, 1].real)
    fz = 0.5 * (hm[0, 0].real - hm[1, 1].real)
    fxy = hm[1, 0]
    fn = np.sqrt(fz * fz + fxy.real * fxy.real + fxy.imag * fxy.imag)
    e[0] = f0 - fn
    e[1] = f0 + fn
    if fz >= 0.0:
        up0 = fz + fn + 0j
        up1 = fxy
        um0 = -np.conj(fxy)
        um1 = fz + fn + 0j
    else:
        up0 = np.conj(fxy)
        up1 = fn - fz + 0j
        um0 = -(fn - fz) + 0j
        um1 = fxy
    nrm = np.sqrt(abs(up0) ** 2 + abs(up1) ** 2)
    if nrm <= 1e-300:
        u[0, 0] = 1.0
        u[1, 0] = 0.0
        u[0, 1] = 0.0
        u[1, 1] = 1.0
        return
    u[0, 1] = up0 / nrm
    u[1, 1] = up1 / nrm
    u[0, 0] = um0 / nrm
    u[1, 0] = um1 / nrm


@numba.njit(cache=True)
def _phi(x: float) -> float:  # pragma: no cover - jit
    if abs(x) < 1e-4:
        return 1.0 - x * x / 6.0 + x**4 / 120.0
    return np.sin(x) / x


@numba.njit(parallel=True, cache=True)
def _q2_kernel(
    kpts,
    stencil,
    bd,
    bamp,
    bfrom,
    bto,
    onsite,
    nocc,
    omega,
    eta,
    comps,
    power_shift,
    gauge_seed,
    out_para,
    out_dia,
    out_k0,
    out_diag,
):  # pragma: no cover - jit (tested through the Python wrapper)
    """Accumulate the q^2 coefficients of the Kubo kernel (see the module notes).

    comps[c] = (b, a, j, m): the component K2^{ba,jm}. out_para[blk, w, c] (complex),
    out_dia[blk, c] (real), out_k0[blk, 4] (K0^{ba}(q=0, w=0) at eta = 0, for the f-sum check),
    out_diag[blk, 2] = (min direct gap, min splitting of equal-occupation bands) over the block.
    ``power_shift`` = 1 accumulates the w-derivative instead (used for sigma_K at w = 0).
    """
    nk = kpts.shape[0]
    n = onsite.shape[0]
    ns = stencil.shape[0]
    nb = bd.shape[0]
    nw = omega.shape[0]
    nc = comps.shape[0]
    h = stencil[1, 0]
    nblk = (nk + 1023) // 1024
    # per stencil point and bond: e^{i q.d}, phi(q.d/2) e^{i q.d/2}, phi(q.d/2)^2
    sfac = np.empty((ns, nb, 3), dtype=np.complex128)
    for s in range(ns):
        for b in range(nb):
            qd = stencil[s, 0] * bd[b, 0] + stencil[s, 1] * bd[b, 1]
            p = _phi(0.5 * qd)
            sfac[s, b, 0] = np.exp(1j * qd)
            sfac[s, b, 1] = p * np.exp(0.5j * qd)
            sfac[s, b, 2] = p * p
    for blk in numba.prange(nblk):
        hk = np.empty((n, n), dtype=np.complex128)
        es = np.empty((ns, n))
        us = np.empty((ns, n, n), dtype=np.complex128)
        va = np.empty((ns, 2, n, n), dtype=np.complex128)
        dd = np.empty((ns, 3, n, n), dtype=np.complex128)
        e2 = np.empty(2)
        u2 = np.empty((2, 2), dtype=np.complex128)
        xs = np.empty((ns, 2), dtype=np.complex128)
        pv = np.empty((ns, 4), dtype=np.complex128)
        dl = np.empty(ns)
        dia = np.empty((ns, 3))
        ca = np.empty(nc, dtype=np.complex128)
        cb = np.empty(nc, dtype=np.complex128)
        cc = np.empty(nc, dtype=np.complex128)
        ekd = np.empty(nb, dtype=np.complex128)
        gmin = np.inf
        smin = np.inf
        for k in range(blk * 1024, min(nk, blk * 1024 + 1024)):
            kx = kpts[k, 0]
            ky = kpts[k, 1]
            for b in range(nb):
                ekd[b] = bamp[b] * np.exp(1j * (kx * bd[b, 0] + ky * bd[b, 1]))
            for s in range(ns):
                for i in range(n):
                    for j in range(n):
                        hk[i, j] = 0.0
                        va[s, 0, i, j] = 0.0
                        va[s, 1, i, j] = 0.0
                        dd[s, 0, i, j] = 0.0
                        dd[s, 1, i, j] = 0.0
                        dd[s, 2, i, j] = 0.0
                for b in range(nb):
                    i = bfrom[b]
                    j = bto[b]
                    # e^{i (k + q).d} = e^{i k.d} sf[s, b, 0] etc. (stencil factors precomputed)
                    ek = ekd[b]
                    ph = ek * sfac[s, b, 0]
                    hk[i, j] += ph
                    hk[j, i] += np.conj(ph)
                    pm = ek * sfac[s, b, 1]
                    vx = 1j * bd[b, 0] * pm
                    vy = 1j * bd[b, 1] * pm
                    va[s, 0, i, j] += vx
                    va[s, 0, j, i] += np.conj(vx)
                    va[s, 1, i, j] += vy
                    va[s, 1, j, i] += np.conj(vy)
                    p0 = ek * sfac[s, b, 2]
                    dxx = -bd[b, 0] * bd[b, 0] * p0
                    dxy = -bd[b, 0] * bd[b, 1] * p0
                    dyy = -bd[b, 1] * bd[b, 1] * p0
                    dd[s, 0, i, j] += dxx
                    dd[s, 0, j, i] += np.conj(dxx)
                    dd[s, 1, i, j] += dxy
                    dd[s, 1, j, i] += np.conj(dxy)
                    dd[s, 2, i, j] += dyy
                    dd[s, 2, j, i] += np.conj(dyy)
                for i in range(n):
                    hk[i, i] += onsite[i]
                if n == 2:
                    _eig2(hk, e2, u2)
                    es[s, 0] = e2[0]
                    es[s, 1] = e2[1]
                    for i in range(2):
                        for j in range(2):
                            us[s, i, j] = u2[i, j]
                else:
                    ev, uv = np.linalg.eigh(hk)
                    for i in range(n):
                        es[s, i] = ev[i]
                        for j in range(n):
                            us[s, i, j] = uv[i, j]
                if gauge_seed != 0:
                    # arbitrary phases of the eigenvectors (the gauge-invariance tests): the
                    # kernel only uses phase-invariant products, so nothing may change
                    for j in range(n):
                        th = np.sin(12.9898 * k + 78.233 * s + 37.719 * j + 0.618 * gauge_seed)
                        th = 43758.5453 * th
                        th = 2.0 * np.pi * (th - np.floor(th))
                        ph = np.exp(1j * th)
                        for i in range(n):
                            us[s, i, j] *= ph
                gap_s = es[s, nocc] - es[s, nocc - 1]
                if gap_s < gmin:
                    gmin = gap_s
                for i in range(n - 1):
                    if i != nocc - 1:
                        sp = es[s, i + 1] - es[s, i]
                        if sp < smin:
                            smin = sp
            # diamagnetic traces over the occupied bands at k (band basis of the base point)
            for s in range(ns):
                for c3 in range(3):
                    acc = 0.0
                    for nn in range(nocc):
                        z = 0j
                        for i in range(n):
                            for j in range(n):
                                z += np.conj(us[0, i, nn]) * dd[s, c3, i, j] * us[0, j, nn]
                        acc += z.real
                    dia[s, c3] = acc
            for c in range(nc):
                bb = comps[c, 0]
                aa = comps[c, 1]
                jj = comps[c, 2]
                mm = comps[c, 3]
                c3 = aa + bb  # xx -> 0, xy/yx -> 1, yy -> 2
                f2 = _second(dia[:, c3], h, jj, mm)
                out_dia[blk, c] += f2
            # K0(q = 0, w = 0), eta = 0: dia + sum (f_n - f_m) X^b X^a* / (-Delta)
            for ba in range(4):
                bb = ba // 2
                aa = ba % 2
                out_k0[blk, ba] += dia[0, aa + bb]
                out_k0[blk, 4 + ba] += dia[0, aa + bb]
            for nn in range(n):
                for mb in range(n):
                    fn = 1.0 if nn < nocc else 0.0
                    fm = 1.0 if mb < nocc else 0.0
                    sf = fn - fm
                    if sf == 0.0:
                        continue
                    for s in range(ns):
                        for cdir in range(2):
                            z = 0j
                            for i in range(n):
                                zi = 0j
                                for j in range(n):
                                    zi += va[s, cdir, i, j] * us[s, j, mb]
                                z += np.conj(us[0, i, nn]) * zi
                            xs[s, cdir] = z
                        for ba in range(4):
                            pv[s, ba] = xs[s, ba // 2] * np.conj(xs[s, ba % 2])
                        dl[s] = es[s, mb] - es[0, nn]
                    d0 = dl[0]
                    for ba in range(4):
                        out_k0[blk, ba] += (sf * pv[0, ba] / (-d0)).real
                    for c in range(nc):
                        bb = comps[c, 0]
                        aa = comps[c, 1]
                        jj = comps[c, 2]
                        mm = comps[c, 3]
                        ba = 2 * bb + aa
                        p0 = pv[0, ba]
                        p2 = _second_c(pv[:, ba], h, jj, mm)
                        p1j = _first_c(pv[:, ba], h, jj)
                        p1m = _first_c(pv[:, ba], h, mm)
                        d1j = _first(dl, h, jj)
                        d1m = _first(dl, h, mm)
                        d2 = _second(dl, h, jj, mm)
                        ca[c] = sf * p2
                        cb[c] = sf * (0.5 * (p1j * d1m + p1m * d1j) + p0 * d2)
                        cc[c] = sf * p0 * d1j * d1m
                    for w in range(nw):
                        x = omega[w] - d0
                        y = eta[w]
                        den = 1.0 / (x * x + y * y)
                        r = complex(x * den, -y * den)
                        if power_shift == 0:
                            for c in range(nc):
                                # Horner: r (A + r (B + r C))
                                out_para[blk, w, c] += r * (ca[c] + r * (cb[c] + r * cc[c]))
                        else:
                            # d/dw of (A r + B r^2 + C r^3) = -(A r^2 + 2 B r^3 + 3 C r^4)
                            r2 = r * r
                            r3 = r2 * r
                            r4 = r3 * r
                            for c in range(nc):
                                out_para[blk, w, c] -= (
                                    ca[c] * r2 + 2.0 * cb[c] * r3 + 3.0 * cc[c] * r4
                                )
        out_diag[blk, 0] = gmin
        out_diag[blk, 1] = smin


@numba.njit(cache=True)
def _first(f, h, j):  # pragma: no cover - jit
    """d f / d q_j at 0 from the stencil (fourth order): f[1 + 4 dir + (0: +h, 1: -h, 2: +2h, 3: -2h)]."""
    o = 1 + 4 * j
    return (8.0 * (f[o] - f[o + 1]) - (f[o + 2] - f[o + 3])) / (12.0 * h)


@numba.njit(cache=True)
def _first_c(f, h, j):  # pragma: no cover - jit
    o = 1 + 4 * j
    return (8.0 * (f[o] - f[o + 1]) - (f[o + 2] - f[o + 3])) / (12.0 * h)


@numba.njit(cache=True)
def _curv(f, h, d):  # pragma: no cover - jit
    """F2 along stencil direction d: F(t e) = F0 + ... + F2 t^2 (fourth order)."""
    o = 1 + 4 * d
    return (16.0 * (f[o] + f[o + 1]) - (f[o + 2] + f[o + 3]) - 30.0 * f[0]) / (24.0 * h * h)


@numba.njit(cache=True)
def _curv_c(f, h, d):  # pragma: no cover - jit
    o = 1 + 4 * d
    return (16.0 * (f[o] + f[o + 1]) - (f[o + 2] + f[o + 3]) - 30.0 * f[0]) / (24.0 * h * h)


@numba.njit(cache=True)
def _second(f, h, j, m):  # pragma: no cover - jit
    """C_jm of F(q) = F0 + g.q + q.C.q (C symmetric): C_xx, C_yy along x, y; C_xy from x + y."""
    if j == m:
        return _curv(f, h, j)
    return 0.5 * (_curv(f, h, 2) - _curv(f, h, 0) - _curv(f, h, 1))


@numba.njit(cache=True)
def _second_c(f, h, j, m):  # pragma: no cover - jit
    if j == m:
        return _curv_c(f, h, j)
    return 0.5 * (_curv_c(f, h, 2) - _curv_c(f, h, 0) - _curv_c(f, h, 1))


def _bond_arrays(model: TightBindingModel):
    return (
        np.ascontiguousarray(model.bond_vectors()[:, :2], dtype=np.float64),
        np.ascontiguousarray(model.hop_amplitude, dtype=np.complex128),
        np.ascontiguousarray(model.hop_from, dtype=np.int64),
        np.ascontiguousarray(model.hop_to, dtype=np.int64),
        np.ascontiguousarray(model.onsite, dtype=np.float64),
    )


def _needed(sigma_l: tuple[str, ...], sigma_k: tuple[str, ...]) -> list[tuple[int, int, int, int]]:
    """The K2^{ba,jm} components (b, a, j <= m) that the requested outputs need."""
    need: set[tuple[int, int, int, int]] = set()
    for c in sigma_l:
        i = _AX[c[0]]
        if c[2] == "x":  # (2/3)(K2^{iy,xx} - K2^{ix,xy})
            need |= {(i, 1, 0, 0), (i, 0, 0, 1)}
        else:  # -(2/3)(K2^{ix,yy} - K2^{iy,xy})
            need |= {(i, 0, 1, 1), (i, 1, 0, 1)}
    for c in sigma_k:
        i = _AX[c[0]]
        idx = [_AX[x] for x in c[1:]]
        for p in range(3):  # the three placements of the field index among the sorted triple
            nn = idx[p]
            rest = sorted(idx[:p] + idx[p + 1 :])
            need.add((i, nn, rest[0], rest[1]))
    return sorted(need)


@dataclass(frozen=True)
class Q2Result:
    """sigma_L, sigma_K and the q^2 kernel of a 2D insulator on a frequency grid.

    Attributes
    ----------
    omega : (W,) float
        hbar w (model energy unit).
    sigma_l : dict[str, (W,) complex]
        sigma_L^{izj}(w), unit of chi (e^2 E_u L_u^2 / hbar^2 per area); sigma_L^{xzy}(0) = -chi^zz.
    sigma_k : dict[str, (W,) complex]
        sigma_K^{i(ljk)}(w), unit of chi per (E_u / hbar).
    k2 : dict[tuple[int, int, int, int], (W,) complex]
        The kernel coefficients K2^{ba,jm}(w) (unit of chi).
    k0_static : (2, 2) float
        K0^{ba}(q = 0, w = 0): zero for an insulator (f-sum rule), the residual of the grid.
    diamagnetic_scale : float
        The largest |diamagnetic trace| per area, the scale of ``k0_static``.
    gap, min_splitting : float
        Smallest direct gap and smallest splitting of bands of equal occupation seen.
    q_step : float
        Finite-difference step in q (inverse model length).
    """

    omega: FloatArray
    sigma_l: dict[str, ComplexArray]
    sigma_k: dict[str, ComplexArray]
    k2: dict[tuple[int, int, int, int], ComplexArray]
    k0_static: FloatArray
    diamagnetic_scale: float
    gap: float
    min_splitting: float
    q_step: float
    grid: tuple[int, ...]
    eta: FloatArray
    extra: dict[str, float] = field(default_factory=dict)


def q2_conductivity(
    model: TightBindingModel,
    n: int | tuple[int, ...],
    omega: FloatArray,
    *,
    eta: float | FloatArray,
    sigma_l: tuple[str, ...] = ("xzy",),
    sigma_k: tuple[str, ...] = (),
    filling: int | None = None,
    shift: float = 0.5,
    max_k_points: int = MAX_K_POINTS,
    gauge_seed: int = 0,
) -> Q2Result:
    """sigma_L^{izj}(w) and sigma_K^{i(ljk)}(w) of a 2D insulator (see the module notes).

    Parameters
    ----------
    model : TightBindingModel
        A 2D model (InvalidInput otherwise).
    n : int or (int, int)
        k-grid per reciprocal direction.
    omega : (W,) float
        hbar w, model energy unit (any sign; 0 allowed).
    eta : float or (W,) float
        Broadening hbar 0+ >= 0 (model energy unit), one value or one per frequency. eta = 0 is
        exact below the gap only. sigma_K at w = 0 is the eta = 0 limit.
    sigma_l, sigma_k : tuple of str
        Components (:data:`SIGMA_L_COMPONENTS`, :data:`SIGMA_K_COMPONENTS`).
    gauge_seed : int
        Non-zero: multiply every eigenvector by a pseudo-random phase (per k-point, stencil point
        and band) before use, for the gauge-invariance tests.

    Returns
    -------
    Q2Result
    """
    if model.dim != 2:
        raise InvalidInput(
            "the q^2 conductivity is implemented for 2D models", field=("model", "lattice")
        )
    for c in sigma_l:
        if c not in SIGMA_L_COMPONENTS:
            raise InvalidInput(
                f"unknown sigma_L component {c!r}",
                field=("sigma_L",),
                fix="use " + ", ".join(SIGMA_L_COMPONENTS),
            )
    for c in sigma_k:
        if c not in SIGMA_K_COMPONENTS:
            raise InvalidInput(
                f"unknown sigma_K component {c!r}",
                field=("sigma_K",),
                fix="use " + ", ".join(SIGMA_K_COMPONENTS),
            )
    if not np.all(np.isfinite(eta)) or np.any(np.asarray(eta) < 0):
        raise InvalidInput("eta (hbar 0+) must be finite and >= 0", field=("eta",))
    nocc = occupied_count(model, filling)
    ns = (n,) * 2 if isinstance(n, int) else tuple(n)
    check_k_points(int(np.prod(ns)), max_k_points)
    w = np.ascontiguousarray(np.asarray(omega, dtype=np.float64).reshape(-1))
    kpts, _ = monkhorst_grid(model, ns, shift)
    bonds = _bond_arrays(model)
    dmax = float(np.max(np.abs(bonds[0]))) if bonds[0].size else 1.0
    h = Q_STEP_BOND / max(dmax, 1e-300)
    comps_l = _needed(tuple(sigma_l), tuple(sigma_k))
    comps = np.array(comps_l, dtype=np.int64).reshape(-1, 4)
    nblk = (kpts.shape[0] + BLOCK - 1) // BLOCK

    def run(freqs: FloatArray, shift_power: int, eta_: FloatArray):
        para = np.zeros((nblk, freqs.shape[0], comps.shape[0]), dtype=np.complex128)
        dia = np.zeros((nblk, comps.shape[0]))
        k0 = np.zeros((nblk, 8))
        diag = np.zeros((nblk, 2))
        _q2_kernel(  # type: ignore[call-arg]
            kpts,
            _stencil(h),
            *bonds,
            nocc,
            freqs,
            eta_,
            comps,
            shift_power,
            int(gauge_seed),
            para,
            dia,
            k0,
            diag,
        )
        return para.sum(axis=0), dia.sum(axis=0), k0.sum(axis=0), diag

    etas = np.broadcast_to(np.asarray(eta, dtype=np.float64), w.shape).copy()
    para, dia, k0, diag = run(w, 0, etas)
    gap = float(diag[:, 0].min())
    split = float(diag[:, 1].min())
    if gap <= DEGENERACY_TOL:
        require_gap(GapInfo(nocc, 0.0, gap, gap), "the q^2 conductivity")
    if split <= DEGENERACY_TOL:
        raise InvalidInput(
            f"bands of equal occupation touch on this grid (splitting {split:.3g}); the per-pair "
            "q-expansion of the q^2 conductivity needs them apart",
            field=("model",),
            fix="lift the degeneracy (e.g. a small on-site difference) or use another model",
        )
    norm = -1.0 / (kpts.shape[0] * model.cell_volume)  # -(q_e^2 / A), q_e^2 = 1
    k2 = {c: norm * (para[:, i] + dia[i]) for i, c in enumerate(comps_l)}
    # sigma_K at w = 0: the w-derivative of the symmetric part
    zero = np.abs(w) <= 1e-12 * max(1.0, float(np.max(np.abs(w))) if w.size else 1.0)
    dk2: dict[tuple[int, int, int, int], ComplexArray] = {}
    if sigma_k and np.any(zero):
        dpara, _, _, _ = run(np.zeros(1), 1, np.zeros(1))
        dk2 = {c: norm * dpara[:, i] for i, c in enumerate(comps_l)}

    def kk(b: int, a: int, j: int, m: int, table) -> ComplexArray:
        return table[(b, a, min(j, m), max(j, m))]

    out_l: dict[str, ComplexArray] = {}
    for c in sigma_l:
        i = _AX[c[0]]
        if c[2] == "x":
            out_l[c] = (2.0 / 3.0) * (kk(i, 1, 0, 0, k2) - kk(i, 0, 0, 1, k2))
        else:
            out_l[c] = -(2.0 / 3.0) * (kk(i, 0, 1, 1, k2) - kk(i, 1, 0, 1, k2))
    out_k: dict[str, ComplexArray] = {}
    for c in sigma_k:
        i = _AX[c[0]]
        idx = [_AX[x] for x in c[1:]]

        def sym(table, i=i, idx=idx):
            tot = 0.0
            for p in range(3):
                rest = idx[:p] + idx[p + 1 :]
                tot = tot + kk(i, idx[p], rest[0], rest[1], table)
            return tot / 3.0

        s = sym(k2)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.where(zero, 0.0, s / (1j * np.where(zero, 1.0, w)))
        if dk2:
            val = np.where(zero, sym(dk2) / 1j, val)
        out_k[c] = np.asarray(val, dtype=np.complex128)
    return Q2Result(
        omega=w,
        sigma_l=out_l,
        sigma_k=out_k,
        k2=k2,
        k0_static=(norm * k0[:4]).reshape(2, 2),
        diamagnetic_scale=float(np.max(np.abs(norm * k0[4:]))),
        gap=gap,
        min_splitting=split,
        q_step=h,
        grid=ns,
        eta=etas,
    )


# ---------------------------------------------------------------------------------------------
# chi_M(w) of eq 74: the paper's multipole route (gauge dependent at w != 0)
# ---------------------------------------------------------------------------------------------

#: Parts of chi_M^zz(w), eq 74: occ (eq 72, frequency independent), vv (line 1, M M / (Delta -
#: w)), itinerant (line 1, the w-dependent addition to M_mn), geo (line 2), atomic (line 3).
PARTS_CHI_M: Final[tuple[str, ...]] = ("occ", "vv", "itinerant", "geo", "atomic")


@dataclass(frozen=True)
class ChiMResult:
    """chi_M^zz(w) of eq 74 on a frequency grid (unit of the static chi, per area).

    ``parts[name]`` (W,) complex for :data:`PARTS_CHI_M`; ``chi`` their sum; ``min_modulus`` the
    smallest modulus of the gauge-fixing component (near 0: the gauge is singular, Chern phase).
    """

    omega: FloatArray
    chi: ComplexArray
    parts: dict[str, ComplexArray]
    grid: tuple[int, ...]
    eta: FloatArray
    min_modulus: float


def _chi_m_chunk(jet, nocc: int, omega: FloatArray, eta: FloatArray) -> dict[str, ComplexArray]:
    _nk, nb = jet.e.shape
    f = np.zeros(nb)
    f[:nocc] = 1.0
    fnm = f[:, None] - f[None, :]
    xi, w_ = jet.xi, jet.w
    # eq 72 (zz), hbar^2/m delta_bc -> the Hessian operator: sum_{m,l} xi^a_nm w^bc_ml xi^d_ln
    occ = 0.0
    for a in range(2):
        for b in range(2):
            for c in range(2):
                for d in range(2):
                    s = EPS2[a, b] * EPS2[c, d]
                    if s == 0.0:
                        continue
                    full = np.einsum("knm,kml,kln->kn", xi[:, a], w_[:, b, c], xi[:, d])
                    band = np.einsum("kn,knm,kmn->kn", jet.d2e[:, b, c], xi[:, a], xi[:, d])
                    occ += s * 0.25 * QE * QE * float(np.real(full - band)[:, :nocc].sum())
    mm = magnetization_elements(jet)
    om = berry_curl_elements(jet)
    dmn = jet.e[:, None, :] - jet.e[:, :, None]  # [k, n, m] = E_m - E_n = Delta_mn
    # line 2 (zz): -(e/4) sum_nm [(f_n + f_m)(Om_nm M_mn + M_nm Om_mn) + f_nm (e/4)(Delta_nm - w) Om_nm Om_mn]
    fsum = f[:, None] + f[None, :]
    mt = np.swapaxes(mm, 1, 2)
    ot = np.swapaxes(om, 1, 2)
    geo0 = -0.25 * QE * np.sum(fsum * (om * mt + mm * ot))
    geo_d = -0.25 * QE * 0.25 * QE * np.sum(fnm * (-dmn) * om * ot)
    geo_w = -0.25 * QE * 0.25 * QE * np.sum(fnm * om * ot)  # times (-w)
    # line 1: f_nm M_nm r_mn [M_mn - (e w/4) X_mn r_mn], X_mn = eps^{zab} d_a(E_m + E_n) xi^b_mn
    xmn = np.zeros_like(mm)
    for a in range(2):
        for b in range(2):
            if EPS2[a, b] != 0.0:
                sde = jet.de[:, a, :, None] + jet.de[:, a, None, :]
                xmn += EPS2[a, b] * sde * xi[:, b]
    # line 3: -(i e^2 w / 16) eps^{zcd} eps^{zab} f_nm d_a d_c v^d_nm xi^b_mn r_mn
    ynm = np.zeros_like(mm)
    for a in range(2):
        for b in range(2):
            for c in range(2):
                for d in range(2):
                    s = EPS2[c, d] * EPS2[a, b]
                    if s != 0.0:
                        ynm += s * jet.d2v[:, a, c, d] * np.swapaxes(xi[:, b], 1, 2)
    sel = fnm != 0.0
    c1 = (fnm * mm * mt)[:, sel].reshape(-1)
    c2 = (fnm * mm * (-0.25 * QE) * np.swapaxes(xmn, 1, 2))[:, sel].reshape(-1)
    c3 = (fnm * (-1j * QE * QE / 16.0) * ynm)[:, sel].reshape(-1)
    dl = dmn[:, sel].reshape(-1)
    nw = omega.shape[0]
    vv = np.zeros(nw, dtype=np.complex128)
    it = np.zeros(nw, dtype=np.complex128)
    at = np.zeros(nw, dtype=np.complex128)
    step = max(1, (1 << 22) // max(nw, 1))
    for s0 in range(0, dl.shape[0], step):
        sl = slice(s0, s0 + step)
        r = 1.0 / (dl[None, sl] - omega[:, None] - 1j * eta[:, None])
        vv += r @ c1[sl]
        it += omega * ((r * r) @ c2[sl])
        at += omega * (r @ c3[sl])
    return {
        "occ": np.full(nw, occ, dtype=np.complex128),
        "vv": vv,
        "itinerant": it,
        "geo": np.full(nw, geo0 + geo_d, dtype=np.complex128) - omega * geo_w,
        "atomic": at,
    }


def chi_m_paper(
    model: TightBindingModel,
    n: int | tuple[int, ...],
    omega: FloatArray,
    *,
    eta: float | FloatArray,
    filling: int | None = None,
    shift: float = 0.5,
    chunk: int = 4096,
    max_k_points: int = MAX_K_POINTS,
    orbitals: NDArray[np.int64] | None = None,
    phase=None,
) -> ChiMResult:
    """chi_M^zz(w) of eq 74 as printed (2D, spinless) in the paper's gauge (multipole.band_jet).

    Line 1 with f_nm and (Delta_mn - hbar(w + i 0+)); line 2 with the ordinary-derivative curl
    Omega_nm (diagonal: the Berry curvature); line 3 with the ordinary d_a d_c v^d_nm of
    :mod:`core.crystal.multipole`; chi_occ of eq 72 with the Hessian operator in place of
    hbar^2/m (as in :func:`susceptibility.chi_1`). At w = 0 lines 1 and 2 are chi_VV + chi_geo
    (eqs 71, 73) and line 3 vanishes, so chi_M(0) = chi_1 = chi_static (trivial insulators). At
    w != 0 the tensor depends on the gauge (section VI, the paper's point): ``phase(k) -> (theta,
    grad theta, Hessian)`` per band changes it. For the zz component the w-dependent term of line
    2 vanishes identically (Om_nm Om_mn is symmetric under n <-> m).
    """
    if model.dim != 2:
        raise InvalidInput("chi_M(w) is implemented for 2D models", field=("model", "lattice"))
    if not np.all(np.isfinite(eta)) or np.any(np.asarray(eta) < 0):
        raise InvalidInput("eta (hbar 0+) must be finite and >= 0", field=("eta",))
    ns = (n,) * 2 if isinstance(n, int) else tuple(n)
    check_k_points(int(np.prod(ns)), max_k_points)
    info = scan_gap(model, ns, filling, shift)
    require_gap(info, "chi_M(w)")
    orb = gauge_orbitals(model) if orbitals is None else np.asarray(orbitals, dtype=np.int64)
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    etas = np.broadcast_to(np.asarray(eta, dtype=np.float64), w.shape).copy()
    kpts, _ = monkhorst_grid(model, ns, shift)
    tot = {p: np.zeros(w.shape[0], dtype=np.complex128) for p in PARTS_CHI_M}
    minmod = np.inf
    for s0 in range(0, kpts.shape[0], chunk):
        kc = kpts[s0 : s0 + chunk]
        jet = band_jet(model, kc, orb, None if phase is None else phase(kc))
        minmod = min(minmod, jet.min_modulus)
        for p, val in _chi_m_chunk(jet, info.n_occ, w, etas).items():
            tot[p] += val
    norm = 1.0 / (kpts.shape[0] * model.cell_volume)
    parts = {p: norm * v for p, v in tot.items()}
    return ChiMResult(
        omega=w,
        chi=np.sum(np.stack(list(parts.values())), axis=0),
        parts=parts,
        grid=ns,
        eta=etas,
        min_modulus=float(minmod),
    )
