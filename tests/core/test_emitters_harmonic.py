"""Harmonic-oscillator emitters: every sum rule closes exactly (few states couple)."""

from __future__ import annotations

import numpy as np
import pytest

from core.emitters import EmitterParams, harmonic_emitter
from core.emitters.harmonic import harmonic_axis, harmonic_moments
from core.oscillators import evaluate

PARAMS = EmitterParams(mass=40.0, charge=0.5, density=300.0, linewidth=0.07)  # w_p^2 = 1.875


def test_1d_elements_follow_from_ladder_operators() -> None:
    # independent construction: x and p as matrices in a Fock space large enough that rows 0..3
    # of the products x^2, p x, p x^2 are exact
    m, w, n = 3.0, 2.0, 12
    a = np.diag(np.sqrt(np.arange(1, n)), 1)
    ell = 1 / np.sqrt(2 * m * w)
    x = ell * (a + a.T)
    p = 1j * (a.T - a) / (2 * ell)
    ax = harmonic_axis(w, m)
    np.testing.assert_allclose(ax.x[1], x[0, :4], atol=1e-15)
    np.testing.assert_allclose(ax.x[2], (x @ x)[0, :4], atol=1e-15)
    np.testing.assert_allclose(ax.px[0], p[0, :4], atol=1e-15)
    np.testing.assert_allclose(ax.px[1], (p @ x)[0, :4], atol=1e-15)
    np.testing.assert_allclose(ax.px[2], (p @ x @ x)[0, :4], atol=1e-15)
    # and nothing couples beyond n = 3
    assert np.allclose((p @ x @ x)[0, 4:], 0)


@pytest.mark.parametrize("freqs", [[1.3], [0.8, 1.3, 2.1]])
def test_trk_sum_rule_closes(freqs: list[float]) -> None:
    d = harmonic_emitter(freqs, PARAMS).diagnostics
    assert abs(d["trk_residual"]) < 1e-12


@pytest.mark.parametrize("freqs", [[1.3], [0.8, 1.3, 2.1]])
def test_sum_rule_26_closes_and_mu_returns_to_one(freqs: list[float]) -> None:
    res = harmonic_emitter(freqs, PARAMS)
    d = res.diagnostics
    assert abs(d["sum_rule_residual"]) < 1e-12 * d["sum_rule_scale"]
    r = evaluate(res.medium, [1e12])  # the damping tail of Im mu falls as gamma / w
    assert abs(r.mu[0] - 1) < 1e-12


def test_isotropic_static_chi_is_the_langevin_value() -> None:
    w0 = 1.3
    res = harmonic_emitter([w0], PARAMS)
    r2 = 3 / (2 * PARAMS.mass * w0)  # <r^2> of the ground state
    langevin = -PARAMS.density * PARAMS.charge**2 * r2 / (6 * PARAMS.mass)  # B82
    assert res.diagnostics["chi_static"] == pytest.approx(langevin, rel=1e-12)
    assert 1 - 1 / res.diagnostics["mu_static"] == pytest.approx(langevin, rel=1e-12)
    # no Van Vleck term: L commutes with H
    assert np.all(res.strengths.m_dip == 0)


def test_isotropic_permittivity_is_a_single_lorentzian() -> None:
    w0, g = 1.3, PARAMS.linewidth
    res = harmonic_emitter([w0], PARAMS)
    w = np.linspace(0.01, 5, 500)
    wp2 = PARAMS.density * PARAMS.charge**2 / PARAMS.mass
    expected = 1 + wp2 / (w0**2 - w**2 - 2j * w * g)
    np.testing.assert_allclose(evaluate(res.medium, w).epsilon, expected, rtol=1e-13)


def test_isotropic_transitions_are_w0_and_2w0_only() -> None:
    res = harmonic_emitter([1.3], PARAMS)
    np.testing.assert_allclose(res.strengths.omega, [1.3, 2.6], rtol=1e-15)
    s = res.strengths
    # e-dip and dip-oct share the one-quantum level; quad and dia sit at two quanta
    assert s.e_dip[1] == 0 and s.dip_oct[1] == 0 and s.quad[0] == 0 and s.dia[0] == 0
    # closed forms: sum Delta_dipoct = w_p^2 <r^2> / 3 = 2 sum Delta_quad
    wp2, m, w0 = PARAMS.omega_p2, PARAMS.mass, 1.3
    assert s.dip_oct[0] == pytest.approx(wp2 / (2 * m * w0), rel=1e-13)
    assert s.quad[1] == pytest.approx(wp2 / (4 * m * w0), rel=1e-13)


def test_anisotropic_static_chi_is_langevin_plus_van_vleck() -> None:
    w = np.array([0.8, 1.3, 2.1])
    res = harmonic_emitter(w, PARAMS)
    m, wp2 = PARAMS.mass, PARAMS.omega_p2
    langevin = -wp2 * np.sum(1 / (2 * m * w)) / 6
    # Van Vleck from |<1_a 1_b| L_c |0>|^2 = (w_a - w_b)^2 / (4 w_a w_b) at w_a + w_b
    vv = sum(
        wp2 * (w[a] - w[b]) ** 2 / (4 * w[a] * w[b]) / (6 * m * (w[a] + w[b]))
        for a, b in ((0, 1), (1, 2), (0, 2))
    )
    d = res.diagnostics
    assert vv > 0
    assert d["chi_static"] == pytest.approx(langevin + vv, rel=1e-12)
    assert d["chi_van_vleck_strengths"] == pytest.approx(vv, rel=1e-12)
    assert d["chi_dia_strengths"] == pytest.approx(langevin, rel=1e-12)


def test_only_states_with_at_most_three_quanta_exist_and_few_couple() -> None:
    mo = harmonic_moments([0.8, 1.3, 2.1], PARAMS.mass)
    assert mo.size == 63
    res = harmonic_emitter([0.8, 1.3, 2.1], PARAMS, merge=False)
    quanta = res.strengths.labels.sum(axis=1)
    assert set(quanta.tolist()) == {1, 2}  # three-quantum states have no p^ge partner


def test_oscillator_medium_is_passive_and_obeys_multipole_ordering() -> None:
    d = harmonic_emitter([0.8, 1.3, 2.1], PARAMS).diagnostics
    assert d["multipole_ordering_violations"] == 0
    assert d["first_non_passive_frequency"] is None and d["min_im_eps_mu"] >= 0
