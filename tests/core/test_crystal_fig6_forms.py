"""Fig. 6 with the paper's own formulas: Ogata's split (chi_1) and eqs 83-84 (chi_2).

Reference: :data:`core.references.DUFF_SIPE` (eqs 60, 70-73, 83-87, D2, D3); docs/crystal-fig6.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.crystal import fig6_forms as f6
from core.crystal import susceptibility as sus
from core.crystal.bloch import bloch_derivatives, eigh_batched
from core.crystal.model import TightBindingModel, haldane
from core.errors import NotAnInsulator
from tests.core.test_crystal_geometry import random_gauge, three_band

TC = 1.0 / (3.0 * np.sqrt(3.0))  # critical t2 sin(phi) / M
T = M = 3.0  # the paper's Fig. 5/6 model
V_DIRAC = 1.5 * T  # Dirac velocity 3 t a / 2 at K and K' (a = 1)


def fig6_model(ratio: float) -> TightBindingModel:
    return haldane(T, ratio * TC * M, 0.5 * np.pi, M)


def smooth_phase(model: TightBindingModel):
    """A smooth periodic gauge u_n -> u_n e^{i phi_n(k)} and its gradient."""
    a1, a2 = model.lattice
    al, be = np.array([0.7, -0.4]), np.array([0.3, 0.9])

    def f(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k1, k2 = k @ a1, k @ a2
        ph = al * np.sin(k1)[:, None] + be * np.cos(k2)[:, None]
        grad = (
            al[None, None] * np.cos(k1)[:, None, None] * a1[None, :, None]
            - be[None, None] * np.sin(k2)[:, None, None] * a2[None, :, None]
        )
        return ph, grad

    return f


@pytest.mark.parametrize("ratio", [0.5, 1.5])
def test_ogata_split_is_eqs_70_to_73_regrouped_in_either_phase(ratio: float) -> None:
    # same gauge, same k-points: the regrouping is algebra, so it holds in the Chern phase too
    m = fig6_model(ratio)
    f = f6.fig6_forms(m, 45)
    c1 = sus.chi_1(m, 45)
    assert f.ogata_total == pytest.approx(c1.chi, rel=1e-10)
    assert f.ogata["occ"] == pytest.approx(c1.parts["occ"], rel=1e-10)
    vv_geo = c1.parts["vv"] + c1.parts["geo"]
    assert f.ogata["inter"] + f.ogata["occ2"] == pytest.approx(vv_geo, rel=1e-10)


def test_ogata_matrix_element_equals_its_full_derivative_form_and_gauge_connection() -> None:
    # L_nm = -(i q/2) eps^ab <d_a u_n|(dH/dk_b + dE_n/dk_b)|u_m> and xi_nn = i <u_n|d u_n>, with
    # d u_n by central differences of the gauge-fixed eigenvectors (trivial phase: smooth gauge)
    m = haldane(1.0, 0.1, 1.0, 1.0)
    rng = np.random.default_rng(4)
    k = rng.uniform(-2.0, 2.0, (5, 2))
    d, _ = f6.band_data(m, k, diagonal=True)
    orb = sus.gauge_orbitals(m)
    h = 1e-5

    def gauged(kk: np.ndarray) -> np.ndarray:
        _, u = eigh_batched(bloch_derivatives(m, kk, order=0).h)
        return sus.fix_gauge(u, orb)[0]

    u0 = gauged(k)
    du = np.stack(
        [(gauged(k + h * e) - gauged(k - h * e)) / (2 * h) for e in np.eye(2)], axis=1
    )  # (K, a, orbital, band)
    xi_nn = 1j * np.einsum("kon,kaon->kan", np.conj(u0), du)
    idx = np.arange(2)
    assert np.allclose(d.xi[:, :, idx, idx], xi_nn, atol=1e-6)
    bd = bloch_derivatives(m, k, order=1)
    assert bd.dh is not None
    dE = np.real(d.v[:, :, idx, idx])
    lfd = np.zeros((5, 2, 2), dtype=complex)
    for a, b, s in ((0, 1, 1.0), (1, 0, -1.0)):
        op = bd.dh[:, b][:, None] + dE[:, b][:, :, None, None] * np.eye(2)  # [k, n, o, o']
        # <d_a u_n| op_n |u_m>
        lfd += s * np.einsum("kon,knop,kpm->knm", np.conj(du[:, a]), op, u0)
    lfd *= -0.5j * f6.Q
    assert np.allclose(f6.ogata_moment(d), lfd, atol=1e-6)


@pytest.mark.parametrize(
    ("model", "filling", "n"),
    [
        (haldane(T, 0.5 * TC * M, 0.5 * np.pi, M), None, 45),  # trivial
        (haldane(T, 1.5 * TC * M, 0.5 * np.pi, M), None, 45),  # Chern, C = +1
        (haldane(1.0, 0.6, np.pi / 3, 1.0), None, 90),  # Chern, phi != pi/2 (E_v != -E_c)
        (three_band(scale=0.08), 1, 30),
        (three_band(scale=0.08), 2, 30),  # two occupied bands: the l != n, m sums of D2, D3
    ],
)
def test_eq83_with_the_printed_one_half_of_eq84_equals_the_green_function_chi2(
    model: TightBindingModel, filling: int | None, n: int
) -> None:
    f = f6.fig6_forms(model, n, filling=filling)
    c2 = sus.chi_2(model, n, filling=filling).chi
    assert f.eq83 == pytest.approx(c2, rel=1e-8)
    # the weight of chi°_occ2 in chi_bar that eq 83 needs is the printed 1/2
    weight = (c2 - sum(f.purified.values())) / f.purified["occ2"]
    assert weight == pytest.approx(0.5, abs=1e-7)


@pytest.mark.parametrize(
    ("model", "filling"),
    [(haldane(1.0, 0.2, 0.7, 0.6), None), (three_band(scale=0.08), 2)],
)
def test_forms_do_not_change_under_random_bloch_phases(
    model: TightBindingModel, filling: int | None
) -> None:
    # purified terms: closed index loops (gauge invariant at each k); Ogata's: gauge re-fixed
    a = f6.fig6_forms(model, 24, filling=filling)
    b = f6.fig6_forms(model, 24, filling=filling, u_transform=random_gauge(21))
    scale = abs(a.eq83)
    for p in f6.PARTS:
        assert b.purified[p] == pytest.approx(a.purified[p], abs=1e-10 * scale)
        assert b.ogata[p] == pytest.approx(a.ogata[p], abs=1e-10 * scale)


@pytest.mark.parametrize("ratio", [0.5, 1.5])
def test_smooth_periodic_gauge_moves_ogata_parts_but_not_their_sum(ratio: float) -> None:
    m = fig6_model(ratio)
    a = f6.fig6_forms(m, 45)
    b = f6.fig6_forms(m, 45, phase=smooth_phase(m))
    assert b.ogata_total == pytest.approx(a.ogata_total, rel=1e-10)
    assert abs(b.ogata["inter"] - a.ogata["inter"]) > 0.01 * abs(a.ogata_total)
    assert b.eq83 == pytest.approx(a.eq83, rel=1e-12)  # purified: untouched by construction


def vortex_term(v: float, masses: list[float]) -> float:
    """q^2 v^2 / (8 pi |m_v|) summed over the vortices of a gauge (found here; see docs)."""
    return sum(v * v / (8 * np.pi * abs(mv)) for mv in masses)


def test_trivial_phase_forms_agree_in_a_smooth_gauge_and_a_vortex_pair_spoils_ogata() -> None:
    m = fig6_model(0.5)
    m_k, m_kp = M * (1 - 0.5), M * (1 + 0.5)  # Dirac masses M -+ 3 sqrt3 t2 at K, K'
    f = f6.fig6_forms(m, 90)  # the paper's gauge: lower band's B component real, smooth
    c1, c2 = sus.chi_1(m, 90).chi, sus.chi_2(m, 90).chi
    for x in (f.ogata_total, f.eq83, c1):
        assert x == pytest.approx(c2, rel=1e-10)
    assert c2 < 0
    assert f.gauge_min_modulus > 0.5  # no vortex
    # A component real instead: it vanishes at K and K' (the lower band sits on B there), a
    # vortex pair of opposite winding (C = 0); Ogata's form is then off by both vortex terms
    g = f6.fig6_forms(m, 90, orbitals=np.array(f.orbitals[::-1]))
    assert g.gauge_min_modulus < 0.05
    assert g.eq83 == pytest.approx(c2, rel=1e-10)
    assert g.ogata_total - c2 == pytest.approx(vortex_term(V_DIRAC, [m_k, m_kp]), rel=1e-5)


@pytest.mark.parametrize(
    ("t2", "phi", "t", "m_"),
    [(1.5 * TC * M, 0.5 * np.pi, T, M), (-1.5 * TC * M, 0.5 * np.pi, T, M), (0.6, np.pi / 3, 1, 1)],
)
def test_chern_phase_ogata_form_exceeds_chi2_by_the_dirac_term_of_its_vortex_valley(
    t2: float, phi: float, t: float, m_: float
) -> None:
    # No smooth periodic gauge exists: the lower band's fixed component vanishes at one valley,
    # K or K' depending on the orbital made real (one vortex, winding C). chi_1 - chi_2 is the
    # vortex term q^2 v^2 / (8 pi |m_v|), m_v = M -+ 3 sqrt3 t2 sin(phi) the Dirac mass at that
    # valley (the boundary term the integration by parts behind eq 84 leaves). Grid error ~ n^-2.
    model = haldane(t, t2, phi, m_)
    m_k, m_kp = m_ - 3 * np.sqrt(3) * t2 * np.sin(phi), m_ + 3 * np.sqrt(3) * t2 * np.sin(phi)
    assert m_k * m_kp < 0  # Chern phase
    v = 1.5 * t
    c2 = sus.chi_2(model, 90).chi
    excess = []
    for orbitals in (np.array([1, 0]), np.array([0, 1])):
        f = f6.fig6_forms(model, 90, orbitals=orbitals)
        assert f.gauge_min_modulus < 0.05
        assert f.eq83 == pytest.approx(c2, rel=1e-9)
        excess.append(f.ogata_total - c2)
    # one gauge has its vortex at K, the other at K'
    expected = sorted([vortex_term(v, [m_k]), vortex_term(v, [m_kp])])
    assert sorted(excess) == pytest.approx(expected, rel=1e-4)


def test_massive_dirac_limit_at_t2_zero() -> None:
    # M chi -> -2 v^2 / (12 pi) (two valleys, v = 3 t a / 2; Koshino & Ando 2010), linear in M
    dirac = -2 * 1.5**2 / (12 * np.pi)
    ratios = {}
    for m_, n in ((0.4, 120), (0.2, 240)):  # band-edge width m / v: ~ 7 grid steps
        f = f6.fig6_forms(haldane(1.0, 0.0, 0.0, m_), n)
        assert f.ogata_total == pytest.approx(f.eq83, rel=1e-10)
        ratios[m_] = f.eq83 * m_ / dirac
    assert ratios[0.4] < ratios[0.2] < 1.0
    # linear Richardson; its O(M^2) remainder is 5e-3 here (4e-4 from M = 0.2, 0.1)
    assert 2 * ratios[0.2] - ratios[0.4] == pytest.approx(1.0, abs=1e-2)


def test_convergence_with_the_grid() -> None:
    trivial = fig6_model(0.5)
    # exponential (smooth, periodic integrand): each 15 more points gain > 2 orders
    vals = [f6.fig6_forms(trivial, n) for n in (30, 45, 60)]
    for get in (lambda f: f.eq83, lambda f: f.ogata_total):
        x = [get(f) for f in vals]
        assert abs(x[2] - x[1]) < 1e-2 * abs(x[1] - x[0])
        assert abs(x[2] - x[1]) < 1e-8 * abs(x[2])
    chern = fig6_model(1.5)
    vals = [f6.fig6_forms(chern, n).ogata_total for n in (30, 60, 120)]
    # the vortex makes the integrand singular (integrable): algebraic convergence, ~ n^-2
    e1, e2 = abs(vals[1] - vals[0]), abs(vals[2] - vals[1])
    assert e2 < 0.4 * e1 and e2 < 1e-3 * abs(vals[2])


def test_gapless_model_is_refused() -> None:
    with pytest.raises(NotAnInsulator):
        f6.fig6_forms(haldane(1.0, 0.0, 0.0, 0.0), 30, shift=0.0)  # graphene, K on the grid
