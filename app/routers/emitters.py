"""First-principles transition strengths of emitters (seed 000, Appendix B, eq 24, Fig. 2b)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.errors import PROBLEM_RESPONSES
from app.routers.oscillator import oscillator_payload
from app.schemas.emitters import (
    BoxStrengthsRequest,
    CustomStrengthsRequest,
    EmitterCommon,
    EmitterStrengthsResponse,
    HarmonicStrengthsRequest,
)
from app.service import ComputeResult, FormatQuery, ServiceDep
from core import emitters as em
from core.emitters import EmitterParams, EmitterResult
from core.errors import CoreError, InvalidInput, LimitExceeded
from core.oscillators import STRENGTHS

router = APIRouter(prefix="/v1/emitters", tags=["emitters"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {"content": {"text/csv": {}}},
    304: {"description": "Not modified (ETag)."},
}

_UNITS = {
    "omega_p": "w (the request's frequency unit)",
    "transitions": "model (omega, gamma in w; e_dip, m_dip, dia in w^2; quad, dip_oct in 1)",
    "chi": "1 (M = chi B)",
}

#: Diagnostics copied into each convergence row.
_ROW_KEYS = (
    "n_max",
    "states",
    "transitions",
    "trk_residual",
    "sum_rule_residual",
    "chi_static",
    "chi_static_error",
    "chi_dia_strengths",
    "chi_van_vleck_strengths",
    "mu_static",
    "multipole_ordering_violations",
)


def _finite(x: Any) -> Any:
    """JSON-safe scalar: numpy -> Python, non-finite -> None."""
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        v = float(x)
        return v if math.isfinite(v) else None
    return x


def _params(body: EmitterCommon) -> EmitterParams:
    return EmitterParams(
        mass=body.mass, charge=body.charge, density=body.density, linewidth=body.gamma
    )


def _pre(body: EmitterCommon, svc: Any, fmt: str) -> None:
    """Cheap checks before any work: grid size, CSV needs a grid."""
    if body.frequencies is not None:
        body.frequencies.check_size(svc.settings)
    elif fmt == "csv":
        raise InvalidInput(
            "CSV output has one row per grid point, and no frequency grid was given",
            field=("frequencies",),
            fix="add a `frequencies` grid (unit `model`), or ask for JSON",
        )


def _checks(d: dict[str, Any], tol: float) -> tuple[dict[str, Any], list[str]]:
    """``meta.checks`` and warnings from the core diagnostics."""
    warnings: list[str] = []
    trk_ok = abs(d["trk_residual"]) <= tol
    sr_ok = abs(d["sum_rule_residual"]) <= tol * max(d["sum_rule_scale"], 1e-300)
    lang = d["chi_langevin"]
    vv = d["chi_van_vleck"]
    scale = abs(lang) + abs(vv)
    lang_ok = abs(d["chi_dia_strengths"] - lang) <= tol * abs(lang)
    vv_ok = abs(d["chi_van_vleck_strengths"] - vv) <= tol * scale
    static_ok = abs(d["chi_static_error"]) <= tol * scale
    viol = int(d["multipole_ordering_violations"])

    if not trk_ok:
        warnings.append(
            f"basis incomplete for the dipole sum rule: sum Delta_edip = {d['trk_sum']:.6g} w_p^2 "
            "(TRK wants 1); raise n_max"
        )
    if not sr_ok:
        warnings.append(
            f"sum rule (26) residual {d['sum_rule_residual']:.3g} (scale "
            f"{d['sum_rule_scale']:.3g}): mu -> {d['mu_infinity']:.9g}, not 1, as w -> inf; "
            "it closes as the basis grows"
        )
    if not static_ok:
        warnings.append(
            f"chi(0) = {d['chi_static']:.6g} from the strengths vs {d['chi_static_reference']:.6g} "
            "(Langevin + Van Vleck computed directly): the basis is not converged at the "
            "requested tolerance"
        )
    if not d["passive"]:
        first = d.get("first_non_passive_frequency")
        where = f" from w = {first:.6g}" if first is not None else ""
        warnings.append(
            f"not passive: Im(eps mu) < 0{where} on the automatic scan. Eq 25 fails for {viol} "
            "transition(s): there the long-wavelength expansion of App. B (w_eg * size << 1) no "
            "longer holds"
        )

    checks: dict[str, Any] = {
        "trk_sum": {
            "verdict": bool(trk_ok),
            "value": d["trk_sum"],
            "residual": d["trk_residual"],
            "tolerance": tol,
            "equation": "TRK sum rule (B26): sum Delta_edip = w_p^2",
        },
        "sum_rule_26": {
            "verdict": bool(sr_ok),
            "value": d["sum_rule_residual"],
            "scale": d["sum_rule_scale"],
            "tolerance": tol,
            "mu_infinity": d["mu_infinity"],
            "equation": "W&B eq 26",
        },
        "static_limits": {
            "eps_static": d["eps_static"],
            "mu_static": d["mu_static"],
            "chi_static": d["chi_static"],
            "equation": "W&B eq 22",
        },
        "diamagnetic": {"verdict": bool(d["mu_static"] < 1.0), "mu_static": d["mu_static"]},
        "langevin": {
            "verdict": bool(lang_ok),
            "chi_langevin": lang,
            "chi_dia_strengths": d["chi_dia_strengths"],
            "r2_ground": d["r2_ground"],
            "tolerance": tol,
            "equation": "B82: chi = -rho0 q^2 <r^2> / (6 m) vs -sum Delta_dia / w_eg^2",
        },
        "van_vleck": {
            "verdict": bool(vv_ok),
            "chi_van_vleck": vv,
            "chi_van_vleck_strengths": d["chi_van_vleck_strengths"],
            "reference_error": d["chi_van_vleck_error"],
            "tolerance": tol,
            "equation": "w_p^2 sum |L^ge|^2 / (6 m w_eg) vs sum Delta_mdip / w_eg^2",
        },
        "chi_static_reference": {
            "verdict": bool(static_ok),
            "chi_static": d["chi_static"],
            "reference": d["chi_static_reference"],
            "error": d["chi_static_error"],
            "tolerance": tol,
            "source": d["reference_source"],
        },
        "passive_scan": {
            "verdict": bool(d["passive"]),
            "min_im_eps": d.get("min_im_eps"),
            "min_im_eps_mu": d.get("min_im_eps_mu"),
            "min_im_mu": d.get("min_im_mu"),
            "first_non_passive_frequency": d.get("first_non_passive_frequency"),
            "scan_max_frequency": d.get("scan_max_frequency"),
            "scan": "0 < w <= 1.25 max w_eg (2000 points) plus every w_eg",
        },
        "multipole_ordering": {"verdict": viol == 0, "violations": viol},
    }
    return {k: {kk: _finite(vv_) for kk, vv_ in v.items()} for k, v in checks.items()}, warnings


def _payload(
    res: EmitterResult,
    body: EmitterCommon,
    rows: list[dict[str, Any]] | None = None,
) -> ComputeResult:
    meta: dict[str, Any] = {"checks": {}, "warnings": [], "units": {}}
    data: dict[str, Any] = {}
    if body.frequencies is not None:
        meta, data = oscillator_payload(res.medium, body.frequencies, "model")
    checks, warnings = _checks(res.diagnostics, body.tolerance)
    meta["checks"] = {**checks, **meta.get("checks", {})}
    meta["warnings"] = [*warnings, *meta.get("warnings", [])]
    meta["units"] = {**meta.get("units", {}), **_UNITS}
    s = res.strengths
    transitions = [
        {
            "omega": float(s.omega[i]),
            "gamma": float(res.medium.gamma[i]),
            **{k: float(getattr(s, k)[i]) for k in STRENGTHS},
        }
        for i in range(s.size)
    ]
    data.update(
        {
            "omega_p": res.params.omega_p,
            "medium": {"unit": "model", "transitions": transitions},
            "states": {
                "labels": None if s.labels is None else s.labels.tolist(),
                "degeneracy": s.degeneracy.tolist(),
            },
            "diagnostics": {k: _finite(v) for k, v in res.diagnostics.items()},
            "convergence": None
            if rows is None
            else [{k: _finite(r[k]) for k in _ROW_KEYS} for r in rows],
        }
    )
    return meta, data


@router.post(
    "/box/strengths",
    summary="Strengths of a particle-in-a-box medium from first principles (eq 24, Fig. 2b)",
    response_model=EmitterStrengthsResponse,
    responses=_RESPONSES,
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
    Van Vleck susceptibilities computed directly vs from the strengths, and passivity (computed on
    a scan, not assumed). Natural units hbar = c = eps0 = 1 in your frequency unit (the paper:
    w_p). With `frequencies`, eps, mu, chi, n, Z, R are returned as /v1/oscillator/response does;
    with `convergence`, the diagnostics for every cutoff 2..n_max.
    """
    settings = svc.settings
    _pre(body, svc, format)
    em.check_limits(n_max=body.n_max, max_n_max=settings.max_emitter_n_max)
    em.check_limits(states=body.n_max**3 - 1, max_states=settings.max_emitter_states)

    def compute() -> ComputeResult:
        params = _params(body)
        kw = {"max_n_max": settings.max_emitter_n_max, "max_states": settings.max_emitter_states}
        res = em.box_emitter(body.lengths, params, body.n_max, merge=body.merge_degenerate, **kw)
        rows = None
        if body.convergence:
            rows = em.box_convergence(body.lengths, params, range(2, body.n_max + 1), **kw)
        return _payload(res, body, rows)

    return await svc.respond(
        request,
        model="emitter-box",
        version=em.MODEL_VERSIONS["emitter-box"],
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )


@router.post(
    "/harmonic/strengths",
    summary="Strengths of a harmonic-oscillator medium (analytic moments, exact sum rules)",
    response_model=EmitterStrengthsResponse,
    responses=_RESPONSES,
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
    _pre(body, svc, format)

    def compute() -> ComputeResult:
        res = em.harmonic_emitter(
            body.oscillator_frequencies, _params(body), merge=body.merge_degenerate
        )
        return _payload(res, body)

    return await svc.respond(
        request,
        model="emitter-harmonic",
        version=em.MODEL_VERSIONS["emitter-harmonic"],
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )


def _complex(parts: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=np.complex128)
    if parts.real is not None:
        out += np.asarray(parts.real, dtype=np.float64)
    if parts.imag is not None:
        out += 1j * np.asarray(parts.imag, dtype=np.float64)
    return out


@router.post(
    "/custom/strengths",
    summary="Strengths from user-given transition moments (App. B, B40-B61)",
    response_model=EmitterStrengthsResponse,
    responses=_RESPONSES,
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
    settings = svc.settings
    _pre(body, svc, format)
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

    def compute() -> ComputeResult:
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
        return _payload(res, body)

    return await svc.respond(
        request,
        model="emitter-custom",
        version=em.MODEL_VERSIONS["emitter-custom"],
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )
