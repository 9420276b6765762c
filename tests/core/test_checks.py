"""core.checks (the result types) and the statements every oscillator report shares: eq 26,
diamagnetism (core.oscillators) and passivity (core.passivity), each on analytic cases where it
must hold and on cases built to break it."""

from __future__ import annotations

import numpy as np
import pytest

from core import oscillators as osc
from core.checks import Check, CheckSpec, Report, Series, checks_of, jsonable
from core.passivity import PASSIVITY, negative_intervals, passivity_check

SPEC = CheckSpec(
    name="demo",
    kind="bound",
    equation="x = 0",
    explanation="x is not zero.",
    tolerance=1e-9,
    warning="x = {value:.3g} exceeds {tolerance:g} (scale {scale:g})",
)


def test_a_failed_check_carries_its_warning_and_a_passed_one_none() -> None:
    bad = SPEC.judge(False, 0.5, scale=2.0)
    good = SPEC.judge(True, 1e-12, scale=2.0)
    assert bad.warning == "x = 0.5 exceeds 1e-09 (scale 2)" and good.warning is None
    assert bad.name == "demo" and bad.tolerance == 1e-9 and bad.details == {"scale": 2.0}
    assert SPEC.judge(False, 0.5, tolerance=0.1, scale=1.0).tolerance == 0.1


def test_a_value_check_has_no_verdict() -> None:
    spec = CheckSpec(name="v", kind="value", equation="mu(0)", explanation="a number")
    assert spec.judge(True, 2.0).verdict is None
    with pytest.raises(ValueError):
        Check(verdict=True, kind="value", equation="", explanation="")
    with pytest.raises(ValueError):
        CheckSpec(name="k", kind="proof", equation="", explanation="")  # type: ignore[arg-type]


def test_report_warnings_are_the_failed_checks_then_the_notes_each_once() -> None:
    checks = checks_of(
        SPEC.judge(False, 0.5, scale=1.0), ("other", SPEC.judge(True, 0.0, scale=1.0))
    )
    rep = Report(model="m", version="1", checks=checks, notes=("a note", "a note"))
    assert rep.warnings == ("x = 0.5 exceeds 1e-09 (scale 1)", "a note")
    assert list(rep.failed) == ["demo"]
    with pytest.raises(ValueError, match="twice"):
        checks_of(SPEC.judge(True, 0.0, scale=1.0), SPEC.judge(True, 0.0, scale=1.0))


def test_payload_splits_complex_keeps_arrays_and_turns_nan_into_null() -> None:
    w = np.array([0.0, 1.0])
    eps = np.array([1 + 2j, 3 - 4j])
    rep = Report(
        model="m",
        version="1",
        arrays={
            "frequencies": Series(w, "frequency", "eV"),
            "epsilon": Series(eps, "permittivity", "1", axis="frequencies"),
        },
        results={"mu_inf": float("inf"), "z": 1 - 1j, "n": np.int64(3)},
        units={"mu_inf": "1"},
    )
    meta, data = rep.payload()
    assert data["frequencies"] is not None and isinstance(data["frequencies"], np.ndarray)
    np.testing.assert_array_equal(data["epsilon"]["real"], [1.0, 3.0])
    np.testing.assert_array_equal(data["epsilon"]["imag"], [2.0, -4.0])
    assert data["mu_inf"] is None and data["z"] == {"real": 1.0, "imag": -1.0} and data["n"] == 3
    assert meta["units"] == {"frequencies": "eV", "epsilon": "1", "mu_inf": "1"}
    assert jsonable(np.array([1.0, np.nan])) == [1.0, None]
    with pytest.raises(ValueError, match="varies along"):
        Report(model="m", version="1", arrays={"y": Series(w, "y", "1", axis="x")})


# ------------------------------------------------------------------ eq 26 and diamagnetism


def _fig2a() -> osc.OscillatorMedium:
    """Westerberg & Barnett Fig. 2a (units of w_p): eq 26 reads 9/9 + 1/64 - 65/64 = 0."""
    return osc.OscillatorMedium.from_transitions(
        [
            {"omega": 1.0, "gamma": 0.18, "e_dip": 2.0, "dip_oct": 65 / 64},
            {"omega": 2.0, "gamma": 0.05, "m_dip": 1 / 16},
            {"omega": 3.0, "gamma": 0.04, "quad": 1 / 64, "dia": 9.0},
        ]
    )


def test_eq26_holds_when_the_terms_cancel_and_fails_by_the_residual_otherwise() -> None:
    ok = osc.sum_rule_check(_fig2a())
    assert ok.verdict is True and ok.kind == "bound" and abs(ok.value or 0) < 1e-15
    broken = osc.OscillatorMedium.from_transitions(
        [{"omega": 2.0, "gamma": 0.1, "e_dip": 1.0, "quad": 0.1, "dip_oct": 0.3, "dia": 0.2}]
    )
    c = osc.sum_rule_check(broken)
    # residual = 0.2 / 4 + 0.1 - 0.3 = -0.15 and mu(inf) = 1 / (1 - 0.15)
    assert c.verdict is False and c.value == pytest.approx(-0.15, rel=1e-14)
    assert c.details["mu_infinity"] == pytest.approx(1 / 0.85, rel=1e-14)
    assert c.warning is not None and "sum rule (26)" in c.warning
    assert c.details["mu_infinity_minus_1"] == pytest.approx(1 / 0.85 - 1, rel=1e-12)
    # mu_infinity is what eq 21 gives far above every resonance (1/w^2 corrections)
    far = osc.evaluate(broken, np.array([1e6])).mu[0]
    assert far.real == pytest.approx(c.details["mu_infinity"], rel=1e-9)
    # a looser user tolerance accepts it: the tolerance is relative to the scale of the terms
    assert osc.sum_rule_check(broken, tolerance=0.5).verdict is True


def test_diamagnetic_when_dia_outweighs_mdip_paramagnetic_otherwise() -> None:
    dia = osc.diamagnetism_check(_fig2a())
    # eq 22: mu(0) = 1 / (1 + 9/9 - (1/16)/4) = 64/127
    assert dia.verdict is True and dia.value == pytest.approx(64 / 127, rel=1e-14)
    para = osc.diamagnetism_check(
        osc.OscillatorMedium.from_transitions([{"omega": 1.0, "m_dip": 0.3, "dia": 0.1}])
    )
    assert para.verdict is False and para.value == pytest.approx(1 / 0.8, rel=1e-14)
    # 1/mu(0) = 1 - 3 < 0: mu(0) = -0.5 < 1, yet chi(0) = 3 > 0, a paramagnet past its
    # instability: not diamagnetic
    unstable = osc.diamagnetism_check(
        osc.OscillatorMedium.from_transitions([{"omega": 1.0, "m_dip": 3.0}])
    )
    assert unstable.verdict is False and unstable.value == pytest.approx(-0.5, rel=1e-14)
    assert unstable.details["chi_static"] == pytest.approx(3.0, rel=1e-14)


# ------------------------------------------------------------------ passivity


def test_a_lorentz_medium_is_passive_on_any_grid() -> None:
    w = np.linspace(0.0, 5.0, 2001)
    eps = 1 + 1.0 / (1.0 - w**2 - 2j * w * 0.05)
    c = passivity_check(w, eps.imag)
    assert c.verdict is True and c.details["non_passive_intervals"] == [] and c.warning is None
    assert c.kind == PASSIVITY.kind == "indicative"


def test_gain_is_found_with_edges_at_the_analytic_roots() -> None:
    # Im(eps mu) = (w - 1)(w - 2) is negative exactly on (1, 2)
    w = np.linspace(0.0, 3.0, 31) + 0.013

    def f(x: float) -> float:
        return (x - 1.0) * (x - 2.0)

    c = passivity_check(w, f(w), refine=f)  # type: ignore[arg-type]
    assert c.verdict is False
    (iv,) = c.details["non_passive_intervals"]
    assert iv["start"] == pytest.approx(1.0, abs=1e-12) and iv["stop"] == pytest.approx(
        2.0, abs=1e-12
    )
    assert c.value == pytest.approx(f(w[np.argmin(f(w))]), rel=1e-12)  # type: ignore[arg-type]
    assert c.warning is not None and "amplifies" in c.warning


def test_intervals_are_reported_in_the_output_unit_and_sorted_for_wavelengths() -> None:
    w = np.linspace(0.5, 2.5, 201)
    y = (w - 1.0) * (w - 2.0)
    c = passivity_check(w, y, to_output=lambda x: 1.0 / x)  # a reciprocal unit, like nm
    (iv,) = c.details["non_passive_intervals"]
    assert iv["start"] < iv["stop"]
    assert iv["start"] == pytest.approx(0.5, abs=1e-3) and iv["stop"] == pytest.approx(
        1.0, abs=1e-3
    )


def test_negative_intervals_touching_the_grid_ends_keep_the_ends() -> None:
    w = np.linspace(0.0, 1.0, 11)
    assert negative_intervals(w, -np.ones(11)) == [(0.0, 1.0)]
    assert negative_intervals(w, np.ones(11)) == []


def test_the_full_statement_judges_left_handed_media_by_the_wave_they_carry() -> None:
    w = np.linspace(0.5, 1.5, 11)
    one = np.ones_like(w, dtype=np.complex128)
    # Cho's window: eps = -1, Im mu > 0 absorbs, although Im(eps mu) = -Im mu < 0
    lh = passivity_check(w, eps=-1.0 * one, mu=(-1.0 + 0.01j) * one)
    assert lh.verdict is True
    assert passivity_check(w, ((-1.0 * one) * (-1.0 + 0.01j)).imag).verdict is False
    # a left-handed medium with magnetic gain amplifies, although Im(eps mu) = +0.01 > 0:
    # n = -sqrt(1 + 0.01i) on the energy-carrying branch has Im n < 0
    lh_gain = passivity_check(w, eps=-1.0 * one, mu=(-1.0 - 0.01j) * one)
    assert lh_gain.verdict is False and lh_gain.value == pytest.approx(-0.01, rel=1e-12)
    # gain in eps is gain, even where a lossy mu makes Im(eps mu) > 0
    eps_gain = passivity_check(w, eps=(2.0 - 0.01j) * one, mu=(1.0 + 0.1j) * one)
    assert eps_gain.verdict is False and eps_gain.value == pytest.approx(-0.01, rel=1e-12)
    # Westerberg & Barnett: Im mu < 0 is allowed while Im(eps mu) > 0 (Re mu > 0)
    wb = passivity_check(w, eps=(2.0 + 0.1j) * one, mu=(1.0 - 0.01j) * one)
    assert wb.verdict is True
    # stop bands (Re(eps mu) < 0) with magnetic gain: the energy-carrying evanescent wave grows
    for eps, mu in ((2.0 + 0.1j, -1.0 - 0.1j), (2.0 + 0.0j, -1.0 - 0.1j)):
        sb = passivity_check(w, eps=eps * one, mu=mu * one)
        assert sb.verdict is False, (eps, mu)
        n = np.sqrt(eps * mu)
        n = n if (n / mu).real > 0 else -n
        assert n.imag < 0  # the wave that carries energy forward grows: gain indeed
    # Cho's stop band outside the left-handed window: eps = -1, mu > 0 lossy: passive
    assert passivity_check(w, eps=-1.0 * one, mu=(0.5 + 0.01j) * one).verdict is True


@pytest.mark.parametrize("grid", [np.linspace(0.0, 4.0, 801), np.geomspace(1e-3, 200.0, 40001)])
def test_on_fig2a_the_full_statement_finds_the_intervals_of_im_eps_mu(grid: np.ndarray) -> None:
    r = osc.evaluate(_fig2a(), grid)
    full = passivity_check(grid, eps=r.epsilon, mu=r.mu)
    product = passivity_check(grid, r.eps_mu.imag)
    assert full.verdict is product.verdict is False
    a, b = full.details["non_passive_intervals"], product.details["non_passive_intervals"]
    assert len(a) == len(b) >= 2
    for x, y in zip(a, b, strict=True):
        assert x["start"] == pytest.approx(y["start"], rel=1e-12)
        assert x["stop"] == pytest.approx(y["stop"], rel=1e-12)
    # the first gain band of Fig. 2a (docs/oscillator.md): (2.1169, 2.9252)
    assert a[0]["start"] == pytest.approx(2.1169, abs=2e-3) and a[0]["stop"] == pytest.approx(
        2.9252, abs=2e-3
    )


def test_a_check_never_passes_on_a_non_finite_value() -> None:
    c = SPEC.judge(True, float("inf"), scale=1.0)
    assert c.verdict is False and "not finite" in c.explanation
    assert c.warning is not None and c.value == float("inf")
    n = SPEC.judge(True, float("nan"), scale=1.0)
    assert n.verdict is False
    assert SPEC.judge(True, 0.0, scale=1.0).verdict is True


def test_a_report_with_non_finite_entries_carries_a_failed_finite_check() -> None:
    w = np.array([0.0, 1.0, 2.0])
    rep = Report(
        model="m",
        version="1",
        arrays={
            "frequencies": Series(w, "frequency", "1"),
            "epsilon": Series(np.array([1.0, np.inf, 2.0 + 1j]), "eps", "1", axis="frequencies"),
        },
    )
    c = rep.checks["finite_values"]
    assert c.verdict is False and c.value == 1.0 and c.details["arrays"] == {"epsilon": 1}
    assert c.warning is not None and c.warning in rep.warnings
    fine = Report(model="m", version="1", arrays={"frequencies": Series(w, "frequency", "1")})
    assert "finite_values" not in fine.checks
