"""Multipole oscillator medium (Westerberg & Barnett, seed 000, eqs 20-26)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from scipy import constants as sc

from app.errors import PROBLEM_RESPONSES
from app.media import build_medium, grid_in_medium_units
from app.schemas.common import FrequencyGrid
from app.schemas.oscillator import (
    OscillatorResponse,
    OscillatorResponseRequest,
)
from app.service import ComputeResult, FormatQuery, ServiceDep, carray, cscalar
from core import oscillators as osc
from core.causality import negative_intervals
from core.errors import InvalidInput
from core.optics import impedance, normal_reflectance, refractive_index
from core.units import is_physical, linear_scale

router = APIRouter(prefix="/v1/oscillator", tags=["oscillator"])


def oscillator_payload(
    medium: osc.OscillatorMedium,
    grid: FrequencyGrid,
    medium_unit: str,
    k: float | None = None,
    field: tuple[str | int, ...] = ("frequencies",),
) -> ComputeResult:
    """Arrays and checks of ``/v1/oscillator/response`` (also used by other endpoints that end in
    an oscillator medium, e.g. the emitter strengths)."""
    w, back = grid_in_medium_units(grid, medium_unit, field)
    osc.check_poles(medium, w, field)
    if k is not None and np.any(w == 0):
        raise InvalidInput(
            "eps'(w, k) = eps + (k^2/w^2)(1 - 1/mu) is undefined at w = 0",
            field=(*field,),
            fix="drop w = 0 from the grid, or omit k",
        )
    r = osc.evaluate(medium, w)
    eps_mu = r.epsilon * r.mu
    n = refractive_index(r.epsilon, r.mu)
    z = impedance(n, r.mu)
    physical = is_physical(medium_unit)
    scale = linear_scale(medium_unit)
    alpha = 2.0 * w * n.imag * (scale / sc.c if physical else 1.0)

    data: dict[str, Any] = {
        "frequencies": grid.points(),
        "epsilon": carray(r.epsilon),
        "mu": carray(r.mu),
        "inverse_mu": carray(r.inverse_mu),
        "chi": carray(r.chi),
        "eps_mu": carray(eps_mu),
        "refractive_index": carray(n),
        "impedance": carray(z),
        "reflectance": normal_reflectance(z),
        "absorption_coefficient": alpha,
    }
    if k is not None:
        k_med = k * sc.c / scale if physical else k
        data["epsilon_nonlocal"] = carray(
            osc.nonlocal_permittivity(w, k_med, r.epsilon, r.inverse_mu)
        )

    checks, warnings = oscillator_checks(medium, w, r, back)
    units = {
        "frequencies": grid.unit,
        "transitions": medium_unit,
        "absorption_coefficient": "1/m" if physical else f"{medium_unit} frequency unit / c",
        "epsilon": "1",
        "mu": "1",
    }
    return {"checks": checks, "warnings": warnings, "units": units}, data


def _at(medium: osc.OscillatorMedium, what: str) -> Callable[[float], float]:
    def f(x: float) -> float:
        rr = osc.evaluate(medium, np.array([x]), backend="numpy")
        v = {"im_eps_mu": (rr.epsilon * rr.mu).imag, "im_mu": rr.mu.imag}[what]
        return float(v[0])

    return f


def _intervals(
    ivs: list[tuple[float, float]], back: Callable[[np.ndarray], np.ndarray]
) -> list[dict[str, float]]:
    out = []
    for lo, hi in ivs:
        a, b = back(np.array([lo, hi]))
        a, b = sorted((float(a), float(b)))  # a wavelength grid reverses the order
        out.append({"start": a, "stop": b})
    return out


def oscillator_checks(
    medium: osc.OscillatorMedium,
    w: np.ndarray,
    r: osc.OscillatorResponse,
    back: Callable[[np.ndarray], np.ndarray],
) -> tuple[dict[str, Any], list[str]]:
    """``meta.checks`` of the oscillator medium on the grid ``w`` (medium units)."""
    warnings: list[str] = []
    order = np.argsort(w, kind="stable")
    ws = w[order]
    im_em = (r.epsilon * r.mu).imag[order]
    im_mu = r.mu.imag[order]
    static = osc.static_limits(medium)
    residual, scale = osc.sum_rule_residual(medium)
    sum_ok = abs(residual) <= osc.SUM_RULE_RTOL * max(scale, 1e-300)
    mu_inf = 1.0 / (1.0 + residual) if 1.0 + residual != 0 else float("inf")

    non_passive = negative_intervals(ws, im_em, _at(medium, "im_eps_mu"))
    neg_mu = negative_intervals(ws, im_mu, _at(medium, "im_mu"))
    i_min = int(np.argmin(im_em))
    ordering = osc.multipole_ordering(medium)
    crossover = [
        float(np.sqrt(e / d)) if d > 0 and e > 0 else None
        for e, d in zip(medium.e_dip, medium.dip_oct, strict=True)
    ]
    top = int(np.argmax(w))

    if non_passive:
        warnings.append(
            f"Im(eps mu) < 0 on {len(non_passive)} interval(s) of the grid: the medium amplifies a "
            "propagating wave there. Eq 25 guarantees Im(eps mu) > 0 only at the dipole-octopole "
            "resonances themselves; away from them the dipole-octopole absorption (~ w^2 "
            "Delta_dipoct, decaying as 1/w) can outweigh the electric-dipole absorption (decaying "
            "as 1/w^3), beyond multipole_ordering.tail_crossover, where the multipole expansion "
            "behind eq 21 no longer holds."
        )
    if not sum_ok:
        warnings.append(
            f"sum rule (26) violated (residual {residual:.6g}): mu -> {mu_inf:.6g}, not 1, as w -> inf"
        )
    if not ordering.all():
        bad = [int(i) for i in np.flatnonzero(~ordering)]
        warnings.append(
            f"eq 25 fails for transition(s) {bad}: Delta_dipoct w_eg^2 >= Delta_edip means gain at w_eg"
        )

    checks = {
        "sum_rule_residual": {
            "verdict": bool(sum_ok),
            "value": residual,
            "scale": scale,
            "tolerance": osc.SUM_RULE_RTOL,
            "equation": "W&B eq 26",
        },
        "mu_static": {"value": static["mu_static"], "equation": "W&B eq 22"},
        "chi_static": {"value": static["chi_static"], "equation": "chi(0) = 1 - 1/mu(0)"},
        "eps_static": {"value": static["eps_static"], "equation": "W&B eq 21 at w = 0"},
        "diamagnetic": {
            "verdict": bool(static["mu_static"] < 1.0),
            "mu_static": static["mu_static"],
        },
        "passive": {
            "verdict": not non_passive,
            "min_im_eps_mu": float(im_em[i_min]),
            "at_frequency": float(back(np.array([ws[i_min]]))[0]),
            "non_passive_intervals": _intervals(non_passive, back),
        },
        "negative_im_mu_intervals": {"intervals": _intervals(neg_mu, back)},
        "multipole_ordering": {
            "verdict": bool(ordering.all()),
            "per_transition": [bool(x) for x in ordering],
            "tail_crossover": crossover,
        },
        "high_frequency_limit": {
            "verdict": bool(sum_ok),
            "frequency": float(back(np.array([w[top]]))[0]),
            "epsilon": cscalar(r.epsilon[top]),
            "mu": cscalar(r.mu[top]),
            "mu_infinity": mu_inf,
            "epsilon_infinity": 1.0,
        },
    }
    return checks, warnings


@router.post(
    "/response",
    summary="eps, mu, chi, n, Z, R of a multipole oscillator medium",
    response_model=OscillatorResponse,
    responses={
        **PROBLEM_RESPONSES,
        200: {"content": {"text/csv": {}}},
        304: {"description": "Not modified (ETag)."},
    },
)
async def response(
    body: OscillatorResponseRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Westerberg & Barnett's multipole oscillator medium (eqs 20-26) on a frequency grid.

    eps(w) = 1 + sum Delta_edip / D_e and 1/mu(w) = 1 + sum [Delta_dia/w_eg^2 - (Delta_mdip +
    w^2 Delta_quad - w^2 Delta_dipoct) / D_e] with D_e = w_eg^2 - w^2 - 2 i w gamma_e (exp(-i w t)
    convention: passive means Im eps > 0). The response also gives n, Z, normal-incidence
    reflectance and the absorption coefficient, and `meta.checks` says whether the result is
    physical: sum rule (26), static limits (22), passivity Im(eps mu) > 0 (Im mu < 0 is allowed),
    where Im mu < 0, the multipole ordering (25) and the high-frequency limit.
    """
    settings = svc.settings
    body.frequencies.check_size(settings)
    medium = build_medium(body, settings)

    def compute() -> ComputeResult:
        return oscillator_payload(medium, body.frequencies, body.unit, body.k)

    return await svc.respond(
        request,
        model=osc.MODEL_NAME,
        version=osc.MODEL_VERSION,
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )
