"""Physics checks of core.optics: Fresnel, stacks, index branch, velocities, media adapter.

Expected values come from textbook closed forms written out here (Snell + Fresnel for mu = 1,
Born & Wolf's 2x2 characteristic matrix, the quarter-wave-stack admittance formula), never from
the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InvalidInput
from core.optics import (
    ConstantMedium,
    TabulatedMedium,
    fresnel,
    impedance,
    mask_intervals,
    medium_eps_mu,
    normal_reflectance,
    optical_response,
    refractive_index,
    stack_coefficients,
    vacuum_wavenumber,
)
from core.oscillators import OscillatorMedium, evaluate

ANGLES = np.radians(np.linspace(0.0, 89.0, 37))


def _const(n: int, v: complex) -> np.ndarray:
    return np.full(n, v, dtype=np.complex128)


# ------------------------------------------------------------------ single interface


@pytest.mark.parametrize("pol", ["s", "p"])
@pytest.mark.parametrize(
    ("e1", "m1", "e2", "m2"),
    [(1.0, 1.0, 2.25, 1.0), (2.25, 1.0, 1.0, 1.0), (1.0, 1.0, 3.0, 2.0), (1.5, 0.8, 4.0, 0.5)],
)
def test_lossless_interface_conserves_energy_at_all_angles(pol, e1, m1, e2, m2):
    c = fresnel(_const(3, e1), _const(3, m1), _const(3, e2), _const(3, m2), ANGLES, pol)
    np.testing.assert_allclose(c.R + c.T, 1.0, atol=1e-13)
    assert np.all(c.R >= 0) and np.all(c.T >= -1e-15)


def test_fresnel_matches_textbook_formulas_for_nonmagnetic_media():
    n1, n2 = 1.0, 1.7 + 0.02j
    th = np.radians([0.0, 20.0, 45.0, 70.0])
    ci = np.cos(th)
    ct = np.sqrt(1 - (n1 * np.sin(th) / n2) ** 2)  # Snell, transmitted cosine (decaying branch)
    rs = (n1 * ci - n2 * ct) / (n1 * ci + n2 * ct)
    ts = 2 * n1 * ci / (n1 * ci + n2 * ct)
    rp = (n2 * ci - n1 * ct) / (n2 * ci + n1 * ct)
    tp = 2 * n1 * ci / (n2 * ci + n1 * ct)
    s = fresnel(_const(1, n1**2), _const(1, 1), _const(1, n2**2), _const(1, 1), th, "s")
    p = fresnel(_const(1, n1**2), _const(1, 1), _const(1, n2**2), _const(1, 1), th, "p")
    np.testing.assert_allclose(s.r[:, 0], rs, rtol=1e-12)
    np.testing.assert_allclose(s.t[:, 0], ts, rtol=1e-12)
    np.testing.assert_allclose(p.r[:, 0], rp, rtol=1e-12)
    np.testing.assert_allclose(p.t[:, 0], tp, rtol=1e-12)
    # T from the Poynting flux: T_s = Re(n2 cos t) / (n1 cos i) |t_s|^2
    np.testing.assert_allclose(s.T[:, 0], (n2 * ct).real / (n1 * ci) * np.abs(ts) ** 2, rtol=1e-12)


def test_brewster_angle_extinguishes_p_reflection_only():
    n1, n2 = 1.0, 1.5
    th_b = np.arctan(n2 / n1)
    p = fresnel(_const(1, n1**2), _const(1, 1), _const(1, n2**2), _const(1, 1), [th_b], "p")
    s = fresnel(_const(1, n1**2), _const(1, 1), _const(1, n2**2), _const(1, 1), [th_b], "s")
    assert p.R[0, 0] < 1e-28
    assert s.R[0, 0] > 0.1
    # reflectance of p has its minimum there
    th = th_b + np.radians([-1.0, 1.0])
    p2 = fresnel(_const(1, n1**2), _const(1, 1), _const(1, n2**2), _const(1, 1), th, "p")
    assert np.all(p2.R > 1e-6)


def test_magnetic_medium_has_s_brewster_angle_by_duality():
    # eps <-> mu with s <-> p is a symmetry of Maxwell's equations: an eps = 1, mu = 2.25 medium
    # extinguishes s light at arctan(1.5), and R_s(eps, mu) = R_p(mu, eps) at every angle.
    s = fresnel(_const(1, 1), _const(1, 1), _const(1, 1), _const(1, 2.25), [np.arctan(1.5)], "s")
    assert s.R[0, 0] < 1e-28
    e2, m2 = 2.0 + 0.3j, 0.7 + 0.1j
    a = fresnel(_const(1, 1), _const(1, 1), _const(1, e2), _const(1, m2), ANGLES, "s")
    b = fresnel(_const(1, 1), _const(1, 1), _const(1, m2), _const(1, e2), ANGLES, "p")
    np.testing.assert_allclose(a.R, b.R, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a.T, b.T, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("pol", ["s", "p"])
def test_total_internal_reflection_beyond_critical_angle(pol):
    n1, n2 = 1.5, 1.0
    th_c = np.arcsin(n2 / n1)
    above = th_c + np.radians([0.5, 10.0, 40.0])
    below = th_c - np.radians([0.5, 10.0])
    c = fresnel(_const(1, n1**2), _const(1, 1), _const(1, n2**2), _const(1, 1), above, pol)
    np.testing.assert_allclose(c.R, 1.0, atol=1e-14)
    np.testing.assert_allclose(c.T, 0.0, atol=1e-15)
    c2 = fresnel(_const(1, n1**2), _const(1, 1), _const(1, n2**2), _const(1, 1), below, pol)
    assert np.all(c2.R < 1.0 - 1e-3)


@pytest.mark.parametrize("em", [2.0, 3.0 + 0.5j, -2.0 + 0.1j])
def test_impedance_matched_medium_reflects_nothing_at_normal_incidence(em):
    for pol in ("s", "p"):
        c = fresnel(_const(1, 1), _const(1, 1), _const(1, em), _const(1, em), [0.0], pol)
        assert abs(c.r[0, 0]) < 1e-15
    n = refractive_index(em, em)
    assert normal_reflectance(impedance(n, em))[()] < 1e-30


# ------------------------------------------------------------------ stacks


def _characteristic_matrix(eps, mu, d, k0, th, pol):
    """Born & Wolf sec. 1.6.2: M_j = [[cos b, -i sin b / Y], [-i Y sin b, cos b]], b = k0 q d."""
    eps = [complex(e) for e in eps]
    mu = [complex(m) for m in mu]
    kx = np.sqrt(eps[0] * mu[0]).real * np.sin(th)

    def q_of(e, m):
        q = np.sqrt(e * m - kx**2 + 0j)
        return -q if q.imag < 0 else q

    def y_of(e, m):
        q = q_of(e, m)
        return q / m if pol == "s" else q / e

    mat = np.eye(2, dtype=complex)
    for e, m, dj in zip(eps[1:-1], mu[1:-1], d, strict=True):
        b = k0 * q_of(e, m) * dj
        y = y_of(e, m)
        mat = mat @ np.array([[np.cos(b), -1j * np.sin(b) / y], [-1j * y * np.sin(b), np.cos(b)]])
    y0, ys = y_of(eps[0], mu[0]), y_of(eps[-1], mu[-1])
    (m11, m12), (m21, m22) = mat
    den = y0 * m11 + y0 * ys * m12 + m21 + ys * m22
    r = (y0 * m11 + y0 * ys * m12 - m21 - ys * m22) / den
    t = 2 * y0 / den
    return r, abs(r) ** 2, ys.real / y0.real * abs(t) ** 2


@pytest.mark.parametrize("pol", ["s", "p"])
def test_stack_matches_characteristic_matrix_for_lossy_magnetic_layers(pol):
    eps = [1.0, 2.5 + 0.4j, -3.0 + 0.5j, 1.8 + 0.0j, 2.2 + 0.1j]
    mu = [1.0, 1.3 + 0.05j, 0.9 + 0.2j, 1.0, 1.5]
    d = [0.3, 0.05, 1.1]
    k0 = np.array([2.0, 5.0, 9.0])
    th = np.radians([0.0, 35.0, 70.0])
    c = stack_coefficients(
        np.array([_const(3, e) for e in eps]), np.array([_const(3, m) for m in mu]), d, k0, th, pol
    )
    for i, a in enumerate(th):
        for j, kk in enumerate(k0):
            r, R, T = _characteristic_matrix(eps, mu, d, kk, a, pol)
            assert abs(c.r[i, j] - r) < 1e-12
            assert abs(c.R[i, j] - R) < 1e-12 and abs(c.T[i, j] - T) < 1e-12


def test_stack_reduces_to_single_interface_and_single_slab():
    e1, e2, es = 1.0, 2.0 + 0.2j, 3.0
    th = np.radians([0.0, 40.0])
    k0 = np.array([1.0])
    for pol in ("s", "p"):
        zero = stack_coefficients(
            np.array([_const(1, e1), _const(1, e2), _const(1, es)]),
            np.ones((3, 1)),
            [0.0],
            k0,
            th,
            pol,
        )
        direct = fresnel(_const(1, e1), _const(1, 1), _const(1, es), _const(1, 1), th, pol)
        np.testing.assert_allclose(zero.r, direct.r, rtol=1e-13)
        np.testing.assert_allclose(zero.T, direct.T, rtol=1e-13)
        # a layer of the ambient medium itself changes only the phase of nothing: same R, T
        same = stack_coefficients(
            np.array([_const(1, e1), _const(1, e1), _const(1, es)]),
            np.ones((3, 1)),
            [0.7],
            k0,
            th,
            pol,
        )
        np.testing.assert_allclose(same.R, direct.R, rtol=1e-13)
        np.testing.assert_allclose(same.T, direct.T, rtol=1e-13)
    # Airy formula for a free-standing slab at normal incidence: r = r12 (1 - e^{2ib}) / (1 - r12^2 e^{2ib})
    n = 1.9 + 0.05j
    b = n * 1.0 * 0.8
    r12 = (1 - n) / (1 + n)
    r_airy = r12 * (1 - np.exp(2j * b)) / (1 - r12**2 * np.exp(2j * b))
    slab = stack_coefficients(
        np.array([_const(1, 1), _const(1, n**2), _const(1, 1)]),
        np.ones((3, 1)),
        [0.8],
        k0,
        [0.0],
        "s",
    )
    assert abs(slab.r[0, 0] - r_airy) < 1e-14


def test_quarter_wave_stack_matches_admittance_closed_form():
    nh, nl, ns, pairs = 2.3, 1.38, 1.52, 6
    k0 = np.array([1.0])
    eps, d = [1.0], []
    for _ in range(pairs):
        eps += [nh**2, nl**2]
        d += [np.pi / 2 / nh, np.pi / 2 / nl]
    eps.append(ns**2)
    e = np.array([_const(1, x) for x in eps])
    c = stack_coefficients(e, np.ones_like(e), d, k0, [0.0], "s")
    y = (nh / nl) ** (2 * pairs) * ns
    assert abs(c.R[0, 0] - ((1 - y) / (1 + y)) ** 2) < 1e-13


@pytest.mark.parametrize("pol", ["s", "p"])
def test_lossless_multilayer_conserves_energy_and_lossy_one_absorbs(pol):
    rng = np.random.default_rng(7)
    L, N = 12, 40
    eps = rng.uniform(1.0, 6.0, (L + 2, 1)) * np.ones((1, N)) + 0j
    eps[0] = 1.0
    mu = np.ones_like(eps)
    d = rng.uniform(0.05, 0.5, L)
    k0 = np.linspace(0.5, 20, N)
    c = stack_coefficients(eps, mu, d, k0, ANGLES, pol)
    np.testing.assert_allclose(c.R + c.T, 1.0, atol=1e-12)
    eps[3] += 0.5j
    c2 = stack_coefficients(eps, mu, d, k0, ANGLES, pol)
    assert np.all(c2.A > 0) and np.all(c2.A < 1)


def test_opaque_metal_layer_is_stable_and_blocks_transmission():
    eps = np.array([_const(2, 1), _const(2, -40 + 2j), _const(2, 2.25)])
    c = stack_coefficients(eps, np.ones_like(eps), [1e4], np.array([1.0, 3.0]), ANGLES, "p")
    assert np.all(np.isfinite(c.r)) and np.all(c.T < 1e-300 + 1e-20)
    bulk = fresnel(_const(2, 1), _const(2, 1), _const(2, -40 + 2j), _const(2, 1), ANGLES, "p")
    np.testing.assert_allclose(c.R, bulk.R, rtol=1e-12)


def test_stack_rejects_bad_thickness_and_angle_with_field_paths():
    eps = np.ones((3, 1), dtype=complex)
    with pytest.raises(InvalidInput) as e:
        stack_coefficients(eps, eps, [-1.0], np.ones(1), [0.0], "s")
    assert e.value.field == ("layers", 0, "thickness")
    with pytest.raises(InvalidInput) as e:
        stack_coefficients(eps, eps, [1.0], np.ones(1), [0.0, np.pi / 2], "s")
    assert e.value.field == ("angles", 1)
    with pytest.raises(InvalidInput):
        stack_coefficients(eps, eps, [1.0], np.ones(1), [0.0], "x")  # type: ignore[arg-type]
    lossy = eps.copy()
    lossy[0] = 2 + 1j
    with pytest.raises(InvalidInput):
        stack_coefficients(lossy, eps, [1.0], np.ones(1), [0.0], "s")


def test_vacuum_wavenumber_uses_si_speed_of_light():
    w = np.array([2 * np.pi * 299792458.0])  # one cycle per light-metre
    np.testing.assert_allclose(vacuum_wavenumber(w, physical=True), 2 * np.pi, rtol=1e-15)
    np.testing.assert_allclose(vacuum_wavenumber(w, physical=False), w)


# ------------------------------------------------------------------ index branch and velocities


def _lh_medium() -> OscillatorMedium:
    # eps < 0 on (1, 2) (w_L = sqrt(1 + 3)); 1/mu = 1 - 1 / (1.8^2 - w^2) < 0 on (sqrt(2.24), 1.8)
    return OscillatorMedium.from_transitions(
        [
            {"omega": 1.0, "gamma": 1e-3, "e_dip": 3.0},
            {"omega": 1.8, "gamma": 1e-3, "m_dip": 1.0},
        ]
    )


def test_left_handed_window_has_negative_index_and_antiparallel_velocities():
    w = np.linspace(1.05, 2.5, 3000)
    r = optical_response(_lh_medium(), w)
    inside = (w > np.sqrt(2.24) + 0.01) & (w < 1.8 - 0.01)
    # outside: the evanescent band (eps < 0 < mu) and the right-handed pass band above w_L
    outside = (w < np.sqrt(2.24) - 0.01) | (w > 2.0 + 0.01)
    assert np.all(r.negative_index[inside]) and np.all(r.left_handed[inside])
    assert not r.left_handed[outside].any() and not r.negative_index[outside & (w > 2.0)].any()
    (lo, hi), *_ = [iv for iv in mask_intervals(w, r.left_handed) if iv[1] - iv[0] > 0.1]
    assert abs(lo - np.sqrt(2.24)) < 1e-2 and abs(hi - 1.8) < 1e-2  # loss-broadened band edges
    # a passive Foster medium: where waves clearly propagate, Cho's group-velocity rule and the
    # decay rule pick the same n (they may differ only at band edges, |Im n| ~ |Re n|)
    clear = np.abs(r.n.imag) < 0.1 * np.abs(r.n.real)
    assert clear[inside].all() and not r.rules_disagree[clear].any()


def test_group_velocity_matches_numerical_derivative_of_k():
    med = OscillatorMedium.from_transitions([{"omega": 1.0, "gamma": 0.05, "e_dip": 2.0}])
    w = np.linspace(0.3, 3.0, 20001)
    r = optical_response(med, w)
    resp = evaluate(med, w)
    k = w * np.sqrt(resp.epsilon)  # mu = 1, passive principal root
    dkdw = np.gradient(k, w).real
    sl = slice(10, -10)
    # compare 1 / v_g = Re dk/dw (v_g itself diverges where Re dk/dw crosses zero)
    np.testing.assert_allclose(
        1.0 / r.v_group[sl], dkdw[sl], rtol=1e-5, atol=1e-5 * np.abs(dkdw).max()
    )
    np.testing.assert_allclose(r.v_phase, 1.0 / np.sqrt(resp.epsilon).real, rtol=1e-13)


def test_group_velocity_rule_flips_index_where_energy_velocity_is_backward():
    # a lossless non-Foster constant-slope toy: eps mu = 4 - w (d(w^2 eps mu)/dw < 0 above w = 8/3)
    w = np.array([2.0, 3.0, 3.5])
    eps = 4.0 - w + 0j
    mu = np.ones(3, dtype=complex)
    from core.optics import index_branch

    n = index_branch(w, eps, mu, -np.ones(3) + 0j, "group-velocity")
    dF = 2 * w * (4 - w) - w**2  # d(w^2 eps mu)/dw
    np.testing.assert_array_equal(np.sign(n.real), np.sign(dF))


# ------------------------------------------------------------------ media adapter


def test_tabulated_medium_interpolates_linearly_and_refuses_extrapolation():
    f = np.array([1.0, 2.0, 4.0])
    t = TabulatedMedium(f, eps=np.array([2.0, 4.0 + 2j, 8.0]), mu=np.array([1.0, 1.0, 2.0]))
    e, m = medium_eps_mu(t, [1.5, 3.0])
    np.testing.assert_allclose(e, [3.0 + 1j, 6.0 + 1j])
    np.testing.assert_allclose(m, [1.0, 1.5])
    with pytest.raises(InvalidInput) as exc:
        medium_eps_mu(t, [0.5], field=("layers", 1, "medium"))
    assert exc.value.field == ("layers", 1, "medium", "frequencies")
    nk = TabulatedMedium.from_nk(f, n=[1.5, 1.5, 1.5], k=[0.1, 0.1, 0.1])
    e, m = medium_eps_mu(nk, [2.5])
    np.testing.assert_allclose(e, (1.5 + 0.1j) ** 2)
    np.testing.assert_allclose(refractive_index(e, m), 1.5 + 0.1j)
    with pytest.raises(InvalidInput):
        TabulatedMedium(np.array([1.0, 1.0]), np.ones(2), np.ones(2))


def test_oscillator_and_constant_media_go_through_the_same_adapter():
    med = _lh_medium()
    w = np.linspace(0.1, 3, 50)
    e, m = medium_eps_mu(med, w)
    ref = evaluate(med, w)
    np.testing.assert_allclose(e, ref.epsilon)
    np.testing.assert_allclose(m, ref.mu)
    e, m = medium_eps_mu(ConstantMedium(2 + 1j, 3), w)
    assert e.shape == (50,) and np.all(e == 2 + 1j) and np.all(m == 3)
    with pytest.raises(InvalidInput):
        ConstantMedium(1.0, 0.0)
    with pytest.raises(InvalidInput):
        medium_eps_mu(object(), w)


def test_cho_chi_B_medium_is_impedance_matched_where_n_is_minus_one():
    from core.chiral import MagneticResonanceMedium

    s = 0.01
    med = MagneticResonanceMedium(
        eps_b=-1.0 + 1e-9j, b=s / (4 * np.pi), w0=1.0, gamma=1e-7, assignment="chi_B"
    )
    w_match = 1.0 - s / 2  # 1 - s / (w0 - w) = -1: mu = -1 = eps_b
    r = optical_response(med, np.array([w_match]))
    np.testing.assert_allclose(r.n, -1.0, atol=1e-4)
    assert r.left_handed[0]
    e, m = medium_eps_mu(med, [w_match])
    c = fresnel(_const(1, 1), _const(1, 1), e, m, [0.0], "s")
    assert c.R[0, 0] < 1e-8


@pytest.mark.parametrize("pol", ["s", "p"])
def test_stack_field_transmission_matches_characteristic_matrix_for_magnetic_media(pol):
    # The characteristic matrix gives t_u for the continuous field u (E_y for s, H_y for p).
    # For p the returned t is the E-field ratio: |E| = Z |H| with Z = mu / n in each outer
    # medium, so t_E = t_H (mu_sub / n_sub) / (mu_amb / n_amb). With mu = 1 this is the textbook
    # n_amb / n_sub; a magnetic ambient and substrate pin the mu in the impedance.
    eps = [2.0, 2.5 + 0.4j, -3.0 + 0.5j, 1.8 + 0.0j, 2.2 + 0.1j]
    mu = [1.5, 1.3 + 0.05j, 0.9 + 0.2j, 1.0, 1.7 + 0.2j]
    d = [0.3, 0.05, 1.1]
    k0 = np.array([2.0, 5.0, 9.0])
    th = np.radians([0.0, 35.0, 70.0])
    c = stack_coefficients(
        np.array([_const(3, e) for e in eps]), np.array([_const(3, m) for m in mu]), d, k0, th, pol
    )
    n_amb = np.sqrt(eps[0] * mu[0])
    n_sub = np.sqrt(eps[-1]) * np.sqrt(mu[-1])  # passive principal branch, Im n > 0
    for i, a in enumerate(th):
        for j, kk in enumerate(k0):
            eps_c = [complex(e) for e in eps]
            mu_c = [complex(m) for m in mu]
            kx = n_amb * np.sin(a)

            def y_of(e, m, kx=kx):
                q = np.sqrt(e * m - kx**2 + 0j)
                q = -q if q.imag < 0 else q
                return q / m if pol == "s" else q / e

            mat = np.eye(2, dtype=complex)
            for e, m, dj in zip(eps_c[1:-1], mu_c[1:-1], d, strict=True):
                q = np.sqrt(e * m - kx**2 + 0j)
                q = -q if q.imag < 0 else q
                b = kk * q * dj
                y = y_of(e, m)
                mat = mat @ np.array(
                    [[np.cos(b), -1j * np.sin(b) / y], [-1j * y * np.sin(b), np.cos(b)]]
                )
            y0, ys = y_of(eps_c[0], mu_c[0]), y_of(eps_c[-1], mu_c[-1])
            (m11, m12), (m21, m22) = mat
            t_u = 2 * y0 / (y0 * m11 + y0 * ys * m12 + m21 + ys * m22)
            t_e = t_u if pol == "s" else t_u * (mu[-1] / n_sub) / (mu[0] / n_amb)
            assert abs(c.t[i, j] - t_e) < 1e-12 * max(1.0, abs(t_e))


@pytest.mark.parametrize("pol", ["s", "p"])
def test_lossless_veselago_slab_is_matched_with_a_backward_phase(pol):
    # eps = mu = -1 exactly (Im q = 0): the branch is fixed by the energy flow Re(q / mu) > 0, so
    # q = -cos(theta) and the slab is impedance-matched at every angle with
    # t = exp(-i k0 d cos(theta)) (negative phase advance). The wrong branch q = +cos(theta)
    # would give the same |t| but the opposite phase; the lossy limit must agree.
    d, k0 = [0.37], np.array([1.0, 4.0])
    th = np.radians([0.0, 30.0, 60.0])
    for loss in (0.0, 1e-9):
        e = -1.0 + 1j * loss
        eps = np.array([_const(2, 1.0), _const(2, e), _const(2, 1.0)])
        c = stack_coefficients(eps, eps.copy(), d, k0, th, pol)
        expected = np.exp(-1j * k0[None, :] * d[0] * np.cos(th)[:, None])
        np.testing.assert_allclose(np.abs(c.r), 0.0, atol=1e-8)
        np.testing.assert_allclose(c.t, expected, atol=1e-8)


def test_group_velocity_of_a_magnetic_multipole_medium_matches_the_derivative_of_k():
    # d(eps mu)/dw of eq 21 with every strength (m_dip, quad, dip_oct, dia: the (1/mu)' terms,
    # including the 2 c w / D part of the w^2 terms) against a central difference of eq 21
    # evaluated by core.oscillators, and 1 / v_g = Re dk/dw against a difference of k = w n.
    from core.optics import medium_eps_mu_derivative

    med = OscillatorMedium.from_transitions(
        [
            {"omega": 1.0, "gamma": 0.08, "e_dip": 1.5, "m_dip": 0.2, "dip_oct": 0.05},
            {"omega": 2.2, "gamma": 0.1, "e_dip": 0.5, "quad": 0.03, "dia": 0.4},
        ]
    )
    w = np.linspace(0.2, 3.5, 4001)
    _, _, d = medium_eps_mu_derivative(med, w)
    h = 1e-6
    rp, rm = evaluate(med, w + h), evaluate(med, w - h)
    fd = (rp.epsilon * rp.mu - rm.epsilon * rm.mu) / (2 * h)
    np.testing.assert_allclose(d, fd, rtol=1e-6, atol=1e-8 * np.abs(fd).max())
    r = optical_response(med, w)
    dk = (
        (w + h) * refractive_index(rp.epsilon, rp.mu)
        - (w - h) * refractive_index(rm.epsilon, rm.mu)
    ) / (2 * h)
    np.testing.assert_allclose(1.0 / r.v_group, dk.real, rtol=1e-5, atol=1e-7 * np.abs(dk).max())


# ------------------------------------------------------------------ reports


def test_stack_report_of_a_lossless_stack_conserves_energy_and_is_passive():
    from core.optics import stack_report

    glass, film = ConstantMedium(2.25), ConstantMedium(1.9)
    rep = stack_report(
        [ConstantMedium(1.0), film, glass],
        [0.3],
        np.array([1.0, 2.0, 3.0]),
        angles_deg=[0.0, 40.0],
        polarizations=["s", "p"],
        physical=False,
    )
    assert list(rep.arrays)[:2] == ["frequencies", "angles"] and rep.arrays["R_s"].values.size == 6
    for pol in ("s", "p"):
        c = rep.checks[f"energy_{pol}"]
        assert c.verdict is True and c.kind == "bound" and c.details["lossless"]
        assert c.value is not None and c.value < 1e-13
    assert rep.checks["passive"].verdict is True and not rep.warnings
    meta, _ = rep.payload()
    assert meta["shape"] == {"angles": 2, "frequencies": 3, "order": "angle-major"}


def test_stack_report_says_a_gain_layer_shows_gain_not_an_error_and_is_not_passive():
    from core.optics import stack_report

    gain = ConstantMedium(2.0 - 0.3j)  # Im eps < 0: an amplifying layer
    rep = stack_report(
        [ConstantMedium(1.0), gain, ConstantMedium(2.25)],
        [2.0],
        np.array([1.0, 1.5]),
        angles_deg=[0.0],
        polarizations=["s"],
        physical=False,
    )
    a = rep.checks["energy_s"]
    assert a.details["balance"] == "gain" and a.verdict is None and a.value < 0
    assert not a.details["lossless"] and a.details["gain_points"] == 2
    assert "gain" in a.explanation and "not an error" in a.explanation
    p = rep.checks["passive"]
    assert p.verdict is False and p.details["media"] == ["medium/1"]
    assert p.details["per_medium"]["medium/1"] == [{"start": 1.0, "stop": 1.5}]
    assert any("energy_s" in w and "the gain showing" in w for w in rep.warnings)
    assert any("not passive" in w and "gain in: medium/1" in w for w in rep.warnings)


# ------------------------------------------------------------------ media with gain

GAIN_EPS = 2.0 - 0.1j  # Im eps < 0: amplifying (issue 11: R = 33.7, T = -32.7 on Im q >= 0)


@pytest.mark.parametrize("deg", [0.0, 45.0])
def test_gain_half_space_fails_passivity_reports_gain_and_names_the_causal_branch(deg):
    from core.optics import stack_report

    rep = stack_report(
        [ConstantMedium(1.0), ConstantMedium(GAIN_EPS)],
        [],
        np.array([0.5, 1.0]),
        angles_deg=[deg],
        polarizations=["s", "p"],
        physical=False,
        fields=[("ambient",), ("substrate",)],
    )
    p = rep.checks["passive"]
    assert p.verdict is False and p.details["media"] == ["substrate"]
    assert p.details["per_medium"]["substrate"] == [{"start": 0.5, "stop": 1.0}]
    assert p.value == pytest.approx(-0.1, rel=1e-12)
    # causal root (Skaar 2006), closed form: q = +sqrt(eps - sin^2), Re q > 0, Im q < 0
    c0, s2 = np.cos(np.radians(deg)), np.sin(np.radians(deg)) ** 2
    q = np.sqrt(GAIN_EPS - s2)
    assert q.real > 0 and q.imag < 0
    rs = (c0 - q) / (c0 + q)
    rp = (GAIN_EPS * c0 - q) / (GAIN_EPS * c0 + q)  # H_y ratio, mu = 1
    ts_pow = q.real / c0 * abs(2 * c0 / (c0 + q)) ** 2
    np.testing.assert_allclose(rep.arrays["R_s"].values, abs(rs) ** 2, rtol=1e-12)
    np.testing.assert_allclose(rep.arrays["R_p"].values, abs(rp) ** 2, rtol=1e-12)
    np.testing.assert_allclose(rep.arrays["T_s"].values, ts_pow, rtol=1e-12)
    assert np.all(rep.arrays["R_s"].values < 0.1)
    for pol in ("s", "p"):
        e = rep.checks[f"energy_{pol}"]
        assert e.details["balance"] == "gain" and e.verdict is None
        assert e.details["gain_branch"] == "causal"
    assert any("causal branch" in w and "substrate" in w for w in rep.warnings)
    # the growing wave is not left-handed (the old Im n >= 0 root called it so)
    assert not any("left-handed" in w for w in rep.warnings)


@pytest.mark.parametrize("deg", [0.0, 45.0])
def test_gain_half_space_on_the_decay_branch_gives_r_above_one_and_says_gain(deg):
    from core.optics import stack_report

    rep = stack_report(
        [ConstantMedium(1.0), ConstantMedium(GAIN_EPS)],
        [],
        np.array([1.0]),
        angles_deg=[deg],
        polarizations=["s", "p"],
        physical=False,
        gain_branch="decay",
    )
    c0, s2 = np.cos(np.radians(deg)), np.sin(np.radians(deg)) ** 2
    q = -np.sqrt(GAIN_EPS - s2)  # Im q > 0: the backward wave
    assert q.imag > 0
    R = abs((c0 - q) / (c0 + q)) ** 2
    np.testing.assert_allclose(rep.arrays["R_s"].values, R, rtol=1e-12)
    if deg == 0.0:
        assert rep.arrays["R_s"].values[0] == pytest.approx(33.67326078, rel=1e-8)
    assert np.all(rep.arrays["R_s"].values > 1) and np.all(rep.arrays["T_s"].values < 0)
    for pol in ("s", "p"):
        e = rep.checks[f"energy_{pol}"]
        assert e.verdict is not True and e.details["balance"] == "gain"
        assert e.details["gain_branch"] == "decay"
    assert rep.checks["passive"].verdict is False
    assert any("gain_branch='decay'" in w for w in rep.warnings)


def _airy_slab(eps1, d, w, deg, eps_sub, sign):
    """Single slab on a substrate from the Airy formula (Born & Wolf sec. 1.6.4), s and p, mu = 1,
    with either root of q_1 (the answer must not depend on it)."""
    s2 = np.sin(np.radians(deg)) ** 2
    q0 = np.cos(np.radians(deg))
    q1 = sign * np.sqrt(eps1 - s2 + 0j)
    q2 = np.sqrt(eps_sub - s2 + 0j)
    out = {}
    for pol, (y0, y1, y2) in {
        "s": (q0, q1, q2),
        "p": (q0, q1 / eps1, q2 / eps_sub),
    }.items():
        r01, r12 = (y0 - y1) / (y0 + y1), (y1 - y2) / (y1 + y2)
        t01, t12 = 2 * y0 / (y0 + y1), 2 * y1 / (y1 + y2)
        ph = np.exp(1j * q1 * w * d)
        den = 1 + r01 * r12 * ph**2
        r = (r01 + r12 * ph**2) / den
        tu = t01 * t12 * ph / den
        out[pol] = (abs(r) ** 2, (y2.real / y0.real) * abs(tu) ** 2, r)
    return out


@pytest.mark.parametrize("deg", [0.0, 30.0])
def test_gain_slab_agrees_with_the_airy_formula_on_either_root(deg):
    from core.optics import stack_report

    w = np.linspace(0.5, 3.0, 41)
    d, sub = 2.0, 2.25
    rep = stack_report(
        [ConstantMedium(1.0), ConstantMedium(GAIN_EPS), ConstantMedium(sub)],
        [d],
        w,
        angles_deg=[deg],
        polarizations=["s", "p"],
        physical=False,
    )
    plus = _airy_slab(GAIN_EPS, d, w, deg, sub, +1.0)
    minus = _airy_slab(GAIN_EPS, d, w, deg, sub, -1.0)
    for pol in ("s", "p"):
        R, T, r = plus[pol]
        np.testing.assert_allclose(minus[pol][2], r, rtol=1e-10)  # the slab is even in q_1
        np.testing.assert_allclose(rep.arrays[f"R_{pol}"].values, R, rtol=1e-10)
        np.testing.assert_allclose(rep.arrays[f"T_{pol}"].values, T, rtol=1e-10)
        np.testing.assert_allclose(rep.arrays[f"r_{pol}"].values, r, rtol=1e-10)
        A = rep.arrays[f"A_{pol}"].values
        assert A.min() < -0.05  # the slab amplifies: A < 0 is expected here
        e = rep.checks[f"energy_{pol}"]
        assert e.details["balance"] == "gain" and e.verdict is None
    # the substrate is passive, so the branch does not matter for a slab
    dec = stack_report(
        [ConstantMedium(1.0), ConstantMedium(GAIN_EPS), ConstantMedium(sub)],
        [d],
        w,
        angles_deg=[deg],
        polarizations=["s"],
        physical=False,
        gain_branch="decay",
    )
    np.testing.assert_array_equal(dec.arrays["R_s"].values, rep.arrays["R_s"].values)


def test_causal_root_is_the_decaying_root_on_passive_media():
    from core.optics import half_space_wavevector, normal_wavevector

    rng = np.random.default_rng(7)
    n = 4000
    eps = rng.normal(0, 3, n) + 1j * rng.exponential(1.0, n) * (rng.random(n) < 0.8)
    mu = rng.normal(1, 2, n) + 1j * rng.exponential(0.5, n) * (rng.random(n) < 0.5)
    kx2 = rng.uniform(0, 2, n)
    np.testing.assert_array_equal(
        half_space_wavevector(eps, mu, kx2, "causal"), normal_wavevector(eps, mu, kx2)
    )


@pytest.mark.parametrize(
    ("eps_r", "mu", "kx2"),
    [(2.0, 1.0, 0.0), (2.0, 1.0, 0.5), (1.2, 1.0, 1.5), (-2.0, -1.5, 0.3)],
)
def test_causal_root_is_the_continuation_from_the_lossless_limit(eps_r, mu, kx2):
    """Switch the gain on in small steps, following the root by nearest neighbour (Skaar 2006:
    the physical root is the analytic continuation, not Im q >= 0)."""
    from core.optics import half_space_wavevector

    ts = np.linspace(0.0, 1.0, 2001)
    eps = eps_r - 0.4j * ts  # Im eps < 0: gain grows with t
    q2 = eps * mu - kx2
    root = np.sqrt(q2[0] + 0j)
    if q2[0].real > 0:
        root = np.sign(mu) * root  # energy flow Re(q / mu) > 0 in the lossless limit
    else:
        root = 1j * np.sqrt(-q2[0].real)  # evanescent: the decaying wave
    for z2 in q2[1:]:
        c = np.sqrt(z2)
        root = c if abs(c - root) < abs(-c - root) else -c
    got = half_space_wavevector(eps[-1], mu, kx2, "causal")
    assert abs(got - root) < 1e-12 * abs(root)


def test_passive_stack_with_negative_absorptance_is_inconsistent(monkeypatch):
    import core.optics as optics_mod
    from core.optics import Coefficients

    real = optics_mod.stack_coefficients

    def broken(*args, **kw):  # a lossy passive stack whose A comes out negative (a bug)
        c = real(*args, **kw)
        return Coefficients(r=c.r, t=c.t, R=c.R, T=c.T + 1.0, A=c.A - 1.0)

    monkeypatch.setattr(optics_mod, "stack_coefficients", broken)
    rep = optics_mod.stack_report(
        [ConstantMedium(1.0), ConstantMedium(2.0 + 0.5j), ConstantMedium(2.25)],
        [1.0],
        np.array([1.0]),
        angles_deg=[0.0],
        polarizations=["s"],
        physical=False,
    )
    c = rep.checks["energy_s"]
    assert c.verdict is False and c.details["balance"] == "inconsistent"
    assert rep.checks["passive"].verdict is True
    assert any("inconsistent" in w and "passive media only" in w for w in rep.warnings)


def test_lossy_passive_stack_is_absorbing_and_one_name_means_one_statement():
    from core.optics import stack_report

    cases = {
        "conserved": [ConstantMedium(1.0), ConstantMedium(1.9), ConstantMedium(2.25)],
        "absorbing": [ConstantMedium(1.0), ConstantMedium(2.0 + 0.5j), ConstantMedium(2.25)],
        "gain": [ConstantMedium(1.0), ConstantMedium(GAIN_EPS), ConstantMedium(2.25)],
    }
    statements: dict[str, str] = {}
    for balance, media in cases.items():
        rep = stack_report(
            media,
            [0.7],
            np.array([1.0, 2.0]),
            angles_deg=[0.0, 50.0],
            polarizations=["s", "p"],
            physical=False,
        )
        for pol in ("s", "p"):
            e = rep.checks[f"energy_{pol}"]
            assert e.details["balance"] == balance
            assert e.verdict is {"conserved": True, "absorbing": True, "gain": None}[balance]
        if balance == "absorbing":
            assert rep.arrays["A_s"].values.min() > 0.01
        for chk in rep.checks.values():  # a spec name is one statement in every response
            assert statements.setdefault(chk.name, chk.equation) == chk.equation


def test_stack_report_energy_check_catches_coefficients_that_violate_r_plus_t_is_one(monkeypatch):
    import core.optics as optics_mod

    real = optics_mod.stack_coefficients

    def broken(*args, **kw):  # a numerically wrong R (what the check exists to catch)
        c = real(*args, **kw)
        return Coefficients(r=c.r, t=c.t, R=c.R * 1.01, T=c.T, A=1.0 - 1.01 * c.R - c.T)

    from core.optics import Coefficients

    monkeypatch.setattr(optics_mod, "stack_coefficients", broken)
    rep = optics_mod.stack_report(
        [ConstantMedium(1.0), ConstantMedium(2.25)],
        [],
        np.array([1.0]),
        angles_deg=[0.0],
        polarizations=["p"],
        physical=False,
    )
    c = rep.checks["energy_p"]
    assert c.verdict is False and abs(c.value - 0.0004) < 1e-12  # 0.01 x R, R = 0.04
    assert rep.warnings and "lossless" in rep.warnings[0]


def test_stack_report_notes_a_left_handed_medium_by_its_path():
    from core.optics import stack_report

    rep = stack_report(
        [ConstantMedium(1.0), ConstantMedium(-1.0 + 1e-6j, -1.0 + 1e-6j)],
        [],
        np.array([1.0]),
        angles_deg=[0.0],
        polarizations=["s"],
        physical=False,
        fields=[("ambient",), ("substrate",)],
    )
    assert any("left-handed" in w and "substrate" in w for w in rep.warnings)


def test_frequency_checks_see_the_branch_rule_disagreement_of_a_gain_band():
    from core.optics import frequency_checks

    w = np.linspace(0.5, 2.0, 200)
    passive = OscillatorMedium.from_transitions([{"omega": 1.0, "gamma": 0.05, "e_dip": 1.0}])
    r = optical_response(passive, w)
    ok = dict(frequency_checks(w, r, passive))
    assert ok["branch_rules"].verdict is True and ok["passive"].verdict is True
    gain = ConstantMedium(2.0 - 0.1j)  # Im(eps mu) < 0: the v_g > 0 wave grows
    rg = optical_response(gain, w)
    bad = dict(frequency_checks(w, rg, gain))
    assert bad["passive"].verdict is False and bad["passive"].details["min_im_epsilon"] < 0
    assert bad["branch_rules"].verdict is False and bad["branch_rules"].value == 1.0


def test_decay_branch_is_the_thick_slab_limit_and_causal_is_not():
    """A gain slab (unambiguous) thickening on glass tends to the `decay` half-space (Nazarov &
    Chang's limit); the causal half-space is the other root (Skaar 2006)."""
    from core.optics import stack_report

    w = np.array([1.0, 1.7])

    def r_s(media, d, branch="causal"):
        rep = stack_report(
            media,
            d,
            w,
            angles_deg=[20.0],
            polarizations=["s"],
            physical=False,
            gain_branch=branch,
        )
        return rep.arrays["r_s"].values

    vac, gain, glass = ConstantMedium(1.0), ConstantMedium(GAIN_EPS), ConstantMedium(2.25)
    thick = r_s([vac, gain, glass], [400.0])  # |phi|^2 = exp(-2 |Im q| w d) ~ 1e-12
    np.testing.assert_allclose(thick, r_s([vac, gain], [], "decay"), rtol=1e-8)
    assert np.all(np.abs(thick - r_s([vac, gain], [], "causal")) > 0.1)
