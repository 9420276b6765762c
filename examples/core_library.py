"""core as a Python library, no HTTP: the causality report of a Drude-Lorentz metal.

    python examples/core_library.py

eps(w) = 1 - w_pD^2 / (w (w + i gamma_D)) + w_pL^2 / (w_0^2 - w^2 - i gamma w)   (exp(-i w t))

sampled on 0.01..40 in model units (any one frequency unit; here the Lorentz line sits at
w_0 = 3). ``core.causality.kramers_kronig_report`` returns the same Report the HTTP endpoint
``/v1/causality/kramers-kronig`` serialises: the Kramers-Kronig consistency of the two parts
(Westerberg & Barnett eqs 5-6), the Drude continuation below the grid fitted at its low edge
(sigma_dc = w_pD^2 / (4 pi gamma_D), Gaussian convention), the static limit (eq 7, which a
conductor does not have), the f-sum int w Im eps dw = (pi/2)(w_pD^2 + w_pL^2) and passivity.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.causality import kramers_kronig_report

WPD, GAMMA_D = 1.0, 0.1  # Drude plasma frequency and damping [model]
WPL, W0, GAMMA = 2.0, 3.0, 0.3  # Lorentz strength, resonance and damping [model]


def drude_lorentz_eps(w: np.ndarray) -> np.ndarray:
    """eps(w) of the Drude-Lorentz metal above, complex (N,), for w > 0 [model]."""
    return 1 - WPD**2 / (w * (w + 1j * GAMMA_D)) + WPL**2 / (W0**2 - w**2 - 1j * GAMMA * w)


def main() -> dict[str, Any]:
    """Print the report's checks and the fitted numbers next to the exact ones; return them."""
    w = np.linspace(0.01, 40.0, 4000)
    eps = drude_lorentz_eps(w)
    report = kramers_kronig_report(w, eps.real, eps.imag, quantity="epsilon", rtol=1e-2)
    print(report.summary())
    drude = report.results["low_frequency"]["drude"]
    f_sum = report.results["f_sum"]["value"]
    exact = {
        "sigma_dc": WPD**2 / (4 * math.pi * GAMMA_D),
        "damping": GAMMA_D,
        "f_sum": math.pi / 2 * (WPD**2 + WPL**2),
    }
    found = {"sigma_dc": drude["sigma_dc"], "damping": drude["damping"], "f_sum": f_sum}
    for k in exact:
        print(f"{k:>9}: {found[k]:.5g} from the data, {exact[k]:.5g} exact")
    verdicts = {name: check.verdict for name, check in report.checks.items()}
    return {"verdicts": verdicts, "found": found, "exact": exact}


if __name__ == "__main__":
    main()
