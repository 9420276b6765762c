"""Band geometry: Berry connection, curvature, quantum metric, Chern number, magnetisation (Duff & Sipe).

Units and conventions
---------------------
Model units (hbar = 1, charge q = -1); k in inverse model length. Bloch functions in the atomic
convention (:mod:`core.crystal.model`). Definitions:

- off-diagonal Berry connection (eq 107): xi^a_nm = v^a_nm / (i Delta_nm), Delta_nm = E_n - E_m;
- Berry curvature, Kubo form: Omega_n = i sum_{m != n} (xi^x_nm xi^y_mn - xi^y_nm xi^x_mn)
  = -2 Im sum_{m != n} v^x_nm v^y_mn / (E_n - E_m)^2   (= d_x xi^y_nn - d_y xi^x_nn);
- quantum metric: g^ab_n = Re sum_{m != n} xi^a_nm xi^b_mn;
- Chern number of a set of bands: Fukui-Hatsugai-Suzuki lattice field strength
  F = -arg(U_1(k) U_2(k + d1) U_1(k + d2)^-1 U_2(k)^-1), U = det <u(k)|u(k')>, summed over
  plaquettes / 2 pi (an integer by construction when the bands are separated by a gap; the gap
  on the grid is checked). The minus sign makes C = (1/2 pi) int Omega_n d^2k with the Kubo
  curvature above (FHS's own sign convention differs). The boundary links use u(k + G) = diag(e^{-i G.tau}) u(k);
- ground-state orbital magnetisation (eq 58, spinless), with the mu term of the modern theory
  that matters for Chern insulators:
  M^z = -e Im sum_{n occ, s != n} int (E_n + E_s - 2 mu) xi^x_ns xi^y_sn  (e = electron charge).

Reference: T. Fukui, Y. Hatsugai and H. Suzuki, J. Phys. Soc. Jpn. 74, 1674 (2005),
doi:10.1143/JPSJ.74.1674; :data:`core.references.DUFF_SIPE`, eqs 58, 102-107.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from core.crystal.bloch import (
    CHUNK_POINTS,
    MAX_K_POINTS,
    bloch_derivatives,
    check_k_points,
    eigh_batched,
    monkhorst_grid,
    occupied_count,
    to_band_basis,
)
from core.crystal.model import TightBindingModel
from core.crystal.susceptibility import GAP_TOL, HAVE_NUMBA, grid_eigensystem, require_gap, scan_gap

if HAVE_NUMBA:
    from core.crystal.susceptibility import _fhs_band_phases
from core.errors import InvalidInput, LimitExceeded, NotAnInsulator

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

#: Memory bound of the eigenvectors held for the FHS Chern number (bytes).
FHS_MAX_BYTES: Final = 1 << 30

#: Smallest band separation (model energy unit) used in 1/(E_n - E_m); closer pairs are treated
#: as one degenerate subspace and contribute nothing to each other's geometry.
DEGENERACY_TOL: Final = 1e-9


def band_matrices(
    model: TightBindingModel,
    k: FloatArray,
    order: int = 1,
    u: ComplexArray | None = None,
    u_transform=None,
):
    """Energies, eigenvectors and band-basis derivative matrices at k-points (K, D).

    Returns (E (K,N), U (K,N,N), v (K,D,N,N), w (K,D,D,N,N) or None, g (K,D,D,D,N,N) or None).
    ``u`` may be given to use a particular gauge (e.g. in gauge-invariance tests).
    """
    bd = bloch_derivatives(model, k, order=order)
    e, u0 = eigh_batched(bd.h)
    uu = u0 if u is None else u
    if u_transform is not None:
        uu = u_transform(k, e, uu)
    assert bd.dh is not None
    v = to_band_basis(uu, bd.dh)
    w = to_band_basis(uu, bd.d2h) if bd.d2h is not None else None
    g = to_band_basis(uu, bd.d3h) if bd.d3h is not None else None
    return e, uu, v, w, g


def inverse_gaps(e: FloatArray) -> FloatArray:
    """inv[k, n, m] = 1 / (E_n - E_m) for |E_n - E_m| > DEGENERACY_TOL, else 0."""
    d = e[:, :, None] - e[:, None, :]
    ok = np.abs(d) > DEGENERACY_TOL
    return np.where(ok, 1.0 / np.where(ok, d, 1.0), 0.0)


def berry_connection_offdiag(e: FloatArray, v: ComplexArray) -> ComplexArray:
    """xi^a_nm = v^a_nm / (i (E_n - E_m)) for non-degenerate pairs, 0 otherwise (eq 107)."""
    inv = inverse_gaps(e)
    return -1j * v * inv[:, None]


def curvature_and_metric(e: FloatArray, v: ComplexArray) -> tuple[FloatArray, FloatArray]:
    """Berry curvature Omega_n (K, N) and quantum metric g^ab_n (K, 2, 2, N) from the Kubo form.

    Notes
    -----
    Omega_n = -2 Im sum_{m != n} v^x_nm v^y_mn / (E_n - E_m)^2,
    g^ab_n = Re sum_{m != n} v^a_nm v^b_mn / (E_n - E_m)^2. Gauge invariant term by term.
    """
    inv = inverse_gaps(e)
    inv2 = inv * inv
    q = np.einsum("kanm,kbmn,knm->kabn", v[:, :2], v[:, :2], inv2)
    omega = -2.0 * q[:, 0, 1].imag
    return omega, q.real


def _link(a: ComplexArray, b: ComplexArray) -> ComplexArray:
    """det <a|b> for stacks of (N, n_sel) eigenvector blocks, normalised to unit modulus."""
    ov = np.conj(np.swapaxes(a, -1, -2)) @ b
    d = np.linalg.det(ov) if ov.shape[-1] > 1 else ov[..., 0, 0]
    mod = np.abs(d)
    return d / np.where(mod > 0, mod, 1.0)


@dataclass(frozen=True)
class ChernResult:
    """Chern numbers on an n1 x n2 grid."""

    per_band: NDArray[np.int64]
    per_band_raw: FloatArray
    occupied: int
    occupied_raw: float
    direct_gaps: FloatArray  # (N-1,) minimum gap above each band on the grid
    curvature_sum: FloatArray  # (n1, n2) lattice field strength of the occupied set (per plaquette)


def chern_fhs(
    model: TightBindingModel,
    n: int | tuple[int, int],
    *,
    filling: int | None = None,
    u_grid: ComplexArray | None = None,
    max_k_points: int = MAX_K_POINTS,
) -> ChernResult:
    """Chern numbers by the Fukui-Hatsugai-Suzuki method (2D models).

    Per band (for bands separated from their neighbours on the grid; else NaN raw / 0) and for
    the occupied set (``filling`` bands, default half). ``u_grid`` (n1*n2, N, N) may supply
    eigenvectors in any gauge (the result must not change).

    Raises
    ------
    NotAnInsulator
        When the occupied set touches the empty bands on the grid.
    """
    if model.dim != 2:
        raise InvalidInput("Chern numbers are defined here for 2D models", field=("model",))
    n1, n2 = (n, n) if isinstance(n, int) else n
    check_k_points(n1 * n2, max_k_points)
    nocc = occupied_count(model, filling)
    nb = model.norb
    if n1 * n2 * nb * nb * 16 > FHS_MAX_BYTES:
        allowed = FHS_MAX_BYTES // (16 * nb * nb)
        raise LimitExceeded(
            f"the Chern number needs all {n1 * n2} eigenvector sets of {nb} bands in memory; "
            f"at N = {nb} at most {allowed} k-points fit",
            limit_name="max_k_points",
            limit=allowed,
            requested=n1 * n2,
            field=("grid", "n"),
            fix="use a coarser grid (FHS is exact on coarse grids while the gap stays open)",
        )
    e, u = grid_eigensystem(model, (n1, n2))
    if u_grid is not None:
        u = u_grid
    gaps = (e[:, 1:] - e[:, :-1]).min(axis=0)
    vmax, cmin = e[:, nocc - 1].max(), e[:, nocc].min()
    if gaps[nocc - 1] <= GAP_TOL:
        raise NotAnInsulator(
            f"the gap above band {nocc - 1} closes on the {n1}x{n2} grid "
            f"(minimum direct gap {gaps[nocc - 1]:.3g})",
            gap=float(cmin - vmax),
            field=("model",),
            fix="move away from the gap closing (e.g. |t2 sin phi| = M/(3 sqrt 3) in Haldane)",
        )
    u = u.reshape(n1, n2, nb, nb)
    # boundary twist: u(k + b_i) = diag(exp(-i b_i . tau)) u(k)
    rec = model.reciprocal
    tw1 = np.exp(-1j * (model.positions @ rec[0]))
    tw2 = np.exp(-1j * (model.positions @ rec[1]))
    f_band = np.empty((n1, n2, nb))
    if HAVE_NUMBA:
        _fhs_band_phases(np.ascontiguousarray(u), tw1, tw2, f_band)
    if nocc > 1 or not HAVE_NUMBA:
        u1 = np.roll(u, -1, axis=0).copy()
        u1[-1] = tw1[None, :, None] * u[0]
        u2 = np.roll(u, -1, axis=1).copy()
        u2[:, -1] = tw2[None, :, None] * u[:, 0]
        u12 = np.roll(u1, -1, axis=1).copy()
        u12[:, -1] = tw2[None, :, None] * u1[:, 0]
    if not HAVE_NUMBA:  # pragma: no cover

        def unit(z: ComplexArray) -> ComplexArray:
            mod = np.abs(z)
            return z / np.where(mod > 0, mod, 1.0)

        def band_links(p: ComplexArray, q: ComplexArray) -> ComplexArray:
            return unit((np.conj(p) * q).sum(axis=2))

        f_band = np.angle(
            band_links(u, u1)
            * band_links(u1, u12)
            * np.conj(band_links(u2, u12))
            * np.conj(band_links(u, u2))
        )
    # arg of the plaquette product is -(Berry flux) with A = i<u|grad u>, so the sign is flipped
    # to give C = (1/2pi) int Omega d^2k (the convention of the Kubo curvature here)
    f_band = -f_band
    raw = np.full(nb, np.nan)
    for b in range(nb):
        below = gaps[b - 1] if b > 0 else np.inf
        above = gaps[b] if b < nb - 1 else np.inf
        if min(below, above) > GAP_TOL:
            raw[b] = f_band[..., b].sum() / (2 * np.pi)
    if nocc == 1:
        f_occ = f_band[..., 0]
    else:
        sel = slice(0, nocc)
        f_occ = -np.angle(
            _link(u[..., sel], u1[..., sel])
            * _link(u1[..., sel], u12[..., sel])
            * np.conj(_link(u2[..., sel], u12[..., sel]))
            * np.conj(_link(u[..., sel], u2[..., sel]))
        )
    occ_raw = f_occ.sum() / (2 * np.pi)
    per_band = np.where(np.isfinite(raw), np.rint(np.nan_to_num(raw)), 0).astype(np.int64)
    return ChernResult(per_band, raw, int(np.rint(occ_raw)), float(occ_raw), gaps, f_occ)


@dataclass(frozen=True)
class GeometryMaps:
    """Berry curvature and quantum metric of every band on a grid, plus grid integrals."""

    k: FloatArray  # (K, 2)
    energies: FloatArray  # (K, N)
    curvature: FloatArray  # (K, N)
    metric: FloatArray  # (K, 2, 2, N)
    curvature_chern: FloatArray  # (N,) int Omega_n d^2k / 2 pi (not quantised on a finite grid)


def geometry_maps(
    model: TightBindingModel,
    n: int | tuple[int, int],
    *,
    shift: float = 0.0,
    max_k_points: int = MAX_K_POINTS,
    chunk: int = CHUNK_POINTS,
    u_transform=None,
) -> GeometryMaps:
    """Berry curvature (Kubo form) and quantum metric on an n1 x n2 grid (2D)."""
    if model.dim != 2:
        raise InvalidInput("curvature maps are implemented for 2D models", field=("model",))
    n1, n2 = (n, n) if isinstance(n, int) else n
    check_k_points(n1 * n2, max_k_points)
    kpts, _ = monkhorst_grid(model, (n1, n2), shift)
    es, om, gm = [], [], []
    for s in range(0, kpts.shape[0], chunk):
        e, _, v, _, _ = band_matrices(model, kpts[s : s + chunk], u_transform=u_transform)
        o, g = curvature_and_metric(e, v)
        es.append(e)
        om.append(o)
        gm.append(g)
    e = np.concatenate(es)
    o = np.concatenate(om)
    g = np.concatenate(gm)
    bz = (2 * np.pi) ** 2 / model.cell_volume
    cc = o.mean(axis=0) * bz / (2 * np.pi)
    return GeometryMaps(kpts, e, o, g, cc)


def orbital_magnetization(
    model: TightBindingModel,
    n: int | tuple[int, ...],
    *,
    filling: int | None = None,
    shift: float = 0.5,
    chunk: int = CHUNK_POINTS,
    max_k_points: int = MAX_K_POINTS,
    u_transform=None,
) -> float:
    """Ground-state orbital magnetisation M^z per unit area (eq 58 plus the Chern mu term).

    Notes
    -----
    M^z = -e sum_{n occ} sum_{s != n} int d^2k/(2pi)^2 (E_n + E_s - 2 mu) Im(xi^x_ns xi^y_sn),
    e = -1 (electron), mu mid-gap. For a trivial insulator the mu term integrates to zero and this
    is eq 58 ((ie/2) eps^{zab} (E_n + E_s) xi^a_ns xi^b_sn = -e (E_n + E_s) Im xi^x_ns xi^y_sn).
    Natural units: e E_u / hbar (a current); SI by multiplying with e E_u[J] / hbar.
    """
    ns = (n,) * model.dim if isinstance(n, int) else tuple(n)
    check_k_points(int(np.prod(ns)), max_k_points)
    info = scan_gap(model, ns, filling, shift, chunk)
    require_gap(info, "the ground-state magnetisation")
    kpts, _ = monkhorst_grid(model, ns, shift)
    mu = info.mu
    tot = 0.0
    for s in range(0, kpts.shape[0], chunk):
        e, _, v, _, _ = band_matrices(model, kpts[s : s + chunk], u_transform=u_transform)
        xi = berry_connection_offdiag(e, v)
        prod = np.imag(xi[:, 0] * np.swapaxes(xi[:, 1], 1, 2))  # [k, n, s] Im xi^x_ns xi^y_sn
        wgt = e[:, :, None] + e[:, None, :] - 2 * mu
        tot += float((wgt * prod)[:, : info.n_occ, :].sum())
    qe = -1.0
    return -qe * tot / kpts.shape[0] / model.cell_volume


# ---------------------------------------------------------------------------------------------
# Sum rules 102 and 104
# ---------------------------------------------------------------------------------------------


def covariant_derivative_xi(e: FloatArray, v: ComplexArray, w: ComplexArray) -> ComplexArray:
    """D_a xi^b_nm by the sum rule of eq 102 (tight-binding form with the Hessian w).

    Returns (K, D, D, N, N) indexed [k, a, b, n, m]; entries with degenerate n, m are 0.

    Notes
    -----
    eq 102 (hbar = 1): D_a xi^b_nm = [(v^a_nn - v^a_mm) xi^b_nm + (v^b_nn - v^b_mm) xi^a_nm
    + sum_{l != n,m} (v^b_nl xi^a_lm - xi^a_nl v^b_lm) + i w^ab_nm] / Delta_mn, Delta_mn = E_m - E_n.
    Derived here from D_a v^b_nm = w^ab_nm + i sum_l (xi^a_nl v^b_lm - v^b_nl xi^a_lm) - i(xi^a_nn
    - xi^a_mm) v^b_nm and v_nm = i Delta_nm xi_nm: it agrees with the paper as printed.
    """
    nb = e.shape[1]
    inv = inverse_gaps(e)  # 1/(E_n - E_m)
    inv_mn = -inv  # 1/Delta_mn
    xi = berry_connection_offdiag(e, v)
    idx = np.arange(nb)
    vd = np.real(v[:, :, idx, idx])
    dv = vd[:, :, :, None] - vd[:, :, None, :]
    # xi is 0 on the diagonal and between degenerate pairs, so only l = n, l = m need removing
    t1 = np.einsum("kbnl,kalm->kabnm", v, xi) - np.einsum("kanl,kblm->kabnm", xi, v)
    # remove l = n and l = m terms (xi_nn = xi_mm = 0 here, but v_nn xi_nm terms must go):
    # l = n: v^b_nn xi^a_nm - xi^a_nn v^b_nm = v^b_nn xi^a_nm ; l = m: v^b_nm xi^a_mm - xi^a_nm v^b_mm
    t1 = (
        t1 - (vd[:, None, :, :, None] * xi[:, :, None]) + (xi[:, :, None] * vd[:, None, :, None, :])
    )
    out = (
        dv[:, :, None] * xi[:, None, :] + dv[:, None, :] * xi[:, :, None] + t1 + 1j * w
    ) * inv_mn[:, None, None]
    return out


def double_covariant_derivative_xi(
    e: FloatArray, v: ComplexArray, w: ComplexArray, g: ComplexArray, d2e: FloatArray
) -> ComplexArray:
    """D_c D_b xi^a_nm by the sum rule of eq 104, two-band models (the l' sums vanish).

    Returns (K, a, b, c, N, N).

    Notes
    -----
    eq 104 (hbar = 1, no l != n, m): D_c D_b xi^a_nm = [i g^abc_nm + (w^ab_nn - w^ab_mm) xi^c_nm
    - (Delta^a_mn D_c xi^b_nm + Delta^b_mn D_c xi^a_nm + Delta^c_mn D_b xi^a_nm)
    - (Delta^ac_mn xi^b_nm + Delta^bc_mn xi^a_nm)] / Delta_mn, with Delta^a_mn = d_a(E_m - E_n).
    ``d2e`` is (K, D, D, N): second derivatives of the band energies.
    """
    if e.shape[1] != 2:
        raise InvalidInput("eq 104 is implemented for two-band models", field=("model",))
    nb = 2
    inv_mn = -inverse_gaps(e)
    xi = berry_connection_offdiag(e, v)
    d1 = covariant_derivative_xi(e, v, w)  # [k, a, b, n, m] = D_a xi^b
    idx = np.arange(nb)
    vd = np.real(v[:, :, idx, idx])  # (K, D, N)
    dlt = vd[:, :, None, :] - vd[:, :, :, None]  # Delta^a_mn at [k, a, n, m] = v_mm - v_nn
    dlt2 = d2e[:, :, :, None, :] - d2e[:, :, :, :, None]  # Delta^{ab}_mn at [k, a, b, n, m]
    wd = np.real(w[:, :, :, idx, idx])  # (K, a, b, N)
    dim = v.shape[1]
    out = np.zeros((e.shape[0], dim, dim, dim, nb, nb), dtype=np.complex128)
    for a in range(dim):
        for b in range(dim):
            for c in range(dim):
                val = 1j * g[:, a, b, c]
                val = val + (wd[:, a, b, :, None] - wd[:, a, b, None, :]) * xi[:, c]
                val = val - (
                    dlt[:, a] * d1[:, c, b] + dlt[:, b] * d1[:, c, a] + dlt[:, c] * d1[:, b, a]
                )
                val = val - (dlt2[:, a, c] * xi[:, b] + dlt2[:, b, c] * xi[:, a])
                out[:, a, b, c] = val * inv_mn
    return out


def band_second_derivatives(e: FloatArray, v: ComplexArray, w: ComplexArray) -> FloatArray:
    """d_a d_b E_n = w^ab_nn + 2 Re sum_{m != n} v^a_nm v^b_mn / (E_n - E_m); shape (K, D, D, N)."""
    nb = e.shape[1]
    idx = np.arange(nb)
    inv = inverse_gaps(e)
    return np.real(w[:, :, :, idx, idx]) + 2.0 * np.real(
        np.einsum("kanm,kbmn,knm->kabn", v, v, inv)
    )
