"""The Medium protocol (core.media): every medium kind satisfies it, its derivative matches a
finite difference, a change of frequency unit leaves eps and mu unchanged, and the pole-residue
form reproduces eps and mu."""

from __future__ import annotations

import numpy as np
import pytest

from core.chiral import MagneticResonanceMedium
from core.media import ConstantMedium, Medium, RationalMedium, TabulatedMedium
from core.oscillators import OscillatorMedium, evaluate


def _oscillator() -> OscillatorMedium:
    return OscillatorMedium.from_transitions(
        [
            {"omega": 1.0, "gamma": 0.08, "e_dip": 1.5, "m_dip": 0.2, "dip_oct": 0.05},
            {"omega": 2.2, "gamma": 0.1, "e_dip": 0.5, "quad": 0.03, "dia": 0.4},
            {"omega": 2.2, "gamma": 0.1, "e_dip": 0.25},  # merged with the one above
        ]
    )


def _media() -> dict[str, Medium]:
    f = np.linspace(0.1, 4.0, 40)
    return {
        "constant": ConstantMedium(2.0 + 0.1j, 1.5),
        "tabulated": TabulatedMedium(
            f, 2.0 + 0.3 * f + 0.05j * f, 1.0 + 0.01j * f**2, interpolation="pchip"
        ),
        "oscillator": _oscillator(),
        "mr-chi_m": MagneticResonanceMedium(
            eps_b=1.2 + 0.01j,
            b=0.02,
            w0=1.3,
            gamma=0.05,
            assignment="chi_m",
            background_omega=(0.8,),
            background_gamma=(0.1,),
            background_strength=(0.6,),
        ),
        "mr-chi_B-lorentz": MagneticResonanceMedium(
            eps_b=2.0, b=0.01, w0=1.5, gamma=0.07, assignment="chi_B", line_shape="lorentz"
        ),
        "rational": _oscillator().rational(),
    }


MEDIA = _media()
W = np.linspace(0.3, 3.5, 257)


@pytest.mark.parametrize("name", list(MEDIA))
def test_every_medium_kind_satisfies_the_protocol(name: str) -> None:
    med = MEDIA[name]
    assert isinstance(med, Medium)
    eps, mu = med.eps_mu(W)
    assert eps.shape == mu.shape == W.shape and eps.dtype == np.complex128
    e1, m1 = med.eps_mu(np.array([1.0]))
    assert e1.shape == (1,) and m1.shape == (1,)


@pytest.mark.parametrize("name", list(MEDIA))
def test_derivative_matches_a_central_difference_of_eps_mu(name: str) -> None:
    med = MEDIA[name]
    eps, mu, d = med.eps_mu_derivative(W)
    e0, m0 = med.eps_mu(W)
    np.testing.assert_allclose(eps, e0, rtol=1e-14)
    np.testing.assert_allclose(mu, m0, rtol=1e-14)
    h = 1e-5
    ep, mp = med.eps_mu(W + h)
    em, mm = med.eps_mu(W - h)
    fd = (ep * mp - em * mm) / (2 * h)
    scale = max(float(np.abs(fd).max()), 1.0)
    # a pchip table has a continuous but piecewise-cubic derivative: looser there
    tol = 1e-3 if name == "tabulated" else 1e-7
    np.testing.assert_allclose(d, fd, rtol=0, atol=tol * scale)


@pytest.mark.parametrize("name", list(MEDIA))
@pytest.mark.parametrize("s", [1e-3, 2.5, 6.2e14])
def test_rescaling_the_frequency_unit_leaves_eps_and_mu_unchanged(name: str, s: float) -> None:
    med = MEDIA[name]
    eps, mu, d = med.eps_mu_derivative(W)
    e2, m2, d2 = med.scaled(s).eps_mu_derivative(W * s)
    np.testing.assert_allclose(e2, eps, rtol=1e-12)
    np.testing.assert_allclose(m2, mu, rtol=1e-12)
    if name != "tabulated":  # a table's finite difference is only first order in its step
        np.testing.assert_allclose(d2 * s, d, rtol=1e-9, atol=1e-12 * np.abs(d).max())


@pytest.mark.parametrize("name", [n for n in MEDIA if n != "tabulated"])
def test_rational_form_reproduces_eps_and_mu(name: str) -> None:
    med = MEDIA[name]
    rat = med.rational()
    assert isinstance(rat, RationalMedium)
    eps, mu = med.eps_mu(W)
    e2, m2 = rat.eps_mu(W)
    np.testing.assert_allclose(e2, eps, rtol=1e-12)
    np.testing.assert_allclose(m2, mu, rtol=1e-12)
    _, _, d = med.eps_mu_derivative(W)
    _, _, d2 = rat.eps_mu_derivative(W)
    np.testing.assert_allclose(d2, d, rtol=1e-10, atol=1e-12 * np.abs(d).max())


def test_oscillator_rational_form_merges_equal_denominators() -> None:
    rat = _oscillator().rational()
    assert rat.n_lorentz == 2 and rat.degree == 6
    ref = evaluate(_oscillator(), W)
    np.testing.assert_allclose(rat.eps_mu(W)[0], ref.epsilon, rtol=1e-13)


def test_a_table_has_no_pole_form_and_refuses_frequencies_outside_it() -> None:
    tab = MEDIA["tabulated"]
    assert tab.rational() is None
    with pytest.raises(ValueError) as exc:
        tab.eps_mu([5.0])
    assert getattr(exc.value, "field", None) == ("frequencies",)


def test_an_object_without_the_methods_is_not_a_medium() -> None:
    assert not isinstance(object(), Medium)
