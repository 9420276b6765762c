"""Schemas of ``POST /v1/molecular/states``: molecular states of a real molecule from a
quantum-chemistry calculation (core.quantum_chem, PySCF), in the molecular-state input format of
``POST /v1/molecular/material-constants`` (Anelli et al., core.references.ANELLI_ET_AL).

Atomic units (hartree, bohr, e, m_e, hbar) except the input coordinates, which may be angstrom.
Validation canonicalises the molecule (atoms in bohr, element symbols capitalised, XYZ text
parsed into atoms) and the basis and functional names (lower case), so the same molecule,
basis and method give one cache entry however they were written.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, field_validator, model_validator

from app.schemas.common import FrequencyGrid, ResponseMeta, StrictModel, unit_field
from app.schemas.molecular import StatesMoleculeSpec
from core.errors import CoreError
from core.quantum_chem import Molecule

Vector3 = Annotated[list[FiniteFloat], Field(min_length=3, max_length=3)]


class AtomInput(StrictModel):
    """One nucleus: element symbol and position."""

    symbol: str = Field(min_length=1, max_length=3, description="Element symbol (any case).")
    position: Vector3 = Field(
        description="(x, y, z) in the molecule's `unit` (bohr after validation).",
        json_schema_extra={"x-unit": "angstrom or bohr (`unit`)"},
    )


class MoleculeInput(StrictModel):
    """A closed-shell molecule as XYZ text or a list of atoms.

    After validation the molecule is always ``atoms`` in bohr with canonical element symbols
    (``xyz`` is parsed and dropped), so equal molecules give equal cache keys.
    """

    xyz: str | None = Field(
        default=None,
        max_length=200_000,
        description="XYZ text: optional atom-count and comment lines, then one "
        "'symbol x y z' line per atom (lines may also be separated by ';').",
    )
    atoms: list[AtomInput] | None = Field(
        default=None, min_length=1, max_length=10_000, description="The atoms (instead of xyz)."
    )
    unit: Literal["angstrom", "bohr"] = Field(
        default="angstrom", description="Unit of the coordinates (`bohr` after validation)."
    )
    charge: int = Field(default=0, ge=-50, le=50, description="Net charge [e].")

    @model_validator(mode="before")
    @classmethod
    def _canonical(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        has_xyz, has_atoms = data.get("xyz") is not None, data.get("atoms") is not None
        if has_xyz == has_atoms:
            raise ValueError("give the molecule as exactly one of `xyz` or `atoms`")
        unit = data.get("unit", "angstrom")
        charge = data.get("charge", 0)
        if unit not in ("angstrom", "bohr") or not isinstance(charge, int):
            return data  # the field validators say what is wrong
        try:
            if has_xyz:
                if not isinstance(data["xyz"], str):
                    return data
                m = Molecule.from_xyz(data["xyz"], unit, charge)
            else:
                raw = [(a["symbol"], a["position"]) for a in data["atoms"]]
                m = Molecule.from_atoms(raw, unit, charge)
        except (CoreError, KeyError, TypeError, ValueError, IndexError):
            # left as given: the route's limit check builds the core molecule again and answers
            # 422 naming the field and the fix (or the field validators do)
            return data
        return {
            "atoms": [
                {"symbol": s, "position": [float(v) for v in xyz]}
                for s, xyz in zip(m.symbols, m.coordinates, strict=True)
            ],
            "unit": "bohr",
            "charge": m.charge,
        }


class MolecularStatesRequest(StrictModel):
    """Excited states and transition moments of a molecule from PySCF."""

    molecule: MoleculeInput = Field(description="The molecule (closed shell).")
    basis: str = Field(
        min_length=1,
        max_length=64,
        description="Gaussian basis set PySCF knows: sto-3g, 6-31g, 6-31+g*, cc-pvdz, "
        "aug-cc-pvdz, ... (case-insensitive).",
    )
    method: Literal["hf", "dft"] = Field(
        default="hf", description="`hf` (Hartree-Fock) or `dft` (Kohn-Sham with `functional`)."
    )
    functional: str | None = Field(
        default=None,
        max_length=64,
        description="Exchange-correlation functional for `dft`, as libxc names it (b3lyp, pbe0, "
        "pbe, 'lda,vwn'; PySCF's definition of b3lyp). Omit for `hf`.",
    )
    excitations: Literal["rpa", "tda"] = Field(
        default="rpa",
        description="`rpa`: TDHF / TDDFT (satisfies the Thomas-Reiche-Kuhn rule and the "
        "length-velocity equivalence in the complete-basis limit); `tda`: CIS / TDA-DFT.",
    )
    n_states: int | None = Field(
        default=None,
        ge=1,
        description="Excited states to keep, lowest first (omitted: every state of the "
        "excitation space, truncated to the configured limit when it is larger).",
    )
    linewidth: FiniteFloat = unit_field(
        "hartree",
        "Damping gamma given to every returned state (the paper uses 0.005).",
        default=0.005,
        ge=0,
        le=1.0,
    )
    gauge_origin: Vector3 = Field(
        default=[0.0, 0.0, 0.0],
        description="Origin of every moment (dipole and gauge origin) [bohr].",
        json_schema_extra={"x-unit": "bohr"},
    )
    origin_shift: Vector3 | None = Field(
        default=None,
        description="Origin shift D [bohr]: the moments are also recomputed about "
        "gauge_origin + D, the origin report is returned, and meta.checks says whether the "
        "change is the basis-incompleteness one.",
        json_schema_extra={"x-unit": "bohr"},
    )
    check_frequencies: FrequencyGrid | None = Field(
        default=None,
        description="Field frequencies of the origin report (unit `model` = hartree; default "
        "6 points from 0.001 hartree to 0.9 of the lowest excitation).",
    )
    direction: Vector3 = Field(
        default=[0.0, 0.0, 1.0],
        description="Propagation direction of the origin report's constants.",
    )

    @field_validator("basis", mode="before")
    @classmethod
    def _basis(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("functional", mode="before")
    @classmethod
    def _functional(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self) -> MolecularStatesRequest:
        if self.method == "dft" and not self.functional:
            raise ValueError("method 'dft' needs a functional (e.g. 'b3lyp')")
        if self.method == "hf" and self.functional:
            raise ValueError("method 'hf' takes no functional: omit it or use method 'dft'")
        if all(v == 0 for v in self.direction):
            raise ValueError("the propagation direction must be a non-zero vector")
        return self


# ---------------------------------------------------------------------------------------------
# Response (core.quantum_chem.states_report serialised by core.checks.Report.payload)
# ---------------------------------------------------------------------------------------------

Matrix = list[list[float]]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoleculeOut(_Out):
    symbols: list[str]
    coordinates_bohr: Matrix = Field(description="Nuclear positions (A, 3) [bohr].")
    charge: int
    center_of_mass_bohr: list[float] = Field(description="Centre of mass of the nuclei [bohr].")
    gauge_origin_bohr: list[float] = Field(description="Origin of the moments [bohr].")


class ScfOut(_Out):
    method: str
    functional: str | None
    basis: str
    energy: float = Field(description="SCF total energy [hartree].")
    n_basis: int = Field(description="Basis functions.")
    n_electrons: int
    homo_lumo_gap: float = Field(description="Orbital energy gap [hartree].")
    program: str


class ExcitationSpaceOut(_Out):
    excitations: str
    space_size: int = Field(description="Occupied x virtual pairs: states of the full space.")
    n_states: int = Field(description="States returned.")
    solver: str = Field(description="`dense` (all states) or `iterative` (lowest states).")
    truncated: bool = Field(description="Whether states of the space are left out.")
    n_occupied: int
    n_virtual: int


class SumRulesOut(_Out):
    n_electrons: float
    length_xyz: list[float] = Field(description="sum_s 2 w_s |<0|r_i|s>|^2 per axis.")
    velocity_xyz: list[float] = Field(description="sum_s 2 |<0|p_i|s>|^2 / w_s per axis.")
    mixed_xyz: list[float] = Field(description="sum_s 2 Im(<0|r_i|s> <0|p_i|s>*) per axis.")
    length_residual_xyz: list[float] = Field(description="length / N_e - 1.")
    velocity_residual_xyz: list[float] = Field(description="velocity / N_e - 1.")
    mixed_residual_xyz: list[float] = Field(description="mixed / N_e - 1.")


class StaticOut(_Out):
    polarizability: Matrix = Field(description="alpha(0) from the sum over states [a.u.].")
    magnetizability: Matrix = Field(description="chi(0), para + dia [a.u.].")
    magnetizability_paramagnetic: Matrix
    magnetizability_diamagnetic: Matrix


class AXChange(_Out):
    A: float | None
    X: float | None


class ATUXChange(_Out):
    A: float | None
    T: float | None
    U: float | None
    X: float | None


class OriginStaticOut(_Out):
    chi_change: Matrix = Field(description="chi(0) about O + D minus about O [a.u.].")
    predicted_quadratic: Matrix = Field(description="Velocity-TRK deficit term [a.u.].")
    predicted_linear: Matrix = Field(description="[l, r] sum-rule deficit term [a.u.].")
    velocity_trk_deficit: Matrix = Field(description="V - m N_e I.")
    lr_sum_rule_deficit: Matrix = Field(description="dW (see the check's equation).")


class OriginReportOut(_Out):
    shift: list[float] = Field(description="D [bohr].")
    frequencies: list[float] = Field(description="Field frequencies of the comparison [hartree].")
    constants: dict[str, ATUXChange] = Field(
        description="Relative change of A, T, U, X per definition (moments recomputed)."
    )
    sum_rule_part: dict[str, AXChange] = Field(
        description="Relative change with the moments translated by the exact-eigenstate rules."
    )
    hypervirial_part: dict[str, AXChange] = Field(
        description="Recomputed vs translated moments about O + D (relative)."
    )
    static: OriginStaticOut


class MolecularStatesResponse(_Out):
    meta: ResponseMeta
    excitation_energies: list[float] = Field(description="w_s0 [hartree].")
    oscillator_strength_length: list[float] = Field(description="f_L per state.")
    oscillator_strength_velocity: list[float] = Field(description="f_V per state.")
    states: StatesMoleculeSpec = Field(
        description="The states in the input format of POST /v1/molecular/material-constants "
        "(post them there as `states`)."
    )
    molecule: MoleculeOut
    scf: ScfOut
    excitation_space: ExcitationSpaceOut
    sum_rules: SumRulesOut
    static: StaticOut
    origin_report: OriginReportOut | None = Field(
        default=None, description="With `origin_shift`: how the constants move."
    )
