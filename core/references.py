"""The papers this service implements (and the few it leans on), cited once so docstrings, docs
and the API agree.

Each model module's References section names the paper by the constant here; equation numbers in
the code are the paper's own numbering.
"""

from __future__ import annotations

from typing import Final

WESTERBERG_BARNETT: Final = (
    'N. Westerberg and S. M. Barnett, "Is there a conflict between causality and diamagnetism?" '
    "(2025), arXiv:2501.13098"
)
ANELLI_ET_AL: Final = (
    'M. Anelli, D. Jonsson, H. Fliegl and K. Ruud, "The origin dependence of the material '
    'constants: the permittivity and the inverse permeability" (preprint, 2014; no DOI or arXiv '
    "id is known to us)"
)
CHO: Final = (
    'K. Cho, "Model-independent derivation of macroscopic Maxwell equations from microscopic '
    "basis: Beyond the 'epsilon and mu' description\" (2007), arXiv:cond-mat/0611235"
)
DUFF_SIPE: Final = (
    'A. H. Duff and J. E. Sipe, "Frequency dependent magnetic susceptibility and the q^2 effective '
    'conductivity tensor" (2025), arXiv:2504.02215'
)

SKAAR_2006: Final = (
    'J. Skaar, "Fresnel equations and the refractive index of active media", Phys. Rev. E 73, '
    "026605 (2006), doi:10.1103/PhysRevE.73.026605"
)

NAZAROV_CHANG: Final = (
    'V. U. Nazarov and Y.-C. Chang, "Resolving the wave-vector and the refractive index from the '
    'coefficient of reflectance" (2009), arXiv:0710.4388'
)

#: Short key -> citation (``GET /v1/version`` lists them).
ALL: Final[dict[str, str]] = {
    "westerberg-barnett-2025": WESTERBERG_BARNETT,
    "anelli-2014": ANELLI_ET_AL,
    "cho-2007": CHO,
    "duff-sipe-2025": DUFF_SIPE,
    "skaar-2006": SKAAR_2006,
    "nazarov-chang-2009": NAZAROV_CHANG,
}
