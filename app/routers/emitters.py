"""First-principles transition strengths of emitters (Westerberg & Barnett 2025, App. B, eq 24,
Fig. 2b): a thin router over :func:`core.emitters.emitter_report`."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.computations import computation
from app.errors import COMPUTE_RESPONSES
from app.media import grid_in_medium_units
from app.schemas.emitters import (
    BoxStrengthsRequest,
    CustomStrengthsRequest,
    EmitterCommon,
    EmitterStrengthsResponse,
    HarmonicStrengthsRequest,
)
from app.service import FormatQuery, ServiceDep
from app.settings import Settings
from core import emitters as em
from core.checks import Report
from core.emitters import EmitterParams
from core.errors import CoreError, InvalidInput, LimitExceeded
from core.oscillator_report import OutputGrid

router = APIRouter(prefix="/v1/emitters", tags=["emitters"])


def _params(body: EmitterCommon) -> EmitterParams:
    return EmitterParams(
        mass=body.mass, charge=body.charge, density=body.density, linewidth=body.gamma
    )


def _grid_limits(body: EmitterCommon, settings: Settings) -> None:
    """413 naming ``max_grid_points`` for a grid over the limit (the optional grid)."""
    if body.frequencies is not None:
        body.frequencies.check_size(settings)


def _csv_needs_grid(body: EmitterCommon, fmt: str) -> None:
    """CSV has one row per grid point: 422 naming ``frequencies`` for CSV without a grid (a
    rule of the representation, not of the computation: checked by the handler)."""
    if body.frequencies is None and fmt == "csv":
        raise InvalidInput(
            "CSV output has one row per grid point, and no frequency grid was given",
            field=("frequencies",),
            fix="add a `frequencies` grid (unit `model`), or ask for JSON",
        )


def _grid(body: EmitterCommon) -> tuple[np.ndarray | None, OutputGrid | None]:
    """The optional grid in the emitter's unit (``model``) and as the user gave it."""
    if body.frequencies is None:
        return None, None
    w, back = grid_in_medium_units(body.frequencies, "model")
    return w, OutputGrid(body.frequencies.points(), body.frequencies.unit, back)


def _box_limits(body: BoxStrengthsRequest, settings: Settings) -> None:
    _grid_limits(body, settings)
    em.check_limits(n_max=body.n_max, max_n_max=settings.max_emitter_n_max)
    em.check_limits(states=body.n_max**3 - 1, max_states=settings.max_emitter_states)


@computation(
    "emitters-box-strengths",
    BoxStrengthsRequest,
    model="emitter-box",
    version=em.MODEL_VERSIONS["emitter-box"],
    check=_box_limits,
)
def emitters_box_strengths(body: BoxStrengthsRequest, settings: Settings) -> Report:
    """The report of :func:`box_strengths` (runs in the compute pool)."""
    w, grid = _grid(body)
    params = _params(body)
    kw = {"max_n_max": settings.max_emitter_n_max, "max_states": settings.max_emitter_states}
    res = em.box_emitter(body.lengths, params, body.n_max, merge=body.merge_degenerate, **kw)
    rows = None
    if body.convergence:
        rows = em.box_convergence(body.lengths, params, range(2, body.n_max + 1), **kw)
    report = em.emitter_report(
        res,
        model="emitter-box",
        version=em.MODEL_VERSIONS["emitter-box"],
        tolerance=body.tolerance,
        w=w,
        grid=grid,
        convergence=rows,
    )
    return em.box_reasons(
        report,
        body.lengths,
        params,
        body.n_max,
        body.tolerance,
        max_n_max=settings.max_emitter_n_max,
    )


@router.post(
    "/box/strengths",
    summary="Strengths of a particle-in-a-box medium from first principles (eq 24, Fig. 2b)",
    response_model=EmitterStrengthsResponse,
    responses=COMPUTE_RESPONSES,
)
async def box_strengths(
    body: BoxStrengthsRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Particle in a box centred at the origin (eq 24), ground state (1, 1, 1), all excited
    states with 1 <= n_a <= n_max.

    The transition moments p, (p r), (p r r) from the ground state (B21-B24) are exact closed
    forms; they are combined into the rank-4 tensors B41-B44, rotationally averaged (B52) and
    turned into the strengths Delta_edip, Delta_mdip, Delta_quad, Delta_dipoct, Delta_dia
    (B57-B61, with the printed typos corrected: see docs/emitters.md). The result is the
    multipole oscillator medium of eq 21 in exactly the input format of /v1/oscillator/response,
    with diagnostics: the TRK sum rule, the sum rule (26), eps(0), mu(0), the Langevin (B82) and
    Van Vleck susceptibilities computed directly vs from the strengths, and passivity (one verdict
    over your grid and an automatic scan, computed, not assumed). Natural units hbar = c = eps0 = 1 in your frequency unit (the paper:
    w_p). With `frequencies`, eps, mu, chi, n, Z, R are returned as /v1/oscillator/response does;
    with `convergence`, the diagnostics for every cutoff 2..n_max.
    """
    _csv_needs_grid(body, format)
    return await svc.respond(request, emitters_box_strengths, body, fmt=format)


@computation(
    "emitters-harmonic-strengths",
    HarmonicStrengthsRequest,
    model="emitter-harmonic",
    version=em.MODEL_VERSIONS["emitter-harmonic"],
    check=_grid_limits,
)
def emitters_harmonic_strengths(body: HarmonicStrengthsRequest, settings: Settings) -> Report:
    """The report of :func:`harmonic_strengths` (runs in the compute pool)."""
    w, grid = _grid(body)
    res = em.harmonic_emitter(
        body.oscillator_frequencies, _params(body), merge=body.merge_degenerate
    )
    return em.emitter_report(
        res,
        model="emitter-harmonic",
        version=em.MODEL_VERSIONS["emitter-harmonic"],
        tolerance=body.tolerance,
        w=w,
        grid=grid,
    )


@router.post(
    "/harmonic/strengths",
    summary="Strengths of a harmonic-oscillator medium (analytic moments, exact sum rules)",
    response_model=EmitterStrengthsResponse,
    responses=COMPUTE_RESPONSES,
)
async def harmonic_strengths(
    body: HarmonicStrengthsRequest,
    request: Request,
    svc: ServiceDep,
    format: FormatQuery = "json",
) -> Response:
    """Isotropic (one frequency) or anisotropic (three) 3D harmonic oscillator emitters.

    Only states with one or two quanta couple to the ground state, so every sum rule closes to
    rounding: TRK, eq 26, and chi(0) = Langevin (B82) + Van Vleck (zero for the isotropic
    oscillator, whose eps is a single Lorentzian). Same output and diagnostics as the box.
    """
    _csv_needs_grid(body, format)
    return await svc.respond(request, emitters_harmonic_strengths, body, fmt=format)


def _complex(parts: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=np.complex128)
    if parts.real is not None:
        out += np.asarray(parts.real, dtype=np.float64)
    if parts.imag is not None:
        out += 1j * np.asarray(parts.imag, dtype=np.float64)
    return out


def _custom_limits(body: CustomStrengthsRequest, settings: Settings) -> None:
    _grid_limits(body, settings)
    n = len(body.transitions)
    if n > settings.max_emitter_states:
        raise LimitExceeded(
            f"{n} transitions exceed the limit {settings.max_emitter_states} (max_emitter_states)",
            limit_name="max_emitter_states",
            limit=settings.max_emitter_states,
            requested=n,
            field=("transitions",),
            fix="give fewer excited states",
        )


@computation(
    "emitters-custom-strengths",
    CustomStrengthsRequest,
    model="emitter-custom",
    version=em.MODEL_VERSIONS["emitter-custom"],
    check=_custom_limits,
)
def emitters_custom_strengths(body: CustomStrengthsRequest, settings: Settings) -> Report:
    """The report of :func:`custom_strengths` (runs in the compute pool)."""
    w, grid = _grid(body)
    ts = body.transitions
    omega = np.array([t.omega for t in ts])
    p = np.stack([_complex(t.p, (3,)) for t in ts])
    pr = np.stack([_complex(t.pr, (3, 3)) for t in ts])
    prr = np.stack([_complex(t.prr, (3, 3, 3)) for t in ts])
    try:
        res = em.custom_emitter(
            omega,
            p,
            pr,
            prr,
            np.asarray(body.rr_ground, dtype=np.float64),
            _params(body),
            merge=body.merge_degenerate,
            max_states=settings.max_emitter_states,
        )
    except CoreError as exc:
        if len(exc.field) > 3 and exc.field[0] == "transitions":
            exc.field = exc.field[:3]  # the body nests real/imag under the tensor
        raise
    return em.emitter_report(
        res,
        model="emitter-custom",
        version=em.MODEL_VERSIONS["emitter-custom"],
        tolerance=body.tolerance,
        w=w,
        grid=grid,
    )


@router.post(
    "/custom/strengths",
    summary="Strengths from user-given transition moments (App. B, B40-B61)",
    response_model=EmitterStrengthsResponse,
    responses=COMPUTE_RESPONSES,
)
async def custom_strengths(
    body: CustomStrengthsRequest,
    request: Request,
    svc: ServiceDep,
    format: FormatQuery = "json",
) -> Response:
    """Your emitter: excited-state energies w_eg, the moments p^{ge}, (p r)^{ge}, (p r r)^{ge}
    (complex, p on the left) and the ground-state <r_i r_j>.

    Validated (p r r symmetric in its two coordinates; <r r> real, symmetric, positive
    semi-definite), then treated as the box: rank-4 tensors B41-B44, isotropic average B52,
    strengths B57-B61, the oscillator medium of eq 21 and the diagnostics. The Langevin reference
    comes from your <r r>, the Van Vleck one from your (p r) moments, so TRK, eq 26 and chi(0)
    show how complete your basis is.
    """
    _csv_needs_grid(body, format)
    return await svc.respond(request, emitters_custom_strengths, body, fmt=format)
