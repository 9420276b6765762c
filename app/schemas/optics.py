"""Schemas of the optics endpoints: ``POST /v1/optics/reflectance`` and ``/v1/optics/dispersion``.

The medium specification is shared by every optics endpoint: a tagged union on ``kind``:

- ``oscillator``: the multipole oscillator medium of Westerberg & Barnett, eq 21;
- ``constant``: eps and mu that do not depend on frequency;
- ``tabulated``: eps (and mu) or n and k on a frequency table, interpolated;
- ``magnetic-resonance``: Cho's background eps_b (plus optional Lorentz oscillators) with one
  magnetic resonance b / (w0 - w - i gamma) assigned to chi_m or chi_B (Cho eqs 44-47).

Conventions: fields ~ exp(-i w t), passive media have Im eps > 0; natural units c = 1 for the
``model`` unit, in which lengths are in units of c / w_unit and wavenumbers in w_unit / c.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field, FiniteFloat, field_validator, model_validator

from app.schemas.chiral import BackgroundOscillator, ComplexInput
from app.schemas.common import ComplexArray, FrequencyGrid, ResponseMeta, StrictModel, limit
from app.schemas.oscillator import Transition
from core.units import FrequencyUnit

LengthUnit = Literal["m", "um", "nm", "model"]
WavenumberUnit = Literal["1/m", "1/um", "1/nm", "1/cm", "model"]
LinearFrequencyUnit = Literal["model", "rad/s", "Hz", "THz", "eV", "hartree", "cm-1"]


def _no_nm(v: str) -> str:
    if v == "nm":
        raise ValueError("a medium needs a frequency or energy unit, not a wavelength (nm)")
    return v


class OscillatorMediumKind(StrictModel):
    """Multipole oscillator medium (Westerberg & Barnett eq 21): eps = 1 + sum Delta_edip / D_e,
    1/mu = 1 + sum [Delta_dia / w_eg^2 - (Delta_mdip + w^2 (Delta_quad - Delta_dipoct)) / D_e]."""

    kind: Literal["oscillator"] = Field(description="Discriminator.")
    unit: FrequencyUnit = Field(
        default="model",
        description="Unit of omega and gamma (strengths in unit^2 or dimensionless, eq 21); not nm.",
    )
    transitions: list[Transition] = Field(
        min_length=1,
        description="The transitions (>= 1, at most max_transitions).",
        json_schema_extra=limit("max_transitions"),
    )

    _unit = field_validator("unit")(classmethod(lambda cls, v: _no_nm(v)))


class ConstantMediumKind(StrictModel):
    """eps and mu independent of frequency (numbers or {real, imag})."""

    kind: Literal["constant"] = Field(description="Discriminator.")
    eps: FiniteFloat | ComplexInput = Field(description="Relative permittivity [dimensionless].")
    mu: FiniteFloat | ComplexInput = Field(
        default=1.0, description="Relative permeability [dimensionless]; 0 is not allowed."
    )


class ComplexList(StrictModel):
    """A complex array given as real and imaginary parts of equal length."""

    real: list[FiniteFloat] = Field(
        description="Real parts.", json_schema_extra=limit("max_grid_points")
    )
    imag: list[FiniteFloat] = Field(
        description="Imaginary parts.", json_schema_extra=limit("max_grid_points")
    )

    @model_validator(mode="after")
    def _same_length(self) -> ComplexList:
        if len(self.real) != len(self.imag):
            raise ValueError("'real' and 'imag' must have the same length")
        return self


class TabulatedMediumKind(StrictModel):
    """eps and mu (or n and k, then mu = 1) on a frequency table, interpolated in between.

    Real and imaginary parts are interpolated separately (``linear`` or monotone cubic ``pchip``);
    frequencies outside the table are refused (no extrapolation). The table may be in any unit,
    wavelengths (nm) included; it is sorted by frequency.
    """

    kind: Literal["tabulated"] = Field(description="Discriminator.")
    unit: FrequencyUnit = Field(default="model", description="Unit of the table frequencies.")
    frequencies: list[FiniteFloat] = Field(
        min_length=2,
        description="Table frequencies (distinct, > 0; at most max_grid_points) [unit].",
        json_schema_extra=limit("max_grid_points"),
    )
    eps: ComplexList | None = Field(default=None, description="eps at the table points.")
    mu: ComplexList | None = Field(
        default=None, description="mu at the table points (default 1; only with eps)."
    )
    n: list[FiniteFloat] | None = Field(
        default=None,
        description="Real refractive index n.",
        json_schema_extra=limit("max_grid_points"),
    )
    k: list[FiniteFloat] | None = Field(
        default=None,
        description="Extinction coefficient k >= 0 (n + i k; mu = 1).",
        json_schema_extra=limit("max_grid_points"),
    )
    interpolation: Literal["linear", "pchip"] = Field(
        default="linear", description="`linear` or `pchip` (shape-preserving cubic)."
    )

    @model_validator(mode="after")
    def _one_form(self) -> TabulatedMediumKind:
        m = len(self.frequencies)
        if (self.eps is None) == (self.n is None):
            raise ValueError("give either 'eps' (and optionally 'mu') or 'n' and 'k'")
        if self.n is not None:
            if self.k is None or self.mu is not None:
                raise ValueError("'n' needs 'k' (and no 'mu': an n, k table is non-magnetic)")
            if len(self.n) != m or len(self.k) != m:
                raise ValueError(f"'n' and 'k' need {m} entries, one per table frequency")
        else:
            if self.k is not None:
                raise ValueError("'k' goes with 'n', not with 'eps'")
            assert self.eps is not None
            if len(self.eps.real) != m or (self.mu is not None and len(self.mu.real) != m):
                raise ValueError(f"'eps' and 'mu' need {m} entries, one per table frequency")
        if any(f <= 0 for f in self.frequencies):
            raise ValueError("table frequencies must be > 0")
        return self


class MagneticResonanceMediumKind(StrictModel):
    """Cho's magnetic resonance (Cho eqs 44-47) on a background eps_b (+ Lorentz oscillators).

    chi = b / (w0 - w - i gamma) (``resonant``) or 2 w0 b / (w0^2 - w^2 - 2 i gamma w) (``lorentz``);
    ``chi_m``: mu = 1 + 4 pi chi; ``chi_B``: 1/mu = 1 - 4 pi chi (Gaussian units, SI strength 4 pi b).
    """

    kind: Literal["magnetic-resonance"] = Field(description="Discriminator.")
    unit: FrequencyUnit = Field(
        default="model", description="Unit of w0, b, gamma and the background oscillators; not nm."
    )
    eps_b: FiniteFloat | ComplexInput = Field(
        description="Background permittivity (Im >= 0) [dimensionless]."
    )
    assignment: Literal["chi_m", "chi_B"] = Field(
        description="Which susceptibility carries the pole at w0 (eq 44 or 45)."
    )
    w0: FiniteFloat = Field(gt=0, description="Resonance frequency [unit].")
    b: FiniteFloat | None = Field(
        default=None, gt=0, description="Gaussian strength b [unit]; or give `four_pi_b`."
    )
    four_pi_b: FiniteFloat | None = Field(
        default=None, gt=0, description="SI strength 4 pi b [unit]; or give `b`."
    )
    gamma: FiniteFloat = Field(default=0.0, ge=0, description="Damping [unit].")
    line_shape: Literal["resonant", "lorentz"] = Field(
        default="resonant", description="`resonant` (eqs 44-45) or causal `lorentz`."
    )
    background: list[BackgroundOscillator] = Field(
        default_factory=list,
        description="Lorentz oscillators added to eps_b (at most max_transitions).",
        json_schema_extra=limit("max_transitions"),
    )

    _unit = field_validator("unit")(classmethod(lambda cls, v: _no_nm(v)))

    @model_validator(mode="after")
    def _one_strength(self) -> MagneticResonanceMediumKind:
        if (self.b is None) == (self.four_pi_b is None):
            raise ValueError("give exactly one of 'b' (Gaussian) and 'four_pi_b' (SI, = 4 pi b)")
        return self


MediumSpec = Annotated[
    OscillatorMediumKind | ConstantMediumKind | TabulatedMediumKind | MagneticResonanceMediumKind,
    Field(discriminator="kind"),
]

VACUUM: dict[str, Any] = {"kind": "constant", "eps": 1.0, "mu": 1.0}


class Layer(StrictModel):
    """One layer of a stack: its medium and thickness."""

    medium: MediumSpec = Field(description="The layer's medium.")
    thickness: FiniteFloat = Field(ge=0, description="Thickness [length_unit].")


class ReflectanceRequest(StrictModel):
    """Reflectance of an interface or a coherent multilayer stack, at angles, s and p."""

    ambient: MediumSpec = Field(
        default_factory=lambda: ConstantMediumKind(**VACUUM),
        description="Incident medium (semi-infinite, must be transparent); default vacuum.",
    )
    layers: list[Layer] = Field(
        default_factory=list,
        description="Layers from the ambient side down; empty = interface (at most max_layers).",
        json_schema_extra=limit("max_layers"),
    )
    substrate: MediumSpec = Field(description="Exit medium (semi-infinite).")
    length_unit: LengthUnit = Field(
        default="model",
        description="Unit of thicknesses: m, um, nm for physical frequency units; `model` = c / w_unit "
        "for the dimensionless model unit.",
    )
    angles: list[FiniteFloat] = Field(
        default_factory=lambda: [0.0],
        min_length=1,
        description="Angles of incidence in the ambient, degrees in [0, 90) (at most max_angles).",
        json_schema_extra=limit("max_angles", **{"x-unit": "deg"}),
    )
    polarization: Literal["s", "p", "both"] = Field(
        default="both", description="`s` (TE), `p` (TM) or `both`."
    )
    frequencies: FrequencyGrid = Field(description="Where to evaluate (grid per DESIGN.md).")
    gain_branch: Literal["causal", "decay"] = Field(
        default="causal",
        description="Root of k_z in a substrate with gain (Im(eps mu) < 0; no effect on passive "
        "media or on finite layers): `causal` (default), continued from the lossless limit (Skaar, "
        "Phys. Rev. E 73, 026605 (2006)), a wave that grows along its path; `decay`, Im k_z >= 0. "
        "The answer names it in meta.checks.energy_*.details.gain_branch.",
    )

    @field_validator("angles")
    @classmethod
    def _angles(cls, v: list[float]) -> list[float]:
        if any(a < 0 or a >= 90 for a in v):
            raise ValueError("angles must be in [0, 90) degrees")
        return v


class KGrid(StrictModel):
    """Real wavenumbers: ``{start, stop, num, spacing}`` or ``{values}``, in one unit (all > 0)."""

    start: FiniteFloat | None = Field(default=None, gt=0, description="First k (> 0).")
    stop: FiniteFloat | None = Field(default=None, gt=0, description="Last k (> 0).")
    num: int | None = Field(default=None, ge=1, description="Number of points.")
    spacing: Literal["linear", "log"] = Field(default="linear", description="`linear` or `log`.")
    values: list[FiniteFloat] | None = Field(
        default=None,
        min_length=1,
        description="Explicit increasing k values (> 0; at most max_dispersion_k_points).",
        json_schema_extra=limit("max_dispersion_k_points"),
    )
    unit: WavenumberUnit = Field(
        default="model",
        description="`model` = w_unit / c (with a model-unit medium), or 1/m, 1/um, 1/nm, 1/cm.",
    )

    @model_validator(mode="after")
    def _one_form(self) -> KGrid:
        has_range = any(v is not None for v in (self.start, self.stop, self.num))
        if self.values is not None and has_range:
            raise ValueError("give either 'values' or 'start'/'stop'/'num', not both")
        if self.values is None:
            if any(getattr(self, k) is None for k in ("start", "stop", "num")):
                raise ValueError("a k grid needs 'start', 'stop' and 'num', or 'values'")
            assert self.start is not None and self.stop is not None
            if self.num != 1 and self.stop <= self.start:
                raise ValueError("'stop' must be greater than 'start'")
        else:
            if any(v <= 0 for v in self.values):
                raise ValueError("wavenumbers must be > 0")
            if any(b <= a for a, b in zip(self.values, self.values[1:], strict=False)):
                raise ValueError("k values must be strictly increasing")
        return self

    @property
    def size(self) -> int:
        return len(self.values) if self.values is not None else int(self.num or 0)

    def points(self) -> NDArray[np.float64]:
        """The wavenumbers in the grid's own unit, shape (K,)."""
        if self.values is not None:
            return np.asarray(self.values, dtype=np.float64)
        assert self.start is not None and self.stop is not None and self.num is not None
        if self.spacing == "log":
            return np.geomspace(self.start, self.stop, self.num)
        return np.linspace(self.start, self.stop, self.num)


class DispersionRequest(StrictModel):
    """Polariton dispersion of a medium: complex k(w) on a frequency grid and/or all complex
    branches w_j(k) on a real k grid."""

    medium: MediumSpec = Field(description="The medium.")
    frequencies: FrequencyGrid | None = Field(
        default=None, description="Real frequencies for k(w) = w n(w) / c, index and velocities."
    )
    k: KGrid | None = Field(default=None, description="Real wavenumbers for the branches w_j(k).")
    branch: Literal["decay", "group-velocity"] = Field(
        default="decay",
        description="Index branch on the frequency grid: `decay` (Im n > 0) or `group-velocity` "
        "(Cho sec. 3.4: the wave with v_g > 0 where it propagates).",
    )
    omega_unit: LinearFrequencyUnit | None = Field(
        default=None,
        description="Unit of the returned complex branch frequencies w_j(k); default: the medium's "
        "unit (rad/s for a constant medium with a physical k unit, else model).",
    )

    @model_validator(mode="after")
    def _something(self) -> DispersionRequest:
        if self.frequencies is None and self.k is None:
            raise ValueError("give 'frequencies', 'k' or both")
        return self


# ------------------------------------------------------------------ responses


class StackShape(BaseModel):
    """How the long-format arrays of a stack answer are laid out."""

    angles: int = Field(description="Number of angles A.")
    frequencies: int = Field(description="Number of frequencies N.")
    order: Literal["angle-major"] = Field(description="Entry i is angle i // N, frequency i % N.")


class ReflectanceMeta(ResponseMeta):
    """``meta`` of a stack answer: the common meta plus the layout of its arrays."""

    shape: StackShape = Field(description="Layout of the arrays (A x N rows, angle-major).")


class ReflectanceResponse(BaseModel):
    """Long ("tidy") format: entry i is angle i // N, frequency i % N (angle-major), so that
    ``?format=csv`` gives one row per (angle, frequency)."""

    meta: ReflectanceMeta
    frequencies: list[float] = Field(description="Grid frequency of each row [grid unit].")
    angles: list[float] = Field(description="Angle of incidence of each row [deg].")
    R_s: list[float] | None = Field(default=None, description="Reflectance, s.")
    T_s: list[float] | None = Field(
        default=None, description="Transmittance into the substrate, s."
    )
    A_s: list[float] | None = Field(default=None, description="Absorptance 1 - R - T, s.")
    r_s: ComplexArray | None = Field(default=None, description="Amplitude r (E_y), s.")
    t_s: ComplexArray | None = Field(default=None, description="Amplitude t (E), s.")
    R_p: list[float] | None = Field(default=None, description="Reflectance, p.")
    T_p: list[float] | None = Field(default=None, description="Transmittance, p.")
    A_p: list[float] | None = Field(default=None, description="Absorptance, p.")
    r_p: ComplexArray | None = Field(default=None, description="Amplitude r (H_y), p.")
    t_p: ComplexArray | None = Field(default=None, description="Amplitude t (E), p.")


class ComplexMatrix(BaseModel):
    """A complex (K, B) matrix as nested real and imaginary parts; null where not finite."""

    real: list[list[float | None]] = Field(description="Real parts, one row per k.")
    imag: list[list[float | None]] = Field(description="Imaginary parts, one row per k.")


class DispersionBranchesOut(BaseModel):
    k: list[float] = Field(description="Wavenumbers [k unit].")
    omega: ComplexMatrix = Field(description="w_j(k), shape (K, branches) [omega unit].")
    v_phase: ComplexMatrix = Field(description="w / k [c].")
    v_group: ComplexMatrix = Field(description="dw/dk [c].")
    sum_rule: list[float | None] = Field(
        description="Re sum_j mu(w_j) v_p v_g / c^2 per k (eq 9); null where not finite."
    )
    degree: int = Field(description="Number of branches (degree of the cleared polynomial).")


class DispersionResponse(BaseModel):
    meta: ResponseMeta
    frequencies: list[float] | None = None
    epsilon: ComplexArray | None = None
    mu: ComplexArray | None = None
    refractive_index: ComplexArray | None = None
    wavenumber: ComplexArray | None = Field(default=None, description="k = w n / c [k unit].")
    impedance: ComplexArray | None = None
    v_phase: list[float | None] | None = Field(default=None, description="c / Re n [c].")
    v_group: list[float | None] | None = Field(default=None, description="1 / Re dk/dw [c].")
    left_handed: list[bool] | None = Field(default=None, description="v_p v_g < 0, propagating.")
    negative_index: list[bool] | None = Field(default=None, description="Re n < 0.")
    branches: DispersionBranchesOut | None = None
