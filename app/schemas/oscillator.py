"""Schemas of the multipole oscillator medium (W&B eqs 20-26): ``POST /v1/oscillator/response``."""

from __future__ import annotations

from pydantic import BaseModel, Field, FiniteFloat, field_validator

from app.schemas.common import ComplexArray, ComplexNumber, FrequencyGrid, ResponseMeta, StrictModel
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
        min_length=1, description="The transitions (at least one)."
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
    start: float
    stop: float


class SumRuleCheck(BaseModel):
    verdict: bool = Field(description="|residual| <= tolerance * scale.")
    value: float = Field(description="sum_e Delta_dia/w_eg^2 + Delta_quad - Delta_dipoct (eq 26).")
    scale: float = Field(description="Sum of the magnitudes of the terms.")
    tolerance: float
    equation: str = "W&B eq 26"


class ValueCheck(BaseModel):
    value: float
    equation: str | None = None


class DiamagneticCheck(BaseModel):
    verdict: bool = Field(description="mu(0) < 1.")
    mu_static: float


class PassiveCheck(BaseModel):
    verdict: bool = Field(description="Im(eps mu) >= 0 everywhere on the grid.")
    min_im_eps_mu: float
    at_frequency: float = Field(description="Where the minimum is [grid unit].")
    non_passive_intervals: list[Interval] = Field(
        description="Where Im(eps mu) < 0 [grid unit], edges refined."
    )


class IntervalsCheck(BaseModel):
    intervals: list[Interval] = Field(
        description="Where Im mu < 0 [grid unit], edges refined by root finding."
    )


class OrderingCheck(BaseModel):
    verdict: bool = Field(description="Eq 25 holds for every transition.")
    per_transition: list[bool] = Field(
        description="Delta_dipoct w_eg^2 < Delta_edip (or no dipole-octopole strength)."
    )
    tail_crossover: list[float | None] = Field(
        description="sqrt(Delta_edip / Delta_dipoct) [transition unit]: above it the dipole-octopole "
        "tail outgrows the dipole tail of that transition (null without dipole-octopole strength)."
    )


class HighFrequencyCheck(BaseModel):
    verdict: bool = Field(description="eps and mu both tend to 1 as w -> infinity (eq 26).")
    frequency: float = Field(description="Top of the grid [grid unit].")
    epsilon: ComplexNumber
    mu: ComplexNumber
    mu_infinity: float = Field(description="Exact limit 1/(1 + residual of eq 26).")
    epsilon_infinity: float = 1.0


class OscillatorChecks(BaseModel):
    sum_rule_residual: SumRuleCheck
    mu_static: ValueCheck
    chi_static: ValueCheck
    eps_static: ValueCheck
    diamagnetic: DiamagneticCheck
    passive: PassiveCheck
    negative_im_mu_intervals: IntervalsCheck
    multipole_ordering: OrderingCheck
    high_frequency_limit: HighFrequencyCheck


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
