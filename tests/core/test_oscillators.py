"""Physics of the multipole oscillator medium (Westerberg & Barnett 2025, eqs 20-26) and its report."""

from __future__ import annotations

import numpy as np
import pytest

from core import oscillators as osc
from core.causality import negative_intervals
from core.checks import Report
from core.errors import InvalidInput, PoleOnGrid
from core.oscillator_report import OutputGrid, Sampling, oscillator_report, passivity

FIG2A = [
    {"omega": 1.0, "gamma": 0.18, "e_dip": 2.0, "dip_oct": 65 / 64},
    {"omega": 2.0, "gamma": 0.05, "m_dip": 1 / 16},
    {"omega": 3.0, "gamma": 0.04, "quad": 1 / 64, "dia": 9.0},
]


@pytest.fixture
def fig2a() -> osc.OscillatorMedium:
    return osc.OscillatorMedium.from_transitions(FIG2A)


def random_medium(m: int, seed: int = 0) -> osc.OscillatorMedium:
    rng = np.random.default_rng(seed)
    return osc.OscillatorMedium(
        omega=rng.uniform(0.5, 5, m),
        gamma=rng.uniform(0.01, 0.3, m),
        e_dip=rng.uniform(0, 2, m),
        m_dip=rng.uniform(0, 0.1, m),
        quad=rng.uniform(0, 0.05, m),
        dip_oct=rng.uniform(0, 0.05, m),
        dia=rng.uniform(0, 1, m),
    )


# ---------------------------------------------------------------- hand-derived values (eq 21)


def test_eps_of_one_dipole_transition_matches_hand_value():
    # w_eg = 1, gamma = 0.1, Delta_edip = 2, at w = 0.5: D = 1 - 0.25 - 2i(0.5)(0.1) = 0.75 - 0.1i
    # 2/D = 2 (0.75 + 0.1i) / (0.5625 + 0.01) = (1.5 + 0.2i) / 0.5725
    m = osc.OscillatorMedium.from_transitions([{"omega": 1.0, "gamma": 0.1, "e_dip": 2.0}])
    r = osc.evaluate(m, [0.5])
    assert r.epsilon[0] == pytest.approx(1 + (1.5 + 0.2j) / 0.5725, rel=1e-14)
    assert r.inverse_mu[0] == 1.0 and r.chi[0] == 0.0


def test_inverse_mu_and_chi_of_each_magnetic_term_match_hand_values():
    # w = 2, w_eg = 1, gamma = 0.25: D = 1 - 4 - 2i(2)(0.25) = -3 - i, 1/D = (-3 + i)/10
    inv_d = (-3 + 1j) / 10
    cases = {
        "m_dip": (0.5, -0.5 * inv_d),
        "quad": (0.5, -0.5 * 4 * inv_d),
        "dip_oct": (0.5, +0.5 * 4 * inv_d),
        "dia": (0.5, 0.5 / 1.0),
    }
    for name, (strength, delta_inv_mu) in cases.items():
        m = osc.OscillatorMedium.from_transitions([{"omega": 1.0, "gamma": 0.25, name: strength}])
        r = osc.evaluate(m, [2.0])
        assert r.inverse_mu[0] == pytest.approx(1 + delta_inv_mu, rel=1e-14), name
        assert r.chi[0] == pytest.approx(-delta_inv_mu, rel=1e-14), name  # eq 23
        assert r.mu[0] == pytest.approx(1 / (1 + delta_inv_mu), rel=1e-14), name


def test_fig2a_values_at_resonance():
    # At w = 1 the first transition is resonant: D_1 = -0.36 i, 1/D_1 = i/0.36.
    m = osc.OscillatorMedium.from_transitions(FIG2A)
    r = osc.evaluate(m, [1.0])
    d2 = 4 - 1 - 2j * 0.05  # second transition at w = 1
    d3 = 9 - 1 - 2j * 0.04
    eps = 1 + 2 * 1j / 0.36
    inv_mu = 1 + 9 / 9 - (1 / 16) / d2 - (1 / 64) / d3 + (65 / 64) * 1j / 0.36
    assert r.epsilon[0] == pytest.approx(eps, rel=1e-14)
    assert r.inverse_mu[0] == pytest.approx(inv_mu, rel=1e-14)


# ---------------------------------------------------------------- limits and sum rule (22, 26)


def test_static_limit_equals_eq22(fig2a):
    r = osc.evaluate(fig2a, [0.0])
    expect_mu0 = 1 / (1 + (9 - 0) / 9 + (0 - 1 / 16) / 4)
    assert osc.static_limits(fig2a)["mu_static"] == pytest.approx(expect_mu0, rel=1e-15)
    assert r.mu[0] == pytest.approx(expect_mu0, rel=1e-14)
    assert osc.static_limits(fig2a)["eps_static"] == pytest.approx(1 + 2.0, rel=1e-15)


def test_fig2a_satisfies_sum_rule_and_is_diamagnetic(fig2a):
    residual, scale = osc.sum_rule_residual(fig2a)
    assert residual == 0.0 and scale > 1
    assert osc.static_limits(fig2a)["mu_static"] < 1
    assert osc.static_limits(fig2a)["chi_static"] < 0


@pytest.mark.parametrize("extra_dia", [0.0, 0.3])
def test_mu_tends_to_one_at_high_frequency_exactly_when_eq26_holds(extra_dia):
    t = [dict(x) for x in FIG2A]
    t[2]["dia"] += extra_dia
    m = osc.OscillatorMedium.from_transitions(t)
    residual, _ = osc.sum_rule_residual(m)
    assert residual == pytest.approx(extra_dia / 9, abs=1e-15)
    w = np.array([1e4, 1e6, 1e8])
    r = osc.evaluate(m, w)
    assert np.all(np.abs(r.epsilon - 1.0) < 3 / w**2)  # eps -> 1 always
    mu_inf = 1 / (1 + residual)
    # mu - mu_inf falls off like gamma/w (dip-oct tail) once the limit is right
    assert abs(r.mu[-1] - mu_inf) < 1e-7
    if extra_dia:
        assert abs(r.mu[-1] - 1) > 0.03
    else:
        assert abs(r.mu[-1] - 1) < 1e-7


# ---------------------------------------------------------------- causality (eq 23)


def test_poles_of_chi_and_eps_lie_in_lower_half_plane():
    m = random_medium(50)
    p = osc.poles(m)
    assert np.all(p.imag < 0)
    # and they are where the denominators vanish
    z = p.reshape(-1)
    w0 = np.repeat(m.omega, 2)
    g = np.repeat(m.gamma, 2)
    np.testing.assert_allclose(w0**2 - z**2 - 2j * z * g, 0, atol=1e-12)


def test_chi_is_analytic_in_upper_half_plane_contour_integral_vanishes(fig2a):
    # Cauchy: the integral of chi around a closed contour in Im w > 0 vanishes; around one that
    # encloses the lower-half-plane poles it does not.
    def contour(y0: float, y1: float, n: int = 4000) -> complex:
        xs = np.linspace(-10, 10, n)
        ys = np.linspace(y0, y1, n)
        total = 0
        for path in (xs + 1j * y0, 10 + 1j * ys, xs[::-1] + 1j * y1, -10 + 1j * ys[::-1]):
            _, chi = osc.evaluate_complex(fig2a, path)
            total += np.trapezoid(chi, path)
        return total

    assert abs(contour(0.01, 5.0)) < 1e-6
    assert abs(contour(-0.5, 5.0)) > 1e-2


def test_reality_condition_chi_of_minus_w_is_conjugate():
    m = random_medium(20, seed=3)
    w = np.linspace(0.1, 8, 200)
    eps_p, chi_p = osc.evaluate_complex(m, w)
    eps_m, chi_m = osc.evaluate_complex(m, -w)
    np.testing.assert_allclose(chi_m, np.conj(chi_p), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(eps_m, np.conj(eps_p), rtol=1e-13)


def test_real_axis_evaluation_matches_complex_continuation():
    m = random_medium(30, seed=5)
    w = np.linspace(0, 10, 301)
    r = osc.evaluate(m, w)
    eps, chi = osc.evaluate_complex(m, w.astype(complex))
    np.testing.assert_allclose(r.epsilon, eps, rtol=1e-12)
    np.testing.assert_allclose(r.chi, chi, rtol=1e-11, atol=1e-13)


# ---------------------------------------------------------------- Fig. 2a and passivity (eq 25)


def test_fig2a_im_mu_negative_where_dipole_octopole_resonance_dominates(fig2a):
    w = np.linspace(0.7, 1.3, 61)
    r = osc.evaluate(fig2a, w)
    assert np.all(r.mu.imag < 0)
    # while Im(eps mu) stays positive there, as eq 25 predicts at w_eg
    assert np.all((r.epsilon * r.mu).imag > 0)
    # eq 25 at w_eg = 1: Im(eps/mu*) ~ (Delta_edip Re(1/mu)_bg - Delta_dipoct w_eg^2 Re(eps)_bg)
    # / (2 w_eg gamma). The printed eq 25 takes both backgrounds as 1; here the instantaneous
    # diamagnetic term makes Re(1/mu)_bg = 1 + Delta_dia/w_3^2 = 2 (other terms ~1%).
    r1 = osc.evaluate(fig2a, [1.0])
    est = (2 * 2.0 - (65 / 64) * 1.0) / (2 * 0.18)
    assert (r1.epsilon / np.conj(r1.mu))[0].imag == pytest.approx(est, rel=0.03)


def test_fig2a_im_eps_mu_turns_negative_in_the_tail_with_the_predicted_slope(fig2a):
    # Not assumed positive: far above w_eg, Im mu ~ -(2/w) sum gamma (Delta_dipoct - Delta_quad)
    # outgrows Im eps ~ 2 gamma Delta_edip / w^3, so Im(eps mu) < 0 (docs/oscillator.md).
    w = np.array([1e3, 1e4])
    r = osc.evaluate(fig2a, w)
    slope = -2 * (0.18 * 65 / 64 - 0.04 * 1 / 64)
    np.testing.assert_allclose(w * (r.epsilon * r.mu).imag, slope, rtol=2e-3)
    # over [0, 50] the sign pattern is: positive below ~2.117, negative on (2.117, 2.925),
    # positive on (2.925, 3.091), negative above 3.091
    grid = np.linspace(0, 50, 50_001)
    rr = osc.evaluate(fig2a, grid)
    ivs = negative_intervals(grid, (rr.epsilon * rr.mu).imag)
    assert len(ivs) == 2
    assert ivs[0][0] == pytest.approx(2.1169, abs=2e-3) and ivs[0][1] == pytest.approx(
        2.9252, abs=2e-3
    )
    assert ivs[1][0] == pytest.approx(3.0906, abs=2e-3) and ivs[1][1] == 50.0


def test_violating_multipole_ordering_gives_gain_at_resonance():
    ok = osc.OscillatorMedium.from_transitions(
        [{"omega": 1.0, "gamma": 0.05, "e_dip": 1.0, "dip_oct": 0.5}]
    )
    bad = osc.OscillatorMedium.from_transitions(
        [{"omega": 1.0, "gamma": 0.05, "e_dip": 1.0, "dip_oct": 1.5}]
    )
    assert osc.multipole_ordering(ok).all() and not osc.multipole_ordering(bad).any()
    assert (osc.evaluate(ok, [1.0]).eps_mu.imag > 0).all()
    assert (osc.evaluate(bad, [1.0]).eps_mu.imag < 0).all()


# ---------------------------------------------------------------- numerics


def test_numba_and_numpy_paths_agree():
    m = random_medium(300, seed=1)
    w = np.linspace(0, 6, 5001)
    a = osc.evaluate(m, w, backend="numba")
    b = osc.evaluate(m, w, backend="numpy")
    np.testing.assert_allclose(a.epsilon, b.epsilon, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.inverse_mu, b.inverse_mu, rtol=1e-12, atol=1e-12)


def test_numpy_path_chunks_long_grids_without_changing_results(monkeypatch):
    m = random_medium(40, seed=2)
    w = np.linspace(0, 6, 3000)
    full = osc.evaluate(m, w, backend="numpy")
    monkeypatch.setattr(osc, "CHUNK_BYTES", 8 * 4 * 40 * 7)  # 7 frequencies per chunk
    chunked = osc.evaluate(m, w, backend="numpy")
    # Same sums, other chunk boundaries: BLAS/SIMD may reorder the reduction (1e-15 seen on Xeon).
    np.testing.assert_allclose(chunked.epsilon, full.epsilon, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(chunked.inverse_mu, full.inverse_mu, rtol=1e-13, atol=1e-13)


def test_change_of_frequency_unit_leaves_response_invariant():
    m = random_medium(10, seed=4)
    s = 2 * np.pi * 1e12
    w = np.linspace(0, 6, 101)
    a = osc.evaluate(m, w)
    b = osc.evaluate(m.scaled(s), w * s)
    np.testing.assert_allclose(b.epsilon, a.epsilon, rtol=1e-11)
    np.testing.assert_allclose(b.inverse_mu, a.inverse_mu, rtol=1e-11)


def test_negative_intervals_edges_are_refined_below_grid_spacing(fig2a):
    grid = np.linspace(0, 4, 41)  # spacing 0.1
    r = osc.evaluate(fig2a, grid)

    def f(x: float) -> float:
        return float(osc.evaluate(fig2a, [x]).mu.imag[0])

    ivs = negative_intervals(grid, r.mu.imag, f)
    inner = [e for iv in ivs for e in iv if 0 < e < 4]
    assert inner
    for e in inner:
        assert abs(f(e)) < 1e-12


def test_lossless_pole_on_grid_is_rejected():
    m = osc.OscillatorMedium.from_transitions([{"omega": 2.0, "gamma": 0.0, "e_dip": 1.0}])
    with pytest.raises(PoleOnGrid):
        osc.evaluate(m, [1.0, 2.0])
    osc.evaluate(m, [1.0, 2.0 + 1e-9])


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"omega": 0.0}, "omega"),
        ({"omega": 1.0, "gamma": -1.0}, "gamma"),
        ({"omega": np.nan}, "omega"),
    ],
)
def test_unphysical_transition_is_rejected_with_field(bad, field):
    with pytest.raises(InvalidInput) as e:
        osc.OscillatorMedium.from_transitions([{"omega": 1.0}, bad])
    assert e.value.field == ("transitions", 1, field)


# ---------------------------------------------------------------- the report (core.oscillator_report)


def _report(medium: osc.OscillatorMedium, w: np.ndarray, **kw: object) -> Report:
    grid = OutputGrid(points=w, unit="model", to_output=lambda x: np.asarray(x))
    return oscillator_report(medium, w, grid, **kw)  # type: ignore[arg-type]


def test_report_arrays_start_with_the_grid_and_vary_along_it(fig2a):
    w = np.linspace(0.0, 4.0, 81)
    rep = _report(fig2a, w)
    names = list(rep.arrays)
    assert names[0] == "frequencies" and rep.arrays["frequencies"].axis is None
    assert all(rep.arrays[n].axis == "frequencies" for n in names[1:])
    r = osc.evaluate(fig2a, w)
    np.testing.assert_allclose(rep.arrays["epsilon"].values, r.epsilon, rtol=1e-13)
    np.testing.assert_allclose(rep.arrays["chi"].values, 1 - r.inverse_mu, rtol=1e-13, atol=1e-15)
    assert rep.all_units["absorption_coefficient"] == "model frequency unit / c"
    assert rep.units["transitions"] == "model"


def test_report_of_fig2a_judges_each_statement_once(fig2a):
    rep = _report(fig2a, np.linspace(0.0, 4.0, 801))
    c = rep.checks
    assert set(c) == {
        "sum_rule_26",
        "static_limits",
        "diamagnetic",
        "passive",
        "negative_im_mu_intervals",
        "multipole_ordering",
    }
    assert c["sum_rule_26"].verdict is True and c["sum_rule_26"].value == 0.0
    assert c["diamagnetic"].verdict is True
    assert c["diamagnetic"].value == pytest.approx(1 / (1 + 9 / 9 - (1 / 16) / 4), rel=1e-14)
    st = c["static_limits"]
    assert st.verdict is None and st.details["eps_static"] == pytest.approx(3.0, rel=1e-14)
    assert c["multipole_ordering"].verdict is True
    assert c["multipole_ordering"].details["tail_crossover"][0] == pytest.approx(
        np.sqrt(2.0 / (65 / 64)), rel=1e-14
    )
    hf = c["sum_rule_26"].details["high_frequency"]
    assert hf["frequency"] == 4.0 and hf["epsilon_infinity"] == 1.0
    # Fig. 2a: the dipole-octopole tail outgrows the dipole tail above w ~ 2.1 (eq 25 holds, so
    # the note explains the gain, and the one passivity verdict is "no")
    p = c["passive"]
    assert p.verdict is False and p.kind == "indicative"
    assert [iv["sampled_on"] for iv in p.details["non_passive_intervals"]] == ["grid", "grid"]
    assert p.details["non_passive_intervals"][0]["start"] == pytest.approx(2.1169, abs=1e-3)
    assert p.warning is not None and p.warning in rep.warnings
    # the reason is the passive check's own warning, with the crossover frequency
    assert rep.notes == () and "tail crossover" in (rep.checks["passive"].warning or "")


def test_sum_rule_26_of_the_report_fails_when_the_diamagnetic_term_is_cut(fig2a):
    broken = osc.OscillatorMedium(**{**_fields(fig2a), "dia": fig2a.dia * 0.9})
    rep = _report(broken, np.linspace(0.1, 4.0, 50))
    sr = rep.checks["sum_rule_26"]
    assert sr.verdict is False and sr.value == pytest.approx(-0.1, rel=1e-12)  # 0.9 - 1
    assert sr.details["mu_infinity"] == pytest.approx(1 / 0.9, rel=1e-12)
    assert sr.warning in rep.warnings


def test_diamagnetic_fails_for_a_van_vleck_dominated_medium():
    para = osc.OscillatorMedium.from_transitions([{"omega": 1.0, "gamma": 0.1, "m_dip": 0.2}])
    rep = _report(para, np.linspace(0.1, 3.0, 30))
    d = rep.checks["diamagnetic"]
    assert d.verdict is False and d.value == pytest.approx(1 / 0.8, rel=1e-14)


def test_multipole_ordering_fails_and_warns_where_eq25_is_broken():
    bad = osc.OscillatorMedium.from_transitions(
        [{"omega": 2.0, "gamma": 0.1, "e_dip": 1.0, "dip_oct": 0.5}]  # 0.5 * 4 >= 1
    )
    rep = _report(bad, np.linspace(0.1, 4.0, 400))
    mo = rep.checks["multipole_ordering"]
    assert mo.verdict is False and mo.details["failing"] == [0] and mo.value == 1.0
    assert "eq 25 fails for transition(s) [0]" in (mo.warning or "")
    # the gain at w_eg shows in the passivity check too, and there the note is not added
    assert rep.checks["passive"].verdict is False
    assert not rep.notes


def test_a_single_lorentz_medium_is_passive_with_no_negative_im_mu():
    lor = osc.OscillatorMedium.from_transitions([{"omega": 1.0, "gamma": 0.1, "e_dip": 1.0}])
    rep = _report(lor, np.linspace(0.0, 3.0, 301))
    assert rep.checks["passive"].verdict is True
    assert rep.checks["negative_im_mu_intervals"].details["intervals"] == []
    assert not rep.warnings


def test_passivity_over_several_samplings_is_one_verdict(fig2a):
    inside = Sampling("grid", np.linspace(0.1, 2.0, 100), lambda x: np.asarray(x), "low")
    beyond = Sampling("scan", np.linspace(2.0, 4.0, 100), lambda x: np.asarray(x), "high")
    c = passivity(fig2a, [inside, beyond])
    assert c.verdict is False and c.details["at_sampling"] == "scan"
    assert c.details["samplings"]["grid"]["verdict"] is True
    assert c.details["samplings"]["scan"]["verdict"] is False
    assert {iv["sampled_on"] for iv in c.details["non_passive_intervals"]} == {"scan"}
    assert passivity(fig2a, [inside]).verdict is True


def test_report_in_wavelength_reports_intervals_in_nm_and_sorted(fig2a):
    # medium in eV, grid in nm: the interval edges come back in nm, each start <= stop
    from core.units import convert

    med = fig2a
    nm = np.linspace(300.0, 1500.0, 400)
    w = convert(nm, "nm", "eV")
    grid = OutputGrid(points=nm, unit="nm", to_output=lambda x: convert(x, "eV", "nm"))
    rep = oscillator_report(med, w, grid, medium_unit="eV")
    for iv in rep.checks["negative_im_mu_intervals"].details["intervals"]:
        assert iv["start"] <= iv["stop"] and 300.0 <= iv["start"] <= 1500.0
    assert rep.all_units["absorption_coefficient"] == "1/m"


def test_nonlocal_permittivity_needs_w_nonzero(fig2a):
    with pytest.raises(InvalidInput):
        _report(fig2a, np.linspace(0.0, 1.0, 5), k=0.5)
    rep = _report(fig2a, np.linspace(0.5, 1.0, 5), k=0.5)
    r = osc.evaluate(fig2a, np.linspace(0.5, 1.0, 5))
    w = np.linspace(0.5, 1.0, 5)
    np.testing.assert_allclose(
        rep.arrays["epsilon_nonlocal"].values,
        r.epsilon + (0.25 / w**2) * (1 - r.inverse_mu),
        rtol=1e-13,
    )


def _fields(m: osc.OscillatorMedium) -> dict[str, np.ndarray]:
    return {k: getattr(m, k) for k in ("omega", "gamma", *osc.STRENGTHS)}


def test_undamped_medium_is_judged_passive_by_eq25_at_its_poles():
    # gamma = 0: Im(eps mu) = 0 between the poles, so sampling alone could not fail; eq 25 decides
    ok = osc.OscillatorMedium.from_transitions([{"omega": 2.0, "e_dip": 1.0, "dip_oct": 0.1}])
    gain = osc.OscillatorMedium.from_transitions([{"omega": 2.0, "e_dip": 1.0, "dip_oct": 0.5}])
    w = np.linspace(0.1, 3.0, 61)  # off the pole at w = 2
    assert _report(ok, w).checks["passive"].verdict is True
    bad = _report(gain, w).checks["passive"]
    assert bad.verdict is False and "undamped" in bad.details["scope"]


def test_alpha_is_negative_exactly_where_fig2a_has_gain(fig2a: osc.OscillatorMedium) -> None:
    """Where the medium amplifies, n is the causal root (Skaar 2006): Im n < 0 and the absorption
    coefficient 2 w Im n / c is negative, so a user reading alpha sees the gain; where it is
    passive n is the decaying root, Im n > 0."""
    from core.passivity import passivity_indicator

    w = np.linspace(0.05, 4.0, 400)
    rep = oscillator_report(fig2a, w)
    eps, mu = rep.arrays["epsilon"].values, rep.arrays["mu"].values
    gain = passivity_indicator(eps, mu) < 0
    alpha = rep.arrays["absorption_coefficient"].values
    n = rep.arrays["refractive_index"].values
    assert gain.sum() > 10 and (~gain).sum() > 10
    assert np.all(alpha[gain] < 0) and np.all(alpha[~gain] > 0)
    np.testing.assert_allclose(n * n, eps * mu, rtol=1e-12)  # always a root of n^2 = eps mu
