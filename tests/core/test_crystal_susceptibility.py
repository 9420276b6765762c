"""Static orbital susceptibility chi^zz: chi_2, chi_1, supercell check, Dirac limit (Duff & Sipe).

Reference: :data:`core.references.DUFF_SIPE`.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.crystal import geometry
from core.crystal import susceptibility as sus
from core.crystal.model import haldane
from core.errors import NotAnInsulator
from tests.core.test_crystal_geometry import doubled, random_gauge, three_band

TC = 1.0 / (3.0 * np.sqrt(3.0))


@pytest.mark.parametrize(("M", "t2", "phi"), [(1.5, 0.08, np.pi / 3)])
def test_chi2_agrees_with_magnetic_supercell_energy_in_trivial_phase(
    M: float, t2: float, phi: float
) -> None:
    m = haldane(1.0, t2, phi, M)
    c2 = sus.chi_2(m, 96).chi
    ref = sus.chi_hofstadter(m, qs=(16, 24), nk_total=48).chi
    assert c2 < 0  # diamagnetic
    assert abs(ref / c2 - 1) < 0.01


def test_chi2_is_converged_exponentially_in_the_grid() -> None:
    m = haldane(1.0, 0.1, 0.5 * np.pi, 1.0)
    a, b = sus.chi_2(m, 60).chi, sus.chi_2(m, 120).chi
    assert abs(a - b) < 1e-9 * abs(b)


def test_chi1_equals_chi2_in_trivial_phase() -> None:
    for t2, phi in ((0.0, 0.5 * np.pi), (0.12, 0.5 * np.pi), (0.1, 1.0)):
        m = haldane(1.0, t2, phi, 1.0)
        c1 = sus.chi_1(m, 60)
        c2 = sus.chi_2(m, 60)
        assert c1.chi == pytest.approx(c2.chi, rel=1e-7)
        assert sum(c1.parts.values()) == pytest.approx(c1.chi)
        assert sum(c2.parts.values()) == pytest.approx(c2.chi)


def test_chi1_differs_from_chi2_and_depends_on_gauge_in_chern_phase() -> None:
    m = haldane(1.0, 2.0 * TC, 0.5 * np.pi, 1.0)
    c2 = sus.chi_2(m, 90).chi
    c1 = sus.chi_1(m, 90)
    c1_other = sus.chi_1(m, 90, orbitals=np.array([0, 1]))
    assert abs(c1.chi - c2) > 0.05 * abs(c2)
    assert abs(c1.chi - c1_other.chi) > 0.05 * abs(c2)
    assert c1.extra["gauge_min_modulus"] < 0.05  # the paper's gauge has a vortex in the BZ
    # chi_2 stays diamagnetic on both sides of the transition (the paper's Fig. 6)
    assert c2 < 0 and sus.chi_2(haldane(1.0, 0.5 * TC, 0.5 * np.pi, 1.0), 60).chi < 0


def test_chi_diverges_at_both_sides_of_the_transition_and_is_even_in_t2() -> None:
    vals = [
        sus.chi_2(haldane(1.0, r * TC, 0.5 * np.pi, 1.0), 150).chi for r in (0.8, 0.95, 1.05, 1.2)
    ]
    assert vals[1] < vals[0] < 0 and vals[2] < vals[3] < 0
    assert sus.chi_2(haldane(1.0, -0.95 * TC, 0.5 * np.pi, 1.0), 150).chi == pytest.approx(
        vals[1], rel=1e-10
    )


def test_massive_dirac_limit_of_haldane_at_t2_zero() -> None:
    # M chi -> -2 v^2 / (12 pi), v = 3 t a / 2 (two valleys, half gap M); lattice corrections O(M).
    # Koshino & Ando (2010): chi = -g e^2 v^2 / (6 pi) / (2 |m|), written out here (not taken from
    # the module under test).
    dirac = -2 * 1.5**2 / (12 * np.pi)
    assert sus.dirac_two_valley_chi(1.5, 1.0) == pytest.approx(dirac, rel=1e-15)
    ratios = {
        M: sus.chi_2(haldane(1.0, 0.0, 0.0, M), n).chi * M / dirac
        for M, n in ((0.2, 240), (0.1, 360))
    }
    extrapolated = 2 * ratios[0.1] - ratios[0.2]  # linear Richardson in M
    assert ratios[0.2] < ratios[0.1] < 1.0
    assert extrapolated == pytest.approx(1.0, abs=5e-3)


def test_quadrature_path_matches_closed_form_residues_and_is_gauge_invariant() -> None:
    m = haldane(1.0, 0.1, 1.0, 1.0)
    a = sus.chi_2(m, 24)
    b = sus.chi_2(m, 24, method="quadrature", u_transform=random_gauge(11))
    assert b.chi == pytest.approx(a.chi, rel=1e-9)
    for k in a.parts:
        assert b.parts[k] == pytest.approx(a.parts[k], rel=1e-8)
    assert b.magnetization == pytest.approx(a.magnetization, rel=1e-8, abs=1e-14)
    c1 = sus.chi_1(m, 24, u_transform=random_gauge(12))
    assert c1.chi == pytest.approx(sus.chi_1(m, 24).chi, rel=1e-10)


def test_generated_word_kernel_equals_the_table_loop() -> None:
    # the committed file is current: tests/core/test_crystal_generated.py
    m = haldane(1.0, 0.2, 0.7, 0.6)
    a = sus.chi_2(m, 30)
    b = sus.chi_2(m, 30, generated=False)
    assert a.chi == pytest.approx(b.chi, rel=1e-12)
    assert a.magnetization == pytest.approx(b.magnetization, rel=1e-10)


def test_degenerate_copies_double_chi_for_any_unitary_in_the_degenerate_subspace() -> None:
    m = haldane(1.0, 0.1, 0.5 * np.pi, 1.0)
    single = sus.chi_2(m, 18).chi
    d = sus.chi_2(doubled(m), 18, u_transform=random_gauge(13))
    assert d.chi == pytest.approx(2 * single, rel=1e-8)


def test_magnetization_from_green_function_matches_modern_theory_eq58() -> None:
    for m in (haldane(1.0, 0.1, np.pi / 3, 1.0), haldane(1.0, 0.3, np.pi / 3, 0.5)):
        r = sus.chi_2(m, 60)
        assert abs(r.magnetization) > 1e-4
        assert r.magnetization == pytest.approx(geometry.orbital_magnetization(m, 60), rel=1e-9)


def test_three_band_model_chi1_equals_chi2() -> None:
    m = three_band(scale=0.08)
    info = sus.scan_gap(m, 30, filling=1, shift=0.5)
    assert info.gap > 0.1
    for filling in (1, 2):  # filling 2: two occupied bands, the l != n, m sums of eq 102 enter
        c2 = sus.chi_2(m, 30, filling=filling)
        c1 = sus.chi_1(m, 30, filling=filling)
        assert c1.chi == pytest.approx(c2.chi, rel=1e-6)


def test_n_band_quadrature_work_is_capped_with_a_named_limit() -> None:
    from core.errors import LimitExceeded

    with pytest.raises(LimitExceeded) as ei:
        sus.chi_2(three_band(scale=0.08), 300, filling=1)
    assert ei.value.limit_name == "max_k_points" and ei.value.limit < 300 * 300


def test_gapless_model_is_refused_with_the_gap() -> None:
    with pytest.raises(NotAnInsulator) as ei:
        sus.chi_2(haldane(1.0, TC, 0.5 * np.pi, 1.0), 30, shift=0.0)
    assert abs(ei.value.gap) < 1e-9
    with pytest.raises(NotAnInsulator):
        sus.chi_2(haldane(1.0, 0.0, 0.0, 0.0), 30, shift=0.0)  # graphene


def test_si_conversion() -> None:
    # chi_nat = 1 with E_u = 1 eV, L_u = 1 Angstrom: e^2 eV A^2 / hbar^2
    from scipy import constants as c

    val = sus.to_si(1.0, c.e, 1e-10)
    assert val == pytest.approx(c.e**3 * 1e-20 / c.hbar**2)


def test_stacked_layers_give_chi_per_volume_equal_to_layer_chi_over_spacing() -> None:
    # 3D stack of Haldane layers, spacing c, interlayer hopping t_z on each orbital: H(k) =
    # H_2D(kx, ky) + 2 t_z cos(kz c); B along z leaves kz a spectator, so chi_3D c = chi_2D.
    from core.crystal.model import from_hoppings

    layer = haldane(1.0, 0.1, 1.0, 1.0)
    c, tz = 2.5, 0.1
    lat = np.zeros((3, 3))
    lat[:2, :2] = layer.lattice
    lat[2, 2] = c
    pos = np.concatenate([layer.positions, np.zeros((2, 1))], axis=1)
    hops = [
        (int(i), int(j), (*r, 0), a)
        for i, j, r, a in zip(
            layer.hop_from, layer.hop_to, layer.hop_cell, layer.hop_amplitude, strict=True
        )
    ]
    hops += [(0, 0, (0, 0, 1), tz), (1, 1, (0, 0, 1), tz)]
    stack = from_hoppings(lat, pos, layer.onsite, hops)
    chi3 = sus.chi_2(stack, (40, 40, 6)).chi
    chi2 = sus.chi_2(layer, 40).chi
    assert chi3 * c == pytest.approx(chi2, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Absolute normalisation and sign: a crystal of isolated triangle molecules
# ---------------------------------------------------------------------------------------------

TRI_POS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3.0) / 2.0]])
TRI_ONSITE = (0.0, 0.1, -0.2)
TRI_CELL = 10.0


def triangle_crystal(theta: float = 0.3, t: float = 1.0):
    """Three orbitals on a triangle in a large square cell, no bond between cells."""
    amp = -t * np.exp(1j * theta)
    hops = [(0, 1, (0, 0), amp), (1, 2, (0, 0), amp), (2, 0, (0, 0), amp)]
    from core.crystal.model import from_hoppings

    lat = [[TRI_CELL, 0.0], [0.0, TRI_CELL]]
    return from_hoppings(lat, TRI_POS, list(TRI_ONSITE), hops), hops


def ring_energy(hops, b: float, n_occ: int = 1, q: float = -1.0) -> float:
    """Exact ground-state energy of the molecule in a field B along z (hbar = e = 1).

    Peierls: H_ij -> H_ij exp(i q int_{r_j}^{r_i} A.dl) with A = (B/2) z x r; along the straight
    bond the integral is (B/2) (r_j x r_i)_z. Nothing here comes from core.crystal.
    """
    h = np.diag(np.asarray(TRI_ONSITE, dtype=complex))
    for i, j, _, amp in hops:
        ri, rj = TRI_POS[i], TRI_POS[j]
        val = amp * np.exp(1j * q * 0.5 * b * (rj[0] * ri[1] - rj[1] * ri[0]))
        h[i, j] += val
        h[j, i] += np.conj(val)
    return float(np.sum(np.linalg.eigvalsh(h)[:n_occ]))


def test_chi_and_magnetization_of_isolated_molecules_equal_the_exact_field_derivatives() -> None:
    # flat bands: the Bloch formulas must give exactly the molecule's -d2E/dB2 and -dE/dB per cell
    # area. Fixes the absolute factor (q^2, per-area, 1/2 of Omega = -chi B^2/2) and the sign of M
    # (q = -1), which the comparisons between the module's own evaluations cannot.
    m, hops = triangle_crystal()
    b = 1e-3
    e0, ep, em = (ring_energy(hops, x) for x in (0.0, b, -b))
    area = TRI_CELL**2
    chi_ref = -(ep + em - 2 * e0) / b**2 / area
    mag_ref = -(ep - em) / (2 * b) / area
    assert chi_ref < 0 and abs(mag_ref) > 1e-4  # diamagnetic ring; time reversal broken by theta
    c2 = sus.chi_2(m, 6, filling=1)
    assert c2.chi == pytest.approx(chi_ref, rel=1e-5)
    assert c2.magnetization == pytest.approx(mag_ref, rel=1e-5)
    assert geometry.orbital_magnetization(m, 6, filling=1) == pytest.approx(mag_ref, rel=1e-5)
    assert sus.chi_1(m, 6, filling=1).chi == pytest.approx(chi_ref, rel=1e-5)
    # and the independent supercell path agrees on the same absolute value
    assert sus.chi_hofstadter(m, qs=(8, 12), filling=1, nk_total=12).chi == pytest.approx(
        chi_ref, rel=1e-3
    )


def test_si_conversion_of_the_molecular_crystal_matches_an_si_calculation() -> None:
    # the same molecule with t = 1 eV, lengths in Angstrom, done directly in SI (B in tesla,
    # Peierls phase q B (r_j x r_i)/(2 hbar), q = -e): chi_SI = -d2E/dB2 / area in A^2 m^2 / J
    e, hbar = 1.602176634e-19, 1.054571817e-34
    m, hops = triangle_crystal()
    ang = 1e-10
    b = 50.0  # tesla: phase ~ 1e-4 rad on a 1 Angstrom bond

    def energy_si(bf: float) -> float:
        return e * ring_energy(hops, e * bf * ang**2 / hbar)  # B_nat = e B L_u^2 / hbar, q = -1

    e0, ep, em = (energy_si(x) for x in (0.0, b, -b))
    area = (TRI_CELL * ang) ** 2
    chi_si = -(ep + em - 2 * e0) / b**2 / area
    assert sus.to_si(sus.chi_2(m, 6, filling=1).chi, e, ang) == pytest.approx(chi_si, rel=1e-4)
