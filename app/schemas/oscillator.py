"""Schemas of the multipole oscillator medium (Westerberg & Barnett 2025, eqs 20-26):
``POST /v1/oscillator/response``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, field_validator

from app.schemas.common import (
    CheckModel,
    ComplexArray,
    ComplexNumber,
    FrequencyGrid,
    ResponseMeta,
    StrictModel,
    limit,
)
from core.units import FrequencyUnit


class Transition(StrictModel):
    """One transition g -> e of the emitters (eq 21). Missing strengths are 0."""

    omega: FiniteFloat = Field(gt=0, description="Transition frequency w_eg > 0 [unit].")
    gamma: FiniteFloat = Field(
        default=0.0,
        ge=0,
        description="Linewidth gamma_e >= 0 [unit]; D = w_eg^2 - w^2 - 2 i w gamma.",
    )
    e_dip: FiniteFloat = Field(
        default=0.0, description="Electric dipole strength Delta_edip [unit^2]."
    )
    m_dip: FiniteFloat = Field(
        default=0.0, description="Magnetic dipole strength Delta_mdip [unit^2]."
    )
    quad: FiniteFloat = Field(
        default=0.0, description="Electric quadrupole strength Delta_quad [dimensionless]."
    )
    dip_oct: FiniteFloat = Field(
        default=0.0, description="Electric dipole-octopole strength Delta_dipoct [dimensionless]."
    )
    dia: FiniteFloat = Field(
        default=0.0,
        description="Diamagnetic strength Delta_dia [unit^2] (enters as Delta_dia / w_eg^2).",
    )


class OscillatorMediumSpec(StrictModel):
    """A multipole oscillator medium: its transitions and the unit they are given in."""

    unit: FrequencyUnit = Field(
        default="model",
        description="Unit of omega and gamma (strengths in unit^2 or dimensionless, eq 21). "
        "`model` = the model's own units (e.g. w_p); not `nm`.",
    )
    transitions: list[Transition] = Field(
        min_length=1,
        description="The transitions (at least one; at most max_transitions).",
        json_schema_extra=limit("max_transitions"),
    )

    @field_validator("unit")
    @classmethod
    def _linear_unit(cls, v: str) -> str:
        if v == "nm":
            raise ValueError("transitions need a frequency or energy unit, not a wavelength (nm)")
        return v


class OscillatorResponseRequest(OscillatorMediumSpec):
    """eps, mu, chi and optics of the medium on a frequency grid."""

    frequencies: FrequencyGrid = Field(description="Where to evaluate (grid per DESIGN.md).")
    k: FiniteFloat | None = Field(
        default=None,
        ge=0,
        description="Wavenumber for the nonlocal permittivity eps'(w,k) = eps + (k^2/w^2)(1 - 1/mu): "
        "in 1/m for physical units, in units of w_unit/c for `model` units.",
        json_schema_extra={"x-unit": "1/m or w_unit/c"},
    )


class Interval(BaseModel):
    """A frequency interval [grid unit], start <= stop."""

    start: float
    stop: float


class SampledInterval(Interval):
    """An interval where Im(eps mu) < 0, and the sampling it was found on."""

    sampled_on: str = Field(description="`grid` (the request grid) or `scan` (an automatic scan).")


class HighFrequency(BaseModel):
    """The response at the top of the grid next to its exact limits."""

    frequency: float = Field(description="Top of the grid [grid unit].")
    epsilon: ComplexNumber = Field(description="eps at the top of the grid.")
    mu: ComplexNumber = Field(description="mu at the top of the grid.")
    epsilon_infinity: float = Field(description="Exact limit of eps as w -> infinity (1).")


class SumRuleDetails(BaseModel):
    scale: float = Field(description="Sum of the magnitudes of the terms of eq 26.")
    mu_infinity: float | None = Field(
        description="Exact limit mu(w -> inf) = 1/(1 + residual); null when infinite."
    )
    high_frequency: HighFrequency | None = Field(
        default=None, description="The response at the top of the grid (when there is a grid)."
    )


class SumRuleCheck(CheckModel):
    """Eq 26: value = sum_e Delta_dia/w_eg^2 + Delta_quad - Delta_dipoct."""

    details: SumRuleDetails  # type: ignore[assignment]


class StaticLimitsDetails(BaseModel):
    eps_static: float = Field(description="eps(0), eq 21.")
    mu_static: float | None = Field(description="mu(0), eq 22 (null when infinite).")
    chi_static: float = Field(description="chi(0) = 1 - 1/mu(0).")


class StaticLimitsCheck(CheckModel):
    details: StaticLimitsDetails  # type: ignore[assignment]


class DiamagneticDetails(BaseModel):
    mu_static: float | None = Field(description="mu(0), eq 22 (null when infinite).")
    chi_static: float = Field(description="chi(0) = 1 - 1/mu(0).")


class DiamagneticCheck(CheckModel):
    """value = mu(0)."""

    details: DiamagneticDetails  # type: ignore[assignment]


class SamplingPassivity(BaseModel):
    """Passivity on one sampling (when several were judged)."""

    verdict: bool | None
    min_im_eps_mu: float | None
    at_frequency: float | None = Field(description="Where the minimum is [unit of the sampling].")
    non_passive_intervals: list[Interval]
    scope: str


class PassiveDetails(BaseModel):
    min_im_eps_mu: float | None = Field(description="Smallest Im(eps mu) found (= value).")
    at_frequency: float | None = Field(description="Where it is [grid unit].")
    non_passive_intervals: list[SampledInterval] = Field(
        description="Where Im(eps mu) < 0, edges refined by root finding."
    )
    n_intervals: int
    scope: str = Field(description="What was sampled.")
    at_sampling: str | None = Field(
        default=None, description="The sampling holding the minimum (several samplings)."
    )
    samplings: dict[str, SamplingPassivity] | None = Field(
        default=None, description="Per sampling (`grid`, `scan`), when more than one was judged."
    )


class PassiveCheck(CheckModel):
    """Im(eps mu) >= 0 on everything sampled; value = its minimum."""

    details: PassiveDetails  # type: ignore[assignment]


class NegativeImMuDetails(BaseModel):
    intervals: list[Interval] = Field(
        description="Where Im mu < 0 [grid unit], edges refined by root finding."
    )
    min_im_mu: float | None


class NegativeImMuCheck(CheckModel):
    details: NegativeImMuDetails  # type: ignore[assignment]


class OrderingDetails(BaseModel):
    per_transition: list[bool] = Field(
        description="Delta_dipoct w_eg^2 < Delta_edip (or no dipole-octopole strength)."
    )
    failing: list[int] = Field(description="Indices of the transitions where eq 25 fails.")
    violations: int = Field(description="How many transitions fail eq 25.")
    tail_crossover: list[float | None] = Field(
        description="sqrt(Delta_edip / Delta_dipoct) [transition unit]: above it the dipole-octopole "
        "tail outgrows the dipole tail of that transition (null without dipole-octopole strength)."
    )


class OrderingCheck(CheckModel):
    """Eq 25 per transition; value = number of violations."""

    details: OrderingDetails  # type: ignore[assignment]


class OscillatorChecks(BaseModel):
    """The checks of an oscillator medium on a grid, one per physical statement."""

    model_config = ConfigDict(extra="forbid")

    sum_rule_26: SumRuleCheck
    static_limits: StaticLimitsCheck
    diamagnetic: DiamagneticCheck
    passive: PassiveCheck
    negative_im_mu_intervals: NegativeImMuCheck
    multipole_ordering: OrderingCheck


class OscillatorMeta(ResponseMeta):
    checks: OscillatorChecks  # type: ignore[assignment]


class OscillatorResponse(BaseModel):
    """Response functions of the medium on the grid (each array has the grid's length)."""

    meta: OscillatorMeta
    frequencies: list[float] = Field(description="The grid, echoed in its unit and order.")
    epsilon: ComplexArray = Field(description="eps(w), eq 21.")
    mu: ComplexArray = Field(description="mu(w) = 1/(1/mu), eq 21.")
    inverse_mu: ComplexArray = Field(description="1/mu(w), eq 21.")
    chi: ComplexArray = Field(description="chi = 1 - 1/mu (M = chi B), eq 23.")
    eps_mu: ComplexArray = Field(
        description="eps mu; Im > 0 means absorption of a propagating wave."
    )
    refractive_index: ComplexArray = Field(
        description="n = sqrt(eps mu), Im n >= 0 (else Re(n/mu) > 0)."
    )
    impedance: ComplexArray = Field(description="Z = mu/n (relative to vacuum), same branch as n.")
    reflectance: list[float] = Field(description="Normal incidence from vacuum, |(Z-1)/(Z+1)|^2.")
    absorption_coefficient: list[float] = Field(
        description="2 w Im n / c: 1/m (physical units) or w_unit/c (model)."
    )
    epsilon_nonlocal: ComplexArray | None = Field(
        default=None, description="eps'(w,k) when k is given."
    )

    model_config = {"json_schema_extra": {"x-csv": "?format=csv gives the arrays as columns"}}
