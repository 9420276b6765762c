"""Multipole oscillator medium (Westerberg & Barnett 2025, eqs 20-26): a thin router over
:func:`core.oscillator_report.oscillator_report`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.computations import computation
from app.errors import COMPUTE_RESPONSES
from app.media import build_medium, grid_in_medium_units
from app.schemas.oscillator import (
    OscillatorResponse,
    OscillatorResponseRequest,
)
from app.service import FormatQuery, ServiceDep
from app.settings import Settings
from core import oscillators as osc
from core.checks import Report
from core.oscillator_report import OutputGrid, oscillator_report

router = APIRouter(prefix="/v1/oscillator", tags=["oscillator"])


def _limits(body: OscillatorResponseRequest, settings: Settings) -> None:
    body.frequencies.check_size(settings)


@computation(
    "oscillator-response",
    OscillatorResponseRequest,
    model=osc.MODEL_NAME,
    version=osc.MODEL_VERSION,
    check=_limits,
)
def oscillator_response(body: OscillatorResponseRequest, settings: Settings) -> Report:
    """The report of :func:`response` (runs in the compute pool)."""
    medium = build_medium(body, settings)
    w, back = grid_in_medium_units(body.frequencies, body.unit)
    grid = OutputGrid(body.frequencies.points(), body.frequencies.unit, back)
    return oscillator_report(medium, w, grid, medium_unit=body.unit, k=body.k)


@router.post(
    "/response",
    summary="eps, mu, chi, n, Z, R of a multipole oscillator medium",
    response_model=OscillatorResponse,
    responses=COMPUTE_RESPONSES,
)
async def response(
    body: OscillatorResponseRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Westerberg & Barnett's multipole oscillator medium (eqs 20-26) on a frequency grid.

    eps(w) = 1 + sum Delta_edip / D_e and 1/mu(w) = 1 + sum [Delta_dia/w_eg^2 - (Delta_mdip +
    w^2 Delta_quad - w^2 Delta_dipoct) / D_e] with D_e = w_eg^2 - w^2 - 2 i w gamma_e (exp(-i w t)
    convention: passive means Im eps > 0). The response also gives n, Z, normal-incidence
    reflectance and the absorption coefficient, and `meta.checks` says whether the result is
    physical, one check per statement: the sum rule (26, with the response at the top of the
    grid), the static limits (21, 22), diamagnetism mu(0) < 1, passivity Im(eps mu) > 0 (Im mu < 0
    is allowed), where Im mu < 0, and the multipole ordering (25).
    """
    return await svc.respond(request, oscillator_response, body, fmt=format)
