"""Optics of media with eps and mu: multilayer reflectance and polariton dispersion."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from scipy import constants as sc

from app.computations import computation
from app.errors import COMPUTE_RESPONSES
from app.media import build_optics_medium, count_transitions, medium_unit
from app.schemas.optics import (
    DispersionRequest,
    DispersionResponse,
    ReflectanceRequest,
    ReflectanceResponse,
)
from app.service import FormatQuery, ServiceDep
from app.settings import Settings
from core import dispersion as disp
from core import optics as opt
from core.checks import Report
from core.errors import InvalidInput, LimitExceeded
from core.units import from_angular, is_physical, linear_scale, to_angular

router = APIRouter(prefix="/v1/optics", tags=["optics"])


FieldPath = tuple[str | int, ...]

#: metres per length unit (``model`` lengths are c / w_unit and need no conversion).
LENGTH_SCALE = {"m": 1.0, "um": 1e-6, "nm": 1e-9}
#: (1/m) per wavenumber unit.
WAVENUMBER_SCALE = {"1/m": 1.0, "1/cm": 1e2, "1/um": 1e6, "1/nm": 1e9}


# ---------------------------------------------------------------------- reflectance


def reflectance_report(body: ReflectanceRequest, settings: Settings) -> opt.StackReport:
    """Build the core media and grid of a validated request, then :func:`core.optics.stack_report`."""
    grid = body.frequencies
    physical = is_physical(grid.unit)
    target = "rad/s" if physical else "model"
    if body.layers and physical == (body.length_unit == "model"):
        raise InvalidInput(
            f"length_unit '{body.length_unit}' does not fit a grid in '{grid.unit}'",
            field=("length_unit",),
            fix="use m, um or nm with physical frequency units, and 'model' (c / w_unit) with "
            "model units",
        )
    pts = grid.points()
    w = to_angular(pts, grid.unit)  # rad/s, or model units unchanged
    fields: list[FieldPath] = [
        ("ambient",),
        *[("layers", i, "medium") for i in range(len(body.layers))],
        ("substrate",),
    ]
    specs = [body.ambient, *[layer.medium for layer in body.layers], body.substrate]
    media = [
        build_optics_medium(spec, target, settings, f)
        for spec, f in zip(specs, fields, strict=True)
    ]
    scale = LENGTH_SCALE.get(body.length_unit, 1.0)
    d = np.array([layer.thickness * scale for layer in body.layers], dtype=np.float64)
    pols: list[opt.Polarization] = (
        ["s", "p"] if body.polarization == "both" else [body.polarization]
    )
    return opt.stack_report(
        media,
        d,
        w,
        angles_deg=np.asarray(body.angles, dtype=np.float64),
        polarizations=pols,
        physical=physical,
        grid=pts,
        grid_unit=grid.unit,
        length_unit=body.length_unit,
        fields=fields,
        to_output=lambda x: from_angular(x, grid.unit),
        gain_branch=body.gain_branch,
    )


def _reflectance_limits(body: ReflectanceRequest, settings: Settings) -> None:
    """413 naming the setting for a grid, stack, angle list or transition count over its limit."""
    body.frequencies.check_size(settings)
    if len(body.layers) > settings.max_layers:
        raise LimitExceeded(
            f"{len(body.layers)} layers; the limit is {settings.max_layers}",
            limit_name="max_layers",
            limit=settings.max_layers,
            requested=len(body.layers),
            field=("layers",),
            fix="use fewer layers",
        )
    if len(body.angles) > settings.max_angles:
        raise LimitExceeded(
            f"{len(body.angles)} angles; the limit is {settings.max_angles}",
            limit_name="max_angles",
            limit=settings.max_angles,
            requested=len(body.angles),
            field=("angles",),
            fix="ask for fewer angles",
        )
    rows = len(body.angles) * body.frequencies.size
    if rows > settings.max_grid_points:
        raise LimitExceeded(
            f"{rows} (angle, frequency) pairs; the limit is {settings.max_grid_points}",
            limit_name="max_grid_points",
            limit=settings.max_grid_points,
            requested=rows,
            field=("angles",),
            fix="ask for fewer angles or frequencies",
        )
    specs = [body.ambient, *[layer.medium for layer in body.layers], body.substrate]
    total = sum(count_transitions(m) for m in specs)
    if total > settings.max_transitions:
        raise LimitExceeded(
            f"the media of the stack have {total} transitions together; the limit is "
            f"{settings.max_transitions}",
            limit_name="max_transitions",
            limit=settings.max_transitions,
            requested=total,
            field=("layers",),
            fix="use fewer transitions or fewer distinct oscillator layers",
        )


@computation(
    "optics-reflectance",
    ReflectanceRequest,
    model=opt.MODEL_NAME_REFLECTANCE,
    version=opt.MODEL_VERSION,
    check=_reflectance_limits,
)
def optics_reflectance(body: ReflectanceRequest, settings: Settings) -> Report:
    """The report of :func:`reflectance` (runs in the compute pool)."""
    return reflectance_report(body, settings)


@router.post(
    "/reflectance",
    summary="Reflectance and transmittance of an interface or a multilayer stack (s and p)",
    response_model=ReflectanceResponse,
    responses=COMPUTE_RESPONSES,
)
async def reflectance(
    body: ReflectanceRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """R, T, A = 1 - R - T and the amplitudes r, t of a coherent stack ambient | layers | substrate
    at any angle, for s (TE) and p (TM) light, every medium with its own eps(w) and mu(w).

    Media: `oscillator` (Westerberg & Barnett eq 21), `constant`, `tabulated` (eps, mu or n, k),
    `magnetic-resonance` (Cho eqs 44-47, chi_m or chi_B). Method: transfer matrices in their stable
    recursive form, with admittances q/mu (s) and q/eps (p), q = sqrt(eps mu - n0^2 sin^2 theta) on
    the decaying branch (in a substrate with gain, on `gain_branch`: `causal` by default, Skaar
    2006); T is the Poynting flux into the substrate. r_s is the E_y ratio, r_p the
    H_y ratio (r_p = -r_s at normal incidence), t the E-field ratio. Lengths: m, um, nm with
    physical frequency units; `model` lengths are c / w_unit. Arrays are in long format (one entry
    per angle and frequency, angle-major), so `?format=csv` gives one row per pair.
    """
    return await svc.respond(request, optics_reflectance, body, fmt=format)


# ---------------------------------------------------------------------- dispersion


def dispersion_report(body: DispersionRequest, settings: Settings) -> Report:
    """Build the core medium and grids of a validated request, then
    :func:`core.dispersion.dispersion_report`."""
    spec = body.medium
    unit = medium_unit(spec)
    # the frame the physics runs in: the medium's own unit (eigenproblems stay O(1))
    if unit is None:
        physical = (
            is_physical(body.frequencies.unit)
            if body.frequencies is not None
            else (body.k is not None and body.k.unit != "model")
        )
        unit = "rad/s" if physical else "model"
    if unit == "nm":  # a wavelength table: work in angular frequency
        unit = "rad/s"
    physical = is_physical(unit)
    med = build_optics_medium(spec, unit, settings, ("medium",))
    k_unit = body.k.unit if body.k is not None else ("1/m" if physical else "model")
    if (k_unit == "model") == physical:
        raise InvalidInput(
            f"k unit '{k_unit}' does not fit a medium in '{unit}'",
            field=("k", "unit"),
            fix="use 'model' (w_unit / c) with model units, 1/m, 1/um, 1/nm or 1/cm otherwise",
        )
    # natural wavenumber (frequency unit / c) -> response k unit
    k_out = linear_scale(unit) / sc.c / WAVENUMBER_SCALE[k_unit] if physical else 1.0
    w = pts = to_output = None
    grid_unit = "model"
    if body.frequencies is not None:
        grid = body.frequencies
        if is_physical(grid.unit) != physical:
            raise InvalidInput(
                f"the grid is in '{grid.unit}' but the medium in '{unit}'",
                field=("frequencies", "unit"),
                fix="use 'model' for both, or physical units for both",
            )
        pts = grid.points()
        grid_unit = grid.unit
        scale = linear_scale(unit)
        w = to_angular(pts, grid.unit) / scale

        def to_output(x: np.ndarray) -> np.ndarray:
            return from_angular(np.asarray(x) * scale, grid_unit)

    kv = None
    out_unit = body.omega_unit or unit
    if body.k is not None:
        kv = body.k.points()
        rat = disp.rational_form(med, field=("medium",))
        limit = settings.max_dispersion_values
        if kv.size * rat.degree > limit:
            raise LimitExceeded(
                f"{kv.size} k points x {rat.degree} branches = {kv.size * rat.degree} values; the "
                f"limit is {limit}",
                limit_name="max_dispersion_values",
                limit=limit,
                requested=kv.size * rat.degree,
                field=("k",),
                fix="use fewer k points or fewer transitions",
            )
        if is_physical(out_unit) != physical:
            raise InvalidInput(
                f"omega_unit '{out_unit}' does not fit a medium in '{unit}'",
                field=("omega_unit",),
                fix="use 'model' with model units, a physical unit otherwise",
            )
    return disp.dispersion_report(
        med,
        medium_unit=unit,
        frequencies=w,
        grid=pts,
        grid_unit=grid_unit,
        to_output=to_output,
        rule=body.branch,
        k=kv,
        k_unit=k_unit,
        k_scale=k_out,
        omega_unit=out_unit,
        omega_scale=linear_scale(unit) / linear_scale(out_unit),
        max_k_points=settings.max_dispersion_k_points,
    )


def _dispersion_limits(body: DispersionRequest, settings: Settings) -> None:
    """413 naming the setting for a grid, k list or transition count over its limit."""
    if body.frequencies is not None:
        body.frequencies.check_size(settings)
    if body.k is not None and body.k.size > settings.max_dispersion_k_points:
        raise LimitExceeded(
            f"{body.k.size} k points; the limit is {settings.max_dispersion_k_points}",
            limit_name="max_dispersion_k_points",
            limit=settings.max_dispersion_k_points,
            requested=body.k.size,
            field=("k",),
            fix="use fewer k points",
        )
    n_tr = count_transitions(body.medium)
    if n_tr > settings.max_transitions:
        raise LimitExceeded(
            f"{n_tr} transitions; the limit is {settings.max_transitions}",
            limit_name="max_transitions",
            limit=settings.max_transitions,
            requested=n_tr,
            field=("medium", "transitions"),
            fix="merge or drop weak transitions",
        )


@computation(
    "optics-dispersion",
    DispersionRequest,
    model=opt.MODEL_NAME_DISPERSION,
    version=opt.MODEL_VERSION,
    check=_dispersion_limits,
)
def optics_dispersion(body: DispersionRequest, settings: Settings) -> Report:
    """The report of :func:`dispersion` (runs in the compute pool)."""
    return dispersion_report(body, settings)


@router.post(
    "/dispersion",
    summary="Polariton dispersion: k(w) on a frequency grid and all branches w_j(k) on a k grid",
    response_model=DispersionResponse,
    responses=COMPUTE_RESPONSES,
)
async def dispersion(
    body: DispersionRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Dispersion k^2 = w^2 eps(w) mu(w) / c^2 of a medium (W&B under eq 9; Cho eqs 46-47).

    With `frequencies`: eps, mu, the index n on the chosen branch (`decay`: Im n > 0;
    `group-velocity`: Cho sec. 3.4, the wave with v_g > 0), k = w n / c, Z = mu / n, phase and group
    velocities (units of c; null where undefined) and the left-handed frequencies (v_p v_g < 0).
    With `k`: every complex branch w_j(k) for real k (oscillator, constant and magnetic-resonance
    media: the dispersion relation cleared of denominators is a polynomial of degree 2M + 2 for M
    oscillator transitions), tracked across k, with v_p = w/k, v_g = dw/dk and the optical sum rule
    of W&B eq 9, Re sum_j mu(w_j) v_p v_g = c^2, evaluated per k. `meta.checks` reports the root
    accuracy, the sum-rule deviation and whether any branch grows in time (Im w > 0).
    """
    return await svc.respond(request, optics_dispersion, body, fmt=format)
