"""The emitter report (core.emitters.report): each convergence check holds on an exact emitter and
fails on a truncated one; one eq-26 verdict with the user's tolerance; one passivity verdict."""

from __future__ import annotations

import numpy as np
import pytest

from core.emitters import EmitterParams, box_emitter, emitter_report, harmonic_emitter
from core.oscillator_report import OutputGrid

FIG2B_L = [0.2 / (2 * np.pi), 0.4 / (2 * np.pi), 0.2 / (2 * np.pi)]
FIG2B = EmitterParams(mass=500.0, charge=1 / np.sqrt(32), density=16000.0, linewidth=0.15)
BASIS = ("trk_sum", "langevin", "van_vleck", "chi_static_reference")


def _grid(w: np.ndarray) -> OutputGrid:
    return OutputGrid(points=w, unit="model", to_output=lambda x: np.asarray(x))


@pytest.mark.parametrize("freqs", [[2.0], [0.8, 1.3, 2.1]])
def test_harmonic_oscillator_passes_every_basis_check_to_rounding(freqs: list[float]) -> None:
    # Only one- and two-quantum states couple to the ground state: the basis is complete, so the
    # checks hold even at a tolerance near rounding.
    res = harmonic_emitter(freqs, FIG2B)
    rep = emitter_report(res, model="emitter-harmonic", version="1", tolerance=1e-9)
    for name in (*BASIS, "sum_rule_26", "diamagnetic", "multipole_ordering", "passive"):
        assert rep.checks[name].verdict is True, name
    assert rep.checks["trk_sum"].value == pytest.approx(1.0, rel=1e-13)
    assert rep.checks["langevin"].kind == "bound" and rep.checks["van_vleck"].kind == "indicative"
    assert not rep.warnings


def test_a_truncated_box_fails_each_basis_check_with_its_warning() -> None:
    res = box_emitter(FIG2B_L, FIG2B, 2)
    rep = emitter_report(res, model="emitter-box", version="1", tolerance=1e-3)
    for name in BASIS:
        c = rep.checks[name]
        assert c.verdict is False, name
        assert c.warning is not None and c.warning in rep.warnings, name
    assert rep.checks["trk_sum"].details["residual"] > 1e-2
    assert "raise n_max" in (rep.checks["trk_sum"].warning or "")


def test_eq26_is_judged_once_with_the_users_tolerance() -> None:
    res = box_emitter(FIG2B_L, FIG2B, 6)
    strict = emitter_report(res, model="emitter-box", version="1", tolerance=1e-3)
    loose = emitter_report(res, model="emitter-box", version="1", tolerance=0.5)
    sr = strict.checks["sum_rule_26"]
    # Fig. 2b at n_max = 6 closes eq 26 to ~5e-3 of its scale
    ratio = abs(sr.value or 0.0) / sr.details["scale"]
    assert 1e-3 < ratio < 1e-2
    assert sr.verdict is False and sr.tolerance == 1e-3
    assert loose.checks["sum_rule_26"].verdict is True
    assert list(strict.checks).count("sum_rule_26") == 1


def test_fig2b_passivity_is_one_verdict_over_grid_and_scan() -> None:
    res = box_emitter(FIG2B_L, FIG2B, 6)
    w = np.linspace(0.0, 40.0, 801)
    rep = emitter_report(res, model="emitter-box", version="1", w=w, grid=_grid(w))
    p = rep.checks["passive"]
    assert p.details["samplings"]["grid"]["verdict"] is True  # passive below w = 40
    assert p.details["samplings"]["scan"]["verdict"] is False  # not beyond w ~ 84
    assert p.verdict is False and p.details["at_sampling"] == "scan"
    first = min(iv["start"] for iv in p.details["non_passive_intervals"])
    assert 80.0 < first < 90.0
    assert res.diagnostics["first_non_passive_frequency"] == pytest.approx(first, rel=1e-2)
    # the grid arrays are those of the oscillator report, the grid first
    assert next(iter(rep.arrays)) == "frequencies"
    assert rep.arrays["epsilon"].values.shape == (801,)
    assert rep.all_units["chi"] == "1 (M = chi B)"


def test_report_without_a_grid_still_judges_the_medium() -> None:
    res = harmonic_emitter([2.0], FIG2B)
    rep = emitter_report(res, model="emitter-harmonic", version="1")
    assert not rep.arrays
    assert "negative_im_mu_intervals" not in rep.checks
    assert rep.checks["passive"].details["scope"].startswith("automatic scan")
    meta, data = rep.payload()
    assert data["medium"]["unit"] == "model" and data["convergence"] is None
    assert meta["checks"]["static_limits"]["details"]["mu_static"] < 1.0
    with pytest.raises(ValueError):
        emitter_report(res, model="m", version="1", w=np.array([1.0]))
