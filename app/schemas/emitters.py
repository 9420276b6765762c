"""Schemas of the first-principles emitter strengths (seed 000, Appendix B, eq 24, Fig. 2b).

``POST /v1/emitters/box/strengths``, ``/v1/emitters/harmonic/strengths``,
``/v1/emitters/custom/strengths``. Natural units hbar = c = eps0 = 1 in one frequency unit [w]
chosen by the user (the paper: the plasma frequency w_p): masses in [w], lengths in 1/[w],
densities in [w]^3, charges dimensionless; the frequency grid must then be in ``model`` units.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, FiniteFloat, field_validator

from app.schemas.common import ComplexArray, FrequencyGrid, ResponseMeta, StrictModel
from app.schemas.oscillator import OscillatorMediumSpec

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
        min_length=1, description="Excited states (capped by max_emitter_states)."
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


class EmitterStrengthsResponse(BaseModel):
    """Strengths in the oscillator medium's format, diagnostics, and eps/mu when a grid is given."""

    meta: ResponseMeta
    frequencies: list[float] | None = Field(default=None, description="The grid, echoed.")
    epsilon: ComplexArray | None = Field(default=None, description="eps(w), eq 21.")
    mu: ComplexArray | None = Field(default=None, description="mu(w), eq 21.")
    inverse_mu: ComplexArray | None = None
    chi: ComplexArray | None = Field(default=None, description="chi = 1 - 1/mu, eq 23.")
    eps_mu: ComplexArray | None = None
    refractive_index: ComplexArray | None = None
    impedance: ComplexArray | None = None
    reflectance: list[float] | None = None
    absorption_coefficient: list[float] | None = None
    omega_p: float = Field(description="Plasma frequency sqrt(rho0 q^2 / m) [w].")
    medium: OscillatorMediumSpec = Field(
        description="The transitions in exactly the input format of /v1/oscillator/response "
        "(add `frequencies` and POST it there)."
    )
    states: EmitterStates
    diagnostics: dict[str, Any] = Field(
        description="Every diagnostic number (TRK, eq 26, static limits, Langevin and Van Vleck "
        "direct and from the strengths, passivity scan)."
    )
    convergence: list[ConvergenceRow] | None = Field(
        default=None, description="Diagnostics versus n_max (box, when asked)."
    )
