"""Cho's single-susceptibility optics (K. Cho 2007, arXiv:cond-mat/0611235): chi_m vs chi_B,
chiral media, Drude-Born-Fedorov.

Thin handlers: validate -> limits (413 naming the setting) -> core medium and grid (app/media.py)
-> the core report (:func:`core.chiral.magnetic_resonance_report`,
:func:`core.chiral.single_susceptibility_report`), which holds every check -> cache -> respond.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.computations import computation
from app.errors import COMPUTE_RESPONSES
from app.media import build_chiral_medium, build_magnetic_resonance_medium, grid_in_medium_units
from app.schemas.chiral import (
    MagneticResonanceRequest,
    MagneticResonanceResponse,
    SingleSusceptibilityRequest,
    SingleSusceptibilityResponse,
)
from app.service import FormatQuery, ServiceDep
from app.settings import Settings
from core import chiral as ch
from core.checks import Report

router = APIRouter(prefix="/v1/chiral", tags=["chiral"])


def _grid_limits(
    body: MagneticResonanceRequest | SingleSusceptibilityRequest, settings: Settings
) -> None:
    body.frequencies.check_size(settings)


@computation(
    "chiral-magnetic-resonance",
    MagneticResonanceRequest,
    model=ch.MODEL_NAME_MAGNETIC,
    version=ch.MODEL_VERSION,
    check=_grid_limits,
)
def chiral_magnetic_resonance(body: MagneticResonanceRequest, settings: Settings) -> Report:
    """The report of :func:`magnetic_resonance` (runs in the compute pool)."""
    medium = build_magnetic_resonance_medium(body, settings)
    w, back = grid_in_medium_units(body.frequencies, body.unit)
    return ch.magnetic_resonance_report(
        medium,
        w,
        unit=body.unit,
        frequencies=body.frequencies.points(),
        frequency_unit=body.frequencies.unit,
        to_output=back,
    )


@computation(
    "chiral-single-susceptibility",
    SingleSusceptibilityRequest,
    model=ch.MODEL_NAME_CHIRAL,
    version=ch.MODEL_VERSION,
    check=_grid_limits,
)
def chiral_single_susceptibility(body: SingleSusceptibilityRequest, settings: Settings) -> Report:
    """The report of :func:`single_susceptibility` (runs in the compute pool)."""
    medium = build_chiral_medium(body, settings)
    w, back = grid_in_medium_units(body.frequencies, body.unit)
    beta = None
    if body.dbf is not None and body.dbf.beta is not None:
        beta = body.dbf.beta * ch.wavenumber_scale(body.unit)  # m (or c/unit) -> c/[unit]
    return ch.single_susceptibility_report(
        medium,
        w,
        unit=body.unit,
        frequencies=body.frequencies.points(),
        frequency_unit=body.frequencies.unit,
        to_output=back,
        dbf=body.dbf is not None,
        dbf_beta=beta,
    )


@router.post(
    "/magnetic-resonance",
    summary="A magnetic resonance assigned to chi_m or chi_B: dispersion and reflectance",
    response_model=MagneticResonanceResponse,
    responses=COMPUTE_RESPONSES,
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
    n = -1 when eps = -1), the group index and where v_p v_g < 0. Reference: K. Cho (2007),
    arXiv:cond-mat/0611235.
    """
    return await svc.respond(request, chiral_magnetic_resonance, body, fmt=format)


@router.post(
    "/single-susceptibility",
    summary="Chiral medium from the single susceptibility chi_em(k, w): k_+, k_-, rotation, CD",
    response_model=SingleSusceptibilityResponse,
    responses=COMPUTE_RESPONSES,
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
    Reference: K. Cho (2007), arXiv:cond-mat/0611235.
    """
    return await svc.respond(request, chiral_single_susceptibility, body, fmt=format)
