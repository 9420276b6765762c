"""Presets of Cho's single-susceptibility paper (:data:`core.references.CHO`): Figs. 1-2 in both
assignments, and a chiral medium compared with Drude-Born-Fedorov.

Figs. 1-2 parameters (caption of Fig. 1): eps_b = -1, 4 pi b / w0 = 0.001, frequencies in units of
w0. The damping is not printed (the paper writes i0+); gamma = 1e-6 w0 (1/1000 of the window
width) is chosen so that the window edges are sharp and the n = -1 dip reaches R ~ 1e-6
(core.chiral.CHO_FIG_GAMMA).
"""

from __future__ import annotations

from typing import Any

from app.presets import Preset
from core.chiral import CHO_FIG_EPS_B, CHO_FIG_GAMMA, CHO_FIG_STRENGTH_SI

_ENDPOINT_MR = "/v1/chiral/magnetic-resonance"


def _cho_body(assignment: str, start: float, stop: float, num: int) -> dict[str, Any]:
    return {
        "unit": "model",
        "eps_b": CHO_FIG_EPS_B,
        "assignment": assignment,
        "w0": 1.0,
        "four_pi_b": CHO_FIG_STRENGTH_SI,
        "gamma": CHO_FIG_GAMMA,
        "line_shape": "resonant",
        "frequencies": {"start": start, "stop": stop, "num": num, "unit": "model"},
    }


_CASE = {
    "chi_m": (
        "A",
        "eq 44/46: the pole of mu is at w0, its zero at w0 + 4 pi b; the window is "
        "[w0, 1.001 w0], w0 at its lower edge",
    ),
    "chi_B": (
        "B",
        "eq 45/47: the zero of mu is at w0, its pole at w0 - 4 pi b; the window is "
        "[0.999 w0, w0], w0 at its upper edge",
    ),
}

PRESETS: list[Preset] = []
for _a, (_case, _where) in _CASE.items():
    _slug = _a.replace("_", "-")
    PRESETS.append(
        Preset(
            name=f"cho-fig1-{_slug}",
            title=f"Backward-wave branch, case ({_case}) {_a} (Cho Fig. 1)",
            source="K. Cho, arXiv:cond-mat/0611235, Fig. 1 and eqs 44-47; eps_b = -1, 4 pi b/w0 = 0.001",
            endpoint=_ENDPOINT_MR,
            description=(
                f"Dispersion k(w) (`wavenumber`, in w0/c; the caption normalises by w/c, < 0.2% apart "
                f"here) of the branch with v_p v_g < 0 "
                f"(`backward_wave`) inside eps_b < 0; {_where}. Plot w against Re k: k < 0 with "
                "dw/dk > 0. gamma = 1e-6 w0 is chosen (the paper has i0+)."
            ),
            body=_cho_body(_a, 0.9985, 1.0015, 1201),
        )
    )
    PRESETS.append(
        Preset(
            name=f"cho-fig2-{_slug}",
            title=f"Transmission window in total reflection, case ({_case}) {_a} (Cho Fig. 2)",
            source="K. Cho, arXiv:cond-mat/0611235, Fig. 2 and eqs 44-47; eps_b = -1, 4 pi b/w0 = 0.001",
            endpoint=_ENDPOINT_MR,
            description=(
                f"Normal-incidence `reflectance`: R = 1 outside the window, a dip to R ~ 0 where "
                f"n = -1 (mu = -1, impedance matched) at its centre; {_where}. "
                "gamma = 1e-6 w0 is chosen (the paper has i0+)."
            ),
            body=_cho_body(_a, 0.998, 1.002, 2001),
        )
    )

PRESETS.append(
    Preset(
        name="cho-chiral-vs-dbf",
        title="Chiral single-susceptibility medium vs Drude-Born-Fedorov (Cho eqs 29, 43, 48)",
        source="K. Cho, arXiv:cond-mat/0611235, sections 3.3 and 3.6; illustrative parameters (model units)",
        endpoint="/v1/chiral/single-susceptibility",
        description=(
            "One resonance at w = 1 with E1, M1 and mixed strengths on a common pole "
            "(|g| = 0.5 x 2 sqrt(e m)). k_+ != k_-: optical rotation (Drude-like dispersion below "
            "the resonance, sign change across it) and circular dichroism at it. The DBF medium "
            "on the same resonance (beta matched to the low-frequency rotation) has eps mu with a "
            "second-order pole at w = 1 (`dbf_eps_mu`), where chi_em has a single one and k_+- stay "
            "finite."
        ),
        body={
            "unit": "model",
            "eps_inf": 2.0,
            "resonances": [{"omega": 1.0, "gamma": 0.01, "e1": 0.5, "m1": 0.02, "mixed": 0.1}],
            "dbf": {"beta": None},
            "frequencies": {"start": 0.05, "stop": 2.0, "num": 1001, "unit": "model"},
        },
    )
)
