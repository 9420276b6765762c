"""Crystalline insulators: bands, Berry geometry, orbital susceptibility.

Thin handlers: validate -> limits (413 naming the setting) -> core model -> the report of
:mod:`core.crystal.reports` (all checks, verdicts and warnings live there). Reference:
:data:`core.references.DUFF_SIPE`.
"""

from __future__ import annotations

import numpy as np
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.computations import Split, computation
from app.errors import COMPUTE_RESPONSES
from app.media import build_model, check_model_size
from app.schemas.crystal import (
    BandsRequest,
    BandsResponse,
    BerryRequest,
    BerryResponse,
    HaldaneSpec,
    KGrid,
    SusceptibilityRequest,
    SusceptibilityResponse,
    TightBindingSpec,
)
from app.service import FormatQuery, ServiceDep
from app.settings import Settings
from core.checks import Report
from core.crystal import bloch, reports
from core.crystal.model import MODEL_NAME, MODEL_VERSION, TightBindingModel
from core.errors import InvalidInput, LimitExceeded

router = APIRouter(prefix="/v1/crystal", tags=["crystal"])


def _model_dim(spec: HaldaneSpec | TightBindingSpec) -> int:
    """The dimension of the model a spec builds (the Haldane model is 2D)."""
    return 2 if isinstance(spec, HaldaneSpec) else len(spec.lattice)


def _k_point_limit(grid: KGrid, settings: Settings) -> None:
    """413 naming ``max_k_points`` for a k-grid over the limit (before any work)."""
    total = int(np.prod(grid.n))
    if total > settings.max_k_points:
        raise LimitExceeded(
            f"{total} k-points; the limit is {settings.max_k_points}",
            limit_name="max_k_points",
            limit=settings.max_k_points,
            requested=total,
            field=("grid", "n"),
            fix="use a coarser grid",
        )


def _grid_sizes(grid: KGrid, model: TightBindingModel, settings: Settings) -> tuple[int, ...]:
    if len(grid.n) != model.dim:
        raise InvalidInput(
            f"the grid has {len(grid.n)} sizes but the model is {model.dim}-dimensional",
            field=("grid", "n"),
        )
    _k_point_limit(grid, settings)
    return tuple(grid.n)


def _require_2d(model: TightBindingModel, what: str) -> None:
    if model.dim != 2:
        raise InvalidInput(f"{what} is implemented for 2D models", field=("model", "lattice"))


def _bands_limits(body: BandsRequest, settings: Settings) -> None:
    """413 naming the setting for a model, path or k-grid over its limit (sizes only)."""
    check_model_size(body.model, settings)
    if body.path is not None:
        if body.path.num > settings.max_k_points:
            raise LimitExceeded(
                f"{body.path.num} path points; the limit is {settings.max_k_points}",
                limit_name="max_k_points",
                limit=settings.max_k_points,
                requested=body.path.num,
                field=("path", "num"),
                fix="ask for fewer points",
            )
    elif body.grid is not None and len(body.grid.n) == _model_dim(body.model):
        _k_point_limit(body.grid, settings)  # a dimension mismatch is run's 422


def _grid_limits(body: BerryRequest | SusceptibilityRequest, settings: Settings) -> None:
    """413 naming the setting for a model or k-grid over its limit (sizes only)."""
    check_model_size(body.model, settings)
    if len(body.grid.n) == _model_dim(body.model):
        _k_point_limit(body.grid, settings)  # a dimension mismatch is run's 422


@computation(
    "crystal-bands", BandsRequest, model=MODEL_NAME, version=MODEL_VERSION, check=_bands_limits
)
def crystal_bands(body: BandsRequest, settings: Settings) -> Report:
    """The report of :func:`bands` (runs in the compute pool)."""
    model = build_model(body.model, settings)
    spec = body.model
    if body.path is not None:
        for i, p in enumerate(body.path.points):
            if len(p.k) != model.dim:
                raise InvalidInput(
                    f"path point {i} has {len(p.k)} components, expected {model.dim}",
                    field=("path", "points", i, "k"),
                )
        path = body.path
        return reports.bands_report(
            model,
            path=[p.k for p in path.points],
            labels=[p.label for p in path.points],
            frame=path.frame,
            num=path.num,
            energy_unit=spec.energy_unit,
            length_unit=spec.length_unit,
        )
    assert body.grid is not None
    grid = body.grid
    _grid_sizes(grid, model, settings)
    return reports.bands_report(
        model,
        grid=tuple(grid.n),
        shift=grid.shift,
        energy_unit=spec.energy_unit,
        length_unit=spec.length_unit,
    )


@computation(
    "crystal-berry", BerryRequest, model=MODEL_NAME, version=MODEL_VERSION, check=_grid_limits
)
def crystal_berry(body: BerryRequest, settings: Settings) -> Report:
    """The report of :func:`berry` (runs in the compute pool)."""
    model = build_model(body.model, settings)
    _require_2d(model, "the Berry curvature map and Chern number")
    ns = _grid_sizes(body.grid, model, settings)
    bloch.occupied_count(model, body.filling)  # 422 on a filling that is not 1..N-1
    return reports.berry_report(
        model,
        ns,
        filling=body.filling,
        shift=body.grid.shift,
        include_maps=body.include_maps,
        max_k_points=settings.max_k_points,
        energy_unit=body.model.energy_unit,
        length_unit=body.model.length_unit,
    )


def _susceptibility_model(
    body: SusceptibilityRequest, settings: Settings
) -> tuple[TightBindingModel, tuple[int, ...]]:
    """The model and grid of a susceptibility body (422 on a bad grid or filling)."""
    model = build_model(body.model, settings)
    ns = _grid_sizes(body.grid, model, settings)
    bloch.occupied_count(model, body.filling)
    return model, ns


def susceptibility_plan(body: SusceptibilityRequest, settings: Settings) -> int:
    """Blocks of about ``job_block_k_points`` k-points of the grid and its half grid (1: do not
    split); sizes only. A grid that does not match the model's dimension is run's 422."""
    if len(body.grid.n) != _model_dim(body.model):
        return 1
    return reports.orbital_susceptibility_block_count(body.grid.n, settings.job_block_k_points)


def susceptibility_block(
    body: SusceptibilityRequest, settings: Settings, index: int, count: int
) -> bytes:
    """The partial sums of block ``index`` of ``count`` (JSON; floats in shortest round-trip
    form, so the reduction sees the block's numbers exactly)."""
    model, ns = _susceptibility_model(body, settings)
    return orjson.dumps(
        reports.orbital_susceptibility_block(
            model,
            ns,
            index,
            count,
            filling=body.filling,
            shift=body.grid.shift,
            include_chi1=body.include_chi1,
            max_k_points=settings.max_k_points,
            max_chi1_k_points=settings.max_chi1_k_points,
        )
    )


def susceptibility_reduce(
    body: SusceptibilityRequest, settings: Settings, partials: list[bytes]
) -> Report:
    """The report from every block's partials (block order): the report of the unsplit run."""
    model, ns = _susceptibility_model(body, settings)
    return reports.orbital_susceptibility_reduce(
        model,
        ns,
        [orjson.loads(p) for p in partials],
        filling=body.filling,
        shift=body.grid.shift,
        include_chi1=body.include_chi1,
        max_k_points=settings.max_k_points,
        max_chi1_k_points=settings.max_chi1_k_points,
        energy_unit=body.model.energy_unit,
        length_unit=body.model.length_unit,
    )


@computation(
    "crystal-orbital-susceptibility",
    SusceptibilityRequest,
    model=MODEL_NAME,
    version=MODEL_VERSION,
    check=_grid_limits,
    split=Split(susceptibility_plan, susceptibility_block, susceptibility_reduce),
)
def crystal_orbital_susceptibility(body: SusceptibilityRequest, settings: Settings) -> Report:
    """The report of :func:`orbital_susceptibility` (runs in the compute pool)."""
    model, ns = _susceptibility_model(body, settings)
    return reports.orbital_susceptibility_report(
        model,
        ns,
        filling=body.filling,
        shift=body.grid.shift,
        include_chi1=body.include_chi1,
        max_k_points=settings.max_k_points,
        max_chi1_k_points=settings.max_chi1_k_points,
        energy_unit=body.model.energy_unit,
        length_unit=body.model.length_unit,
    )


@router.post("/bands", response_model=BandsResponse, responses=COMPUTE_RESPONSES)
async def bands(
    body: BandsRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Band energies E_n(k) of a tight-binding model along a k-path or on a grid.

    H(k) in the atomic convention (eq 95), diagonalised in closed form for two bands and with
    batched LAPACK otherwise. The model is the Haldane shortcut (eqs 93-94) or a general list of
    hoppings. Returns ``kx``, ``ky`` (and ``kz``), ``energies`` (one row per k) and, for CSV, one
    column ``band_<n>`` per band; a path also returns the cumulative ``distance`` and ``vertices``.
    The check ``gap`` reports the gap at half filling on the sampled points (no verdict).
    """
    return await svc.respond(request, crystal_bands, body, fmt=format)


@router.post(
    "/berry",
    response_model=BerryResponse,
    responses=COMPUTE_RESPONSES,
)
async def berry(
    body: BerryRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Berry curvature, quantum metric and Chern numbers on a 2D k-grid.

    Curvature in the Kubo form Omega_n = -2 Im sum_m v^x_nm v^y_mn / (E_n - E_m)^2 (velocities eq
    106, Berry connection eq 107), metric g^ab_n = Re sum_m v^a_nm v^b_mn / (E_n - E_m)^2. Chern
    numbers by the Fukui-Hatsugai-Suzuki lattice method (integers by construction), per band and
    for the occupied bands, with C = (1/2pi) int Omega. A model whose gap at the filling closes on
    the grid gets 422 not-an-insulator with the gap. Checks: ``gap``, ``chern_integer`` and, with
    the maps, ``curvature_integral`` (the grid integral of the curvature against the integer).
    """
    return await svc.respond(request, crystal_berry, body, fmt=format)


@router.post(
    "/orbital-susceptibility",
    response_model=SusceptibilityResponse,
    responses=COMPUTE_RESPONSES,
)
async def orbital_susceptibility(
    body: SusceptibilityRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Static orbital magnetic susceptibility chi^zz of an insulator (spinless, T = 0).

    ``chi_2``: explicitly gauge-invariant evaluation (the purified form, eqs 83-84): second order of
    the grand potential of the Peierls Hamiltonian, written with velocity (eq 106) and Hessian (eq
    103) matrix elements and exact residues; parts by operator content. ``chi_1``: eqs 70-73
    (chi_VV + chi_occ + chi_geo, Hessian in place of hbar^2/m) with the diagonal Berry connections
    in the paper's gauge (eqs 98-101); equal to chi_2 in trivial insulators, gauge dependent in
    Chern insulators (the paper's Fig. 6). Per unit area in 2D, natural units e^2 E_u L_u^2 / hbar^2
    (E_u, L_u the model's units); ``si`` in A^2 m^2 / J when the units are physical. The
    convergence estimate compares the grid with one of about half the size (check
    ``grid_convergence``); ``chi1_equals_chi2`` compares the two evaluations in trivial insulators.
    """
    return await svc.respond(request, crystal_orbital_susceptibility, body, fmt=format)
