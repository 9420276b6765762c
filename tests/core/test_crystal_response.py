"""Physics of the frequency-dependent crystal response (Duff & Sipe secs. VI-VII, Fig. 5).

Small grids (the integrands of t = M = 3 are smooth: 30-40 points per direction converge to
1e-10). Reference values are independent evaluations (chi_2 of eqs 83-84, finite differences,
analytic identities), never the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.crystal import response, susceptibility
from core.crystal.bloch import monkhorst_grid
from core.crystal.model import haldane
from core.crystal.multipole import band_jet
from core.crystal.response_report import (
    magnetic_susceptibility_report,
    q2_conductivity_report,
)
from core.crystal.susceptibility import gauge_orbitals
from core.errors import InvalidInput

TRIVIAL = haldane(t=3.0, t2=0.0, M=3.0)
BROKEN_TRS = haldane(t=3.0, t2=0.3, M=3.0, phi=0.7)  # trivial (0.3 sin 0.7 < 3/(3 sqrt3))


def smooth_phase(model):
    """A smooth periodic gauge change theta_n(k) with its gradient and Hessian (per band)."""
    lat = model.lattice
    modes = [((1, 0), (0.7, 0.3)), ((0, 1), (-0.4, 1.1)), ((1, 1), (0.5, -0.2))]

    def phase(k):
        kap = k @ lat.T  # = 2 pi x reduced coordinates
        th = np.zeros((k.shape[0], 2))
        g = np.zeros((k.shape[0], 2, 2))
        h = np.zeros((k.shape[0], 2, 2, 2))
        for (p, q), cs in modes:
            vec = p * lat[0] + q * lat[1]
            arg = p * kap[:, 0] + q * kap[:, 1]
            for nb, c in enumerate(cs):
                th[:, nb] += c * np.sin(arg)
                g[:, :, nb] += c * np.cos(arg)[:, None] * vec
                h[:, :, :, nb] -= c * np.sin(arg)[:, None, None] * np.outer(vec, vec)
        return th, g, h

    return phase


@pytest.mark.parametrize("model", [TRIVIAL, BROKEN_TRS])
def test_sigma_l_static_limit_is_minus_chi_static(model):
    """eq 16 at w = 0: sigma_L^{xzy}(0) = -chi^zz, sigma_L^{yzx}(0) = +chi^zz (same grid)."""
    chi = susceptibility.chi_2(model, 40).chi
    r = response.q2_conductivity(model, 40, np.array([0.0]), eta=0.0, sigma_l=("xzy", "yzx"))
    assert r.sigma_l["xzy"][0] == pytest.approx(-chi, rel=1e-8)
    assert r.sigma_l["yzx"][0] == pytest.approx(chi, rel=1e-8)
    assert chi < 0  # diamagnetic: sigma_L^{xzy}(0) > 0 is the diamagnetic sign


def test_f_sum_rule_uniform_static_potential_gives_no_current():
    """K(q = 0, w = 0) = 0: diamagnetic and paramagnetic parts cancel (eqs 103, 106, 107)."""
    r = response.q2_conductivity(TRIVIAL, 24, np.array([1.0]), eta=0.1)
    # a periodic total derivative on a 24x24 grid: exponentially small, not zero
    assert np.max(np.abs(r.k0_static)) < 1e-9 * r.diamagnetic_scale


def test_sigma_l_and_sigma_k_are_invariant_under_random_bloch_phases():
    """Random phases per k-point, stencil point and band leave sigma_L, sigma_K to rounding."""
    w = np.array([0.0, 2.0, 5.9, 8.0])
    kw = {"eta": 0.1, "sigma_l": ("xzy", "xzx"), "sigma_k": ("xxxx", "yxxy")}
    a = response.q2_conductivity(BROKEN_TRS, 20, w, **kw)
    b = response.q2_conductivity(BROKEN_TRS, 20, w, gauge_seed=7, **kw)
    # rounding of the q-differences: ~1e-10 of the largest value of each component
    for c in a.sigma_l:
        scale = np.max(np.abs(a.sigma_l[c]))
        np.testing.assert_allclose(b.sigma_l[c], a.sigma_l[c], rtol=0, atol=1e-9 * scale)
    for c in a.sigma_k:
        scale = np.max(np.abs(a.sigma_k[c]))
        np.testing.assert_allclose(b.sigma_k[c], a.sigma_k[c], rtol=0, atol=1e-9 * scale)
    assert np.max(np.abs(a.sigma_l["xzy"])) > 1.0  # the resonances are included


def test_chi_m_is_gauge_dependent_at_finite_frequency_but_not_static():
    """Sec. VI: a smooth gauge change alters chi_M(w != 0) (eq 74), but not chi_M(0) (eta = 0)."""
    w = np.array([0.0, 3.0, 5.0])
    eta = np.array([0.0, 0.1, 0.1])
    a = response.chi_m_paper(TRIVIAL, 30, w, eta=eta)
    b = response.chi_m_paper(TRIVIAL, 30, w, eta=eta, phase=smooth_phase(TRIVIAL))
    assert b.chi[0] == pytest.approx(a.chi[0], rel=1e-10)
    assert abs(b.chi[2] - a.chi[2]) > 1e-2 * abs(a.chi[2])
    for part in ("occ", "geo"):  # the individual parts change even at w = 0
        assert abs(b.parts[part][0] - a.parts[part][0]) > 1e-3


@pytest.mark.parametrize("model", [TRIVIAL, BROKEN_TRS])
def test_chi_m_static_limit_is_chi_static(model):
    """Eq 74 at w = 0 reduces to eqs 70-73, equal to chi_2 (eqs 83-84) to 1e-8 on the same grid."""
    chi = susceptibility.chi_2(model, 30).chi
    r = response.chi_m_paper(model, 30, np.array([0.0]), eta=0.0)
    assert r.chi[0].real == pytest.approx(chi, rel=1e-8)
    assert abs(r.parts["atomic"][0]) == 0.0 and abs(r.parts["itinerant"][0]) == 0.0


def test_time_reversal_frequency_parity_below_the_gap():
    """Sec. VI.I at t2 = 0, 0+ -> 0: chi_M, sigma_L even in w, sigma_K odd."""
    w = np.array([1.5, -1.5, 2.5, -2.5])
    cm = response.chi_m_paper(TRIVIAL, 24, w, eta=0.0)
    np.testing.assert_allclose(cm.chi[0::2], cm.chi[1::2], rtol=1e-10)
    r = response.q2_conductivity(TRIVIAL, 24, w, eta=0.0, sigma_l=("xzy",), sigma_k=("xxxx",))
    np.testing.assert_allclose(r.sigma_l["xzy"][0::2], r.sigma_l["xzy"][1::2], rtol=1e-10)
    np.testing.assert_allclose(r.sigma_k["xxxx"][0::2], -r.sigma_k["xxxx"][1::2], rtol=1e-10)
    # with time reversal sigma_K vanishes at w = 0 (odd in w)
    r0 = response.q2_conductivity(TRIVIAL, 24, np.array([0.0]), eta=0.0, sigma_k=("xxxx",))
    assert abs(r0.sigma_k["xxxx"][0]) < 1e-12


def test_reality_sigma_at_minus_w_is_conjugate():
    """Real fields: K(-w) = K(w)* for real w and fixed 0+, hence sigma_L(-w) = sigma_L(w)*.

    The pairing behind it maps the k-grid onto a grid shifted by q, so it is exact for the
    integral; below the gap (smooth integrand) the grid sum meets it to rounding."""
    w = np.array([3.2, -3.2])
    r = response.q2_conductivity(BROKEN_TRS, 60, w, eta=0.1, sigma_l=("xzy",), sigma_k=("yxxy",))
    assert r.sigma_l["xzy"][1] == pytest.approx(np.conj(r.sigma_l["xzy"][0]), rel=1e-7)
    assert r.sigma_k["yxxy"][1] == pytest.approx(np.conj(r.sigma_k["yxxy"][0]), rel=1e-7)


def test_c3_isotropy_of_sigma_k_and_sigma_l():
    """The honeycomb's C3 makes rank-4 in-plane tensors isotropic: sigma_K^{xxxx} =
    3 sigma_K^{yxxy} = sigma_K^{yyyy}; and sigma_L^{xzy} = -sigma_L^{yzx} (sec. VIII.A). The grid
    is not C3 symmetric, so this holds as the grid converges: exactly enough below the gap."""
    w = np.array([2.0, 4.0])
    r = response.q2_conductivity(
        TRIVIAL, 30, w, eta=0.1, sigma_l=("xzy", "yzx"), sigma_k=("xxxx", "yxxy", "yyyy")
    )
    np.testing.assert_allclose(r.sigma_k["xxxx"], 3 * r.sigma_k["yxxy"], rtol=1e-6)
    np.testing.assert_allclose(r.sigma_k["yyyy"], r.sigma_k["xxxx"], rtol=1e-6)
    np.testing.assert_allclose(r.sigma_l["xzy"], -r.sigma_l["yzx"], rtol=1e-6)


def test_grid_convergence_of_the_fig5_shape():
    """With 0+ = 100 meV the resonances converge once the k-step times the band velocity is well
    below 0+ (the M-point saddle is the slowest): 240 -> 400 -> 480."""
    w = np.array([5.5, 8.0, 8.5, 9.0])
    a = response.q2_conductivity(TRIVIAL, 240, w, eta=0.1).sigma_l["xzy"]
    b = response.q2_conductivity(TRIVIAL, 400, w, eta=0.1).sigma_l["xzy"]
    c = response.q2_conductivity(TRIVIAL, 480, w, eta=0.1).sigma_l["xzy"]
    assert np.max(np.abs(c - b)) < 1e-3 * np.max(np.abs(c))
    assert np.max(np.abs(c - b)) < 0.05 * np.max(np.abs(b - a))


def test_band_jet_derivatives_match_finite_differences():
    """d_a xi^b (incl. the gauge-fixed diagonal) and d_a d_c v^d against central differences, in
    the paper's gauge and after a smooth gauge change."""
    k, _ = monkhorst_grid(TRIVIAL, 5, 0.5)
    orb = gauge_orbitals(TRIVIAL)
    h = 1e-5
    for phase in (None, smooth_phase(TRIVIAL)):
        jet = band_jet(TRIVIAL, k, orb, None if phase is None else phase(k))
        for a in range(2):
            dk = np.zeros(2)
            dk[a] = h
            jp = band_jet(TRIVIAL, k + dk, orb, None if phase is None else phase(k + dk))
            jm = band_jet(TRIVIAL, k - dk, orb, None if phase is None else phase(k - dk))
            np.testing.assert_allclose(jet.dxi[:, a], (jp.xi - jm.xi) / (2 * h), atol=1e-7)
            np.testing.assert_allclose(jet.d2v[:, a], (jp.dv - jm.dv) / (2 * h), atol=1e-6)
        # ordinary derivatives commute
        np.testing.assert_allclose(jet.d2v[:, 0, 1], jet.d2v[:, 1, 0], atol=1e-12)


def test_fig5_features_paramagnetic_switch():
    """Fig. 5: flat near -chi_static below the gap, a peak ~10x larger just below the K gap,
    the opposite ("paramagnetic") sign between the K and M gaps."""
    w = np.array([0.5, 5.8, 7.0])
    r = response.q2_conductivity(TRIVIAL, 90, w, eta=0.1).sigma_l["xzy"].real
    s0 = -susceptibility.chi_2(TRIVIAL, 90).chi
    assert r[0] == pytest.approx(s0, rel=0.02)
    assert r[1] > 8 * s0
    assert r[2] < 0


def test_reports_carry_passing_checks_and_the_sign_convention():
    w = np.linspace(0.0, 10.0, 6)
    rep = q2_conductivity_report(TRIVIAL, (40, 40), w, 0.1, sigma_k=("xxxx",))
    for name in ("static_limit", "f_sum_rule", "frequency_parity"):
        assert rep.checks[name].verdict is True, name
    assert "grid_convergence" in rep.checks
    assert "sigma_L^{xzy}(0) = -chi^zz_static" in rep.results["sign_convention"]
    rep2 = q2_conductivity_report(BROKEN_TRS, (24, 24), w, 0.1)
    assert rep2.checks["frequency_parity"].verdict is None  # no time reversal: no verdict
    rc = magnetic_susceptibility_report(TRIVIAL, (30, 30), w, 0.1)
    assert rc.checks["static_limit"].verdict is True
    assert rc.checks["frequency_parity"].verdict is True
    assert any("not gauge invariant" in n for n in rc.notes)


def test_coarse_grid_fails_convergence_with_a_warning():
    """A grid that cannot resolve 0+ = 10 meV resonances is flagged, not silently returned."""
    rep = q2_conductivity_report(TRIVIAL, (12, 12), np.linspace(5.0, 7.0, 5), 0.01)
    assert rep.checks["grid_convergence"].verdict is False
    assert any("changes by" in wtext for wtext in rep.warnings)


def test_bad_inputs_are_invalid_input():
    with pytest.raises(InvalidInput):
        response.q2_conductivity(TRIVIAL, 8, np.array([1.0]), eta=-1.0)
    with pytest.raises(InvalidInput):
        response.q2_conductivity(TRIVIAL, 8, np.array([1.0]), eta=0.1, sigma_l=("xyz",))
