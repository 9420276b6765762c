"""Schemas of the first-principles emitter strengths (Westerberg & Barnett 2025, App. B, eq 24,
Fig. 2b).

``POST /v1/emitters/box/strengths``, ``/v1/emitters/harmonic/strengths``,
``/v1/emitters/custom/strengths``. Natural units hbar = c = eps0 = 1 in one frequency unit [w]
chosen by the user (the paper: the plasma frequency w_p): masses in [w], lengths in 1/[w],
densities in [w]^3, charges dimensionless; the frequency grid must then be in ``model`` units.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, field_validator

from app.schemas.common import (
    CheckModel,
    ComplexArray,
    FrequencyGrid,
    ResponseMeta,
    StrictModel,
    limit,
)
from app.schemas.oscillator import (
    DiamagneticCheck,
    NegativeImMuCheck,
    OrderingCheck,
    OscillatorMediumSpec,
    PassiveCheck,
    StaticLimitsCheck,
    SumRuleCheck,
)

PositiveFloat = Annotated[FiniteFloat, Field(gt=0)]
Vector3 = Annotated[list[FiniteFloat], Field(min_length=3, max_length=3)]
Matrix3 = Annotated[list[Vector3], Field(min_length=3, max_length=3)]
Tensor3 = Annotated[list[Matrix3], Field(min_length=3, max_length=3)]


class EmitterCommon(StrictModel):
    """Charge, mass, density and linewidth of the emitters; options shared by every emitter."""

    mass: FiniteFloat = Field(
        gt=0,
        description="Particle mass m in the frequency unit [w] (natural units, m c^2 / hbar).",
        json_schema_extra={"x-unit": "w"},
    )
    charge: FiniteFloat = Field(
        description="Charge q (dimensionless in natural units hbar = c = eps0 = 1); non-zero.",
        json_schema_extra={"x-unit": "1"},
    )
    density: FiniteFloat = Field(
        gt=0,
        description="Emitter density rho0 in [w]^3. w_p = sqrt(rho0 q^2 / m).",
        json_schema_extra={"x-unit": "w^3"},
    )
    gamma: FiniteFloat = Field(
        default=0.0,
        ge=0,
        description="Linewidth gamma of every transition [w] (D = w_eg^2 - w^2 - 2 i w gamma).",
        json_schema_extra={"x-unit": "w"},
    )
    merge_degenerate: bool = Field(
        default=True,
        description="Merge transitions at the same frequency into one, summing their strengths "
        "(exact for eq 21 with a common linewidth).",
    )
    tolerance: FiniteFloat = Field(
        default=1e-3,
        gt=0,
        lt=1,
        description="Relative tolerance of the convergence verdicts (TRK, eq 26, Langevin, "
        "Van Vleck, chi(0) against its direct value).",
    )
    frequencies: FrequencyGrid | None = Field(
        default=None,
        description="Optional grid (unit `model`, i.e. [w]): eps, mu, chi ... as "
        "/v1/oscillator/response returns them. Required for ?format=csv.",
    )

    @field_validator("charge")
    @classmethod
    def _non_zero(cls, v: float) -> float:
        if v == 0:
            raise ValueError("charge must be non-zero (a neutral particle does not respond)")
        return v


class BoxStrengthsRequest(EmitterCommon):
    """Particle in a box centred at the origin (eq 24), all states 1 <= n_a <= n_max."""

    lengths: Annotated[list[PositiveFloat], Field(min_length=3, max_length=3)] = Field(
        description="Side lengths (Lx, Ly, Lz) in 1/[w] (the paper: c / w_p).",
        json_schema_extra={"x-unit": "1/w"},
    )
    n_max: int = Field(
        ge=2,
        description="Largest quantum number per axis (n_max^3 - 1 excited states; capped by "
        "max_emitter_n_max and max_emitter_states).",
    )
    convergence: bool = Field(
        default=False,
        description="Also return the diagnostics for every cutoff 2..n_max (a convergence table).",
    )


class HarmonicStrengthsRequest(EmitterCommon):
    """Harmonic oscillator: one frequency (isotropic) or three (w_x, w_y, w_z); exact moments."""

    oscillator_frequencies: Annotated[list[PositiveFloat], Field(min_length=1, max_length=3)] = (
        Field(
            description="Oscillator frequencies [w]: one value (isotropic) or three (anisotropic).",
            json_schema_extra={"x-unit": "w"},
        )
    )

    @field_validator("oscillator_frequencies")
    @classmethod
    def _one_or_three(cls, v: list[float]) -> list[float]:
        if len(v) == 2:
            raise ValueError("give one frequency (isotropic) or three (w_x, w_y, w_z), not two")
        return v


class ComplexVector3(StrictModel):
    """A complex 3-vector: real and imaginary parts (each omitted = zero)."""

    real: Vector3 | None = Field(default=None, description="Real parts (3).")
    imag: Vector3 | None = Field(default=None, description="Imaginary parts (3).")


class ComplexMatrix3(StrictModel):
    """A complex 3 x 3 matrix: real and imaginary parts (each omitted = zero)."""

    real: Matrix3 | None = Field(default=None, description="Real parts (3 x 3).")
    imag: Matrix3 | None = Field(default=None, description="Imaginary parts (3 x 3).")


class ComplexTensor3(StrictModel):
    """A complex 3 x 3 x 3 tensor: real and imaginary parts (each omitted = zero)."""

    real: Tensor3 | None = Field(default=None, description="Real parts (3 x 3 x 3).")
    imag: Tensor3 | None = Field(default=None, description="Imaginary parts (3 x 3 x 3).")


class CustomTransition(StrictModel):
    """One excited state e: its energy above the ground state and its moments from g (B21-B24)."""

    omega: FiniteFloat = Field(
        gt=0, description="Transition frequency w_eg > 0 [w].", json_schema_extra={"x-unit": "w"}
    )
    p: ComplexVector3 = Field(
        default_factory=ComplexVector3,
        description="p_i^{ge} = <g|p_i|e> [w] (real wavefunctions: purely imaginary).",
    )
    pr: ComplexMatrix3 = Field(
        default_factory=ComplexMatrix3,
        description="(p_i r_k)^{ge} = <g|p_i r_k|e>, p on the left [dimensionless].",
    )
    prr: ComplexTensor3 = Field(
        default_factory=ComplexTensor3,
        description="(p_i r_k r_m)^{ge}, p on the left, symmetric in (k, m) [1/w].",
    )


class CustomStrengthsRequest(EmitterCommon):
    """User-given excited states and moments, and the ground-state second moments."""

    transitions: list[CustomTransition] = Field(
        min_length=1,
        description="Excited states (capped by max_emitter_states).",
        json_schema_extra=limit("max_emitter_states"),
    )
    rr_ground: Matrix3 = Field(
        description="<g| r_i r_j |g> in 1/[w]^2: real symmetric positive semi-definite. The ground "
        "state is assumed to have <r> = 0 (origin at its centre).",
        json_schema_extra={"x-unit": "1/w^2"},
    )


class ConvergenceRow(BaseModel):
    """Diagnostics with all quantum numbers <= n_max."""

    n_max: int
    states: int
    transitions: int
    trk_residual: float = Field(description="1 - sum Delta_edip / w_p^2.")
    sum_rule_residual: float = Field(description="Eq 26 residual.")
    chi_static: float
    chi_static_error: float = Field(description="chi(0) - (Langevin + Van Vleck, direct).")
    chi_dia_strengths: float
    chi_van_vleck_strengths: float
    mu_static: float
    multipole_ordering_violations: int


class EmitterStates(BaseModel):
    """Per transition of ``medium.transitions``: quantum numbers of one state and degeneracy."""

    labels: list[list[int]] | None = Field(
        description="(n_x, n_y, n_z) of a representative state (box: 1-based; oscillator: "
        "occupations); null for custom emitters."
    )
    degeneracy: list[int] = Field(description="How many states were merged into the transition.")


class TrkDetails(BaseModel):
    residual: float = Field(description="1 - sum Delta_edip / w_p^2.")


class TrkCheck(CheckModel):
    """TRK (B26); value = sum Delta_edip / w_p^2."""

    details: TrkDetails  # type: ignore[assignment]


class LangevinDetails(BaseModel):
    chi_langevin: float = Field(description="-rho0 q^2 <r^2> / (6 m) from the ground state (B82).")
    chi_dia_strengths: float = Field(description="-sum Delta_dia / w_eg^2.")
    r2_ground: float = Field(description="<r^2> of the ground state [1/w^2].")


class LangevinCheck(CheckModel):
    """value = chi_dia_strengths - chi_langevin."""

    details: LangevinDetails  # type: ignore[assignment]


class VanVleckDetails(BaseModel):
    chi_van_vleck: float = Field(description="Direct sum w_p^2 sum |L^ge|^2 / (6 m w_eg).")
    chi_van_vleck_strengths: float = Field(description="sum Delta_mdip / w_eg^2.")
    reference_error: float = Field(description="Error estimate of the direct sum (0 if exact).")
    scale: float = Field(description="|chi_Langevin| + |chi_VanVleck|.")


class VanVleckCheck(CheckModel):
    """value = chi_van_vleck_strengths - chi_van_vleck."""

    details: VanVleckDetails  # type: ignore[assignment]


class ChiStaticReferenceDetails(BaseModel):
    chi_static: float = Field(description="chi(0) from the strengths (eq 22).")
    reference: float = Field(description="Langevin + Van Vleck computed directly.")
    error: float = Field(description="chi_static - reference (= value).")
    scale: float = Field(description="|chi_Langevin| + |chi_VanVleck|.")
    source: str = Field(description="How the references were obtained.")


class ChiStaticReferenceCheck(CheckModel):
    details: ChiStaticReferenceDetails  # type: ignore[assignment]


class EmitterChecks(BaseModel):
    """The checks of an emitter medium, one per physical statement."""

    model_config = ConfigDict(extra="forbid")

    trk_sum: TrkCheck
    langevin: LangevinCheck
    van_vleck: VanVleckCheck
    chi_static_reference: ChiStaticReferenceCheck
    sum_rule_26: SumRuleCheck
    static_limits: StaticLimitsCheck
    diamagnetic: DiamagneticCheck
    passive: PassiveCheck | None = Field(
        default=None, description="On the grid and the automatic scan (absent if nothing sampled)."
    )
    multipole_ordering: OrderingCheck
    negative_im_mu_intervals: NegativeImMuCheck | None = Field(
        default=None, description="Where Im mu < 0 on the grid (with a grid)."
    )


class EmitterMeta(ResponseMeta):
    checks: EmitterChecks  # type: ignore[assignment]


class EmitterDiagnostics(BaseModel):
    """Every diagnostic number of the medium (null: not finite, or no scan)."""

    omega_p: float = Field(description="sqrt(rho0 q^2 / m) [w].")
    transitions: int = Field(description="Number of transitions of the medium.")
    trk_sum: float = Field(description="sum Delta_edip / w_p^2 (1 for a complete basis, B26).")
    trk_residual: float = Field(description="1 - trk_sum.")
    sum_rule_residual: float = Field(description="Eq 26 residual.")
    sum_rule_scale: float = Field(description="Sum of the magnitudes of the terms of eq 26.")
    mu_infinity: float | None = Field(description="1 / (1 + residual of eq 26).")
    eps_static: float = Field(description="eps(0), eq 21.")
    mu_static: float | None = Field(description="mu(0), eq 22.")
    chi_static: float = Field(description="chi(0) = 1 - 1/mu(0).")
    r2_ground: float = Field(description="<r^2> of the ground state [1/w^2].")
    chi_langevin: float = Field(description="Langevin chi from <r^2> (B82).")
    chi_dia_strengths: float = Field(description="-sum Delta_dia / w_eg^2.")
    chi_van_vleck: float = Field(description="Van Vleck chi, direct sum.")
    chi_van_vleck_error: float = Field(description="Error estimate of the direct sum.")
    chi_van_vleck_strengths: float = Field(description="sum Delta_mdip / w_eg^2.")
    chi_static_reference: float = Field(description="chi_langevin + chi_van_vleck.")
    chi_static_error: float = Field(description="chi_static - chi_static_reference.")
    reference_source: str = Field(description="How the references were obtained.")
    multipole_ordering_violations: int = Field(description="Transitions failing eq 25.")
    min_im_eps: float | None = Field(default=None, description="Min Im eps on the scan.")
    min_im_eps_mu: float | None = Field(default=None, description="Min Im(eps mu) on the scan.")
    min_im_mu: float | None = Field(default=None, description="Min Im mu on the scan.")
    scan_points: int | None = Field(default=None, description="Points of the scan.")
    scan_max_frequency: float | None = Field(default=None, description="Top of the scan [w].")
    first_non_passive_frequency: float | None = Field(
        default=None, description="Lowest scan frequency with Im eps or Im(eps mu) < 0 [w]."
    )


class EmitterStrengthsResponse(BaseModel):
    """Strengths in the oscillator medium's format, diagnostics, and eps/mu when a grid is given."""

    meta: EmitterMeta
    frequencies: list[float] | None = Field(default=None, description="The grid, echoed.")
    epsilon: ComplexArray | None = Field(default=None, description="eps(w), eq 21.")
    mu: ComplexArray | None = Field(default=None, description="mu(w), eq 21.")
    inverse_mu: ComplexArray | None = Field(default=None, description="1/mu(w), eq 21.")
    chi: ComplexArray | None = Field(default=None, description="chi = 1 - 1/mu, eq 23.")
    eps_mu: ComplexArray | None = Field(default=None, description="eps mu (Im > 0: absorbing).")
    refractive_index: ComplexArray | None = Field(
        default=None, description="n = sqrt(eps mu), Im n >= 0."
    )
    impedance: ComplexArray | None = Field(default=None, description="Z = mu/n (relative).")
    reflectance: list[float] | None = Field(
        default=None, description="Normal incidence from vacuum, |(Z-1)/(Z+1)|^2."
    )
    absorption_coefficient: list[float] | None = Field(
        default=None, description="2 w Im n / c [w/c in model units]."
    )
    omega_p: float = Field(description="Plasma frequency sqrt(rho0 q^2 / m) [w].")
    medium: OscillatorMediumSpec = Field(
        description="The transitions in exactly the input format of /v1/oscillator/response "
        "(add `frequencies` and POST it there)."
    )
    states: EmitterStates
    diagnostics: EmitterDiagnostics = Field(
        description="Every diagnostic number (TRK, eq 26, static limits, Langevin and Van Vleck "
        "direct and from the strengths, passivity scan)."
    )
    convergence: list[ConvergenceRow] | None = Field(
        default=None, description="Diagnostics versus n_max (box, when asked)."
    )
