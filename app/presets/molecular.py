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

# --- quantum chemistry (POST /v1/molecular/states; core/quantum_chem.py) ------------------

#: Benzene, D6h, r(CC) = 1.397 angstrom, r(CH) = 1.084 angstrom (the experimental r_e-type
#: geometry of CCCBDB; the paper does not print its geometry), in the paper's orientation
#: (section 8.1): molecular plane yz, the para C-C axis (the "long axis") along z, centre of mass
#: at the origin (D6h: the ring centre).
BENZENE_XYZ = "\n".join(
    [
        "12",
        "benzene, yz plane, C1-C4 along z (angstrom)",
        "C 0.0 0.0 1.397",
        "C 0.0 1.2098375 0.6985",
        "C 0.0 1.2098375 -0.6985",
        "C 0.0 0.0 -1.397",
        "C 0.0 -1.2098375 -0.6985",
        "C 0.0 -1.2098375 0.6985",
        "H 0.0 0.0 2.481",
        "H 0.0 2.1486090 1.2405",
        "H 0.0 2.1486090 -1.2405",
        "H 0.0 0.0 -2.481",
        "H 0.0 -2.1486090 -1.2405",
        "H 0.0 -2.1486090 1.2405",
    ]
)
#: The field frequencies of the paper's Tables 2-5 (hartree).
ANELLI_TABLE_FREQUENCIES = [
    0.001, 0.1, 0.15, 0.17, 0.18, 0.19, 0.2, 0.205, 0.21, 0.22, 0.23, 0.24, 0.25, 0.26
]
WATER_XYZ = "O 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 -0.7572 -0.4692"

PRESETS += [
    Preset(
        name="anelli-benzene-states",
        title="Benzene: excited states and transition moments for Tables 2-5 (TDHF/6-31+G)",
        source="M. Anelli, D. Jonsson, H. Fliegl and K. Ruud, section 8 (benzene; reduced "
        "method and basis)",
        endpoint="/v1/molecular/states",
        description=(
            "Benzene in the paper's orientation (yz plane, long axis z, centre of mass at the "
            "origin). Reduced to fit the service's limits: TDHF (RPA on Hartree-Fock) in 6-31+G "
            "(90 basis functions, all 1449 singlet excitations) instead of B3LYP/aug-cc-pVDZ "
            "response theory; the full-basis TDHF/aug-cc-pVDZ comparison is in docs/molecular.md. "
            "With the paper's 1 bohr shift along y the origin report covers the frequencies of "
            "Tables 2-5; post `states` to /v1/molecular/material-constants for the constants."
        ),
        body={
            "molecule": {"xyz": BENZENE_XYZ},
            "basis": "6-31+g",
            "method": "hf",
            "excitations": "rpa",
            "linewidth": 0.005,
            "origin_shift": [0.0, 1.0, 0.0],
            "check_frequencies": {"values": ANELLI_TABLE_FREQUENCIES, "unit": "hartree"},
        },
    ),
    Preset(
        name="water-states-hf",
        title="Water: every TDHF state in 6-31G, with the length-velocity and origin checks",
        source="M. Anelli, D. Jonsson, H. Fliegl and K. Ruud, Table 1 moments for a small "
        "molecule (seconds)",
        endpoint="/v1/molecular/states",
        description=(
            "H2O (experimental geometry) in 6-31G: all 40 RPA states. The static polarizability "
            "equals the finite-field Hartree-Fock one of the same basis; the Thomas-Reiche-Kuhn "
            "and length-velocity checks fail and say why (a valence basis), and the change under "
            "a 1 bohr shift is exactly the basis's sum-rule deficit."
        ),
        body={
            "molecule": {"xyz": WATER_XYZ},
            "basis": "6-31g",
            "origin_shift": [0.0, 1.0, 0.0],
        },
    ),
]
# --- end quantum chemistry ------------------------------------------------------------------
