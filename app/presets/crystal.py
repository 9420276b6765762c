"""Presets of the crystalline-insulator endpoints (:data:`core.references.DUFF_SIPE`): Haldane model."""

from __future__ import annotations

import math
from typing import Any

from app.presets import Preset

TC = 1.0 / (3.0 * math.sqrt(3.0))  # critical t2 sin(phi) / M


def _haldane(
    t2: float, M: float, t: float = 1.0, phi: float = 0.5 * math.pi, **kw: Any
) -> dict[str, Any]:
    return {"kind": "haldane", "t": t, "t2": t2, "phi": phi, "M": M, "a": 1.0, **kw}


_K = 2 * math.pi / 3  # 2 pi / (3 a), a = 1
_PATH = {
    "frame": "cartesian",
    "num": 300,
    "points": [
        {"label": "G", "k": [0.0, 0.0]},
        {"label": "K", "k": [_K / math.sqrt(3), _K]},
        {"label": "M", "k": [0.0, _K]},
        {"label": "K'", "k": [-_K / math.sqrt(3), _K]},
        {"label": "G", "k": [0.0, 0.0]},
    ],
}

#: Fig. 6 sweep: t = M = 3 eV as in the paper's Fig. 5; t2 sin(phi) / t_c from 0 to 2.
FIG6_RATIOS = [0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 1.05, 1.1, 1.25, 1.5, 2.0]


def _fig6_body(r: float) -> dict[str, Any]:
    return {
        "model": _haldane(r * TC * 3.0, 3.0, t=3.0, energy_unit="eV", length_unit="angstrom"),
        "grid": {"n": [160, 160], "shift": 0.5},
        "include_chi1": True,
    }


PRESETS = [
    Preset(
        name="haldane-fig4-bands",
        title="Haldane bands in the Chern phase (Duff & Sipe Fig. 4)",
        source="Duff & Sipe, Fig. 4: M = 0.2 t, phi = pi/2, t2 = 0.04 t (C = +1)",
        endpoint="/v1/crystal/bands",
        description="Bands along G-K-M-K'-G; the gap (2|M - 3 sqrt3 t2|) is almost closed at K.",
        body={"model": _haldane(0.04, 0.2), "path": _PATH},
    ),
    Preset(
        name="haldane-trivial-berry",
        title="Haldane model, trivial phase: Berry curvature and C = 0",
        source="Duff & Sipe sec. VIII: |t2 sin phi| < M/(3 sqrt3)",
        endpoint="/v1/crystal/berry",
        description="M = t, t2 = 0.1 t (0.52 t_c): curvature of opposite sign at K and K', C = 0.",
        body={"model": _haldane(0.1, 1.0), "grid": {"n": [60, 60], "shift": 0.0}},
    ),
    Preset(
        name="haldane-chern-berry",
        title="Haldane model, Chern phase: C = +1 (Fig. 4 parameters)",
        source="Duff & Sipe, Fig. 4 and sec. VIII",
        endpoint="/v1/crystal/berry",
        description="M = 0.2 t, t2 = 0.04 t, phi = pi/2: C = +1 (C = -1 for t2 -> -t2).",
        body={"model": _haldane(0.04, 0.2), "grid": {"n": [60, 60], "shift": 0.0}},
    ),
    Preset(
        name="haldane-chern-minus-berry",
        title="Haldane model, Chern phase: C = -1",
        source="Duff & Sipe sec. VIII: t2 sin phi < -M/(3 sqrt3)",
        endpoint="/v1/crystal/berry",
        description="M = 0.2 t, t2 = -0.04 t, phi = pi/2: C = -1; the gap closed at K' on the way.",
        body={"model": _haldane(-0.04, 0.2), "grid": {"n": [60, 60], "shift": 0.0}},
    ),
    Preset(
        name="haldane-hbn-susceptibility",
        title="Orbital susceptibility of the trivial Haldane model (t = M = 3 eV, t2 = 0)",
        source="Duff & Sipe, sec. VIII.A parameters (t = M = 3 eV, t2 = 0); a = 1.45 Angstrom assumed",
        endpoint="/v1/crystal/orbital-susceptibility",
        description="chi_1 = chi_2 (diamagnetic) in the trivial phase; the normalisation chi_0 of Fig. 6.",
        body={
            "model": _haldane(0.0, 3.0, t=3.0, a=1.45, energy_unit="eV", length_unit="angstrom"),
            "grid": {"n": [160, 160], "shift": 0.5},
        },
    ),
    Preset(
        name="haldane-fig6-sweep",
        title="chi_1 and chi_2 across the Haldane transition (Duff & Sipe Fig. 6)",
        source="Duff & Sipe, Fig. 6: t2 sin(phi) swept across M/(3 sqrt3); t = M = 3 eV",
        endpoint="/v1/crystal/orbital-susceptibility",
        description=(
            "One body per t2 sin(phi)/t_c in " + ", ".join(f"{r:g}" for r in FIG6_RATIOS) + ". "
            "chi_1 = chi_2 in the trivial phase, both diverge at the transition, chi_1 turns "
            "paramagnetic just inside the Chern phase while chi_2 stays diamagnetic. Normalise by "
            "chi_0 = |chi_1(t2 = 0)|. a = 1 Angstrom (the figure is normalised)."
        ),
        body=_fig6_body(0.5),
        bodies=[_fig6_body(r) for r in FIG6_RATIOS],
    ),
]

# --- issue 15: frequency-dependent response (Duff & Sipe Fig. 5) ----------------------------
PRESETS.append(
    Preset(
        name="duff-sipe-fig5",
        title="sigma_L^xzy(w) of the trivial Haldane model: the paramagnetic switch (Fig. 5)",
        source="Duff & Sipe, sec. VIII.A and Fig. 5: t = M = 3 eV, t2 = 0, 800x800 k-grid, "
        "0+ = 100 meV; a = 1.45 Angstrom assumed (the figure's shape does not depend on a)",
        endpoint="/v1/crystal/q2-conductivity",
        description=(
            "Re sigma_L^xzy(w) is flat at -chi_static (c chi in the paper, diamagnetic sign) "
            "below the K/K' gap (6 eV), peaks about an order of magnitude higher just below it, "
            "switches sign (paramagnetic) towards the M-point gap (8.5 eV) and relaxes above; "
            "200 photon energies from 0 to 12 eV."
        ),
        body={
            "model": _haldane(0.0, 3.0, t=3.0, a=1.45, energy_unit="eV", length_unit="angstrom"),
            "grid": {"n": [800, 800], "shift": 0.5},
            "frequencies": {"start": 0.0, "stop": 12.0, "num": 200, "unit": "eV"},
            "eta": 0.1,
            "sigma_L": ["xzy"],
        },
    )
)
PRESETS.append(
    Preset(
        name="haldane-hbn-chi-m-omega",
        title="chi_M^zz(w) of eq 74 below the gap, with its w -> 0 limit (hBN-like Haldane model)",
        source="Duff & Sipe, eq 74 and sec. VI: t = M = 3 eV, t2 = 0 (the Fig. 5 model) on a "
        "160x160 k-grid, 0+ = 100 meV",
        endpoint="/v1/crystal/magnetic-susceptibility",
        description=(
            "chi_M^zz(w) in the paper's gauge from 0 to 5 eV (below the 6 eV K/K' gap): its w = 0 "
            "value equals the static orbital susceptibility chi_2 of "
            "/v1/crystal/orbital-susceptibility on the same grid (the static_limit check)."
        ),
        body={
            "model": _haldane(0.0, 3.0, t=3.0, a=1.45, energy_unit="eV", length_unit="angstrom"),
            "grid": {"n": [160, 160], "shift": 0.5},
            "frequencies": {"start": 0.0, "stop": 5.0, "num": 26, "unit": "eV"},
            "eta": 0.1,
        },
    )
)
PRESETS.append(
    Preset(
        name="haldane-hbn-q2-below-gap",
        title="sigma_L^xzy(w) below the gap: flat at -chi_static (the Fig. 5 model, 160x160)",
        source="Duff & Sipe, eqs 16 and 89, sec. VIII.A: t = M = 3 eV, t2 = 0, 0+ = 100 meV, "
        "a 160x160 k-grid (the figure's 800x800 is the duff-sipe-fig5 preset)",
        endpoint="/v1/crystal/q2-conductivity",
        description=(
            "Below the 6 eV K/K' gap Re sigma_L^xzy(w) stays at its static value -chi_static "
            "(diamagnetic sign) and rises towards the resonance; the static_limit check compares "
            "w = 0 with chi_2 of /v1/crystal/orbital-susceptibility on the same grid."
        ),
        body={
            "model": _haldane(0.0, 3.0, t=3.0, a=1.45, energy_unit="eV", length_unit="angstrom"),
            "grid": {"n": [160, 160], "shift": 0.5},
            "frequencies": {"start": 0.0, "stop": 5.0, "num": 26, "unit": "eV"},
            "eta": 0.1,
            "sigma_L": ["xzy"],
        },
    )
)
# --- end issue 15 ----------------------------------------------------------------------------
