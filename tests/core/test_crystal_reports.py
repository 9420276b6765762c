"""Reports of core.crystal: each check holds on an analytic case and fails on one built to break it.

Reference: :data:`core.references.DUFF_SIPE` (Haldane model eqs 93-94; chi_1 eqs 70-73, chi_2
eqs 83-84). Every check here is ``indicative`` (it rests on a k-grid); the bands gap is a value.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.crystal import reports as rep
from core.crystal.edges import refine_band_edges
from core.crystal.model import haldane
from core.crystal.susceptibility import GapInfo
from core.errors import NotAnInsulator

TC = 1.0 / (3.0 * math.sqrt(3.0))  # critical t2 sin(phi) / M
KX, KY = 2 * math.pi / (3 * math.sqrt(3)), 2 * math.pi / 3  # the valley K (a = 1)


def test_bands_report_gap_is_the_dirac_gap_at_K_and_arrays_start_with_the_path() -> None:
    t2, M = 0.04, 0.2
    r = rep.bands_report(
        haldane(1.0, t2, 0.5 * math.pi, M), path=[[0.0, 0.0], [KX, KY]], labels=["G", "K"], num=50
    )
    assert list(r.arrays)[:5] == ["distance", "kx", "ky", "band_0", "band_1"]
    assert r.arrays["distance"].axis is None and r.arrays["band_0"].axis == "distance"
    gap = r.checks["gap"]
    assert gap.kind == "value" and gap.verdict is None
    # eq 94: the direct gap at K is 2 |M - 3 sqrt3 t2 sin phi|; the path ends at K
    assert gap.details["direct_gap_min"] == pytest.approx(
        2 * abs(M - 3 * math.sqrt(3) * t2), abs=1e-12
    )
    assert [v["label"] for v in r.results["vertices"]] == ["G", "K"]
    assert r.all_units["k"] == "1/model" and not r.warnings


def test_bands_gap_has_no_value_without_half_filling() -> None:
    c = rep.band_gap_check(np.zeros((4, 3)))
    assert c.value is None and c.verdict is None and "no half filling" in c.explanation


def test_a_metallic_filling_is_refused_alike_by_berry_and_susceptibility() -> None:
    # phi = 0, t2 = 0.6: f0 = 2 t2 sum cos(k.b) lifts the valence band at Gamma (E_v = 3.6 - sqrt10)
    # above the conduction band at K (E_c = -1.8 + 1): indirect gap < 0, direct gap >= 2 M
    m = haldane(1.0, 0.6, 0.0, 1.0)
    errs = []
    for run in (
        lambda: rep.berry_report(m, (24, 24), include_maps=False),
        lambda: rep.orbital_susceptibility_report(m, (24, 24)),
    ):
        with pytest.raises(NotAnInsulator) as ei:
            run()
        errs.append(ei.value)
    exact = -1.8 + 1.0 - (3.6 - math.sqrt(10.0))
    for e in errs:
        assert e.gap == pytest.approx(exact, abs=1e-6) and "filling 1" in str(e)
        assert e.field == ("filling",)
    assert errs[0].gap == pytest.approx(errs[1].gap, abs=1e-9)  # shifts 0 and 0.5 alike
    ok = rep.gap_check(GapInfo(1, -1.0, 1.0, 2.0))
    assert ok.verdict is True and ok.value == pytest.approx(2.0) and ok.warning is None
    bad = rep.gap_check(GapInfo(1, 1.0, 0.5, 2.0))
    assert bad.verdict is False and "not an insulator at filling 1" in bad.warning


@pytest.mark.parametrize(("ratio", "chern"), [(0.5, 0), (1.5, 1), (-1.5, -1)])
def test_chern_integer_holds_on_the_haldane_phase_diagram(ratio: float, chern: int) -> None:
    M = 0.6
    r = rep.berry_report(haldane(1.0, ratio * TC * M, 0.5 * math.pi, M), (36, 36))
    c = r.checks["chern_integer"]
    assert c.verdict is True and c.details["chern"] == chern == r.results["chern_occupied"]
    assert c.details["max_plaquette_flux"] < 1.0  # far from pi: the lattice integer is trustworthy


def test_chern_integer_fails_on_a_non_integer_lattice_sum() -> None:
    c = rep.chern_integer_check(0.5)
    assert c.verdict is False and c.value == pytest.approx(0.5) and "not an integer" in c.warning
    assert rep.chern_integer_check(float("nan")).verdict is False


def test_curvature_integral_agrees_when_resolved_and_fails_when_the_peak_is_undersampled() -> None:
    m = haldane(1.0, 0.15, 0.5 * math.pi, 0.2)  # gap ~1.2: curvature smooth on a 60x60 grid
    good = rep.berry_report(m, (60, 60)).checks["curvature_integral"]
    assert good.verdict is True and good.value == pytest.approx(1.0, abs=0.05)
    # Fig. 4 parameters, K on the grid: gap 0.016, Omega ~ 1/gap^2 sampled at its peak
    bad = rep.berry_report(haldane(1.0, 0.04, 0.5 * math.pi, 0.2), (60, 60))
    c = bad.checks["curvature_integral"]
    assert c.verdict is False and abs(c.value - 1.0) > 1.0 and c.details["chern"] == 1
    assert c.warning in bad.warnings and bad.checks["chern_integer"].verdict is True
    # the reason, with numbers: K is a grid point, q0 = 0.0157 / 3 = 0.0052 < dk = 0.070
    assert c.details["band_edge_on_grid"] is True and "is a grid point" in c.warning
    assert c.details["half_width"] == pytest.approx(2 * abs(0.2 - 3 * math.sqrt(3) * 0.04) / 3)
    assert c.details["grid_needed"] > 60 and str(c.details["grid_needed"]) in c.warning
    assert bad.checks["chern_resolution"].verdict is True  # the FHS integer is resolved there


def test_grid_convergence_holds_for_a_wide_gap_and_fails_when_chi_2_moves() -> None:
    wide = rep.orbital_susceptibility_report(haldane(1.0, 0.1, 0.5 * math.pi, 1.0), (48, 48))
    assert wide.checks["grid_convergence"].verdict is True
    assert wide.checks["chi1_equals_chi2"].verdict is True
    edges = refine_band_edges(haldane(1.0, 0.1, 0.5 * math.pi, 1.0), (24, 24))
    c = rep.grid_convergence_check(-1.0, -1.1, (24, 24), (12, 12), edges)
    assert c.verdict is False and c.value == pytest.approx(0.1) and "[12, 12]" in c.warning
    # the reason names the band-edge width q0 = Delta0 / (2 v), v = 3 t a / 2 (eq 94 at K)
    assert c.details["half_width"] == pytest.approx(edges.direct_gap / 3.0, rel=1e-6)
    assert f"{edges.direct_gap / 3.0:.3g}" in c.warning
    r = rep.orbital_susceptibility_report(haldane(1.0, 1.5 * TC, 0.5 * math.pi, 1.0), (24, 24))
    g = r.checks["grid_convergence"]
    assert (
        g.details["grid_half"] == [12, 12]
        and g.value == r.results["convergence"]["relative_change"]
    )


def test_chi1_equals_chi2_only_judged_in_trivial_insulators() -> None:
    chern = rep.orbital_susceptibility_report(haldane(1.0, 1.5 * TC, 0.5 * math.pi, 1.0), (24, 24))
    c = chern.checks["chi1_equals_chi2"]
    assert chern.results["chern_occupied"] == 1
    assert c.verdict is None and "Chern insulator" in c.explanation and c.value > 0.1
    assert any("gauge" in w for w in chern.warnings)  # the note of the Chern phase
    broken = rep.chi1_chi2_check(-1.0, -1.1, 0)
    assert broken.verdict is False and broken.warning is not None


def test_susceptibility_report_si_block_and_chi1_skip_note() -> None:
    m = haldane(1.0, 0.1, 0.5 * math.pi, 1.0, 1.45)
    r = rep.orbital_susceptibility_report(
        m, (24, 24), energy_unit="eV", length_unit="angstrom", max_chi1_k_points=100
    )
    assert r.results["chi_1"] is None and "chi1_equals_chi2" not in r.checks
    assert any("chi_1 skipped" in w for w in r.warnings)
    e, hbar = 1.602176634e-19, 1.054571817e-34
    assert r.results["si"]["chi_2"] == pytest.approx(
        r.results["chi_2"]["total"] * e**3 * 1e-20 / hbar**2, rel=1e-12
    )
    plain = rep.orbital_susceptibility_report(m, (24, 24), include_chi1=False)
    assert "si" not in plain.results


def test_orbital_susceptibility_flags_an_unresolved_chern_number_like_berry() -> None:
    """Just above the Haldane transition on 61x61 the FHS integer comes out 0 (true +1): the
    susceptibility answer must not call the insulator trivial on it."""
    import math

    from core.crystal.model import haldane
    from core.crystal.reports import orbital_susceptibility_report

    m = 0.2
    model = haldane(t=1.0, t2=1.001 * m / (3 * math.sqrt(3)), phi=math.pi / 2, M=m)
    rep = orbital_susceptibility_report(model, (61, 61), shift=0.0)
    assert rep.checks["chern_resolution"].verdict is False
    assert rep.checks["chern_resolution"].warning is not None
    assert rep.checks["chi1_equals_chi2"].verdict is None
    assert "does not resolve" in rep.checks["chi1_equals_chi2"].explanation
