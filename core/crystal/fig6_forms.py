"""Duff & Sipe Fig. 6 with the paper's own formulas: Ogata's split (chi_1) and eqs 83-84 (chi_2).

Units and conventions
---------------------
As :mod:`core.crystal.susceptibility`: hbar = 1, electron charge q = -1, energies in the model
energy unit E_u, lengths in L_u; chi^zz of a 2D model per unit area in e^2 E_u L_u^2 / hbar^2,
negative = diamagnetic; spinless (no Zeeman and no spin-orbit moment). T = 0, insulators only
(the Fermi-surface and Landau-Peierls terms of Ogata & Fukuyama vanish). Band basis:
Delta_nm = E_n - E_m, v^a_nm (eq 106), w^ab_nm (eq 103), xi^a_nm = v^a_nm / (i Delta_nm) for
n != m (eq 107). eps^{zab} is written eps^{ab} (eps^{xy} = +1).

The split chi_1 = chi_inter + chi_occ + chi_occ2 (the paper's Fig. 6 "chi_1", sec. VIII.B)
---------------------------------------------------------------------------------------------
The paper does not print Ogata's three terms; it says they are eq 70 rewritten (sec. VII). The
equations of Ogata & Fukuyama (2015) were not available here (only its abstract: interband,
Fermi-surface, occupied-state and Landau-Peierls terms), so the split is derived from eqs 70-73
and is exact algebra, term by term in k:

* eq 71 with f_nm = f_n - f_m and |M_nm|^2 symmetric is 2 sum_n f_n sum_{m != n}
  |M_nm|^2 / Delta_mn; adding the m != n part of eq 73 completes the square:

      chi_inter = 2 sum_n f_n sum_{m != n} |L_nm|^2 / Delta_mn,   L_nm = M_nm - (q/4) Delta_mn Omega_nm,

  and with Omega_nm = i eps^{ab} (xi^a xi^b)_nm (the full connection of a tight-binding model is
  flat: d_a xi^b - d_b xi^a = i [xi^a, xi^b]) and v^b = diag(d_b E) + i [E, xi^b] this is

      L_nm = (q/2) eps^{ab} [ (xi^a v^b)_nm + d_b E_n xi^a_nm ]
           = -(i q / 2) eps^{ab} <d_a u_n| (dH/dk_b + dE_n/dk_b) |u_m>,

  the interband matrix element of Ogata & Fukuyama's interband (Van Vleck) term, with full
  k-derivatives of the Bloch functions (so with the diagonal connections xi_nn);
* chi_occ = eq 72 with hbar^2/m delta_bc replaced by the Hessian as an operator inside the band
  sum (sum_{m,l} xi^a_nm w^bc_ml xi^d_ln, the rule that works, docs/crystal.md): the
  occupied-state "atomic diamagnetism" term, the same as the paper's and the service's chi_occ;
* chi_occ2 = the m = n part of eq 73: -q sum_n f_n Omega_n M_nn, Omega_n the Berry curvature and
  M_nn (eq 60 at m = n) = m_n + q eps^{ab} d_b E_n xi^a_nn, m_n the intrinsic orbital moment.

So chi_inter + chi_occ2 = chi_VV + chi_geo at every k and the sum equals the service's
``chi_1`` in the same gauge (tested). chi_inter and chi_occ2 vanish in the atomic limit (no
k-dependence: Omega = 0) where chi_inter is Van Vleck and chi_occ Larmor, as Ogata's terms do.
The diagonal connections need a gauge: the paper's (for band n the orbital of largest weight is
real and positive, eqs 98-99; :func:`core.crystal.susceptibility.fix_gauge`), with xi_nn from
Im (d_a u_n)_j = 0.

The purified form of eqs 83-84 (the paper's "chi_2")
-----------------------------------------------------
Purifying (eqs 85-87, D2, D3) means dropping every diagonal connection and using covariant
derivatives. In the three terms above this is exactly xi_nn -> 0: M_nm becomes D2 (the factor
2 on d_b(E_n + E_m) is the s = n, m terms of eq 60's sum), Omega_nm becomes the covariant curl
i eps^{ab} sum_{l != n, m} xi^a_nl xi^b_lm (D3 corrected: the extraction prints eps^{lab} for
eps^{kab} and an ordinary derivative for the covariant one), M_nn the intrinsic moment. Each
purified term is a product of band matrix elements around closed index loops, so every k-point
gives a gauge-invariant number. Eq 83 with eq 84 (spinless: chi_occ2:Spin = 0) is then

    chi_2 = chi°_inter + chi°_occ + chi°_occ2 + chi_bar,   chi_bar = (1/2) chi°_occ2,

as printed: the weight 1/2 is confirmed to 1e-7 or better against the service's Green's-function
chi_2 in two- and three-band models with one and two occupied bands, in the trivial and in the
Chern phase (tests). That the printed 1/2 comes out is also the evidence that the split above is
the one the paper used.

Ogata's form depends on the gauge wherever the gauge has vortices (the fixed component vanishes):
unavoidably in a Chern phase, and in a trivial phase for a badly chosen orbital. For the Haldane
model the numbers obey chi_1 - chi_2 = sum over vortices of q^2 v^2 / (8 pi |m_v|), m_v the Dirac
mass at the vortex's valley (found numerically, docs/crystal-fig6.md).

References: :data:`core.references.DUFF_SIPE`, eqs 60, 70-73, 83-87, D2, D3, 98-107; M. Ogata and
H. Fukuyama, J. Phys. Soc. Jpn. 84, 124708 (2015), doi:10.7566/JPSJ.84.124708; M. Ogata, J. Phys.
Soc. Jpn. 86, 044713 (2017), doi:10.7566/JPSJ.86.044713 (the paper's ref. [53]).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from core.crystal.bloch import (
    MAX_K_POINTS,
    BlochDerivatives,
    bloch_derivatives,
    check_k_points,
    eigh_batched,
    monkhorst_grid,
    occupied_count,
    to_band_basis,
)
from core.crystal.geometry import band_second_derivatives, chern_fhs, inverse_gaps
from core.crystal.model import TightBindingModel, haldane
from core.crystal.susceptibility import (
    GapInfo,
    chi_1,
    chi_2,
    fix_gauge,
    gauge_orbitals,
    require_gap,
    scan_gap,
)
from core.errors import InvalidInput

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

#: Electron charge in natural units (the paper's e).
Q: Final = -1.0
#: Names of the three terms (Ogata's split and its purified counterpart).
PARTS: Final[tuple[str, ...]] = ("inter", "occ", "occ2")
#: Eq 84 (spinless): chi_bar = CHI_BAR_WEIGHT x purified chi_occ2.
CHI_BAR_WEIGHT: Final = 0.5
#: Complex temporaries per k-point are ~ 64 N^3; chunks keep them near 64 MB.
_CHUNK_BYTES: Final = 1 << 26

#: A smooth extra gauge: k (K, 2) -> (phase phi_n(k) (K, N), gradient d_a phi_n (K, 2, N)).
PhaseFn = Callable[[FloatArray], tuple[FloatArray, FloatArray]]
UTransform = Callable[[FloatArray, FloatArray, ComplexArray], ComplexArray]

_EPS: Final = ((0, 1, 1.0), (1, 0, -1.0))


@dataclass(frozen=True)
class BandData:
    """Band-basis quantities on K k-points of a 2D model with N bands, all in one gauge.

    Attributes
    ----------
    e : (K, N) float
        Band energies E_n (E_u), ascending.
    v : (K, 2, N, N) complex
        Velocity matrix elements v^a_nm (eq 106), E_u L_u.
    w : (K, 2, 2, N, N) complex
        Hessian matrix elements w^ab_nm (eq 103), E_u L_u^2.
    xi : (K, 2, N, N) complex
        Berry connection xi^a_nm (L_u): eq 107 off the diagonal; the diagonal is xi_nn of the gauge
        (Ogata's form) or zero (the purified form).
    """

    e: FloatArray
    v: ComplexArray
    w: ComplexArray
    xi: ComplexArray


def band_data(
    model: TightBindingModel,
    k: FloatArray,
    *,
    diagonal: bool,
    orbitals: NDArray[np.int64] | None = None,
    u_transform: UTransform | None = None,
    phase: PhaseFn | None = None,
) -> tuple[BandData, float]:
    """Band data at k-points (K, 2), with or without diagonal Berry connections.

    Parameters
    ----------
    diagonal : bool
        True: fix the paper's gauge (component ``orbitals[n]`` of band n real and positive,
        default :func:`core.crystal.susceptibility.gauge_orbitals`), then apply ``phase``, and
        fill xi_nn. False: keep the eigenvectors as given (after ``u_transform``), xi_nn = 0.
    u_transform : callable, optional
        ``u_transform(k, E, U) -> U'`` applied to the eigenvectors first (gauge tests).
    phase : callable, optional
        Extra smooth gauge u_n -> u_n e^{i phi_n(k)} after the gauge fixing (diagonal only), so
        xi_nn -> xi_nn - d phi_n.

    Returns
    -------
    BandData, and the smallest modulus of the fixed components (1.0 when ``diagonal`` is
    False): near 0 the gauge has a vortex.

    Notes
    -----
    xi_nn from the gauge condition Im (d_a u_n)_j = 0 with (u_n)_j > 0 and
    d_a u_n = sum_{m != n} u_m v^a_mn / (E_n - E_m) - i xi^a_nn u_n:
    xi^a_nn = Im[sum_{m != n} (u_m)_j v^a_mn / (E_n - E_m)] / (u_n)_j.
    """
    bd, e, u = _eigen(model, k, u_transform)
    orb = None
    if diagonal:
        orb = gauge_orbitals(model) if orbitals is None else np.asarray(orbitals, dtype=np.int64)
    return _assemble(bd, e, u, orb, phase, k)


def _eigen(
    model: TightBindingModel, k: FloatArray, u_transform: UTransform | None
) -> tuple[BlochDerivatives, FloatArray, ComplexArray]:
    bd = bloch_derivatives(model, k, order=2)
    e, u = eigh_batched(bd.h)
    if u_transform is not None:
        u = u_transform(k, e, u)
    return bd, e, u


def _assemble(
    bd: BlochDerivatives,
    e: FloatArray,
    u: ComplexArray,
    orb: NDArray[np.int64] | None,
    phase: PhaseFn | None,
    k: FloatArray | None = None,
) -> tuple[BandData, float]:
    """Band data in the gauge of ``u`` (``orb`` None: xi_nn = 0) or in the fixed gauge."""
    nb = e.shape[1]
    idx = np.arange(nb)
    minmod = 1.0
    if orb is not None:
        u, mod = fix_gauge(u, orb)
        minmod = float(mod.min())
    assert bd.dh is not None and bd.d2h is not None
    v = to_band_basis(u, bd.dh[:, :2])
    w = to_band_basis(u, bd.d2h[:, :2, :2])
    inv = inverse_gaps(e)  # inv[k, n, m] = 1/(E_n - E_m), 0 on the diagonal
    xi = -1j * v * inv[:, None]
    if orb is not None:
        uj = u[:, orb, :]  # uj[k, n, m] = (u_m)_{j_n}
        # sum_{m != n} (u_m)_j v^a_mn / (E_n - E_m): inv[k, n, m] = 1/(E_n - E_m)
        s = np.einsum("knm,kamn,knm->kan", uj, v, inv)
        with np.errstate(divide="ignore", invalid="ignore"):
            xd = s.imag / np.abs(uj[:, idx, idx])[:, None, :]
        xi[:, :, idx, idx] = xd
        if phase is not None:
            assert k is not None
            # u_n -> u_n e^{i phi_n}: X_nm -> e^{-i phi_n} X_nm e^{i phi_m}, xi_nn -> xi_nn - d phi_n
            ph, grad = phase(k)
            p = np.exp(1j * ph)
            rot = np.conj(p)[:, :, None] * p[:, None, :]
            v = v * rot[:, None]
            w = w * rot[:, None, None]
            xi = xi * rot[:, None]
            xi[:, :, idx, idx] -= grad
    return BandData(e, v, w, xi), minmod


def ogata_moment(d: BandData) -> ComplexArray:
    """L_nm = (q/2) eps^{ab} [(xi^a v^b)_nm + d_b E_n xi^a_nm] (K, N, N), e E_u L_u^2.

    Equal to M_nm - (q/4) Delta_mn Omega_nm (eqs 60, 73) and to
    -(i q/2) eps^{ab} <d_a u_n|(dH/dk_b + dE_n/dk_b)|u_m> (module notes).
    """
    nb = d.e.shape[1]
    dE = np.real(d.v[:, :, np.arange(nb), np.arange(nb)])  # (K, 2, N)
    out = np.zeros((*d.e.shape, nb), dtype=np.complex128)
    for a, b, s in _EPS:
        out += s * (d.xi[:, a] @ d.v[:, b] + dE[:, b, :, None] * d.xi[:, a])
    out *= 0.5 * Q
    return out


def integrands(d: BandData, nocc: int) -> FloatArray:
    """Per-k integrands (K, 3) of chi_inter, chi_occ, chi_occ2 (module notes), e^2 E_u L_u^4.

    With diagonal connections in ``d`` these are Ogata's terms; with xi_nn = 0 the purified ones
    (chi°). The BZ integral is the mean over a uniform grid divided by the cell area.
    """
    nb = d.e.shape[1]
    idx = np.arange(nb)
    f = np.zeros(nb)
    f[:nocc] = 1.0
    inv = inverse_gaps(d.e)  # 1/(E_n - E_m); -inv = 1/Delta_mn
    lm = ogata_moment(d)
    inter = 2.0 * np.einsum("n,knm,knm->k", f, np.abs(lm) ** 2, -inv)
    d2e = band_second_derivatives(d.e, d.v, d.w)  # (K, 2, 2, N)
    occ = np.zeros(d.e.shape[0])
    for a, b, s1 in _EPS:
        for c, dd, s2 in _EPS:
            hess = np.einsum("knm,kml,kln->kn", d.xi[:, a], d.w[:, b, c], d.xi[:, dd])
            pair = np.einsum("knm,kmn->kn", d.xi[:, a], d.xi[:, dd])
            occ += s1 * s2 * (np.real(hess - d2e[:, b, c] * pair) @ f)
    occ *= 0.25 * Q * Q
    dE = np.real(d.v[:, :, idx, idx])
    omega_n = np.zeros(d.e.shape)
    m_nn = np.zeros(d.e.shape)
    for a, b, s in _EPS:
        omega_n += s * np.real(1j * np.einsum("knm,kmn->kn", d.xi[:, a], d.xi[:, b]))
        loop = np.einsum("knm,kmn->kn", d.xi[:, a], d.v[:, b]) + np.einsum(
            "knm,kmn->kn", d.v[:, b], d.xi[:, a]
        )
        m_nn += s * (np.real(loop) + 2.0 * dE[:, b] * np.real(d.xi[:, a, idx, idx]))
    m_nn *= 0.25 * Q
    occ2 = -Q * (omega_n * m_nn) @ f
    return np.stack([inter, occ, occ2], axis=1)


@dataclass(frozen=True)
class Fig6Forms:
    """Ogata's split (paper's gauge) and the purified terms of eqs 83-84 on one grid.

    All values per unit area in e^2 E_u L_u^2 / hbar^2.
    """

    ogata: dict[str, float]
    purified: dict[str, float]
    grid: tuple[int, int]
    gap: GapInfo
    orbitals: tuple[int, ...]
    gauge_min_modulus: float

    @property
    def ogata_total(self) -> float:
        """chi_inter + chi_occ + chi_occ2 (the paper's chi_1, gauge dependent in a Chern phase)."""
        return float(sum(self.ogata.values()))

    @property
    def chi_bar(self) -> float:
        """Eq 84 (spinless): chi_bar = (1/2) chi°_occ2."""
        return CHI_BAR_WEIGHT * self.purified["occ2"]

    @property
    def eq83(self) -> float:
        """Eq 83: chi°_inter + chi°_occ + chi°_occ2 + chi_bar (the paper's chi_2)."""
        return float(sum(self.purified.values())) + self.chi_bar


def _chunks(
    model: TightBindingModel, ns: tuple[int, int], shift: float, chunk: int
) -> Iterator[FloatArray]:
    kpts, _ = monkhorst_grid(model, ns, shift)
    for s in range(0, kpts.shape[0], chunk):
        yield kpts[s : s + chunk]


def fig6_forms(
    model: TightBindingModel,
    n: int | tuple[int, int],
    *,
    filling: int | None = None,
    shift: float = 0.5,
    orbitals: NDArray[np.int64] | None = None,
    u_transform: UTransform | None = None,
    phase: PhaseFn | None = None,
    max_k_points: int = MAX_K_POINTS,
) -> Fig6Forms:
    """Ogata's chi_inter, chi_occ, chi_occ2 and the purified terms of eqs 83-84 (2D, zz).

    Parameters
    ----------
    model : TightBindingModel
        A 2D model with non-degenerate bands (the gauge fixing is per band).
    n : int or (int, int)
        k-grid size per reciprocal direction.
    filling : int, optional
        Occupied bands (default half).
    shift : float
        Grid offset in steps (0.5 keeps K, K' off grids divisible by 3).
    orbitals : (N,) int, optional
        Gauge of Ogata's form: orbital made real and positive in each band (default: the paper's).
    u_transform, phase : callable, optional
        Gauge hooks of :func:`band_data` (random phases reach both forms; ``phase`` only Ogata's).

    Returns
    -------
    Fig6Forms

    Raises
    ------
    NotAnInsulator
        When the gap at the filling is below the service's tolerance on the grid.
    """
    if model.dim != 2:
        raise InvalidInput("the Fig. 6 forms are implemented for 2D models", field=("model",))
    ns: tuple[int, int] = (n, n) if isinstance(n, int) else (int(n[0]), int(n[1]))
    check_k_points(ns[0] * ns[1], max_k_points)
    nocc = occupied_count(model, filling)
    info = scan_gap(model, ns, filling, shift)
    require_gap(info, "the orbital susceptibility")
    orb = gauge_orbitals(model) if orbitals is None else np.asarray(orbitals, dtype=np.int64)
    chunk = max(64, _CHUNK_BYTES // (64 * model.norb**3))
    tot_o = np.zeros(3)
    tot_p = np.zeros(3)
    minmod = np.inf
    npts = 0
    for kc in _chunks(model, ns, shift, chunk):
        bd, e, u = _eigen(model, kc, u_transform)
        do, mm = _assemble(bd, e, u, orb, phase, kc)
        dp, _ = _assemble(bd, e, u, None, None)
        tot_o += integrands(do, nocc).sum(axis=0)
        tot_p += integrands(dp, nocc).sum(axis=0)
        minmod = min(minmod, mm)
        npts += kc.shape[0]
    scale = 1.0 / (npts * model.cell_volume)
    return Fig6Forms(
        ogata={p: float(x * scale) for p, x in zip(PARTS, tot_o, strict=True)},
        purified={p: float(x * scale) for p, x in zip(PARTS, tot_p, strict=True)},
        grid=ns,
        gap=info,
        orbitals=tuple(int(o) for o in orb),
        gauge_min_modulus=float(minmod),
    )


# ---------------------------------------------------------------------------------------------
# The Fig. 6 comparison
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fig6Row:
    """One t2 point of Fig. 6: four forms of chi^zz (natural units, per area) and the gauge data.

    ``ogata_other`` is Ogata's form in the other gauge (the orbitals of the paper's gauge swapped).
    """

    ratio: float
    t2: float
    chern: int
    ogata: float
    eq83: float
    chi1: float
    chi2: float
    ogata_other: float
    chi_bar: float
    gauge_min_modulus: float
    ogata_parts: dict[str, float]
    purified_parts: dict[str, float]


def fig6_row(
    ratio: float, n: int, *, t: float = 3.0, M: float = 3.0, phi: float = 0.5 * np.pi
) -> Fig6Row:
    """The four forms at t2 sin(phi) = ratio x M / (3 sqrt 3) of the Haldane model (eqs 93-94).

    Defaults are the paper's Fig. 5/6 model (t = M = 3, phi = pi/2, a = 1).
    """
    t2 = ratio * M / (3.0 * np.sqrt(3.0) * np.sin(phi))
    model = haldane(t, t2, phi, M)
    forms = fig6_forms(model, n)
    other = fig6_forms(model, n, orbitals=np.array(forms.orbitals[::-1], dtype=np.int64))
    return Fig6Row(
        ratio=float(ratio),
        t2=float(t2),
        chern=int(chern_fhs(model, n).occupied),
        ogata=forms.ogata_total,
        eq83=forms.eq83,
        chi1=chi_1(model, n).chi,
        chi2=chi_2(model, n).chi,
        ogata_other=other.ogata_total,
        chi_bar=forms.chi_bar,
        gauge_min_modulus=forms.gauge_min_modulus,
        ogata_parts=dict(forms.ogata),
        purified_parts=dict(forms.purified),
    )
