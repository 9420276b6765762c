"""User-given moments: validation, and the same physics as the built-in emitters."""

from __future__ import annotations

import numpy as np
import pytest

from core.emitters import EmitterParams, custom_emitter, harmonic_emitter
from core.emitters.custom import custom_moments
from core.emitters.harmonic import harmonic_moments
from core.errors import InvalidInput, LimitExceeded
from core.oscillators import STRENGTHS

PARAMS = EmitterParams(mass=40.0, charge=0.5, density=300.0, linewidth=0.07)
FREQS = [0.8, 1.3, 2.1]


def _ho():  # type: ignore[no-untyped-def]
    mo = harmonic_moments(FREQS, PARAMS.mass)
    keep = (
        np.any(mo.p != 0, axis=1)
        | np.any(mo.pr != 0, axis=(1, 2))
        | np.any(mo.prr != 0, axis=(1, 2, 3))
    )
    return mo.subset(keep)


def test_oscillator_moments_given_by_hand_reproduce_the_oscillator_medium() -> None:
    mo = _ho()
    res = custom_emitter(mo.omega, mo.p, mo.pr, mo.prr, mo.rr_ground, PARAMS)
    ref = harmonic_emitter(FREQS, PARAMS)
    for name in STRENGTHS:
        np.testing.assert_allclose(
            getattr(res.strengths, name), getattr(ref.strengths, name), rtol=1e-13, atol=0
        )
    for key in ("chi_static", "chi_langevin", "chi_van_vleck", "trk_sum", "sum_rule_residual"):
        assert res.diagnostics[key] == pytest.approx(ref.diagnostics[key], rel=1e-12, abs=1e-18)


def test_an_incomplete_basis_shows_in_the_sum_rule_and_the_static_chi() -> None:
    # drop the two-quantum states: dipole physics intact (TRK closes), diamagnetism missing
    mo = _ho()
    one = mo.labels.sum(axis=1) == 1
    sub = mo.subset(one)
    d = custom_emitter(sub.omega, sub.p, sub.pr, sub.prr, mo.rr_ground, PARAMS).diagnostics
    assert abs(d["trk_residual"]) < 1e-12
    # eq 26 residual = -sum Delta_dipoct = -w_p^2 <r^2> / 3 (the quadrupole half is missing)
    r2 = np.sum(1 / (2 * PARAMS.mass * np.array(FREQS)))
    assert d["sum_rule_residual"] == pytest.approx(-PARAMS.omega_p2 * r2 / 3, rel=1e-12)
    assert d["chi_dia_strengths"] == 0 and d["chi_langevin"] < 0
    assert abs(d["chi_static_error"]) > 0.5 * abs(d["chi_langevin"])


def _valid() -> dict[str, np.ndarray]:
    mo = _ho()
    return {"omega": mo.omega, "p": mo.p, "pr": mo.pr, "prr": mo.prr, "rr_ground": mo.rr_ground}


def test_a_wrong_shape_is_rejected_with_its_name() -> None:
    kw = _valid()
    kw["pr"] = kw["pr"][:, :2, :]
    with pytest.raises(InvalidInput) as exc:
        custom_moments(**kw)
    assert exc.value.field == ("pr",)


def test_prr_must_be_symmetric_in_its_two_coordinates() -> None:
    kw = _valid()
    kw["prr"] = kw["prr"].copy()
    kw["prr"][3, 0, 1, 2] += 0.1
    with pytest.raises(InvalidInput) as exc:
        custom_moments(**kw)
    assert exc.value.field[:3] == ("transitions", 3, "prr")
    assert exc.value.field[3] == 0 and set(exc.value.field[4:]) == {1, 2}


@pytest.mark.parametrize(
    "rr, where",
    [
        (np.array([[1.0, 0.2, 0], [0.0, 1, 0], [0, 0, 1]]), ("rr_ground", 0, 1)),
        (np.array([[1.0, 0.2j, 0], [-0.2j, 1, 0], [0, 0, 1]]), ("rr_ground", 0, 1)),
        (np.diag([1.0, -0.5, 1.0]), ("rr_ground",)),
    ],
)
def test_ground_second_moments_must_be_real_symmetric_and_positive(rr, where) -> None:  # type: ignore[no-untyped-def]
    kw = _valid()
    kw["rr_ground"] = rr
    with pytest.raises(InvalidInput) as exc:
        custom_moments(**kw)
    assert exc.value.field == where


def test_a_non_positive_transition_frequency_is_rejected() -> None:
    kw = _valid()
    kw["omega"] = kw["omega"].copy()
    kw["omega"][2] = 0.0
    with pytest.raises(InvalidInput) as exc:
        custom_moments(**kw)
    assert exc.value.field == ("transitions", 2, "omega")


def test_a_non_finite_moment_is_rejected() -> None:
    kw = _valid()
    kw["p"] = kw["p"].copy()
    kw["p"][1, 2] = np.nan
    with pytest.raises(InvalidInput) as exc:
        custom_moments(**kw)
    assert exc.value.field == ("p", 1, 2)


def test_too_many_transitions_is_a_limit_naming_the_setting() -> None:
    kw = _valid()
    with pytest.raises(LimitExceeded) as exc:
        custom_moments(**kw, max_states=3)
    assert exc.value.limit_name == "max_emitter_states"
    assert exc.value.requested == kw["omega"].size
