"""Crystalline insulators (Duff & Sipe, seed 003): bands, Berry geometry, orbital susceptibility."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from scipy import constants as sc

from app.errors import PROBLEM_RESPONSES
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
from app.service import ComputeResult, FormatQuery, ServiceDep
from app.settings import Settings
from core.crystal import bloch, geometry, susceptibility
from core.crystal.model import MODEL_NAME, MODEL_VERSION, TightBindingModel, from_hoppings, haldane
from core.errors import CoreError, InvalidInput, LimitExceeded

router = APIRouter(prefix="/v1/crystal", tags=["crystal"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {"content": {"text/csv": {}}},
    304: {"description": "Not modified (ETag)."},
}

_ENERGY_J = {"eV": sc.e, "meV": 1e-3 * sc.e}
_LENGTH_M = {"angstrom": 1e-10, "nm": 1e-9}

#: chi_1 (eqs 70-73) is evaluated with numpy; above this many k-points it is skipped.


def build_model(spec: HaldaneSpec | TightBindingSpec, settings: Settings) -> TightBindingModel:
    """The core model of a validated spec, after the size limits (413 naming the setting)."""
    if isinstance(spec, HaldaneSpec):
        return haldane(spec.t, spec.t2, spec.phi, spec.M, spec.a)
    if len(spec.orbitals) > settings.max_bands:
        raise LimitExceeded(
            f"{len(spec.orbitals)} orbitals; the limit is {settings.max_bands}",
            limit_name="max_bands",
            limit=settings.max_bands,
            requested=len(spec.orbitals),
            field=("model", "orbitals"),
            fix=f"use at most {settings.max_bands} orbitals per cell",
        )
    if len(spec.hoppings) > settings.max_hoppings:
        raise LimitExceeded(
            f"{len(spec.hoppings)} hoppings; the limit is {settings.max_hoppings}",
            limit_name="max_hoppings",
            limit=settings.max_hoppings,
            requested=len(spec.hoppings),
            field=("model", "hoppings"),
            fix=f"use at most {settings.max_hoppings} bonds (each once; the conjugate is implied)",
        )
    dim = len(spec.lattice)
    for i, row in enumerate(spec.lattice):
        if len(row) != dim:
            raise InvalidInput(
                f"lattice vector {i} has {len(row)} components; {dim} vectors need {dim}",
                field=("model", "lattice", i),
            )
    for i, o in enumerate(spec.orbitals):
        if len(o.position) != dim:
            raise InvalidInput(
                f"orbital {i} position has {len(o.position)} components, expected {dim}",
                field=("model", "orbitals", i, "position"),
            )
    for i, h in enumerate(spec.hoppings):
        if len(h.R) != dim:
            raise InvalidInput(
                f"hopping {i}: R has {len(h.R)} components, expected {dim}",
                field=("model", "hoppings", i, "R"),
            )
    try:
        return from_hoppings(
            spec.lattice,
            [o.position for o in spec.orbitals],
            [o.onsite for o in spec.orbitals],
            [
                (h.from_, h.to, h.R, complex(h.amplitude.real, h.amplitude.imag))
                for h in spec.hoppings
            ],
        )
    except CoreError as exc:
        exc.field = ("model", *exc.field)
        raise


def _grid_sizes(grid: KGrid, model: TightBindingModel, settings: Settings) -> tuple[int, ...]:
    if len(grid.n) != model.dim:
        raise InvalidInput(
            f"the grid has {len(grid.n)} sizes but the model is {model.dim}-dimensional",
            field=("grid", "n"),
        )
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
    return tuple(grid.n)


def _units(spec: HaldaneSpec | TightBindingSpec) -> tuple[str, str]:
    return spec.energy_unit, spec.length_unit


def _require_2d(model: TightBindingModel, what: str) -> None:
    if model.dim != 2:
        raise InvalidInput(f"{what} is implemented for 2D models", field=("model", "lattice"))


@router.post(
    "/bands", response_model=BandsResponse, responses=_RESPONSES
)
async def bands(
    body: BandsRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Band energies E_n(k) of a tight-binding model along a k-path or on a grid.

    H(k) in the atomic convention (eq 95), diagonalised in closed form for two bands and with
    batched LAPACK otherwise. The model is the Haldane shortcut (eqs 93-94) or a general list of
    hoppings. Returns ``kx``, ``ky`` (and ``kz``), ``energies`` (one row per k) and, for CSV, one
    column ``band_<n>`` per band; a path also returns the cumulative ``distance`` and ``vertices``.
    """
    settings = svc.settings
    model = build_model(body.model, settings)
    e_unit, l_unit = _units(body.model)
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
        for i, p in enumerate(body.path.points):
            if len(p.k) != model.dim:
                raise InvalidInput(
                    f"path point {i} has {len(p.k)} components, expected {model.dim}",
                    field=("path", "points", i, "k"),
                )
    else:
        assert body.grid is not None
        _grid_sizes(body.grid, model, settings)

    def compute() -> ComputeResult:
        data: dict[str, Any] = {}
        if body.path is not None:
            pts = [np.asarray(p.k, dtype=np.float64) for p in body.path.points]
            if body.path.frame == "reduced":
                pts = [p @ model.reciprocal for p in pts]
            k, dist, vert = bloch.k_path(pts, body.path.num)
            data["distance"] = dist
        else:
            assert body.grid is not None
            k, _ = bloch.monkhorst_grid(model, tuple(body.grid.n), body.grid.shift)
        es = []
        for s in range(0, k.shape[0], bloch.CHUNK_POINTS):
            e, _ = bloch.eigh_batched(
                bloch.bloch_derivatives(model, k[s : s + bloch.CHUNK_POINTS], order=0).h
            )
            es.append(e)
        e = np.concatenate(es)
        for a, name in enumerate(("kx", "ky", "kz")[: model.dim]):
            data[name] = np.ascontiguousarray(k[:, a])
        for b in range(model.norb):
            data[f"band_{b}"] = np.ascontiguousarray(e[:, b])
        data["energies"] = e
        if body.path is not None:
            data["vertices"] = [
                {"label": p.label, "distance": float(d)}
                for p, d in zip(body.path.points, vert, strict=True)
            ]
        units = {"k": f"1/{l_unit}", "energies": e_unit, "distance": f"1/{l_unit}"}
        return {"units": units, "checks": {}, "warnings": []}, data

    return await svc.respond(
        request,
        model=MODEL_NAME,
        version=MODEL_VERSION,
        params={"op": "bands", **body.model_dump()},
        compute=compute,
        fmt=format,
    )


@router.post(
    "/berry",
    response_model=BerryResponse,
    responses=PROBLEM_RESPONSES,
)
async def berry(body: BerryRequest, request: Request, svc: ServiceDep) -> Response:
    """Berry curvature, quantum metric and Chern numbers on a 2D k-grid.

    Curvature in the Kubo form Omega_n = -2 Im sum_m v^x_nm v^y_mn / (E_n - E_m)^2 (velocities eq
    106, Berry connection eq 107), metric g^ab_n = Re sum_m v^a_nm v^b_mn / (E_n - E_m)^2. Chern
    numbers by the Fukui-Hatsugai-Suzuki lattice method (integers by construction), per band and
    for the occupied bands, with C = (1/2pi) int Omega. A model whose gap at the filling closes on
    the grid gets 422 not-an-insulator with the gap.
    """
    settings = svc.settings
    model = build_model(body.model, settings)
    _require_2d(model, "the Berry curvature map and Chern number")
    ns = _grid_sizes(body.grid, model, settings)
    bloch.occupied_count(model, body.filling)  # 422 on a filling that is not 1..N-1
    e_unit, l_unit = _units(body.model)

    def compute() -> ComputeResult:
        ch = geometry.chern_fhs(
            model, (ns[0], ns[1]), filling=body.filling, max_k_points=settings.max_k_points
        )
        info = susceptibility.scan_gap(model, ns, body.filling, body.grid.shift)
        data: dict[str, Any] = {
            "chern_occupied": ch.occupied,
            "chern_per_band": [
                int(c) if np.isfinite(r) else None
                for c, r in zip(ch.per_band, ch.per_band_raw, strict=True)
            ],
            "chern_raw": {
                "occupied": ch.occupied_raw,
                "per_band": [float(x) if np.isfinite(x) else None for x in ch.per_band_raw],
            },
            "gap": info.gap,
            "direct_gap_min": info.direct_gap_min,
        }
        checks: dict[str, Any] = {
            "chern_integer": {
                "verdict": bool(abs(ch.occupied_raw - ch.occupied) < 1e-6),
                "raw": ch.occupied_raw,
            }
        }
        if body.include_maps:
            maps = geometry.geometry_maps(
                model, (ns[0], ns[1]), shift=body.grid.shift, max_k_points=settings.max_k_points
            )
            data["kx"] = np.ascontiguousarray(maps.k[:, 0])
            data["ky"] = np.ascontiguousarray(maps.k[:, 1])
            data["curvature"] = maps.curvature
            g = maps.metric
            data["metric"] = np.stack([g[:, 0, 0], g[:, 0, 1], g[:, 1, 1]], axis=1)
            data["curvature_integral"] = maps.curvature_chern
            checks["curvature_integral"] = {
                "verdict": bool(
                    abs(float(maps.curvature_chern[: info.n_occ].sum()) - ch.occupied) < 0.05
                ),
                "value": float(maps.curvature_chern[: info.n_occ].sum()),
                "note": "grid integral of the Kubo curvature; converges to the FHS integer as the grid resolves the curvature",
            }
        units = {
            "curvature": f"{l_unit}^2",
            "metric": f"{l_unit}^2",
            "gap": e_unit,
            "k": f"1/{l_unit}",
        }
        return {"units": units, "checks": checks, "warnings": []}, data

    return await svc.respond(
        request,
        model=MODEL_NAME,
        version=MODEL_VERSION,
        params={"op": "berry", **body.model_dump()},
        compute=compute,
    )


def _half_grid(ns: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(max(4, 2 * round(n / 4)) for n in ns)


@router.post(
    "/orbital-susceptibility",
    response_model=SusceptibilityResponse,
    responses=PROBLEM_RESPONSES,
)
async def orbital_susceptibility(
    body: SusceptibilityRequest, request: Request, svc: ServiceDep
) -> Response:
    """Static orbital magnetic susceptibility chi^zz of an insulator (spinless, T = 0).

    ``chi_2``: explicitly gauge-invariant evaluation (the purified form, eqs 83-84): second order of
    the grand potential of the Peierls Hamiltonian, written with velocity (eq 106) and Hessian (eq
    103) matrix elements and exact residues; parts by operator content. ``chi_1``: eqs 70-73
    (chi_VV + chi_occ + chi_geo, Hessian in place of hbar^2/m) with the diagonal Berry connections
    in the paper's gauge (eqs 98-101); equal to chi_2 in trivial insulators, gauge dependent in
    Chern insulators (the paper's Fig. 6). Per unit area in 2D, natural units e^2 E_u L_u^2 / hbar^2
    (E_u, L_u the model's units); ``si`` in A^2 m^2 / J when the units are physical. The
    convergence estimate compares the grid with one of about half the size.
    """
    settings = svc.settings
    model = build_model(body.model, settings)
    ns = _grid_sizes(body.grid, model, settings)
    bloch.occupied_count(model, body.filling)
    e_unit, l_unit = _units(body.model)

    def compute() -> ComputeResult:
        warnings: list[str] = []
        r2 = susceptibility.chi_2(
            model,
            ns,
            filling=body.filling,
            shift=body.grid.shift,
            max_k_points=settings.max_k_points,
        )
        half = _half_grid(ns)
        r2h = susceptibility.chi_2(model, half, filling=body.filling, shift=body.grid.shift)
        rel = abs(r2.chi - r2h.chi) / max(abs(r2.chi), 1e-300)
        chern = None
        if model.dim == 2:
            chern = geometry.chern_fhs(
                model, (min(ns[0], 120), min(ns[1], 120)), filling=body.filling
            ).occupied
        data: dict[str, Any] = {
            "chi_2": {"total": r2.chi, "parts": r2.parts},
            "chi_1": None,
            "magnetization": r2.magnetization,
            "chern_occupied": chern,
            "gap": r2.gap.gap,
            "grid": list(ns),
            "convergence": {"grid_half": list(half), "chi_2_half": r2h.chi, "relative_change": rel},
        }
        checks: dict[str, Any] = {
            "grid_convergence": {
                "verdict": bool(rel < 1e-3),
                "relative_change": rel,
                "tolerance": 1e-3,
            }
        }
        if rel >= 1e-3:
            warnings.append(
                f"chi_2 changes by {rel:.2g} (relative) between the {half} and {list(ns)} grids: use a finer grid"
            )
        if body.include_chi1 and model.dim == 2:
            if int(np.prod(ns)) > settings.max_chi1_k_points:
                warnings.append(
                    f"chi_1 skipped: it is evaluated on at most {settings.max_chi1_k_points} k-points (setting max_chi1_k_points)"
                )
            else:
                r1 = susceptibility.chi_1(model, ns, filling=body.filling, shift=body.grid.shift)
                data["chi_1"] = {
                    "total": r1.chi,
                    "parts": r1.parts,
                    "gauge_min_modulus": r1.extra["gauge_min_modulus"],
                }
                diff = abs(r1.chi - r2.chi) / max(abs(r2.chi), 1e-300)
                checks["chi1_equals_chi2"] = {
                    "verdict": bool(diff < 1e-4) if chern == 0 else None,
                    "relative_difference": diff,
                    "applies": "trivial insulators (C = 0)",
                }
                if chern:
                    warnings.append(
                        f"Chern insulator (C = {chern}): chi_1 depends on the gauge (no smooth periodic "
                        "gauge exists); chi_2 is the gauge-invariant value"
                    )
        if e_unit in _ENERGY_J and l_unit in _LENGTH_M and model.dim == 2:
            scale = susceptibility.to_si(1.0, _ENERGY_J[e_unit], _LENGTH_M[l_unit])
            data["si"] = {
                "chi_2": r2.chi * scale,
                "chi_1": data["chi_1"]["total"] * scale if data["chi_1"] else None,
                "unit": "A^2 m^2 / J (per unit area; = J T^-2 m^-2)",
                "magnetization": r2.magnetization * sc.e * _ENERGY_J[e_unit] / sc.hbar,
                "magnetization_unit": "A (magnetic moment per unit area)",
            }
        units = {
            "chi": "e^2 E_u L_u^2 / hbar^2 per unit area (E_u = "
            + e_unit
            + ", L_u = "
            + l_unit
            + ")",
            "magnetization": "e E_u / hbar",
            "gap": e_unit,
        }
        return {"units": units, "checks": checks, "warnings": warnings}, data

    return await svc.respond(
        request,
        model=MODEL_NAME,
        version=MODEL_VERSION,
        params={"op": "orbital-susceptibility", **body.model_dump()},
        compute=compute,
    )
