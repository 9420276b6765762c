"""Presets of the multipole oscillator medium (Westerberg & Barnett 2025)."""

from __future__ import annotations

from app.presets import Preset

PRESETS = [
    Preset(
        name="westerberg-barnett-fig2a",
        title="Strongly diamagnetic multipole oscillator medium (W&B Fig. 2a)",
        source="M. Westerberg and S. M. Barnett (2025), Fig. 2(a) caption; units of w_p",
        endpoint="/v1/oscillator/response",
        description=(
            "Three transitions: an electric dipole/dipole-octopole one at w = 1, a magnetic dipole one "
            "at w = 2 and a quadrupole one at w = 3 carrying the diamagnetic strength. Eq 26 holds "
            "exactly (9/9 + 1/64 - 65/64 = 0), so mu -> 1 at high frequency; mu(0) = 0.504 < 1."
        ),
        body={
            "unit": "model",
            "transitions": [
                {"omega": 1.0, "gamma": 0.18, "e_dip": 2.0, "dip_oct": 65 / 64},
                {"omega": 2.0, "gamma": 0.05, "m_dip": 1 / 16},
                {"omega": 3.0, "gamma": 0.04, "quad": 1 / 64, "dia": 9.0},
            ],
            "frequencies": {"start": 0.0, "stop": 4.0, "num": 801, "unit": "model"},
        },
    ),
]
