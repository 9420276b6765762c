"""Bloch Hamiltonian H(k), its k-derivatives, batched diagonalisation, k-grids (Duff & Sipe, sec. VIII.C).

Units and conventions
---------------------
k in inverse model length, energies in the model energy unit, hbar = 1. H(k) in the atomic
convention of :mod:`core.crystal.model`. The derivatives are analytic sums over the hopping list:

    d^n H / dk_a dk_b ... = sum_bonds t (i d_a)(i d_b)... e^{i k.d} + h.c.,

so the velocity (eq 106), the Hessian w (eq 103) and the "Tressian" g (eq 105) are exact.
Matrix elements in the band basis: X_nm = <u_n| X |u_m> with the columns of U as eigenvectors.

Diagonalisation: a closed form for two-band models (H = f0 + f.sigma), batched
:func:`numpy.linalg.eigh` otherwise. Degenerate points: eq 107 divides by E_n - E_m; the
geometry and susceptibility modules check the gap of the occupied/empty split and refuse
(NotAnInsulator) where it closes; inside a degenerate *occupied* subspace only gauge-covariant
combinations (projectors) are used, so the arbitrary unitary there drops out (the "choose a gauge
where v_nm = 0" remark after eq 107 is then not needed).

Memory: callers pass chunks of k-points; :data:`CHUNK_POINTS` is the default chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.crystal.model import TightBindingModel
from core.errors import InvalidInput, LimitExceeded

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

#: k-points per chunk (keeps (K, D, D, D, N, N) complex temporaries near 100 MB for N <= 8).
CHUNK_POINTS: Final = 1 << 15
#: Default cap on k-grid points (the app may pass its own).
MAX_K_POINTS: Final = 1_000_000
#: k-points x bonds per block in :func:`bloch_derivatives` (64 MB of complex phases).
BOND_BLOCK_ELEMENTS: Final = 1 << 22


@dataclass(frozen=True)
class BlochDerivatives:
    """H(k) and derivatives on K k-points of a D-dimensional model with N orbitals.

    Attributes
    ----------
    h : (K, N, N) complex
    dh : (K, D, N, N) complex, or None
    d2h : (K, D, D, N, N) complex, or None
    d3h : (K, D, D, D, N, N) complex, or None
    """

    h: ComplexArray
    dh: ComplexArray | None
    d2h: ComplexArray | None
    d3h: ComplexArray | None


def check_k_points(
    num: int, max_k_points: int = MAX_K_POINTS, field: tuple[str | int, ...] = ("grid",)
) -> None:
    """Raise :class:`LimitExceeded` when ``num`` k-points exceed ``max_k_points``."""
    if num > max_k_points:
        raise LimitExceeded(
            f"{num} k-points exceed the limit of {max_k_points}",
            limit_name="max_k_points",
            limit=max_k_points,
            requested=num,
            field=field,
            fix=f"use a grid of at most {max_k_points} points",
        )


def bloch_derivatives(model: TightBindingModel, k: ArrayLike, order: int = 1) -> BlochDerivatives:
    """H(k) and its derivatives up to ``order`` (0-3) at k-points ``k`` of shape (K, D).

    Notes
    -----
    eqs 103, 105, 106: v = dH/dk_a, w = d^2H/dk_a dk_b, g = d^3H/dk_a dk_b dk_c, evaluated from
    the hopping list (no finite differences).
    """
    if order not in (0, 1, 2, 3):
        raise ValueError("order must be 0..3")
    kk = np.asarray(k, dtype=np.float64)
    if kk.ndim != 2 or kk.shape[1] != model.dim:
        raise InvalidInput(f"k-points must have shape (K, {model.dim})", field=("k",))
    nk, n, dim = kk.shape[0], model.norb, model.dim
    d = model.bond_vectors()  # (H, D)
    amp = model.hop_amplitude
    flat = model.hop_from * n + model.hop_to
    nbond = flat.shape[0]
    h0 = np.zeros((nk, n * n), dtype=np.complex128)
    # arrays of length 0 along k stand for "not requested"
    dh = np.zeros((nk if order >= 1 else 0, dim, n * n), dtype=np.complex128)
    d2h = np.zeros((nk if order >= 2 else 0, dim, dim, n * n), dtype=np.complex128)
    d3h = np.zeros((nk if order >= 3 else 0, dim, dim, dim, n * n), dtype=np.complex128)
    # bonds in blocks; each block is scattered onto the N^2 matrix entries by a one-hot matmul,
    # so temporaries stay O(K x block) whatever the number of bonds
    block = max(1, min(nbond, BOND_BLOCK_ELEMENTS // max(nk, 1)))
    for s in range(0, nbond, block):
        sl = slice(s, min(nbond, s + block))
        m = sl.stop - sl.start
        scatter = np.zeros((m, n * n))
        scatter[np.arange(m), flat[sl]] = 1.0
        ph = np.exp(1j * (kk @ d[sl].T)) * amp[sl]  # (K, m)
        h0 += ph @ scatter
        if order >= 1:
            idt = 1j * d[sl]  # (m, D)
            for a in range(dim):
                pa = ph * idt[:, a]
                dh[:, a] += pa @ scatter
                if order >= 2:
                    for b in range(a, dim):
                        pab = pa * idt[:, b]
                        d2h[:, a, b] += pab @ scatter
                        if order >= 3:
                            for c in range(b, dim):
                                d3h[:, a, b, c] += (pab * idt[:, c]) @ scatter

    def herm(x: ComplexArray) -> ComplexArray:
        y = x.reshape(*x.shape[:-1], n, n)
        return y + np.conj(np.swapaxes(y, -1, -2))

    h0 = herm(h0) + np.diag(model.onsite)
    if order >= 2:
        for a in range(dim):
            for b in range(a + 1, dim):
                d2h[:, b, a] = d2h[:, a, b]
    if order >= 3:
        for a in range(dim):
            for b in range(a, dim):
                for c in range(b, dim):
                    for perm in {(a, b, c), (a, c, b), (b, a, c), (b, c, a), (c, a, b), (c, b, a)}:
                        d3h[:, perm[0], perm[1], perm[2]] = d3h[:, a, b, c]
    return BlochDerivatives(
        h0,
        herm(dh) if order >= 1 else None,
        herm(d2h) if order >= 2 else None,
        herm(d3h) if order >= 3 else None,
    )


def eigh_batched(h: ComplexArray) -> tuple[FloatArray, ComplexArray]:
    """Eigenvalues (ascending) and eigenvectors (columns) of a stack of Hermitian matrices.

    Two-band stacks use the closed form H = f0 + f.sigma, E = f0 -+ |f|, with the eigenvector
    formula switched by the sign of f_z so that it never divides by a vanishing norm; at exact
    degeneracy (f = 0) the identity basis is returned. Larger stacks use :func:`numpy.linalg.eigh`.

    Parameters
    ----------
    h : (K, N, N) complex

    Returns
    -------
    E : (K, N) float
    U : (K, N, N) complex, U[k, :, n] the n-th eigenvector
    """
    if h.shape[-1] != 2:
        e, u = np.linalg.eigh(h)
        return e, u
    f0 = 0.5 * (h[:, 0, 0].real + h[:, 1, 1].real)
    fz = 0.5 * (h[:, 0, 0].real - h[:, 1, 1].real)
    fxy = h[:, 1, 0]  # fx + i fy
    fn = np.sqrt(fz * fz + (fxy * np.conj(fxy)).real)
    e = np.stack([f0 - fn, f0 + fn], axis=1)
    u = np.empty(h.shape, dtype=np.complex128)
    pos = fz >= 0.0
    # fz >= 0: u+ ~ (fz + |f|, fx + i fy), u- ~ (-(fx - i fy), fz + |f|)
    # fz < 0 : u+ ~ (fx - i fy, |f| - fz), u- ~ (fz - |f|, fx + i fy)
    a = np.where(pos, fz + fn, 0.0)
    b = np.where(pos, 0.0, fn - fz)
    up0 = np.where(pos, a, np.conj(fxy))
    up1 = np.where(pos, fxy, b)
    um0 = np.where(pos, -np.conj(fxy), -b)
    um1 = np.where(pos, a, fxy)
    norm = np.sqrt(np.abs(up0) ** 2 + np.abs(up1) ** 2)
    degenerate = norm <= 1e-300
    norm = np.where(degenerate, 1.0, norm)
    u[:, 0, 1] = up0 / norm
    u[:, 1, 1] = up1 / norm
    u[:, 0, 0] = um0 / norm
    u[:, 1, 0] = um1 / norm
    if np.any(degenerate):
        u[degenerate] = np.eye(2)
    return e, u


def to_band_basis(u: ComplexArray, x: ComplexArray) -> ComplexArray:
    """U^dagger X U for X of shape (K, ..., N, N) and U of shape (K, N, N)."""
    extra = x.ndim - 3
    uu = u.reshape(u.shape[0], *([1] * extra), *u.shape[1:])
    return np.conj(np.swapaxes(uu, -1, -2)) @ x @ uu


def monkhorst_grid(
    model: TightBindingModel, n: int | tuple[int, ...], shift: float = 0.0
) -> tuple[FloatArray, FloatArray]:
    """A uniform grid over the Brillouin zone.

    Returns the Cartesian k-points, shape (n1*n2[*n3], D), ordered with the last reduced
    coordinate fastest, and the reduced coordinates (same shape) in [0, 1). ``shift`` moves the
    grid by a fraction of one step along every reciprocal vector (0.5 avoids K points on grids
    whose size is a multiple of 3).
    """
    dim = model.dim
    ns = (n,) * dim if isinstance(n, int) else tuple(n)
    if len(ns) != dim or min(ns) < 1:
        raise InvalidInput(f"grid needs {dim} positive sizes", field=("grid", "n"))
    axes = [(np.arange(m) + shift) / m for m in ns]
    red = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dim)
    return red @ model.reciprocal, red


def k_path(points: list[FloatArray], num: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Straight segments through ``points`` with about ``num`` points in all.

    Returns k (num, D), the cumulative path length (num,) and the path length at each vertex.
    """
    if len(points) < 2:
        raise InvalidInput("a path needs at least two points", field=("path",))
    pts = [np.asarray(p, dtype=np.float64) for p in points]
    seg = np.array([np.linalg.norm(pts[i + 1] - pts[i]) for i in range(len(pts) - 1)])
    total = float(seg.sum())
    if total <= 0:
        raise InvalidInput("path has zero length", field=("path",))
    ks: list[FloatArray] = []
    for i in range(len(seg)):
        m = max(2, round(num * seg[i] / total))
        s = np.linspace(0.0, 1.0, m, endpoint=(i == len(seg) - 1))
        ks.append(pts[i][None, :] + s[:, None] * (pts[i + 1] - pts[i])[None, :])
    kk = np.concatenate(ks)
    dist = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(kk, axis=0), axis=1))])
    vertices = np.concatenate([[0.0], np.cumsum(seg)])
    return kk, dist, vertices


Filling = Literal["half"]


def occupied_count(model: TightBindingModel, filling: int | None) -> int:
    """Number of occupied bands: ``filling`` or half the bands (N must be even)."""
    n = model.norb
    if filling is None:
        if n % 2:
            raise InvalidInput(
                f"half filling of {n} bands is not an integer number of bands",
                field=("filling",),
                fix="give 'filling' (the number of occupied bands) explicitly",
            )
        return n // 2
    if not 0 < filling < n:
        raise InvalidInput(
            f"filling must be between 1 and {n - 1} occupied bands (got {filling})",
            field=("filling",),
        )
    return int(filling)
