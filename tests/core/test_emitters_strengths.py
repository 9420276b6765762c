"""Strengths from moments: the isotropic average (B52), invariances, signs, merging, limits."""

from __future__ import annotations

import numpy as np
import pytest

from core.emitters import (
    EmitterParams,
    TransitionMoments,
    angular_momentum,
    box_emitter,
    isotropic_average,
    rank4_numerators,
    transition_strengths,
    transverse_coefficient,
)
from core.emitters.analysis import prepare
from core.emitters.strengths import merge_degenerate
from core.errors import LimitExceeded
from core.oscillators import STRENGTHS, evaluate

PARAMS = EmitterParams(mass=7.0, charge=0.3, density=50.0, linewidth=0.1)


def _euler(alpha: float, beta: float, gamma: float) -> np.ndarray:
    def rz(t: float) -> np.ndarray:
        c, s = np.cos(t), np.sin(t)
        return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])

    c, s = np.cos(beta), np.sin(beta)
    ry = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return rz(alpha) @ ry @ rz(gamma)


def _rotation_quadrature() -> tuple[np.ndarray, np.ndarray]:
    """Rotations and weights integrating polynomials of degree <= 4 in R exactly over SO(3).

    Euler angles: 8 uniform points in alpha and gamma (exact for trigonometric degree < 8) and
    20-point Gauss-Legendre in beta with the Haar weight sin(beta) / 2.
    """
    a = np.arange(8) * 2 * np.pi / 8
    x, wx = np.polynomial.legendre.leggauss(20)
    b = (x + 1) * np.pi / 2
    wb = wx * np.pi / 2 * np.sin(b) / 2
    rots, weights = [], []
    for al in a:
        for be, wbe in zip(b, wb, strict=True):
            for ga in a:
                rots.append(_euler(al, be, ga))
                weights.append(wbe / 64)
    return np.array(rots), np.array(weights)


def _random_moments(rng: np.random.Generator, m: int = 6) -> TransitionMoments:
    def c(*shape: int) -> np.ndarray:
        return rng.normal(size=shape) + 1j * rng.normal(size=shape)

    u = c(m, 3, 3, 3)
    u = u + np.swapaxes(u, 2, 3)
    a = rng.normal(size=(3, 3))
    return TransitionMoments(
        omega=rng.uniform(0.5, 3.0, m), p=c(m, 3), pr=c(m, 3, 3), prr=u, rr_ground=a @ a.T
    )


def _rotate(mo: TransitionMoments, r: np.ndarray) -> TransitionMoments:
    return TransitionMoments(
        omega=mo.omega,
        p=np.einsum("ia,na->ni", r, mo.p),
        pr=np.einsum("ia,kb,nab->nik", r, r, mo.pr),
        prr=np.einsum("ia,kb,mc,nabc->nikm", r, r, r, mo.prr),
        rr_ground=r @ mo.rr_ground @ r.T,
    )


def test_rotation_quadrature_integrates_the_haar_measure() -> None:
    rots, w = _rotation_quadrature()
    assert np.sum(w) == pytest.approx(1.0, abs=1e-14)
    # <R_ia R_jb> = delta_ij delta_ab / 3 over SO(3)
    m2 = np.einsum("r,ria,rjb->iajb", w, rots, rots)
    expected = np.einsum("ij,ab->iajb", np.eye(3), np.eye(3)) / 3
    np.testing.assert_allclose(m2, expected, atol=1e-14)


def test_isotropic_average_b52_equals_the_average_over_all_rotations() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 3, 3, 3))
    rots, w = _rotation_quadrature()
    rotated = np.einsum("r,ria,rkb,rmc,rjd,abcd->ikmj", w, rots, rots, rots, rots, x)
    np.testing.assert_allclose(isotropic_average(x), rotated, atol=1e-13)


def test_transverse_coefficient_is_what_a_transverse_field_picks_up() -> None:
    # a_i a_j k_k k_m <X>_ikmj for a = x, k = y (a perpendicular to k, both unit)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 3, 3, 3, 3))
    avg = isotropic_average(x)
    np.testing.assert_allclose(transverse_coefficient(x), avg[:, 0, 1, 1, 0], atol=1e-14)
    # and the longitudinal combinations see none of it: a parallel to k adds the other pairings
    assert not np.allclose(avg[:, 0, 0, 0, 0], avg[:, 0, 1, 1, 0])


def test_strengths_do_not_depend_on_the_orientation_of_the_emitter() -> None:
    rng = np.random.default_rng(3)
    mo = _random_moments(rng)
    r = _euler(0.3, 1.1, -2.0)
    s0 = transition_strengths(mo, PARAMS)
    s1 = transition_strengths(_rotate(mo, r), PARAMS)
    for name in STRENGTHS:
        np.testing.assert_allclose(getattr(s1, name), getattr(s0, name), rtol=1e-12, atol=0)


def test_strengths_do_not_depend_on_the_phase_of_the_excited_states() -> None:
    rng = np.random.default_rng(4)
    mo = _random_moments(rng)
    ph = np.exp(1j * rng.uniform(0, 2 * np.pi, mo.size))
    shifted = TransitionMoments(
        omega=mo.omega,
        p=mo.p * ph[:, None],
        pr=mo.pr * ph[:, None, None],
        prr=mo.prr * ph[:, None, None, None],
        rr_ground=mo.rr_ground,
    )
    s0, s1 = transition_strengths(mo, PARAMS), transition_strengths(shifted, PARAMS)
    for name in STRENGTHS:
        np.testing.assert_allclose(getattr(s1, name), getattr(s0, name), rtol=1e-12)


def test_paramagnetic_quadrupole_and_diamagnetic_strengths_are_non_negative() -> None:
    # c[S S*] = |traceless S|^2 / 10 and c[A A*] = |A|^2 / 6: signs fixed by physics (B58-B60)
    mo = _random_moments(np.random.default_rng(5), m=40)
    s = transition_strengths(mo, PARAMS)
    assert np.all(s.e_dip > 0) and np.all(s.m_dip > 0)
    assert np.all(s.quad > 0) and np.all(s.dia > 0)


def test_magnetic_dipole_strength_is_the_van_vleck_term_of_each_transition() -> None:
    # Delta_mdip / w_eg^2 = w_p^2 |L^ge|^2 / (6 m w_eg) with L = r x p built by the cross product
    mo = _random_moments(np.random.default_rng(6))
    s = transition_strengths(mo, PARAMS)
    t = mo.pr
    l_direct = np.empty((mo.size, 3), dtype=complex)
    for e in range(mo.size):
        rp = t[e].T  # rp[a, b] = (r_a p_b)^{ge}
        l_direct[e] = [rp[1, 2] - rp[2, 1], rp[2, 0] - rp[0, 2], rp[0, 1] - rp[1, 0]]
    np.testing.assert_allclose(angular_momentum(mo), l_direct, rtol=1e-14)
    expected = (
        PARAMS.omega_p2 * np.sum(np.abs(l_direct) ** 2, axis=1) / (6 * PARAMS.mass * mo.omega)
    )
    np.testing.assert_allclose(s.m_dip / mo.omega**2, expected, rtol=1e-12)


def test_rotational_average_makes_the_diamagnetic_tensor_equal_to_the_quadrupole_one() -> None:
    # B43 pairs (i m)(j k) where B41 pairs (i k)(j m); for a symmetric p r + r p the isotropic
    # average cannot tell them apart, so Delta_dia = w_eg^2 Delta_quad per transition.
    mo = _random_moments(np.random.default_rng(7))
    t = rank4_numerators(mo)
    assert not np.allclose(t["dia"], t["quad"])
    np.testing.assert_allclose(
        transverse_coefficient(t["dia"]), transverse_coefficient(t["quad"]), rtol=1e-12
    )
    s = transition_strengths(mo, PARAMS)
    np.testing.assert_allclose(s.dia, s.omega**2 * s.quad, rtol=1e-12)


def test_merging_degenerate_transitions_leaves_eps_and_mu_unchanged() -> None:
    # a cube has many degenerate levels
    res = box_emitter([0.05, 0.05, 0.05], EmitterParams(500.0, 0.2, 1e4, 0.3), 5, merge=False)
    merged = merge_degenerate(res.strengths)
    assert merged.size < res.strengths.size
    assert int(np.sum(merged.degeneracy)) == res.strengths.size
    w = np.linspace(0.5, 1.2 * res.strengths.omega.max(), 400)
    a = evaluate(res.medium, w)
    b = evaluate(merged.medium(0.3), w)
    np.testing.assert_allclose(b.epsilon, a.epsilon, rtol=1e-12)
    np.testing.assert_allclose(b.inverse_mu, a.inverse_mu, rtol=1e-12)


def test_forbidden_transitions_are_dropped_and_allowed_ones_kept() -> None:
    res = box_emitter([0.05, 0.07, 0.09], EmitterParams(500.0, 0.2, 1e4, 0.3), 4, merge=False)
    s = prepare(res.strengths, merge=False)
    nz = np.zeros(s.size, dtype=bool)
    for name in STRENGTHS:
        nz |= getattr(s, name) != 0
    assert nz.all()
    # (2, 1, 1) is dipole allowed; (3, 3, 3) couples to nothing up to p r r
    labels = {tuple(x) for x in s.labels}
    assert (2, 1, 1) in labels and (3, 3, 3) not in labels


def test_box_over_the_n_max_limit_is_refused_before_work() -> None:
    with pytest.raises(LimitExceeded) as exc:
        box_emitter([1.0, 1.0, 1.0], PARAMS, 10_000, max_n_max=30)
    assert exc.value.limit_name == "max_emitter_n_max"
    assert exc.value.limit == 30 and exc.value.requested == 10_000
    assert exc.value.field == ("n_max",)


def test_box_over_the_state_limit_is_refused_before_work() -> None:
    with pytest.raises(LimitExceeded) as exc:
        box_emitter([1.0, 1.0, 1.0], PARAMS, 25, max_n_max=None, max_states=1000)
    assert exc.value.limit_name == "max_emitter_states"
    assert exc.value.requested == 25**3 - 1


def test_quadrupole_strength_sees_only_the_traceless_quadrupole() -> None:
    # Delta_quad = w_p^2 |S2|^2 / (5 m w_eg), S2 = traceless part of (pr + pr^T)/2 = -i m w Q / 2:
    # a pure trace (r^2-like, monopole) transition has no quadrupole strength
    mo = _random_moments(np.random.default_rng(8))
    s = transition_strengths(mo, PARAMS)
    sym = (mo.pr + np.swapaxes(mo.pr, 1, 2)) / 2
    tr = np.trace(sym, axis1=1, axis2=2)
    s2 = sym - tr[:, None, None] * np.eye(3) / 3
    expected = PARAMS.omega_p2 * np.sum(np.abs(s2) ** 2, axis=(1, 2)) / (5 * PARAMS.mass * mo.omega)
    np.testing.assert_allclose(s.quad, expected, rtol=1e-12)
    iso = TransitionMoments(
        omega=mo.omega,
        p=np.zeros_like(mo.p),
        pr=tr[:, None, None] * np.eye(3),
        prr=np.zeros_like(mo.prr),
        rr_ground=mo.rr_ground,
    )
    assert np.all(np.abs(transition_strengths(iso, PARAMS).quad) <= 1e-14 * np.max(expected))
