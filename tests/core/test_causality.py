"""Physics tests of core/causality.py: Kramers-Kronig (eqs 4-6), static limits (eqs 7, 10), sum
rules (TRK, eq 26), passivity (eq 25).

References are closed forms written out here with numpy complex arithmetic (Lorentz, Drude
conductivity), scipy's Cauchy-weight quadrature (QUADPACK QAWC, an independent principal-value
integrator), and the oscillator model's closed-form static limits.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.typing import ArrayLike
from scipy.integrate import quad
from scipy.optimize import brentq

from core import causality as ca
from core.errors import InvalidInput, LimitExceeded
from core.oscillators import OscillatorMedium, evaluate


def lorentz(w: np.ndarray, w0: float, gamma: float, strength: float) -> np.ndarray:
    """strength / (w0^2 - w^2 - 2 i w gamma): causal (poles at Im w < 0), f_inf = 0."""
    return strength / (w0**2 - w**2 - 2j * w * gamma)


def lorentz_sum(w: np.ndarray) -> np.ndarray:
    """A Drude-Lorentz-type insulator: an overdamped near-Drude line plus two sharp lines."""
    return lorentz(w, 0.3, 0.5, 0.8) + lorentz(w, 1.0, 0.05, 1.0) + lorentz(w, 2.5, 0.1, 3.0)


def drude_conductivity(w: np.ndarray, wp: float = 1.0, g: float = 0.2) -> np.ndarray:
    """sigma(w) = wp^2 / (g - i w) (units eps0 = 1): causal, Im sigma ~ wp^2 / w (slow tail)."""
    return wp**2 / (g - 1j * w)


def drude_lorentz_conductivity(w: np.ndarray) -> np.ndarray:
    """sigma = -i w (eps - 1) of eps = 1 - 1/(w^2 + 0.3 i w) + two Lorentz lines (eps0 = 1).

    The Drude-Lorentz sum in its conductivity form: regular at w = 0 (eps itself has the
    1/w pole of the DC conductivity, outside a plain KK pair), f_inf = 0, Im sigma ~ 4/w.
    """
    drude = 1.0 / (0.3 - 1j * w)
    lor = -1j * w * (lorentz(w, 1.0, 0.05, 1.0) + lorentz(w, 2.5, 0.2, 2.0))
    return drude + lor


def interior(w: np.ndarray, frac: float = 0.9) -> np.ndarray:
    return w <= frac * w[-1]


def fig2a(dia3: float = 9.0) -> OscillatorMedium:
    """Westerberg & Barnett Fig. 2a (units of w_p); dia3 != 9 violates eq 26."""
    return OscillatorMedium(
        omega=np.array([1.0, 2.0, 3.0]),
        gamma=np.array([0.18, 0.05, 0.04]),
        e_dip=np.array([2.0, 0.0, 0.0]),
        m_dip=np.array([0.0, 1.0 / 16.0, 0.0]),
        quad=np.array([0.0, 0.0, 1.0 / 64.0]),
        dip_oct=np.array([65.0 / 64.0, 0.0, 0.0]),
        dia=np.array([0.0, 0.0, dia3]),
    )


# --------------------------------------------------------------------------------------------
# Exactness of the principal-value evaluators
# --------------------------------------------------------------------------------------------


def test_piecewise_linear_data_is_transformed_exactly_against_cauchy_quadrature() -> None:
    # A hat function sampled on a coarse, irregular grid that contains its kinks is its own
    # piecewise-linear interpolant, so the transform must match an independent PV quadrature.
    nodes = np.array([0.0, 0.3, 0.7, 1.0, 1.15, 1.6, 2.2, 2.5, 3.1, 4.0])
    hat = np.interp(nodes, [0.0, 1.0, 1.6, 2.5, 4.0], [0.0, 0.0, 1.0, -0.5, 0.0])

    def y(u: float) -> float:
        return float(np.interp(u, [0.0, 1.0, 1.6, 2.5, 4.0], [0.0, 0.0, 1.0, -0.5, 0.0]))

    kinks = [0.0, 1.0, 1.6, 2.5, 4.0]
    res = ca.re_from_im(nodes, hat, tail="none", method="direct", error_estimate=False)
    for i in (1, 2, 4, 6, 8):  # nodes between kinks
        x = float(nodes[i])
        pv = 0.0
        for lo, hi in itertools.pairwise(kinks):
            if lo < x < hi:
                pv += quad(y, lo, hi, weight="cauchy", wvar=x, epsabs=1e-13)[0]
            else:
                pv += quad(lambda u, x=x: y(u) / (u - x), lo, hi, epsabs=1e-13)[0]
        other = quad(lambda u, x=x: y(u) / (u + x), 0.0, 4.0, points=kinks[1:-1], epsabs=1e-13)[0]
        assert res.values[i] == pytest.approx((pv + other) / np.pi, abs=1e-11)


@pytest.mark.parametrize("direction", ["re_from_im", "im_from_re"])
def test_fft_tree_and_direct_evaluators_agree_to_rounding(direction: ca.Direction) -> None:
    w = np.linspace(0.0, 8.0, 1501)
    f = lorentz_sum(w)
    data = f.imag if direction == "re_from_im" else f.real
    out = {
        m: ca.kramers_kronig(w, data, direction=direction, method=m, error_estimate=False).values
        for m in ("fft", "tree", "direct")
    }
    assert np.max(np.abs(out["fft"] - out["direct"])) < 1e-10
    assert np.max(np.abs(out["tree"] - out["direct"])) < 1e-9


def test_fft_path_handles_a_uniform_grid_that_does_not_start_at_zero() -> None:
    w = np.linspace(0.37, 9.0, 2001)
    f = lorentz(w, 1.3, 0.07, 2.0)
    a = ca.re_from_im(w, f.imag, method="fft", error_estimate=False).values
    b = ca.re_from_im(w, f.imag, method="direct", error_estimate=False).values
    assert np.max(np.abs(a - b)) < 1e-10


# --------------------------------------------------------------------------------------------
# Closed-form KK pairs (acceptance: < 1e-4 relative in the interior with 20 000 points)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grid", ["uniform", "log"])
@pytest.mark.parametrize("model", ["lorentz", "lorentz_sum"])
def test_kk_reproduces_closed_form_pairs_both_directions(grid: str, model: str) -> None:
    n = 20_000
    w = np.linspace(0.0, 12.0, n) if grid == "uniform" else np.geomspace(1e-4, 12.0, n)
    f = lorentz(w, 1.0, 0.1, 1.0) if model == "lorentz" else lorentz_sum(w)
    scale = np.abs(f).max()
    inner = interior(w)
    re = ca.re_from_im(w, f.imag, error_estimate=False)
    im = ca.im_from_re(w, f.real, error_estimate=False)
    assert re.method == ("fft" if grid == "uniform" else "tree")
    assert np.max(np.abs(re.values - f.real)[inner]) / scale < 1e-4
    assert np.max(np.abs(im.values - f.imag)[inner]) / scale < 1e-4


@pytest.mark.parametrize("grid", ["uniform", "log"])
def test_kk_reproduces_the_drude_lorentz_conductivity_both_directions(grid: str) -> None:
    n = 20_000
    w = np.linspace(0.0, 12.0, n) if grid == "uniform" else np.geomspace(1e-4, 12.0, n)
    s = drude_lorentz_conductivity(w)
    scale = np.abs(s).max()
    inner = interior(w)
    re = ca.re_from_im(w, s.imag, error_estimate=False)
    im = ca.im_from_re(w, s.real, error_estimate=False)
    assert np.max(np.abs(re.values - s.real)[inner]) / scale < 1e-4
    assert np.max(np.abs(im.values - s.imag)[inner]) / scale < 1e-4
    # The slow tail is carried by the fit: Im sigma -> (1 + 1 + 2) / w.
    assert re.tail.coeffs[0] * w[-1] == pytest.approx(4.0, rel=1e-2)


def test_error_converges_at_second_order_with_grid_refinement() -> None:
    errs = []
    for n in (2001, 4001, 8001):
        w = np.linspace(0.0, 10.0, n)
        f = lorentz(w, 1.0, 0.05, 1.0)
        r = ca.re_from_im(w, f.imag, error_estimate=False)
        errs.append(np.max(np.abs(r.values - f.real)[interior(w)]))
    assert errs[0] / errs[1] == pytest.approx(4.0, rel=0.2)
    assert errs[1] / errs[2] == pytest.approx(4.0, rel=0.2)


def test_discretisation_estimate_tracks_the_actual_interpolation_error() -> None:
    w = np.linspace(0.0, 10.0, 6001)
    f = lorentz(w, 1.0, 0.05, 1.0)
    r = ca.re_from_im(w, f.imag)
    actual = np.max(np.abs(r.values - f.real)[interior(w)])
    est = np.max(r.discretisation_estimate[interior(w)])
    # Deliberately conservative (issue 11): the full grid-halving change (about 3x the fine-grid
    # error on a uniform grid) times DISCRETISATION_SAFETY = 2, so it covers the error with room
    # but stays within an order of magnitude of it.
    assert actual < est < 10.0 * actual


def test_high_frequency_value_shifts_the_real_part_only() -> None:
    w = np.linspace(0.0, 10.0, 8001)
    eps = 1.0 + lorentz(w, 1.0, 0.1, 2.0)
    scale = np.abs(eps - 1.0).max()
    r = ca.re_from_im(w, eps.imag, high_frequency_value=1.0, error_estimate=False)
    assert np.max(np.abs(r.values - eps.real)[interior(w)]) < 1e-4 * scale
    i = ca.im_from_re(w, eps.real, high_frequency_value=1.0, error_estimate=False)
    assert np.max(np.abs(i.values - eps.imag)[interior(w)]) < 1e-4 * scale
    assert i.values[0] == 0.0  # Im f(0) = 0 by the reality condition


# --------------------------------------------------------------------------------------------
# Tail beyond w_max
# --------------------------------------------------------------------------------------------


def test_tail_fit_recovers_the_one_over_w_decay_of_a_drude_conductivity() -> None:
    wp, g = 1.3, 0.2
    w = np.linspace(0.0, 4.0, 8001)  # stops at 20 g: the tail holds a large share
    s = drude_conductivity(w, wp, g)
    r = ca.re_from_im(w, s.imag)
    c1 = r.tail.coeffs[0] * w[-1] ** r.tail.powers[0]  # Im sigma -> wp^2 / w
    assert r.tail.powers[0] == 1
    assert c1 == pytest.approx(wp**2, rel=1e-3)
    err = np.abs(r.values - s.real)[:-1]
    assert np.max(err) < 1e-3 * np.abs(s).max()
    # Reported honestly: the tail is most of Re sigma at the top of the range.
    assert np.abs(r.tail_part[-2]) > 0.5 * abs(s.real[-2])
    assert np.all(err <= r.error_estimate[:-1])


def test_truncated_transform_error_is_covered_by_its_truncation_estimate() -> None:
    w = np.linspace(0.0, 3.0, 3001)
    s = drude_conductivity(w)
    r = ca.re_from_im(w, s.imag, tail="none")
    err = np.abs(r.values - s.real)[:-1]
    assert np.max(err) > 0.1  # the missing tail is large ...
    assert np.all(err <= r.error_estimate[:-1])  # ... and the estimate says so


def test_singly_subtracted_kk_is_independent_of_the_high_frequency_value() -> None:
    w = np.linspace(0.0, 2.0, 2001)  # truncated just above the line at 1.0
    f = 1.0 + lorentz(w, 1.0, 0.05, 1.0)
    wa = 0.4
    fa = float((1.0 + lorentz(np.array([wa]), 1.0, 0.05, 1.0)).real[0])
    r1 = ca.re_from_im(w, f.imag, anchor=(wa, fa), high_frequency_value=1.0, tail="none")
    r2 = ca.re_from_im(w, f.imag, anchor=(wa, fa), high_frequency_value=-7.0, tail="none")
    plain = ca.re_from_im(w, f.imag, high_frequency_value=1.0, tail="none")
    assert np.allclose(r1.values, r2.values, atol=1e-12)
    near = (w > 0.1) & (w < 0.9)
    assert np.max(np.abs(r1.values - f.real)[near]) < 0.2 * np.max(
        np.abs(plain.values - f.real)[near]
    )


def test_subtracted_im_from_re_with_anchor_matches_closed_form() -> None:
    w = np.linspace(0.0, 6.0, 6001)
    f = lorentz(w, 1.0, 0.1, 1.0)
    wa = 0.8
    fa = float(lorentz(np.array([wa]), 1.0, 0.1, 1.0).imag[0])
    r = ca.im_from_re(w, f.real, anchor=(wa, fa))
    assert np.max(np.abs(r.values - f.imag)[interior(w)]) < 1e-4


# --------------------------------------------------------------------------------------------
# Static limit (eq 7 / eq 10) and sum rules
# --------------------------------------------------------------------------------------------


def test_static_limit_of_a_lorentz_line_is_strength_over_w0_squared() -> None:
    w = np.geomspace(1e-4, 50.0, 20_000)
    f = lorentz(w, 1.5, 0.1, 2.0)
    st = ca.static_limit_integral(w, f.imag)
    assert st.value == pytest.approx(2.0 / 1.5**2, rel=1e-5)
    assert st.negative == 0.0 and st.bands == ()


def test_static_limit_splits_positive_and_negative_absorption() -> None:
    # chi = 1/D(1) - 0.5/D(3): Im chi < 0 around w = 3, chi(0) = 1 - 0.5/9.
    w = np.geomspace(1e-4, 60.0, 20_000)
    f = lorentz(w, 1.0, 0.05, 1.0) - lorentz(w, 3.0, 0.05, 0.5)
    st = ca.static_limit_integral(w, f.imag)
    assert st.value == pytest.approx(1.0 - 0.5 / 9.0, rel=1e-5)
    assert st.positive + st.negative + st.tail == pytest.approx(st.value, abs=1e-14)
    band = [b for b in st.bands if b.lo < 3.0 < b.hi]
    assert len(band) == 1
    # Almost all of the negative part comes from the band around the negative line.
    assert band[0].contribution == pytest.approx(st.negative, rel=1e-3)

    def im_chi(x: float) -> float:
        xx = np.array([x])
        return float((lorentz(xx, 1.0, 0.05, 1.0) - lorentz(xx, 3.0, 0.05, 0.5)).imag[0])

    # Independent reference: band edges by root finding, the band integral by adaptive quadrature.
    lo = brentq(im_chi, 1.5, 2.9)
    hi = brentq(im_chi, 3.1, 50.0)
    ref = (2 / np.pi) * quad(lambda x: im_chi(x) / x, lo, hi, points=[3.0], limit=200)[0]
    assert band[0].lo == pytest.approx(lo, rel=1e-4) and band[0].hi == pytest.approx(hi, rel=1e-4)
    assert band[0].contribution == pytest.approx(ref, rel=1e-4)


def test_f_sum_rule_of_lorentz_lines_is_pi_over_two_times_total_strength() -> None:
    w = np.linspace(0.0, 40.0, 40_001)
    eps = 1.0 + lorentz_sum(w)
    total = 0.8 + 1.0 + 3.0  # sum of Delta = w_p^2
    fs = ca.f_sum_rule(w, eps.imag, plasma_frequency=np.sqrt(total))
    assert fs.expected == pytest.approx(0.5 * np.pi * total)
    assert fs.expected is not None and fs.residual is not None
    assert fs.value == pytest.approx(fs.expected, rel=1e-4)
    assert abs(fs.residual) <= fs.error_estimate + 1e-4 * fs.expected
    assert fs.extra["effective_plasma_frequency"] == pytest.approx(np.sqrt(total), rel=1e-4)
    assert fs.note == ""


def test_f_sum_rule_flags_a_spectrum_that_decays_like_one_over_w() -> None:
    w = np.linspace(0.0, 5.0, 2001)
    fs = ca.f_sum_rule(w, drude_conductivity(w).imag)
    assert "1/w" in fs.note


# --------------------------------------------------------------------------------------------
# Westerberg-Barnett Fig. 2a (eqs 20-26)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fig2a_report() -> ca.OscillatorCausality:
    return ca.oscillator_causality(fig2a(), np.linspace(0.01, 6.0, 400))


def test_fig2a_kk_from_im_chi_reproduces_re_chi(fig2a_report: ca.OscillatorCausality) -> None:
    chk = fig2a_report.checks["chi"]
    assert chk.max_error / chk.scale < 1e-3
    assert chk.consistent
    for name in ("epsilon", "mu"):
        assert fig2a_report.checks[name].max_error / fig2a_report.checks[name].scale < 1e-3


def test_fig2a_static_integral_reproduces_diamagnetic_chi0(
    fig2a_report: ca.OscillatorCausality,
) -> None:
    chi0 = 1.0 / 64.0 - 1.0  # eq 22/23: sum (m_dip - dia) / w_eg^2 = (1/16)/4 - 9/9
    st = fig2a_report.checks["chi"].static_integral
    assert chi0 < 0
    assert st.value == pytest.approx(chi0, rel=1e-3)
    # The diamagnetism comes from where Im chi < 0: the band through the dip-oct line at w = 1.
    assert st.negative < chi0 < 0 < st.positive
    assert sum(b.contribution for b in st.bands) == pytest.approx(st.negative, rel=1e-12)
    main = [b for b in st.bands if b.lo < 1.0 < b.hi]
    assert len(main) == 1 and main[0].contribution < 0.8 * st.negative
    # eq 10 for mu: (2/pi) int Im mu / w = mu(0) - 1 with mu(0) = 1 / (1 + 1 - 1/64) (eq 22).
    mu0 = 1.0 / (2.0 - 1.0 / 64.0)
    assert fig2a_report.checks["mu"].static_integral.value == pytest.approx(mu0 - 1.0, rel=1e-3)


def test_fig2a_sum_rules(fig2a_report: ca.OscillatorCausality) -> None:
    rules = fig2a_report.sum_rules
    assert fig2a_report.eq26_holds
    assert rules["f_sum"].value == pytest.approx(np.pi, rel=1e-4)  # (pi/2) * Delta_edip = (pi/2) 2
    # Absorption alone knows Delta_mdip/w^2 + Delta_quad - Delta_dipoct = 1/64 + 1/64 - 65/64.
    assert rules["chi_absorption"].expected == pytest.approx(-63.0 / 64.0)
    # Slow 1/w tail of Im chi: 2 * (0.18 * (-65/64) + 0.04 * (1/64)).
    assert rules["chi_tail"].value == pytest.approx(2 * (-0.18 * 65 / 64 + 0.04 / 64), rel=1e-4)
    assert fig2a_report.reasons == ()


def test_fig2a_violating_eq26_shows_the_mismatch_and_says_why() -> None:
    rep = ca.oscillator_causality(fig2a(dia3=8.0), np.linspace(0.01, 6.0, 200))
    resid = 8.0 / 9.0 + 1.0 / 64.0 - 65.0 / 64.0  # eq 26 left side
    assert not rep.eq26_holds and rep.eq26_residual == pytest.approx(resid)
    chk = rep.checks["chi"]
    assert not chk.consistent
    # The reconstruction (chi_inf = 0) misses Re chi by the constant chi(inf) = -resid.
    assert np.median(chk.re_analytic - chk.re_kk) == pytest.approx(-resid, rel=1e-3)
    assert chk.static_integral.value == pytest.approx(chk.static_value + resid, rel=1e-3)
    assert chk.model_high_frequency_value == pytest.approx(-resid)
    assert rep.checks["epsilon"].consistent  # eps -> 1 regardless
    assert any("eq 26" in r for r in rep.reasons)


def test_fig2a_passivity_im_mu_negative_at_the_dip_oct_line_eps_mu_positive_there() -> None:
    w = np.linspace(0.5, 1.5, 1001)
    r = evaluate(fig2a(), w)
    rep = ca.passivity_report(w, r.epsilon, r.mu)
    assert rep.reports["epsilon"].min_imag >= 0
    assert any(lo < 1.0 < hi for lo, hi in rep.reports["mu"].negative_intervals)
    # eq 25: Im(eps/mu*) ~ (Delta_edip - Delta_dipoct w^2) / (2 w gamma) > 0 at w = 1.
    assert rep.reports["eps_mu"].negative_intervals == ()
    # Im mu < 0 while Im(eps mu) > 0: passive by the one statement (Westerberg & Barnett IV.A)
    assert ca.passivity_check(w, eps=r.epsilon, mu=r.mu).verdict is True


def test_fig2a_im_eps_mu_turns_negative_at_high_frequency_from_the_slow_chi_tail() -> None:
    # Finding: at large w, Im(eps mu) ~ Im chi ~ 2 sum gamma (Delta_quad - Delta_dipoct) / w < 0
    # while Im eps ~ 4 gamma_1 / w^3, so eq 21 with the Fig. 2a numbers is not passive far above
    # its lines (eq 25 only examines w = w_eg).
    w = np.array([1e3])
    r = evaluate(fig2a(), w)
    im_eps_mu = float((r.epsilon * r.mu).imag[0])
    assert im_eps_mu == pytest.approx(2 * (-0.18 * 65 / 64 + 0.04 / 64) / 1e3, rel=1e-2)
    assert ca.passivity_check(w, eps=r.epsilon, mu=r.mu).verdict is False


# --------------------------------------------------------------------------------------------
# Consistency verdicts on data
# --------------------------------------------------------------------------------------------


def test_consistent_data_passes_and_acausal_data_fails() -> None:
    w = np.linspace(0.0, 20.0, 8001)
    eps = 1.0 + lorentz_sum(w)
    ok = ca.kk_consistency(w, eps.real, eps.imag, high_frequency_value=1.0)
    assert ok.consistent
    # exp(+i w t) response (poles in the upper half-plane): Im flips sign, KK fails.
    bad = ca.kk_consistency(w, eps.real, -eps.imag, high_frequency_value=1.0)
    assert not bad.consistent
    # A constant offset in Re eps (wrong eps_inf) fails too.
    off = ca.kk_consistency(w, eps.real + 0.05, eps.imag, high_frequency_value=1.0)
    assert not off.real.consistent


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("w", "y", "match", "path"),
    [
        ([0, 1, 2, 2, 3, 4, 5, 6, 7], np.zeros(9), "duplicate", ("frequencies", 3)),
        ([0, 1, 3, 2, 4, 5, 6, 7, 8], np.zeros(9), "not sorted", ("frequencies", 3)),
        (np.arange(9.0), np.zeros(8), "8 values", ("values",)),
        (np.arange(4.0), np.zeros(4), "too few", ("frequencies",)),
        (np.arange(9.0), [0, 1, np.nan, 0, 0, 0, 0, 0, 0], "not finite", ("values", 2)),
        (np.arange(9.0) - 1, np.zeros(9), ">= 0", ("frequencies", 0)),
        (np.arange(9.0), np.ones(9), "Im f\\(0\\)", ("values", 0)),
    ],
)
def test_bad_input_is_rejected_naming_the_problem(
    w: ArrayLike, y: ArrayLike, match: str, path: tuple[str | int, ...]
) -> None:
    with pytest.raises(InvalidInput, match=match) as exc:
        ca.re_from_im(w, y)
    assert exc.value.field == path


def test_point_limit_is_named() -> None:
    with pytest.raises(LimitExceeded) as exc:
        ca.re_from_im(np.arange(100.0), np.zeros(100), max_points=50)
    assert exc.value.limit_name == "max_kk_points"


def test_undamped_line_cannot_be_checked() -> None:
    m = OscillatorMedium.from_transitions([{"omega": 1.0, "gamma": 0.0, "e_dip": 1.0}])
    with pytest.raises(InvalidInput, match="linewidth") as exc:
        ca.oscillator_causality(m, np.linspace(0.1, 2, 10))
    assert exc.value.field == ("transitions", 0, "gamma")


def test_negative_intervals_refines_edges_with_the_function() -> None:
    w = np.linspace(0.0, 3.0, 31)
    ints = ca.negative_intervals(w, np.sin(np.pi * w), lambda x: float(np.sin(np.pi * x)))
    assert ints[0][0] == pytest.approx(1.0, abs=1e-12) and ints[0][1] == pytest.approx(
        2.0, abs=1e-12
    )


@pytest.mark.parametrize("w", [0.0, 0.1, 0.7, 0.76, 1.5, 2.9])
def test_tail_integrals_match_quadrature(w: float) -> None:
    # G_m(w) = int_W^inf w'^(-2m) / (w'^2 - w^2) dw', the closed forms behind the tail model.
    big_w = 3.0
    g = ca._g_integrals(np.array([w]), big_w, 2)[:, 0]
    for m in range(3):
        ref = quad(lambda u, m=m: u ** (-2 * m) / (u * u - w * w), big_w, np.inf, epsrel=1e-13)[0]
        assert g[m] == pytest.approx(ref, rel=1e-11)


def test_static_limit_tail_carries_the_slow_one_over_w_decay_of_a_drude_conductivity() -> None:
    # sigma = wp^2 / (g - i w): sigma(0) - sigma(inf) = wp^2 / g (eq 7), and the part beyond W is
    # (2/pi) int_W^inf wp^2 / (g^2 + w^2) dw = (2/pi) (wp^2 / g) atan(g / W), about 3 % of the
    # total here. Every other static-limit test has a tail far below its tolerance, so this is
    # the one that pins the tail formula (2/pi) (c1 + c3 / 3) of the 1/w + 1/w^3 model.
    wp, g = 1.3, 0.2
    w = np.linspace(0.0, 4.0, 8001)
    s = drude_conductivity(w, wp, g)
    exact_tail = (2 / np.pi) * (wp**2 / g) * np.arctan(g / w[-1])
    assert exact_tail > 0.02 * wp**2 / g
    st = ca.static_limit_integral(w, s.imag)
    assert st.tail == pytest.approx(exact_tail, rel=1e-4)
    assert st.value == pytest.approx(wp**2 / g, rel=1e-5)
    assert abs(st.value - wp**2 / g) <= st.error_estimate
    # Truncated on purpose: the missing tail is reported as uncertainty, not hidden.
    cut = ca.static_limit_integral(w, s.imag, tail="none")
    assert cut.tail == 0.0
    assert cut.value == pytest.approx(wp**2 / g - exact_tail, rel=1e-5)
    assert abs(cut.value - wp**2 / g) <= cut.error_estimate


# --------------------------------------------------------------------------------------------
# The typed reports (core.causality.report): each check holds on an analytic case and fails
# on a case built to break it
# --------------------------------------------------------------------------------------------


def eps_lorentz(w: np.ndarray) -> np.ndarray:
    """eps = 1 + 2 / (2.25 - w^2 - 0.2 i w): causal, passive, eps(0) = 1 + 2/2.25."""
    return 1.0 + lorentz(w, 1.5, 0.1, 2.0)


def test_kk_report_passes_a_causal_passive_pair_and_judges_its_static_limit() -> None:
    w = np.linspace(0.0, 10.0, 2001)
    e = eps_lorentz(w)
    rep = ca.kramers_kronig_report(w, e.real, e.imag, quantity="epsilon")
    assert list(rep.arrays)[:3] == ["frequencies", "real", "imag"]
    assert rep.arrays["real_kk"].axis == "frequencies"
    c = rep.checks
    assert c["kramers_kronig"].verdict is True and c["kramers_kronig"].kind == "indicative"
    assert c["kramers_kronig"].value is not None and c["kramers_kronig"].value < 1e-3 * 6.67
    assert c["static_limit"].verdict is True
    assert c["static_limit"].details["implied_static_value"] == pytest.approx(
        1 + 2 / 2.25, rel=1e-4
    )
    assert c["passive"].verdict is True and c["passive"].details["negative_imag_intervals"] == []
    assert c["f_sum"].verdict is None and c["f_sum"].kind == "value"
    # (pi/2) w_p^2 with w_p^2 = 2 (the Lorentz strength)
    assert c["f_sum"].value == pytest.approx(np.pi, rel=1e-2)
    # Both parts on [0, 10]: Im eps reconstructed from Re eps leans on the tail beyond w = 10.
    assert c["kk_tail"].verdict is False
    assert any("tail beyond the last frequency" in m for m in rep.warnings)


def test_kk_report_fails_an_offset_real_part_and_a_time_reversed_pair() -> None:
    w = np.linspace(0.0, 10.0, 2001)
    e = eps_lorentz(w)
    off = ca.kramers_kronig_report(w, e.real + 0.05, e.imag, quantity="epsilon")
    chk = off.checks["kramers_kronig"]
    assert chk.verdict is False and chk.details["real"]["verdict"] is False
    assert chk.details["real"]["max_discrepancy"] == pytest.approx(0.05, rel=0.05)
    assert off.checks["static_limit"].verdict is False  # Re eps(0) no longer 1 + integral
    assert any("high-frequency value" in m for m in off.warnings)
    gain = ca.kramers_kronig_report(w, e.real, -e.imag, quantity="epsilon")
    assert gain.checks["kramers_kronig"].verdict is False
    assert gain.checks["passive"].verdict is False
    assert gain.checks["passive"].warning in gain.warnings


def test_kk_report_one_part_gives_no_consistency_verdict_and_chi_no_sign_verdict() -> None:
    w = np.linspace(0.0, 10.0, 2001)
    e = eps_lorentz(w)
    one = ca.kramers_kronig_report(w, imag=e.imag, quantity="epsilon")
    assert one.checks["kramers_kronig"].verdict is None
    assert one.checks["kk_tail"].verdict is True  # Im eps ~ 1/w^3: little tail in Re eps
    assert one.checks["static_limit"].verdict is None  # no Re eps(0) to compare with
    # chi: Im chi < 0 is allowed in a passive medium (a diamagnet needs it, eq 7)
    chi = ca.kramers_kronig_report(w, imag=-e.imag, quantity="chi")
    assert chi.checks["passive"].verdict is None
    assert chi.checks["passive"].details["negative_imag_intervals"]
    assert chi.checks["static_limit"].details["diamagnetic"] is True
    assert not chi.warnings


def test_oscillator_report_fig2a_holds_every_rule_and_finds_the_gain_band() -> None:
    rep = ca.oscillator_causality_report(fig2a(), np.linspace(0.0, 4.0, 201))
    c = rep.checks
    for name in ("chi", "epsilon", "mu", "f_sum", "chi_static_eq7", "mu_static_eq10"):
        assert c[name].verdict is True, name
    assert c["chi_absorption"].verdict is True and c["chi_tail"].verdict is True
    assert c["sum_rule_26"].verdict is True and c["sum_rule_26"].kind == "bound"
    assert c["chi_static_eq7"].value == pytest.approx(1.0 / 64.0 - 1.0, rel=1e-4)
    # Im(eps mu) < 0 between the lines (eq 21; eq 25 only examines w = w_eg): not passive
    pas = c["passive"]
    assert pas.verdict is False
    assert any(iv["start"] < 2.5 < iv["stop"] for iv in pas.details["non_passive_intervals"])
    assert pas.details["min_im_epsilon"] >= 0
    assert rep.warnings == (pas.warning,)
    assert rep.results["internal_points"] > 201
    assert list(rep.arrays)[:4] == ["frequencies", "chi_real", "chi_real_kk", "chi_imag"]


def test_oscillator_report_single_electric_dipole_line_is_passive() -> None:
    m = OscillatorMedium.from_transitions([{"omega": 1.0, "gamma": 0.1, "e_dip": 1.0}])
    rep = ca.oscillator_causality_report(m, np.linspace(0.0, 3.0, 61))
    assert rep.checks["passive"].verdict is True
    assert rep.checks["epsilon"].verdict is True
    assert rep.checks["f_sum"].value == pytest.approx(np.pi / 2, rel=1e-3)


def test_oscillator_report_eq26_violated_fails_the_rules_that_need_it_and_says_why() -> None:
    rep = ca.oscillator_causality_report(fig2a(dia3=8.0), np.linspace(0.0, 4.0, 201))
    c = rep.checks
    resid = 8.0 / 9.0 + 1.0 / 64.0 - 65.0 / 64.0
    assert c["sum_rule_26"].verdict is False and c["sum_rule_26"].value == pytest.approx(resid)
    assert c["chi"].verdict is False and c["mu"].verdict is False
    assert c["chi"].details["model_high_frequency_value"] == pytest.approx(-resid)
    assert c["chi_static_eq7"].verdict is False and c["mu_static_eq10"].verdict is False
    # causality alone (no Delta_dia) and eps are untouched by eq 26
    assert c["chi_absorption"].verdict is True and c["epsilon"].verdict is True
    assert any("eq 26" in m and "mu(inf)" in m for m in rep.warnings)
    assert set(rep.failed) == {
        "chi",
        "mu",
        "sum_rule_26",
        "chi_static_eq7",
        "mu_static_eq10",
        "passive",
    }
