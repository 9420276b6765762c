"""Schemas of the molecular material constants (Anelli, Jonsson, Fliegl & Ruud; the citation is
core.references.ANELLI_ET_AL): ``POST /v1/molecular/material-constants`` and
``POST /v1/molecular/refractive-index``.

Atomic units throughout (hartree, bohr, e, m_e, hbar; 4 pi eps0 = 1), as the paper's tables. A
molecule is either the displaced particle-in-a-box model (moments computed from its
wavefunctions about any origin) or user-supplied states and transition moments <0|O|s>.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, model_validator

from app.schemas.common import (
    ComplexArray,
    FrequencyGrid,
    ResponseMeta,
    StrictModel,
    limit,
    unit_field,
)
from core.molecular import LOSCHMIDT_AU

DefinitionName = Literal["multipole", "raab_de_lange", "covariant"]
Vector3 = Annotated[list[FiniteFloat], Field(min_length=3, max_length=3)]


class ComplexTensorInput(StrictModel):
    """A complex array given as nested lists of real and (optionally) imaginary parts."""

    real: list[Any] = Field(
        description="Real parts, nested lists of the stated shape (one entry per state).",
        json_schema_extra=limit("max_molecular_states"),
    )
    imag: list[Any] | None = Field(
        default=None,
        description="Imaginary parts, same shape (omitted: zero).",
        json_schema_extra=limit("max_molecular_states"),
    )


class BoxMoleculeSpec(StrictModel):
    """One electron in a rectangular box with infinite walls, off the origin (core.molecular_box).

    Every moment (P, Q_ij, Q_ijk, M_i, M_ij, ground-state <r>, <r r>) is computed about the
    requested origin from closed-form integrals of the box wavefunctions.
    """

    lengths: Vector3 = unit_field("bohr", "Side lengths (Lx, Ly, Lz), each > 0.")
    center: Vector3 = unit_field("bohr", "Position of the box centre relative to the origin.")
    n_max: Annotated[
        list[Annotated[int, Field(ge=1, le=64)]], Field(min_length=3, max_length=3)
    ] = Field(description="States kept per axis (basis size n_x n_y n_z; default tests use 4-6).")
    linewidth: FiniteFloat = unit_field(
        "hartree",
        "Damping gamma of every excited state (the paper uses 0.005).",
        default=0.005,
        ge=0,
    )

    @model_validator(mode="after")
    def _positive(self) -> BoxMoleculeSpec:
        if any(v <= 0 for v in self.lengths):
            raise ValueError("box side lengths must be > 0 bohr")
        return self


class StatesMoleculeSpec(StrictModel):
    """Excited states and ground-state transition moments <0|O|s> about the stated origin.

    Conventions (paper eqs 8-9, Table 1): P_i = sum q r_i, Q_ij = sum q r_i r_j,
    Q_ijk = sum q r_i r_j r_k (primitive, traced), M_i = sum (q/2m) l_i,
    M_ij = sum (q/3m)(r_j l_i + l_i r_j) (i: angular momentum, j: position; traceless). For a
    time-even (non-magnetic) ground state the electric moments share one phase per state and the
    magnetic ones carry an extra i. Translation to another origin uses the hypervirial relation,
    valid for exact eigenstates of H = p^2/2m + V.
    """

    energies: list[FiniteFloat] = Field(
        min_length=1,
        description="Excitation energies E_s - E_0 > 0 of the S excited states (at most "
        "max_molecular_states) [hartree].",
        json_schema_extra=limit("max_molecular_states", **{"x-unit": "hartree"}),
    )
    linewidths: list[FiniteFloat] | None = Field(
        default=None,
        description="Damping gamma_s >= 0 per state [hartree] (omitted: all `linewidth`). Equal "
        "widths keep origin independence exact.",
        json_schema_extra=limit("max_molecular_states", **{"x-unit": "hartree"}),
    )
    linewidth: FiniteFloat = unit_field(
        "hartree", "Damping of every state when `linewidths` is omitted.", default=0.005, ge=0
    )
    electric_dipole: ComplexTensorInput = Field(
        description="<0|P_i|s>, shape (S, 3) [e bohr].", json_schema_extra={"x-unit": "e bohr"}
    )
    electric_quadrupole: ComplexTensorInput = Field(
        description="<0|Q_ij|s>, shape (S, 3, 3), symmetric [e bohr^2].",
        json_schema_extra={"x-unit": "e bohr^2"},
    )
    electric_octupole: ComplexTensorInput = Field(
        description="<0|Q_ijk|s>, shape (S, 3, 3, 3), fully symmetric [e bohr^3].",
        json_schema_extra={"x-unit": "e bohr^3"},
    )
    magnetic_dipole: ComplexTensorInput = Field(
        description="<0|M_i|s>, shape (S, 3) [e hbar / m_e].",
        json_schema_extra={"x-unit": "e hbar/m_e"},
    )
    magnetic_quadrupole: ComplexTensorInput = Field(
        description="<0|M_ij|s>, shape (S, 3, 3), traceless [e hbar bohr / m_e].",
        json_schema_extra={"x-unit": "e hbar bohr/m_e"},
    )
    ground_first_moment: Vector3 = unit_field(
        "bohr", "sum over electrons of <r_i> in the ground state (moves chi_dia to a new origin)."
    )
    ground_second_moment: Annotated[list[Vector3], Field(min_length=3, max_length=3)] = Field(
        description="sum over electrons of <r_i r_j> in the ground state, 3x3 real symmetric "
        "(the diamagnetic part of chi) [bohr^2].",
        json_schema_extra={"x-unit": "bohr^2"},
    )
    n_electrons: FiniteFloat = Field(default=1.0, gt=0, description="Number of electrons.")


class _MolecularRequest(StrictModel):
    box: BoxMoleculeSpec | None = Field(
        default=None,
        description="The displaced particle-in-a-box molecule (give this or `states`).",
    )
    states: StatesMoleculeSpec | None = Field(
        default=None, description="Explicit excited states and moments (give this or `box`)."
    )
    frequencies: FrequencyGrid = Field(
        description="Field frequencies (grid per DESIGN.md); the unit `model` means hartree."
    )
    direction: Vector3 = Field(
        default=[0.0, 0.0, 1.0], description="Propagation direction sigma (normalised)."
    )
    definitions: list[DefinitionName] = Field(
        default=["multipole", "raab_de_lange", "covariant"],
        min_length=1,
        max_length=3,
        description="Material-constant definitions: `multipole` (eqs 12-15, origin dependent), "
        "`raab_de_lange` (16-19) and `covariant` (45-53), both origin independent.",
    )
    origin_shift: Vector3 | None = Field(
        default=None,
        description="Origin shift D [bohr]: every quantity is also computed about O + D and its "
        "change reported (`origin_report`).",
        json_schema_extra={"x-unit": "bohr"},
    )

    @model_validator(mode="after")
    def _direction_nonzero(self) -> _MolecularRequest:
        if (self.box is None) == (self.states is None):
            raise ValueError("give exactly one molecule: `box` or `states`")
        if all(v == 0 for v in self.direction):
            raise ValueError("the propagation direction must be a non-zero vector")
        if len(set(self.definitions)) != len(self.definitions):
            raise ValueError("definitions must not repeat")
        return self


class MaterialConstantsRequest(_MolecularRequest):
    """Table-1 tensors and the material constants A, T, U, X in each definition."""

    index: FiniteFloat = Field(
        default=1.0,
        gt=0,
        description="Refractive index used to build k = (w/c) n sigma (1: dilute medium, as the "
        "paper's tables) [dimensionless].",
    )
    polarization: Vector3 | None = Field(
        default=None,
        description="Polarization e of the absorption coefficient (eq 40); default: a unit "
        "vector perpendicular to `direction`.",
    )
    number_density: FiniteFloat = unit_field(
        "bohr^-3",
        "Molecules per bohr^3 for the absorption coefficient (default: ideal gas at 0 C, 1 atm).",
        default=LOSCHMIDT_AU,
        gt=0,
    )
    include_tensors: bool = Field(
        default=True, description="Return the Table-1 tensors (alpha, a, G', b, d, H', L', chi)."
    )
    origin_tolerance: FiniteFloat = Field(
        default=1e-3,
        gt=0,
        description="Relative change under `origin_shift` below which a constant counts as "
        "origin independent in `meta.checks` (a truncated basis sets the floor: docs/molecular.md).",
    )


class RefractiveIndexRequest(_MolecularRequest):
    """Refractive indices from the wave equation (57), one solve per definition."""

    number_density: FiniteFloat = unit_field(
        "bohr^-3",
        "Molecules per bohr^3 (default: ideal gas at 0 C, 1 atm, 3.98e-6).",
        default=LOSCHMIDT_AU,
        gt=0,
    )


# ---------------------------------------------------------------------------------------------
# Responses: the exact shape of the answers (core.molecular.material_constants_report and
# refractive_index_report serialised by core.checks.Report.payload)
# ---------------------------------------------------------------------------------------------

#: A real (F, 3), (F, 3, 3), (F, 3, 3, 3) and (F, 3, 3, 3, 3) array as nested lists.
Floats2 = list[list[float]]
Floats3 = list[list[list[float]]]
Floats4 = list[list[list[list[float]]]]
Floats5 = list[list[list[list[list[float]]]]]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComplexVectorSeries(_Out):
    """A complex (F, 3) array: one 3-vector per frequency."""

    real: Floats2
    imag: Floats2


class ComplexMatrixSeries(_Out):
    """A complex (F, 3, 3) array: one rank-2 tensor per frequency."""

    real: Floats3
    imag: Floats3


class ComplexRank3Series(_Out):
    """A complex (F, 3, 3, 3) array: one rank-3 tensor per frequency."""

    real: Floats4
    imag: Floats4


class ComplexRank4Series(_Out):
    """A complex (F, 3, 3, 3, 3) array: one rank-4 tensor per frequency."""

    real: Floats5
    imag: Floats5


class Table1Tensors(_Out):
    """The Table-1 tensors of the ground state (atomic units, per molecule)."""

    alpha: ComplexMatrixSeries = Field(description="Polarizability alpha_ij, (F, 3, 3) [a.u.].")
    a: ComplexRank3Series = Field(description="Dipole-quadrupole a_ijk, (F, 3, 3, 3) [a.u.].")
    G: ComplexMatrixSeries = Field(description="Dipole-magnetic dipole G'_ij, (F, 3, 3) [a.u.].")
    b: ComplexRank4Series = Field(description="Dipole-octupole b_ijkl, (F, 3, 3, 3, 3) [a.u.].")
    d: ComplexRank4Series = Field(
        description="Quadrupole-quadrupole d_ijkl, (F, 3, 3, 3, 3) [a.u.]."
    )
    H: ComplexRank3Series = Field(
        description="Dipole-magnetic quadrupole H'_ijk, (F, 3, 3, 3) [a.u.]."
    )
    L: ComplexRank3Series = Field(
        description="Quadrupole-magnetic dipole L'_ijk, (F, 3, 3, 3) [a.u.]."
    )
    chi: ComplexMatrixSeries = Field(
        description="Magnetizability chi_ij (para + dia), (F, 3, 3) [a.u.]."
    )


class ConstantsSet(_Out):
    A: ComplexMatrixSeries = Field(description="Permittivity, molecular part, (F, 3, 3) [a.u.].")
    T: ComplexMatrixSeries = Field(
        description="Magneto-electric T, molecular part, (F, 3, 3) [a.u.]."
    )
    U: ComplexMatrixSeries = Field(
        description="Magneto-electric U, molecular part, (F, 3, 3) [a.u.]."
    )
    X: ComplexMatrixSeries = Field(
        description="Inverse permeability, molecular part, (F, 3, 3) [a.u.]."
    )


class ConstantsByDefinition(_Out):
    """One entry per requested definition."""

    multipole: ConstantsSet | None = Field(default=None, description="Eqs 12-15.")
    raab_de_lange: ConstantsSet | None = Field(default=None, description="Eqs 16-19.")
    covariant: ConstantsSet | None = Field(default=None, description="Eqs 45-48.")


class IsotropicSet(_Out):
    A_transverse: ComplexArray = Field(description="e.A.e for e perpendicular to sigma, (F,).")
    X_transverse: ComplexArray = Field(description="e.X.e for e perpendicular to sigma, (F,).")


class IsotropicByDefinition(_Out):
    multipole: IsotropicSet | None = None
    raab_de_lange: IsotropicSet | None = None
    covariant: IsotropicSet | None = None


class SignChanges(_Out):
    raab_de_lange: list[list[float]] = Field(
        description="Per diagonal component xx, yy, zz: frequencies (grid unit) where Re X_ii of "
        "eq 19 changes sign."
    )
    covariant: list[list[float]] = Field(description="The same for eq 48.")


class InversePermeabilityComparison(_Out):
    ratio_rl_over_cov_diagonal: ComplexVectorSeries = Field(
        description="X_RL,ii / X_cov,ii (molecular parts), (F, 3); 0 where X_cov,ii = 0."
    )
    max_abs_ratio_diagonal: list[float] = Field(description="max over F of |ratio|, per ii.")
    sign_changes_re_x_diagonal: SignChanges
    note: str


class ChangeStats(_Out):
    max_abs_change: float = Field(description="max |after - before| over F and components.")
    max_abs: float = Field(description="max |before|.")
    relative_change: float | None = Field(
        description="max_abs_change / max_abs (null: infinite, the quantity was zero before)."
    )


class TensorChanges(_Out):
    alpha: ChangeStats
    a: ChangeStats
    G: ChangeStats
    b: ChangeStats
    d: ChangeStats
    H: ChangeStats
    L: ChangeStats
    chi: ChangeStats
    magnetizability: ChangeStats


class ConstantChanges(_Out):
    A: ChangeStats
    T: ChangeStats
    U: ChangeStats
    X: ChangeStats


class ConstantsOriginReport(_Out):
    shift: list[float] = Field(description="The origin shift D [bohr].")
    tensors: TensorChanges
    multipole: ConstantChanges | None = None
    raab_de_lange: ConstantChanges | None = None
    covariant: ConstantChanges | None = None


class MaterialConstantsResponse(_Out):
    meta: ResponseMeta
    frequencies: list[float] = Field(description="The grid, in its unit.")
    absorption_coefficient: list[float] = Field(
        description="Eq 40 with the Raab-de Lange A, for `polarization` [1/bohr]."
    )
    alpha_isotropic: ComplexArray = Field(description="tr(alpha)/3 [a.u.].")
    chi_isotropic: ComplexArray = Field(description="tr(chi)/3 [a.u.].")
    magnetizability: ComplexMatrixSeries = Field(description="Eq 56, (F, 3, 3) [a.u.].")
    tensors: Table1Tensors | None = Field(
        default=None, description="Table-1 tensors (with `include_tensors`)."
    )
    constants: ConstantsByDefinition = Field(description="A, T, U, X per definition.")
    isotropic: IsotropicByDefinition = Field(
        description="Randomly oriented molecules: transverse A and X per definition, (F,)."
    )
    inverse_permeability_comparison: InversePermeabilityComparison = Field(
        description="X_RL / X_cov per diagonal component, and sign changes of Re X_ii."
    )
    origin_report: ConstantsOriginReport | None = Field(
        default=None, description="Change of every quantity under `origin_shift`."
    )


class ModeIndices(_Out):
    n1: ComplexArray
    n2: ComplexArray
    residual: list[list[float]] = Field(
        description="Smallest / largest singular value of the wave operator at each root, (F, 2)."
    )


class IndicesByDefinition(_Out):
    multipole: ModeIndices | None = None
    raab_de_lange: ModeIndices | None = None
    covariant: ModeIndices | None = None


class IndexOriginReport(_Out):
    shift: list[float] = Field(description="The origin shift D [bohr].")
    max_abs_change_n: dict[DefinitionName, float] = Field(
        description="max |n(O + D) - n(O)| per definition."
    )


class RefractiveIndexResponse(_Out):
    meta: ResponseMeta
    frequencies: list[float] = Field(description="The grid, in its unit.")
    n1: ComplexArray = Field(description="First forward mode (smaller Re n), first definition.")
    n2: ComplexArray = Field(description="Second forward mode, first definition.")
    absorption_1: list[float] = Field(description="2 (w/c) Im n1 [1/bohr].")
    absorption_2: list[float] = Field(description="2 (w/c) Im n2 [1/bohr].")
    indices: IndicesByDefinition = Field(description="Per definition.")
    max_disagreement: float = Field(description="max |n_def - n_first| over definitions.")
    origin_report: IndexOriginReport | None = Field(
        default=None, description="Change of the indices under `origin_shift`."
    )
