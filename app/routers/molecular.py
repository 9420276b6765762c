"""Molecular multipole response and origin-(in)dependent material constants.

The physics and its checks are :func:`core.molecular.material_constants_report` and
:func:`core.molecular.refractive_index_report` (the paper: core.references.ANELLI_ET_AL); this
router validates, applies the size limits and builds the core states of the request.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.computations import computation
from app.errors import COMPUTE_RESPONSES
from app.schemas.common import FrequencyGrid
from app.schemas.molecular import (
    BoxMoleculeSpec,
    MaterialConstantsRequest,
    MaterialConstantsResponse,
    RefractiveIndexRequest,
    RefractiveIndexResponse,
    StatesMoleculeSpec,
)
from app.service import FormatQuery, ServiceDep
from app.settings import Settings
from core import molecular as mol
from core.checks import Report
from core.errors import CoreError, InvalidInput, LimitExceeded
from core.molecular_box import BoxMolecule, box_molecular_states, box_origin_reasons
from core.units import linear_scale, to_angular

router = APIRouter(prefix="/v1/molecular", tags=["molecular"])


#: core field names -> request field names
_FIELD_NAMES = {
    "P": "electric_dipole",
    "Q": "electric_quadrupole",
    "O": "electric_octupole",
    "M": "magnetic_dipole",
    "Mq": "magnetic_quadrupole",
}


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


def _box(spec: BoxMoleculeSpec) -> BoxMolecule:
    """The core box of a request's box spec."""
    return BoxMolecule(
        np.asarray(spec.lengths, dtype=np.float64),
        np.asarray(spec.center, dtype=np.float64),
        np.asarray(spec.n_max, dtype=np.int64),
        spec.linewidth,
    )


def check_states(
    body: MaterialConstantsRequest | RefractiveIndexRequest, settings: Settings
) -> None:
    """413 naming ``max_molecular_states`` for a basis over the limit (sizes only, no work)."""
    spec: BoxMoleculeSpec | StatesMoleculeSpec = body.box if body.box is not None else body.states  # type: ignore[assignment]
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
        return
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


def build_states(
    body: MaterialConstantsRequest | RefractiveIndexRequest,
    settings: Settings,
    origin: Any = (0.0, 0.0, 0.0),
) -> mol.MolecularStates:
    """Core states of the request's molecule, moments about ``origin`` (bohr)."""
    spec: BoxMoleculeSpec | StatesMoleculeSpec = body.box if body.box is not None else body.states  # type: ignore[assignment]
    try:
        check_states(body, settings)
        if isinstance(spec, BoxMoleculeSpec):
            return box_molecular_states(_box(spec), origin)
        s = len(spec.energies)
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


def _grid_unit(grid: FrequencyGrid) -> str:
    """The unit the response echoes the grid in (``model`` is hartree here)."""
    return grid.unit if grid.unit != "model" else "hartree"


def _limits(body: MaterialConstantsRequest | RefractiveIndexRequest, settings: Settings) -> None:
    check_grid(body.frequencies, settings)
    check_states(body, settings)


def _states(
    body: MaterialConstantsRequest | RefractiveIndexRequest, settings: Settings
) -> tuple[mol.MolecularStates, mol.MolecularStates | None]:
    """The states about the origin and, with ``origin_shift``, about the shifted origin."""
    states0 = build_states(body, settings)
    states1 = (
        build_states(body, settings, body.origin_shift) if body.origin_shift is not None else None
    )
    return states0, states1


@computation(
    "molecular-material-constants",
    MaterialConstantsRequest,
    model=mol.MODEL_NAME,
    version=mol.MODEL_VERSION,
    check=_limits,
)
def molecular_material_constants(body: MaterialConstantsRequest, settings: Settings) -> Report:
    """The report of :func:`material_constants` (runs in the compute pool)."""
    states0, states1 = _states(body, settings)
    report = mol.material_constants_report(
        states0,
        grid_hartree(body.frequencies),
        direction=body.direction,
        definitions=body.definitions,
        index=body.index,
        polarization=body.polarization,
        number_density=body.number_density,
        include_tensors=body.include_tensors,
        shifted=states1,
        shift=body.origin_shift,
        origin_tolerance=body.origin_tolerance,
        grid=body.frequencies.points(),
        grid_unit=_grid_unit(body.frequencies),
        max_states=settings.max_molecular_states,
        max_frequencies=mol.MAX_FREQUENCIES,
    )
    if body.box is None or body.origin_shift is None:
        return report
    return box_origin_reasons(
        report,
        _box(body.box),
        body.origin_shift,
        grid_hartree(body.frequencies),
        direction=body.direction,
        definitions=tuple(body.definitions),
        index=body.index,
        tolerance=body.origin_tolerance,
        max_states=settings.max_molecular_states,
    )


@computation(
    "molecular-refractive-index",
    RefractiveIndexRequest,
    model=mol.MODEL_NAME,
    version=mol.MODEL_VERSION,
    check=_limits,
)
def molecular_refractive_index(body: RefractiveIndexRequest, settings: Settings) -> Report:
    """The report of :func:`refractive_index` (runs in the compute pool)."""
    states0, states1 = _states(body, settings)
    return mol.refractive_index_report(
        states0,
        grid_hartree(body.frequencies),
        direction=body.direction,
        definitions=body.definitions,
        number_density=body.number_density,
        shifted=states1,
        shift=body.origin_shift,
        grid=body.frequencies.points(),
        grid_unit=_grid_unit(body.frequencies),
        max_states=settings.max_molecular_states,
        max_frequencies=mol.MAX_FREQUENCIES,
    )


@router.post(
    "/material-constants",
    summary="Table-1 tensors and material constants A, T, U, X in three definitions",
    response_model=MaterialConstantsResponse,
    responses=COMPUTE_RESPONSES,
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
    return await svc.respond(request, molecular_material_constants, body, fmt=format)


@router.post(
    "/refractive-index",
    summary="Refractive indices from the wave equation (57) for each definition",
    response_model=RefractiveIndexResponse,
    responses=COMPUTE_RESPONSES,
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
    return await svc.respond(request, molecular_refractive_index, body, fmt=format)
