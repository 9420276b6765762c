"""Band edges between grid points and the grid resolution of the FHS Chern number.

Reference: :data:`core.references.DUFF_SIPE`, Haldane model eqs 93-94 (gap 2|M -+ 3 sqrt3 t2 sin phi|
at K / K'); T. Fukui, Y. Hatsugai, H. Suzuki, J. Phys. Soc. Jpn. 74, 1674 (2005) (lattice
Chern number). Criterion and its derivation: :mod:`core.crystal.edges`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from core.crystal import edges, geometry
from core.crystal import reports as rep
from core.crystal.model import haldane

S3 = math.sqrt(3.0)


@pytest.mark.parametrize(("t2", "phi", "M"), [(0.04, 0.5 * math.pi, 0.2), (0.1, 1.0, 0.3)])
def test_gap_at_K_and_Kp_is_twice_the_dirac_mass(t2: float, phi: float, M: float) -> None:
    b = edges.refine_band_edges(haldane(1.0, t2, phi, M), (12, 12))
    # eq 94: f_x = f_y = 0 at K, K'; f_z = M -+ 3 sqrt3 t2 sin phi; gap 2 |f_z| (factor 2)
    assert b.exact_points["K"] == pytest.approx(2 * abs(M - 3 * S3 * t2 * math.sin(phi)), abs=1e-12)
    assert b.exact_points["K'"] == pytest.approx(
        2 * abs(M + 3 * S3 * t2 * math.sin(phi)), abs=1e-12
    )


def test_refinement_finds_the_gap_between_grid_points_without_the_closed_form() -> None:
    M = 0.2
    m = haldane(1.0, 1.001 * M / (3 * S3), 0.5 * math.pi, M)
    custom = replace(m, name="custom")  # no K/K' shortcut: the local minimisation alone
    b = edges.refine_band_edges(custom, (61, 61))
    assert b.grid_direct_gap > 0.1  # K is not a grid point of 61x61
    assert b.direct_gap == pytest.approx(2 * abs(M - 1.001 * M), rel=1e-6)  # 4e-4
    assert b.velocity == pytest.approx(1.5, rel=1e-6)  # Dirac velocity 3 t a / 2


def test_acceptance_just_above_the_critical_point_on_61x61_warns_that_the_gap_is_unresolved() -> (
    None
):
    M = 0.2
    r = rep.berry_report(haldane(1.0, 1.001 * M / (3 * S3), 0.5 * math.pi, M), (61, 61))
    c = r.checks["chern_resolution"]
    assert r.results["chern_occupied"] != 1  # the lattice integer is wrong here (true C = +1) ...
    assert c.verdict is False and c.warning in r.warnings  # ... and the report says so
    assert c.value == pytest.approx(4e-4, rel=1e-6) and c.details["grid_needed"] > 61
    assert r.checks["gap"].details["direct_gap_at"]["K"] == pytest.approx(4e-4, rel=1e-6)
    # on the grid it asks for, the integer is right
    n = c.details["grid_needed"]
    assert geometry.chern_fhs(haldane(1.0, 1.001 * M / (3 * S3), 0.5 * math.pi, M), n).occupied == 1


@pytest.mark.parametrize("M", [0.2, 1.0, 2.0])
def test_every_wrong_fhs_integer_is_flagged_by_the_criterion(M: float) -> None:
    tc = M / (3 * S3)
    wrong = 0
    for r in (1.001, 1.01, 1.03, 1.1, -1.03):
        m = haldane(1.0, r * tc, 0.5 * math.pi, M)
        true = 1 if r > 0 else -1
        for n in (7, 11, 20, 31, 49):
            b = edges.refine_band_edges(m, (n, n))
            c = geometry.chern_fhs(m, n).occupied
            if c != true:
                wrong += 1
                assert not b.fhs_resolved, (M, r, n)
                # the margin: wrong integers sit below 0.2 lambda dk^2 (C = 1 is 5x that)
                assert b.direct_gap < 0.2 * b.mass_curvature * b.grid_step**2
    assert wrong >= 3  # the scan does contain wrong lattice integers (the test can fail)


def test_the_criterion_passes_resolved_chern_phases() -> None:
    b = edges.refine_band_edges(haldane(1.0, 0.04, 0.5 * math.pi, 0.2), (60, 60))
    assert b.fhs_resolved and b.direct_gap / b.fhs_resolution > 4
