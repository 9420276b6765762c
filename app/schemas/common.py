"""Shared schema pieces: frequency grids, complex arrays, response meta.

Conventions (DESIGN.md): a frequency grid is ``{"start", "stop", "num", "spacing", "unit"}`` or
``{"values": [...], "unit"}``; a complex array is ``{"real": [...], "imag": [...]}``; every response
carries ``meta``. Units are in each field's description and in the ``x-unit`` schema extension.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, model_validator

from app.settings import Settings
from core.checks import CheckKind
from core.errors import InvalidInput, LimitExceeded
from core.units import FrequencyUnit


class StrictModel(BaseModel):
    """Base of every request model: unknown fields are an error, NaN/Infinity are rejected, and
    values are taken as the schema types them (strict mode: ``false`` is not the number 0, ``"5"``
    is not an integer; an integer is still a number), so what the OpenAPI document refuses the
    service refuses too."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)


def limit(setting: str, **extra: Any) -> dict[str, Any]:
    """``json_schema_extra`` of a list field bounded by the setting ``setting`` (``x-limit``):
    :func:`app.limits.check_array_limits` refuses a longer list with 413 naming the setting
    (env ``SUSC_<SETTING>``). A list with neither a static ``max_length`` nor a named setting is
    bounded by ``max_array_items``."""
    return {"x-limit": setting, **extra}


def unit_field(unit: str, description: str, **kw: Any) -> Any:
    """A ``Field`` whose JSON schema carries ``x-unit``."""
    return Field(description=f"{description} [{unit}]", json_schema_extra={"x-unit": unit}, **kw)


class FrequencyGrid(StrictModel):
    """Real frequencies, as an evenly spaced grid or explicit values, in one unit.

    Units: ``model`` (dimensionless model units, e.g. units of w_p), ``rad/s``, ``Hz``, ``THz``,
    ``eV``, ``hartree``, ``cm-1`` (wavenumber), ``nm`` (vacuum wavelength). Responses echo the grid in
    the same unit and order.
    """

    start: FiniteFloat | None = Field(default=None, ge=0, description="First point (>= 0).")
    stop: FiniteFloat | None = Field(default=None, ge=0, description="Last point (>= 0).")
    num: int | None = Field(default=None, ge=1, description="Number of points (>= 1).")
    spacing: Literal["linear", "log"] = Field(
        default="linear", description="`linear` or `log` (geometric; start must be > 0)."
    )
    values: list[FiniteFloat] | None = Field(
        default=None,
        min_length=1,
        description="Explicit points (>= 0), instead of start/stop/num (at most max_grid_points).",
        json_schema_extra=limit("max_grid_points"),
    )
    unit: FrequencyUnit = Field(default="model", description="Unit of the points.")

    @model_validator(mode="after")
    def _one_form(self) -> FrequencyGrid:
        has_range = any(v is not None for v in (self.start, self.stop, self.num))
        if self.values is not None and has_range:
            raise ValueError("give either 'values' or 'start'/'stop'/'num', not both")
        if self.values is None:
            missing = [k for k in ("start", "stop", "num") if getattr(self, k) is None]
            if missing:
                raise ValueError(
                    f"missing {', '.join(missing)}: a grid needs 'start', 'stop' and 'num', or 'values'"
                )
            if self.spacing == "log" and (self.start or 0) <= 0:
                raise ValueError("a log-spaced grid needs start > 0")
        else:
            if any(v < 0 for v in self.values):
                raise ValueError("frequencies must be >= 0")
        if self.unit == "nm":
            pts = self.values if self.values is not None else [self.start, self.stop]
            if any(v is not None and v <= 0 for v in pts):
                raise ValueError("wavelengths (unit 'nm') must be > 0")
        return self

    @property
    def size(self) -> int:
        return len(self.values) if self.values is not None else int(self.num or 0)

    def check_size(
        self, settings: Settings, field: tuple[str | int, ...] = ("frequencies",)
    ) -> None:
        """413 (LimitExceeded) when the grid has more points than ``max_grid_points``."""
        if self.size > settings.max_grid_points:
            raise LimitExceeded(
                f"the frequency grid has {self.size} points; the limit is {settings.max_grid_points}",
                limit_name="max_grid_points",
                limit=settings.max_grid_points,
                requested=self.size,
                field=(*field, "values" if self.values is not None else "num"),
                fix="ask for fewer points, or split the range over several requests",
            )

    def points(self) -> NDArray[np.float64]:
        """The points in the grid's own unit, shape (N,)."""
        if self.values is not None:
            return np.asarray(self.values, dtype=np.float64)
        assert self.start is not None and self.stop is not None and self.num is not None
        if self.spacing == "log":
            return np.geomspace(self.start, self.stop, self.num)
        return np.linspace(self.start, self.stop, self.num)

    def canonical(self) -> dict[str, Any]:
        """Key material: the form as given (the response echoes it) plus its unit."""
        return self.model_dump(exclude_none=True)


class ComplexArray(BaseModel):
    """A complex array as two real arrays of equal length."""

    real: list[float]
    imag: list[float]


class ComplexNumber(BaseModel):
    real: float
    imag: float


class CheckModel(BaseModel):
    """One physics check of ``meta.checks`` (core.checks.Check): the verdict on one statement."""

    model_config = ConfigDict(extra="forbid")

    verdict: bool | None = Field(
        description="true: the statement holds; false: it fails; null: no verdict applies "
        "(a value, or a statement that could not be tested here: see `explanation`)."
    )
    kind: CheckKind = Field(
        description="`bound`: the verdict is a proof within the tolerance; `indicative`: it rests "
        "on an estimate (grid sampling, error estimate, truncated reference); `value`: numbers "
        "only, no verdict."
    )
    value: float | None = Field(default=None, description="The number the verdict is about.")
    tolerance: float | None = Field(
        default=None, description="The tolerance `value` is judged against (see `equation`)."
    )
    equation: str = Field(description="The statement tested, with the paper and equation number.")
    explanation: str = Field(description="What a failing verdict means, in plain language.")
    warning: str | None = Field(
        default=None,
        description="For a failed check: why it failed, with the numbers, and what to change "
        "(also listed in `meta.warnings`); null when it holds.",
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="The other numbers behind the verdict."
    )


class ArrayInfo(BaseModel):
    """What one array of the answer is (core.checks.Series)."""

    model_config = ConfigDict(extra="forbid")

    quantity: str = Field(description="What it is, in words with the symbol.")
    unit: str = Field(description="Its unit (`1` for dimensionless).")
    axis: str | None = Field(description="The array it varies along; null for an axis itself.")


class FigureAxis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The array it reads.")
    label: str
    unit: str
    scale: Literal["linear", "log"] = "linear"


class FigureTrace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The array it reads.")
    label: str
    part: Literal["real", "imag", "value"] = Field(
        default="value", description="Which part of a complex array (Re solid, Im dashed)."
    )


class FigureModel(BaseModel):
    """One panel of the answer's figure (core.figures.Figure)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["spectrum", "bands", "map", "dispersion", "angular", "sweep"]
    title: str
    x: FigureAxis
    y_label: str
    y_unit: str
    y_scale: Literal["linear", "log"] = "linear"
    traces: list[FigureTrace] = Field(default_factory=list)
    y: FigureAxis | None = None
    z: FigureTrace | None = None
    ticks: list[tuple[float, str]] = Field(
        default_factory=list, description="Labelled x positions (k-path vertices)."
    )


class ResponseMeta(BaseModel):
    """Provenance and trust information carried by every computation response."""

    model: str = Field(description="Model name.")
    model_version: str = Field(description="Model version; part of the cache key.")
    parameter_hash: str = Field(description="sha256 of the canonical request (the cache key).")
    cache: Literal["hit", "miss"] = Field(description="Whether this answer came from the cache.")
    elapsed_ms: float = Field(description="Server time for this request, milliseconds.")
    units: dict[str, str] = Field(
        default_factory=dict, description="Unit of each returned quantity."
    )
    warnings: list[str] = Field(default_factory=list, description="Numerical warnings, as values.")
    checks: dict[str, CheckModel] = Field(
        default_factory=dict,
        description="Physics checks that apply, one per physical statement, by name.",
    )
    arrays: dict[str, ArrayInfo] = Field(
        default_factory=dict,
        description="What each top-level array is: quantity, unit and the array it varies along.",
    )
    figures: list[FigureModel] = Field(
        default_factory=list,
        description="How the answer is drawn (the panels of ?format=png|svg and of the teaching "
        "page): each names the arrays on its axes.",
    )


def require(
    condition: bool, message: str, field: tuple[str | int, ...], fix: str | None = None
) -> None:
    """Raise InvalidInput (422) unless ``condition``."""
    if not condition:
        raise InvalidInput(message, field=field, fix=fix)
