"""Band-basis k-derivatives in a fixed gauge and the multipole matrix elements (Duff & Sipe, sec. V).

Units and conventions
---------------------
As :mod:`core.crystal.susceptibility`: hbar = 1, e = 1 with electron charge q = -1 (the paper's
``e`` is :data:`QE` = -1), c -> 1 (SI form of the magnetic formulas), energies in the model
energy unit, lengths in the model length unit; 2D models (the in-plane components a, b in {x, y};
the magnetic components are along z). Spinless models: S_nm = 0 in eqs 60 and 69.

Derivatives without finite differences
---------------------------------------
In a tight-binding model the eigenvectors u_n(k) (atomic convention of eq 95) form a complete
basis of C^N, so d_a u_m = -i sum_l u_l xi^a_lm exactly and every matrix element of an operator
O(k) obeys

    d_a O_nm = (d_a O)_nm + i [xi^a, O]_nm                        (xi: the full Berry connection).

With O = H this is eq 107 (off-diagonal) and v_nn = d E_n (diagonal); with O = v^b it gives the
ordinary derivative of xi (equivalent to sum rule 102 with eq 86):

    d_a xi^b_nm = [w^ab_nm + i [xi^a, v^b]_nm - i xi^b_nm (v^a_nn - v^a_mm)] / (i (E_n - E_m)),

and once more the ordinary second derivative of the velocity matrix elements (eq 74, line 3;
eq 104 is the same identity written for the covariant derivatives):

    d_a d_c v^d_nm = g^{dca}_nm + i [xi^a, w^dc]_nm + i [d_a xi^c, v^d]_nm + i [xi^c, d_a v^d]_nm,
    d_a v^d = w^da + i [xi^a, v^d].

The diagonal elements xi^a_nn and d_a xi^b_nn are gauge dependent: they follow from the gauge
condition. The paper's gauge (eqs 98-101, generalised as in :func:`susceptibility.fix_gauge`):
the component j_n of band n with the largest Brillouin-zone weight is real and positive. Then
Im d_a U_{j n} = 0 and Im d_a d_b U_{j n} = 0 with d_a U = -i U xi^a and
d_a d_b U = -U xi^a xi^b - i U d_a xi^b give

    xi^a_nn     = -Re[sum_{m != n} U_{j m} xi^a_mn] / U_{j n},
    d_a xi^b_nn = Im[-(U xi^a xi^b)_{j n} - i sum_{m != n} U_{j m} d_a xi^b_mn] / U_{j n}.

A smooth periodic phase u_n -> e^{i theta_n(k)} u_n on top (``phase``: theta, grad theta and
the Hessian of theta per band) shifts xi_nn by -d theta_n and d_a xi^b_nn by -d_a d_b theta_n;
the off-diagonal elements follow from the re-phased eigenvectors. This is how the tests change
the gauge of the non-purified tensors.

Needs: the Tressian g (eq 105) from the hopping list (analytic), non-degenerate bands (1/(E_n -
E_m) for all n != m), and a gauge without vortices (trivial insulators; in a Chern insulator
U_{j n} vanishes somewhere, ``min_modulus`` says how close the grid came). Any number of bands.

References: :data:`core.references.DUFF_SIPE` eqs 60-69, 86-88, 102-107.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from core.crystal.bloch import bloch_derivatives, eigh_batched, to_band_basis
from core.crystal.model import TightBindingModel
from core.crystal.susceptibility import fix_gauge

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

#: The paper's e: the electron charge in natural units.
QE: Final = -1.0
#: eps^{zab} for a, b in {x, y}.
EPS2: Final = np.array([[0.0, 1.0], [-1.0, 0.0]])


@dataclass(frozen=True)
class BandJet:
    """Band-basis quantities and their k-derivatives on K points (2D, N bands, fixed gauge).

    Attributes (all per k-point, band indices last)
    ----------
    e : (K, N) energies; de : (K, 2, N) d_a E_n; d2e : (K, 2, 2, N) d_a d_b E_n
    u : (K, N, N) eigenvectors (columns) in the gauge
    v : (K, 2, N, N) eq 106; w : (K, 2, 2, N, N) eq 103; g : (K, 2, 2, 2, N, N) eq 105
    xi : (K, 2, N, N) full Berry connection (diagonal from the gauge)
    dxi : (K, 2, 2, N, N) [a, b] = d_a xi^b (ordinary derivative, diagonal from the gauge)
    dv : (K, 2, 2, N, N) [a, d] = d_a v^d
    d2v : (K, 2, 2, 2, N, N) [a, c, d] = d_a d_c v^d (ordinary)
    min_modulus : float, the smallest |U_{j n}| of the gauge condition on these points
    d2xi : (K, 2, 2, 2, N, N) [a, b, c] = d_a d_b xi^c (ordinary; diagonal from the third-order
        gauge condition); None when a gauge change ``phase`` came without its third derivatives
    """

    e: FloatArray
    de: FloatArray
    d2e: FloatArray
    u: ComplexArray
    v: ComplexArray
    w: ComplexArray
    g: ComplexArray
    xi: ComplexArray
    dxi: ComplexArray
    dv: ComplexArray
    d2v: ComplexArray
    min_modulus: float
    d2xi: ComplexArray | None = None


def _comm(a: ComplexArray, b: ComplexArray) -> ComplexArray:
    return a @ b - b @ a


def _dv_d2v(
    xi: ComplexArray, dxi: ComplexArray, v: ComplexArray, w: ComplexArray, g: ComplexArray
) -> tuple[ComplexArray, ComplexArray]:
    """d_a v^d = w^da + i[xi^a, v^d] and d_a d_c v^d (ordinary, module notes); [a, d], [a, c, d]."""
    nk, nb = v.shape[0], v.shape[-1]
    dv = np.empty((nk, 2, 2, nb, nb), dtype=np.complex128)
    for a in range(2):
        for d in range(2):
            dv[:, a, d] = w[:, d, a] + 1j * _comm(xi[:, a], v[:, d])
    d2v = np.empty((nk, 2, 2, 2, nb, nb), dtype=np.complex128)
    for a in range(2):
        for c in range(2):
            for d in range(2):
                d2v[:, a, c, d] = (
                    g[:, d, c, a]
                    + 1j * _comm(xi[:, a], w[:, d, c])
                    + 1j * _comm(dxi[:, a, c], v[:, d])
                    + 1j * _comm(xi[:, c], dv[:, a, d])
                )
    return dv, d2v


def _d2xi_off(
    v: ComplexArray,
    dxi: ComplexArray,
    xi: ComplexArray,
    dv: ComplexArray,
    d2v: ComplexArray,
    inv: FloatArray,
) -> ComplexArray:
    """Off-diagonal d_a d_b xi^c_nm, [a, b, c] (ordinary), from d_a d_b of i (E_n - E_m) xi_nm = v_nm.

    i(E_n - E_m) d_a d_b xi^c = d_a d_b v^c - i d_a d_b(E_n - E_m) xi^c - i d_a(E_n - E_m) d_b xi^c
    - i d_b(E_n - E_m) d_a xi^c (the ordinary-derivative form of eq D4). Diagonal left zero.
    """
    nk, nb = v.shape[0], v.shape[-1]
    e1 = np.real(np.diagonal(v, axis1=-2, axis2=-1))  # (K, 2, N): d_a E_n
    e2 = np.real(np.diagonal(dv, axis1=-2, axis2=-1))  # (K, 2, 2, N): d_a d_b E_n
    d1 = e1[..., :, None] - e1[..., None, :]  # d_a (E_n - E_m)
    d2 = e2[..., :, None] - e2[..., None, :]
    out = np.empty((nk, 2, 2, 2, nb, nb), dtype=np.complex128)
    for a in range(2):
        for b in range(2):
            for c in range(2):
                num = (
                    d2v[:, a, b, c]
                    - 1j * d2[:, a, b] * xi[:, c]
                    - 1j * d1[:, a] * dxi[:, b, c]
                    - 1j * d1[:, b] * dxi[:, a, c]
                )
                out[:, a, b, c] = num * inv / 1j
    return out


def band_jet(
    model: TightBindingModel,
    k: FloatArray,
    orbitals: NDArray[np.int64],
    phase: tuple[FloatArray, FloatArray, FloatArray] | None = None,
) -> BandJet:
    """The :class:`BandJet` of a 2D model at k-points ``k`` (K, 2) in the paper's gauge.

    ``orbitals[n]`` is the orbital made real and positive in band n; ``phase`` = (theta (K, N),
    grad theta (K, 2, N), Hessian (K, 2, 2, N)) adds a smooth gauge change (see module notes).
    """
    bd = bloch_derivatives(model, k, order=3)
    assert bd.dh is not None and bd.d2h is not None and bd.d3h is not None
    e, u0 = eigh_batched(bd.h)
    u, mod = fix_gauge(u0, orbitals)
    nk, nb = e.shape
    idx = np.arange(nb)
    off = ~np.eye(nb, dtype=bool)
    dnm = e[:, :, None] - e[:, None, :]  # E_n - E_m
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(off, 1.0 / np.where(off, dnm, 1.0), 0.0)  # 1/(E_n - E_m)

    dh, d2h, d3h = bd.dh, bd.d2h, bd.d3h

    def band(uu: ComplexArray) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
        v = to_band_basis(uu, dh[:, :2])
        w = to_band_basis(uu, d2h[:, :2, :2])
        g = to_band_basis(uu, d3h[:, :2, :2, :2])
        return v, w, g

    v, w, g = band(u)
    xo = v * inv[:, None] / 1j  # eq 107 off-diagonal
    # xi_nn from Im d_a U_{j n} = 0 (see module notes)
    uj = u[:, orbitals, :]  # uj[k, n, m] = U_{j_n, m}
    xdiag = -np.real(np.einsum("knm,kamn->kan", uj, xo)) / mod[:, None, :]
    xi = xo.copy()
    xi[:, :, idx, idx] = xdiag
    de = np.real(v[:, :, idx, idx])

    def dxi_off(xi_: ComplexArray, v_: ComplexArray, w_: ComplexArray) -> ComplexArray:
        out = np.empty((nk, 2, 2, nb, nb), dtype=np.complex128)
        vd = np.real(v_[:, :, idx, idx])
        for a in range(2):
            dva = vd[:, a, :, None] - vd[:, a, None, :]
            for b in range(2):
                num = w_[:, a, b] + 1j * _comm(xi_[:, a], v_[:, b]) - 1j * xi_[:, b] * dva
                out[:, a, b] = num * inv / 1j
        return out

    dxi = dxi_off(xi, v, w)
    # diagonal d_a xi^b_nn from Im d_a d_b U_{j n} = 0
    for a in range(2):
        for b in range(2):
            uxx = u @ xi[:, a] @ xi[:, b]  # (K, orbital, band)
            t1 = uxx[:, orbitals, idx]  # (U xi^a xi^b)_{j_n n}
            offd = np.where(off, dxi[:, a, b], 0.0)
            t2 = np.einsum("knm,kmn->kn", uj, offd)
            dxi[:, a, b, idx, idx] = np.imag(-t1 - 1j * t2) / mod
    dv, d2v = _dv_d2v(xi, dxi, v, w, g)
    d2xi0 = _d2xi_off(v, dxi, xi, dv, d2v, inv)
    # diagonal d_a d_b xi^c_nn from Im d_a d_b d_c U_{j n} = 0 (module notes)
    for a in range(2):
        for b in range(2):
            for c in range(2):
                t = (
                    1j * (u @ xi[:, a] @ xi[:, b] @ xi[:, c])
                    - u @ dxi[:, a, b] @ xi[:, c]
                    - u @ xi[:, b] @ dxi[:, a, c]
                    - u @ xi[:, a] @ dxi[:, b, c]
                )[:, orbitals, idx]
                offd = np.where(off, d2xi0[:, a, b, c], 0.0)
                t2 = np.einsum("knm,kmn->kn", uj, offd)
                d2xi0[:, a, b, c, idx, idx] = np.imag(t - 1j * t2) / mod
    d2xi: ComplexArray | None = d2xi0
    if phase is not None:
        theta, gth, hth = phase[0], phase[1], phase[2]
        tth = phase[3] if len(phase) > 3 else None
        ph = np.exp(1j * theta)  # (K, N)
        u = u * ph[:, None, :]
        v, w, g = band(u)
        xi_d = xi[:, :, idx, idx].real - gth
        xi = v * inv[:, None] / 1j
        xi[:, :, idx, idx] = xi_d
        dd = dxi[:, :, :, idx, idx].real - hth
        dxi = dxi_off(xi, v, w)
        dxi[:, :, :, idx, idx] = dd
        dv, d2v = _dv_d2v(xi, dxi, v, w, g)
        if tth is None:
            d2xi = None
        else:
            d3 = d2xi0[:, :, :, :, idx, idx].real - tth
            d2xi = _d2xi_off(v, dxi, xi, dv, d2v, inv)
            d2xi[:, :, :, :, idx, idx] = d3
    d2e = np.real(
        np.stack([np.stack([dv[:, a, b][:, idx, idx] for b in range(2)], 1) for a in range(2)], 1)
    )
    return BandJet(e, de, d2e, u, v, w, g, xi, dxi, dv, d2v, float(mod.min()), d2xi)


def magnetization_elements(jet: BandJet) -> ComplexArray:
    """M^z_nm of eq 60 (spinless), shape (K, N, N), unit e E_u L_u^2 / hbar (c -> 1).

    M^l_nm = (e/4) eps^{lab} [sum_s (xi^a_ns v^b_sm + v^b_ns xi^a_sm) + d_b(E_n + E_m) xi^a_nm]
    (the sum over s includes s = n, m: the form is not gauge covariant, as the paper says).
    """
    out = np.zeros((*jet.e.shape, jet.e.shape[1]), dtype=np.complex128)
    for a in range(2):
        for b in range(2):
            s = EPS2[a, b]
            if s == 0.0:
                continue
            xa = jet.xi[:, a]
            vb = jet.v[:, b]
            de = jet.de[:, b]
            out += s * (xa @ vb + vb @ xa + (de[:, :, None] + de[:, None, :]) * xa)
    res: ComplexArray = np.asarray(0.25 * QE * out, dtype=np.complex128)
    return res


def quadrupole_elements(jet: BandJet) -> ComplexArray:
    """Q_P^{ij}_nm of eq 64, shape (K, 2, 2, N, N): (e/4) sum_s (xi^i_ns xi^j_sm + xi^j_ns xi^i_sm)."""
    xi = jet.xi
    out = np.empty((xi.shape[0], 2, 2, *xi.shape[2:]), dtype=np.complex128)
    for i in range(2):
        for j in range(2):
            out[:, i, j] = 0.25 * QE * (xi[:, i] @ xi[:, j] + xi[:, j] @ xi[:, i])
    return out


def berry_curl_elements(jet: BandJet) -> ComplexArray:
    """Omega^z_nm = eps^{zab} d_a xi^b_nm (ordinary derivatives, after eq 73), shape (K, N, N)."""
    out: ComplexArray = jet.dxi[:, 0, 1] - jet.dxi[:, 1, 0]
    return out


def octupole_elements(jet: BandJet) -> ComplexArray:
    """O_P^{abc}_nm of eq 65, shape (K, 2, 2, 2, N, N), unit e L_u^3 (needs ``jet.d2xi``).

    O^{abc} = (e/36) sum_{perms of abc} [ (xi^a xi^b xi^c)_nm + (i/2)(xi^a d_b xi^c - d_b xi^a
    xi^c)_nm - d_a d_b xi^c_nm ] with full sums over intermediate bands (diagonal xi included:
    gauge dependent, as the paper says) and ordinary derivatives. Totally symmetric, Hermitian.
    """
    if jet.d2xi is None:
        raise ValueError("octupole_elements needs d_a d_b xi (a phase with third derivatives)")
    xi, dxi, d2xi = jet.xi, jet.dxi, jet.d2xi
    nk, nb = xi.shape[0], xi.shape[-1]
    out = np.zeros((nk, 2, 2, 2, nb, nb), dtype=np.complex128)
    perms = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))
    for a in range(2):
        for b in range(a, 2):
            for c in range(b, 2):
                idx = (a, b, c)
                acc = np.zeros((nk, nb, nb), dtype=np.complex128)
                for p in perms:
                    x, y, z = idx[p[0]], idx[p[1]], idx[p[2]]
                    acc += xi[:, x] @ xi[:, y] @ xi[:, z]
                    acc += 0.5j * (xi[:, x] @ dxi[:, y, z] - dxi[:, y, x] @ xi[:, z])
                    acc -= d2xi[:, x, y, z]
                acc *= QE / 36.0
                for p in perms:
                    out[:, idx[p[0]], idx[p[1]], idx[p[2]]] = acc
    return out


def magnetic_quadrupole_elements(jet: BandJet) -> ComplexArray:
    """Q_M^{zj}_nm of eq 69 (spinless, 2D: i = z), shape (K, 2, N, N), unit e E_u L_u^3 / hbar.

    Q_M^{zj} = (e/12) eps^{zab} [ xi^j (xi^a v^b + v^b xi^a) + (xi^a v^b + v^b xi^a) xi^j
    + i (v^b d_a xi^j - d_a xi^j v^b) ]_nm + (i e/12) eps^{zab} d_j d_a (E_n - E_m) xi^b_nm
    (full band sums, ordinary derivatives; Hermitian).
    """
    xi, v, dxi = jet.xi, jet.v, jet.dxi
    nk, nb = xi.shape[0], xi.shape[-1]
    d2 = jet.d2e[..., :, None] - jet.d2e[..., None, :]  # d_a d_b (E_n - E_m)
    out = np.zeros((nk, 2, nb, nb), dtype=np.complex128)
    for j in range(2):
        for a in range(2):
            for b in range(2):
                s = EPS2[a, b]
                if s == 0.0:
                    continue
                xv = xi[:, a] @ v[:, b] + v[:, b] @ xi[:, a]
                out[:, j] += (
                    (QE / 12.0)
                    * s
                    * (
                        xi[:, j] @ xv
                        + xv @ xi[:, j]
                        + 1j * (v[:, b] @ dxi[:, a, j] - dxi[:, a, j] @ v[:, b])
                    )
                )
                out[:, j] += (1j * QE / 12.0) * s * d2[:, j, a] * xi[:, b]
    return out
