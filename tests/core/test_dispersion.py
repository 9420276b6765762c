"""Physics checks of core.dispersion: polariton branches w_j(k) and the sum rule of Westerberg & Barnett (2025) eq 9.

Independent references: the cleared polynomial built here from eq 21 with numpy.polynomial (small
M only), the closed-form Hopfield polariton x_+- = w^2 of a single Lorentz oscillator, and the
high-frequency expansion of eq 21 for the growth rate of the photon-like branch.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.polynomial import polynomial as P

from core.dispersion import (
    dispersion_branches,
    polariton_roots,
    rational_form,
)
from core.errors import InvalidInput, LimitExceeded
from core.optics import ConstantMedium, TabulatedMedium
from core.oscillators import OscillatorMedium, evaluate


def fig2a(gamma: bool = True) -> OscillatorMedium:
    """Westerberg & Barnett (2025) Fig. 2(a) parameter set (units of w_p)."""
    return OscillatorMedium(
        omega=np.array([1.0, 2.0, 3.0]),
        gamma=np.array([0.18, 0.05, 0.04]) if gamma else np.zeros(3),
        e_dip=np.array([2.0, 0.0, 0.0]),
        m_dip=np.array([0.0, 1 / 16, 0.0]),
        quad=np.array([0.0, 0.0, 1 / 64]),
        dip_oct=np.array([65 / 64, 0.0, 0.0]),
        dia=np.array([0.0, 0.0, 9.0]),
    )


def passive_random(m: int, seed: int, lossless: bool = False) -> OscillatorMedium:
    rng = np.random.default_rng(seed)
    return OscillatorMedium(
        omega=np.sort(rng.uniform(0.5, 5.0, m)),
        gamma=np.zeros(m) if lossless else rng.uniform(0.005, 0.1, m),
        e_dip=rng.uniform(0.0, 0.5, m),
        m_dip=rng.uniform(0.0, 0.02, m),
        quad=np.zeros(m),
        dip_oct=np.zeros(m),
        dia=np.zeros(m),
    )


def cleared_polynomial(med: OscillatorMedium, k: float) -> np.ndarray:
    """prod_e D_e (w^2 eps - k^2 / mu) from eq 21, monomial coefficients (low to high)."""
    dens = [np.array([w0**2, -2j * g, -1.0]) for w0, g in zip(med.omega, med.gamma, strict=True)]
    prod_all = np.array([1.0 + 0j])
    for d in dens:
        prod_all = P.polymul(prod_all, d)
    inv_mu_inf = 1 + np.sum(med.dia / med.omega**2)
    eps_num = prod_all.copy()
    mu_num = inv_mu_inf * prod_all
    for e in range(med.size):
        others = np.array([1.0 + 0j])
        for f, d in enumerate(dens):
            if f != e:
                others = P.polymul(others, d)
        eps_num = P.polyadd(eps_num, med.e_dip[e] * others)
        num = np.array([-med.m_dip[e], 0.0, med.dip_oct[e] - med.quad[e]])
        mu_num = P.polyadd(mu_num, P.polymul(num, others))
    return P.polysub(P.polymul([0, 0, 1.0], eps_num), k**2 * mu_num)


# ------------------------------------------------------------------ roots


@pytest.mark.parametrize("gamma", [True, False])
def test_roots_are_those_of_the_cleared_polynomial_and_count_its_degree(gamma):
    med = fig2a(gamma)
    k = np.array([0.3, 1.0, 2.5])
    w = polariton_roots(rational_form(med), k)
    assert w.shape == (3, 2 * med.size + 2)
    for i, kk in enumerate(k):
        coeffs = cleared_polynomial(med, kk)
        assert len(coeffs) - 1 == 2 * med.size + 2
        ref = np.roots(coeffs[::-1])
        got = np.sort_complex(w[i])
        np.testing.assert_allclose(got, np.sort_complex(ref), rtol=1e-9, atol=1e-9)


def test_duplicate_and_inert_transitions_add_no_spurious_roots():
    one = OscillatorMedium.from_transitions([{"omega": 1.0, "gamma": 0.1, "e_dip": 2.0}])
    split = OscillatorMedium.from_transitions(
        [
            {"omega": 1.0, "gamma": 0.1, "e_dip": 1.5},
            {"omega": 1.0, "gamma": 0.1, "e_dip": 0.5},
            {"omega": 3.0, "gamma": 0.2},  # no strength at all
        ]
    )
    k = np.linspace(0.2, 4.0, 7)
    a = dispersion_branches(one, k)
    b = dispersion_branches(split, k)
    assert a.degree == b.degree == 4
    np.testing.assert_allclose(np.sort_complex(b.omega), np.sort_complex(a.omega), atol=1e-13)


@pytest.mark.parametrize("gamma", [True, False])
def test_every_root_satisfies_the_dispersion_relation(gamma):
    k = np.linspace(0.1, 20.0, 400)
    b = dispersion_branches(fig2a(gamma), k)
    assert b.omega.shape == (400, 8)
    assert b.residual.max() < 1e-10
    assert b.backward_error.max() < 1e-11
    # independent evaluation of eq 21 at the (real-part of) lossless roots
    if not gamma:
        # lossless limit: every branch real (the growth of the damped medium is a loss effect)
        assert np.abs(b.omega.imag).max() < 1e-12 * np.abs(b.omega).max()
        w = b.omega.real
        sel = w > 0
        r = evaluate(fig2a(False), w[sel])
        kk = np.broadcast_to(k[:, None], w.shape)[sel]
        np.testing.assert_allclose(w[sel] ** 2 * r.epsilon * r.mu, kk**2, rtol=1e-9)


def test_single_lorentz_oscillator_gives_hopfield_polaritons_with_a_gap():
    w0, a = 1.0, 3.0  # w_L = sqrt(w0^2 + a) = 2
    med = OscillatorMedium.from_transitions([{"omega": w0, "gamma": 0.0, "e_dip": a}])
    k = np.geomspace(1e-2, 1e2, 500)
    b = dispersion_branches(med, k)
    assert np.all(b.omega.imag == 0)
    s = w0**2 + a + k**2
    x_plus = (s + np.sqrt(s**2 - 4 * k**2 * w0**2)) / 2
    x_minus = k**2 * w0**2 / x_plus  # Vieta; avoids the cancellation in s - sqrt(...)
    pos = np.sort(b.omega.real, axis=1)[:, 2:]
    np.testing.assert_allclose(pos[:, 0], np.sqrt(x_minus), rtol=1e-12)
    np.testing.assert_allclose(pos[:, 1], np.sqrt(x_plus), rtol=1e-12)
    # the anticrossing: no real branch inside the reststrahlen gap (w0, w_L) at any k
    assert not np.any((np.abs(b.omega.real) > w0 + 1e-9) & (np.abs(b.omega.real) < 2.0 - 1e-9))
    # limits: lower branch -> w0 as k -> inf, upper -> w_L as k -> 0 and -> k (light) at large k
    assert abs(pos[-1, 0] - w0) < 2e-4 and abs(pos[0, 1] - 2.0) < 1e-4
    assert abs(pos[-1, 1] / k[-1] - 1) < 1e-3


def test_lossless_limit_has_real_branches_and_lossy_branches_follow_it():
    k = np.linspace(0.05, 6.0, 300)
    lossless = dispersion_branches(passive_random(6, 3, lossless=True), k)
    assert np.abs(lossless.omega.imag).max() == 0.0
    # branches never cross in the lossless limit: sorted order is preserved along k
    assert np.all(np.diff(lossless.omega.real, axis=1) > 0)
    small = dataclasses.replace(passive_random(6, 3, lossless=True), gamma=np.full(6, 1e-6))
    lossy = dispersion_branches(small, k)
    np.testing.assert_allclose(lossy.omega.real, lossless.omega.real, atol=1e-4)


def test_passive_medium_modes_decay_in_time():
    b = dispersion_branches(passive_random(10, 11), np.linspace(0.05, 15, 300))
    assert b.omega.imag.max() <= 1e-14
    # roots pair as (w, -w*) (reality condition)
    srt = np.sort_complex(b.omega)
    np.testing.assert_allclose(np.sort_complex(-np.conj(b.omega)), srt, atol=1e-12)


def test_fig2a_parameters_give_gain_at_high_frequency_and_a_growing_photon_branch():
    # Finding: with damping, 1/mu -> 1 + 2 i sum_e gamma_e c_e / w (c = dip_oct - quad) at large w,
    # so Im mu ~ -2 sum gamma c / w decays slower than Im eps ~ 1/w^3: Im(eps mu) < 0 above w ~ 3-4,
    # and the photon-like branch w ~ k + i sum_e gamma_e c_e grows in time.
    med = fig2a()
    growth = float(np.sum(med.gamma * (med.dip_oct - med.quad)))
    r = evaluate(med, np.array([10.0, 100.0]))
    assert np.all((r.epsilon * r.mu).imag < 0)
    np.testing.assert_allclose(
        (r.epsilon * r.mu).imag * np.array([10.0, 100.0]), -2 * growth, rtol=0.05
    )
    b = dispersion_branches(med, np.array([50.0, 100.0, 200.0]))
    photon = b.omega[np.arange(3), np.argmax(b.omega.real, axis=1)]
    np.testing.assert_allclose(photon.imag, growth, rtol=2e-3)
    # every other branch decays
    others = np.abs(b.omega.real) < 10
    assert b.omega.imag[others].max() < 0


# ------------------------------------------------------------------ sum rule (eq 9)


@pytest.mark.parametrize("gamma", [True, False])
def test_optical_sum_rule_eq9_holds_on_all_branches(gamma):
    k = np.linspace(0.2, 8.0, 4001)
    b = dispersion_branches(fig2a(gamma), k)
    assert b.sum_rule_expected == 1.0
    assert b.sum_rule_deviation < 1e-12
    # with v_g from finite differences along the tracked branches (tests roots + tracking)
    assert np.nanmax(np.abs(b.sum_rule_fd - 1.0)) < 1e-4


def test_sum_rule_eq9_does_not_require_eq26_but_photon_velocity_does():
    # break eq 26: extra diamagnetism makes mu(inf) = 1 / (1 + 0.5) != 1
    med = dataclasses.replace(fig2a(False), dia=np.array([0.0, 0.0, 9.0 + 4.5]))
    b = dispersion_branches(med, np.array([1.0, 30.0, 300.0]))
    assert b.sum_rule_deviation < 1e-12
    top = np.argmax(b.omega.real, axis=1)
    vpvg = (b.v_phase * b.v_group)[np.arange(3), top]
    # photon-like branch: v_p v_g -> c^2 / (eps mu)(inf) = 1 + 0.5, not c^2
    assert abs(vpvg[-1].real - 1.5) < 1e-3


def test_constant_medium_has_two_light_lines():
    b = dispersion_branches(ConstantMedium(4.0, 2.25), np.array([0.5, 1.0, 3.0]))
    assert b.degree == 2
    np.testing.assert_allclose(
        b.omega.real, np.array([[-1], [1]]).T * np.array([[0.5, 1, 3]]).T / 3
    )
    np.testing.assert_allclose(b.sum_rule, 1 / 4.0)


# ------------------------------------------------------------------ methods and tracking


def test_residual_floor_explains_flat_branches_of_a_dense_lossless_medium():
    med = passive_random(100, 1, lossless=True)
    k = np.linspace(0.05, 2.0, 60)
    b = dispersion_branches(med, k)
    assert b.degree == 202
    # residual at the rounding floor 2 eps |v_p / v_g| (independent: one ulp of w), never above
    assert np.all(b.residual <= 16 * np.maximum(b.residual_floor, 1e-16))
    steep = b.residual_floor < 1e-13
    assert steep.any() and b.residual[steep].max() < 1e-11  # steep (photon-like) branches
    assert np.abs(b.omega.imag).max() < 1e-14 and b.sum_rule_deviation < 1e-12  # real branches


def test_continuation_matches_eigenvalues_at_every_k():
    med = passive_random(25, 5)  # degree 52
    k = np.linspace(0.05, 8.0, 600)  # > 2 x CONTINUATION_MIN_CHUNK: parallel chunks are stitched
    eig = dispersion_branches(med, k, method="eig")
    cont = dispersion_branches(med, k, method="continuation")
    np.testing.assert_allclose(
        np.sort_complex(cont.omega), np.sort_complex(eig.omega), rtol=0, atol=1e-11
    )
    # both trackers give the same branches (continuation follows them, eig matches them)
    np.testing.assert_allclose(cont.omega, eig.omega, atol=1e-11)
    assert cont.backward_error.max() < 1e-11
    # k^2 = w^2 eps mu to 1e-10, except on flat branches where one ulp of w moves k^2 more
    assert np.all(cont.residual <= np.maximum(1e-10, 16 * cont.residual_floor))


def test_real_x_method_matches_complex_linearisation_for_lossless_media():
    med = rational_form(passive_random(8, 2, lossless=True))
    k = np.linspace(0.1, 5, 20)
    a = np.sort_complex(polariton_roots(med, k, method="eig-real"))
    b = np.sort_complex(polariton_roots(med, k, method="eig"))
    np.testing.assert_allclose(a, b, atol=1e-11)


def test_bad_inputs_raise_domain_errors():
    with pytest.raises(InvalidInput) as e:
        dispersion_branches(fig2a(), np.array([0.0, 1.0]))
    assert e.value.field == ("k", 0)
    with pytest.raises(InvalidInput):
        dispersion_branches(fig2a(), np.array([2.0, 1.0]))
    tab = TabulatedMedium(np.array([1.0, 2.0]), np.ones(2), np.ones(2))
    with pytest.raises(InvalidInput):
        dispersion_branches(tab, np.array([1.0]))
    with pytest.raises(LimitExceeded) as lim:
        dispersion_branches(fig2a(), np.linspace(0.1, 1, 50), max_k_points=10)
    assert lim.value.limit_name == "max_dispersion_k_points"
    with pytest.raises(LimitExceeded):
        dispersion_branches(fig2a(), np.array([1.0]), max_degree=6)
    with pytest.raises(InvalidInput):
        dispersion_branches(fig2a(), np.array([1.0]), method="eig-real")


# ------------------------------------------------------------------ Cho's magnetic resonance


@pytest.mark.parametrize("assignment", ["chi_m", "chi_B"])
def test_magnetic_resonance_branch_is_left_handed_between_pole_and_zero_of_mu(assignment):
    from core.chiral import MagneticResonanceMedium

    b_g, w0 = 0.01 / (4 * np.pi), 1.0  # 4 pi b = 0.01
    s = 4 * np.pi * b_g
    med = MagneticResonanceMedium(eps_b=-1.0, b=b_g, w0=w0, gamma=0.0, assignment=assignment)
    k = np.geomspace(1e-3, 1e2, 300)
    br = dispersion_branches(med, k)
    assert br.degree == 3
    # the branch inside the window: zero of mu at k -> 0, pole of mu at k -> inf (eqs 46-47):
    # chi_m: zero at w0 + s, pole at w0; chi_B: zero at w0, pole at w0 - s
    zero, pole = (w0 + s, w0) if assignment == "chi_m" else (w0, w0 - s)
    j = np.argmin(np.abs(br.omega[0] - zero))
    lh = br.omega[:, j]
    assert np.abs(lh.imag).max() < 1e-12
    assert abs(lh[0].real - zero) < 1e-6 and abs(lh[-1].real - pole) < 1e-5
    assert np.all((br.v_phase[:, j] * br.v_group[:, j]).real < 0)  # Cho sec. 3.4
    assert br.sum_rule_form == "all-roots"
    np.testing.assert_allclose(br.sum_rule, br.sum_rule_expected, rtol=1e-12)
    assert br.sum_rule_expected == -1.0  # 1 / eps_b


@pytest.mark.parametrize("assignment", ["chi_m", "chi_B"])
@pytest.mark.parametrize("line_shape", ["resonant", "lorentz"])
def test_damped_magnetic_resonance_roots_solve_the_written_out_dispersion_relation(
    assignment, line_shape
):
    """Every branch w_j(k) of Cho's medium (eqs 44-47, both line shapes, damping and a Lorentz
    background) is a zero of G = w^2 eps - k^2 / mu with eps and mu written out here; the
    passive medium's branches decay (Im w <= 0) and the count is the cleared degree."""
    from core.chiral import MagneticResonanceMedium

    s, w0, g = 0.05, 1.0, 0.01
    wp, gp, sp = 0.8, 0.02, 0.3
    med = MagneticResonanceMedium(
        eps_b=1.2, b=s / (4 * np.pi), w0=w0, gamma=g, assignment=assignment,
        line_shape=line_shape, background_omega=(wp,), background_gamma=(gp,),
        background_strength=(sp,),
    )  # fmt: skip
    k = np.linspace(0.1, 4.0, 40)
    br = dispersion_branches(med, k)
    # background Lorentz (2) + light (2) + the resonance: 1 (resonant) or 2 (lorentz)
    assert br.degree == (5 if line_shape == "resonant" else 6)
    w = br.omega
    eps = 1.2 + sp / (wp**2 - w**2 - 2j * gp * w)
    chi = (
        s / (w0 - w - 1j * g)
        if line_shape == "resonant"
        else 2 * w0 * s / (w0**2 - w**2 - 2j * g * w)
    )  # 4 pi chi
    inv_mu = 1.0 / (1.0 + chi) if assignment == "chi_m" else 1.0 - chi
    kk = k[:, None] ** 2
    terms = np.abs(w**2 * eps) + np.abs(kk * inv_mu)
    assert np.max(np.abs(w**2 * eps - kk * inv_mu) / terms) < 1e-9
    assert br.omega.imag.max() <= 1e-12


# ------------------------------------------------------------------ report


def test_dispersion_report_of_fig2a_holds_eq9_and_flags_the_growing_branches():
    from core.dispersion import dispersion_report

    rep = dispersion_report(
        fig2a(),
        medium_unit="model",
        frequencies=np.linspace(0.05, 4, 80),
        k=np.linspace(0.1, 6, 60),
    )
    c = rep.checks
    assert c["roots"].verdict is True and c["roots"].kind == "bound"
    assert c["sum_rule_eq9"].verdict is True and c["sum_rule_eq9"].value < 1e-12
    assert c["stability"].verdict is False and c["stability"].details["growing_branches"] == 4
    assert 0.17 < c["stability"].value < 0.19
    assert c["passive"].verdict is False and c["branch_rules"].verdict is False
    assert any("Im w > 0" in w for w in rep.warnings)
    lossless = dispersion_report(fig2a(False), medium_unit="model", k=np.linspace(0.1, 6, 60))
    assert lossless.checks["stability"].verdict is True and not lossless.warnings
    assert lossless.results["branches"]["degree"] == 8


def test_branch_checks_fail_on_inaccurate_roots_and_a_broken_sum():
    from core.dispersion import branch_checks

    b = dispersion_branches(fig2a(False), np.linspace(0.1, 3, 30))
    good = dict(branch_checks(b))
    assert good["roots"].verdict and good["sum_rule_eq9"].verdict
    bad_roots = dataclasses.replace(b, backward_error=b.backward_error + 1e-6)
    assert dict(branch_checks(bad_roots))["roots"].verdict is False
    missing = dataclasses.replace(b, sum_rule=b.sum_rule * (1 - 1e-6))  # a lost branch's weight
    c = dict(branch_checks(missing))["sum_rule_eq9"]
    assert c.verdict is False and abs(c.value - 1e-6) < 1e-9 and c.warning
