"""Schemas of the causality toolkit (Westerberg & Barnett 2025, eqs 4-10 and 20-26).

``POST /v1/causality/kramers-kronig`` (tabulated data, JSON or CSV) and
``POST /v1/causality/oscillator`` (the body of ``/v1/oscillator/response``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, FiniteFloat, model_validator

from app.schemas.common import ResponseMeta, StrictModel, limit
from core.causality.conventions import MIN_POINTS
from core.units import FrequencyUnit

Quantity = Literal["chi", "epsilon", "mu", "refractive_index"]


class Anchor(StrictModel):
    """Singly subtracted Kramers-Kronig: a known value of the reconstructed part at one frequency."""

    frequency: FiniteFloat = Field(
        ge=0, description="w_a, inside the tabulated range [the request's unit]."
    )
    value: FiniteFloat | None = Field(
        default=None,
        description="The reconstructed part's value at w_a (Re f when `imag` is given, Im f when "
        "`real` is given) [dimensionless]. With both parts given it may be left out: the "
        "tabulated value at w_a is used.",
    )


class KramersKronigRequest(StrictModel):
    """A tabulated response f(w) with its real part, imaginary part or both (w >= 0).

    The same fields are accepted as a `text/csv` body (header row naming the columns) with the
    options as query parameters; see the endpoint description.
    """

    quantity: Quantity = Field(
        description="What f is: `chi` (magnetic susceptibility chi = 1 - 1/mu, f_inf = 0), "
        "`epsilon` (f_inf = 1), `mu` (transformed as chi_m = mu - 1, f_inf = 1), "
        "`refractive_index` (n + i kappa, n_inf = 1)."
    )
    unit: FrequencyUnit = Field(
        default="model",
        description="Unit of `frequencies`; `nm` (vacuum wavelength) is converted to frequency.",
    )
    frequencies: list[FiniteFloat] = Field(
        min_length=MIN_POINTS,
        description="Strictly increasing frequencies >= 0 (wavelengths strictly monotonic for "
        f"`nm`), at least {MIN_POINTS} and at most max_kk_points [unit].",
        json_schema_extra=limit("max_kk_points", **{"x-unit": "unit"}),
    )
    real: list[FiniteFloat] | None = Field(
        default=None,
        description="Re f on `frequencies` [dimensionless].",
        json_schema_extra=limit("max_kk_points"),
    )
    imag: list[FiniteFloat] | None = Field(
        default=None,
        description="Im f on `frequencies` [dimensionless]; Im f(0) must be 0.",
        json_schema_extra=limit("max_kk_points"),
    )
    high_frequency_value: FiniteFloat | None = Field(
        default=None,
        description="f(w -> inf) [dimensionless]; default 0 for chi, 1 otherwise.",
    )
    tail: Literal["fit", "none"] = Field(
        default="fit",
        description="Beyond the last frequency: `fit` continues the data with two inverse powers "
        "(Im ~ 1/w, 1/w^3; Re - f_inf ~ 1/w^2, 1/w^4) fitted to the top quarter of the range and reports the "
        "tail's contribution; `none` truncates (its size is then part of the error estimate).",
    )
    anchor: Anchor | None = Field(
        default=None, description="Singly subtracted KK (reduces the dependence on the tail)."
    )
    rtol: FiniteFloat = Field(
        default=1e-3,
        gt=0,
        le=1,
        description="Verdict tolerance relative to the response amplitude max|f - f_inf|; the "
        "truncation and discretisation estimates are added pointwise.",
    )
    method: Literal["auto", "fft", "tree"] = Field(
        default="auto",
        description="`fft` (uniform grids), `tree` (any grid), `auto` picks. Both are exact for "
        "the piecewise-linear interpolant of the data.",
    )
    low_frequency: Literal["auto", "insulator", "drude"] = Field(
        default="auto",
        description="How Im f continues below a lowest frequency > 0: `insulator` linearly to "
        "Im f(0) = 0; `drude` (epsilon only) as a Drude term Im eps_D = 4 pi sigma_dc gamma^2 / "
        "(w (w^2 + gamma^2)) fitted to the lowest points plus a remainder linear to 0, whose "
        "transform Re eps_D - 1 = -w_p^2/(w^2 + gamma^2) is exact; `auto` uses `drude` for an "
        "epsilon whose w Im eps tends to a positive constant at the low edge (a conductor), else "
        "`insulator`. The uncertainty of the continuation is in the error estimates and the "
        "`kk_low_edge` check.",
    )
    sigma_dc: FiniteFloat | None = Field(
        default=None,
        ge=0,
        description="dc conductivity of an epsilon, Gaussian convention: Im eps contains "
        "4 pi sigma_dc / w with w the grid value. A frequency, in `unit` (rad/s when `unit` is "
        "`nm`); for a cycle unit (Hz, THz, cm-1) it is the Gaussian conductivity / (2 pi) in that "
        "unit (the answer's low_frequency.sigma_dc_gaussian_per_second is the conductivity "
        "proper). Fixes the Drude term's dc limit for Re from Im, and is added to Im from Re, "
        "which cannot recover it [unit].",
        json_schema_extra={"x-unit": "unit"},
    )

    @model_validator(mode="after")
    def _parts(self) -> KramersKronigRequest:
        if self.real is None and self.imag is None:
            raise ValueError("give 'real', 'imag' or both")
        return self


class Band(BaseModel):
    start: float = Field(description="Lower edge [request unit].")
    stop: float = Field(description="Upper edge [request unit].")
    contribution: float = Field(description="Share of the static-limit integral [dimensionless].")


class StaticLimitResult(BaseModel):
    """(2/pi) int_0^inf Im f(w)/w dw = f(0) - f_inf (eq 7; eq 10 for mu), split by sign of Im f."""

    value: float = Field(description="(2/pi) int_0^inf Im f(w)/w dw [dimensionless].")
    positive: float = Field(description="From where Im f > 0 in the tabulated range.")
    negative: float = Field(description="From where Im f < 0 in the tabulated range.")
    tail: float = Field(description="From the tail model beyond the last frequency.")
    error_estimate: float = Field(description="Truncation + discretisation estimate.")
    implied_static_value: float = Field(description="f(0) = f_inf + value.")
    negative_bands: list[Band] = Field(
        description="Bands where Im f < 0 with their share of `value` (edges in the grid unit)."
    )


class SumRuleResult(BaseModel):
    """A sum rule evaluated numerically, next to its closed form where one is known."""

    value: float = Field(description="The integral, tail included [`unit`].")
    expected: float | None = Field(
        default=None, description="The closed form, or null when unknown [`unit`]."
    )
    error_estimate: float = Field(description="Truncation + discretisation estimate [`unit`].")
    tail: float = Field(description="The tail model's share of `value` [`unit`].")
    unit: str = Field(description="Unit of `value` (powers of the frequency unit, or 1).")
    note: str = Field(default="", description="What the rule says, or a convergence caveat.")


class DrudeParameters(BaseModel):
    """The Drude term eps_D - 1 = -w_p^2 / (w (w + i gamma)), w_p^2 = 4 pi sigma_dc gamma."""

    sigma_dc: float = Field(
        description="dc conductivity, Gaussian: Im eps -> 4 pi sigma_dc / w [`units.sigma_dc`]."
    )
    dc_coefficient: float = Field(description="4 pi sigma_dc = lim w Im eps [`units.sigma_dc`].")
    damping: float | None = Field(
        description="gamma; null for the pure dc term 4 pi sigma_dc / w [`units.sigma_dc`]."
    )
    plasma_frequency: float | None = Field(
        description="w_p = sqrt(4 pi sigma_dc gamma); null for the pure dc term [`units.sigma_dc`]."
    )
    source: Literal["fit", "given"] = Field(
        description="`fit`: from the lowest points of Im eps; `given`: sigma_dc of the request."
    )
    fit_points: int = Field(description="Lowest points the fit used (0 when nothing was fitted).")


class LowFrequencyResult(BaseModel):
    """How the data were continued below the lowest tabulated frequency."""

    requested: Literal["auto", "insulator", "drude"] = Field(
        description="The request's `low_frequency` (`insulator` for quantities other than epsilon)."
    )
    sigma_dc_gaussian_per_second: float | None = Field(
        default=None,
        description="The dc conductivity in the Gaussian convention proper (Im eps = 4 pi sigma / "
        "omega, omega angular) in s^-1, for physical units; null for model units or no dc term.",
        json_schema_extra={"x-unit": "1/s"},
    )
    model: Literal["none", "insulator", "drude"] = Field(
        description="The continuation used (`none`: the grid starts at w = 0)."
    )
    lowest_frequency: float = Field(description="The lowest tabulated frequency [request unit].")
    low_edge_slope: float | None = Field(
        description="d ln(w Im f)/d ln w over the lowest points: 0 for a dc conductor, 2 for an "
        "insulator; null without Im f or where Im f <= 0 [dimensionless]."
    )
    conductor_like: bool | None = Field(
        description="low_edge_slope <= conductor_slope (null without Im f)."
    )
    conductor_slope: float = Field(description="The threshold of `conductor_like`.")
    drude: DrudeParameters | None = Field(
        description="The Drude term of Re from Im (null for an insulator continuation)."
    )
    dc_term_in_imag_kk: DrudeParameters | None = Field(
        description="The dc term 4 pi sigma_dc / w added to Im from Re (given, or taken from Im "
        "eps when both parts are sent); null when none was added."
    )
    convention: str = Field(description="The sign and unit convention of sigma_dc.")


class KramersKronigResponse(BaseModel):
    """Reconstructed parts on the input grid (each array has the grid's length)."""

    meta: ResponseMeta
    frequencies: list[float] = Field(description="The input grid, echoed in its unit and order.")
    real: list[float] | None = Field(default=None, description="Re f as given.")
    imag: list[float] | None = Field(default=None, description="Im f as given.")
    real_kk: list[float] | None = Field(
        default=None, description="Re f reconstructed from Im f (eq 6), when `imag` is given."
    )
    real_kk_tail: list[float] | None = Field(
        default=None, description="The part of `real_kk` that comes from the tail model."
    )
    real_kk_error_estimate: list[float] | None = Field(
        default=None, description="Truncation + discretisation estimate of `real_kk`."
    )
    imag_kk: list[float] | None = Field(
        default=None, description="Im f reconstructed from Re f (eq 5), when `real` is given."
    )
    imag_kk_tail: list[float] | None = Field(
        default=None, description="The part of `imag_kk` that comes from the tail model."
    )
    imag_kk_error_estimate: list[float] | None = Field(
        default=None, description="Truncation + discretisation estimate of `imag_kk`."
    )
    real_discrepancy: list[float] | None = Field(
        default=None, description="|real_kk - real| (both parts given)."
    )
    imag_discrepancy: list[float] | None = Field(
        default=None, description="|imag_kk - imag| (both parts given)."
    )
    real_tolerance: list[float] | None = Field(
        default=None, description="Pointwise tolerance `real_discrepancy` is judged against."
    )
    imag_tolerance: list[float] | None = Field(
        default=None, description="Pointwise tolerance `imag_discrepancy` is judged against."
    )
    static_limit: StaticLimitResult | None = Field(
        default=None, description="From `imag` (eq 7 / eq 10)."
    )
    f_sum: SumRuleResult | None = Field(
        default=None,
        description="int_0^inf w Im eps dw = (pi/2) w_p^2 (epsilon with `imag`) [unit^2].",
    )
    low_frequency: LowFrequencyResult = Field(
        description="The continuation below the lowest frequency, with the Drude parameters and "
        "sigma_dc used."
    )

    model_config = {"json_schema_extra": {"x-csv": "?format=csv gives the arrays as columns"}}


class OscillatorStaticLimits(BaseModel):
    """The static-limit integrals of the oscillator medium, per quantity (eqs 7, 10)."""

    chi: StaticLimitResult
    epsilon: StaticLimitResult
    mu: StaticLimitResult


class OscillatorSumRules(BaseModel):
    """The sum rules of the oscillator medium, with their closed-form expectations."""

    f_sum: SumRuleResult = Field(description="int w Im eps dw = (pi/2) sum_e Delta_edip [w^2].")
    chi_static_eq7: SumRuleResult = Field(
        description="(2/pi) int Im chi / w = chi(0) (eq 7; needs eq 26) [dimensionless]."
    )
    mu_static_eq10: SumRuleResult = Field(
        description="(2/pi) int Im mu / w = mu(0) - 1 (eq 10; needs eq 26) [dimensionless]."
    )
    chi_absorption: SumRuleResult = Field(
        description="(2/pi) int Im chi / w = sum_e (Delta_mdip / w_eg^2 + Delta_quad - "
        "Delta_dipoct): causality alone [dimensionless]."
    )
    chi_tail: SumRuleResult = Field(
        description="lim w Im chi = 2 sum_e gamma_e (Delta_quad - Delta_dipoct) [w]."
    )


class OscillatorCausalityResponse(BaseModel):
    """Analytic Re f next to its KK reconstruction from Im f, for chi, eps and mu."""

    meta: ResponseMeta
    frequencies: list[float] = Field(description="The grid, echoed in its unit and order.")
    chi_real: list[float] = Field(description="Re chi from eq 23.")
    chi_real_kk: list[float] = Field(description="Re chi from Im chi by eq 6 (chi_inf = 0).")
    chi_imag: list[float] = Field(description="Im chi from eq 23.")
    epsilon_real: list[float] = Field(description="Re eps from eq 21.")
    epsilon_real_kk: list[float] = Field(description="eps_inf = 1.")
    epsilon_imag: list[float] = Field(description="Im eps from eq 21.")
    mu_real: list[float] = Field(description="Re mu = Re 1/(1 - chi) (eqs 21, 23).")
    mu_real_kk: list[float] = Field(description="mu_inf = 1 (chi_m = mu - 1).")
    mu_imag: list[float] = Field(description="Im mu = Im 1/(1 - chi) (eqs 21, 23).")
    static_limits: OscillatorStaticLimits = Field(
        description="Per quantity (chi, epsilon, mu); `implied_static_value` is f(0) implied by "
        "the absorption with the vacuum f_inf."
    )
    sum_rules: OscillatorSumRules
    internal_points: int = Field(description="Points of the internal grid the integrals used.")


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined (for ``openapi_extra`` request bodies)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.split("/")[-1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    out: dict[str, Any] = resolve(schema)
    return out


class KramersKronigComputation(StrictModel):
    """What ``POST /v1/causality/kramers-kronig`` computes from: the validated request plus what
    the CSV reader found (internal: the registered computation's body, never in the OpenAPI
    schema).

    The cache key is made from this whole body, so the column names the answer echoes and the
    notes about ignored CSV columns are part of it: a cached hit says what the miss said.
    """

    request: KramersKronigRequest = Field(description="The validated request.")
    columns: dict[str, str] = Field(
        description="Role (`frequencies`, `real`, `imag`) -> the column name it came from "
        "(a JSON body's field names for JSON)."
    )
    notes: list[str] = Field(
        default_factory=list,
        description="Notes on the body for `meta.warnings` (CSV columns that were ignored).",
    )
