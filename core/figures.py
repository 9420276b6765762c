"""How each report is drawn: :class:`Figure` specs, one list per report model.

A figure names report arrays (or 1-D entries of ``results``) by key, so it can be drawn from a
:class:`core.checks.Report` or from the API's JSON answer alike (the web layer renders PNG/SVG from
the stored answer; the teaching page draws the same specs in the browser). Conventions: a complex
array is drawn as two traces, its real part solid and its imaginary part dashed; ``x`` is the axis
the series vary along; ``ticks`` label positions on x (the vertices of a k-path).

:func:`figures_for` returns the figures of a report; :data:`FIGURES` maps a report model name to
the function that builds them (a model without an entry has no figure).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from core.checks import Report

FigureKind = Literal["spectrum", "bands", "map", "dispersion", "angular", "sweep"]
FIGURE_KINDS: Final[tuple[str, ...]] = get_args(FigureKind)
Scale = Literal["linear", "log"]
Part = Literal["real", "imag", "value"]


@dataclass(frozen=True)
class Axis:
    """One axis: the array it reads (``name``), its label and unit, and its scale."""

    name: str
    label: str
    unit: str
    scale: Scale = "linear"


@dataclass(frozen=True)
class Trace:
    """One curve (or, in a ``map``, the colour values): the array ``name`` and which part of it."""

    name: str
    label: str
    part: Part = "value"


@dataclass(frozen=True)
class Figure:
    """One panel.

    Attributes
    ----------
    kind
        ``spectrum`` (series against frequency or wavelength), ``bands`` (energies along a
        labelled k-path), ``map`` (a k-space map: ``z`` on the ``x`` x ``y`` grid), ``dispersion``
        (branches w(k)), ``angular`` (R/T/A against angle), ``sweep`` (scalars against a swept
        parameter).
    title
        The panel title.
    x, y_label, y_unit, y_scale
        The x axis, and the label, unit and scale of the y axis.
    traces
        The curves drawn against x.
    y
        For a map: its second axis; ``z``: the colour values.
    ticks
        Labelled positions on x: ``(position, label)``.
    """

    kind: FigureKind
    title: str
    x: Axis
    y_label: str
    y_unit: str
    traces: tuple[Trace, ...] = ()
    y_scale: Scale = "linear"
    y: Axis | None = None
    z: Trace | None = None
    ticks: tuple[tuple[float, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in FIGURE_KINDS:
            raise ValueError(f"figure kind {self.kind!r} not in {FIGURE_KINDS}")
        if self.kind == "map" and (self.y is None or self.z is None):
            raise ValueError("a map needs a y axis and z values")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``meta.figures[i]`` of the API)."""
        return {
            "kind": self.kind,
            "title": self.title,
            "x": vars(self.x),
            "y_label": self.y_label,
            "y_unit": self.y_unit,
            "y_scale": self.y_scale,
            "traces": [vars(t) for t in self.traces],
            "y": None if self.y is None else vars(self.y),
            "z": None if self.z is None else vars(self.z),
            "ticks": [list(t) for t in self.ticks],
        }


#: Report model name -> the function that builds its figures.
FIGURES: dict[str, Callable[[Report], tuple[Figure, ...]]] = {}


def figures_for(report: Report) -> tuple[Figure, ...]:
    """The figures of ``report`` (empty when its model has none)."""
    build = FIGURES.get(report.model)
    return () if build is None else build(report)
