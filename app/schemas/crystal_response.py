"""Schemas of ``/v1/crystal/magnetic-susceptibility`` and ``/v1/crystal/q2-conductivity``
(:data:`core.references.DUFF_SIPE`, secs. VI-VII, eqs 74-92, Fig. 5).

Natural units hbar = e = 1 with c -> 1 (the SI form of the paper's Gaussian formulas): chi and
sigma_L per unit area (per unit volume for a 3D model, B along z) in e^2 E_u L_u^2 / hbar^2, with
E_u, L_u the model's ``energy_unit`` and ``length_unit``. The photon energies may be given in any frequency unit when the model's energies
are physical (eV, meV); a model in ``model`` units needs the grid in ``model`` units (hbar w in the
model's energy unit). Sign: sigma_L^{xzy}(0) = -chi^zz_static (c chi in Gaussian units).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat

from app.schemas.common import ComplexArray, FrequencyGrid, ResponseMeta, StrictModel
from app.schemas.crystal import KGrid, ModelSpec

SigmaLComponent = Literal["xzy", "yzx", "xzx", "yzy"]
SigmaKComponent = Literal["xxxx", "xxxy", "xxyy", "xyyy", "yxxx", "yxxy", "yxyy", "yyyy"]


class _ResponseRequest(StrictModel):
    model: ModelSpec = Field(
        description="An insulator: the Haldane model or a general one, 2D or 3D (a 3D model has "
        "B along z; fields and currents stay in-plane and the results are per unit volume)."
    )
    grid: KGrid = Field(
        description="k-grid over the Brillouin zone (one size per lattice vector: 2 or 3)."
    )
    frequencies: FrequencyGrid = Field(
        description="Photon energies hbar w (any unit if the model's energies are physical, "
        "else 'model' = the model's energy unit)."
    )
    eta: FiniteFloat = Field(
        default=0.1,
        ge=0,
        le=1e6,
        description="Broadening hbar 0+ [the model's energy_unit] (the paper's Fig. 5: 100 meV).",
        json_schema_extra={"x-unit": "energy_unit"},
    )
    filling: int | None = Field(
        default=None, ge=1, description="Occupied bands (default: half of the bands)."
    )


class MagneticSusceptibilityRequest(_ResponseRequest):
    """chi_M^zz(w) of eq 74 on a frequency grid."""


class Q2ConductivityRequest(_ResponseRequest):
    """sigma_L^{izj}(w) and sigma_K^{i(ljk)}(w) of eqs 89-92."""

    sigma_L: list[SigmaLComponent] = Field(
        default=["xzy"],
        max_length=4,
        description="Components i z j of sigma_L (current i, B along z, derivative along j).",
    )
    sigma_K: list[SigmaKComponent] = Field(
        default_factory=list,
        max_length=8,
        description="Components i l j k of sigma_K (current i; l, j, k sorted, symmetric).",
    )
    include_tensors: bool = Field(
        default=False,
        description="Also return chi_M(w) of eq 74 with its parts (gauge dependent, paper's "
        "gauge); the other seven tensors are not implemented yet.",
    )


class ResponseConvergence(BaseModel):
    grid_half: list[int] = Field(description="The grid of about half the size.")
    relative_change: float = Field(description="max |X(grid) - X(half)| / max |X(grid)|.")


class MagneticSusceptibilityResponse(BaseModel):
    """chi_M(w) and its parts (eq 74); CSV columns frequencies, chi_M, chi_M_<part>."""

    model_config = ConfigDict(extra="allow")

    meta: ResponseMeta
    frequencies: list[float] = Field(description="The request's grid, in its unit.")
    chi_M: ComplexArray = Field(
        description="chi_M^zz(w), eq 74 [e^2 E_u L_u^2/hbar^2 per area; per volume in 3D]."
    )
    chi_static: float = Field(description="chi_2 (eqs 83-84) on the same grid.")
    gap: float = Field(description="Indirect gap on the grid [energy_unit].")
    grid: list[int]
    eta: float = Field(description="hbar 0+ [energy_unit].")
    gauge_min_modulus: float = Field(
        description="Smallest modulus of the gauge-fixing component (near 0: singular gauge)."
    )
    convergence: ResponseConvergence
    sign_convention: str


class Q2ConductivityResponse(BaseModel):
    """sigma_L_<izj>, sigma_K_<iljk> (and chi_M arrays when asked) on the frequency grid."""

    model_config = ConfigDict(extra="allow")

    meta: ResponseMeta
    frequencies: list[float] = Field(description="The request's grid, in its unit.")
    chi_static: float = Field(description="chi_2 (eqs 83-84) on the same grid.")
    sigma_L_static: dict[str, float] = Field(
        description="sigma_L(w = 0) of xzy and the requested components (-chi, +chi or 0)."
    )
    gap: float = Field(description="Indirect gap [energy_unit].")
    direct_gap: float = Field(description="Smallest direct gap [energy_unit].")
    grid: list[int]
    eta: float = Field(description="hbar 0+ [energy_unit].")
    q_step: float = Field(description="Finite-difference step in q [1/length_unit].")
    convergence: ResponseConvergence
    sign_convention: str
    method: str
