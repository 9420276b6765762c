"""The orbital susceptibility as a Brillouin-zone sum split into blocks of grid rows.

A sum over the k-grid is additive over any partition of the grid, so the report reduced from
the partial sums of row blocks (computed anywhere, in any order) must be the single-process report
up to the order of the floating-point additions: every result and every check value to 1e-12
relative, every verdict, warning and band-edge point alike (the band-edge samples merge exactly,
so the refinement starts from the same grid points). Quantities that vanish by symmetry (the
magnetisation of a time-reversal-symmetric model, chi_VV of two bands: round-off of sums of
terms of order 1, ~1e-19 here, and different in each process: numba's thread count changes the
order of a kernel's additions) are compared to 1e-15 absolute instead, in the model's units where
a non-vanishing result is 1e-3 or more; dimensionless relative differences of two chi's (the
grid_convergence and chi1_equals_chi2 values) to 1e-12 absolute, the accuracy their two chi's
agree to.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pytest
from numpy.typing import ArrayLike

from core.checks import Report
from core.crystal import reports as rep
from core.crystal import susceptibility as sus
from core.crystal.model import TightBindingModel, from_hoppings, haldane
from core.errors import NotAnInsulator
from tests.core.test_crystal_geometry import three_band

TC = 1.0 / (3.0 * math.sqrt(3.0))  # |t2 sin phi| / M at the Haldane transition
TRIVIAL = haldane(1.0, 0.5 * TC, 0.5 * math.pi, 1.0)
CHERN = haldane(1.0, 1.5 * TC, 0.5 * math.pi, 1.0)
#: relative-difference values: their chi's agree to 1e-12, so they do to 1e-12 absolute
RELATIVE_DIFFERENCES = (
    "relative_change",
    "relative_difference",
    "grid_convergence/value",
    "chi1_equals_chi2/value",
)


def _same(a: Any, b: Any, path: str = "") -> None:
    """Equal JSON trees; floats to 1e-12 relative (see the module docstring for the floors)."""
    if isinstance(a, Mapping):
        assert isinstance(b, Mapping) and set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(a, bool):
        assert isinstance(b, float), path
        if math.isnan(a):
            assert math.isnan(b), path
            return
        floor = 1e-12 if path.endswith(RELATIVE_DIFFERENCES) else 1e-15
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=floor), (path, a, b)
    else:
        assert a == b, (path, a, b)


def _same_report(a: Report, b: Report) -> None:
    meta_a, data_a = a.payload()
    meta_b, data_b = b.payload()
    _same(meta_a, meta_b, "meta")
    _same(data_a, data_b, "data")
    assert a.notes == b.notes


def _split(model: TightBindingModel, grid: tuple[int, ...], count: int, **kw: Any) -> Report:
    """The report from ``count`` blocks, each partial through a JSON round trip."""
    units = {k: kw.pop(k) for k in ("energy_unit", "length_unit") if k in kw}
    partials = [
        json.loads(json.dumps(rep.orbital_susceptibility_block(model, grid, i, count, **kw)))
        for i in range(count)
    ]
    return rep.orbital_susceptibility_reduce(model, grid, partials, **kw, **units)


# ---------------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grid", [(60, 60), (61, 37), (9, 5, 3)])
def test_every_plan_covers_each_row_of_both_grids_once_in_near_equal_blocks(
    grid: tuple[int, ...],
) -> None:
    half = rep.half_grid(grid)
    for count in range(1, grid[0] + half[0] + 1):
        plan = rep.orbital_susceptibility_plan(grid, count)
        assert len(plan) == count
        rows: dict[str, list[tuple[int, int]]] = {"grid": [], "half": []}
        for block in plan:
            for piece in block:
                rows[piece.grid].append((piece.start, piece.stop))
        for name, n0 in (("grid", grid[0]), ("half", half[0])):
            bounds = rows[name]
            assert bounds[0][0] == 0 and bounds[-1][1] == n0
            assert all(b[0] == a[1] for a, b in itertools.pairwise(bounds))
            sizes = [b - a for a, b in bounds]
            assert min(sizes) >= 1 and max(sizes) - min(sizes) <= 1
    with pytest.raises(ValueError):
        rep.orbital_susceptibility_plan(grid, grid[0] + half[0] + 1)


def test_block_count_is_one_for_a_small_grid_and_meets_the_target_for_a_large_one() -> None:
    assert rep.orbital_susceptibility_block_count((60, 60), 160_000) == 1
    # 800^2 = 4 x 160 000 points and the 400^2 half grid one block (settings.job_block_k_points)
    assert rep.orbital_susceptibility_block_count((800, 800), 160_000) == 5
    plan = rep.orbital_susceptibility_plan((800, 800), 5)
    points = [sum((p.stop - p.start) * (800 if p.grid == "grid" else 400) for p in b) for b in plan]
    assert points == [160_000] * 5
    # never more blocks than rows
    assert rep.orbital_susceptibility_block_count((3, 1000), 100) == 3 + 4


# ---------------------------------------------------------------------------------------------
# Band-edge samples: exact merge
# ---------------------------------------------------------------------------------------------


def test_edge_samples_of_row_blocks_merge_into_those_of_the_whole_grid_with_ties() -> None:
    rng = np.random.default_rng(3)
    # energies on a coarse lattice of values: many exact ties, broken by the grid index
    ev = np.round(rng.normal(size=600), 1)
    ec = ev + np.round(rng.uniform(0.5, 1.0, size=600), 1)
    whole = sus.EdgeSamples.of_energies(1, ev, ec, 0)
    for cuts in ([0, 600], [0, 7, 8, 300, 600], [0, *range(5, 600, 37), 600]):
        parts = [
            sus.EdgeSamples.of_energies(1, ev[a:b], ec[a:b], a) for a, b in itertools.pairwise(cuts)
        ]
        assert sus.EdgeSamples.merge(parts) == whole
    info = whole.gap_info()
    assert info.valence_max == ev.max() and info.conduction_min == ec.min()
    assert info.direct_gap_min == (ec - ev).min()
    # ties: the lowest grid indices of the extreme value, in index order
    top = np.flatnonzero(ev == ev.max())[: whole.starts]
    assert [i for i, _ in whole.valence[: top.size]] == list(top)


# ---------------------------------------------------------------------------------------------
# chi_2 and chi_1 sums
# ---------------------------------------------------------------------------------------------


def _stack(layer: TightBindingModel, c: float = 2.5, tz: float = 0.1) -> TightBindingModel:
    """Haldane layers stacked along z with spacing c and hopping tz on each orbital."""
    lat = np.zeros((3, 3))
    lat[:2, :2] = layer.lattice
    lat[2, 2] = c
    pos = np.concatenate([layer.positions, np.zeros((2, 1))], axis=1)
    hops: list[tuple[int, int, ArrayLike, complex]] = [
        (int(i), int(j), (*r, 0), complex(a))
        for i, j, r, a in zip(
            layer.hop_from, layer.hop_to, layer.hop_cell, layer.hop_amplitude, strict=True
        )
    ]
    hops += [(0, 0, (0, 0, 1), tz), (1, 1, (0, 0, 1), tz)]
    return from_hoppings(lat, pos, layer.onsite, hops)


@pytest.mark.parametrize(
    ("model", "grid", "method", "filling"),
    [
        (TRIVIAL, (60, 60), "two_band", None),
        (CHERN, (60, 60), "two_band", None),
        (three_band(scale=0.08), (24, 30), "quadrature", 2),
        (_stack(haldane(1.0, 0.1, 1.0, 1.0)), (30, 30, 6), "two_band", None),
    ],
)
def test_chi_2_of_row_blocks_adds_up_to_chi_2_of_the_grid(
    model: TightBindingModel,
    grid: tuple[int, ...],
    method: Literal["two_band", "quadrature"],
    filling: int | None,
) -> None:
    whole = sus.chi_2(model, grid, filling=filling)
    for count in (3, 7):
        cuts = [i * grid[0] // count for i in range(count + 1)]
        parts = [
            sus.chi2_partial(model, grid, (a, b), filling=filling, method=method)
            for a, b in itertools.pairwise(cuts)
        ]
        split = sus.chi2_reduce(model, grid, parts)
        assert split.chi == pytest.approx(whole.chi, rel=1e-12)
        for k, v in whole.parts.items():
            assert split.parts[k] == pytest.approx(v, rel=1e-12)
        assert split.magnetization == pytest.approx(whole.magnetization, rel=1e-12, abs=1e-15)
        assert split.gap == whole.gap  # extremes of the same numbers: exact
    if model.dim == 3:  # B along z leaves kz a spectator: chi_3D c = chi_2D (per volume)
        layer = sus.chi_2(haldane(1.0, 0.1, 1.0, 1.0), grid[:2])
        assert split.chi * 2.5 == pytest.approx(layer.chi, rel=1e-9)


def test_chi_1_of_row_blocks_adds_up_to_chi_1_of_the_grid() -> None:
    whole = sus.chi_1(CHERN, (60, 60))
    orb = sus.gauge_orbitals(CHERN)
    parts = [
        sus.chi1_partial(CHERN, (60, 60), (a, b), n_occ=1, orbitals=orb)
        for a, b in ((0, 13), (13, 14), (14, 60))
    ]
    split = sus.chi1_reduce(CHERN, (60, 60), parts, whole.gap)
    assert split.chi == pytest.approx(whole.chi, rel=1e-12)
    for k, v in whole.parts.items():
        assert split.parts[k] == pytest.approx(v, rel=1e-12, abs=1e-15)
    assert split.extra == whole.extra


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [TRIVIAL, CHERN], ids=["trivial", "chern"])
@pytest.mark.parametrize("include_chi1", [True, False])
def test_split_report_equals_the_single_report(
    model: TightBindingModel, include_chi1: bool
) -> None:
    kw: dict[str, Any] = {"include_chi1": include_chi1, "energy_unit": "eV", "length_unit": "nm"}
    single = rep.orbital_susceptibility_report(model, (60, 60), **kw)
    assert single.checks["gap"].verdict is True
    assert (single.results["chi_1"] is not None) is include_chi1
    for count in (3, 7):
        _same_report(_split(model, (60, 60), count, **kw), single)


@pytest.mark.parametrize("filling", [1, 2])
def test_split_report_of_a_three_band_model_equals_the_single_report(filling: int) -> None:
    model = three_band(scale=0.08)
    single = rep.orbital_susceptibility_report(model, (24, 30), filling=filling)
    assert single.checks["chi1_equals_chi2"].verdict is True  # trivial: chi_1 = chi_2
    for count in (3, 7):
        _same_report(_split(model, (24, 30), count, filling=filling), single)


def test_split_report_of_a_3d_stack_equals_the_single_report() -> None:
    stack = _stack(haldane(1.0, 0.1, 1.0, 1.0))
    single = rep.orbital_susceptibility_report(stack, (30, 30, 6))
    assert single.results["chern_occupied"] is None and single.results["chi_1"] is None
    for count in (3, 7):
        _same_report(_split(stack, (30, 30, 6), count), single)


def test_split_report_keeps_an_unresolved_chern_number_unresolved() -> None:
    """Just above the transition on 61x61 (shift 0) the FHS integer is not resolved; the
    split answer must judge it alike (and not call the insulator trivial)."""
    m = 0.2
    model = haldane(t=1.0, t2=1.001 * m / (3 * math.sqrt(3)), phi=math.pi / 2, M=m)
    single = rep.orbital_susceptibility_report(model, (61, 61), shift=0.0)
    assert single.checks["chern_resolution"].verdict is False
    assert single.checks["grid_convergence"].verdict is False
    _same_report(_split(model, (61, 61), 5, shift=0.0), single)


def test_blocks_run_in_any_order_give_the_same_report() -> None:
    count = 7
    blocks = list(range(count))
    random.Random(5).shuffle(blocks)
    done = {i: rep.orbital_susceptibility_block(CHERN, (60, 60), i, count) for i in blocks}
    in_order = [rep.orbital_susceptibility_block(CHERN, (60, 60), i, count) for i in range(count)]
    assert [done[i] for i in range(count)] == in_order  # each block is deterministic
    shuffled = rep.orbital_susceptibility_reduce(CHERN, (60, 60), [done[i] for i in range(count)])
    _same_report(shuffled, rep.orbital_susceptibility_report(CHERN, (60, 60)))


def test_partials_are_plain_json_and_survive_the_round_trip_exactly() -> None:
    part = rep.orbital_susceptibility_block(TRIVIAL, (60, 60), 1, 3)
    text = json.dumps(part, allow_nan=False)  # ints, floats, lists, strings, None only
    assert json.loads(text) == part


def test_reduce_refuses_partials_that_do_not_tile_the_grid() -> None:
    parts = [rep.orbital_susceptibility_block(TRIVIAL, (60, 60), i, 3) for i in range(3)]
    for bad in ([parts[1], parts[0], parts[2]], parts[:2], [parts[0], parts[0], parts[2]]):
        with pytest.raises(ValueError, match="tile"):
            rep.orbital_susceptibility_reduce(TRIVIAL, (60, 60), bad)
    with pytest.raises(ValueError, match="grid"):
        rep.orbital_susceptibility_reduce(TRIVIAL, (62, 60), parts)


@pytest.mark.parametrize(
    ("model", "filling"),
    [(haldane(1.0, 0.6, 0.0, 1.0), None), (three_band(), 1)],
    ids=["two_band", "quadrature"],
)
def test_a_metal_is_refused_alike_split_and_single(
    model: TightBindingModel, filling: int | None
) -> None:
    errors = []
    for run in (
        lambda: rep.orbital_susceptibility_report(model, (24, 24), filling=filling),
        lambda: _split(model, (24, 24), 4, filling=filling),
    ):
        with pytest.raises(NotAnInsulator) as ei:
            run()
        errors.append(ei.value)
    single, split = errors
    assert str(split) == str(single) and split.field == single.field == ("filling",)
    assert split.gap == single.gap < 0
