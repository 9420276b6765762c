"""Optics of media with eps and mu: multilayer reflectance and polariton dispersion."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from scipy import constants as sc

from app.errors import PROBLEM_RESPONSES
from app.media import build_medium
from app.schemas.chiral import ComplexInput
from app.schemas.optics import (
    ConstantMediumKind,
    DispersionRequest,
    DispersionResponse,
    KGrid,
    MagneticResonanceMediumKind,
    OscillatorMediumKind,
    ReflectanceRequest,
    ReflectanceResponse,
    TabulatedMediumKind,
)
from app.service import ComputeResult, FormatQuery, ServiceDep, carray
from app.settings import Settings
from core import chiral as ch
from core import dispersion as disp
from core import optics as opt
from core.errors import CoreError, InvalidInput, LimitExceeded
from core.units import is_physical, linear_scale, to_angular

router = APIRouter(prefix="/v1/optics", tags=["optics"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {"content": {"text/csv": {}}},
    304: {"description": "Not modified (ETag)."},
}

FieldPath = tuple[str | int, ...]

#: metres per length unit (``model`` lengths are c / w_unit and need no conversion).
LENGTH_SCALE = {"m": 1.0, "um": 1e-6, "nm": 1e-9}
#: (1/m) per wavenumber unit.
WAVENUMBER_SCALE = {"1/m": 1.0, "1/cm": 1e2, "1/um": 1e6, "1/nm": 1e9}


# ---------------------------------------------------------------------- media


def _prefixed(exc: CoreError, field: FieldPath) -> CoreError:
    exc.field = (*field, *exc.field)
    return exc


def medium_unit(spec: Any) -> str | None:
    """The frequency unit a medium spec is written in (None for a constant medium)."""
    return None if isinstance(spec, ConstantMediumKind) else spec.unit


def count_transitions(spec: Any) -> int:
    if isinstance(spec, OscillatorMediumKind):
        return len(spec.transitions)
    if isinstance(spec, MagneticResonanceMediumKind):
        return 1 + len(spec.background)
    return 0


def core_medium(spec: Any, target: str, settings: Settings, field: FieldPath) -> Any:
    """The core medium of a validated spec, with its frequencies expressed in ``target`` (a linear
    unit: rad/s, model or the spec's own). Raises InvalidInput when a model-unit medium meets a
    physical grid (or the reverse): the model unit has no SI scale."""
    unit = medium_unit(spec)
    if unit is not None and is_physical(unit) != is_physical(target):
        raise InvalidInput(
            f"the medium is in '{unit}' but the request works in "
            f"{'physical' if is_physical(target) else 'model'} units: the model unit has no SI scale",
            field=(*field, "unit"),
            fix="use 'model' units everywhere, or physical units everywhere",
        )
    try:
        if isinstance(spec, ConstantMediumKind):
            return opt.ConstantMedium(_cx(spec.eps), _cx(spec.mu))
        assert unit is not None
        if isinstance(spec, OscillatorMediumKind):
            s = linear_scale(unit) / linear_scale(target)
            return build_medium(spec, settings).scaled(s)  # type: ignore[arg-type]
        if isinstance(spec, MagneticResonanceMediumKind):
            s = linear_scale(unit) / linear_scale(target)
            b = spec.b if spec.b is not None else ch.gaussian_strength(float(spec.four_pi_b or 0))
            bg = spec.background
            try:
                return ch.MagneticResonanceMedium(
                    eps_b=_cx(spec.eps_b),
                    b=b * s,
                    w0=spec.w0 * s,
                    gamma=spec.gamma * s,
                    assignment=spec.assignment,
                    line_shape=spec.line_shape,
                    background_omega=tuple(o.omega * s for o in bg),
                    background_gamma=tuple(o.gamma * s for o in bg),
                    background_strength=tuple(o.strength * s * s for o in bg),
                )
            except InvalidInput as exc:
                if exc.field == ("b",) and spec.b is None:
                    exc.field = ("four_pi_b",)
                raise
        if isinstance(spec, TabulatedMediumKind):
            n = len(spec.frequencies)
            if n > settings.max_grid_points:
                raise LimitExceeded(
                    f"the table has {n} rows; the limit is {settings.max_grid_points}",
                    limit_name="max_grid_points",
                    limit=settings.max_grid_points,
                    requested=n,
                    field=("frequencies",),
                    fix="thin the table",
                )
            f = to_angular(spec.frequencies, unit) / linear_scale(target)
            order = np.argsort(f, kind="stable")
            if spec.n is not None:
                nk = np.asarray(spec.n) + 1j * np.asarray(spec.k)
                eps, mu = nk * nk, np.ones(n, dtype=complex)
            else:
                assert spec.eps is not None
                eps = np.asarray(spec.eps.real) + 1j * np.asarray(spec.eps.imag)
                mu = (
                    np.asarray(spec.mu.real) + 1j * np.asarray(spec.mu.imag)
                    if spec.mu is not None
                    else np.ones(n, dtype=complex)
                )
            if np.any(np.diff(f[order]) <= 0):
                raise InvalidInput(
                    "the table has two rows at the same frequency",
                    field=("frequencies",),
                    fix="drop duplicate rows",
                )
            return opt.TabulatedMedium(f[order], eps[order], mu[order], spec.interpolation)
    except CoreError as exc:
        raise _prefixed(exc, field) from None
    raise InvalidInput("unknown medium kind", field=(*field, "kind"))  # pragma: no cover


def _cx(v: Any) -> complex:
    return complex(v.real, v.imag) if isinstance(v, ComplexInput) else complex(v)


def _finite_list(a: np.ndarray) -> list[Any]:
    """A real array as a list with None where it is not finite (JSON has no inf/NaN)."""
    arr = np.asarray(a, dtype=np.float64)
    return [float(x) if np.isfinite(x) else None for x in arr.reshape(-1)]


def _cmatrix(z: np.ndarray) -> dict[str, list[list[Any]]]:
    """A complex 2-D array as {real, imag} nested lists, None where not finite."""
    z = np.asarray(z, dtype=np.complex128)
    re = np.where(np.isfinite(z.real), z.real, np.nan)
    im = np.where(np.isfinite(z.imag), z.imag, np.nan)
    conv = lambda m: [[None if np.isnan(x) else float(x) for x in row] for row in m]  # noqa: E731
    return {"real": conv(re), "imag": conv(im)}


def _intervals(w_grid: np.ndarray, ivs: list[tuple[float, float]]) -> list[dict[str, float]]:
    return [{"start": min(a, b), "stop": max(a, b)} for a, b in ivs]


# ---------------------------------------------------------------------- reflectance


def reflectance_payload(body: ReflectanceRequest, settings: Settings) -> ComputeResult:
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
    specs = [("ambient",), *[("layers", i, "medium") for i in range(len(body.layers))]]
    specs.append(("substrate",))
    objs = [body.ambient, *[layer.medium for layer in body.layers], body.substrate]
    eps = np.empty((len(objs), w.size), dtype=np.complex128)
    mu = np.empty_like(eps)
    for j, (spec, field) in enumerate(zip(objs, specs, strict=True)):
        med = core_medium(spec, target, settings, field)
        eps[j], mu[j] = opt.medium_eps_mu(med, w, field=field)
    scale = LENGTH_SCALE.get(body.length_unit, 1.0)
    d = np.array([layer.thickness * scale for layer in body.layers], dtype=np.float64)
    k0 = opt.vacuum_wavenumber(w, physical)
    th = np.radians(np.asarray(body.angles, dtype=np.float64))
    pols = ["s", "p"] if body.polarization == "both" else [body.polarization]
    n_ang, n_f = th.size, w.size
    data: dict[str, Any] = {
        "frequencies": np.tile(pts, n_ang),
        "angles": np.repeat(np.asarray(body.angles, dtype=np.float64), n_f),
    }
    checks: dict[str, Any] = {}
    warnings: list[str] = []
    lossless = bool(np.all(eps.imag == 0) and np.all(mu.imag == 0))
    for pol in pols:
        c = opt.stack_coefficients(eps, mu, d, k0, th, pol)  # type: ignore[arg-type]
        if not (np.all(np.isfinite(c.r)) and np.all(np.isfinite(c.t))):
            raise InvalidInput(
                "the stack is singular at some angle and frequency (a lossless layer sits exactly "
                "on a guided or surface mode, or mu = 0 / eps = 0 in a layer)",
                field=("layers",),
                fix="give the layers a little loss (Im eps > 0) or move the grid points",
            )
        data[f"R_{pol}"] = c.R.reshape(-1)
        data[f"T_{pol}"] = c.T.reshape(-1)
        data[f"A_{pol}"] = c.A.reshape(-1)
        data[f"r_{pol}"] = carray(c.r.reshape(-1))
        data[f"t_{pol}"] = carray(c.t.reshape(-1))
        dev = float(np.max(np.abs(c.R + c.T - 1.0)))
        checks[f"energy_{pol}"] = {
            "verdict": (dev <= 1e-10) if lossless else bool(c.A.min() >= -1e-10),
            "lossless": lossless,
            "max_abs_R_plus_T_minus_1": dev,
            "min_absorptance": float(c.A.min()),
            "detail": "lossless media: R + T = 1; lossy media: absorptance A = 1 - R - T >= 0",
        }
    n_all = opt.refractive_index(eps, mu)
    lh = [
        "/".join(str(x) for x in f)
        for f, row in zip(specs, n_all, strict=True)
        if np.any(row.real < 0)
    ]
    if lh:
        warnings.append(
            f"Re n < 0 (left-handed) somewhere in: {', '.join(lh)}; the decaying branch Im n > 0 "
            "is used for every medium"
        )
    units = {
        "frequencies": grid.unit,
        "angles": "deg",
        "thickness": body.length_unit if body.length_unit != "model" else "c / w_unit",
        "R, T, A": "1",
    }
    meta = {
        "checks": checks,
        "warnings": warnings,
        "units": units,
        "shape": {"angles": n_ang, "frequencies": n_f, "order": "angle-major"},
    }
    return meta, data


@router.post(
    "/reflectance",
    summary="Reflectance and transmittance of an interface or a multilayer stack (s and p)",
    response_model=ReflectanceResponse,
    responses=_RESPONSES,
)
async def reflectance(
    body: ReflectanceRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """R, T, A = 1 - R - T and the amplitudes r, t of a coherent stack ambient | layers | substrate
    at any angle, for s (TE) and p (TM) light, every medium with its own eps(w) and mu(w).

    Media: `oscillator` (Westerberg & Barnett eq 21), `constant`, `tabulated` (eps, mu or n, k),
    `magnetic-resonance` (Cho eqs 44-47, chi_m or chi_B). Method: transfer matrices in their stable
    recursive form, with admittances q/mu (s) and q/eps (p), q = sqrt(eps mu - n0^2 sin^2 theta) on
    the decaying branch; T is the Poynting flux into the substrate. r_s is the E_y ratio, r_p the
    H_y ratio (r_p = -r_s at normal incidence), t the E-field ratio. Lengths: m, um, nm with
    physical frequency units; `model` lengths are c / w_unit. Arrays are in long format (one entry
    per angle and frequency, angle-major), so `?format=csv` gives one row per pair.
    """
    settings = svc.settings
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
    media = [body.ambient, *[layer.medium for layer in body.layers], body.substrate]
    total = sum(count_transitions(m) for m in media)
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

    def compute() -> ComputeResult:
        return reflectance_payload(body, settings)

    return await svc.respond(
        request,
        model=opt.MODEL_NAME_REFLECTANCE,
        version=opt.MODEL_VERSION,
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )


# ---------------------------------------------------------------------- dispersion


def _k_per_metre(unit: str) -> float:
    return WAVENUMBER_SCALE[unit]


def dispersion_payload(body: DispersionRequest, settings: Settings) -> ComputeResult:
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
    med = core_medium(spec, unit, settings, ("medium",))
    k_unit = body.k.unit if body.k is not None else ("1/m" if physical else "model")
    if (k_unit == "model") == physical:
        raise InvalidInput(
            f"k unit '{k_unit}' does not fit a medium in '{unit}'",
            field=("k", "unit"),
            fix="use 'model' (w_unit / c) with model units, 1/m, 1/um, 1/nm or 1/cm otherwise",
        )
    # natural wavenumber (frequency unit / c) -> response k unit
    k_out = linear_scale(unit) / sc.c / _k_per_metre(k_unit) if physical else 1.0
    data: dict[str, Any] = {}
    checks: dict[str, Any] = {}
    warnings: list[str] = []
    units: dict[str, str] = {"medium": unit, "wavenumber": k_unit, "v_phase, v_group": "c"}

    if body.frequencies is not None:
        grid = body.frequencies
        if is_physical(grid.unit) != physical:
            raise InvalidInput(
                f"the grid is in '{grid.unit}' but the medium in '{unit}'",
                field=("frequencies", "unit"),
                fix="use 'model' for both, or physical units for both",
            )
        pts = grid.points()
        w = to_angular(pts, grid.unit) / linear_scale(unit)
        r = opt.optical_response(med, w, rule=body.branch, field=("medium",))
        if not (np.all(np.isfinite(r.n)) and np.all(np.isfinite(r.eps * r.mu))):
            raise InvalidInput(
                "eps or mu is not finite at some grid point (an undamped singularity)",
                field=("frequencies",),
                fix="give the resonances a damping gamma > 0, or move the grid points",
            )
        data.update(
            {
                "frequencies": pts,
                "epsilon": carray(r.eps),
                "mu": carray(r.mu),
                "refractive_index": carray(r.n),
                "wavenumber": carray(r.k * k_out),
                "impedance": carray(r.impedance),
                "v_phase": _finite_list(r.v_phase),
                "v_group": _finite_list(r.v_group),
                "left_handed": [bool(x) for x in r.left_handed],
                "negative_index": [bool(x) for x in r.negative_index],
            }
        )
        units["frequencies"] = grid.unit
        order = np.argsort(pts)
        checks["left_handed"] = {
            "intervals": _intervals(pts, opt.mask_intervals(pts[order], r.left_handed[order])),
            "criterion": "v_phase v_group < 0 where the wave propagates (|Im n| < 0.1 |Re n|), "
            "Cho sec. 3.4",
        }
        checks["negative_index"] = {
            "intervals": _intervals(pts, opt.mask_intervals(pts[order], r.negative_index[order]))
        }
        dis = opt.mask_intervals(pts[order], r.rules_disagree[order])
        checks["branch_rules"] = {
            "verdict": not dis,
            "rule": body.branch,
            "disagreement_intervals": _intervals(pts, dis),
            "detail": "where the decay rule (Im n > 0) and Cho's group-velocity rule pick "
            "opposite signs of n",
        }
        if dis:
            warnings.append(
                f"the decay and group-velocity index rules disagree on {len(dis)} interval(s): "
                "there the wave with v_g > 0 grows along its path (gain, Im(eps mu) < 0 where "
                "Re n > 0, or anomalous dispersion with loss, where v_g is not the energy "
                "velocity); the `decay` branch is the one a passive medium selects"
            )
        checks["passive"] = {
            "verdict": bool(r.eps.imag.min() >= 0 and (r.eps * r.mu).imag.min() >= 0),
            "min_im_epsilon": float(r.eps.imag.min()),
            "min_im_mu": float(r.mu.imag.min()),
            "min_im_eps_mu": float((r.eps * r.mu).imag.min()),
        }

    if body.k is not None:
        kg: KGrid = body.k
        kv = (
            np.asarray(kg.values, dtype=np.float64)
            if kg.values is not None
            else (
                np.geomspace(kg.start, kg.stop, kg.num)  # type: ignore[arg-type]
                if kg.spacing == "log"
                else np.linspace(kg.start, kg.stop, kg.num)  # type: ignore[arg-type]
            )
        )
        k_nat = kv / k_out
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
        b = disp.dispersion_branches(
            rat, k_nat, max_k_points=settings.max_dispersion_k_points, field=("medium",)
        )
        out_unit = body.omega_unit or unit
        if is_physical(out_unit) != physical:
            raise InvalidInput(
                f"omega_unit '{out_unit}' does not fit a medium in '{unit}'",
                field=("omega_unit",),
                fix="use 'model' with model units, a physical unit otherwise",
            )
        w_out = b.omega * (linear_scale(unit) / linear_scale(out_unit))
        data["branches"] = {
            "k": kv,
            "omega": _cmatrix(w_out),
            "v_phase": _cmatrix(b.v_phase),
            "v_group": _cmatrix(b.v_group),
            "sum_rule": _finite_list(b.sum_rule),
            "degree": b.degree,
        }
        units["branches.k"] = kg.unit
        units["branches.omega"] = out_unit
        scale_w = float(np.max(np.abs(b.omega))) if b.omega.size else 1.0
        max_im = float(np.max(b.omega.imag))
        growing = int(np.sum(np.any(b.omega.imag > 1e-12 * scale_w, axis=0)))
        dev = b.sum_rule_deviation
        fd_dev = np.abs(b.sum_rule_fd - b.sum_rule_expected)
        fd = float(np.max(fd_dev)) if np.all(np.isfinite(fd_dev)) else float("nan")
        excess = float(np.max(b.residual / np.maximum(1e-10, 16 * b.residual_floor)))
        checks["roots"] = {
            "verdict": bool(np.max(b.backward_error) <= 1e-10 and excess <= 1.0),
            "degree": b.degree,
            "max_backward_error": float(np.max(b.backward_error)),
            "max_relative_residual": float(np.max(b.residual)),
            "max_residual_over_allowance": excess,
            "detail": "residual = |w^2 eps mu / k^2 - 1| <= max(1e-10, 16 x 2 eps |v_p / v_g|) (one "
            "rounding of w moves it by 2 eps |v_p / v_g|: flat matter branches); backward error = "
            "|G| / sum |terms of G|, G = w^2 eps - k^2 / mu",
        }
        checks["sum_rule_eq9"] = {
            "verdict": bool(dev <= 1e-8),
            "expected": b.sum_rule_expected,
            "max_relative_deviation": dev,
            "finite_difference_max_deviation": fd if np.isfinite(fd) else None,
            "form": b.sum_rule_form,
            "equation": "W&B eq 9: Re sum_j mu(w_j) v_p v_g = c^2 (c^2 / eps_inf with a background)",
        }
        checks["stability"] = {
            "verdict": growing == 0,
            "max_imag_omega": max_im * linear_scale(unit) / linear_scale(out_unit),
            "growing_branches": growing,
            "detail": "causal, passive media have Im w_j(k) <= 0 on every branch",
        }
        checks["tracking"] = {"reassigned_steps": b.reassigned}
        if growing:
            warnings.append(
                f"{growing} branch(es) have Im w > 0 (growing in time) on the k grid: the medium is "
                "not passive there (e.g. Im(eps mu) < 0 at high frequency from damped "
                "dipole-octopole terms, or a constant negative eps, which is not causal)"
            )
        if not np.all(np.isfinite(b.v_group)):
            warnings.append("v_group is infinite at some k (a double root): returned as null")
    return {"checks": checks, "warnings": warnings, "units": units}, data


@router.post(
    "/dispersion",
    summary="Polariton dispersion: k(w) on a frequency grid and all branches w_j(k) on a k grid",
    response_model=DispersionResponse,
    responses=_RESPONSES,
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
    settings = svc.settings
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

    def compute() -> ComputeResult:
        return dispersion_payload(body, settings)

    return await svc.respond(
        request,
        model=opt.MODEL_NAME_DISPERSION,
        version=opt.MODEL_VERSION,
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )
