"""Presets of the first-principles emitter strengths (Westerberg & Barnett 2025, App. B)."""

from __future__ import annotations

import math

from app.presets import Preset

PRESETS = [
    Preset(
        name="westerberg-barnett-fig2b",
        title="Particle-in-a-box atoms from first principles: a weakly diamagnetic medium (W&B Fig. 2b)",
        source="M. Westerberg and S. M. Barnett (2025), Fig. 2(b) caption and eq 24; units of w_p",
        endpoint="/v1/emitters/box/strengths",
        description=(
            "All transitions from (1,1,1) to states with n_x, n_y, n_z <= 6 of a box with "
            "Lx = Lz = 0.2/(2 pi), Ly = 0.4/(2 pi), m = 500, rho0 = 16000, q = 1/sqrt(32) (so "
            "w_p = 1) and gamma = 0.15. mu(0) = 0.999978 < 1: weakly diamagnetic (Langevin "
            "-3.31e-5 against a Van Vleck term +1.04e-5 from the box's anisotropy). At n_max = 6 the "
            "basis closes TRK to 3e-3 and eq 26 to 5e-3 of its scale; passivity is computed: the "
            "medium is passive below w ~ 84 w_p, and eq 25 fails at three high e-dip levels where "
            "w_eg L > 1 (the long-wavelength expansion no longer holds)."
        ),
        body={
            "lengths": [0.2 / (2 * math.pi), 0.4 / (2 * math.pi), 0.2 / (2 * math.pi)],
            "n_max": 6,
            "mass": 500.0,
            "charge": 1 / math.sqrt(32),
            "density": 16000.0,
            "gamma": 0.15,
            "frequencies": {"start": 0.0, "stop": 40.0, "num": 801, "unit": "model"},
        },
    ),
    Preset(
        name="emitter-harmonic-isotropic",
        title="Isotropic harmonic-oscillator atoms: Lorentz eps and Langevin diamagnetism",
        source="W&B App. B (B40-B61, B82) applied to the 3D oscillator; units of w_p",
        endpoint="/v1/emitters/harmonic/strengths",
        description=(
            "w0 = 2 w_p, m = 500: eps is one Lorentzian with strength w_p^2 (TRK), and "
            "chi(0) = -rho0 q^2 <r^2> / (6 m) exactly (no Van Vleck term); eq 26 closes to rounding."
        ),
        body={
            "oscillator_frequencies": [2.0],
            "mass": 500.0,
            "charge": 1 / math.sqrt(32),
            "density": 16000.0,
            "gamma": 0.1,
            "frequencies": {"start": 0.0, "stop": 6.0, "num": 601, "unit": "model"},
        },
    ),
]
