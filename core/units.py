"""Frequency units and conversions.

Every physical frequency unit is converted through angular frequency in rad/s. ``model`` is the
dimensionless unit of a model written in its own natural units (e.g. units of the plasma frequency
w_p in Westerberg & Barnett); it converts only to itself. ``nm`` is a vacuum wavelength,
lambda = 2 pi c / w, so its conversion is not linear and it cannot express a linewidth.

Constants come from :mod:`scipy.constants` (CODATA).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants as sc

from core.errors import InvalidInput

FrequencyUnit = Literal["model", "rad/s", "Hz", "THz", "eV", "hartree", "cm-1", "nm"]
FREQUENCY_UNITS: Final[tuple[str, ...]] = get_args(FrequencyUnit)

#: rad/s per unit for the units that are proportional to angular frequency.
_LINEAR_SCALE: Final[dict[str, float]] = {
    "rad/s": 1.0,
    "Hz": 2.0 * np.pi,
    "THz": 2.0 * np.pi * 1e12,
    "eV": sc.e / sc.hbar,
    "hartree": sc.physical_constants["Hartree energy"][0] / sc.hbar,
    "cm-1": 2.0 * np.pi * sc.c * 100.0,
}


def is_linear(unit: str) -> bool:
    """True when the unit is proportional to angular frequency (every unit but ``nm``)."""
    _check(unit)
    return unit != "nm"


def is_physical(unit: str) -> bool:
    """True for SI-convertible units, False for the dimensionless ``model`` unit."""
    _check(unit)
    return unit != "model"


def linear_scale(unit: str) -> float:
    """rad/s per one ``unit`` (1.0 for ``model``, which stays in its own units).

    Raises
    ------
    InvalidInput
        For ``nm``, which is not proportional to frequency.
    """
    _check(unit)
    if unit == "model":
        return 1.0
    if unit == "nm":
        raise InvalidInput(
            "a vacuum wavelength (nm) is not proportional to frequency",
            fix="give transition frequencies and linewidths in a frequency or energy unit",
        )
    return _LINEAR_SCALE[unit]


def to_angular(values: ArrayLike, unit: str) -> NDArray[np.float64]:
    """Convert frequencies in ``unit`` to angular frequency.

    Returns rad/s for physical units, the same numbers for ``model``. Wavelengths (nm) map as
    w = 2 pi c / (lambda * 1e-9); a non-positive wavelength is rejected.
    """
    _check(unit)
    x = np.asarray(values, dtype=np.float64)
    if unit == "nm":
        if np.any(x <= 0):
            raise InvalidInput("wavelengths must be positive", fix="give wavelengths > 0 nm")
        return 2.0 * np.pi * sc.c / (x * 1e-9)
    return x * linear_scale(unit)


def from_angular(omega: ArrayLike, unit: str) -> NDArray[np.float64]:
    """Inverse of :func:`to_angular`: angular frequency (rad/s, or model units) to ``unit``."""
    _check(unit)
    w = np.asarray(omega, dtype=np.float64)
    if unit == "nm":
        return 2.0 * np.pi * sc.c / w * 1e9
    return w / linear_scale(unit)


def convert(values: ArrayLike, unit_from: str, unit_to: str) -> NDArray[np.float64]:
    """Convert frequencies between two units of the same kind (physical or ``model``)."""
    if is_physical(unit_from) != is_physical(unit_to):
        raise InvalidInput(
            f"cannot convert between '{unit_from}' and '{unit_to}': the dimensionless model unit "
            "has no SI scale",
            fix="use 'model' for both, or physical units for both",
        )
    return from_angular(to_angular(values, unit_from), unit_to)


def _check(unit: str) -> None:
    if unit not in FREQUENCY_UNITS:
        raise InvalidInput(
            f"unknown frequency unit '{unit}'",
            fix=f"use one of {', '.join(FREQUENCY_UNITS)}",
        )


def identity(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The map from a unit to itself (frequencies reported in the unit they were computed in)."""
    return np.asarray(x, dtype=np.float64)
