"""Molecular multipole response and origin-(in)dependent material constants (seed 001)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.errors import PROBLEM_RESPONSES
from app.schemas.common import FrequencyGrid
from app.schemas.molecular import (
    BoxMoleculeSpec,
    MaterialConstantsRequest,
    MaterialConstantsResponse,
    RefractiveIndexRequest,
    RefractiveIndexResponse,
    StatesMoleculeSpec,
)
from app.service import ComputeResult, FormatQuery, ServiceDep, carray
from app.settings import Settings
from core import molecular as mol
from core.errors import CoreError, InvalidInput, LimitExceeded
from core.molecular_box import BoxMolecule, box_molecular_states
from core.units import linear_scale, to_angular

router = APIRouter(prefix="/v1/molecular", tags=["molecular"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {"content": {"text/csv": {}}},
    304: {"description": "Not modified (ETag)."},
}

#: core field names -> request field names
_FIELD_NAMES = {
    "P": "electric_dipole",
    "Q": "electric_quadrupole",
    "O": "electric_octupole",
    "M": "magnetic_dipole",
    "Mq": "magnetic_quadrupole",
}

#: Relative disagreement of the refractive indices of two definitions counted as agreement.
AGREEMENT_RTOL = 1e-10
#: Relative size of the parts Table 1 discards, above which the moments are not time-even.
TIME_EVEN_TOL = 1e-8
#: |TRK residual| under which the basis counts as complete for the dipole sum rule.
TRK_TOL = 1e-2


def _remap(exc: CoreError) -> CoreError:
    f = list(exc.field)
    if len(f) > 1 and f[0] == "states" and f[1] in _FIELD_NAMES:
        f[1] = _FIELD_NAMES[str(f[1])]
    exc.field = tuple(f)
    return exc


def _complex_array(spec: Any, name: str) -> np.ndarray:
    try:
        re = np.array(spec.real, dtype=np.float64)
        im = np.zeros_like(re) if spec.imag is None else np.array(spec.imag, dtype=np.float64)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(
            f"'{name}' is not a rectangular array of numbers",
            field=("states", name),
            fix="give nested lists of equal lengths",
        ) from exc
    if re.shape != im.shape:
        raise InvalidInput(
            f"'{name}': real part has shape {list(re.shape)}, imaginary part {list(im.shape)}",
            field=("states", name, "imag"),
            fix="give real and imaginary parts of the same shape",
        )
    return re + 1j * im


def build_states(
    body: MaterialConstantsRequest | RefractiveIndexRequest,
    settings: Settings,
    origin: Any = (0.0, 0.0, 0.0),
) -> mol.MolecularStates:
    """Core states of the request's molecule, moments about ``origin`` (bohr)."""
    spec: BoxMoleculeSpec | StatesMoleculeSpec = body.box if body.box is not None else body.states  # type: ignore[assignment]
    try:
        if isinstance(spec, BoxMoleculeSpec):
            n = int(np.prod(spec.n_max)) - 1
            if n > settings.max_molecular_states:
                raise LimitExceeded(
                    f"the box basis has {n} excited states; the limit is "
                    f"{settings.max_molecular_states}",
                    limit_name="max_molecular_states",
                    limit=settings.max_molecular_states,
                    requested=n,
                    field=("box", "n_max"),
                    fix="lower n_max (4-8 per axis is plenty for the checks)",
                )
            box = BoxMolecule(
                np.asarray(spec.lengths, dtype=np.float64),
                np.asarray(spec.center, dtype=np.float64),
                np.asarray(spec.n_max, dtype=np.int64),
                spec.linewidth,
            )
            return box_molecular_states(box, origin)
        s = len(spec.energies)
        if s > settings.max_molecular_states:
            raise LimitExceeded(
                f"{s} excited states; the limit is {settings.max_molecular_states}",
                limit_name="max_molecular_states",
                limit=settings.max_molecular_states,
                requested=s,
                field=("states", "energies"),
                fix="truncate the sum over states",
            )
        arrays = {
            core: _complex_array(getattr(spec, api), api) for core, api in _FIELD_NAMES.items()
        }
        widths = spec.linewidths if spec.linewidths is not None else [spec.linewidth] * s
        try:
            r2 = np.array(spec.ground_second_moment, dtype=np.float64)
        except ValueError as exc:
            raise InvalidInput(
                "'ground_second_moment' must be a 3x3 array",
                field=("states", "ground_second_moment"),
            ) from exc
        states = mol.MolecularStates(
            energies=np.asarray(spec.energies),
            linewidths=np.asarray(widths),
            ground_first_moment=np.asarray(spec.ground_first_moment),
            ground_second_moment=r2,
            n_electrons=spec.n_electrons,
            P=arrays["P"],
            Q=arrays["Q"],
            O=arrays["O"],
            M=arrays["M"],
            Mq=arrays["Mq"],
        )
        if tuple(origin) != (0.0, 0.0, 0.0):
            states = states.translated(origin)
        return states
    except CoreError as exc:
        raise _remap(exc) from None


def check_grid(grid: FrequencyGrid, settings: Settings) -> None:
    """413 for grids beyond max_grid_points or the molecular limit (rank-4 tensors per point)."""
    grid.check_size(settings)
    if grid.size > settings.max_molecular_frequencies:
        raise LimitExceeded(
            f"the frequency grid has {grid.size} points; molecular tensors are limited to "
            f"{settings.max_molecular_frequencies}",
            limit_name="max_molecular_frequencies",
            limit=settings.max_molecular_frequencies,
            requested=grid.size,
            field=("frequencies", "values" if grid.values is not None else "num"),
            fix="ask for fewer points, or split the range over several requests",
        )


def grid_hartree(grid: FrequencyGrid) -> np.ndarray:
    """Grid points in hartree (``model`` is read as hartree, the atomic unit of energy)."""
    pts = grid.points()
    if grid.unit == "model":
        return pts
    return to_angular(pts, grid.unit) / linear_scale("hartree")


def _perpendicular(sigma: np.ndarray) -> np.ndarray:
    s = sigma / np.linalg.norm(sigma)
    trial = np.eye(3)[int(np.argmin(np.abs(s)))]
    e = trial - s * (s @ trial)
    return e / np.linalg.norm(e)


def _finite(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), x, 0.0)


def _sign_changes(w: np.ndarray, x: np.ndarray) -> list[float]:
    """Frequencies (midpoints, grid order sorted) where x changes sign between grid points."""
    order = np.argsort(w, kind="stable")
    ws, xs = w[order], x[order]
    flips = np.flatnonzero(np.sign(xs[1:]) * np.sign(xs[:-1]) < 0)
    return [float(0.5 * (ws[i] + ws[i + 1])) for i in flips]


def _trk_check(states: mol.MolecularStates) -> dict[str, Any]:
    f = 2.0 * states.mass * states.energies[:, None] * np.abs(states.P) ** 2
    res = f.sum(axis=0) / (states.charge**2 * states.n_electrons) - 1.0
    return {
        "verdict": bool(np.all(np.abs(res) < TRK_TOL)),
        "residual_xyz": [float(v) for v in res],
        "tolerance": TRK_TOL,
        "equation": "sum_s 2 m w_s0 |<0|P_i|s>|^2 = q^2 N_e (Thomas-Reiche-Kuhn)",
        "note": "origin independence of the transformed constants needs this completeness",
    }


def _time_even_check(states: mol.MolecularStates) -> dict[str, Any]:
    res = states.time_even_residual()
    return {
        "verdict": bool(res <= TIME_EVEN_TOL),
        "residual": res,
        "tolerance": TIME_EVEN_TOL,
        "note": "Table 1 assumes a non-magnetic ground state: electric moments of a transition "
        "share one phase, magnetic ones carry an extra i (a residual of order 1 usually means M given "
        "without its factor i)",
    }


def _static_check(states: mol.MolecularStates) -> dict[str, Any]:
    undamped = dataclasses.replace(states, linewidths=np.zeros(states.size))
    t = mol.molecular_tensors(undamped, np.array([0.0]))
    x_rl = mol.raab_de_lange_inverse_permeability(t)[0]
    x_cov = -mol.covariant_tensors(t)["m"][0]
    chi = t.chi[0]
    diff = float(max(np.max(np.abs(x_rl + chi)), np.max(np.abs(x_cov + chi))))
    scale = float(np.max(np.abs(chi)))
    return {
        "verdict": bool(diff <= 1e-12 * max(scale, 1e-300)),
        "max_abs_difference": diff,
        "static_magnetizability_diagonal": [float(v) for v in np.real(np.diag(chi))],
        "equation": "X_RL(0) = X_cov(0) = -chi(0) (eqs 19, 48, 56 at w = 0, no damping)",
    }


def _si_units() -> dict[str, str]:
    si = mol.SI_PER_AU
    return {
        "A": f"a.u. of polarizability = {si['polarizability'][0]:.6g} {si['polarizability'][1]}",
        "X": f"a.u. of magnetizability = {si['magnetizability'][0]:.6g} {si['magnetizability'][1]}",
        "T": f"a.u. = {si['magnetoelectric'][0]:.6g} {si['magnetoelectric'][1]}",
        "U": f"a.u. = {si['magnetoelectric'][0]:.6g} {si['magnetoelectric'][1]}",
        "magnetizability": f"a.u. = {si['magnetizability'][0]:.6g} {si['magnetizability'][1]}",
    }


def _constants_payload(
    body: MaterialConstantsRequest, states0: mol.MolecularStates, states1: Any, settings: Settings
) -> ComputeResult:
    w = grid_hartree(body.frequencies)
    t0 = mol.molecular_tensors(
        states0,
        w,
        max_states=settings.max_molecular_states,
        max_frequencies=mol.MAX_FREQUENCIES,
    )
    sigma = np.asarray(body.direction, dtype=np.float64)
    e_perp = _perpendicular(sigma)
    pol = np.asarray(body.polarization) if body.polarization is not None else e_perp
    data: dict[str, Any] = {"frequencies": body.frequencies.points()}
    data["absorption_coefficient"] = mol.absorption_coefficient(t0, sigma, pol, body.number_density)
    data["alpha_isotropic"] = carray(np.trace(t0.alpha, axis1=1, axis2=2) / 3.0)
    data["chi_isotropic"] = carray(np.trace(t0.chi, axis1=1, axis2=2) / 3.0)
    data["magnetizability"] = carray(mol.magnetizability(t0))
    if body.include_tensors:
        data["tensors"] = {
            n: carray(getattr(t0, n)) for n in ("alpha", "a", "G", "b", "d", "H", "L", "chi")
        }
    consts = {d: mol.material_constants(t0, d, sigma, body.index) for d in body.definitions}
    data["constants"] = {
        d: {n: carray(getattr(c, n)) for n in ("A", "T", "U", "X")} for d, c in consts.items()
    }
    iso = {}
    for d in body.definitions:
        c = mol.isotropic_constants(t0, d, sigma, body.index)
        iso[d] = {
            "A_transverse": carray(np.einsum("i,fij,j->f", e_perp, c.A, e_perp)),
            "X_transverse": carray(np.einsum("i,fij,j->f", e_perp, c.X, e_perp)),
        }
    data["isotropic"] = iso
    x_rl = mol.raab_de_lange_inverse_permeability(t0)
    x_cov = -mol.covariant_tensors(t0)["m"]
    d_rl = np.einsum("fii->fi", x_rl)
    d_cov = np.einsum("fii->fi", x_cov)
    safe = np.abs(d_cov) > 0
    ratio = np.where(safe, d_rl / np.where(safe, d_cov, 1.0), 0.0)
    grid_pts = body.frequencies.points()
    data["inverse_permeability_comparison"] = {
        "ratio_rl_over_cov_diagonal": carray(_finite(ratio)),
        "max_abs_ratio_diagonal": [float(np.max(np.abs(ratio[:, i]))) for i in range(3)],
        "sign_changes_re_x_diagonal": {
            "raab_de_lange": [_sign_changes(grid_pts, d_rl[:, i].real) for i in range(3)],
            "covariant": [_sign_changes(grid_pts, d_cov[:, i].real) for i in range(3)],
        },
        "note": "molecular parts X - I/mu0; near resonances the two differ (paper Tables 2-3)",
    }
    checks: dict[str, Any] = {
        "thomas_reiche_kuhn": _trk_check(states0),
        "time_even": _time_even_check(states0),
        "static_limit": _static_check(states0),
        "uniform_damping": {
            "verdict": states0.uniform_damping,
            "note": "origin independence with damping is exact only for equal linewidths",
        },
    }
    warnings: list[str] = []
    if not checks["time_even"]["verdict"]:
        warnings.append(
            "the moments are not those of a time-even ground state (see checks.time_even): the "
            "Table-1 tensors drop the parts that should vanish, and origin independence is lost"
        )
    if not states0.uniform_damping:
        warnings.append(
            "unequal linewidths: explicit frequency factors use the mean linewidth, which breaks "
            "origin independence at order |gamma_s - gamma_mean| / w"
        )
    if states1 is not None:
        t1 = mol.molecular_tensors(
            states1,
            w,
            max_states=settings.max_molecular_states,
            max_frequencies=mol.MAX_FREQUENCIES,
        )
        rep = mol.origin_report(t0, t1, sigma, tuple(body.definitions), body.index)
        m0, m1 = mol.magnetizability(t0), mol.magnetizability(t1)
        ch = float(np.max(np.abs(m1 - m0)))
        sz = float(np.max(np.abs(m0)))
        rep["tensors"]["magnetizability"] = {
            "max_abs_change": ch,
            "max_abs": sz,
            "relative_change": ch / sz if sz else 0.0,
        }
        data["origin_report"] = {"shift": list(body.origin_shift or []), **rep}
        verdicts = {
            d: {q: bool(rep[d][q]["relative_change"] <= body.origin_tolerance) for q in "ATUX"}
            for d in body.definitions
        }
        transformed = [d for d in body.definitions if d != "multipole"]
        checks["origin_independence"] = {
            "verdict": all(verdicts[d]["A"] and verdicts[d]["X"] for d in transformed),
            "per_definition": verdicts,
            "tolerance": body.origin_tolerance,
            "note": "multipole constants are expected to change (eqs 12-15 are origin dependent); "
            "the transformed ones change only by the incompleteness of the basis",
        }
        if transformed and not checks["origin_independence"]["verdict"]:
            warnings.append(
                "the transformed constants changed under the shift by more than origin_tolerance: "
                "the sum over states is not complete enough (see checks.thomas_reiche_kuhn)"
            )
    units = {
        "frequencies": body.frequencies.unit if body.frequencies.unit != "model" else "hartree",
        "tensors": "atomic units (hbar = m_e = e = 4 pi eps0 = 1)",
        "constants": "atomic units, molecular part per molecule",
        "absorption_coefficient": f"1/bohr (1/bohr = {mol.SI_PER_AU['inverse_length'][0]:.6g} 1/m)",
        **_si_units(),
    }
    return {"checks": checks, "warnings": warnings, "units": units}, data


@router.post(
    "/material-constants",
    summary="Table-1 tensors and material constants A, T, U, X in three definitions",
    response_model=MaterialConstantsResponse,
    responses=_RESPONSES,
)
async def material_constants(
    body: MaterialConstantsRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Sum-over-states molecular tensors (Table 1: alpha, a, G', b, d, H', L', chi) and the
    material constants of Anelli, Jonsson, Fliegl & Ruud in the multipole (eqs 12-15, origin
    dependent), Raab-de Lange (16-19) and covariant (45-53) definitions, for a propagation
    direction, plus the frequency-dependent magnetizability (56), isotropic averages and the
    absorption coefficient (40).

    Atomic units (hartree, bohr); the constants are the molecular parts per molecule
    (A = eps0 + N A_mol, X = 1/mu0 + N X_mol). Damping: each state at w + i gamma (the complex
    polarization propagator convention). With `origin_shift` D every quantity is recomputed about
    O + D (from the box wavefunctions, or by the translation rules for given moments) and its
    change reported; the transformed constants change only as far as the sum over states is
    incomplete (docs/molecular.md has the tolerance vs basis size).
    """
    settings = svc.settings
    check_grid(body.frequencies, settings)
    states0 = build_states(body, settings)
    states1 = (
        build_states(body, settings, body.origin_shift) if body.origin_shift is not None else None
    )

    def compute() -> ComputeResult:
        return _constants_payload(body, states0, states1, settings)

    return await svc.respond(
        request,
        model=mol.MODEL_NAME,
        version=mol.MODEL_VERSION,
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )


def _index_payload(
    body: RefractiveIndexRequest, states0: mol.MolecularStates, states1: Any, settings: Settings
) -> ComputeResult:
    w = grid_hartree(body.frequencies)
    kw = {"max_states": settings.max_molecular_states, "max_frequencies": mol.MAX_FREQUENCIES}
    t0 = mol.molecular_tensors(states0, w, **kw)
    sigma = np.asarray(body.direction, dtype=np.float64)
    sols = {d: mol.refractive_index(t0, d, sigma, body.number_density) for d in body.definitions}
    first = sols[body.definitions[0]]
    dis = max(float(np.max(np.abs(s.n - first.n))) for s in sols.values())
    scale = float(np.max(np.abs(first.n)))
    data: dict[str, Any] = {
        "frequencies": body.frequencies.points(),
        "n1": carray(first.n[:, 0]),
        "n2": carray(first.n[:, 1]),
        "absorption_1": 2.0 * w / mol.C_AU * first.n[:, 0].imag,
        "absorption_2": 2.0 * w / mol.C_AU * first.n[:, 1].imag,
        "indices": {
            d: {"n1": carray(s.n[:, 0]), "n2": carray(s.n[:, 1]), "residual": s.residual}
            for d, s in sols.items()
        },
        "max_disagreement": dis,
    }
    checks: dict[str, Any] = {
        "definitions_agree": {
            "verdict": bool(dis <= AGREEMENT_RTOL * scale),
            "max_abs_difference": dis,
            "tolerance": AGREEMENT_RTOL,
            "equation": "eq 57: one wave operator for eqs 12-15, 16-19 and 45-48",
        },
        "roots": {
            "verdict": bool(all(np.max(s.residual) < 1e-8 for s in sols.values())),
            "max_relative_singular_value": float(max(np.max(s.residual) for s in sols.values())),
        },
        "thomas_reiche_kuhn": _trk_check(states0),
    }
    if states1 is not None:
        t1 = mol.molecular_tensors(states1, w, **kw)
        ch = {}
        for d in body.definitions:
            n1 = mol.refractive_index(t1, d, sigma, body.number_density).n
            ch[d] = float(np.max(np.abs(n1 - sols[d].n)))
        data["origin_report"] = {"shift": list(body.origin_shift or []), "max_abs_change_n": ch}
    units = {
        "frequencies": body.frequencies.unit if body.frequencies.unit != "model" else "hartree",
        "n1": "1",
        "absorption_1": f"1/bohr (1/bohr = {mol.SI_PER_AU['inverse_length'][0]:.6g} 1/m)",
    }
    return {"checks": checks, "warnings": [], "units": units}, data


@router.post(
    "/refractive-index",
    summary="Refractive indices from the wave equation (57) for each definition",
    response_model=RefractiveIndexResponse,
    responses=_RESPONSES,
)
async def refractive_index(
    body: RefractiveIndexRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Solve the wave equation (57) of Anelli et al. for the two forward transverse modes along
    `direction`, once per definition of the material constants. Every constant is a quadratic
    polynomial in k = (w/c) n sigma, so the determinant condition is a quadratic eigenvalue
    problem in n, solved exactly. The three definitions give the same operator (an algebraic
    identity), so their indices agree to rounding (`meta.checks.definitions_agree`), even though
    the multipole constants themselves depend on the origin.

    Atomic units; `number_density` in molecules per bohr^3 (gas at STP: 3.98e-6). CSV gives the
    grid, n1, n2 (first definition) and their absorption coefficients 2 (w/c) Im n.
    """
    settings = svc.settings
    check_grid(body.frequencies, settings)
    states0 = build_states(body, settings)
    states1 = (
        build_states(body, settings, body.origin_shift) if body.origin_shift is not None else None
    )

    def compute() -> ComputeResult:
        return _index_payload(body, states0, states1, settings)

    return await svc.respond(
        request,
        model=mol.MODEL_NAME,
        version=mol.MODEL_VERSION,
        params=body.model_dump(),
        compute=compute,
        fmt=format,
    )
