"""The q^2 conductivity and chi_M(w) reports as Brillouin-zone sums split into blocks of grid rows.

Every sum of the two reports (the kernel, chi_2 and chi_M on the grid; the kernel or chi_M on the
half grid for the convergence and parity checks) is a sum of per-k terms, so the report reduced
from the partial sums of row blocks (each through the JSON bytes a job stores) must be the
single-process report up to the order of the floating-point additions: results, arrays and check
values to 1e-12 relative, verdicts, warnings and notes alike.

Two kinds of numbers are compared with an absolute tolerance instead, because a relative one
would test rounding noise, not the split:

* check values that are relative differences of two nearly equal sums (the f-sum residual
  K0/diamagnetic, the parity residual sigma(w) vs sigma(-w), the static-limit error sigma_L(0)
  vs -chi_2, chi_M(0) vs chi_2, the convergence change): a reordering changes each sum by
  ~1e-16 of its size, so these values move by ~1e-16 absolute, any fraction of themselves when
  they are themselves at rounding level. Compared to 1e-12 absolute.
* components that are small against their tensor (sigma_L^{xzx} vanishes at w = 0 and is
  1e-12 of sigma_L^{xzy} below the gap; sigma_K at w = 0 with time reversal): compared to
  1e-12 of the largest component of the same tensor (sigma_L, sigma_K, chi_M), the rounding
  scale of the sums they come from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import orjson
import pytest

from core.checks import Report
from core.crystal import response_report as rr
from core.crystal.model import haldane
from core.crystal.reports import orbital_susceptibility_plan
from core.errors import NotAnInsulator
from tests.core.test_crystal_response_3d import INTERLAYER, LAYER_BROKEN_TRS, stack

TRIVIAL = haldane(t=3.0, t2=0.0, M=3.0)
BROKEN_TRS = haldane(t=3.0, t2=0.3, M=3.0, phi=0.7)
STACK = stack(LAYER_BROKEN_TRS, INTERLAYER)  # 3D, no time reversal, interlayer hopping
OMEGA = np.array([0.0, 1.0, 3.0, 5.5, 6.1, 9.0])
ETA = 0.1
Q2_KW: dict[str, Any] = {
    "sigma_l": ("xzy", "yzx", "xzx"),
    "sigma_k": ("xxxx", "yxxy"),
    "include_chi_m": True,
}

#: check values and results that are relative differences of nearly equal sums
RELATIVE_DIFFERENCES = ("/value", "relative_change")
RTOL = 1e-12


def _same(a: Any, b: Any, path: str, floor: float = 0.0) -> None:
    """Equal trees; floats to 1e-12 relative with an absolute ``floor``."""
    if isinstance(a, Mapping):
        assert isinstance(b, Mapping) and set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}/{k}", floor)
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]", floor)
    elif isinstance(a, float | complex) and not isinstance(a, bool):
        assert isinstance(b, float | complex), path
        assert math.isfinite(abs(a)), path
        assert abs(a - b) <= RTOL * abs(b) + floor, (path, a, b)
    else:
        assert a == b, (path, a, b)


def _family(name: str) -> str:
    return name.split("_")[0] + "_" + name.split("_")[1] if "_" in name else name


def _same_report(a: Report, b: Report) -> None:
    """The split report ``a`` equals the single report ``b`` (module docstring tolerances)."""
    assert list(a.arrays) == list(b.arrays)
    scale: dict[str, float] = {}
    for name, s in b.arrays.items():
        fam = _family(name)
        scale[fam] = max(scale.get(fam, 0.0), float(np.max(np.abs(s.values))))
    for name, s in a.arrays.items():
        t = b.arrays[name]
        assert (s.quantity, s.unit, s.axis) == (t.quantity, t.unit, t.axis), name
        if name == "frequencies":
            np.testing.assert_array_equal(s.values, t.values)
            continue
        np.testing.assert_allclose(
            s.values, t.values, rtol=RTOL, atol=RTOL * scale[_family(name)], err_msg=name
        )
    assert list(a.checks) == list(b.checks)
    for name, c in a.checks.items():
        d = b.checks[name]
        assert (c.verdict, c.kind, c.equation, c.explanation, c.tolerance) == (
            d.verdict,
            d.kind,
            d.equation,
            d.explanation,
            d.tolerance,
        ), name
        assert c.value is not None and d.value is not None
        _same(c.value, d.value, f"checks/{name}/value", 1e-12)
        _same(dict(c.details), dict(d.details), f"checks/{name}/details")
    chi = abs(float(b.results["chi_static"]))
    for key in a.results:
        floor = 0.0
        if key == "sigma_L_static":
            floor = RTOL * chi  # xzx, yzy vanish: rounding of chi's scale
        elif key == "convergence":
            floor = 1e-12
        _same(a.results[key], b.results[key], f"results/{key}", floor)
    assert set(a.results) == set(b.results)
    assert a.notes == b.notes and a.warnings == b.warnings and a.units == b.units


def _json(part: dict[str, Any]) -> dict[str, Any]:
    """A partial through the bytes a job stores (orjson: shortest round-trip floats)."""
    out = orjson.loads(orjson.dumps(part))
    assert isinstance(out, dict)
    return out


def _split_q2(model, grid, count: int, **kw: Any) -> Report:
    parts = [
        _json(rr.q2_conductivity_block(model, grid, OMEGA, ETA, i, count, **kw))
        for i in range(count)
    ]
    return rr.q2_conductivity_reduce(model, grid, OMEGA, ETA, parts, **kw)


def _split_chi(model, grid, count: int) -> Report:
    parts = [
        _json(rr.magnetic_susceptibility_block(model, grid, OMEGA, ETA, i, count))
        for i in range(count)
    ]
    return rr.magnetic_susceptibility_reduce(model, grid, OMEGA, ETA, parts)


@pytest.mark.parametrize("count", [3, 7, 20])
@pytest.mark.parametrize("model", [TRIVIAL, BROKEN_TRS], ids=["trs", "broken-trs"])
def test_split_q2_report_equals_the_single_report(model, count):
    """60 x 60 (half grid 30 x 30): 3 blocks = 2 of the grid + 1 of the half grid, 7 = 6 + 1,
    20 = 16 (3 or 4 rows) + 4 of the half grid (7 or 8 rows, so the parity and convergence sums
    are split too)."""
    grid = (60, 60)
    if count == 20:
        plan = orbital_susceptibility_plan(grid, count)
        assert sum(b.grid == "half" for blk in plan for b in blk) == 4
    single = rr.q2_conductivity_report(model, grid, OMEGA, ETA, **Q2_KW)
    _same_report(_split_q2(model, grid, count, **Q2_KW), single)
    assert single.checks["static_limit"].verdict is True
    assert single.checks["f_sum_rule"].verdict is True


@pytest.mark.parametrize("count", [3, 7, 20])
def test_split_chi_m_report_equals_the_single_report(count):
    grid = (60, 60)
    single = rr.magnetic_susceptibility_report(TRIVIAL, grid, OMEGA, ETA)
    _same_report(_split_chi(TRIVIAL, grid, count), single)
    assert single.checks["static_limit"].verdict is True
    assert single.checks["frequency_parity"].verdict is True


@pytest.mark.parametrize("count", [4, 8])
def test_split_reports_of_a_3d_model_equal_the_single_reports(count):
    """(20, 20, 4), half grid (10, 10, 4): 4 blocks = the grid's 20 rows in 6, 7, 7 + the half
    grid in one; 8 blocks = 6 of the grid (3 or 4 rows) + 2 of the half grid. Both reports."""
    grid = (20, 20, 4)
    plan = orbital_susceptibility_plan(grid, count)
    rows = {
        w: [b.stop - b.start for blk in plan for b in blk if b.grid == w] for w in ("grid", "half")
    }
    assert rows == (
        {"grid": [6, 7, 7], "half": [10]}
        if count == 4
        else {"grid": [3, 3, 4, 3, 3, 4], "half": [5, 5]}
    )
    single = rr.q2_conductivity_report(STACK, grid, OMEGA, ETA, **Q2_KW)
    _same_report(_split_q2(STACK, grid, count, **Q2_KW), single)
    assert rr.THREE_D_NOTE in single.notes
    single_chi = rr.magnetic_susceptibility_report(STACK, grid, OMEGA, ETA)
    _same_report(_split_chi(STACK, grid, count), single_chi)


def test_sigma_k_alone_and_no_chi_m_splits_alike():
    """Without sigma_L components (xzy still evaluated for the static check) and without chi_M."""
    kw: dict[str, Any] = {"sigma_l": (), "sigma_k": ("xxxy",)}
    grid = (40, 40)
    single = rr.q2_conductivity_report(BROKEN_TRS, grid, OMEGA, ETA, **kw)
    _same_report(_split_q2(BROKEN_TRS, grid, 5, **kw), single)
    assert "chi_M" not in single.arrays


def test_block_count_is_one_for_a_small_grid_and_meets_the_target_for_a_large_one():
    assert rr.response_block_count((60, 60), 160_000) == 1
    assert rr.response_block_count((20, 20, 4), 160_000) == 1
    # the Fig. 5 preset: 4 blocks of 160 000 k-points of the grid, the half grid in one
    assert rr.response_block_count((800, 800), 160_000) == 4 + 1
    assert rr.response_block_count((60, 60), 1000) == 4 + 1


def test_reduce_refuses_partials_that_do_not_tile_the_grid():
    grid = (24, 24)
    parts = [
        _json(rr.q2_conductivity_block(TRIVIAL, grid, OMEGA, ETA, i, 3, **Q2_KW)) for i in range(3)
    ]
    with pytest.raises(ValueError, match="tile"):
        rr.q2_conductivity_reduce(TRIVIAL, grid, OMEGA, ETA, parts[1:], **Q2_KW)
    with pytest.raises(ValueError):
        rr.q2_conductivity_reduce(TRIVIAL, (30, 30), OMEGA, ETA, parts, **Q2_KW)
    with pytest.raises(ValueError, match="block 3 of 3"):
        rr.q2_conductivity_block(TRIVIAL, grid, OMEGA, ETA, 3, 3, **Q2_KW)


@pytest.mark.parametrize("which", ["q2", "chi_m"])
def test_a_gapless_model_is_refused_alike_split_and_single(which: str):
    """Graphene (M = 0) on a grid through K (shift 0, n divisible by 3): the same refusal with
    the same message, split or not."""
    graphene = haldane(t=3.0, t2=0.0, M=0.0)
    grid = (30, 30)
    block: Callable[..., dict[str, Any]] = (
        rr.q2_conductivity_block if which == "q2" else rr.magnetic_susceptibility_block
    )
    reduce: Callable[..., Report] = (
        rr.q2_conductivity_reduce if which == "q2" else rr.magnetic_susceptibility_reduce
    )
    report: Callable[..., Report] = (
        rr.q2_conductivity_report if which == "q2" else rr.magnetic_susceptibility_report
    )
    with pytest.raises(NotAnInsulator) as single_error:
        report(graphene, grid, OMEGA, ETA, shift=0.0)
    parts = [_json(block(graphene, grid, OMEGA, ETA, i, 3, shift=0.0)) for i in range(3)]
    with pytest.raises(NotAnInsulator) as split_error:
        reduce(graphene, grid, OMEGA, ETA, parts)
    assert str(split_error.value) == str(single_error.value)
