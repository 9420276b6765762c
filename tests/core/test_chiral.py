"""Physics checks of core/chiral.py (core.references.CHO: eqs 29, 36-37, 43-48, Figs. 1-2).

Expected values are closed forms written out here from the paper's equations (pole and zero of
mu, n = -1 points, Drude's rotatory dispersion, the roots of the resonance numerator), or
independent numerics (finite differences, numpy determinants and eigenvectors, a 4x4 Maxwell
system for the DBF equations), never numbers printed by the code under test.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pytest
from scipy.optimize import brentq

from core.chiral import (
    Assignment,
    ChiralMedium,
    DBFMedium,
    LineShape,
    MagneticResonanceMedium,
    _chiral_sums,
    _chiral_sums_real,
    achiral_equivalence_check,
    assignment_shift_check,
    chiral_passivity_check,
    chiral_response,
    cho_figure_medium,
    circular_splitting_check,
    circular_wavenumbers,
    dbf_counterpart,
    dbf_eps_mu,
    dbf_response,
    dbf_wavenumbers,
    gaussian_strength,
    magnetic_passivity_check,
    magnetic_resonance_eps_mu,
    magnetic_resonance_eps_mu_derivative,
    magnetic_resonance_report,
    magnetic_resonance_response,
    magnetic_susceptibility,
    mixing_bound_check,
    mu_pole_and_zero,
    reduced_susceptibility,
    si_strength,
    single_susceptibility_report,
    susceptibility_tensor,
    transmission_window,
)
from core.errors import InvalidInput, PoleOnGrid

FOUR_PI_B = 1e-3  # Cho Fig. 1: 4 pi b / w0 = 0.001, eps_b = -1
B = FOUR_PI_B / (4 * np.pi)


def cho_medium(
    assignment: str,
    gamma: float = 1e-6,
    eps_b: complex = -1.0,
    line_shape: str = "resonant",
) -> MagneticResonanceMedium:
    return MagneticResonanceMedium(
        eps_b=eps_b,
        b=B,
        w0=1.0,
        gamma=gamma,
        assignment=cast(Assignment, assignment),
        line_shape=cast(LineShape, line_shape),
    )


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


# ------------------------------------------------------------------ magnetic resonance (44-47)


@pytest.mark.parametrize(
    ("assignment", "line_shape", "pole", "zero"),
    [
        ("chi_m", "resonant", 1.0, 1.0 + FOUR_PI_B),
        ("chi_B", "resonant", 1.0 - FOUR_PI_B, 1.0),
        ("chi_m", "lorentz", 1.0, np.sqrt(1.0 + 2 * FOUR_PI_B)),
        ("chi_B", "lorentz", np.sqrt(1.0 - 2 * FOUR_PI_B), 1.0),
    ],
)
def test_mu_has_pole_and_zero_at_the_closed_form_frequencies(
    assignment: str, line_shape: str, pole: float, zero: float
) -> None:
    m = cho_medium(assignment, gamma=0.0, line_shape=line_shape)
    assert mu_pole_and_zero(m) == pytest.approx((pole, zero), rel=1e-13)
    d = np.array([1e-6, 1e-7, 1e-8])
    _, mu_p = magnetic_resonance_eps_mu(m, np.concatenate([pole - d, pole + d]))
    _, mu_z = magnetic_resonance_eps_mu(m, np.concatenate([zero - d, zero + d]))
    # a simple pole: |mu| ~ 1/delta with a sign change; a simple zero: |mu| ~ delta
    assert loglog_slope(d, np.abs(mu_p[:3])) == pytest.approx(-1.0, abs=1e-3)
    assert np.all(np.sign(mu_p[:3].real) == -np.sign(mu_p[3:].real))
    assert loglog_slope(d, np.abs(mu_z[3:])) == pytest.approx(1.0, abs=1e-3)
    assert np.all(np.sign(mu_z[:3].real) == -np.sign(mu_z[3:].real))
    # mu < 0 exactly between them: that is the left-handed window
    inside = np.linspace(min(pole, zero), max(pole, zero), 103)[1:-1]
    _, mu_in = magnetic_resonance_eps_mu(m, inside)
    assert np.all(mu_in.real < 0)
    assert transmission_window(m) == pytest.approx((min(pole, zero), max(pole, zero)))


def test_w0_is_lower_window_edge_for_chi_m_and_upper_edge_for_chi_B() -> None:
    """Cho Fig. 2: the transmission window (R < 1 inside total reflection) lies on
    [w0, w0 + 4 pi b] for chi_m and on [w0 - 4 pi b, w0] for chi_B."""
    w = np.linspace(0.998, 1.002, 8000)  # w0 = 1 is not a grid point
    dw = w[1] - w[0]
    edges, dip = {}, {}
    for a in ("chi_m", "chi_B"):
        r = magnetic_resonance_response(cho_medium(a, gamma=0.0), w)
        inside = w[r.reflectance < 1.0 - 1e-9]
        edges[a] = (inside.min(), inside.max())
        assert np.all(np.diff(inside) < 1.5 * dw)  # one contiguous window
        dip[a] = w[np.argmin(r.reflectance)]
    assert edges["chi_m"][0] == pytest.approx(1.0, abs=dw)
    assert edges["chi_m"][1] == pytest.approx(1.0 + FOUR_PI_B, abs=dw)
    assert edges["chi_B"][0] == pytest.approx(1.0 - FOUR_PI_B, abs=dw)
    assert edges["chi_B"][1] == pytest.approx(1.0, abs=dw)
    # the dip (R = 0 at mu = -1) is half a window above / below w0
    assert dip["chi_m"] == pytest.approx(1.0 + FOUR_PI_B / 2, abs=dw)
    assert dip["chi_B"] == pytest.approx(1.0 - FOUR_PI_B / 2, abs=dw)


@pytest.mark.parametrize("assignment", ["chi_m", "chi_B"])
def test_total_reflection_outside_the_window_without_loss(assignment: str) -> None:
    m = cho_medium(assignment, gamma=0.0)
    lo, hi = 1.0 - FOUR_PI_B, 1.0 + FOUR_PI_B
    w = np.concatenate([np.linspace(0.9, lo - 1e-4, 50), np.linspace(hi + 1e-4, 1.1, 50)])
    w = w[(w < transmission_window(m)[0] - 1e-9) | (w > transmission_window(m)[1] + 1e-9)]
    r = magnetic_resonance_response(m, w)
    np.testing.assert_allclose(r.reflectance, 1.0, atol=1e-12)


@pytest.mark.parametrize(
    ("assignment", "w_n1"), [("chi_m", 1.0 + FOUR_PI_B / 2), ("chi_B", 1.0 - FOUR_PI_B / 2)]
)
def test_reflectance_vanishes_where_n_is_minus_one(assignment: str, w_n1: float) -> None:
    """eps_b = -1 and n = -1 <=> mu = -1: impedance matched, R = 0 (Fig. 2 dip)."""
    r = magnetic_resonance_response(cho_medium(assignment, gamma=0.0), np.array([w_n1]))
    assert r.n[0] == pytest.approx(-1.0, abs=1e-9)
    assert r.reflectance[0] < 1e-18


@pytest.mark.parametrize("assignment", ["chi_m", "chi_B"])
def test_paper_reflectance_formula_holds_only_for_eps_b_minus_one(assignment: str) -> None:
    """Cho writes R = |(n+1)/(n-1)|^2 for n < 0: true for eps_b = -1 (Z = -n), not in general."""
    lo, hi = transmission_window(cho_medium(assignment))
    w = np.linspace(lo, hi, 41)[1:-1]
    r = magnetic_resonance_response(cho_medium(assignment, gamma=0.0), w)
    np.testing.assert_allclose(r.reflectance, np.abs((r.n + 1) / (r.n - 1)) ** 2, atol=1e-12)
    # eps_b = -2: at mu = -1/2, n = -1 but Z = mu / n = 1/2, so R = ((1/2 - 1)/(1/2 + 1))^2 = 1/9
    w_half = 1.0 + FOUR_PI_B / 1.5 if assignment == "chi_m" else 1.0 - FOUR_PI_B / 3.0
    r2 = magnetic_resonance_response(
        cho_medium(assignment, gamma=0.0, eps_b=-2.0), np.array([w_half])
    )
    assert r2.n[0] == pytest.approx(-1.0, abs=1e-9)
    assert r2.reflectance[0] == pytest.approx(1.0 / 9.0, rel=1e-9)


@pytest.mark.parametrize("assignment", ["chi_m", "chi_B"])
def test_window_branch_is_backward_wave_with_positive_group_velocity(assignment: str) -> None:
    """Fig. 1: k < 0 and dw/dk > 0 inside eps_b < 0, so v_p v_g < 0 (section 3.4)."""
    m = cho_medium(assignment, gamma=0.0)
    lo, hi = transmission_window(m)
    w = np.linspace(lo, hi, 201)[2:-2]
    r = magnetic_resonance_response(m, w)
    assert np.all(r.propagating)
    assert np.all(r.k.real < 0)
    assert np.all(r.v_group > 0)
    assert np.all(r.v_phase * r.v_group < 0)
    # analytic dk/dw against a centred finite difference of k(w) = n w (independent)
    h = 1e-9
    kp = magnetic_resonance_response(m, w + h).k.real
    km = magnetic_resonance_response(m, w - h).k.real
    np.testing.assert_allclose(r.group_index, (kp - km) / (2 * h), rtol=1e-5)
    # |n| sweeps from 0 to infinity across the window (text after Fig. 2)
    assert np.abs(r.n).min() < 0.2 and np.abs(r.n).max() > 5


@pytest.mark.parametrize("assignment", ["chi_m", "chi_B"])
@pytest.mark.parametrize("line_shape", ["resonant", "lorentz"])
def test_damped_magnetic_resonance_is_passive(assignment: str, line_shape: str) -> None:
    m = cho_medium(assignment, gamma=1e-4, line_shape=line_shape)
    w = np.linspace(0.5, 1.5, 20001)
    _eps, mu = magnetic_resonance_eps_mu(m, w)
    assert np.all(mu.imag > 0)
    r = magnetic_resonance_response(m, w)
    assert np.all(r.n.imag >= 0)
    assert np.all((r.reflectance >= 0) & (r.reflectance <= 1 + 1e-12))


def test_lorentz_line_shape_obeys_reality_condition_and_matches_eq_44_near_w0() -> None:
    lor = cho_medium("chi_B", gamma=1e-4, line_shape="lorentz")
    res = cho_medium("chi_B", gamma=1e-4)
    w = np.linspace(0.1, 3.0, 101)
    np.testing.assert_allclose(
        magnetic_susceptibility(lor, -w), np.conj(magnetic_susceptibility(lor, w)), rtol=1e-14
    )
    # the paper's one-sided resonant form has no antiresonant partner: it violates it
    assert not np.allclose(
        magnetic_susceptibility(res, -w), np.conj(magnetic_susceptibility(res, w))
    )
    d = np.array([1e-2, 1e-3])
    x = 1.0 + d
    rel = np.abs(magnetic_susceptibility(lor, x) / magnetic_susceptibility(res, x) - 1.0)
    assert np.all(rel < 2 * d)


def test_window_width_is_the_si_strength() -> None:
    m = cho_medium("chi_m")
    lo, hi = transmission_window(m)
    assert hi - lo == pytest.approx(si_strength(m.b), rel=1e-12)
    assert m.strength_si == pytest.approx(FOUR_PI_B)
    assert gaussian_strength(si_strength(0.37)) == pytest.approx(0.37)


def test_background_phonon_closes_the_window_where_eps_turns_positive() -> None:
    """With eps from an E1 phonon, the window survives only where eps < 0 (reststrahlen band)."""
    # eps = 1 + S/(wT^2 - w^2): wT = 0.9, S chosen so eps < 0 on (0.9, 1.2)
    s = 1.2**2 - 0.9**2
    m = MagneticResonanceMedium(
        eps_b=1.0,
        b=B,
        w0=1.0,
        gamma=0.0,
        assignment="chi_m",
        background_omega=(0.9,),
        background_gamma=(0.0,),
        background_strength=(s,),
    )
    w = np.linspace(1.0 + 1e-5, 1.0 + FOUR_PI_B - 1e-5, 50)
    eps, _ = magnetic_resonance_eps_mu(m, w)
    np.testing.assert_allclose(eps, 1.0 + s / (0.81 - w**2))
    assert np.all(eps.real < 0)
    assert np.all(magnetic_resonance_response(m, w).k.real < 0)


def test_undamped_pole_on_grid_is_refused() -> None:
    with pytest.raises(PoleOnGrid):
        magnetic_resonance_eps_mu(cho_medium("chi_m", gamma=0.0), np.array([0.5, 1.0]))
    with pytest.raises(PoleOnGrid):
        magnetic_resonance_eps_mu(cho_medium("chi_B", gamma=0.0), np.array([1.0 - FOUR_PI_B]))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"assignment": "chi_H"}, ("assignment",)),
        ({"gamma": -1.0}, ("gamma",)),
        ({"b": 0.0}, ("b",)),
        ({"eps_b": complex(-1, -0.1)}, ("eps_b",)),
    ],
)
def test_invalid_magnetic_medium_names_the_field(kwargs: dict, field: tuple) -> None:
    base = {"eps_b": -1.0, "b": B, "w0": 1.0, "gamma": 0.0, "assignment": "chi_m"}
    with pytest.raises(InvalidInput) as e:
        MagneticResonanceMedium(**{**base, **kwargs})
    assert e.value.field == field
    assert e.value.fix


# ------------------------------------------------------------------ chiral medium (27, 29, 48)


def chiral(
    mixed: float = 0.05, gamma: float = 0.01, m1: float = 0.02, e1: float = 0.5
) -> ChiralMedium:
    return ChiralMedium(
        eps_inf=2.0, omega=(1.0,), gamma=(gamma,), e1=(e1,), mixed=(mixed,), m1=(m1,)
    )


W = np.array([0.2, 0.5, 0.9, 0.99, 1.0, 1.01, 1.3, 2.0])


def test_circular_wavenumbers_are_equal_without_mixed_strength() -> None:
    kp, km = circular_wavenumbers(chiral(mixed=0.0), W)
    np.testing.assert_array_equal(kp, km)


def test_achiral_limit_is_eps_mu_with_mu_from_chi_B_not_chi_m() -> None:
    """Eqs 34-37: with no mixing, (k/w)^2 = eps / (1 - 4 pi chi_B), 4 pi chi_B = w^2 m / D."""
    med = chiral(mixed=0.0)
    kp, _ = circular_wavenumbers(med, W)
    d = 1.0 - W**2 - 2j * 0.01 * W
    eps = 2.0 + 0.5 / d
    four_pi_chi_b = W**2 * 0.02 / d
    np.testing.assert_allclose((kp / W) ** 2, eps / (1.0 - four_pi_chi_b), rtol=1e-12)
    # assigning the same pole to chi_m instead (mu = 1 + 4 pi chi_m) gives another dispersion
    assert not np.allclose((kp / W) ** 2, eps * (1.0 + four_pi_chi_b), rtol=1e-3)


def test_rotatory_power_and_dichroism_flip_sign_with_mixed_strength() -> None:
    r1 = chiral_response(chiral(mixed=0.05), W)
    r2 = chiral_response(chiral(mixed=-0.05), W)
    assert np.all(np.abs(r1.rotatory_power) > 1e-6)
    np.testing.assert_allclose(r2.rotatory_power, -r1.rotatory_power, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        r2.circular_dichroism, -r1.circular_dichroism, rtol=1e-12, atol=1e-15
    )
    assert np.any(np.abs(r1.circular_dichroism) > 1e-3)


def test_wavenumbers_solve_the_2x2_determinant_of_eq_29() -> None:
    """det((k/w)^2 - 1 - (4 pi c / w^2) chi_em) = 0, with the full transverse tensor."""
    med = chiral()
    kp, km = circular_wavenumbers(med, W)
    for k in (kp, km):
        mat = (k / W)[:, None, None] ** 2 * np.eye(2) - susceptibility_tensor(med, k, W)
        det = np.linalg.det(mat)
        scale = np.abs((k / W) ** 2) ** 2
        assert np.all(np.abs(det) < 1e-10 * scale)


def test_circular_polarisations_are_the_eigenvectors_of_chi_em() -> None:
    med = chiral()
    k = np.array([0.3 + 0.1j, -1.2, 2.0])
    w = np.array([0.7, 0.95 + 0.01j, 1.4])
    t = susceptibility_tensor(med, k, w)
    for s in (1, -1):
        e = np.array([1.0, 1j * s]) / np.sqrt(2)
        te = t @ e
        lam = reduced_susceptibility(med, k, w, s)
        np.testing.assert_allclose(te, lam[:, None] * e[None, :], rtol=1e-13, atol=1e-15)


def test_chi_em_obeys_the_reality_condition() -> None:
    """chi_em(-k, -w*) = chi_em(k, w)* for the real space-time kernel (incl. the i k term)."""
    med = chiral()
    rng = np.random.default_rng(4)
    k = rng.normal(size=20)
    w = rng.normal(size=20) + 1j * np.abs(rng.normal(size=20))
    np.testing.assert_allclose(
        susceptibility_tensor(med, -k, -np.conj(w)),
        np.conj(susceptibility_tensor(med, k, w)),
        rtol=1e-13,
    )


def test_forward_waves_decay_in_a_passive_chiral_medium() -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        e1 = rng.uniform(0.1, 1.0, 3)
        m1 = rng.uniform(0.0, 0.1, 3)
        g = rng.uniform(-1, 1, 3) * 2 * np.sqrt(e1 * m1)
        med = ChiralMedium(
            eps_inf=rng.uniform(1, 3),
            omega=tuple(rng.uniform(0.5, 2, 3)),
            gamma=tuple(rng.uniform(0.01, 0.1, 3)),
            e1=tuple(e1),
            mixed=tuple(g),
            m1=tuple(m1),
        )
        r = chiral_response(med, np.linspace(0.05, 3.0, 300))
        assert np.all(r.alpha_plus > 0) and np.all(r.alpha_minus > 0)


def test_weak_chirality_follows_drude_rotatory_dispersion_and_biot_law() -> None:
    """First order in g: k_s = k0 + s G / (2 a), rho = Re(G / a) / 2, a = 1/w^2 - m/D, G = g/D.

    Far below the resonance this is Drude's rho = w^2 g / (2 (w0^2 - w^2)) (m -> 0), and
    rho / w^2 -> g / (2 w0^2) as w -> 0 (Biot's law, rho ~ 1/lambda^2).
    """
    g, m = 1e-5, 1e-6
    med = ChiralMedium(eps_inf=1.5, omega=(1.0,), gamma=(0.0,), e1=(0.3,), mixed=(g,), m1=(m,))
    w = np.array([1e-3, 0.1, 0.3, 0.6])
    rho = chiral_response(med, w).rotatory_power
    d = 1.0 - w**2
    expected = 0.5 * (g / d) / (1.0 / w**2 - m / d)
    np.testing.assert_allclose(rho, expected, rtol=1e-4)
    assert rho[0] / w[0] ** 2 == pytest.approx(g / 2, rel=1e-4)


def test_chi_em_wavenumbers_stay_finite_at_the_common_pole() -> None:
    """Single poles only: at D -> 0, eq 29 reduces to m k^2 + s g k + e = 0 (finite k)."""
    e, g, m = 0.5, 0.05, 0.02
    med = chiral(mixed=g, gamma=0.0, m1=m, e1=e)
    delta = np.array([1e-4, 1e-6, 1e-8])
    kp, km = circular_wavenumbers(med, 1.0 + delta)
    root = np.sqrt(4 * e * m - g * g)
    np.testing.assert_allclose(kp[-1], (-g + 1j * root) / (2 * m), rtol=1e-6)
    np.testing.assert_allclose(km[-1], (g + 1j * root) / (2 * m), rtol=1e-6)
    # the susceptibility at fixed k diverges only as 1/delta
    s_fixed = np.abs(reduced_susceptibility(med, 0.7, 1.0 + delta, 1))
    assert loglog_slope(delta, s_fixed) == pytest.approx(-1.0, abs=1e-3)


def test_pure_e1_resonance_gives_k_squared_with_a_single_pole() -> None:
    med = chiral(mixed=0.0, gamma=0.0, m1=0.0)
    delta = np.array([1e-5, 1e-6, 1e-7])
    kp, _ = circular_wavenumbers(med, 1.0 + delta)
    assert loglog_slope(delta, np.abs(kp**2)) == pytest.approx(-1.0, abs=1e-3)


def test_mixed_strength_above_cauchy_schwarz_bound_is_refused() -> None:
    with pytest.raises(InvalidInput) as e:
        ChiralMedium(
            eps_inf=1.0,
            omega=(1.0, 2.0),
            gamma=(0.1, 0.1),
            e1=(0.5, 0.5),
            mixed=(0.0, 0.21),
            m1=(0.02, 0.02),
        )
    assert e.value.field == ("resonances", 1, "mixed")


# ------------------------------------------------------------------ Drude-Born-Fedorov (43, 54)


def test_dbf_wavenumbers_solve_the_maxwell_system_of_eq_54() -> None:
    """4x4 system for (Ex, Ey, Hx, Hy), k along z, c = 1:
    k z x E = w mu (H + beta i k z x H),  k z x H = -w eps (E + beta i k z x E)."""
    eps = np.array([2.0 + 0.1j, -1.5 + 0.2j, 3.0 + 0j])
    mu = np.array([1.2 + 0.05j, -0.8 + 0.1j, 1.0 + 0j])
    w = np.array([0.7, 1.1, 0.4])
    beta = 0.13
    kp, km = dbf_wavenumbers(eps, mu, beta, w)
    zx = np.array([[0.0, -1.0], [1.0, 0.0]])  # z x (a_x, a_y) = (-a_y, a_x)
    eye = np.eye(2)
    for k in (kp, km):
        for i in range(3):
            kk, ww, ee, mm = k[i], w[i], eps[i], mu[i]
            top = np.hstack([kk * zx, -ww * mm * (eye + 1j * beta * kk * zx)])
            bot = np.hstack([ww * ee * (eye + 1j * beta * kk * zx), kk * zx])
            det = np.linalg.det(np.vstack([top, bot]))
            assert abs(det) < 1e-10 * max(1.0, abs(kk)) ** 4


def test_dbf_with_common_poles_has_a_double_pole_where_chi_em_has_a_single_one() -> None:
    d = DBFMedium(
        eps_inf=2.0, omega=(1.0,), gamma=(0.0,), eps_strength=(0.5,), mu_strength=(0.02,), beta=0.0
    )
    delta = np.array([1e-5, 1e-6, 1e-7])
    eps, mu = dbf_eps_mu(d, 1.0 + delta)
    assert loglog_slope(delta, np.abs(eps * mu)) == pytest.approx(-2.0, abs=1e-3)
    r = dbf_response(d, 1.0 + delta)
    assert loglog_slope(delta, np.abs(r.k_plus**2)) == pytest.approx(-2.0, abs=1e-3)
    # the same resonance as a single susceptibility: 1/delta at fixed k
    med = chiral(mixed=0.05, gamma=0.0)
    s = np.abs(reduced_susceptibility(med, 0.7, 1.0 + delta, 1))
    assert loglog_slope(delta, s) == pytest.approx(-1.0, abs=1e-3)


def test_dbf_chirality_shifts_the_double_pole_of_one_helicity() -> None:
    """Eq 43 with beta != 0: (k_+/w)^2 = (1/n - beta w)^-2 has a double pole where 1/n = beta w."""
    beta = 0.01
    d = DBFMedium(
        eps_inf=2.0, omega=(1.0,), gamma=(0.0,), eps_strength=(0.5,), mu_strength=(0.02,), beta=beta
    )

    def f(x: float) -> float:
        e, m = dbf_eps_mu(d, np.array([x]))
        return float(1.0 - beta * x * np.sqrt((e * m).real[0]))

    w_star = brentq(f, 0.9, 1.0 - 1e-9, xtol=1e-15)
    delta = np.array([1e-5, 1e-6, 1e-7])
    r = dbf_response(d, w_star - delta)
    assert loglog_slope(delta, np.abs(r.k_plus**2)) == pytest.approx(-2.0, abs=2e-3)
    # the other helicity is regular there: k_- = w n / (1 + beta w n) -> 1 / (2 beta)
    assert r.k_minus[-1] == pytest.approx(1.0 / (2.0 * beta), rel=1e-4)


def test_dbf_counterpart_matches_low_frequency_rotation_but_not_the_resonance() -> None:
    """Same Biot coefficient sum g_j / (2 w_j^2) at w -> 0; near w_j they part: eps mu has a
    double pole, DBF's |k_+| climbs towards 1/beta while the single-susceptibility k stays O(1)."""
    med = ChiralMedium(
        eps_inf=1.8,
        omega=(1.0, 1.7),
        gamma=(0.0, 0.0),
        e1=(0.4, 0.3),
        mixed=(2e-3, -1e-3),
        m1=(1e-3, 2e-3),
    )
    d = dbf_counterpart(med)
    w = np.array([1e-3])
    biot = (2e-3 / 1.0 + -1e-3 / 1.7**2) / 2
    assert chiral_response(med, w).rotatory_power[0] / w[0] ** 2 == pytest.approx(biot, rel=1e-4)
    assert dbf_response(d, w).rotatory_power[0] / w[0] ** 2 == pytest.approx(biot, rel=1e-4)
    near = 1.0 + np.array([1e-6])
    k_single = np.abs(chiral_response(med, near).k_plus[0])
    k_dbf = np.abs(dbf_response(d, near).k_plus[0])
    assert k_dbf > 100 * k_single


@pytest.mark.parametrize(("assignment", "w_dip"), [("chi_m", 1.0005), ("chi_B", 0.9995)])
def test_cho_figure_media_reproduce_the_figure_2_dip(assignment: str, w_dip: float) -> None:
    """Fig. 2 from the figure parameters: a dip from R = 1 to R ~ 0 half a window from w0."""
    m = cho_figure_medium(cast(Assignment, assignment))
    assert (m.eps_b, 4 * np.pi * m.b) == (-1.0, pytest.approx(1e-3))
    w = np.linspace(0.998, 1.002, 4001)
    r = magnetic_resonance_response(m, w)
    assert r.reflectance.min() < 1e-5
    assert w[np.argmin(r.reflectance)] == pytest.approx(w_dip, abs=2e-6)
    assert np.all(r.reflectance[np.abs(w - 1.0) > 1.2e-3] > 0.99)


def test_undamped_band_edge_is_refused_only_where_the_group_index_is_needed() -> None:
    m = cho_medium("chi_m", gamma=0.0)
    edge = np.array([1.0 + FOUR_PI_B])
    _, mu = magnetic_resonance_eps_mu(m, edge)
    assert abs(mu[0]) < 1e-12
    with pytest.raises(PoleOnGrid):
        magnetic_resonance_response(m, edge)


@pytest.mark.parametrize("gamma", [0.0, 3e-5])
def test_chi_B_medium_is_the_chi_m_medium_shifted_by_the_si_strength(gamma: float) -> None:
    """Figs. 1-2 'identical except for position': 1/(1 - a/(w0 - w - i g)) = 1 + a/(w0 - (w + a) - i g)
    with a = 4 pi b, so mu_B(w) = mu_m(w + 4 pi b) exactly (constant eps_b, resonant form)."""
    w = np.linspace(0.9982, 1.0008, 301)
    w = w[np.abs(w - 0.999) > 1e-9]
    _, mu_b = magnetic_resonance_eps_mu(cho_medium("chi_B", gamma=gamma), w)
    _, mu_m = magnetic_resonance_eps_mu(cho_medium("chi_m", gamma=gamma), w + FOUR_PI_B)
    np.testing.assert_allclose(mu_b, mu_m, rtol=1e-7)


def test_compiled_and_numpy_resonance_sums_agree() -> None:
    rng = np.random.default_rng(3)
    med = ChiralMedium(
        eps_inf=1.3,
        omega=tuple(rng.uniform(0.5, 2, 7)),
        gamma=tuple(rng.uniform(0, 0.1, 7)),
        e1=tuple(rng.uniform(0, 1, 7)),
        mixed=tuple(rng.uniform(-0.01, 0.01, 7)),
        m1=tuple(rng.uniform(0.01, 0.1, 7)),
    )
    w = np.linspace(0.1, 3.0, 1001).reshape(7, 143)
    for a, b in zip(_chiral_sums_real(med, w), _chiral_sums(med, w.astype(complex)), strict=True):
        assert a.shape == w.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _winding_number(f: np.ndarray) -> float:
    """Net number of turns of the closed curve f around 0."""
    ang = np.unwrap(np.angle(np.append(f, f[0])))
    return float((ang[-1] - ang[0]) / (2 * np.pi))


@pytest.mark.parametrize("assignment", ["chi_m", "chi_B"])
@pytest.mark.parametrize("line_shape", ["resonant", "lorentz"])
def test_mu_is_analytic_in_the_upper_half_plane(assignment: str, line_shape: str) -> None:
    """Argument principle on the UHP half-disc |z| < 5: mu has as many zeros as poles there
    (none of either): causal for both assignments while 8 pi b < w0 (chi_B, lorentz)."""
    m = MagneticResonanceMedium(
        eps_b=-1.0,
        b=0.03,
        w0=1.0,
        gamma=0.02,
        assignment=assignment,  # type: ignore[arg-type]
        line_shape=line_shape,  # type: ignore[arg-type]
    )
    x = np.linspace(-5, 5, 200001) + 1e-9j
    arc = 5 * np.exp(1j * np.linspace(0, np.pi, 20001))[1:-1]
    z = np.concatenate([x, arc])
    _, mu = magnetic_resonance_eps_mu(m, z)
    assert _winding_number(mu) == pytest.approx(0.0, abs=1e-6)
    assert _winding_number(1.0 / mu) == pytest.approx(0.0, abs=1e-6)
    # sanity of the method: mu - mu(z_p) for a point z_p in the UHP has a zero inside
    _, mu_p = magnetic_resonance_eps_mu(m, np.array([0.3 + 0.2j]))
    assert _winding_number(mu - mu_p[0]) == pytest.approx(1.0, abs=1e-6)


def test_chi_B_lorentz_resonance_with_static_mu_below_zero_is_refused() -> None:
    """8 pi b > w0: 1 - 4 pi chi_B(0) < 0, and w^2 + 2 i g w - (w0^2 - 8 pi b w0) = 0 has the root
    w = i (sqrt(8 pi b w0 - w0^2 + g^2) - g) in the upper half-plane."""
    b = 1.2 / (8 * np.pi)
    root = 1j * (np.sqrt(8 * np.pi * b - 1.0 + 0.02**2) - 0.02)
    assert root.imag > 0
    with pytest.raises(InvalidInput) as e:
        MagneticResonanceMedium(
            eps_b=1.0, b=b, w0=1.0, gamma=0.02, assignment="chi_B", line_shape="lorentz"
        )
    assert e.value.field == ("b",)
    # the same strength assigned to chi_m is causal
    MagneticResonanceMedium(
        eps_b=1.0, b=b, w0=1.0, gamma=0.02, assignment="chi_m", line_shape="lorentz"
    )


def test_positive_rotatory_power_turns_the_plane_clockwise_for_an_observer_facing_the_source() -> (
    None
):
    """Jones propagation: x-polarised light = (e_+ + e_-)/sqrt(2); after z the real field's plane
    is at angle theta from x towards y (counterclockwise seen from +z, i.e. by an observer facing
    the source). rho > 0 must mean theta = -rho z (dextrorotatory)."""
    med = ChiralMedium(
        eps_inf=1.5, omega=(1.0,), gamma=(0.0,), e1=(0.3,), mixed=(0.02,), m1=(0.01,)
    )
    w = np.array([0.4])
    r = chiral_response(med, w)
    z = 0.3 / abs(r.rotatory_power[0])  # a 0.3 rad turn
    e_p = np.array([1.0, 1.0j]) / np.sqrt(2)
    e_m = np.array([1.0, -1.0j]) / np.sqrt(2)
    field = (e_p * np.exp(1j * r.k_plus[0] * z) + e_m * np.exp(1j * r.k_minus[0] * z)) / np.sqrt(2)
    # linear polarisation: both components share one phase; the plane angle is atan(Ey / Ex)
    ratio = field[1] / field[0]
    assert abs(ratio.imag) < 1e-9
    theta = np.arctan(ratio.real)
    assert r.rotatory_power[0] > 0
    assert theta == pytest.approx(-r.rotatory_power[0] * z, rel=1e-9)


@pytest.mark.parametrize("assignment", ["chi_m", "chi_B"])
@pytest.mark.parametrize("line_shape", ["resonant", "lorentz"])
def test_analytic_d_eps_mu_matches_a_finite_difference(assignment: str, line_shape: str) -> None:
    m = MagneticResonanceMedium(
        eps_b=complex(-1.0, 0.01),
        b=B,
        w0=1.0,
        gamma=1e-4,
        assignment=cast(Assignment, assignment),
        line_shape=cast(LineShape, line_shape),
        background_omega=(0.7,),
        background_gamma=(0.01,),
        background_strength=(0.2,),
    )
    w = np.linspace(0.997, 1.003, 37)
    _, _, d = magnetic_resonance_eps_mu_derivative(m, w)
    h = 1e-8
    ep, mp = magnetic_resonance_eps_mu(m, w + h)
    em, mm = magnetic_resonance_eps_mu(m, w - h)
    np.testing.assert_allclose(d, (ep * mp - em * mm) / (2 * h), rtol=1e-5)


def test_absorption_coefficient_is_twice_im_k_of_the_achiral_index() -> None:
    """alpha = 2 w Im n (intensity, not amplitude), n^2 = eps / (1 - 4 pi chi_B) written out here
    (eqs 34-37); passive branch Im n > 0. Pins the factor 2 of alpha_+- (and so of the CD)."""
    med = chiral(mixed=0.0, gamma=0.05)
    r = chiral_response(med, W)
    d = 1.0 - W**2 - 2j * 0.05 * W
    n2 = (2.0 + 0.5 / d) / (1.0 - W**2 * 0.02 / d)
    n = np.sqrt(n2)
    n = np.where(n.imag < 0, -n, n)
    np.testing.assert_allclose(r.alpha_plus, 2.0 * W * n.imag, rtol=1e-10)
    np.testing.assert_allclose(r.alpha_minus, 2.0 * W * n.imag, rtol=1e-10)
    np.testing.assert_allclose(r.n_plus, n, rtol=1e-10)


def test_weak_chirality_circular_dichroism_is_alpha_left_minus_alpha_right() -> None:
    """First order in g with damping: k_s = k0 + s G / (2 a), G = g / D, a = 1/w^2 - m / D, so
    CD = alpha_+ - alpha_- = 2 Im(k_+ - k_-) = 2 Im(G / a); its sign follows the helicity
    labelling (+ = left circular) and its size the factor 2 of an intensity coefficient."""
    g, m, gam = 1e-6, 1e-3, 0.05
    med = ChiralMedium(eps_inf=1.5, omega=(1.0,), gamma=(gam,), e1=(0.3,), mixed=(g,), m1=(m,))
    w = np.array([0.5, 0.9, 0.97, 1.0, 1.03, 1.2])
    r = chiral_response(med, w)
    d = 1.0 - w**2 - 2j * gam * w
    big_g = g / d
    a = 1.0 / w**2 - m / d
    np.testing.assert_allclose(r.circular_dichroism, 2.0 * (big_g / a).imag, rtol=1e-4)
    np.testing.assert_allclose(r.rotatory_power, 0.5 * (big_g / a).real, rtol=1e-4)
    assert np.any(np.abs(r.circular_dichroism) > 1e-7)


def test_lossless_left_handed_band_of_the_single_susceptibility_has_backward_phase() -> None:
    """E1 line at 0.8 (eps < 0 on (0.8, 1.28)) and M1 line at 1 (mu = 1/(1 - 4 pi chi_B) < 0 on
    (1/sqrt(1.5), 1)): on their overlap eps mu > 0 with both negative, so without loss the roots
    are real and the forward wave is the one carrying energy along +z, Re(k / mu) > 0, i.e.
    k = -w sqrt(eps mu). The small-loss limit (Im k > 0) must pick the same root."""
    w = np.array([0.85, 0.9, 0.95])
    d1, d2 = 0.64 - w**2, 1.0 - w**2
    eps = 1.0 + 1.0 / d1
    mu = 1.0 / (1.0 - w**2 * 0.5 / d2)
    assert np.all(eps < 0) and np.all(mu < 0)
    for gam in (0.0, 1e-9):
        med = ChiralMedium(
            eps_inf=1.0, omega=(0.8, 1.0), gamma=(gam, gam), e1=(1.0, 0.0), mixed=(0.0, 0.0),
            m1=(0.0, 0.5),
        )  # fmt: skip
        kp, km = circular_wavenumbers(med, w)
        np.testing.assert_allclose(kp, -w * np.sqrt(eps * mu), rtol=1e-6)
        np.testing.assert_allclose(km, kp, rtol=1e-12)


# ------------------------------------------------------------------ reports and their checks


def _fig2_grid() -> np.ndarray:
    return np.linspace(0.998, 1.002, 2001)


@pytest.mark.parametrize(
    ("assignment", "edges", "w0_at"),
    [("chi_m", (1.0, 1.001), "lower edge"), ("chi_B", (0.999, 1.0), "upper edge")],
)
def test_magnetic_report_of_the_cho_figures_holds_its_statements(
    assignment: str, edges: tuple[float, float], w0_at: str
) -> None:
    rep = magnetic_resonance_report(cho_figure_medium(cast(Assignment, assignment)), _fig2_grid())
    ch = rep.checks
    assert next(iter(rep.arrays)) == "frequencies"
    assert ch["left_handed_window"].verdict is True
    assert ch["left_handed_window"].details["edges"] == pytest.approx(list(edges), abs=1e-12)
    assert ch["left_handed_window"].details["w0_at"] == w0_at
    # passive although Im(eps mu) = -Im mu < 0 everywhere (eps = -1): the left-handed wave decays
    assert ch["passive"].verdict is True
    eps_mu = rep.arrays["epsilon"].values * rep.arrays["mu"].values
    assert np.all(eps_mu.imag < 0)
    assert ch["assignment_shift"].verdict is True
    assert ch["reality_condition"].verdict is False  # the resonant form of eqs 44-45
    # the paper's one-sided form: the failure says why and what to use instead
    assert ch["reality_condition"].warning is not None
    assert "lorentz" in ch["reality_condition"].warning
    assert rep.warnings == (ch["reality_condition"].warning,)
    dip = ch["reflectance_dip"].details
    assert dip["min_reflectance"] < 1e-5
    assert dip["at_frequency"] == pytest.approx(0.5 * sum(edges), abs=2e-6)


def test_lorentz_line_shape_satisfies_the_reality_condition_and_skips_the_shift_identity() -> None:
    med = MagneticResonanceMedium(
        eps_b=-1.0, b=gaussian_strength(1e-3), w0=1.0, gamma=1e-5, assignment="chi_m",
        line_shape="lorentz",
    )  # fmt: skip
    rep = magnetic_resonance_report(med, _fig2_grid())
    assert rep.checks["reality_condition"].verdict is True
    assert rep.checks["reality_condition"].value is not None
    assert rep.checks["reality_condition"].value <= 1e-12
    assert rep.checks["assignment_shift"].verdict is None


def test_left_handed_window_check_fails_with_a_positive_background() -> None:
    med = MagneticResonanceMedium(
        eps_b=1.0, b=gaussian_strength(1e-3), w0=1.0, gamma=1e-6, assignment="chi_m"
    )
    rep = magnetic_resonance_report(med, _fig2_grid())
    assert rep.checks["left_handed_window"].verdict is False
    assert any("no left-handed window" in w for w in rep.warnings)


def test_passivity_fails_for_gain_and_passes_for_an_absorbing_left_handed_medium() -> None:
    w = np.linspace(0.5, 1.5, 11)
    one = np.ones_like(w, dtype=np.complex128)
    gain = magnetic_passivity_check(w, (1.0 - 0.01j) * one, one)
    assert gain.verdict is False and gain.warning is not None
    assert gain.value == pytest.approx(-0.01, rel=1e-6)  # 2 Re n Im n = Im(eps mu)
    lh = magnetic_passivity_check(w, -1.0 * one, (-1.0 + 0.01j) * one)
    assert lh.verdict is True  # Im(eps mu) = -0.01 < 0, yet the wave n = -1 + 0.005i decays
    lh_gain = magnetic_passivity_check(w, -1.0 * one, (-1.0 - 0.01j) * one)
    assert lh_gain.verdict is False
    assert lh_gain.details["min_im_mu"] == pytest.approx(-0.01)


def test_assignment_shift_check_fails_for_a_mu_that_is_not_the_shifted_one() -> None:
    med_b = cho_figure_medium("chi_B")
    med_m = cho_figure_medium("chi_m")
    w = np.linspace(0.9985, 1.0005, 401)
    _, mu_b = magnetic_resonance_eps_mu(med_b, w)
    _, mu_m = magnetic_resonance_eps_mu(med_m, w)
    assert assignment_shift_check(med_b, w, mu_b).verdict is True
    wrong = assignment_shift_check(med_b, w, mu_m)  # the chi_m mu, not shifted
    assert wrong.verdict is False and wrong.value is not None and wrong.value > 1e-3


def test_mixing_bound_check_holds_at_the_bound_and_fails_above_it() -> None:
    at = mixing_bound_check([0.5], [0.02], [0.2])  # 2 sqrt(e m) = 0.2
    assert at.verdict is True and at.value == pytest.approx(1.0, rel=1e-12)
    over = mixing_bound_check([0.5, 1.0], [0.02, 0.0], [0.3, 0.0])
    assert over.verdict is False and over.value == pytest.approx(1.5, rel=1e-12)
    assert over.details["ratio"] == [pytest.approx(1.5), None]
    assert mixing_bound_check([1.0], [0.0], [0.1]).verdict is False  # g without e m


def test_circular_splitting_and_achiral_equivalence_fail_when_built_to() -> None:
    k = np.array([1.0 + 0.1j, 2.0 + 0.1j])
    assert circular_splitting_check(False, k, k).verdict is True
    assert circular_splitting_check(False, k, k + 1e-15).verdict is True  # rounding
    assert circular_splitting_check(False, k, k + 1e-7).verdict is False
    # a chiral medium splits by design: no verdict, the splitting is its optical activity
    assert circular_splitting_check(True, k, k + 0.1).verdict is None
    w = np.array([0.5, 0.7])
    med = ChiralMedium(
        eps_inf=2.0, omega=(1.0,), gamma=(0.01,), e1=(0.5,), mixed=(0.0,), m1=(0.02,)
    )
    r = chiral_response(med, w)
    assert achiral_equivalence_check(w, r.k_plus, r.eps, r.chi_b).verdict is True
    bad = achiral_equivalence_check(w, r.k_plus, r.eps * (1 + 1e-6), r.chi_b)
    assert bad.verdict is False and bad.value == pytest.approx(1e-6, rel=1e-3)


def test_chiral_passivity_check_fails_when_a_circular_wave_grows() -> None:
    w = np.array([1.0, 2.0])
    n_ok = np.array([1.5 + 0.01j, 1.5 + 0.02j])
    ok = chiral_passivity_check(w, n_ok, n_ok)
    assert ok.verdict is True
    assert ok.details["min_alpha"] == pytest.approx(0.02, rel=1e-12)  # 2 w Im n at w = 1
    bad = chiral_passivity_check(w, n_ok, np.array([1.5 + 0.01j, 1.5 - 0.001j]))
    assert bad.verdict is False and bad.details["min_alpha"] == pytest.approx(-0.004, rel=1e-12)


def test_single_susceptibility_report_carries_every_statement() -> None:
    med = ChiralMedium(
        eps_inf=2.0, omega=(1.0,), gamma=(0.01,), e1=(0.5,), mixed=(0.1,), m1=(0.02,)
    )
    w = np.linspace(0.05, 2.0, 201)
    rep = single_susceptibility_report(med, w, dbf=True)
    ch = rep.checks
    assert set(ch) == {
        "mixing_bound",
        "circular_splitting",
        "passive",
        "low_frequency_rotation",
        "single_poles",
        "dbf",
    }
    assert ch["mixing_bound"].verdict is True
    assert ch["mixing_bound"].value == pytest.approx(0.5, rel=1e-12)
    assert ch["circular_splitting"].verdict is None and (ch["circular_splitting"].value or 0) > 0
    assert ch["passive"].verdict is True
    assert ch["low_frequency_rotation"].details["coefficient"] == pytest.approx(0.05, rel=1e-12)
    assert ch["dbf"].details["double_poles"] == [1.0]
    # Biot-matched beta = sum(g / w_j^2) / (2 eps(0)), eps(0) = 2 + 0.5
    assert ch["dbf"].details["beta"] == pytest.approx(0.1 / 5.0, rel=1e-12)
    assert list(rep.arrays)[-1] == "dbf_rotatory_power"
    achiral = ChiralMedium(
        eps_inf=2.0, omega=(1.0,), gamma=(0.01,), e1=(0.5,), mixed=(0.0,), m1=(0.02,)
    )
    rep0 = single_susceptibility_report(achiral, w)
    assert rep0.checks["achiral_equivalence"].verdict is True
    assert rep0.checks["circular_splitting"].value == 0.0
    assert rep0.checks["circular_splitting"].verdict is True
    assert "dbf" not in rep0.checks
