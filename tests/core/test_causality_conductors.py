"""Kramers-Kronig on conductor data and the honesty of every KK error estimate (issue 11, item 1).

References are closed forms written here: the Drude permittivity
eps = 1 - w_p^2 / (w (w + i gamma)) (Ashcroft & Mermin eq 1.35; Gaussian dc conductivity
sigma_dc = w_p^2 / (4 pi gamma), Im eps -> 4 pi sigma_dc / w) plus damped Lorentz lines
f / (w_j^2 - w^2 - i gamma_j w). The acceptance statement: Re eps from Im eps within 1e-3 of the
largest |eps| everywhere including the lowest point, or a failed check whose error estimate is at
least the true error there; Im eps from Re eps either adds a given sigma_dc or says it cannot.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy.integrate import quad

from core import causality as ca
from core.causality.drude import DrudeTail, drude_low_part, fit_drude, low_edge_slope
from core.causality.kk import _extension_change
from core.errors import InvalidInput
from core.units import to_angular

WP, GAMMA = 1.0, 0.25
LINES = ((2.0, 0.2, 1.5), (5.0, 0.5, 4.0))
SIGMA = WP**2 / (4.0 * np.pi * GAMMA)  # Gaussian: 4 pi sigma_dc = w_p^2 / gamma


def drude_lorentz_eps(w: np.ndarray, drude: bool = True) -> np.ndarray:
    """Drude (w_p = 1, gamma = 0.25: Re eps(0) = -15 + lines) plus two Lorentz lines."""
    wc = np.asarray(w, dtype=complex)
    e = 1.0 + 0.0 * wc
    if drude:
        e = e - WP**2 / (wc * (wc + 1j * GAMMA))
    for w0, g, f in LINES:
        e = e + f / (w0**2 - wc**2 - 1j * g * wc)
    return e


def lorentz_eps(w: np.ndarray) -> np.ndarray:
    return 1.0 + 1.0 / (1.0 - w**2 - 0.1j * w)


GRIDS: dict[str, Callable[[], np.ndarray]] = {
    "log-from-1e-3": lambda: np.geomspace(1e-3, 100.0, 2000),
    "log-from-0.01": lambda: np.geomspace(1e-2, 100.0, 2000),
    "linear-from-0.01": lambda: np.linspace(0.01, 50.0, 5000),
}


# ---------------------------------------------------------------------------------------------
# The Drude term's closed forms
# ---------------------------------------------------------------------------------------------


def test_drude_closed_form_transform_equals_the_drude_real_part() -> None:
    d = DrudeTail(sigma_dc=SIGMA, damping=GAMMA, source="given", fit_points=0)
    w = np.geomspace(1e-3, 50.0, 200)
    exact = drude_lorentz_eps(w) - drude_lorentz_eps(w, drude=False)  # the Drude term alone
    np.testing.assert_allclose(d.imag(w), exact.imag, rtol=1e-12)
    np.testing.assert_allclose(d.real_minus_inf(w), exact.real, rtol=1e-12)
    assert d.plasma_frequency == pytest.approx(WP, rel=1e-12)


@pytest.mark.parametrize("damping", [GAMMA, np.inf])
def test_drude_part_on_zero_to_a_matches_quadrature(damping: float) -> None:
    """(2/pi) int_0^a w' Im eps_D / (w'^2 - w^2) dw' in closed form, against quad (w > a)."""
    d = DrudeTail(sigma_dc=SIGMA, damping=damping, source="given", fit_points=0)
    a = 0.05
    for w in (0.07, 0.3, 2.0):

        def integrand(u: float, w: float = w) -> float:
            return float(u * d.imag(np.array([u]))[0] / (u * u - w * w))

        ref = (2.0 / np.pi) * quad(integrand, 0.0, a, limit=200)[0]
        got = float(drude_low_part(d, a, np.array([w]))[0])
        assert got == pytest.approx(ref, rel=1e-9)


def test_drude_part_on_zero_to_a_tends_to_the_full_transform() -> None:
    d = DrudeTail(sigma_dc=SIGMA, damping=GAMMA, source="given", fit_points=0)
    w = np.array([0.1, 0.5, 1.0])
    np.testing.assert_allclose(drude_low_part(d, 1e7, w), d.real_minus_inf(w), rtol=1e-6)


def test_the_dc_term_has_no_real_part() -> None:
    """The pure dc term 4 pi sigma / w transforms to 0 (its principal value vanishes)."""
    d = DrudeTail(sigma_dc=SIGMA, damping=np.inf, source="given", fit_points=0)
    np.testing.assert_array_equal(d.real_minus_inf(np.array([0.1, 1.0])), 0.0)
    assert float(drude_low_part(d, 1e9, np.array([1.0]))[0]) == pytest.approx(0.0, abs=1e-8)


def test_low_edge_slope_separates_conductor_and_insulator() -> None:
    w = np.geomspace(1e-2, 100.0, 2000)
    conductor = low_edge_slope(w, drude_lorentz_eps(w).imag)
    insulator = low_edge_slope(w, drude_lorentz_eps(w, drude=False).imag)
    assert conductor is not None and insulator is not None
    assert abs(conductor) < 0.05  # w Im eps -> 4 pi sigma_dc: slope 0
    assert insulator == pytest.approx(2.0, abs=0.05)  # Im eps ~ w: w Im eps ~ w^2


def test_fit_drude_recovers_sigma_and_gamma() -> None:
    w = np.geomspace(1e-2, 100.0, 2000)
    d = fit_drude(w, drude_lorentz_eps(w).imag)
    assert d is not None
    assert d.sigma_dc == pytest.approx(SIGMA, rel=1e-5)
    assert d.damping == pytest.approx(GAMMA, rel=1e-3)
    ins = fit_drude(w, drude_lorentz_eps(w, drude=False).imag)
    assert ins is None or ins.sigma_dc < 1e-3 * SIGMA  # an insulator has (almost) no dc term


# ---------------------------------------------------------------------------------------------
# Acceptance: Re eps from Im eps of Drude + two Lorentzians from above zero
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grid", sorted(GRIDS))
@pytest.mark.parametrize("option", ["auto", "drude", "sigma_dc"])
def test_re_from_im_of_a_conductor_is_accurate_down_to_the_lowest_point(
    grid: str, option: str
) -> None:
    w = GRIDS[grid]()
    e = drude_lorentz_eps(w)
    kw: dict[str, object] = (
        {"sigma_dc": SIGMA} if option == "sigma_dc" else {"low_frequency": option}
    )
    r = ca.re_from_im(w, e.imag, high_frequency_value=1.0, **kw)
    err = np.abs(r.values - e.real)
    scale = float(np.abs(e).max())
    assert r.low_frequency == "drude"
    assert r.drude is not None and r.drude.sigma_dc == pytest.approx(SIGMA, rel=1e-4)
    assert r.drude.source == ("given" if option == "sigma_dc" else "fit")
    assert np.all(err <= 1e-3 * scale), (err.max() / scale, w[err.argmax()])
    assert err[0] <= 1e-3 * scale
    # and the error estimate covers the true error at every point but w_max
    assert np.all(err <= r.error_estimate)


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_the_report_detects_the_conductor_and_reports_sigma(grid: str) -> None:
    w = GRIDS[grid]()
    e = drude_lorentz_eps(w)
    rep = ca.kramers_kronig_report(w, imag=e.imag, quantity="epsilon")
    lf = rep.results["low_frequency"]
    assert lf["model"] == "drude" and lf["conductor_like"] is True
    assert lf["drude"]["sigma_dc"] == pytest.approx(SIGMA, rel=1e-4)
    assert lf["drude"]["damping"] == pytest.approx(GAMMA, rel=1e-3)
    assert lf["drude"]["plasma_frequency"] == pytest.approx(WP, rel=1e-3)
    real_kk = rep.arrays["real_kk"].values
    assert np.max(np.abs(real_kk - e.real)) <= 1e-3 * np.abs(e).max()
    assert rep.checks["kk_low_edge"].verdict is True
    assert rep.checks["kk_low_edge"].details["model"] == "drude"
    assert not rep.warnings


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_insulator_continuation_of_a_conductor_warns_with_an_estimate_above_the_error(
    grid: str,
) -> None:
    """The old behaviour on request: wrong by orders of magnitude at the low edge, but now a
    failed kk_low_edge check whose error estimate is at least the true error there."""
    w = GRIDS[grid]()
    e = drude_lorentz_eps(w)
    rep = ca.kramers_kronig_report(w, imag=e.imag, quantity="epsilon", low_frequency="insulator")
    real_kk = rep.arrays["real_kk"].values
    est = rep.arrays["real_kk_error_estimate"].values
    err = np.abs(real_kk - e.real)
    assert err[0] > 0.1 * np.abs(e).max()  # the insulator continuation is badly wrong here
    chk = rep.checks["kk_low_edge"]
    assert chk.verdict is False and chk.warning is not None
    assert "conductor" in chk.warning and "sigma_dc" in chk.warning
    assert chk.warning in rep.warnings
    assert est[0] >= err[0]
    assert np.all(err <= est)


def test_an_insulator_is_not_taken_for_a_conductor() -> None:
    w = np.geomspace(0.05, 50.0, 1500)
    e = lorentz_eps(w)
    r = ca.re_from_im(w, e.imag, high_frequency_value=1.0)
    assert r.low_frequency == "insulator" and r.conductor_like is False and r.drude is None
    assert np.all(np.abs(r.values - e.real) <= r.error_estimate)


# ---------------------------------------------------------------------------------------------
# Im eps from Re eps: the dc term
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_im_from_re_without_sigma_says_the_dc_term_is_missing(grid: str) -> None:
    w = GRIDS[grid]()
    e = drude_lorentz_eps(w)
    rep = ca.kramers_kronig_report(w, real=e.real, quantity="epsilon")
    imag_kk = rep.arrays["imag_kk"].values
    # it really misses 4 pi sigma / w ...
    np.testing.assert_allclose(e.imag - imag_kk, 4 * np.pi * SIGMA / w, rtol=2e-2, atol=1e-2)
    # ... and says so
    chk = rep.checks["dc_conductivity"]
    assert chk.verdict is False and chk.warning in rep.warnings
    assert "sigma_dc" in chk.warning


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_im_from_re_adds_a_given_sigma_dc(grid: str) -> None:
    w = GRIDS[grid]()
    e = drude_lorentz_eps(w)
    rep = ca.kramers_kronig_report(w, real=e.real, quantity="epsilon", sigma_dc=SIGMA)
    imag_kk = rep.arrays["imag_kk"].values
    est = rep.arrays["imag_kk_error_estimate"].values
    err = np.abs(imag_kk - e.imag)
    assert np.all(err <= 1e-3 * np.abs(e).max())
    assert np.all(err <= est)
    assert rep.checks["dc_conductivity"].verdict is True
    assert rep.results["low_frequency"]["dc_term_in_imag_kk"]["sigma_dc"] == SIGMA


def test_both_parts_of_a_conductor_are_consistent_with_sigma_from_im() -> None:
    w = np.geomspace(1e-3, 100.0, 2000)
    e = drude_lorentz_eps(w)
    rep = ca.kramers_kronig_report(w, real=e.real, imag=e.imag, quantity="epsilon")
    assert rep.checks["kramers_kronig"].verdict is True
    assert rep.checks["dc_conductivity"].verdict is True
    dc = rep.results["low_frequency"]["dc_term_in_imag_kk"]
    assert dc["sigma_dc"] == pytest.approx(SIGMA, rel=1e-4)


def test_re_only_insulator_gets_no_dc_verdict() -> None:
    w = np.geomspace(0.05, 50.0, 1500)
    rep = ca.kramers_kronig_report(w, real=lorentz_eps(w).real, quantity="epsilon")
    chk = rep.checks["dc_conductivity"]
    assert chk.verdict is None and "cannot be excluded" in chk.explanation


# ---------------------------------------------------------------------------------------------
# Invalid combinations
# ---------------------------------------------------------------------------------------------


def test_invalid_low_frequency_options_are_refused() -> None:
    w = np.geomspace(1e-2, 100.0, 400)
    e = drude_lorentz_eps(w)
    with pytest.raises(InvalidInput, match="'epsilon' only"):
        ca.kramers_kronig_report(w, imag=e.imag, quantity="chi", sigma_dc=1.0)
    with pytest.raises(InvalidInput, match="contradicts"):
        ca.re_from_im(w, e.imag, low_frequency="insulator", sigma_dc=1.0)
    with pytest.raises(InvalidInput, match="cannot be recovered"):
        ca.im_from_re(w, e.real, high_frequency_value=1.0, low_frequency="drude")
    w0 = np.linspace(0.0, 10.0, 100)
    with pytest.raises(InvalidInput, match="w = 0"):
        ca.re_from_im(w0, lorentz_eps(w0).imag, sigma_dc=1.0)
    with pytest.raises(InvalidInput, match="Drude"):
        ca.re_from_im(w, -np.abs(e.imag), low_frequency="drude")  # Im < 0: nothing to fit


def test_a_drude_continuation_forced_on_an_insulator_stays_covered_by_its_estimate() -> None:
    w = np.geomspace(0.05, 50.0, 1500)
    e = lorentz_eps(w)
    r = ca.re_from_im(w, e.imag, high_frequency_value=1.0, low_frequency="drude")
    assert r.low_frequency == "drude" and r.drude is not None
    assert r.drude.sigma_dc < 1e-3  # what the fit finds in an insulator is a tiny dc term
    assert np.all(np.abs(r.values - e.real) <= r.error_estimate)


# ---------------------------------------------------------------------------------------------
# Error estimates on analytic cases: estimate >= true error at every point but w_max
# ---------------------------------------------------------------------------------------------

ESTIMATE_CASES: dict[str, tuple[Callable[[], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "lorentz-uniform": (lambda: np.linspace(0.0, 20.0, 2001), lorentz_eps),
    "lorentz-coarse": (lambda: np.linspace(0.0, 20.0, 401), lorentz_eps),
    "lorentz-log-low-edge": (lambda: np.geomspace(0.05, 50.0, 800), lorentz_eps),
    "lorentz-low-edge-0.5": (lambda: np.linspace(0.5, 20.0, 1000), lorentz_eps),
    "lorentz-high-edge-1.5": (lambda: np.linspace(0.0, 1.5, 600), lorentz_eps),
    "lorentz-two-resolutions": (
        lambda: np.unique(np.concatenate([np.linspace(0, 20, 300), np.linspace(0.8, 1.2, 200)])),
        lorentz_eps,
    ),
    "lorentz-jittered": (
        lambda: (
            np.linspace(0, 20, 1500) + np.random.default_rng(1).uniform(-0.4, 0.4, 1500) * 20 / 1500
        ),
        lorentz_eps,
    ),
    "drude-lorentz-log": (lambda: np.geomspace(1e-3, 100.0, 1500), drude_lorentz_eps),
    "drude-lorentz-linear": (lambda: np.linspace(0.01, 50.0, 5000), drude_lorentz_eps),
    "drude-lorentz-high-edge": (lambda: np.geomspace(1e-2, 12.0, 800), drude_lorentz_eps),
}


@pytest.mark.parametrize("case", sorted(ESTIMATE_CASES))
@pytest.mark.parametrize("direction", ["re_from_im", "im_from_re"])
def test_error_estimate_covers_the_true_error(case: str, direction: str) -> None:
    make_grid, model = ESTIMATE_CASES[case]
    w = np.sort(make_grid())
    e = model(w)
    if direction == "re_from_im":
        r = ca.re_from_im(w, e.imag, high_frequency_value=1.0)
        err = np.abs(r.values - e.real)
    else:
        sigma = SIGMA if model is drude_lorentz_eps else None
        r = ca.im_from_re(w, e.real, high_frequency_value=1.0, sigma_dc=sigma)
        err = np.abs(r.values - e.imag)
    assert np.all(err <= r.error_estimate), (
        float(np.max(err / r.error_estimate)),
        float(w[np.argmax(err / r.error_estimate)]),
    )


@pytest.mark.parametrize("part", ["real", "imag"])
def test_error_estimate_covers_the_true_error_on_a_wavelength_grid(part: str) -> None:
    lam = np.linspace(200.0, 3000.0, 1500)  # nm, uniform in wavelength: non-uniform in w
    w = np.asarray(to_angular(lam, "nm"))
    wl = float(to_angular(np.array([600.0]), "nm")[0])
    e = 1.0 + wl**2 / (wl**2 - w**2 - 0.02j * wl * w)
    given = {"imag": e.imag} if part == "real" else {"real": e.real}
    rep = ca.kramers_kronig_report(lam, quantity="epsilon", unit="nm", **given)
    got = rep.arrays[f"{part}_kk"].values
    est = rep.arrays[f"{part}_kk_error_estimate"].values
    truth = e.real if part == "real" else e.imag
    err = np.abs(got - truth)
    inner = np.arange(1, lam.shape[0])  # the highest frequency is the shortest wavelength, index 0
    assert np.all(err[inner] <= est[inner])
    assert np.max(err) <= 3e-2 * np.abs(e - 1).max()  # ~6 points per linewidth at 600 nm


def test_closed_form_extension_change_equals_the_difference_of_two_transforms() -> None:
    """The low-edge estimate's closed form (Drude part on [0, w_0] minus its line) against the
    difference of the full Drude and insulator transforms of the same data."""
    w = np.geomspace(1e-2, 100.0, 2000)
    e = drude_lorentz_eps(w)
    drude = ca.re_from_im(w, e.imag, high_frequency_value=1.0)
    insulator = ca.re_from_im(w, e.imag, high_frequency_value=1.0, low_frequency="insulator")
    assert drude.drude is not None
    change = _extension_change(drude.drude, None, w, float(w[0]))
    full = drude.values - insulator.values
    # equal up to the interpolation error of the Drude term above w_0 (4e-6 of the change here)
    np.testing.assert_allclose(change, full, atol=1e-4 * np.abs(full).max())
    assert abs(full[0]) > 0.5 * np.abs(e).max()  # and it is the big correction at the low edge


def test_sigma_dc_per_second_is_the_same_conductivity_on_hz_and_rad_s_grids() -> None:
    """Im eps = 4 pi sigma / omega: the same medium tabulated in Hz (cycles) and in rad/s gives
    sigma_dc values 2 pi apart in their own units, and one conductivity in s^-1."""
    from core.causality import kramers_kronig_report

    sigma, gamma = 3.0e13, 2.0e13  # s^-1 (Gaussian), rad/s
    omega = np.geomspace(1e11, 1e16, 3000)  # rad/s
    im = 4 * np.pi * sigma * gamma**2 / (omega * (omega**2 + gamma**2))  # Im eps_D
    per_s = []
    for unit, w in (("rad/s", omega), ("Hz", omega / (2 * np.pi))):
        rep = kramers_kronig_report(w, None, im, quantity="epsilon", unit=unit)
        lf = rep.results["low_frequency"]
        per_s.append(lf["sigma_dc_gaussian_per_second"])
    assert per_s[0] == pytest.approx(sigma, rel=1e-2)
    assert per_s[1] == pytest.approx(per_s[0], rel=1e-9)
