"""Frequency-dependent crystal response: chi_M(w) and the q^2 effective conductivity (Duff & Sipe
secs. VI-VII, Fig. 5). Thin handlers over :mod:`core.crystal.response_report`; every check,
verdict and warning lives there. Reference: :data:`core.references.DUFF_SIPE`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.computations import Split, computation
from app.errors import COMPUTE_RESPONSES
from app.media import build_model, check_model_size
from app.schemas.crystal import HaldaneSpec, TightBindingSpec
from app.schemas.crystal_response import (
    MagneticSusceptibilityRequest,
    MagneticSusceptibilityResponse,
    Q2ConductivityRequest,
    Q2ConductivityResponse,
)
from app.service import FormatQuery, ServiceDep
from app.settings import Settings
from core import units
from core.checks import Report
from core.crystal import response_report
from core.crystal.model import MODEL_NAME
from core.errors import InvalidInput, LimitExceeded

router = APIRouter(prefix="/v1/crystal", tags=["crystal"])

#: Extra work units per k-point and band pair besides the frequencies (13 diagonalisations).
_FIXED_WORK = 32
#: chi_M(w) of eq 74 costs about this many times more per point (band jets to third order).
_CHI_M_FACTOR = 8


def _bands(spec: HaldaneSpec | TightBindingSpec) -> int:
    return 2 if isinstance(spec, HaldaneSpec) else len(spec.orbitals)


def _model_dim(spec: HaldaneSpec | TightBindingSpec) -> int:
    """The dimension of the model a spec builds (the Haldane model is 2D)."""
    return 2 if isinstance(spec, HaldaneSpec) else len(spec.lattice)


def _limits(
    body: MagneticSusceptibilityRequest | Q2ConductivityRequest, settings: Settings, factor: int
) -> None:
    body.frequencies.check_size(settings)
    spec = body.model
    check_model_size(spec, settings)
    dim = _model_dim(spec)
    if len(body.grid.n) != dim:
        raise InvalidInput(
            f"the grid has {len(body.grid.n)} sizes but the model is {dim}-dimensional",
            field=("grid", "n"),
            fix=f"give {dim} grid sizes, one per lattice vector",
        )
    nk = int(np.prod(body.grid.n))
    if nk > settings.max_k_points:
        raise LimitExceeded(
            f"{nk} k-points; the limit is {settings.max_k_points}",
            limit_name="max_k_points",
            limit=settings.max_k_points,
            requested=nk,
            field=("grid", "n"),
            fix="use a coarser grid",
        )
    work = nk * (body.frequencies.size + _FIXED_WORK) * _bands(spec) ** 2 * factor
    if work > settings.max_response_work:
        raise LimitExceeded(
            f"this request needs {work:.3g} work units (k-points x (frequencies + "
            f"{_FIXED_WORK}) x bands^2{' x 8 for chi_M' if factor > 1 else ''}); the limit is "
            f"{settings.max_response_work:.3g}",
            limit_name="max_response_work",
            limit=settings.max_response_work,
            requested=work,
            field=("grid", "n"),
            fix="use fewer k-points or frequencies (or raise SUSC_MAX_RESPONSE_WORK)",
        )
    if body.model.energy_unit == "model" and body.frequencies.unit != "model":
        raise InvalidInput(
            f"the model's energies are in 'model' units, so the photon energies must be too "
            f"(got {body.frequencies.unit!r})",
            field=("frequencies", "unit"),
            fix="give the frequencies with unit 'model' (hbar w in the model's energy unit), or "
            "give the model in eV",
        )


def _omega(body: MagneticSusceptibilityRequest | Q2ConductivityRequest) -> np.ndarray:
    """hbar w in the model's energy unit."""
    pts = body.frequencies.points()
    eu = body.model.energy_unit
    if eu == "model":
        return np.asarray(pts, dtype=np.float64)
    ev = units.convert(pts, body.frequencies.unit, "eV")
    return np.asarray(ev if eu == "eV" else 1e3 * ev, dtype=np.float64)


def _check_q2(body: Q2ConductivityRequest, settings: Settings) -> None:
    _limits(body, settings, _CHI_M_FACTOR if body.include_tensors else 1)


def _check_chi(body: MagneticSusceptibilityRequest, settings: Settings) -> None:
    _limits(body, settings, _CHI_M_FACTOR)


def _q2_kwargs(body: Q2ConductivityRequest, settings: Settings) -> dict[str, Any]:
    """The parameters of the q^2 blocks and reduction that come from the body."""
    return {
        "sigma_l": tuple(body.sigma_L),
        "sigma_k": tuple(body.sigma_K),
        "include_chi_m": body.include_tensors,
        "filling": body.filling,
        "max_k_points": settings.max_k_points,
    }


def _plan(body: MagneticSusceptibilityRequest | Q2ConductivityRequest, settings: Settings) -> int:
    """Blocks of about ``job_block_k_points`` k-points of the grid and its half grid (1: do not
    split); sizes only. A grid that does not match the model's dimension is the check's 422."""
    if len(body.grid.n) != _model_dim(body.model):
        return 1
    return response_report.response_block_count(body.grid.n, settings.job_block_k_points)


def q2_conductivity_block(
    body: Q2ConductivityRequest, settings: Settings, index: int, count: int
) -> bytes:
    """The partial sums of block ``index`` of ``count`` (JSON; floats in shortest round-trip
    form, so the reduction sees the block's numbers exactly)."""
    model = build_model(body.model, settings)
    return orjson.dumps(
        response_report.q2_conductivity_block(
            model,
            tuple(body.grid.n),
            _omega(body),
            body.eta,
            index,
            count,
            shift=body.grid.shift,
            **_q2_kwargs(body, settings),
        )
    )


def q2_conductivity_reduce(
    body: Q2ConductivityRequest, settings: Settings, partials: list[bytes]
) -> Report:
    """The report from every block's partials (block order): the report of the unsplit run."""
    model = build_model(body.model, settings)
    return response_report.q2_conductivity_reduce(
        model,
        tuple(body.grid.n),
        _omega(body),
        body.eta,
        [orjson.loads(p) for p in partials],
        frequencies=body.frequencies.points(),
        frequency_unit=body.frequencies.unit,
        energy_unit=body.model.energy_unit,
        length_unit=body.model.length_unit,
        **_q2_kwargs(body, settings),
    )


@computation(
    "crystal-q2-conductivity",
    Q2ConductivityRequest,
    model=MODEL_NAME,
    version=response_report.RESPONSE_VERSION,
    check=_check_q2,
    split=Split(_plan, q2_conductivity_block, q2_conductivity_reduce),
)
def q2_conductivity_run(body: Q2ConductivityRequest, settings: Settings) -> Report:
    """The report of :func:`q2_conductivity` (runs in the compute pool): the one-block plan
    through the same block and reduction code as a split."""
    return q2_conductivity_reduce(body, settings, [q2_conductivity_block(body, settings, 0, 1)])


def magnetic_susceptibility_block(
    body: MagneticSusceptibilityRequest, settings: Settings, index: int, count: int
) -> bytes:
    """The partial sums of block ``index`` of ``count`` (JSON, as for the q^2 conductivity)."""
    model = build_model(body.model, settings)
    return orjson.dumps(
        response_report.magnetic_susceptibility_block(
            model,
            tuple(body.grid.n),
            _omega(body),
            body.eta,
            index,
            count,
            shift=body.grid.shift,
            filling=body.filling,
            max_k_points=settings.max_k_points,
        )
    )


def magnetic_susceptibility_reduce(
    body: MagneticSusceptibilityRequest, settings: Settings, partials: list[bytes]
) -> Report:
    """The report from every block's partials (block order): the report of the unsplit run."""
    model = build_model(body.model, settings)
    return response_report.magnetic_susceptibility_reduce(
        model,
        tuple(body.grid.n),
        _omega(body),
        body.eta,
        [orjson.loads(p) for p in partials],
        frequencies=body.frequencies.points(),
        frequency_unit=body.frequencies.unit,
        max_k_points=settings.max_k_points,
        energy_unit=body.model.energy_unit,
        length_unit=body.model.length_unit,
    )


@computation(
    "crystal-magnetic-susceptibility",
    MagneticSusceptibilityRequest,
    model=MODEL_NAME,
    version=response_report.RESPONSE_VERSION,
    check=_check_chi,
    split=Split(_plan, magnetic_susceptibility_block, magnetic_susceptibility_reduce),
)
def magnetic_susceptibility_run(body: MagneticSusceptibilityRequest, settings: Settings) -> Report:
    """The report of :func:`magnetic_susceptibility` (runs in the compute pool): the one-block
    plan through the same block and reduction code as a split."""
    return magnetic_susceptibility_reduce(
        body, settings, [magnetic_susceptibility_block(body, settings, 0, 1)]
    )


@router.post(
    "/q2-conductivity",
    summary="sigma_L(w), sigma_K(w): the gauge-invariant q^2 effective conductivity",
    response_model=Q2ConductivityResponse,
    responses=COMPUTE_RESPONSES,
)
async def q2_conductivity(
    body: Q2ConductivityRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """The q^2 effective conductivity of an insulator (Duff & Sipe eqs 11-17, 89-92).

    sigma_L^{izj}(w): the current along i driven by dB_z/dx^j; sigma_K^{i(ljk)}(w): by the
    symmetric second derivatives of E. Computed from the q^2 coefficient of the current response
    of the Peierls tight-binding model, which is gauge invariant at every k (the sum the eight
    multipole tensors of eqs 74-81 make). Sign: sigma_L^{xzy}(0) = -chi^zz_static (c chi in
    Gaussian units; positive is the diamagnetic sign). Checks: `static_limit` (w = 0 against
    chi_2 on the same grid), `f_sum_rule` (eqs 103, 106, 107), `frequency_parity` (sec. VI.I,
    time-reversal-symmetric models), `grid_convergence` (grid against about half of it).
    2D models, or 3D ones with B along z: the components stay in-plane (i, j in x, y), the sum
    runs over the 3D grid and the result is per unit volume. As a job, the Brillouin-zone sums
    split into blocks of grid rows run on several workers. The preset `duff-sipe-fig5`
    reproduces the paper's Fig. 5.
    """
    return await svc.respond(request, q2_conductivity_run, body, fmt=format)


@router.post(
    "/magnetic-susceptibility",
    summary="chi_M(w) of eq 74 with its parts (gauge dependent at w != 0)",
    response_model=MagneticSusceptibilityResponse,
    responses=COMPUTE_RESPONSES,
)
async def magnetic_susceptibility(
    body: MagneticSusceptibilityRequest,
    request: Request,
    svc: ServiceDep,
    format: FormatQuery = "json",
) -> Response:
    """The frequency-dependent magnetic susceptibility chi_M^zz(w) of eq 74 (Duff & Sipe sec. VI.A).

    Parts: `occ` (eq 72, frequency independent), `vv` (the Van Vleck-like line 1), `itinerant`
    (the w-dependent addition to M_mn in line 1), `geo` (line 2), `atomic` (line 3). At w = 0 it
    is the static chi (check `static_limit` against chi_2 on the same grid, to 1e-8). At w != 0
    chi_M is *not* gauge invariant (the paper's point): the numbers are in the paper's gauge
    (eqs 98-101); the physical response is `/v1/crystal/q2-conductivity`. Trivial insulators
    only (a Chern insulator has no smooth gauge; `gauge_min_modulus` shows how close it came).
    2D models, or 3D ones with B along z (every index of eq 74 for zz is in-plane, so kz is only
    summed over; per unit volume). The parity check is evaluated on the half grid.
    """
    return await svc.respond(request, magnetic_susceptibility_run, body, fmt=format)
