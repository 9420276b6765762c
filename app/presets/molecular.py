"""Presets of the molecular material constants (core.references.ANELLI_ET_AL: Anelli, Jonsson,
Fliegl & Ruud)."""

from __future__ import annotations

from app.presets import Preset

_BOX = {
    "lengths": [2.0, 2.9, 3.7],
    "center": [1.5, -0.8, 2.2],
    "n_max": [5, 5, 5],
    "linewidth": 0.02,
}

PRESETS = [
    Preset(
        name="anelli-box-origin-report",
        title="Origin dependence of A and X: displaced box molecule, 10 bohr shift",
        source="M. Anelli, D. Jonsson, H. Fliegl and K. Ruud, Tables 2-5 (qualitative analogue)",
        endpoint="/v1/molecular/material-constants",
        description=(
            "A displaced, anisotropic particle-in-a-box molecule (one electron, atomic units) "
            "scanned through its z, y, quadrupole and x resonances. The multipole constants "
            "(eqs 12-15) change under a 10 bohr shift of the origin; the Raab-de Lange (16-19) and "
            "covariant (45-53) ones change only by the incompleteness of the 124-state basis. Near "
            "resonances the two origin-independent inverse permeabilities differ (Tables 2-3)."
        ),
        body={
            "box": _BOX,
            "frequencies": {"start": 0.05, "stop": 4.0, "num": 80, "unit": "hartree"},
            "direction": [0.0, 0.0, 1.0],
            "origin_shift": [0.0, 10.0, 0.0],
            "include_tensors": False,
        },
    ),
    Preset(
        name="anelli-box-refractive-index",
        title="One wave equation, three definitions: refractive index of a box-molecule gas",
        source="M. Anelli, D. Jonsson, H. Fliegl and K. Ruud, eq 57 and section 7",
        endpoint="/v1/molecular/refractive-index",
        description=(
            "The refractive indices from the multipole, Raab-de Lange and covariant constants "
            "agree to rounding at every frequency, and do not move when the origin is shifted "
            "by 10 bohr (to the basis tolerance)."
        ),
        body={
            "box": _BOX,
            "frequencies": {"start": 0.05, "stop": 4.0, "num": 80, "unit": "hartree"},
            "direction": [0.2, 0.3, 1.0],
            "number_density": 1e-3,
            "origin_shift": [0.0, 10.0, 0.0],
        },
    ),
]
