"""The split of ``crystal-orbital-susceptibility`` into k-point blocks (app/routers/crystal.py).

Issue 13's acceptance: a split Brillouin-zone sum over 2 workers equals the single-process
result to 1e-12 relative. Here the blocks run in two spawned worker processes (the body and the
settings travel pickled, the partials as the JSON bytes a job stores), the reduction in this one,
and the report equals the computation's unsplit ``run``: results and check values to 1e-12
relative (quantities that vanish by symmetry to 1e-15 absolute, the dimensionless relative
differences of two chi's to 1e-12 absolute), verdicts, warnings and notes alike.
"""

from __future__ import annotations

import copy
import math
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import orjson
import pytest

from app.computations import get
from app.presets import all_presets
from app.schemas.crystal import SusceptibilityRequest
from app.settings import Settings
from core.errors import InvalidInput, NotAnInsulator
from tests.core.test_crystal_split import _same_report

NAME = "crystal-orbital-susceptibility"


def _settings(block_k_points: int = 160_000) -> Settings:
    return Settings(redis_url=None, compute_backend="thread", job_block_k_points=block_k_points)


def _body(n: int = 160, **model: Any) -> SusceptibilityRequest:
    """The haldane-hbn-susceptibility preset (t = M = 3 eV, t2 = 0) on an n x n grid."""
    body = copy.deepcopy(all_presets()["haldane-hbn-susceptibility"].body)
    body["grid"]["n"] = [n, n]
    body["model"].update(model)
    return SusceptibilityRequest.model_validate(body)


def test_the_susceptibility_computation_can_be_split() -> None:
    comp = get(NAME)
    assert comp.split is not None
    for f in (comp.split.plan, comp.split.block, comp.split.reduce):
        assert pickle.loads(pickle.dumps(f)) is f  # module-level: workers find them


def test_plan_is_one_block_for_a_small_grid_and_counts_blocks_from_the_setting() -> None:
    split = get(NAME).split
    assert split is not None
    assert split.plan(_body(160), _settings()) == 1  # 160^2 + 80^2 points <= 160 000
    assert split.plan(_body(800), _settings()) == 5  # 4 blocks of the grid, 1 of the half grid
    assert split.plan(_body(160), _settings(8_000)) == 4 + 1
    body = _body(160).model_copy(update={"grid": _body(160).grid.model_copy(update={"n": [8]})})
    assert split.plan(body, _settings(16)) == 1  # wrong dimension: run's 422, not a split


def test_split_over_two_worker_processes_equals_the_single_process_report() -> None:
    body, settings = _body(96), _settings(3_000)
    split = get(NAME).split
    assert split is not None
    count = split.plan(body, settings)
    assert count == 4 + 1
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        # a worker imports the router module by the function's name; blocks are submitted
        # last first and the reduction still gets them in block order
        futures = {
            i: pool.submit(split.block, body, settings, i, count) for i in reversed(range(count))
        }
        partials = [futures[i].result() for i in range(count)]
    report = split.reduce(body, settings, partials)
    single = get(NAME).run(body, settings)
    _same_report(report, single)
    assert report.checks["chi1_equals_chi2"].verdict is True  # trivial phase: chi_1 = chi_2
    assert report.results["si"]["chi_2"] < 0  # diamagnetic


def test_a_chern_insulator_without_chi1_splits_alike_in_this_process() -> None:
    body = _body(64, t2=3.0 * 1.5 / (3 * math.sqrt(3)), M=3.0)
    body = body.model_copy(update={"include_chi1": False})
    settings = _settings(700)
    split = get(NAME).split
    assert split is not None
    count = split.plan(body, settings)
    assert count == 6 + 2
    partials = [split.block(body, settings, i, count) for i in range(count)]
    assert all(isinstance(orjson.loads(p), dict) for p in partials)
    report = split.reduce(body, settings, partials)
    _same_report(report, get(NAME).run(body, settings))
    assert report.results["chern_occupied"] == 1 and report.results["chi_1"] is None


def test_blocks_and_reduce_refuse_bad_input_like_run() -> None:
    split = get(NAME).split
    assert split is not None
    settings = _settings(700)
    metal = SusceptibilityRequest.model_validate(
        {
            "model": {"kind": "haldane", "t": 1.0, "t2": 0.6, "phi": 0.0, "M": 1.0},
            "grid": {"n": [24, 24]},
        }
    )
    partials = [split.block(metal, settings, i, 2) for i in range(2)]
    with pytest.raises(NotAnInsulator) as split_error:
        split.reduce(metal, settings, partials)
    with pytest.raises(NotAnInsulator) as run_error:
        get(NAME).run(metal, settings)
    assert str(split_error.value) == str(run_error.value)
    flat = metal.model_copy(update={"grid": metal.grid.model_copy(update={"n": [24]})})
    with pytest.raises(InvalidInput):
        split.block(flat, settings, 0, 2)
