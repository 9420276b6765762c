"""Request media and grids -> core objects: the one place the web layer builds them.

Routers never construct core media themselves: an oscillator medium spec, a frequency grid in the
request's unit and (for optics) a medium of any kind become core objects here, after the size
limits of the settings (413 naming the limit).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.schemas.common import FrequencyGrid
from app.schemas.oscillator import OscillatorMediumSpec
from app.settings import Settings
from core import oscillators as osc
from core.errors import InvalidInput, LimitExceeded
from core.units import from_angular, is_physical, linear_scale, to_angular


def build_medium(
    spec: OscillatorMediumSpec, settings: Settings, field: tuple[str | int, ...] = ()
) -> osc.OscillatorMedium:
    """The core medium of a validated spec, after the size limit (413 naming max_transitions)."""
    n = len(spec.transitions)
    if n > settings.max_transitions:
        raise LimitExceeded(
            f"{n} transitions; the limit is {settings.max_transitions}",
            limit_name="max_transitions",
            limit=settings.max_transitions,
            requested=n,
            field=(*field, "transitions"),
            fix="merge or drop weak transitions",
        )
    return osc.OscillatorMedium.from_transitions([t.model_dump() for t in spec.transitions])


def grid_in_medium_units(
    grid: FrequencyGrid, medium_unit: str, field: tuple[str | int, ...] = ("frequencies",)
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Grid points converted to the medium's unit, and the inverse map (medium unit -> grid unit).

    The dimensionless ``model`` unit has no SI scale, so it combines only with itself.
    """
    if is_physical(grid.unit) != is_physical(medium_unit):
        raise InvalidInput(
            f"the grid is in '{grid.unit}' but the transitions are in '{medium_unit}': the model unit "
            "has no SI scale",
            field=(*field, "unit"),
            fix="use 'model' for both, or physical units for both",
        )
    pts = grid.points()
    scale = linear_scale(medium_unit)
    w = to_angular(pts, grid.unit) / scale

    def back(x: np.ndarray) -> np.ndarray:
        return from_angular(np.asarray(x) * scale, grid.unit)

    return w, back
