"""Schemas of Cho's single-susceptibility optics (K. Cho 2007, arXiv:cond-mat/0611235):
``POST /v1/chiral/...``.

``/magnetic-resonance``: a magnetic resonance assigned to chi_m or chi_B on a background eps
(eqs 44-47, Figs. 1-2). ``/single-susceptibility``: a chiral medium with E1, M1 and mixed strengths
on common poles (eqs 27, 29, 48), optionally compared with Drude-Born-Fedorov (eq 43).
Gaussian units with c = 1 as in the paper; the SI strength of a magnetic resonance is 4 pi b.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, FiniteFloat, field_validator, model_validator

from app.schemas.common import ComplexArray, FrequencyGrid, ResponseMeta, StrictModel, limit
from core.units import FrequencyUnit


class ComplexInput(StrictModel):
    """A complex number given as its real and imaginary parts."""

    real: FiniteFloat = Field(description="Real part.")
    imag: FiniteFloat = Field(default=0.0, description="Imaginary part.")


def _as_complex(v: float | ComplexInput) -> complex:
    return complex(v.real, v.imag) if isinstance(v, ComplexInput) else complex(v)


class _UnitModel(StrictModel):
    unit: FrequencyUnit = Field(
        default="model",
        description="Unit of every frequency-like parameter of the medium (w0, b, gamma, oscillator "
        "frequencies; strengths carry the powers stated on each field). `model` = the model's own "
        "units (Cho's figures use units of w0); not `nm`.",
    )

    @field_validator("unit")
    @classmethod
    def _linear_unit(cls, v: str) -> str:
        if v == "nm":
            raise ValueError("the medium needs a frequency or energy unit, not a wavelength (nm)")
        return v


class BackgroundOscillator(StrictModel):
    """A Lorentz oscillator of the background permittivity: S / (w_p^2 - w^2 - 2 i gamma w)."""

    omega: FiniteFloat = Field(gt=0, description="Resonance frequency w_p > 0 [unit].")
    gamma: FiniteFloat = Field(default=0.0, ge=0, description="Damping gamma_p >= 0 [unit].")
    strength: FiniteFloat = Field(ge=0, description="Strength S_p >= 0 [unit^2].")


class MagneticResonanceRequest(_UnitModel):
    """Background eps plus one magnetic resonance assigned to chi_m (eq 44) or chi_B (eq 45)."""

    eps_b: FiniteFloat | ComplexInput = Field(
        description="Background permittivity eps_b (number or {real, imag}; Im >= 0). Cho's Figs. "
        "1-2: -1 [dimensionless]."
    )
    assignment: Literal["chi_m", "chi_B"] = Field(
        description="`chi_m`: M = chi_m H, mu = 1 + 4 pi chi_m (pole of mu at w0, eq 44/46). "
        "`chi_B`: M = chi_B B, 1/mu = 1 - 4 pi chi_B (zero of mu at w0, eq 45/47)."
    )
    w0: FiniteFloat = Field(gt=0, description="Resonance frequency of chi_m or chi_B [unit].")
    b: FiniteFloat | None = Field(
        default=None,
        gt=0,
        description="Gaussian strength b in chi = b / (w0 - w - i gamma) [unit]. Give `b` or "
        "`four_pi_b`, not both.",
    )
    four_pi_b: FiniteFloat | None = Field(
        default=None,
        gt=0,
        description="SI strength 4 pi b (chi^SI = 4 pi chi^Gauss) [unit]; Cho's Fig. 1 caption "
        "gives 4 pi b / w0 = 0.001. The width of the left-handed window.",
    )
    gamma: FiniteFloat = Field(
        default=0.0,
        ge=0,
        description="Damping replacing the paper's 0+ [unit]; 0 is allowed away from the poles.",
    )
    line_shape: Literal["resonant", "lorentz"] = Field(
        default="resonant",
        description="`resonant`: b / (w0 - w - i gamma), exactly eqs 44-45. `lorentz`: "
        "2 w0 b / (w0^2 - w^2 - 2 i gamma w), the causal form with the antiresonant term.",
    )
    background: list[BackgroundOscillator] = Field(
        default_factory=list,
        description="Lorentz oscillators added to eps_b (e.g. the E1 phonon that makes eps < 0; "
        "at most max_transitions).",
        json_schema_extra=limit("max_transitions"),
    )
    frequencies: FrequencyGrid = Field(description="Where to evaluate (grid per DESIGN.md).")

    @model_validator(mode="after")
    def _one_strength(self) -> MagneticResonanceRequest:
        if (self.b is None) == (self.four_pi_b is None):
            raise ValueError("give exactly one of 'b' (Gaussian) and 'four_pi_b' (SI, = 4 pi b)")
        if _as_complex(self.eps_b).imag < 0:
            raise ValueError("Im eps_b must be >= 0 (a passive background)")
        return self

    def eps_b_complex(self) -> complex:
        return _as_complex(self.eps_b)


class ChiralResonance(StrictModel):
    """One resonance with E1, M1 and mixed strengths on a common pole (eq 48, section 3.6)."""

    omega: FiniteFloat = Field(gt=0, description="Resonance frequency w_j > 0 [unit].")
    gamma: FiniteFloat = Field(
        default=0.0, ge=0, description="Damping gamma_j >= 0 [unit]; D = w_j^2 - w^2 - 2 i gamma w."
    )
    e1: FiniteFloat = Field(
        default=0.0, ge=0, description="E1 strength e_j >= 0: eps += e_j / D_j [unit^2]."
    )
    m1: FiniteFloat = Field(
        default=0.0,
        ge=0,
        description="M1 strength m_j >= 0: 4 pi chi_B += w^2 m_j / D_j [dimensionless].",
    )
    mixed: FiniteFloat = Field(
        default=0.0,
        description="Mixed E1-M1 strength g_j: (c k / w)^2 gets s g_j c k / D_j for circular "
        "component s [unit]; |g_j| <= 2 sqrt(e_j m_j) (Cauchy-Schwarz on eq 27).",
    )


class DBFComparison(StrictModel):
    """Drude-Born-Fedorov medium built on the same resonances (eq 43 vs eq 29)."""

    beta: FiniteFloat | None = Field(
        default=None,
        description="Chiral admittance beta: metres for physical units, c / w_unit for `model`. "
        "null: the beta giving the same low-frequency rotation (Biot coefficient).",
        json_schema_extra={"x-unit": "m or c/w_unit"},
    )


class SingleSusceptibilityRequest(_UnitModel):
    """A chiral medium described by the single susceptibility chi_em(k, w) (eqs 27, 29, 48)."""

    eps_inf: FiniteFloat | ComplexInput = Field(
        default=1.0,
        description="Non-resonant background permittivity (number or {real, imag}; Im >= 0).",
    )
    resonances: list[ChiralResonance] = Field(
        min_length=1,
        description="Resonances (common poles of chi_e1, chi_chir, chi_m1; at most "
        "max_transitions).",
        json_schema_extra=limit("max_transitions"),
    )
    dbf: DBFComparison | None = Field(
        default=None,
        description="Also compute the DBF dispersion (eq 43) with eps = E1 part, mu = 1 + M1 part "
        "(the conventional assignment: eps and mu share poles).",
    )
    frequencies: FrequencyGrid = Field(description="Where to evaluate (grid per DESIGN.md; w > 0).")

    @model_validator(mode="after")
    def _passive(self) -> SingleSusceptibilityRequest:
        if _as_complex(self.eps_inf).imag < 0:
            raise ValueError("Im eps_inf must be >= 0 (a passive background)")
        return self

    def eps_inf_complex(self) -> complex:
        return _as_complex(self.eps_inf)


# ------------------------------------------------------------------------------ responses


class MagneticResonanceResponse(BaseModel):
    """Dispersion and reflectance of the medium on the grid (each array has the grid's length)."""

    meta: ResponseMeta
    frequencies: list[float] = Field(description="The grid, echoed in its unit and order.")
    epsilon: ComplexArray = Field(description="eps(w) = eps_b + background oscillators.")
    mu: ComplexArray = Field(description="mu = 1 + 4 pi chi_m (chi_m) or 1/(1 - 4 pi chi_B).")
    chi: ComplexArray = Field(description="The assigned Gaussian susceptibility, eq 44 or 45.")
    refractive_index: ComplexArray = Field(
        description="n = sqrt(eps mu), Im n >= 0: Re n < 0 in the left-handed window."
    )
    wavenumber: ComplexArray = Field(
        description="k = n w / c (eq 46/47): 1/m (physical units) or w_unit/c (model)."
    )
    impedance: ComplexArray = Field(description="Z = mu / n relative to vacuum.")
    reflectance: list[float] = Field(description="|(Z-1)/(Z+1)|^2, normal incidence from vacuum.")
    group_index: list[float] = Field(description="c Re(dk/dw) = c / v_g (analytic derivative).")
    backward_wave: list[bool] = Field(
        description="Propagating (|Re n| > |Im n|) with v_p v_g < 0 (Cho's left-handed criterion)."
    )


class SingleSusceptibilityResponse(BaseModel):
    """Circular-polarisation optics on the grid (each array has the grid's length)."""

    meta: ResponseMeta
    frequencies: list[float] = Field(description="The grid, echoed in its unit and order.")
    k_plus: ComplexArray = Field(
        description="Forward wavenumber of positive helicity (left circular, observer facing "
        "the source), root of eq 29 with Im k > 0: 1/m or w_unit/c."
    )
    k_minus: ComplexArray = Field(description="Same for negative helicity (right circular).")
    n_plus: ComplexArray = Field(description="c k_+ / w.")
    n_minus: ComplexArray = Field(description="c k_- / w.")
    rotatory_power: list[float] = Field(
        description="(Re k_+ - Re k_-)/2 [rad/m or rad per c/w_unit], > 0 dextrorotatory."
    )
    circular_dichroism: list[float] = Field(
        description="alpha_+ - alpha_- with alpha = 2 Im k [1/m or w_unit/c]."
    )
    alpha_plus: list[float] = Field(description="2 Im k_+.")
    alpha_minus: list[float] = Field(description="2 Im k_-.")
    epsilon: ComplexArray = Field(description="E1 part: eps_inf + sum e_j / D_j.")
    four_pi_chi_b: ComplexArray = Field(description="M1 part: 4 pi chi_B = w^2 sum m_j / D_j.")
    dbf_eps_mu: ComplexArray | None = Field(
        default=None, description="DBF eps mu: second-order poles where e_j, m_j > 0 (eq 43)."
    )
    dbf_k_plus: ComplexArray | None = Field(default=None, description="DBF k_+ (eq 43).")
    dbf_k_minus: ComplexArray | None = Field(default=None, description="DBF k_- (eq 43).")
    dbf_rotatory_power: list[float] | None = Field(
        default=None, description="DBF (Re k_+ - Re k_-)/2."
    )
