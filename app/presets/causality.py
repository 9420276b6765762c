"""Presets of the causality toolkit (Westerberg & Barnett 2025, eqs 7, 10, 23, 26)."""

from __future__ import annotations

from typing import Any

from app.presets import Preset


def _fig2a(dia3: float) -> dict[str, Any]:
    return {
        "unit": "model",
        "transitions": [
            {"omega": 1.0, "gamma": 0.18, "e_dip": 2.0, "dip_oct": 65 / 64},
            {"omega": 2.0, "gamma": 0.05, "m_dip": 1 / 16},
            {"omega": 3.0, "gamma": 0.04, "quad": 1 / 64, "dia": dia3},
        ],
        "frequencies": {"start": 0.0, "stop": 4.0, "num": 401, "unit": "model"},
    }


PRESETS = [
    Preset(
        name="westerberg-barnett-fig2a-causality",
        title="Kramers-Kronig and the static-limit integral of the Fig. 2a diamagnet",
        source="M. Westerberg and S. M. Barnett (2025), Fig. 2(a) caption and eqs 7, 10, 23, 26",
        endpoint="/v1/causality/oscillator",
        description=(
            "Re chi from Im chi (eq 6, chi_inf = 0) reproduces the model, and "
            "(2/pi) int Im chi / w dw reproduces chi(0) = 1/64 - 1 < 0: the diamagnetism comes "
            "from the band 0.03 < w < 1.99 where the dipole-octopole term makes Im chi < 0."
        ),
        body=_fig2a(9.0),
    ),
    Preset(
        name="westerberg-barnett-fig2a-eq26-violated",
        title="The Fig. 2a medium with Delta_dia = 8 at w = 3: eq 26 fails",
        source="M. Westerberg and S. M. Barnett (2025), Fig. 2(a) with one strength changed",
        endpoint="/v1/causality/oscillator",
        description=(
            "Eq 26 residual 8/9 + 1/64 - 65/64 = -1/9: mu(inf) = 9/8 and chi(inf) = 1/9, so the "
            "reconstruction with chi_inf = 0 is off by that constant and the static-limit "
            "integral misses chi(0) by it; meta.warnings says so."
        ),
        body=_fig2a(8.0),
    ),
]
