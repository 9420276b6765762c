"""Presets of the optics endpoints: stacks (teaching) and the polariton branches of Westerberg & Barnett (2025)."""

from __future__ import annotations

from app.presets import Preset

_FIG2A = [
    {"omega": 1.0, "gamma": 0.18, "e_dip": 2.0, "dip_oct": 65 / 64},
    {"omega": 2.0, "gamma": 0.05, "m_dip": 1 / 16},
    {"omega": 3.0, "gamma": 0.04, "quad": 1 / 64, "dia": 9.0},
]

_MIRROR = []
for _ in range(8):
    _MIRROR.append({"medium": {"kind": "constant", "eps": 2.3**2}, "thickness": 550.0 / 4 / 2.3})
    _MIRROR.append({"medium": {"kind": "constant", "eps": 1.38**2}, "thickness": 550.0 / 4 / 1.38})

PRESETS = [
    Preset(
        name="optics-fig2a-polariton-branches",
        title="Polariton branches of the W&B Fig. 2(a) medium and the sum rule eq 9",
        source="M. Westerberg and S. M. Barnett (2025), Fig. 2(a) parameters; eq 9",
        endpoint="/v1/optics/dispersion",
        description=(
            "All 8 complex branches w_j(k) of k^2 = w^2 eps mu (degree 2M + 2 = 8) on 0.05 <= k <= 6 "
            "w_p/c. Eq 9 holds to rounding on every k. The damped dipole-octopole term makes "
            "Im(eps mu) < 0 on (2.12, 2.93) and above 3.09 w_p, and the branches there grow "
            "(meta.checks.stability); set every gamma to 0 for the lossless branches with their "
            "anticrossings."
        ),
        body={
            "medium": {"kind": "oscillator", "unit": "model", "transitions": _FIG2A},
            "k": {"start": 0.05, "stop": 6.0, "num": 240, "unit": "model"},
            "frequencies": {"start": 0.05, "stop": 4.0, "num": 400, "unit": "model"},
        },
    ),
    Preset(
        name="optics-quarter-wave-mirror",
        title="Dielectric quarter-wave mirror (8 pairs, 550 nm) at 0 and 45 degrees",
        source="textbook (Born & Wolf sec. 1.6.5; Macleod, Thin-Film Optical Filters)",
        endpoint="/v1/optics/reflectance",
        description=(
            "(HL)^8 on glass, n_H = 2.3, n_L = 1.38, designed for 550 nm: R = ((1 - Y)/(1 + Y))^2 "
            "with Y = (n_H/n_L)^16 n_s at the design wavelength and normal incidence; the stop band "
            "shifts blue and splits for s and p at 45 degrees."
        ),
        body={
            "layers": _MIRROR,
            "substrate": {"kind": "constant", "eps": 1.52**2},
            "length_unit": "nm",
            "angles": [0.0, 45.0],
            "polarization": "both",
            "frequencies": {"start": 400.0, "stop": 800.0, "num": 401, "unit": "nm"},
        },
    ),
    Preset(
        name="optics-brewster-glass",
        title="Air-glass interface: Brewster angle and total reflection from inside",
        source="textbook Fresnel formulae",
        endpoint="/v1/optics/reflectance",
        description=(
            "R_s, R_p from 0 to 89 degrees for n = 1.5: R_p = 0 at arctan(1.5) = 56.31 deg. Swap "
            "ambient and substrate to see total internal reflection above 41.8 deg."
        ),
        body={
            "substrate": {"kind": "constant", "eps": 2.25},
            "angles": [float(a) for a in range(90)],
            "frequencies": {"values": [1.0], "unit": "model"},
        },
    ),
]
