"""The purified multipole tensors (Duff & Sipe, App. D) and sigma_L, sigma_K by eqs 89-92.

Units and conventions
---------------------
As :mod:`core.crystal.tensors`: hbar = 1, e = :data:`~core.crystal.multipole.QE` = -1, c -> 1
(SI form of the magnetic formulas), energies, hbar w and eta = hbar 0+ in the model energy unit,
lengths in the model length unit, exp(-i w t); every tensor per unit area (grid mean divided by
the cell area). sigma_L in the unit of the static chi (e^2 E_u L_u^2 / hbar^2), sigma_K in that
unit per (E_u / hbar). 2D models, in-plane currents, the magnetic index z; eps^{ab} = eps^{zab}.

What "purified" means here
--------------------------
The tensors of eqs 74-81 contain the diagonal Berry connection through xi_nn, d_a xi^b_nn and
d_a d_b xi^c_nn, and through the ordinary derivatives of the off-diagonal elements (eqs 86,
88). Under u_n -> e^{i theta_n} u_n, xi_nn -> xi_nn - d theta_n and d_a xi^b_nn -> d_a xi^b_nn -
d_a d_b theta_n: of the three, only the antisymmetric part of d_a xi^b_nn, (1/2) eps^{ab}
Omega_n, is gauge invariant (Omega_n the Berry curvature, D3 at m = n). The purified tensors are
eqs 74-81 (the forms of :mod:`core.crystal.tensors`) evaluated on the *purified band jet*

    xi_nn -> 0,    d_a xi^b_nn -> (1/2) eps^{ab} Omega_n,    d_a d_b xi^c_nn -> 0,

every other quantity following from the same completeness identities as in
:mod:`core.crystal.multipole` (d_a O_nm = (d_a O)_nm + i [xi^a, O]_nm). That yields exactly

* the off-diagonal xi_nm (eq 107) and the covariant derivatives of eq 87: the multipole formula
  for d_a xi^b_nm with the diagonal dropped is eq 86 solved for d_{;a} xi^b_nm;
* Omega_nm = eps^{ab} d_{;a} xi^b_nm = i eps^{ab} sum_{l != n, m} xi^a_nl xi^b_lm (D3), with
  m = n the Berry curvature;
* M, Q_P (D2, D6: the sums over l != m, n), O_P (D11), and Q_M (D8) plus the term
  (i e / 24)(Omega_m - Omega_n) v^j_nm that D8's restricted sums drop (the l = n, m terms of
  sum_l (v^b_nl d_a xi^j_lm - d_a xi^j_nl v^b_lm) with d_a xi^j_nn -> (1/2) eps^{aj} Omega_n);
* second covariant derivatives d_{;a} d_{;c} v^d and d_{;a} d_{;c} xi^d (D4) in the symmetric
  order (1/2)(d_{;a} d_{;c} + d_{;c} d_{;a}), which is the right-to-left order of eq 88 plus the
  gauge-invariant part (i/2) eps^{ac} (Omega_n - Omega_m) of its last term.

Equivalently: at each k, eqs 74-81 in the local gauge with xi_nn(k) = 0 and d_a xi^b_nn(k) =
(1/2) eps^{ab} Omega_n(k) (the symmetric gauge about k), which exists at any single k, also in a
Chern insulator. Every factor is then gauge covariant and every term a closed band loop, so each
line is unchanged at every k by arbitrary Bloch phases (tested with random phases per k-point):
no smooth gauge is needed.

chi_M (D1): the static part (occ, the static geometric line and the w = 0 value of the M M
line) is replaced by chi_static, the gauge-invariant chi_2 of
:func:`core.crystal.susceptibility.chi_2` (eqs 83-84: "chi_static = purified + chi_bar"); the
w-dependent lines are the purified lines minus their w = 0 values (D1's hbar w / Delta_mn
factor on the M M line). The static value of the purified jet alone is not chi_static.

The remainder, eqs 90 and 92 (forms found by the Kubo identity)
---------------------------------------------------------------
Kubo (the q^2 kernel of :func:`core.crystal.response.q2_conductivity`) minus eqs 89, 91 without
the bar terms leaves, with G^{ab}_nm = xi^a_nm xi^b_mn + xi^b_nm xi^a_mn (n != m, real),

    sigma_bar_L^{izj}(w) = -(i w e^2 / 144) sum_{n, m != n} f_n int
                           (5 Omega_n + 3 Omega_m) G^{ij}_nm,
    sigma_bar_K^{i(jlk)} = -(e^2 / 48) Sym_{jlk} eps^{ij} sum_{n, m != n} f_n int
                           (Omega_n + 3 Omega_m) G^{lk}_nm,

(int = d^2k / (2 pi)^2, Sym_{jlk} the mean over the six orderings, i.e. sigma_bar_K inside the
(1/6) sum of eq 91). Both are non-resonant, odd under time reversal (so zero for t2 = 0), and
made of the Berry curvature and the band-resolved quantum metric, as eqs 90 and 92 say; the
numbers differ from the printed ones (docs/crystal-response.md, "Typos found / forms chosen
(App. D)", which also says why the forms above and not the printed D8 and eq 88). Found so:
the remainder was computed for Haldane and for random 3-, 4- and 5-band models at every filling;
it is linear in w (sigma_L) or constant (sigma_K), and a least-squares fit over the structures
sum f_{n, m} Omega_{n, m, or third band} G_nm for occupied-occupied, occupied-empty and
empty-empty pairs returns the rational coefficients above (all others 0) with residuals
1e-10 of the remainder. The tests then check the identity on models outside the fit (a Chern
insulator among them).

Needs: non-degenerate bands (1/(E_n - E_m) for every pair; refused otherwise), an insulating
gap at the filling (chi_static), the Tressian (eq 105, analytic). Any number of bands. Memory:
k-chunks of ``chunk`` points (default 8192 / N^2, so the per-line coefficient arrays of a chunk
stay at tens of MB); the frequency sums are matrix products per chunk.

References: :data:`core.references.DUFF_SIPE` eqs 74-92, App. D (D1-D14), eqs 102-107.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from core.crystal.bloch import (
    MAX_K_POINTS,
    bloch_derivatives,
    check_k_points,
    eigh_batched,
    monkhorst_grid,
    to_band_basis,
)
from core.crystal.model import TightBindingModel
from core.crystal.multipole import EPS2, QE, BandJet, _d2xi_off, _dv_d2v
from core.crystal.response import SIGMA_K_COMPONENTS, SIGMA_L_COMPONENTS
from core.crystal.susceptibility import chi_2, require_gap, scan_gap
from core.crystal.tensors import TENSORS, Comp, _terms, assemble_sigma_k, assemble_sigma_l
from core.errors import InvalidInput

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
#: ``u_transform(k, E, U) -> U'``: applied to the eigenvectors of each chunk (gauge tests).
UTransform = Callable[[FloatArray, FloatArray, ComplexArray], ComplexArray]

#: Bands closer than this (model energy unit) count as degenerate: 1/(E_n - E_m) is refused.
DEGENERACY_TOL: Final = 1e-6
#: Coefficients of sum_{n, m != n} f_n (a Omega_n + b Omega_m) G_nm in sigma_bar (see notes).
SIGMA_BAR_L_COEF: Final = (-5.0 / 144.0, -3.0 / 144.0)
SIGMA_BAR_K_COEF: Final = (-1.0 / 48.0, -3.0 / 48.0)
_Z: Final = 2
_AX: Final = {"x": 0, "y": 1}


def berry_curvature(xi: ComplexArray) -> FloatArray:
    """Omega_n = i eps^{ab} sum_{l != n} xi^a_nl xi^b_ln (D3 at m = n), shape (K, N).

    ``xi`` (K, 2, N, N) with zero diagonal; unit L_u^2; gauge invariant.
    """
    t = np.einsum("knl,kln->kn", xi[:, 0], xi[:, 1])
    out: FloatArray = np.asarray(-2.0 * np.imag(t), dtype=np.float64)
    return out


def pair_metric(xi: ComplexArray) -> FloatArray:
    """G^{ab}_nm = xi^a_nm xi^b_mn + xi^b_nm xi^a_mn, shape (K, 2, 2, N, N), real, unit L_u^2.

    Symmetric in a, b and in n, m; zero for n = m when the diagonal of ``xi`` is zero. Its sum
    over m != n is twice the quantum metric of band n.
    """
    g = np.einsum("kanm,kbmn->kabnm", xi, xi)
    out: FloatArray = np.asarray(np.real(g + np.swapaxes(g, 1, 2)), dtype=np.float64)
    return out


def purified_jet(
    model: TightBindingModel, k: FloatArray, u_transform: UTransform | None = None
) -> tuple[BandJet, float]:
    """The purified band jet at k-points ``k`` (K, 2), in whatever gauge ``eigh`` returns.

    Fields as :class:`~core.crystal.multipole.BandJet`, with xi_nn = 0, d_a xi^b_nn =
    (1/2) eps^{ab} Omega_n, d_a d_b xi^c_nn = 0 and the off-diagonal derivatives covariant (see
    the module notes); ``min_modulus`` is NaN (no gauge condition). Also returns the smallest
    splitting min |E_n - E_m| (n != m) on these points.
    """
    bd = bloch_derivatives(model, k, order=3)
    assert bd.dh is not None and bd.d2h is not None and bd.d3h is not None
    e, u = eigh_batched(bd.h)
    if u_transform is not None:
        u = np.asarray(u_transform(k, e, u), dtype=np.complex128)
    nk, nb = e.shape
    idx = np.arange(nb)
    off = ~np.eye(nb, dtype=bool)
    dnm = e[:, :, None] - e[:, None, :]  # E_n - E_m
    split = float(np.min(np.abs(dnm[:, off]))) if nb > 1 else np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(off, 1.0 / np.where(off, dnm, 1.0), 0.0)
    v = to_band_basis(u, bd.dh[:, :2])
    w = to_band_basis(u, bd.d2h[:, :2, :2])
    g = to_band_basis(u, bd.d3h[:, :2, :2, :2])
    xi = v * inv[:, None] / 1j  # eq 107, zero diagonal
    de = np.real(v[:, :, idx, idx])
    dxi = np.empty((nk, 2, 2, nb, nb), dtype=np.complex128)
    for a in range(2):
        dva = de[:, a, :, None] - de[:, a, None, :]
        for b in range(2):
            comm = xi[:, a] @ v[:, b] - v[:, b] @ xi[:, a]
            dxi[:, a, b] = (w[:, a, b] + 1j * comm - 1j * xi[:, b] * dva) * inv / 1j  # eq 86
    om = berry_curvature(xi)
    for a in range(2):
        for b in range(2):
            dxi[:, a, b, idx, idx] = 0.5 * EPS2[a, b] * om
    dv, d2v = _dv_d2v(xi, dxi, v, w, g)
    d2xi = _d2xi_off(v, dxi, xi, dv, d2v, inv)  # D4; diagonal zero
    d2e = np.real(np.einsum("kabnn->kabn", dv))
    jet = BandJet(e, de, d2e, u, v, w, g, xi, dxi, dv, d2v, float("nan"), d2xi)
    return jet, split


def _sym3(t: FloatArray) -> FloatArray:
    """Mean of T^{i j l k} over the six orderings of its last three indices."""
    out = np.zeros_like(t)
    for p in itertools.permutations((1, 2, 3)):
        out = out + np.transpose(t, (0, *p))
    return out / 6.0


@dataclass(frozen=True)
class PurifiedResult:
    """The purified tensors (App. D) and the bar terms (eqs 90, 92) on a frequency grid.

    Attributes
    ----------
    omega, eta : (W,) float
        hbar w and hbar 0+ (model energy unit).
    lines : dict[(tensor, label, component), (W,) complex]
        Each line of each purified tensor (labels as :mod:`core.crystal.tensors`; chi_M has
        "static" = chi_static and its w-dependent lines minus their w = 0 values).
    chi_static : float
        chi^zz_static per area (the gauge-invariant chi_2).
    geometric : dict[str, (2, 2) float]
        "Omega_n" = sum_{n, m != n} f_n int Omega_n G_nm and "Omega_m" = the same with Omega_m
        (per area, unit L_u^2): the two integrals the bar terms are made of.
    sigma_bar_l : dict[str, (W,) complex]
        sigma_bar_L^{izj}(w), keys as :data:`core.crystal.response.SIGMA_L_COMPONENTS`.
    sigma_bar_k : dict[str, (W,) complex]
        sigma_bar_K^{i(jlk)} (symmetrised), keys as
        :data:`~core.crystal.response.SIGMA_K_COMPONENTS`.
    grid : tuple[int, ...]
    min_splitting : float
        Smallest |E_n - E_m| (n != m) seen on the grid.
    """

    omega: FloatArray
    eta: FloatArray
    lines: dict[tuple[str, str, Comp], ComplexArray]
    chi_static: float
    geometric: dict[str, FloatArray]
    sigma_bar_l: dict[str, ComplexArray]
    sigma_bar_k: dict[str, ComplexArray]
    grid: tuple[int, ...]
    min_splitting: float

    def tensor(self, name: str) -> dict[Comp, ComplexArray]:
        """The purified tensor ``name`` (sum of its lines), component -> (W,) complex."""
        acc: dict[Comp, ComplexArray] = {}
        for (t, _lab, comp), val in self.lines.items():
            if t == name:
                acc[comp] = np.asarray(acc.get(comp, 0.0) + val, dtype=np.complex128)
        return acc

    def tensors(self) -> dict[str, dict[Comp, ComplexArray]]:
        """All eight purified tensors (eqs D1-D14), name -> component -> (W,) complex."""
        return {name: self.tensor(name) for name in TENSORS}

    def sigma_l(self) -> dict[str, ComplexArray]:
        """sigma_L^{izj}(w) by eq 89: eq 16 with the purified tensors, plus sigma_bar_L."""
        base = assemble_sigma_l(self.tensors(), self.omega)
        return {c: np.asarray(base[c] + self.sigma_bar_l[c]) for c in SIGMA_L_COMPONENTS}

    def sigma_k(self) -> dict[str, ComplexArray]:
        """sigma_K^{i(jlk)}(w) by eq 91: eq 17 with the purified tensors, plus sigma_bar_K."""
        base = assemble_sigma_k(self.tensors(), self.omega)
        return {c: np.asarray(base[c] + self.sigma_bar_k[c]) for c in SIGMA_K_COMPONENTS}


def sigma_bar(
    geometric: dict[str, FloatArray], omega: FloatArray
) -> tuple[dict[str, ComplexArray], dict[str, ComplexArray]]:
    """sigma_bar_L^{izj}(w) and sigma_bar_K^{i(jlk)} (eqs 90 and 92, forms of the module notes).

    ``geometric``: the two integrals of :attr:`PurifiedResult.geometric`; e^2 = QE^2.
    """
    w = np.asarray(omega, dtype=np.float64)
    e2 = QE * QE
    ja, jb = geometric["Omega_n"], geometric["Omega_m"]
    pl = e2 * (SIGMA_BAR_L_COEF[0] * ja + SIGMA_BAR_L_COEF[1] * jb)
    pk = e2 * (SIGMA_BAR_K_COEF[0] * ja + SIGMA_BAR_K_COEF[1] * jb)
    tk = _sym3(np.einsum("ij,lk->ijlk", EPS2, pk))
    out_l = {
        c: np.asarray(1j * w * pl[_AX[c[0]], _AX[c[2]]], dtype=np.complex128)
        for c in SIGMA_L_COMPONENTS
    }
    out_k = {
        c: np.full(w.shape, complex(tk[tuple(_AX[x] for x in c)]), dtype=np.complex128)
        for c in SIGMA_K_COMPONENTS
    }
    return out_l, out_k


def purified_tensors(
    model: TightBindingModel,
    n: int | tuple[int, ...],
    omega: FloatArray,
    *,
    eta: float | FloatArray,
    filling: int | None = None,
    shift: float = 0.5,
    chunk: int | None = None,
    max_k_points: int = MAX_K_POINTS,
    chi_static: float | None = None,
    u_transform: UTransform | None = None,
) -> PurifiedResult:
    """The purified tensors of App. D and sigma_bar_L, sigma_bar_K (eqs 89-92) of a 2D insulator.

    Parameters
    ----------
    model : TightBindingModel
        2D insulator, any topology (no smooth gauge is needed), non-degenerate bands.
    n : int or (int, int)
        k-grid per reciprocal direction (Monkhorst-Pack, ``shift``).
    omega : (W,) float
        hbar w (model energy unit).
    eta : float or (W,) float
        hbar 0+ >= 0, in the resonant denominators Delta_mn - (w + i eta) only (as
        :func:`core.crystal.tensors.multipole_tensors`); eta = 0 is exact below the gap.
    filling : int, optional
        Occupied bands (default: half).
    chunk : int, optional
        k-points per chunk (default: 8192 / N^2, at least 64).
    chi_static : float, optional
        chi^zz_static per area; default: :func:`core.crystal.susceptibility.chi_2` on this grid
        (for N > 2 bands its contour quadrature and its k-point limit apply).
    u_transform : callable, optional
        ``u_transform(k, E, U) -> U'`` applied to the eigenvectors (gauge-invariance tests).

    Returns
    -------
    PurifiedResult
        ``sigma_l()``, ``sigma_k()`` give eqs 89 and 91.

    Notes
    -----
    Each line of eqs 74-81 is w^p sum_{k,n,m} C_nm(k) r_mn^q with r_mn = 1/(Delta_mn - w - i eta)
    (or w-independent), C from the purified jet; see the module notes for what is purified.
    """
    if model.dim != 2:
        raise InvalidInput("the purified tensors are implemented for 2D models", field=("model",))
    if not np.all(np.isfinite(eta)) or np.any(np.asarray(eta) < 0):
        raise InvalidInput("eta (hbar 0+) must be finite and >= 0", field=("eta",))
    ns = (n,) * 2 if isinstance(n, int) else tuple(n)
    check_k_points(int(np.prod(ns)), max_k_points)
    info = scan_gap(model, ns, filling, shift)
    require_gap(info, "the purified multipole tensors")
    nocc = info.n_occ
    if chi_static is None:
        chi_static = chi_2(model, ns, filling=nocc, shift=shift).chi
    w = np.asarray(omega, dtype=np.float64).reshape(-1)
    etas = np.broadcast_to(np.asarray(eta, dtype=np.float64), w.shape).copy()
    nb = model.norb
    step = chunk if chunk is not None else max(64, 8192 // (nb * nb))
    kpts, _ = monkhorst_grid(model, ns, shift)
    norm = 1.0 / (kpts.shape[0] * model.cell_volume)
    f = (np.arange(nb) < nocc).astype(np.float64)
    sel = f[:, None] != f[None, :]  # the pairs with f_n != f_m
    lines: dict[tuple[str, str, Comp], ComplexArray] = {}
    geo = {"Omega_n": np.zeros((2, 2)), "Omega_m": np.zeros((2, 2))}
    split = np.inf
    for s0 in range(0, kpts.shape[0], step):
        kc = kpts[s0 : s0 + step]
        jet, sp = purified_jet(model, kc, u_transform)
        split = min(split, sp)
        if split <= DEGENERACY_TOL:
            raise InvalidInput(
                f"bands touch on this grid (splitting {split:.3g}); the purified tensors divide "
                "by E_n - E_m for every band pair",
                field=("model",),
                fix="lift the degeneracy (e.g. a small on-site difference) or use another model",
            )
        om = berry_curvature(jet.xi)
        gm = pair_metric(jet.xi)
        geo["Omega_n"] += np.einsum("kn,kabnm,n->ab", om, gm, f)
        geo["Omega_m"] += np.einsum("km,kabnm,n->ab", om, gm, f)
        dl = (jet.e[:, None, :] - jet.e[:, :, None])[:, sel].reshape(-1)  # Delta_mn
        r = 1.0 / (dl[None, :] - w[:, None] - 1j * etas[:, None])  # (W, pairs)
        r0 = 1.0 / dl  # the w = 0 (static) limit
        for tensor, label, comp, p, q, c in _terms(jet, nocc):
            key = (tensor, label, comp)
            if q == 0:
                if tensor == "chi_M" and p == 0:
                    continue  # in chi_static
                val = w**p * complex(c) * np.ones_like(w, dtype=np.complex128)
            else:
                cc = np.asarray(c)[:, sel].reshape(-1)
                val = w**p * ((r**q) @ cc)
                if tensor == "chi_M" and p == 0:
                    val = val - complex(np.sum(r0**q * cc))  # D1: minus its w = 0 value
            lines[key] = np.asarray(lines.get(key, 0.0) + val, dtype=np.complex128)
    lines = {k: norm * v for k, v in lines.items()}
    lines[("chi_M", "static", (_Z, _Z))] = np.full(w.shape, complex(chi_static))
    geometric = {k: norm * v for k, v in geo.items()}
    bar_l, bar_k = sigma_bar(geometric, w)
    return PurifiedResult(
        omega=w,
        eta=etas,
        lines=lines,
        chi_static=float(chi_static),
        geometric=geometric,
        sigma_bar_l=bar_l,
        sigma_bar_k=bar_k,
        grid=ns,
        min_splitting=float(split),
    )
