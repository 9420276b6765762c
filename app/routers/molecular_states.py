"""Molecular states of a real molecule from a quantum-chemistry calculation (PySCF): a thin router
over :func:`core.quantum_chem.states_report` (Anelli et al.: core.references.ANELLI_ET_AL).

The answer's ``states`` are in the input format of ``POST /v1/molecular/material-constants``.
Results are cached by the validated body, which the schema canonicalises (atoms in bohr, element
symbols and basis and functional names normalised): one molecule, basis and method, one entry.
"""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.computations import computation
from app.errors import COMPUTE_RESPONSES
from app.schemas.molecular_states import MolecularStatesRequest, MolecularStatesResponse
from app.service import FormatQuery, ServiceDep
from app.settings import Settings
from core import quantum_chem as qc
from core.checks import Report
from core.errors import LimitExceeded
from core.units import linear_scale, to_angular

router = APIRouter(prefix="/v1/molecular", tags=["molecular"])


def qc_limits(settings: Settings) -> qc.QCLimits:
    """The work limits of core.quantum_chem from the settings (names match the settings)."""
    return qc.QCLimits(
        max_atoms=settings.max_qc_atoms,
        max_basis=settings.max_qc_basis,
        max_states=settings.max_qc_states,
        max_dense=settings.max_qc_dense,
        iterative_states=settings.qc_iterative_states,
        time_limit_s=settings.qc_time_limit_s,
        threads=settings.qc_threads,
        memory_mb=settings.qc_memory_mb,
    )


def calculation(body: MolecularStatesRequest) -> qc.Calculation:
    """The core calculation of a validated body (422 naming the field for a bad molecule)."""
    m = body.molecule
    if m.atoms is not None:
        molecule = qc.Molecule.from_atoms(
            [(a.symbol, a.position) for a in m.atoms], m.unit, m.charge
        )
    else:
        molecule = qc.Molecule.from_xyz(m.xyz or "", m.unit, m.charge)
    o = body.gauge_origin
    return qc.Calculation(
        molecule=molecule,
        basis=body.basis,
        method=body.method,
        functional=body.functional,
        excitations=body.excitations,
        n_states=body.n_states,
        linewidth=body.linewidth,
        gauge_origin=(o[0], o[1], o[2]),
    )


def _limits(body: MolecularStatesRequest, settings: Settings) -> None:
    """Atoms, basis functions, states and the check grid, before any integral (413)."""
    if body.check_frequencies is not None:
        grid = body.check_frequencies
        grid.check_size(settings, ("check_frequencies",))
        if grid.size > settings.max_molecular_frequencies:
            raise LimitExceeded(
                f"check_frequencies has {grid.size} points; the limit is "
                f"{settings.max_molecular_frequencies}",
                limit_name="max_molecular_frequencies",
                limit=settings.max_molecular_frequencies,
                requested=grid.size,
                field=("check_frequencies",),
                fix="a handful of points is enough for the origin report",
            )
    qc.check_limits(calculation(body), qc_limits(settings))


def _check_grid_hartree(body: MolecularStatesRequest) -> np.ndarray | None:
    grid = body.check_frequencies
    if grid is None:
        return None
    pts = grid.points()
    if grid.unit == "model":
        return pts
    return to_angular(pts, grid.unit) / linear_scale("hartree")


@computation(
    "molecular-states",
    MolecularStatesRequest,
    model=qc.MODEL_NAME,
    version=qc.MODEL_VERSION,
    check=_limits,
)
def molecular_states(body: MolecularStatesRequest, settings: Settings) -> Report:
    """The report of :func:`states` (runs in the compute pool)."""
    return qc.states_report(
        calculation(body),
        qc_limits(settings),
        origin_shift=body.origin_shift,
        check_frequencies=_check_grid_hartree(body),
        direction=body.direction,
    )


@router.post(
    "/states",
    summary="Excited states and transition moments of a molecule (PySCF: HF/DFT, TDA/RPA)",
    response_model=MolecularStatesResponse,
    responses=COMPUTE_RESPONSES,
)
async def states(
    body: MolecularStatesRequest, request: Request, svc: ServiceDep, format: FormatQuery = "json"
) -> Response:
    """Runs a closed-shell SCF (Hartree-Fock, or Kohn-Sham DFT with a named functional) and
    linear response on it (`rpa`: TDHF/TDDFT; `tda`: CIS/TDA) for a molecule given as XYZ text or
    atoms, and returns the excited states with the ground-to-excited transition moments the
    Table-1 tensors of Anelli et al. need: electric dipole, quadrupole, octupole, magnetic dipole
    (from the angular-momentum integrals) and magnetic quadrupole, all about `gauge_origin`, plus
    the ground-state first and second moments (the diamagnetic term). Every state of the
    excitation space is returned where the space is small enough to diagonalise; otherwise the
    lowest states, and the truncation is reported.

    Post `states` to `/v1/molecular/material-constants` (or `/refractive-index`) to get the
    multipole, Raab-de Lange and covariant constants. `meta.checks`: Thomas-Reiche-Kuhn
    completeness, time-even moments, length-velocity agreement of the oscillator strengths and,
    with `origin_shift`, whether the change of the constants under the shift is exactly the one
    the basis's sum-rule deficits predict. Atomic units; work limits (atoms, basis functions,
    states, time) are 413s naming the setting.
    """
    return await svc.respond(request, molecular_states, body, fmt=format)
