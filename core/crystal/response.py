"""Frequency-dependent q^2 response of crystalline insulators (Duff & Sipe, secs. VI-VII).

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
refused with InvalidInput).

Dimensions: 2D models, and 3D models with B along z: q, the fields and the currents are in-plane
(x, y), so the Peierls phases and vertices use the in-plane components (d_x, d_y) of each bond
while e^{i k.d} uses all three; kz is a parameter of each term, the sum runs over the 3D grid and
the result is per unit volume (-1/(N_k V_cell)). A stack of decoupled layers with spacing c gives
the layer's value divided by c. Only the in-plane components (B^z, i, j in {x, y}) are offered.

Splitting: every k-sum is a sum of per-k terms, so :func:`q2_partial` and :func:`chi_m_partial`
return the partial sums over a block of grid rows and :func:`q2_reduce`, :func:`chi_m_reduce` the
result from all blocks; the single-process functions are one block plus the same reduction.

References: :data:`core.references.DUFF_SIPE` (eqs 5, 11-17, 89-92); G. D. Mahan, Many-Particle
Physics (Kluwer 2000), sec. 3.8 (current-current response and the diamagnetic term); D. J.
Scalapino, S. R. White and S. C. Zhang, Phys. Rev. B 47, 7995 (1993),
doi:10.1103/PhysRevB.47.7995 (the lattice form of the kernel).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numba
import numpy as np
from numpy.typing import NDArray

from core.crystal.bloch import (
    MAX_K_POINTS,
    bloch_derivatives,
    check_k_points,
    eigh_batched,
    monkhorst_grid,
    occupied_count,
)
from core.crystal.model import TightBindingModel
from core.crystal.multipole import (
    EPS2,
    QE,
    band_jet,
    berry_curl_elements,
    magnetization_elements,
)
from core.crystal.susceptibility import GAP_TOL, GapInfo, gauge_orbitals, require_gap
from core.errors import InvalidInput

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
IntArray = NDArray[np.int64]
#: ``phase(k) -> (theta (K, N), grad theta (K, 2, N), Hessian (K, 2, 2, N)[, third])``: a
#: smooth gauge change of the eigenvectors (tests of the gauge dependence of eq 74).
PhaseFunction = Callable[[FloatArray], tuple[FloatArray, FloatArray, FloatArray]]

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

    kpts (K, D) and bd (H, D) are Cartesian (D = 2 or 3); q, the currents and the vertices are
    in-plane (x, y). comps[c] = (b, a, j, m): the component K2^{ba,jm}. out_para[blk, w, c]
    (complex), out_dia[blk, c] (real), out_k0[blk, 8] (K0^{ba}(q=0, w=0) at eta = 0 for the
    f-sum check, then the diamagnetic part alone), out_diag[blk, 2] = (min direct gap, min
    splitting of equal-occupation bands) over the block.
    ``power_shift`` = 1 accumulates the w-derivative instead (used for sigma_K at w = 0).
    """
    nk = kpts.shape[0]
    kdim = kpts.shape[1]
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
            for b in range(nb):
                # k.d over all D components (3D: kz enters the phase only); the q-stencil, the
                # vertices and the diamagnetic factors below use the in-plane d_x, d_y
                kd = 0.0
                for r in range(kdim):
                    kd += kpts[k, r] * bd[b, r]
                ekd[b] = bamp[b] * np.exp(1j * kd)
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


def _bond_arrays(
    model: TightBindingModel,
) -> tuple[FloatArray, ComplexArray, IntArray, IntArray, FloatArray]:
    """Cartesian bond vectors (H, D), amplitudes, orbital indices and on-site energies."""
    return (
        np.ascontiguousarray(model.bond_vectors(), dtype=np.float64),
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
    """sigma_L, sigma_K and the q^2 kernel of an insulator (2D, or 3D with B along z).

    Attributes
    ----------
    omega : (W,) float
        hbar w (model energy unit).
    sigma_l : dict[str, (W,) complex]
        sigma_L^{izj}(w), unit of chi (e^2 E_u L_u^2 / hbar^2 per unit area in 2D, per unit
        volume in 3D); sigma_L^{xzy}(0) = -chi^zz.
    sigma_k : dict[str, (W,) complex]
        sigma_K^{i(ljk)}(w), unit of chi per (E_u / hbar).
    k2 : dict[tuple[int, int, int, int], (W,) complex]
        The kernel coefficients K2^{ba,jm}(w) (unit of chi).
    k0_static : (2, 2) float
        K0^{ba}(q = 0, w = 0): zero for an insulator (f-sum rule), the residual of the grid.
    diamagnetic_scale : float
        The largest |diamagnetic trace| per area (volume), the scale of ``k0_static``.
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


# ---------------------------------------------------------------------------------------------
# Row blocks: the k-sum of the kernel as partial sums over blocks of grid rows
# ---------------------------------------------------------------------------------------------
#
# The kernel is a sum over the k-grid of per-k terms, so it is additive over any partition of
# the grid. A block is the grid rows r0 <= i_0 < r1 (first reduced coordinate), its k-points
# taken from the whole grid of :func:`monkhorst_grid` (same bits in every block); the reduction
# adds the partial sums in row order. The single-process functions are one block over all rows
# followed by the same reduction, so a split differs from them by the order of additions only.

#: Grid rows r0 <= i_0 < r1 of a block.
Rows = tuple[int, int]


def grid_sizes(model: TightBindingModel, n: int | Sequence[int]) -> tuple[int, ...]:
    """The k-grid sizes per reciprocal vector (one per dimension of the model)."""
    ns = (int(n),) * model.dim if isinstance(n, int) else tuple(int(x) for x in n)
    if len(ns) != model.dim or min(ns) < 1:
        raise InvalidInput(
            f"the grid needs {model.dim} positive sizes (a {model.dim}D model)",
            field=("grid", "n"),
        )
    return ns


def row_kpoints(
    model: TightBindingModel, ns: tuple[int, ...], shift: float, rows: Rows
) -> FloatArray:
    """Cartesian k-points (K, D) of the grid rows r0 <= i_0 < r1, in grid order (a slice of
    the whole grid of :func:`monkhorst_grid`, so each point has the same bits in every block)."""
    r0, r1 = rows
    if not 0 <= r0 < r1 <= ns[0]:
        raise ValueError(f"rows {rows} are not a block of the {ns[0]} rows of the grid {ns}")
    kpts, _ = monkhorst_grid(model, ns, shift)
    stride = int(np.prod(ns[1:], dtype=np.int64))
    return np.ascontiguousarray(kpts[r0 * stride : r1 * stride])


def check_tiling(ns: tuple[int, ...], blocks: Sequence[Rows]) -> None:
    """Raise ``ValueError`` unless ``blocks`` (in order) tile the rows 0..ns[0] once each."""
    stop = 0
    for r0, r1 in blocks:
        if r0 != stop or r1 <= r0:
            raise ValueError(f"the blocks {list(blocks)} do not tile the {ns[0]} rows of {ns}")
        stop = r1
    if stop != ns[0]:
        raise ValueError(f"the blocks {list(blocks)} do not tile the {ns[0]} rows of {ns}")


def _complex_list(z: ComplexArray) -> dict[str, list[float]]:
    """JSON form of a complex array (flattened): real and imaginary parts as float lists."""
    flat = np.asarray(z, dtype=np.complex128).reshape(-1)
    return {"real": flat.real.tolist(), "imag": flat.imag.tolist()}


def _num(x: Any) -> float:
    """A float of a JSON value (JSON writers turn nan and inf into null: read as nan)."""
    return float("nan") if x is None else float(x)


def _complex_of(d: Mapping[str, Any], shape: tuple[int, ...]) -> ComplexArray:
    re = np.array([_num(x) for x in d["real"]], dtype=np.float64)
    im = np.array([_num(x) for x in d["imag"]], dtype=np.float64)
    return (re + 1j * im).reshape(shape)


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _min_of(x: Any) -> float:
    """A minimum from JSON: null is +inf (the minimum over no pair, e.g. no equal-occupation
    bands in a two-band model)."""
    return float("inf") if x is None else float(x)


@dataclass(frozen=True)
class Q2Partial:
    """The k-sums of the q^2 kernel over a block of grid rows (see :func:`q2_partial`).

    All sums are un-normalised (no -1/(N_k V_cell)). ``para`` (W, C): the paramagnetic q^2
    coefficients per frequency and component ``comps`` (K2^{ba,jm} as (b, a, j, m)); ``dia``
    (C,): the diamagnetic ones; ``k0`` (8,): K0^{ba}(0, 0) (4) and the diamagnetic trace alone
    (4); ``dpara`` (C,): the w-derivative of ``para`` at w = 0, eta = 0 (sigma_K at w = 0), or
    None when not needed; ``gap``, ``min_splitting``: the smallest direct gap and splitting of
    equal-occupation bands over the block's stencil points.
    """

    rows: Rows
    npts: int
    comps: tuple[tuple[int, int, int, int], ...]
    para: ComplexArray
    dia: FloatArray
    k0: FloatArray
    dpara: ComplexArray | None
    gap: float
    min_splitting: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (floats in lists; complex as real and imaginary lists)."""
        return {
            "rows": list(self.rows),
            "npts": self.npts,
            "comps": [list(c) for c in self.comps],
            "shape": list(self.para.shape),
            "para": _complex_list(self.para),
            "dia": [float(x) for x in self.dia],
            "k0": [float(x) for x in self.k0],
            "dpara": None if self.dpara is None else _complex_list(self.dpara),
            "gap": _finite_or_none(self.gap),
            "min_splitting": _finite_or_none(self.min_splitting),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Q2Partial:
        """Inverse of :meth:`to_dict`."""
        nw, nc = (int(x) for x in d["shape"])
        r0, r1 = d["rows"]
        comps = tuple((int(c[0]), int(c[1]), int(c[2]), int(c[3])) for c in d["comps"])
        return cls(
            rows=(int(r0), int(r1)),
            npts=int(d["npts"]),
            comps=comps,
            para=_complex_of(d["para"], (nw, nc)),
            dia=np.array([_num(x) for x in d["dia"]], dtype=np.float64),
            k0=np.array([_num(x) for x in d["k0"]], dtype=np.float64),
            dpara=None if d["dpara"] is None else _complex_of(d["dpara"], (nc,)),
            gap=_min_of(d["gap"]),
            min_splitting=_min_of(d["min_splitting"]),
        )


@dataclass(frozen=True)
class _Q2Inputs:
    """Validated inputs of the kernel (shared by :func:`q2_partial` and :func:`q2_reduce`)."""

    ns: tuple[int, ...]
    omega: FloatArray
    eta: FloatArray
    sigma_l: tuple[str, ...]
    sigma_k: tuple[str, ...]
    comps: tuple[tuple[int, int, int, int], ...]
    nocc: int
    q_step: float
    zero: NDArray[np.bool_]

    @property
    def derivative(self) -> bool:
        """Whether sigma_K at w = 0 needs the w-derivative pass."""
        return bool(self.sigma_k) and bool(np.any(self.zero))


def _q2_inputs(
    model: TightBindingModel,
    n: int | Sequence[int],
    omega: FloatArray,
    eta: float | FloatArray,
    sigma_l: Sequence[str],
    sigma_k: Sequence[str],
    filling: int | None,
    max_k_points: int,
) -> _Q2Inputs:
    ns = grid_sizes(model, n)
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
    check_k_points(int(np.prod(ns)), max_k_points)
    w = np.ascontiguousarray(np.asarray(omega, dtype=np.float64).reshape(-1))
    etas = np.broadcast_to(np.asarray(eta, dtype=np.float64), w.shape).copy()
    d = model.bond_vectors()[:, :2]  # q and the vertices are in-plane
    dmax = float(np.max(np.abs(d))) if d.size else 0.0
    h = Q_STEP_BOND / (dmax if dmax > 0.0 else 1.0)
    zero = np.abs(w) <= 1e-12 * max(1.0, float(np.max(np.abs(w))) if w.size else 1.0)
    return _Q2Inputs(
        ns,
        w,
        etas,
        tuple(sigma_l),
        tuple(sigma_k),
        tuple(_needed(tuple(sigma_l), tuple(sigma_k))),
        nocc,
        h,
        zero,
    )


def _kernel_sums(
    model: TightBindingModel,
    kpts: FloatArray,
    spec: _Q2Inputs,
    freqs: FloatArray,
    eta: FloatArray,
    shift_power: int,
    gauge_seed: int,
) -> tuple[ComplexArray, FloatArray, FloatArray, FloatArray]:
    """One kernel pass over ``kpts``: sums of para (W, C), dia (C,), k0 (8,); diag (2,) minima."""
    comps = np.array(spec.comps, dtype=np.int64).reshape(-1, 4)
    nblk = (kpts.shape[0] + BLOCK - 1) // BLOCK
    para = np.zeros((nblk, freqs.shape[0], comps.shape[0]), dtype=np.complex128)
    dia = np.zeros((nblk, comps.shape[0]))
    k0 = np.zeros((nblk, 8))
    diag = np.zeros((nblk, 2))
    _q2_kernel(
        kpts,
        _stencil(spec.q_step),
        *_bond_arrays(model),
        spec.nocc,
        freqs,
        eta,
        comps,
        shift_power,
        int(gauge_seed),
        para,
        dia,
        k0,
        diag,
    )
    return para.sum(axis=0), dia.sum(axis=0), k0.sum(axis=0), diag.min(axis=0)


def q2_partial(
    model: TightBindingModel,
    n: int | Sequence[int],
    rows: Rows,
    omega: FloatArray,
    *,
    eta: float | FloatArray,
    sigma_l: Sequence[str] = ("xzy",),
    sigma_k: Sequence[str] = (),
    filling: int | None = None,
    shift: float = 0.5,
    max_k_points: int = MAX_K_POINTS,
    gauge_seed: int = 0,
) -> Q2Partial:
    """The kernel sums of :func:`q2_conductivity` over the grid rows r0 <= i_0 < r1.

    Parameters as :func:`q2_conductivity`; ``rows`` = (r0, r1). No gap check here:
    :func:`q2_reduce` judges the whole grid.
    """
    spec = _q2_inputs(model, n, omega, eta, sigma_l, sigma_k, filling, max_k_points)
    kpts = row_kpoints(model, spec.ns, shift, rows)
    para, dia, k0, diag = _kernel_sums(model, kpts, spec, spec.omega, spec.eta, 0, gauge_seed)
    dpara = None
    if spec.derivative:
        dp, _, _, _ = _kernel_sums(model, kpts, spec, np.zeros(1), np.zeros(1), 1, gauge_seed)
        dpara = dp[0]
    return Q2Partial(
        rows=(int(rows[0]), int(rows[1])),
        npts=int(kpts.shape[0]),
        comps=spec.comps,
        para=para,
        dia=dia,
        k0=k0,
        dpara=dpara,
        gap=float(diag[0]),
        min_splitting=float(diag[1]),
    )


def q2_reduce(
    model: TightBindingModel,
    n: int | Sequence[int],
    omega: FloatArray,
    partials: Sequence[Q2Partial],
    *,
    eta: float | FloatArray,
    sigma_l: Sequence[str] = ("xzy",),
    sigma_k: Sequence[str] = (),
    filling: int | None = None,
    max_k_points: int = MAX_K_POINTS,
) -> Q2Result:
    """sigma_L, sigma_K of the whole grid from the partials of its row blocks (in row order).

    The other parameters must be those the partials were computed with. Raises
    :class:`NotAnInsulator` / :class:`InvalidInput` (gap, touching bands) as
    :func:`q2_conductivity` does, and ``ValueError`` when the partials do not tile the grid or
    hold other components or frequencies.
    """
    spec = _q2_inputs(model, n, omega, eta, sigma_l, sigma_k, filling, max_k_points)
    check_tiling(spec.ns, [p.rows for p in partials])
    nw, nc = spec.omega.shape[0], len(spec.comps)
    for p in partials:
        if p.comps != spec.comps or p.para.shape != (nw, nc):
            raise ValueError("q^2 partials of other components or frequencies")
        if spec.derivative and p.dpara is None:
            raise ValueError("a q^2 partial lacks the w-derivative at w = 0")
    npts = sum(p.npts for p in partials)
    if npts != int(np.prod(spec.ns)):
        raise ValueError(f"the partials hold {npts} k-points, the grid {spec.ns} more or less")
    para = np.sum(np.stack([p.para for p in partials]), axis=0)
    dia = np.sum(np.stack([p.dia for p in partials]), axis=0)
    k0 = np.sum(np.stack([p.k0 for p in partials]), axis=0)
    gap = min(p.gap for p in partials)
    split = min(p.min_splitting for p in partials)
    if gap <= DEGENERACY_TOL:
        require_gap(GapInfo(spec.nocc, 0.0, gap, gap), "the q^2 conductivity")
    if split <= DEGENERACY_TOL:
        raise InvalidInput(
            f"bands of equal occupation touch on this grid (splitting {split:.3g}); the per-pair "
            "q-expansion of the q^2 conductivity needs them apart",
            field=("model",),
            fix="lift the degeneracy (e.g. a small on-site difference) or use another model",
        )
    norm = -1.0 / (npts * model.cell_volume)  # -(q_e^2 / V_cell), q_e^2 = 1; area in 2D
    k2 = {c: norm * (para[:, i] + dia[i]) for i, c in enumerate(spec.comps)}
    dk2: dict[tuple[int, int, int, int], ComplexArray] = {}
    if spec.derivative:
        dpara = np.sum(np.stack([p.dpara for p in partials if p.dpara is not None]), axis=0)
        dk2 = {c: norm * dpara[i : i + 1] for i, c in enumerate(spec.comps)}
    w, zero = spec.omega, spec.zero

    def kk(
        b: int, a: int, j: int, m: int, table: dict[tuple[int, int, int, int], ComplexArray]
    ) -> ComplexArray:
        return table[(b, a, min(j, m), max(j, m))]

    out_l: dict[str, ComplexArray] = {}
    for c in spec.sigma_l:
        i = _AX[c[0]]
        if c[2] == "x":
            out_l[c] = (2.0 / 3.0) * (kk(i, 1, 0, 0, k2) - kk(i, 0, 0, 1, k2))
        else:
            out_l[c] = -(2.0 / 3.0) * (kk(i, 0, 1, 1, k2) - kk(i, 1, 0, 1, k2))
    out_k: dict[str, ComplexArray] = {}
    for c in spec.sigma_k:
        i = _AX[c[0]]
        idx = [_AX[x] for x in c[1:]]

        def sym(
            table: dict[tuple[int, int, int, int], ComplexArray], i: int = i, idx: list[int] = idx
        ) -> ComplexArray:
            tot: ComplexArray = np.zeros(1, dtype=np.complex128)
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
        gap=float(gap),
        min_splitting=float(split),
        q_step=spec.q_step,
        grid=spec.ns,
        eta=spec.eta,
    )


def q2_conductivity(
    model: TightBindingModel,
    n: int | Sequence[int],
    omega: FloatArray,
    *,
    eta: float | FloatArray,
    sigma_l: Sequence[str] = ("xzy",),
    sigma_k: Sequence[str] = (),
    filling: int | None = None,
    shift: float = 0.5,
    max_k_points: int = MAX_K_POINTS,
    gauge_seed: int = 0,
) -> Q2Result:
    """sigma_L^{izj}(w) and sigma_K^{i(ljk)}(w) of an insulator (see the module notes).

    Parameters
    ----------
    model : TightBindingModel
        A 2D model, or a 3D one with B along z (fields, currents and q in-plane; kz is summed
        over, the result is per unit volume).
    n : int or tuple of int
        k-grid per reciprocal direction (one size per dimension).
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

    Notes
    -----
    One row block over the whole grid (:func:`q2_partial`) and :func:`q2_reduce`: the code a
    split evaluation runs on blocks of rows.
    """
    ns = grid_sizes(model, n)
    kw: dict[str, Any] = {
        "eta": eta,
        "sigma_l": tuple(sigma_l),
        "sigma_k": tuple(sigma_k),
        "filling": filling,
        "max_k_points": max_k_points,
    }
    part = q2_partial(model, ns, (0, ns[0]), omega, shift=shift, gauge_seed=gauge_seed, **kw)
    return q2_reduce(model, ns, omega, [part], **kw)


# ---------------------------------------------------------------------------------------------
# chi_M(w) of eq 74: the paper's multipole route (gauge dependent at w != 0)
# ---------------------------------------------------------------------------------------------

#: Parts of chi_M^zz(w), eq 74: occ (eq 72, frequency independent), vv (line 1, M M / (Delta -
#: w)), itinerant (line 1, the w-dependent addition to M_mn), geo (line 2), atomic (line 3).
PARTS_CHI_M: Final[tuple[str, ...]] = ("occ", "vv", "itinerant", "geo", "atomic")


@dataclass(frozen=True)
class ChiMResult:
    """chi_M^zz(w) of eq 74 on a frequency grid (unit of the static chi, per area; per volume
    for a 3D model).

    ``parts[name]`` (W,) complex for :data:`PARTS_CHI_M`; ``chi`` their sum; ``min_modulus`` the
    smallest modulus of the gauge-fixing component (near 0: the gauge is singular, Chern phase);
    ``gap_info`` the band edges of the grid (model energy unit).
    """

    omega: FloatArray
    chi: ComplexArray
    parts: dict[str, ComplexArray]
    grid: tuple[int, ...]
    eta: FloatArray
    min_modulus: float
    gap_info: GapInfo | None = None


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


@dataclass(frozen=True)
class ChiMPartial:
    """The k-sums of chi_M^zz(w) (eq 74) over a block of grid rows (see :func:`chi_m_partial`).

    ``sums[part]`` (W,) complex, un-normalised (no 1/(N_k V_cell)), for :data:`PARTS_CHI_M`, or
    None when the block's direct gap closes (the reduction refuses the grid then); ``gap``: the
    block's valence maximum, conduction minimum and smallest direct gap; ``min_modulus``: the
    smallest modulus of the gauge-fixing component over the block (inf when not evaluated).
    """

    rows: Rows
    npts: int
    sums: dict[str, ComplexArray] | None
    gap: GapInfo
    min_modulus: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "rows": list(self.rows),
            "npts": self.npts,
            "sums": None
            if self.sums is None
            else {p: _complex_list(v) for p, v in self.sums.items()},
            "gap": [
                self.gap.n_occ,
                self.gap.valence_max,
                self.gap.conduction_min,
                self.gap.direct_gap_min,
            ],
            "min_modulus": _finite_or_none(self.min_modulus),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ChiMPartial:
        """Inverse of :meth:`to_dict`."""
        r0, r1 = d["rows"]
        sums = d["sums"]
        nocc, vmax, cmin, dmin = d["gap"]
        return cls(
            rows=(int(r0), int(r1)),
            npts=int(d["npts"]),
            sums=None
            if sums is None
            else {p: _complex_of(sums[p], (len(sums[p]["real"]),)) for p in PARTS_CHI_M},
            gap=GapInfo(int(nocc), _num(vmax), _num(cmin), _num(dmin)),
            min_modulus=_min_of(d["min_modulus"]),
        )


def _chi_m_inputs(
    model: TightBindingModel,
    n: int | Sequence[int],
    omega: FloatArray,
    eta: float | FloatArray,
    max_k_points: int,
) -> tuple[tuple[int, ...], FloatArray, FloatArray]:
    if not np.all(np.isfinite(eta)) or np.any(np.asarray(eta) < 0):
        raise InvalidInput("eta (hbar 0+) must be finite and >= 0", field=("eta",))
    ns = grid_sizes(model, n)
    check_k_points(int(np.prod(ns)), max_k_points)
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    etas = np.broadcast_to(np.asarray(eta, dtype=np.float64), w.shape).copy()
    return ns, w, etas


def chi_m_partial(
    model: TightBindingModel,
    n: int | Sequence[int],
    rows: Rows,
    omega: FloatArray,
    *,
    eta: float | FloatArray,
    filling: int | None = None,
    shift: float = 0.5,
    chunk: int = 4096,
    max_k_points: int = MAX_K_POINTS,
    orbitals: NDArray[np.int64] | None = None,
    phase: PhaseFunction | None = None,
) -> ChiMPartial:
    """The k-sums of :func:`chi_m_paper` over the grid rows r0 <= i_0 < r1.

    Parameters as :func:`chi_m_paper`. The block's band edges come from one diagonalisation per
    k-point before the band jets; where the block's direct gap closes the sums are skipped (the
    jets divide by E_n - E_m) and :func:`chi_m_reduce` refuses the grid.
    """
    ns, w, etas = _chi_m_inputs(model, n, omega, eta, max_k_points)
    nocc = occupied_count(model, filling)
    kpts = row_kpoints(model, ns, shift, rows)
    vmax, cmin, dmin = -np.inf, np.inf, np.inf
    for s0 in range(0, kpts.shape[0], chunk):
        e, _ = eigh_batched(bloch_derivatives(model, kpts[s0 : s0 + chunk], order=0).h)
        vmax = max(vmax, float(e[:, nocc - 1].max()))
        cmin = min(cmin, float(e[:, nocc].min()))
        dmin = min(dmin, float((e[:, nocc] - e[:, nocc - 1]).min()))
    gap = GapInfo(nocc, vmax, cmin, dmin)
    rr = (int(rows[0]), int(rows[1]))
    if dmin <= GAP_TOL:
        return ChiMPartial(rr, int(kpts.shape[0]), None, gap, float("inf"))
    orb = gauge_orbitals(model) if orbitals is None else np.asarray(orbitals, dtype=np.int64)
    tot = {p: np.zeros(w.shape[0], dtype=np.complex128) for p in PARTS_CHI_M}
    minmod = np.inf
    for s0 in range(0, kpts.shape[0], chunk):
        kc = kpts[s0 : s0 + chunk]
        jet = band_jet(model, kc, orb, None if phase is None else phase(kc))
        minmod = min(minmod, jet.min_modulus)
        for p, val in _chi_m_chunk(jet, nocc, w, etas).items():
            tot[p] += val
    return ChiMPartial(rr, int(kpts.shape[0]), tot, gap, float(minmod))


def chi_m_reduce(
    model: TightBindingModel,
    n: int | Sequence[int],
    omega: FloatArray,
    partials: Sequence[ChiMPartial],
    *,
    eta: float | FloatArray,
    max_k_points: int = MAX_K_POINTS,
) -> ChiMResult:
    """chi_M^zz(w) of the whole grid from the partials of its row blocks (in row order).

    Raises :class:`NotAnInsulator` when the grid has no gap (as :func:`chi_m_paper`) and
    ``ValueError`` when the partials do not tile the grid.
    """
    ns, w, etas = _chi_m_inputs(model, n, omega, eta, max_k_points)
    check_tiling(ns, [p.rows for p in partials])
    info = GapInfo(
        partials[0].gap.n_occ,
        max(p.gap.valence_max for p in partials),
        min(p.gap.conduction_min for p in partials),
        min(p.gap.direct_gap_min for p in partials),
    )
    require_gap(info, "chi_M(w)")
    npts = sum(p.npts for p in partials)
    if npts != int(np.prod(ns)):
        raise ValueError(f"the partials hold {npts} k-points, the grid {ns} more or less")
    sums = [p.sums for p in partials]
    if any(s is None for s in sums):  # pragma: no cover - a closed direct gap closes the gap
        raise ValueError("a chi_M block without sums on a gapped grid")
    norm = 1.0 / (npts * model.cell_volume)
    parts = {
        p: norm * np.sum(np.stack([s[p] for s in sums if s is not None]), axis=0)
        for p in PARTS_CHI_M
    }
    if any(v.shape != w.shape for v in parts.values()):
        raise ValueError("chi_M partials of other frequencies")
    return ChiMResult(
        omega=w,
        chi=np.sum(np.stack(list(parts.values())), axis=0),
        parts=parts,
        grid=ns,
        eta=etas,
        min_modulus=float(min(p.min_modulus for p in partials)),
        gap_info=info,
    )


def chi_m_paper(
    model: TightBindingModel,
    n: int | Sequence[int],
    omega: FloatArray,
    *,
    eta: float | FloatArray,
    filling: int | None = None,
    shift: float = 0.5,
    chunk: int = 4096,
    max_k_points: int = MAX_K_POINTS,
    orbitals: NDArray[np.int64] | None = None,
    phase: PhaseFunction | None = None,
) -> ChiMResult:
    """chi_M^zz(w) of eq 74 as printed (spinless) in the paper's gauge (multipole.band_jet).

    Line 1 with f_nm and (Delta_mn - hbar(w + i 0+)); line 2 with the ordinary-derivative curl
    Omega_nm (diagonal: the Berry curvature); line 3 with the ordinary d_a d_c v^d_nm of
    :mod:`core.crystal.multipole`; chi_occ of eq 72 with the Hessian operator in place of
    hbar^2/m (as in :func:`susceptibility.chi_1`). At w = 0 lines 1 and 2 are chi_VV + chi_geo
    (eqs 71, 73) and line 3 vanishes, so chi_M(0) = chi_1 = chi_static (trivial insulators). At
    w != 0 the tensor depends on the gauge (section VI, the paper's point): ``phase(k) -> (theta,
    grad theta, Hessian)`` per band changes it. For the zz component the w-dependent term of line
    2 vanishes identically (Om_nm Om_mn is symmetric under n <-> m).

    2D models, or 3D ones with B along z: every index of eq 74 for kl = zz is in-plane
    (eps^{zab}, M^z, Omega^z, eps^{zcd} eps^{zab}), so the 3D integrand at each k is the 2D one
    with kz a parameter and the 3D chi_M^zz is the sum over the 3D grid, per unit volume (the
    (2 pi)^3 of eq 74). The gauge condition is imposed per k-point, and no kz-derivative enters.

    One row block over the whole grid (:func:`chi_m_partial`) and :func:`chi_m_reduce`.
    """
    ns, _, _ = _chi_m_inputs(model, n, omega, eta, max_k_points)
    part = chi_m_partial(
        model,
        ns,
        (0, ns[0]),
        omega,
        eta=eta,
        filling=filling,
        shift=shift,
        chunk=chunk,
        max_k_points=max_k_points,
        orbitals=orbitals,
        phase=phase,
    )
    return chi_m_reduce(model, ns, omega, [part], eta=eta, max_k_points=max_k_points)
