"""Cho's single-susceptibility optics (seed 002): chi_m vs chi_B, chiral media, DBF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from scipy import constants as sc

from app.errors import PROBLEM_RESPONSES
from app.media import grid_in_medium_units
from app.schemas.chiral import (
    MagneticResonanceRequest,
    MagneticResonanceResponse,
    SingleSusceptibilityRequest,
    SingleSusceptibilityResponse,
)
from app.service import ComputeResult, FormatQuery, ServiceDep, carray, cscalar
from core import chiral as ch
from core.errors import InvalidInput, LimitExceeded
from core.units import is_physical, linear_scale

router = APIRouter(prefix="/v1/chiral", tags=["chiral"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {"content": {"text/csv": {}}},
    304: {"description": "Not modified (ETag)."},
}


def _k_scale(unit: str) -> float:
    """Factor from a wavenumber in [unit]/c (core's convention) to the response unit."""
    return linear_scale(unit) / sc.c if is_physical(unit) else 1.0


def _k_unit(unit: str) -> str:
    return "1/m" if is_physical(unit) else f"{unit} frequency unit / c"


def _require_finite(named: dict[str, np.ndarray]) -> None:
    for name, arr in named.items():
        if not np.all(np.isfinite(arr)):
            raise InvalidInput(
                f"{name} is not finite at some grid point: the grid hits a singular point of the "
                "undamped model",
                field=("frequencies",),
                fix="give the resonances a damping gamma > 0, or move the grid points",
            )


def _to_grid(back: Callable[[np.ndarray], np.ndarray], x: float) -> float | None:
    if not np.isfinite(x) or x <= 0:
        return None
    return float(back(np.array([x]))[0])


def _limit_resonances(n: int, limit: int, field: tuple[str | int, ...]) -> None:
    if n > limit:
        raise LimitExceeded(
            f"{n} oscillators; the limit is {limit}",
            limit_name="max_transitions",
            limit=limit,
            requested=n,
            field=field,
            fix="merge or drop weak resonances",
        )


# ---------------------------------------------------------------------- magnetic resonance


def magnetic_payload(body: MagneticResonanceRequest) -> ComputeResult:
    """Arrays and checks of ``/v1/chiral/magnetic-resonance``."""
    b = body.b if body.b is not None else ch.gaussian_strength(float(body.four_pi_b or 0.0))
    bg = body.background
    try:
        medium = ch.MagneticResonanceMedium(
            eps_b=body.eps_b_complex(),
            b=b,
            w0=body.w0,
            gamma=body.gamma,
            assignment=body.assignment,
            line_shape=body.line_shape,
            background_omega=tuple(o.omega for o in bg),
            background_gamma=tuple(o.gamma for o in bg),
            background_strength=tuple(o.strength for o in bg),
        )
    except InvalidInput as exc:
        if exc.field == ("b",) and body.b is None:
            exc.field = ("four_pi_b",)  # the strength was given in its SI form
        raise
    w, back = grid_in_medium_units(body.frequencies, body.unit)
    r = ch.magnetic_resonance_response(medium, w)
    _require_finite({"group index": r.group_index, "refractive index": r.n})
    ks = _k_scale(body.unit)
    backward = r.propagating & (r.n.real * r.group_index < 0)

    pole, zero = ch.mu_pole_and_zero(medium)
    lo, hi = ch.transmission_window(medium)
    mid = 0.5 * (lo + hi) if np.isfinite(lo) and np.isfinite(hi) else float("nan")
    eps_mid = (
        complex(ch.background_permittivity(medium, np.array([mid]))[0])
        if np.isfinite(mid)
        else complex("nan")
    )
    lh = bool(np.isfinite(mid) and eps_mid.real < 0)
    edges = sorted(x for x in (_to_grid(back, lo), _to_grid(back, hi)) if x is not None)
    i_min = int(np.argmin(r.reflectance))
    min_im_eps = float(r.eps.imag.min())
    min_im_mu = float(r.mu.imag.min())

    warnings: list[str] = []
    if not lh:
        warnings.append(
            "eps is not negative in the band where mu < 0: no left-handed window "
            "(Cho's Figs. 1-2 need eps_b < 0 around w0)"
        )
    checks: dict[str, Any] = {
        "mu_pole_zero": {
            "pole": _to_grid(back, pole),
            "zero": _to_grid(back, zero),
            "equation": "Cho eqs 44-47 at gamma -> 0",
        },
        "left_handed_window": {
            "verdict": lh,
            "edges": edges,
            "w0_at": "lower edge" if abs(lo - body.w0) <= abs(hi - body.w0) else "upper edge",
            "epsilon_at_center": cscalar(eps_mid) if np.isfinite(mid) else None,
            "width_four_pi_b": ch.si_strength(b),
        },
        "reflectance_dip": {
            "min_reflectance": float(r.reflectance[i_min]),
            "at_frequency": float(body.frequencies.points()[i_min]),
            "refractive_index": cscalar(r.n[i_min]),
            "impedance": cscalar(r.impedance[i_min]),
        },
        "passive": {
            "verdict": bool(min_im_eps >= 0 and min_im_mu >= 0),
            "min_im_epsilon": min_im_eps,
            "min_im_mu": min_im_mu,
        },
        "reality_condition": {
            "verdict": body.line_shape == "lorentz",
            "detail": "chi(-w*) = chi(w)* holds for the lorentz line shape; the resonant form of "
            "eqs 44-45 keeps only the resonant term and is meant for w near w0",
        },
    }
    data: dict[str, Any] = {
        "frequencies": body.frequencies.points(),
        "epsilon": carray(r.eps),
        "mu": carray(r.mu),
        "chi": carray(r.chi),
        "refractive_index": carray(r.n),
        "wavenumber": carray(r.k * ks),
        "impedance": carray(r.impedance),
        "reflectance": np.ascontiguousarray(r.reflectance),
        "group_index": np.ascontiguousarray(r.group_index),
        "backward_wave": [bool(x) for x in backward],
    }
    units = {
        "frequencies": body.frequencies.unit,
        "medium": body.unit,
        "wavenumber": _k_unit(body.unit),
        "chi": "Gaussian (dimensionless); SI = 4 pi x",
        "group_index": "1",
    }
    return {"checks": checks, "warnings": warnings, "units": units}, data


@router.post(
    "/magnetic-resonance",
    summary="A magnetic resonance assigned to chi_m or chi_B: dispersion and reflectance",
    response_model=MagneticResonanceResponse,
    responses=_RESPONSES,
)
async def magnetic_resonance(
    body: MagneticResonanceRequest,
    request: Request,
    svc: ServiceDep,
    format: FormatQuery = "json",
) -> Response:
    """Cho's chi_m vs chi_B assignment of a magnetic resonance (eqs 44-47, Figs. 1-2).

    (A) `chi_m`: M = chi_m H, chi_m = b / (w0 - w - i gamma), mu = 1 + 4 pi chi_m (pole of mu at w0).
    (B) `chi_B`: M = chi_B B, same chi_B, mu = 1 / (1 - 4 pi chi_B) (zero of mu at w0).
    Gaussian units (SI strength = 4 pi b), c = 1, fields ~ exp(-i w t). With eps < 0 the wave
    propagates only where mu < 0: a left-handed window of width 4 pi b whose lower edge is w0 for
    chi_m and whose upper edge is w0 for chi_B. Returned: eps, mu, n (Im n >= 0, so Re n < 0 in
    the window), k = n w / c, Z = mu / n, normal-incidence reflectance (R = 0 where Z = 1, i.e.
    n = -1 when eps = -1), the group index and where v_p v_g < 0.
    """
    settings = svc.settings
    body.frequencies.check_size(settings)
    _limit_resonances(len(body.background), settings.max_transitions, ("background",))

    def compute() -> ComputeResult:
        return magnetic_payload(body)

    return await svc.respond(
        request,
        model=ch.MODEL_NAME_MAGNETIC,
        version=ch.MODEL_VERSION,
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )


# ---------------------------------------------------------------------- single susceptibility


def chiral_payload(body: SingleSusceptibilityRequest) -> ComputeResult:
    """Arrays and checks of ``/v1/chiral/single-susceptibility``."""
    res = body.resonances
    medium = ch.ChiralMedium(
        eps_inf=body.eps_inf_complex(),
        omega=tuple(x.omega for x in res),
        gamma=tuple(x.gamma for x in res),
        e1=tuple(x.e1 for x in res),
        mixed=tuple(x.mixed for x in res),
        m1=tuple(x.m1 for x in res),
    )
    w, back = grid_in_medium_units(body.frequencies, body.unit)
    r = ch.chiral_response(medium, w)
    _require_finite({"k_plus": r.k_plus, "k_minus": r.k_minus})
    ks = _k_scale(body.unit)

    split = float(np.max(np.abs(r.k_plus - r.k_minus))) * ks
    ratios = [abs(x.mixed) / (2.0 * np.sqrt(x.e1 * x.m1)) if x.e1 * x.m1 > 0 else None for x in res]
    min_alpha = float(min(r.alpha_plus.min(), r.alpha_minus.min())) * ks
    checks: dict[str, Any] = {
        "mixing_bound": {
            "verdict": True,
            "ratio": ratios,
            "equation": "|g_j| <= 2 sqrt(e_j m_j): |I + i k Q|^2 >= 0 in eq 27",
        },
        "circular_splitting": {
            "chiral": medium.is_chiral,
            "verdict": medium.is_chiral or split == 0.0,
            "max_abs_k_plus_minus_k_minus": split,
        },
        "passive": {
            "verdict": bool(min_alpha >= 0),
            "min_alpha": min_alpha,
        },
        "low_frequency_rotation": {
            "coefficient": float(sum(x.mixed / (2.0 * x.omega**2) for x in res)),
            "equation": "rho -> coefficient * w^2 as w -> 0 (Biot's law), w in the medium unit, "
            "rho in rad per c/unit",
        },
        "single_poles": {
            "poles": [_to_grid(back, x.omega) for x in res],
            "equation": "eq 29: (4 pi c / w^2) chi_em is a sum of single poles; k stays finite "
            "at a pole with m_j > 0",
        },
    }
    if not medium.is_chiral:
        lhs = (r.k_plus / w) ** 2
        rhs = r.eps / (1.0 - r.chi_b)
        rel = float(np.max(np.abs(lhs - rhs) / np.maximum(np.abs(rhs), 1e-300)))
        checks["achiral_equivalence"] = {
            "verdict": bool(rel <= 1e-9),
            "max_relative_difference": rel,
            "equation": "eqs 34-37: (c k / w)^2 = eps mu with mu = 1 / (1 - 4 pi chi_B)",
        }
    data: dict[str, Any] = {
        "frequencies": body.frequencies.points(),
        "k_plus": carray(r.k_plus * ks),
        "k_minus": carray(r.k_minus * ks),
        "n_plus": carray(r.n_plus),
        "n_minus": carray(r.n_minus),
        "rotatory_power": np.ascontiguousarray(r.rotatory_power * ks),
        "circular_dichroism": np.ascontiguousarray(r.circular_dichroism * ks),
        "alpha_plus": np.ascontiguousarray(r.alpha_plus * ks),
        "alpha_minus": np.ascontiguousarray(r.alpha_minus * ks),
        "epsilon": carray(r.eps),
        "four_pi_chi_b": carray(r.chi_b),
    }
    if body.dbf is not None:
        beta_med = None if body.dbf.beta is None else body.dbf.beta * ks
        d = ch.dbf_counterpart(medium, beta_med)
        dr = ch.dbf_response(d, w)
        _require_finite({"DBF k_plus": dr.k_plus, "DBF k_minus": dr.k_minus})
        data["dbf_eps_mu"] = carray(dr.eps_mu)
        data["dbf_k_plus"] = carray(dr.k_plus * ks)
        data["dbf_k_minus"] = carray(dr.k_minus * ks)
        data["dbf_rotatory_power"] = np.ascontiguousarray(dr.rotatory_power * ks)
        checks["dbf"] = {
            "beta": d.beta / ks,
            "double_poles": [_to_grid(back, x.omega) for x in res if x.e1 > 0 and x.m1 > 0],
            "equation": "eq 43: (c k / w)^2 = eps mu (1 -+ beta w n / c)^-2; eps mu has "
            "second-order poles where eps and mu share a pole",
        }
    units = {
        "frequencies": body.frequencies.unit,
        "medium": body.unit,
        "k_plus": _k_unit(body.unit),
        "rotatory_power": "rad/m" if is_physical(body.unit) else f"rad per c/{body.unit}",
        "circular_dichroism": _k_unit(body.unit),
    }
    return {"checks": checks, "warnings": [], "units": units}, data


@router.post(
    "/single-susceptibility",
    summary="Chiral medium from the single susceptibility chi_em(k, w): k_+, k_-, rotation, CD",
    response_model=SingleSusceptibilityResponse,
    responses=_RESPONSES,
)
async def single_susceptibility(
    body: SingleSusceptibilityRequest,
    request: Request,
    svc: ServiceDep,
    format: FormatQuery = "json",
) -> Response:
    """Cho's single susceptibility chi_em = chi_e1 + i k chi_chir + k^2 chi_m1 (eqs 27, 48).

    Each resonance j carries E1 (e_j), M1 (m_j) and mixed (g_j) strengths on one common pole
    D_j = w_j^2 - w^2 - 2 i gamma_j w. For circular component s = +-1 the 2x2 determinant (29)
    reads (c k / w)^2 = eps_inf + sum_j (e_j + s g_j c k + m_j (c k)^2) / D_j. Returned: the
    forward (Im k > 0) wavenumbers k_+ (positive helicity = left circular for an observer facing
    the source) and k_-, rotatory power (Re k_+ - Re k_-)/2 (> 0 dextrorotatory) and circular
    dichroism alpha_+ - alpha_-. Without mixed strengths k_+ = k_- and the result equals the eps-mu
    description with mu = 1 / (1 - 4 pi chi_B) (eqs 34-37). With `dbf`, the Drude-Born-Fedorov
    dispersion (eq 43) of eps = E1 part and mu = 1 + M1 part, whose eps mu has double poles.
    """
    settings = svc.settings
    body.frequencies.check_size(settings)
    _limit_resonances(len(body.resonances), settings.max_transitions, ("resonances",))

    def compute() -> ComputeResult:
        return chiral_payload(body)

    return await svc.respond(
        request,
        model=ch.MODEL_NAME_CHIRAL,
        version=ch.MODEL_VERSION,
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )
